//! IAM306: `NotResource` in an `Allow`.

use iamspect_core::Effect;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM306",
    name: "allow-with-not-resource",
    issue_code: "ALLOW_WITH_NOT_RESOURCE",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports `Allow` statements that use `NotResource`.

## Why is this bad?
It allows the actions on every resource except those listed, in every service and account,
including resources created later. List the resources to allow instead.

## Example
```json
{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::audit-logs/*"}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if let Some((true, span, _)) = &s.resources
            && s.effect() == Effect::Allow
        {
            out.push(
                &INFO,
                Some(*span),
                "`Allow` with `NotResource` allows every resource not listed, in every account".to_string(),
            );
        }
    }
}
