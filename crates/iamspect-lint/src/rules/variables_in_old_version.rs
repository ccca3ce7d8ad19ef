//! IAM402: policy variables where `Version` makes them literal text.

use iamspect_core::Version;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM402",
    name: "variables-in-old-version",
    issue_code: "VARIABLE_UNSUPPORTED_IN_VERSION",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `${...}` in a `Resource`, `NotResource` or condition value of a policy whose `Version` is
`2008-10-17` or missing (which means `2008-10-17`).

## Why is this bad?
Policy variables work only with `"Version": "2012-10-17"`; otherwise `${aws:username}` is literal
text and matches only resources with that literal name.

## Example
```json
{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}}
```
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    if cx.policy.version() == Some(Version::V2012_10_17) {
        return;
    }
    let message = |text: &str| {
        format!("`{text}` holds a policy variable, which is literal text unless `Version` is \"2012-10-17\"")
    };
    for s in &cx.statements {
        if let Some((_, _, resources)) = &s.resources {
            for (text, span) in resources.iter().filter(|(t, _)| t.contains("${")) {
                out.push(&INFO, Some(*span), message(text));
            }
        }
        for c in s.statement.conditions() {
            if let Some(v) = c.values().iter().find(|v| v.contains("${")) {
                out.push(&INFO, Some(c.spans().2), message(v));
            }
        }
    }
}
