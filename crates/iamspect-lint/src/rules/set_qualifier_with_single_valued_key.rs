//! IAM209: a set qualifier on a single-valued key (other than IAM208's case).

use iamspect_core::Effect;
use iamspect_core::condition::SetQualifier;

use super::for_all_values_with_single_valued_key::single_valued;
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM209",
    name: "set-qualifier-with-single-valued-key",
    issue_code: "SET_QUALIFIER_WITH_SINGLE_VALUED_KEY",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports `ForAnyValue:` on a single-valued key, and `ForAllValues:` on a single-valued key in a
`Deny` statement (in an `Allow` it is IAM208).

## Why is this bad?
Set qualifiers are for multivalued keys. On a single value, `ForAnyValue:` only obscures the
condition, and `ForAllValues:` is true when the key is absent: a `Deny` then applies to requests
without the key, which may not be meant.

## Example
```json
"Condition": {"ForAnyValue:StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}
```
Use `StringEquals`.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let q = c.operator().qualifier;
            let fires = match q {
                Some(SetQualifier::ForAnyValue) => true,
                Some(SetQualifier::ForAllValues) => s.effect() == Effect::Deny,
                None => false,
            };
            if !fires {
                continue;
            }
            let Some(key) = single_valued(cx, c.key()) else { continue };
            let qualifier = if q == Some(SetQualifier::ForAnyValue) { "ForAnyValue:" } else { "ForAllValues:" };
            out.push(
                &INFO,
                Some(c.spans().0),
                format!(
                    "`{qualifier}` is for multivalued keys; `{}` holds a single value ({})",
                    c.key(),
                    key.value_type().as_str()
                ),
            );
        }
    }
}
