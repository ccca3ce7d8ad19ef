//! IAM217: a federated principal with an `AssumeRole*` action it cannot use.

use iamspect_core::Effect;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM217",
    name: "mismatched-action-for-principal",
    issue_code: "MISMATCHED_ACTION_FOR_PRINCIPAL",
    severity: Severity::Error,
    doc: r#"## What it does
Reports, in a statement whose `Principal` has `Federated` principals, an `Action` entry that
those principals cannot use: `sts:AssumeRoleWithSAML` without a SAML provider
(`arn:aws:iam::ACCOUNT:saml-provider/NAME`), `sts:AssumeRoleWithWebIdentity` without an OIDC
provider (`oidc-provider/...`, `cognito-identity.amazonaws.com`, `accounts.google.com`,
`graph.facebook.com`, `www.amazon.com`), and `sts:AssumeRole` when every principal is federated.
Only actions named exactly are checked.

## Why is this bad?
SAML providers assume roles with `sts:AssumeRoleWithSAML` and OIDC providers with
`sts:AssumeRoleWithWebIdentity`; a statement that pairs a provider with another action grants
nothing, and the federation that was meant to work fails.

## Example
```json
{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/corp"},
 "Action": "sts:AssumeRoleWithWebIdentity"}
```
Use `sts:AssumeRoleWithSAML`.
"#,
};

/// The `Federated` entries of a principal value, and whether it has other principal types.
pub(super) fn federated(principal: &serde_json::Value) -> (Vec<&str>, bool) {
    let Some(map) = principal.as_object() else { return (Vec::new(), true) };
    let mut out = Vec::new();
    let mut others = false;
    for (k, v) in map {
        if k == "Federated" {
            match v {
                serde_json::Value::String(s) => out.push(s.as_str()),
                serde_json::Value::Array(a) => out.extend(a.iter().filter_map(|x| x.as_str())),
                _ => {}
            }
        } else {
            others = true;
        }
    }
    (out, others)
}

/// True for a SAML provider ARN.
pub(super) fn is_saml(entry: &str) -> bool {
    entry.to_ascii_lowercase().contains(":saml-provider/")
}

/// The identity provider of an OIDC federated principal (`token.actions.githubusercontent.com`,
/// `cognito-identity.amazonaws.com`), or `None` for SAML and unreadable entries.
pub(super) fn oidc_provider(entry: &str) -> Option<&str> {
    if is_saml(entry) || entry.contains(['*', '?', '$']) {
        return None;
    }
    if entry.starts_with("arn:") {
        let i = entry.to_ascii_lowercase().find(":oidc-provider/")?;
        let provider = &entry[i + ":oidc-provider/".len()..];
        return (!provider.is_empty()).then_some(provider);
    }
    (!entry.is_empty() && entry.contains('.')).then_some(entry)
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.effect() != Effect::Allow || s.not_action {
            continue;
        }
        let Some((false, _, principal)) = &s.principal else { continue };
        let (entries, others) = federated(principal);
        if entries.is_empty() || entries.iter().any(|e| e.contains(['*', '?', '$'])) {
            continue;
        }
        let saml = entries.iter().any(|e| is_saml(e));
        let oidc = entries.iter().any(|e| oidc_provider(e).is_some());
        for a in &s.actions {
            let message = if a.text.eq_ignore_ascii_case("sts:AssumeRoleWithSAML") && !saml {
                "`sts:AssumeRoleWithSAML` is for SAML providers, and this statement's federated principals are not \
                 SAML providers; OIDC providers use `sts:AssumeRoleWithWebIdentity`"
            } else if a.text.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity") && !oidc {
                "`sts:AssumeRoleWithWebIdentity` is for OIDC providers, and this statement's federated principals \
                 are not OIDC providers; SAML providers use `sts:AssumeRoleWithSAML`"
            } else if a.text.eq_ignore_ascii_case("sts:AssumeRole") && !others {
                "federated principals cannot use `sts:AssumeRole`: SAML providers use `sts:AssumeRoleWithSAML` and \
                 OIDC providers `sts:AssumeRoleWithWebIdentity`"
            } else {
                continue;
            };
            out.push(&INFO, Some(a.span), message.to_string());
        }
    }
}
