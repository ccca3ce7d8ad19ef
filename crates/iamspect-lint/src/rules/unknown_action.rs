//! IAM202: an action that its service does not have.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved, did_you_mean, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM202",
    name: "unknown-action",
    issue_code: "INVALID_ACTION",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries of a known service that match none of its actions in AWS's
catalogue (a misspelt name, or a wildcard that matches nothing), with the closest action name.

## Why is this bad?
The entry matches no action: an `Allow` grants nothing by it and a `Deny` denies nothing.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObjects", "Resource": "arn:aws:s3:::bucket/*"}
```
Did you mean `s3:GetObject`?
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for a in &s.actions {
            let Resolved::UnknownAction(service) = &a.resolved else { continue };
            let name = a.text.split_once(':').map_or(a.text, |(_, n)| n);
            let mut message = if has_wildcard(name) {
                format!("`{}` matches no action of `{}`", a.text, service.prefix())
            } else {
                format!("`{}` is not an action of `{}` ({})", a.text, service.prefix(), service.name())
            };
            if !has_wildcard(name)
                && let Some(m) = did_you_mean(name, service.actions().map(|a| a.name()))
            {
                message.push_str(&format!("; did you mean `{}:{m}`?", service.prefix()));
            }
            out.push(&INFO, Some(a.span), message);
        }
    }
}
