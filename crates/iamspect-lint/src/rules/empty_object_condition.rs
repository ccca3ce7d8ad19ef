//! IAM409: an empty object in `Condition`.

use super::empty_array::{Json, has_empty, read};
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM409",
    name: "empty-object-condition",
    issue_code: "EMPTY_OBJECT_CONDITION",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports `"Condition": {}` and a condition operator with no keys (`"StringEquals": {}`).

## Why is this bad?
An empty condition adds nothing: the statement applies as if it had none, which a reader may not
expect from a statement that appears to be conditional.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {}}}
```
Add the keys meant, or remove the condition.
"#,
};

fn is_empty_object(v: &Json) -> bool {
    matches!(v, Json::Object(m) if m.is_empty())
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let source = cx.policy.source();
    for s in &cx.statements {
        let span = s.statement.span();
        if !source.get(span.start..span.end).is_some_and(|t| has_empty(t, b'{', b'}')) {
            continue;
        }
        let Some(statement) = read(source, span) else { continue };
        for m in statement.members().iter().filter(|m| m.key == "Condition") {
            if is_empty_object(&m.value) {
                out.push(&INFO, Some(m.value_span), "`Condition` is an empty object".to_string());
            }
            for op in m.value.members().iter().filter(|op| is_empty_object(&op.value)) {
                out.push(&INFO, Some(op.value_span), format!("condition operator `{}` has no keys", op.key));
            }
        }
    }
}
