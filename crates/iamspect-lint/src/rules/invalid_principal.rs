//! IAM105: a `Principal`/`NotPrincipal` value that is not a principal.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM105",
    name: "invalid-principal",
    issue_code: "INVALID_PRINCIPAL_FORMAT",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `Principal` and `NotPrincipal` values AWS does not accept: unknown principal types,
wildcards inside ARNs, `"Service": "*"`, account ids that are not 12 digits, ARNs that are not an
account, user, role, role session or federated user, and empty objects.

## Why is this bad?
AWS rejects the policy.

## Example
```json
"Principal": {"AWS": "arn:aws:iam::123456789012:role/*"}
```
Use `"AWS": "*"` with an `aws:PrincipalArn` condition instead.
"#,
};
