//! IAM214: `Null` with a set qualifier.

use iamspect_core::condition::{BaseOperator, SetQualifier};

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM214",
    name: "null-with-qualifier",
    issue_code: "NULL_WITH_QUALIFIER",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports the `Null` operator with `ForAllValues:` or `ForAnyValue:`.

## Why is this bad?
`Null` tests whether the key is present in the request, not its values: a set qualifier does not
apply to it, and only makes the condition harder to read (or read wrongly).

## Example
```json
"Condition": {"ForAllValues:Null": {"aws:TagKeys": "false"}}
```
Use `"Null": {"aws:TagKeys": "false"}`.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let op = c.operator();
            if op.base != BaseOperator::Null {
                continue;
            }
            let qualifier = match op.qualifier {
                Some(SetQualifier::ForAllValues) => "ForAllValues:",
                Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
                None => continue,
            };
            out.push(
                &INFO,
                Some(c.spans().0),
                format!("`Null` tests whether `{}` is present; `{qualifier}` does not apply to it", c.key()),
            );
        }
    }
}
