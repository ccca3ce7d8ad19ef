//! IAM308: an OIDC provider may assume the role for any audience.

use iamspect_core::Effect;

use super::mismatched_action_for_principal::{federated, oidc_provider};
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM308",
    name: "missing-condition-key-for-oidc-principal",
    issue_code: "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
    severity: Severity::SecurityWarning,
    doc: r#"## What it does
Reports an `Allow` statement that lets an OIDC provider (`Federated`:
`arn:aws:iam::ACCOUNT:oidc-provider/HOST`, `cognito-identity.amazonaws.com`,
`accounts.google.com`, ...) assume the role with `sts:AssumeRoleWithWebIdentity` without a
condition on the provider's audience key: `HOST:aud` (or `HOST:azp` or `HOST:oaud`; `app_id` for
`graph.facebook.com` and `www.amazon.com`).

## Why is this bad?
The provider issues tokens to every application registered with it. Without the audience, a token
issued for another application, possibly someone else's, can assume the role.

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"},
 "Action": "sts:AssumeRoleWithWebIdentity"}
```
Add `"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com"}`.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.effect() != Effect::Allow || !s.statement.covers_action("sts:assumerolewithwebidentity") {
            continue;
        }
        let Some((false, span, principal)) = &s.principal else { continue };
        let (entries, _) = federated(principal);
        for provider in entries.iter().filter_map(|e| oidc_provider(e)) {
            let has_audience = s.statement.conditions().iter().any(|c| {
                let key = c.key();
                key.len() > provider.len()
                    && key.get(..provider.len()).is_some_and(|p| p.eq_ignore_ascii_case(provider))
                    && key.get(provider.len()..).is_some_and(|rest| {
                        [":aud", ":azp", ":oaud", ":app_id"].iter().any(|k| rest.eq_ignore_ascii_case(k))
                    })
            });
            if has_audience {
                continue;
            }
            out.push(
                &INFO,
                Some(*span),
                format!(
                    "tokens of `{provider}` for any audience can assume this role: add a condition on \
                     `{provider}:aud` naming the client"
                ),
            );
        }
    }
}
