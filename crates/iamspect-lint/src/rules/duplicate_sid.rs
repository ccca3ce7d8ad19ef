//! IAM407: two statements with the same `Sid`.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM407",
    name: "duplicate-sid",
    issue_code: "UNIQUE_SIDS_RECOMMENDED",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports a statement whose `Sid` an earlier statement of the same policy already uses, in policies
that accept it (resource-based policies, SCPs, ...). IAM rejects it in identity policies,
boundaries and role trust policies, an error there (IAM102, `UNIQUE_SIDS_REQUIRED`, decision D53).

## Why is this bad?
`Sid`s identify statements in reviews, traces and AWS's own messages; several services (and SCPs)
require them to be unique.

## Example
```json
[{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
 {"Sid": "Read", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let mut seen = std::collections::HashSet::new();
    for s in &cx.statements {
        let Some(sid) = s.statement.sid().filter(|x| !x.is_empty()) else { continue };
        if !seen.insert(sid) {
            out.push(&INFO, Some(s.statement.span()), format!("`Sid` `{sid}` is used by an earlier statement"));
        }
    }
}
