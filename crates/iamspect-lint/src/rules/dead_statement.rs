//! IAM406: an `Allow` that a `Deny` of the same policy always overrides.

use iamspect_core::Effect;

use super::redundant_resource::arn_covers;
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Budget, Ctx, Stmt, glob_match, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM406",
    name: "dead-statement",
    issue_code: "DEAD_STATEMENT",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports an `Allow` statement whose every action, on every resource it names, is also denied by an
unconditional `Deny` of the same policy (for the same principals). The `Deny` may use `Action`, or
`NotAction` when the `Allow` names its actions without wildcards.

## Why is this bad?
An explicit deny always wins: the `Allow` grants nothing, which is either dead text or a mistake
in the `Deny`.

## Example
```json
[{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"},
 {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]
```
"#,
};

fn denies_all(d: &Stmt<'_>, a: &Stmt<'_>, budget: &Budget) -> bool {
    if d.has_conditions() || a.not_action {
        return false;
    }
    let principal_ok = match (&d.principal, &a.principal) {
        (None, None) => true,
        (Some((false, _, dv)), Some((false, _, av))) => d.principal_is_public() || dv == av,
        _ => false,
    };
    if !principal_ok {
        return false;
    }
    let actions = if d.not_action {
        a.actions.iter().all(|x| {
            !has_wildcard(x.text)
                && !d.actions.iter().any(|y| !budget.compare(y.text, x.text) || glob_match(y.text, x.text))
        })
    } else {
        a.actions.iter().all(|x| d.action_set.covers_within(x.text, budget))
    };
    if !actions {
        return false;
    }
    match (&d.resources, &a.resources) {
        (None, None) => true,
        (Some((false, _, _)), Some((false, _, _))) => a
            .arns
            .iter()
            .all(|x| d.arns.iter().any(|y| budget.compare_arns(y.text, x.text) && arn_covers(y, x, budget))),
        _ => false,
    }
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    let denies: Vec<&Stmt<'_>> = cx.statements.iter().filter(|s| s.effect() == Effect::Deny).collect();
    for a in cx.statements.iter().filter(|s| s.effect() == Effect::Allow) {
        if cx.cancelled() {
            return;
        }
        let found = denies.iter().find(|d| budget.spend(1) && denies_all(d, a, &budget));
        if budget.is_spent() {
            out.incomplete(&INFO, cx.statements.len());
            return;
        }
        if let Some(d) = found {
            let name = |x: &Stmt<'_>| match x.statement.sid() {
                Some(sid) => format!("statement `{sid}`"),
                None => format!("statement {}", x.statement.index() + 1),
            };
            out.push(
                &INFO,
                Some(a.statement.span()),
                format!("{} allows nothing: {} denies all of it unconditionally", name(a), name(d)),
            );
        }
    }
}
