//! IAM215: `*` or `?` in a value of a string operator that does not read wildcards.

use iamspect_core::Span;
use iamspect_core::condition::{BaseOperator, Condition, Family};

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM215",
    name: "wildcard-without-like-operator",
    issue_code: "WILDCARD_WITHOUT_LIKE_OPERATOR",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports a `*` or `?` in a value of `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase` or
`StringNotEqualsIgnoreCase` (with or without a set qualifier or `IfExists`). Policy variables
(`${aws:username}`, and `${*}` for a literal `*`) are not wildcards and are not reported, nor is
the value `"*"` of `lambda:Principal`, where it is the literal principal `*` of a function's policy.

## Why is this bad?
These operators compare the text exactly: `*` and `?` match only themselves. A value such as
`"arn:aws:iam::*:role/admin-*"` under `StringEquals` matches almost nothing, when `StringLike`
was meant.

## Example
```json
"Condition": {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}}
```
Use `StringLike`.
"#,
};

/// The span of `value` (as written, with its quotes) among the values of condition `c`, if found.
pub(super) fn value_span(source: &str, c: &Condition, value: &str) -> Option<Span> {
    let (_, key, all) = c.spans();
    let quoted = serde_json::to_string(value).ok()?;
    let from = key.end.max(all.start);
    let hay = source.get(from..all.end)?;
    let i = hay.find(&quoted)?;
    Some(Span { start: from + i, end: from + i + quoted.len() })
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let source = cx.policy.source();
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let base = c.operator().base;
            if base.family() != Family::String || matches!(base, BaseOperator::StringLike | BaseOperator::StringNotLike)
            {
                continue;
            }
            for v in c.values() {
                if !has_wildcard_outside_variables(v) || (v == "*" && c.key().eq_ignore_ascii_case("lambda:Principal"))
                {
                    continue;
                }
                let span = value_span(source, c, v).unwrap_or(c.spans().1);
                out.push(
                    &INFO,
                    Some(span),
                    format!(
                        "`{}` compares `{v}` exactly, so `*` and `?` match only themselves; use `{}` for wildcards",
                        base.name(),
                        if base.is_negated() { "StringNotLike" } else { "StringLike" }
                    ),
                );
            }
        }
    }
}

/// True if `v` has `*` or `?` outside its policy variables (where `${*}` and `${?}` are literal).
fn has_wildcard_outside_variables(v: &str) -> bool {
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        if has_wildcard(&rest[..i]) {
            return true;
        }
        match rest[i..].find('}') {
            Some(j) => rest = &rest[i + j + 1..],
            None => return has_wildcard(&rest[i..]),
        }
    }
    has_wildcard(rest)
}
