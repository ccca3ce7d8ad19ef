//! IAM302: `NotPrincipal` with `Allow`.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM302",
    name: "allow-with-not-principal",
    issue_code: "ALLOW_WITH_NOT_PRINCIPAL",
    severity: Severity::Error,
    doc: r#"## What it does
Reports an `Allow` statement with `NotPrincipal`.

## Why is this bad?
It grants access to everyone except the listed principals, anonymous callers included. Access
Analyzer reports it as a security warning; iamspect, following AWS's `NotPrincipal` documentation
("use `NotPrincipal` only with `Deny`"), rejects it.

## Example
```json
{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "s3:*", "Resource": "*"}
```
Name the principals you mean with `Principal` instead.
"#,
};
