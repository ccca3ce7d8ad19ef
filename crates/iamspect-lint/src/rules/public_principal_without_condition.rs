//! IAM304: an `Allow` to everyone without a condition.

use iamspect_core::{Effect, PolicyType};

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM304",
    name: "public-principal-without-condition",
    issue_code: "PUBLIC_PRINCIPAL_WITHOUT_CONDITION",
    severity: Severity::SecurityWarning,
    doc: r#"## What it does
Reports `Allow` statements of resource policies and role trust policies whose `Principal` is
`"*"` or includes `{"AWS": "*"}` and that have no `Condition`. RCPs (whose principal is always
`"*"`) and VPC endpoint policies (which only narrow access) are not reported.

## Why is this bad?
The statement grants access to anyone, in any account, and to anonymous callers.

## Example
```json
{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"}
```
Add a condition such as `aws:PrincipalOrgID`, or name the principals.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    if matches!(cx.target.policy_type, PolicyType::Rcp | PolicyType::VpcEndpoint) {
        return;
    }
    for s in &cx.statements {
        if s.effect() != Effect::Allow || s.has_conditions() || !s.principal_is_public() {
            continue;
        }
        let Some((_, span, _)) = &s.principal else { continue };
        out.push(
            &INFO,
            Some(*span),
            "this `Allow` is for everyone, anonymous callers included, with no condition".to_string(),
        );
    }
}
