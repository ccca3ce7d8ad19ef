//! IAM305: `NotAction` in an `Allow`.

use iamspect_core::Effect;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM305",
    name: "allow-with-not-action",
    issue_code: "ALLOW_WITH_NOT_ACTION",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports `Allow` statements that use `NotAction`.

## Why is this bad?
It allows every action of every service except those listed, including actions AWS adds later.
List the actions to allow instead, or use `Deny` with `NotAction`.

## Example
```json
{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.effect() == Effect::Allow && s.not_action {
            out.push(
                &INFO,
                Some(s.action_span),
                "`Allow` with `NotAction` allows every action not listed, including future ones".to_string(),
            );
        }
    }
}
