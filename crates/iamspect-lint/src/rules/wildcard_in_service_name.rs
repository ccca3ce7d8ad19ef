//! IAM212: a wildcard in an action's service prefix.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM212",
    name: "wildcard-in-service-name",
    issue_code: "WILDCARD_IN_SERVICE_NAME",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries with `*` or `?` in the service prefix (`s3*:Get*`, `*:List*`).

## Why is this bad?
Such an entry matches actions of services you may not know about, including services AWS adds
later. Name the services.

## Example
```json
{"Effect": "Allow", "Action": "*:Describe*", "Resource": "*"}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for a in &s.actions {
            let Some((prefix, _)) = a.text.split_once(':') else { continue };
            if has_wildcard(prefix) {
                out.push(&INFO, Some(a.span), format!("`{}` has a wildcard in its service prefix", a.text));
            }
        }
    }
}
