//! IAM401: no `Version`.

use iamspect_core::Span;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM401",
    name: "missing-version",
    issue_code: "MISSING_VERSION",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports a policy without `Version`.

## Why is this bad?
Without it, AWS reads the policy as `2008-10-17`, where `${aws:username}` and other policy
variables are literal text and some newer features are missing.

## Example
```json
{"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
```
Add `"Version": "2012-10-17"`.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    if cx.policy.version().is_some() {
        return;
    }
    let start = cx.policy.source().find('{').unwrap_or(0);
    out.push(
        &INFO,
        Some(Span { start, end: start + 1 }),
        "the policy has no `Version`; add `\"Version\": \"2012-10-17\"`".to_string(),
    );
}
