//! IAM204: a service condition key that the service does not define.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, did_you_mean};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM204",
    name: "unknown-service-condition-key",
    issue_code: "INVALID_SERVICE_CONDITION_KEY",
    severity: Severity::Error,
    doc: r#"## What it does
Reports condition keys whose prefix is an AWS service in the catalogue (`s3:`, `ec2:`, `iam:`)
but which that service does not define, with the closest key of the service.

Keys of identity providers (`accounts.google.com:aud`, `cognito-identity.amazonaws.com:amr`,
`token.actions.githubusercontent.com:sub`, `saml:aud`) and keys whose prefix is not a service in the
catalogue are not checked.

## Why is this bad?
The key is never in the request: the condition is false (or true for negated operators and
`...IfExists`), which is rarely what was meant.

## Example
```json
"Condition": {"StringEquals": {"s3:x-amz-acl-header": "private"}}
```
Did you mean `s3:x-amz-acl`?
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let key = c.key();
            let Some((prefix, _)) = key.split_once(':') else { continue };
            if prefix.eq_ignore_ascii_case("aws") || prefix.eq_ignore_ascii_case("saml") || prefix.contains('.') {
                continue;
            }
            let Some(service) = cx.catalog.service(prefix) else { continue };
            if cx.catalog.condition_key(key).is_some() {
                continue;
            }
            let mut message = format!("`{key}` is not a condition key of `{}` ({})", service.prefix(), service.name());
            let own = service.condition_keys().filter(|k| !k.is_pattern()).map(|k| k.name());
            if let Some(m) = did_you_mean(key, own, &budget) {
                message.push_str(&format!("; did you mean `{m}`?"));
            }
            out.push(&INFO, Some(c.spans().1), message);
        }
    }
}
