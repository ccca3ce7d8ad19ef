//! IAM101: the text is not JSON (or not a JSON object).

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM101",
    name: "json-syntax-error",
    issue_code: "JSON_SYNTAX_ERROR",
    severity: Severity::Error,
    doc: r#"## What it does
Reports policy text that is not strict JSON: comments, trailing commas, single quotes, unquoted
names, an empty document, or a top level that is not an object.

## Why is this bad?
AWS reads policies as strict JSON and rejects anything else; the policy cannot be attached.

## Example
```json
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",}]}
```
Remove the trailing comma (and any `//` comments).
"#,
};
