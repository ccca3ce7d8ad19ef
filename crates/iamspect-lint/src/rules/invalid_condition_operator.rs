//! IAM103: an unknown condition operator.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM103",
    name: "invalid-condition-operator",
    issue_code: "INVALID_CONDITION_OPERATOR",
    severity: Severity::Error,
    doc: r#"## What it does
Reports condition operators AWS does not define (`StringEqual`, `IpAdress`, `ForAll:StringEquals`)
and `NullIfExists`, which AWS rejects.

## Why is this bad?
AWS rejects the policy.

## Example
```json
"Condition": {"StringEqual": {"aws:PrincipalOrgID": "o-123"}}
```
Use `StringEquals`.
"#,
};
