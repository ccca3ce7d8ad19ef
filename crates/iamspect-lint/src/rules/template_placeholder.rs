//! IAM108: a template placeholder left in the policy.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM108",
    name: "template-placeholder",
    issue_code: "TEMPLATE_PLACEHOLDER",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports values wholly inside `<...>` or `[...]` where an action, an ARN, or a typed condition value
(IP, number, date, base64) is expected, as AWS's sample policies write them
(`<my-corporate-cidr>`, `[MAX_SIGNATURE_AGE_IN_MILLISECONDS]`).

## Why is this bad?
The sample was not filled in. As an action or resource it matches nothing; in a condition it
cannot be read, so an `Allow` never applies and a `Deny` always does.

## Example
```json
"Condition": {"NotIpAddress": {"aws:SourceIp": "<my-corporate-cidr>"}}
```
"#,
};
