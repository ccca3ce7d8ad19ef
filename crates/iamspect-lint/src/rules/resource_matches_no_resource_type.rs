//! IAM205: a resource that no action of its statement can act on.

use std::collections::HashSet;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved, arn_segments, glob_intersects, has_wildcard, variables_as_stars};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM205",
    name: "resource-matches-no-resource-type",
    issue_code: "UNSUPPORTED_RESOURCE_ARN_IN_POLICY",
    severity: Severity::Error,
    doc: r#"## What it does
Reports a `Resource` ARN that matches the ARN format of no resource type of any action of its
statement, according to AWS's catalogue: an object ARN for `s3:ListBucket`, a bucket ARN for
`s3:GetObject` alone, a table ARN for an S3 action.

The rule stays silent unless every action of the statement is known to the catalogue and none of
them acts only on `"*"` (such actions name no resource type), and it compares only the service
and resource parts of the ARN, ignoring case, so that it never reports a resource that can match.
Because AWS's catalogue does not list every resource type an action accepts, an ARN of another
resource type of the same service is reported only for S3, whose listing is complete; ARNs of other
services are not reported.

## Why is this bad?
The statement allows or denies nothing on that resource: the request ARN of every one of its
actions has another shape.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket"}
```
`s3:GetObject` acts on objects: use `arn:aws:s3:::my-bucket/*`.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.not_action || s.actions.is_empty() {
            continue;
        }
        let Some((false, _, resources)) = &s.resources else { continue };
        // Only when every action is known and each names at least one resource type.
        let mut formats: HashSet<&'static str> = HashSet::new();
        let mut types: Vec<String> = Vec::new();
        let mut ok = true;
        'actions: for a in &s.actions {
            let Resolved::Actions(actions) = &a.resolved else {
                ok = false;
                break;
            };
            for action in actions {
                if action.resource_types().len() == 0 {
                    ok = false;
                    break 'actions;
                }
                for rt in action.resource_types() {
                    let t = rt.resource_type();
                    let mut new = false;
                    for f in t.arn_formats() {
                        new |= formats.insert(f);
                    }
                    if new && types.len() < 8 {
                        types.push(format!("{}:{}", t.service().prefix(), t.name()));
                    }
                }
            }
        }
        if !ok || formats.is_empty() {
            continue;
        }
        let formats: Vec<[String; 2]> = formats
            .iter()
            .filter_map(|f| {
                let f = variables_as_stars(f);
                arn_segments(&f).map(|seg| [seg[1].to_string(), seg[4].to_string()])
            })
            .collect();
        for (text, span) in resources {
            if *text == "*" {
                continue;
            }
            let r = variables_as_stars(text);
            let Some(seg) = arn_segments(&r) else { continue };
            if has_wildcard(seg[1]) || seg[1].starts_with(['<', '[']) || seg[4].starts_with(['<', '[']) {
                continue;
            }
            // Only ARNs of the actions' own services: cross-service ARNs and renamed services
            // (`codeconnections` for `codestar-connections`) are left alone.
            if !formats.iter().any(|[svc, _]| svc.eq_ignore_ascii_case(seg[1])) {
                continue;
            }
            let hit = formats.iter().any(|[svc, res]| svc.eq_ignore_ascii_case(seg[1]) && glob_intersects(seg[4], res));
            if hit {
                continue;
            }
            // AWS's catalogue does not list every resource type an action accepts. Unless the
            // service is one whose listing is complete (S3), report only ARNs that match no
            // resource type of the service at all.
            let service = cx.catalog.service(seg[1]);
            let known_type = !seg[1].eq_ignore_ascii_case("s3")
                && service.is_some_and(|svc| {
                    svc.resource_types().any(|t| {
                        t.arn_formats().iter().any(|f| {
                            let f = variables_as_stars(f);
                            arn_segments(&f).is_some_and(|fs| glob_intersects(seg[4], fs[4]))
                        })
                    })
                });
            if known_type {
                continue;
            }
            out.push(
                &INFO,
                Some(*span),
                format!(
                    "`{text}` matches no resource type of the statement's actions (they act on {})",
                    types.join(", ")
                ),
            );
        }
    }
}
