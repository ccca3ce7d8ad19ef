//! IAM207: a condition operator of the wrong type for its key.

use iamspect_catalog::ConditionKeyType as T;
use iamspect_core::condition::Family;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM207",
    name: "condition-type-mismatch",
    issue_code: "TYPE_MISMATCH",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports a condition operator whose type does not fit the key's type in AWS's catalogue:
`Numeric*` on a non-number key (`TYPE_MISMATCH_NUMBER`), `Date*` on a non-date key
(`TYPE_MISMATCH_DATE`), `Bool` on a non-boolean key (`TYPE_MISMATCH_BOOLEAN`), `IpAddress` and
`NotIpAddress` on a non-IP key (`TYPE_MISMATCH_IP_RANGE`), `String*` on a number, date, boolean or
IP key (`TYPE_MISMATCH_STRING`), and `Arn*` on a key that is neither an ARN nor a string. `String*`
and `Arn*` operators are interchangeable on ARN and string keys, as AWS documents.
Keys the catalogue does not know, and `Null`, are not checked.

## Why is this bad?
AWS compares the request value as the operator's type; a value of another type never compares as
meant (a `Numeric` comparison of a string is always false).

## Example
```json
"Condition": {"NumericLessThan": {"aws:username": "5"}}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let family = c.operator().base.family();
            if family == Family::Null {
                continue;
            }
            let Some(key) = cx.catalog.condition_key(c.key()) else { continue };
            let ty = key.value_type().element();
            let (fits, issue) = match family {
                Family::String => (matches!(ty, T::String | T::Arn), "TYPE_MISMATCH_STRING"),
                Family::Arn => (matches!(ty, T::String | T::Arn), "TYPE_MISMATCH"),
                Family::Numeric => (ty == T::Numeric, "TYPE_MISMATCH_NUMBER"),
                Family::Date => (ty == T::Date, "TYPE_MISMATCH_DATE"),
                Family::Bool => (ty == T::Bool, "TYPE_MISMATCH_BOOLEAN"),
                Family::Ip => (ty == T::IpAddress, "TYPE_MISMATCH_IP_RANGE"),
                Family::Binary => (matches!(ty, T::Binary | T::String), "TYPE_MISMATCH"),
                Family::Null => (true, "TYPE_MISMATCH"),
            };
            if fits || ty == T::Unknown {
                continue;
            }
            out.push_as(
                &INFO,
                issue,
                Some(c.spans().0),
                format!(
                    "`{}` compares {} values but `{}` is of type {}",
                    c.operator().base.name(),
                    family_name(family),
                    c.key(),
                    key.value_type().as_str()
                ),
            );
        }
    }
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::String => "string",
        Family::Numeric => "numeric",
        Family::Date => "date",
        Family::Bool => "boolean",
        Family::Binary => "binary",
        Family::Ip => "IP address",
        Family::Arn => "ARN",
        Family::Null => "null",
    }
}
