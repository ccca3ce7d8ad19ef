//! IAM303: `NotPrincipal` in a `Deny`.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM303",
    name: "deny-with-not-principal",
    issue_code: "DENY_WITH_NOT_PRINCIPAL",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports `NotPrincipal` in `Deny` statements.

## Why is this bad?
`NotPrincipal` must list every identity AWS validates for a caller (the account, the role and the
role session), and it never exempts callers with a permissions boundary; it is easy to lock out the
principals you meant to keep. AWS recommends `"Principal": "*"` with an `ArnNotEquals` condition
on `aws:PrincipalArn` instead.

## Example
```json
{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/admin"}, "Action": "s3:*", "Resource": "*"}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if let Some((true, span, _)) = &s.principal {
            out.push(
                &INFO,
                Some(*span),
                "`NotPrincipal` is hard to get right; prefer `\"Principal\": \"*\"` with an `ArnNotEquals` condition on `aws:PrincipalArn`".to_string(),
            );
        }
    }
}
