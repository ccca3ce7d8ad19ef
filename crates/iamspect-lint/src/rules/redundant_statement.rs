//! IAM405: a statement that another statement of the same effect already covers.

use super::redundant_resource::arn_covers;
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Budget, Ctx, Stmt};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM405",
    name: "redundant-statement",
    issue_code: "REDUNDANT_STATEMENT",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports a statement that another statement of the same policy covers entirely: the same `Effect`
and `Principal`, every action and resource of the first matched by the second, and no `Condition`
on the second. Of two identical statements, the later is reported.

## Why is this bad?
It changes nothing and makes the policy longer and harder to review.

## Example
```json
[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
 {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]
```
"#,
};

/// True if `t` applies wherever `s` does, for the same effect (conditions of `s` aside).
///
/// Each comparison is paid from `budget`; once it is spent the answer is false, and the caller
/// must not report it.
pub(crate) fn covers(t: &Stmt<'_>, s: &Stmt<'_>, budget: &Budget) -> bool {
    if t.has_conditions() || t.not_action || s.not_action {
        return false;
    }
    let same = match (&t.principal, &s.principal) {
        (None, None) => true,
        (Some((tn, _, tv)), Some((sn, _, sv))) => tn == sn && tv == sv,
        _ => false,
    };
    let principal_ok = same || (t.principal_is_public() && !matches!(s.principal, Some((true, _, _))));
    if !principal_ok {
        return false;
    }
    let actions = s.actions.iter().all(|a| t.action_set.covers_within(a.text, budget));
    if !actions {
        return false;
    }
    match (&t.resources, &s.resources) {
        (None, None) => true,
        (Some((false, _, _)), Some((false, _, _))) => s
            .arns
            .iter()
            .all(|a| t.arns.iter().any(|b| budget.compare_arns(b.text, a.text) && arn_covers(b, a, budget))),
        _ => false,
    }
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let n = cx.statements.len();
    let budget = cx.budget();
    for (j, s) in cx.statements.iter().enumerate() {
        if cx.cancelled() {
            return;
        }
        for (i, t) in cx.statements.iter().enumerate() {
            let covered = budget.spend(1) && i != j && t.effect() == s.effect() && covers(t, s, &budget);
            // Of two equivalent statements, report the later one only.
            let equivalent = covered && i > j && !s.has_conditions() && covers(s, t, &budget);
            if budget.is_spent() {
                out.incomplete(&INFO, n);
                return;
            }
            if !covered || equivalent {
                continue;
            }
            let name = |x: &Stmt<'_>| match x.statement.sid() {
                Some(sid) => format!("statement `{sid}`"),
                None => format!("statement {}", x.statement.index() + 1),
            };
            out.push(&INFO, Some(s.statement.span()), format!("{} is already covered by {}", name(s), name(t)));
            break;
        }
    }
}
