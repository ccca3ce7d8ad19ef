//! IAM403: an action listed twice or covered by a wildcard in the same statement.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, glob_covers, has_wildcard};

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
    for s in &cx.statements {
        let mut seen = std::collections::HashSet::new();
        for a in &s.actions {
            let wild = has_wildcard(a.text);
            if !wild && !seen.insert(a.text.to_ascii_lowercase()) {
                out.push(&INFO, Some(a.span), format!("action `{}` is listed twice", a.text));
                continue;
            }
            let cover = s.action_set.wildcards.iter().find(|w| {
                !w.eq_ignore_ascii_case(a.text) && glob_covers(w, a.text) && (!wild || !glob_covers(a.text, w))
            });
            if let Some(w) = cover {
                out.push(&INFO, Some(a.span), format!("action `{}` is already covered by `{w}`", a.text));
            } else if wild && !seen.insert(a.text.to_ascii_lowercase()) {
                out.push(&INFO, Some(a.span), format!("action `{}` is listed twice", a.text));
            }
        }
    }
}

/// Reports each entry covered by another (the later of two equal ones).
pub(crate) fn report_with(
    entries: &[(&str, iamspect_core::Span)],
    what: &str,
    out: &mut Sink,
    rule: &'static RuleInfo,
    covers: fn(&str, &str) -> bool,
) {
    if entries.len() < 2 || entries.len() > 300 {
        return;
    }
    for (j, (b, bspan)) in entries.iter().enumerate() {
        for (i, (a, _)) in entries.iter().enumerate() {
            if i == j || !covers(a, b) {
                continue;
            }
            let same = covers(b, a);
            if same && i > j {
                continue;
            }
            let message = if same {
                format!("{what} `{b}` is listed twice")
            } else {
                format!("{what} `{b}` is already covered by `{a}`")
            };
            out.push(rule, Some(*bspan), message);
            break;
        }
    }
}
