//! IAM210: a multivalued key without `ForAllValues:`/`ForAnyValue:`.

use iamspect_core::condition::Family;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM210",
    name: "multivalued-key-without-qualifier",
    issue_code: "MISSING_QUALIFIER",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports conditions on keys that AWS's catalogue says can hold several values (`aws:TagKeys`,
`aws:PrincipalServiceNamesList`, types `ArrayOf...`) used without `ForAllValues:` or
`ForAnyValue:` (`Null` aside).

## Why is this bad?
Without a qualifier, how a list is compared is not documented; say which you mean: every value
(`ForAllValues:`) or at least one (`ForAnyValue:`).

## Example
```json
"Condition": {"StringEquals": {"aws:TagKeys": ["team", "project"]}}
```
Use `ForAllValues:StringEquals` to allow only these tag keys.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let op = c.operator();
            if op.qualifier.is_some() || op.base.family() == Family::Null {
                continue;
            }
            let Some(key) = cx.catalog.condition_key(c.key()) else { continue };
            if !key.value_type().is_multivalued() {
                continue;
            }
            out.push(
                &INFO,
                Some(c.spans().0),
                format!(
                    "`{}` can hold several values ({}); use `ForAllValues:{}` or `ForAnyValue:{}`",
                    c.key(),
                    key.value_type().as_str(),
                    op.base.name(),
                    op.base.name()
                ),
            );
        }
    }
}
