//! IAM201: an action whose service prefix is not an AWS service.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved, did_you_mean};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM201",
    name: "unknown-service",
    issue_code: "INVALID_SERVICE",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries whose service prefix (before the `:`) names no AWS service in
AWS's catalogue, with the closest prefix when there is one.

## Why is this bad?
The entry matches no action: the statement does not grant or deny what it seems to.

## Example
```json
{"Effect": "Allow", "Action": "s3api:GetObject", "Resource": "*"}
```
The prefix is `s3` (`s3:GetObject`).
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for a in &s.actions {
            if !matches!(a.resolved, Resolved::UnknownService) {
                continue;
            }
            let prefix = a.text.split_once(':').map_or(a.text, |(p, _)| p);
            let mut message = format!("`{prefix}` in `{}` is not the prefix of an AWS service", a.text);
            if let Some(m) = did_you_mean(prefix, cx.catalog.services().map(|s| s.prefix())) {
                message.push_str(&format!("; did you mean `{m}`?"));
            }
            out.push(&INFO, Some(a.span), message);
        }
    }
}
