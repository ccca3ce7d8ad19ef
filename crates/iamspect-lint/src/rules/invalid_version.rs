//! IAM107: a `Version` AWS does not accept.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM107",
    name: "invalid-version",
    issue_code: "INVALID_VERSION",
    severity: Severity::Error,
    doc: r#"## What it does
Reports a `Version` other than `"2012-10-17"` or `"2008-10-17"` (such as a date you wrote the
policy), and `"2008-10-17"` in an SCP or RCP.

## Why is this bad?
AWS rejects the policy. `Version` is the policy language version, not the policy's own.

## Example
```json
{"Version": "2024-01-01", "Statement": []}
```
Use `"Version": "2012-10-17"`.
"#,
};
