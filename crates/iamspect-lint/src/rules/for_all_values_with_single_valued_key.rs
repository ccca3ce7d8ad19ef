//! IAM208: `ForAllValues:` with a single-valued key in an `Allow`.

use iamspect_core::Effect;
use iamspect_core::condition::SetQualifier;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM208",
    name: "for-all-values-with-single-valued-key",
    issue_code: "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY",
    severity: Severity::SecurityWarning,
    doc: r#"## What it does
Reports `ForAllValues:` operators in `Allow` statements on keys that AWS's catalogue says hold a
single value (`String`, `ARN`, `Bool`, `Numeric`, `Date`, `IPAddress`, ...).

## Why is this bad?
`ForAllValues:` is true when the key is missing from the request, so the `Allow` applies to every
request without the key: more access than the condition seems to grant. Use the operator without a
qualifier.

## Example
```json
"Condition": {"ForAllValues:StringEquals": {"aws:PrincipalTag/team": "admins"}}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.effect() != Effect::Allow {
            continue;
        }
        for c in s.statement.conditions() {
            if c.operator().qualifier != Some(SetQualifier::ForAllValues) {
                continue;
            }
            let Some(key) = single_valued(cx, c.key()) else { continue };
            out.push(
                &INFO,
                Some(c.spans().0),
                format!(
                    "`ForAllValues:` on single-valued `{}` ({}) is true when the key is absent, so this `Allow` applies to requests without it",
                    c.key(),
                    key.value_type().as_str()
                ),
            );
        }
    }
}

/// The catalogue's key, if it is known and single-valued.
pub(crate) fn single_valued(cx: &Ctx<'_>, key: &str) -> Option<iamspect_catalog::ConditionKey<'static>> {
    let k = cx.catalog.condition_key(key)?;
    let t = k.value_type();
    (!t.is_multivalued() && t != iamspect_catalog::ConditionKeyType::Unknown).then_some(k)
}
