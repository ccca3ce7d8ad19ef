//! IAM403: an action listed twice or covered by a wildcard in the same statement.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, glob_covers_within, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM403",
    name: "redundant-action",
    issue_code: "REDUNDANT_ACTION",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries that another entry of the same statement already covers: the
same action twice (actions ignore case) or an action that a wildcard matches.

## Why is this bad?
It changes nothing and makes the policy longer and harder to review.

## Example
```json
{"Effect": "Allow", "Action": ["s3:*", "s3:GetObject"], "Resource": "*"}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    for s in &cx.statements {
        if cx.cancelled() {
            return;
        }
        let mut seen = std::collections::HashSet::new();
        for a in &s.actions {
            let wild = has_wildcard(a.text);
            if !wild && !seen.insert(a.text.to_ascii_lowercase()) {
                out.push(&INFO, Some(a.span), format!("action `{}` is listed twice", a.text));
                continue;
            }
            let cover = s.action_set.wildcards.iter().find(|w| {
                budget.compare(w, a.text)
                    && !w.eq_ignore_ascii_case(a.text)
                    && glob_covers_within(w, a.text, true, Some(&budget))
                    && (!wild || !glob_covers_within(a.text, w, true, Some(&budget)))
            });
            if budget.is_spent() {
                out.incomplete(&INFO, cx.statements.len());
                return;
            }
            if let Some(w) = cover {
                out.push(&INFO, Some(a.span), format!("action `{}` is already covered by `{w}`", a.text));
            } else if wild && !seen.insert(a.text.to_ascii_lowercase()) {
                out.push(&INFO, Some(a.span), format!("action `{}` is listed twice", a.text));
            }
        }
    }
}
