//! IAM218: a service condition key that none of the statement's actions support.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM218",
    name: "unsupported-action-for-condition-key",
    issue_code: "UNSUPPORTED_ACTION_FOR_CONDITION_KEY",
    severity: Severity::Error,
    doc: r#"## What it does
Reports a condition key of one service (`ec2:InstanceType`) in a statement whose actions all
belong to other services and none of which AWS's catalogue lists the key for. To stay certain, it
checks only statements with `Action` (not `NotAction`) whose every entry names known actions (no
`"*"`, no unknown service or action), and only service keys that the catalogue does not mark as
global or cross-service (`aws:*` keys, `ec2:SourceInstanceArn`, identity provider keys are
never reported).

## Why is this bad?
A service puts its keys only in its own requests: the key is never present for these actions, so
the condition is always false (always true for negated operators and `...IfExists`), and the
statement never applies (or always does) whatever was meant.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
 "Condition": {"StringEquals": {"ec2:InstanceType": "t3.micro"}}}
```
Move the condition to a statement with `ec2:RunInstances`, or use a key that S3 supports.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.not_action || s.actions.is_empty() || s.statement.conditions().is_empty() {
            continue;
        }
        let mut actions = Vec::new();
        for a in &s.actions {
            match &a.resolved {
                Resolved::Actions(list) => actions.extend(list.iter().copied()),
                _ => {
                    actions.clear();
                    break;
                }
            }
        }
        if actions.is_empty() {
            continue;
        }
        for c in s.statement.conditions() {
            let name = c.key();
            let Some((prefix, _)) = name.split_once(':') else { continue };
            if prefix.eq_ignore_ascii_case("aws") || prefix.contains('.') {
                continue;
            }
            let Some(service) = cx.catalog.service(prefix) else { continue };
            let Some(key) = cx.catalog.condition_key(name) else { continue };
            if key.is_global() || !key.name().to_ascii_lowercase().starts_with(&format!("{}:", service.prefix())) {
                continue;
            }
            let same_service = actions.iter().any(|a| a.service().prefix().eq_ignore_ascii_case(service.prefix()));
            if same_service || actions.iter().any(|a| a.supports_condition_key(key)) {
                continue;
            }
            let mut services: Vec<&str> = actions.iter().map(|a| a.service().prefix()).collect();
            services.sort_unstable();
            services.dedup();
            let services = services.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
            out.push(
                &INFO,
                Some(c.spans().1),
                format!(
                    "`{name}` is a condition key of `{}`, which no action of this statement ({services}) supports: \
                     the key is never in these requests",
                    service.prefix()
                ),
            );
        }
    }
}
