//! IAM301: `iam:PassRole` allowed on every role.

use iamspect_core::Effect;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, arn_segments};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM301",
    name: "pass-role-with-star-in-resource",
    issue_code: "PASS_ROLE_WITH_STAR_IN_RESOURCE",
    severity: Severity::SecurityWarning,
    doc: r#"## What it does
Reports `Allow` statements whose actions include `iam:PassRole` (by name, by a wildcard such as
`iam:*` or `*`, or through `NotAction`) on every role: `"Resource": "*"`, a role ARN that is all
wildcard (`arn:aws:iam::*:role/*`), or `NotResource`. The issue code says which form
(`PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE`, `PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOTACTION`,
`PASS_ROLE_WITH_NOT_RESOURCE`, ...). Statements limited by `iam:PassedToService` or
`iam:AssociatedResourceArn` are not reported.

## Why is this bad?
Passing a role to a service lets the service act with the role's permissions: whoever can pass any
role can reach the permissions of every role in the account, administrators' included.

## Example
```json
{"Effect": "Allow", "Action": ["ec2:RunInstances", "iam:PassRole"], "Resource": "*"}
```
Name the roles: `arn:aws:iam::123456789012:role/app-instance-role`.
"#,
};

fn is_star(text: &str) -> bool {
    text == "*"
        || arn_segments(text)
            .is_some_and(|[_, svc, _, _, res]| matches!(svc, "iam" | "*") && matches!(res, "*" | "role/*" | "role*"))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.effect() != Effect::Allow || !s.statement.covers_action("iam:passrole") {
            continue;
        }
        let limited = s.statement.conditions().iter().any(|c| {
            c.key().eq_ignore_ascii_case("iam:PassedToService")
                || c.key().eq_ignore_ascii_case("iam:AssociatedResourceArn")
        });
        if limited {
            continue;
        }
        let Some((not_resource, rspan, resources)) = &s.resources else { continue };
        let star_action = !s.not_action
            && s.actions.iter().any(|a| a.text != "iam:PassRole" && !a.text.eq_ignore_ascii_case("iam:passrole"));
        let (issue, span) = if *not_resource {
            let issue = if s.not_action {
                "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE"
            } else if star_action {
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE"
            } else {
                "PASS_ROLE_WITH_NOT_RESOURCE"
            };
            (issue, *rspan)
        } else {
            let Some((_, span)) = resources.iter().find(|(t, _)| is_star(t)) else { continue };
            let issue = if s.not_action {
                "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOTACTION"
            } else if star_action && !s.actions.iter().any(|a| a.text.eq_ignore_ascii_case("iam:PassRole")) {
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"
            } else {
                INFO.issue_code
            };
            (issue, *span)
        };
        out.push_as(
            &INFO,
            issue,
            Some(span),
            "this statement allows `iam:PassRole` on every role; name the roles that may be passed".to_string(),
        );
    }
}
