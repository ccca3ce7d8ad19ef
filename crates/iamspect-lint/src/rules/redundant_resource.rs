//! IAM404: a resource listed twice or covered by a wildcard in the same statement.

use super::{RuleInfo, Sink};
use crate::Severity;
use iamspect_core::Span;

use crate::context::{ArnParts, Budget, Ctx, glob_covers_within};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM404",
    name: "redundant-resource",
    issue_code: "REDUNDANT_RESOURCE",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports `Resource`/`NotResource` entries that another entry of the same statement already covers:
the same ARN twice, or an ARN that a wildcard ARN (or `"*"`) matches. ARNs are compared segment by
segment, as AWS matches them.

## Why is this bad?
It changes nothing and makes the policy longer and harder to review.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b/reports/*"]}
```
"#,
};

/// True if resource pattern `a` matches everything `b` does (the resource segment is
/// case-sensitive).
///
/// Comparing long patterns in full is paid from `budget` (false when it is spent).
pub(crate) fn arn_covers(a: &ArnParts<'_>, b: &ArnParts<'_>, budget: &Budget) -> bool {
    if a.text == "*" {
        return true;
    }
    match (&a.segments, &b.segments) {
        (Some(x), Some(y)) => {
            x[..4].iter().zip(y[..4].iter()).all(|(p, q)| glob_covers_within(p, q, true, Some(budget)))
                && glob_covers_within(x[4], y[4], false, Some(budget))
        }
        _ => a.text == b.text,
    }
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    for s in &cx.statements {
        if cx.cancelled() {
            return;
        }
        let Some((_, _, resources)) = &s.resources else { continue };
        if !report(resources, &s.arns, out, &budget) {
            out.incomplete(&INFO, cx.statements.len());
            return;
        }
    }
}

/// Reports each entry covered by another (the later of two equal ones); `false` when `budget`
/// ran out first.
fn report(entries: &[(&str, Span)], arns: &[ArnParts<'_>], out: &mut Sink, budget: &Budget) -> bool {
    if entries.len() < 2 {
        return true;
    }
    for (j, ((b, bspan), barn)) in entries.iter().zip(arns).enumerate() {
        for (i, (a, aarn)) in entries.iter().map(|(a, _)| a).zip(arns).enumerate() {
            let covered = budget.compare_arns(a, b) && i != j && arn_covers(aarn, barn, budget);
            let same = covered && budget.compare_arns(b, a) && arn_covers(barn, aarn, budget);
            if budget.is_spent() {
                return false;
            }
            if !covered || (same && i > j) {
                continue;
            }
            let message = if same {
                format!("resource `{b}` is listed twice")
            } else {
                format!("resource `{b}` is already covered by `{a}`")
            };
            out.push(&INFO, Some(*bspan), message);
            break;
        }
    }
    true
}
