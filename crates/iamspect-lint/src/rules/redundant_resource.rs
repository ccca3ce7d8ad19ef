//! IAM404: a resource listed twice or covered by a wildcard in the same statement.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, arn_segments, glob_covers, glob_covers_case};

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
pub(crate) fn arn_covers(a: &str, b: &str) -> bool {
    if a == "*" {
        return true;
    }
    match (arn_segments(a), arn_segments(b)) {
        (Some(x), Some(y)) => {
            x[..4].iter().zip(y[..4].iter()).all(|(p, q)| glob_covers(p, q)) && glob_covers_case(x[4], y[4], false)
        }
        _ => a == b,
    }
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if let Some((_, _, resources)) = &s.resources {
            super::redundant_action::report_with(resources, "resource", out, &INFO, arn_covers);
        }
    }
}
