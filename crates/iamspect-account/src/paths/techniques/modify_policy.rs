//! Writing or attaching a policy that grants everything: `iam:AttachUserPolicy`,
//! `iam:AttachGroupPolicy`, `iam:AttachRolePolicy` (the AWS managed `AdministratorAccess`, named by
//! `iam:PolicyARN`), `iam:PutUserPolicy`, `iam:PutGroupPolicy`, `iam:PutRolePolicy` (an inline
//! policy). The target becomes admin only if its boundary, its account's SCPs and its own `Deny`
//! statements let it (decision D90); a group's members are the targets of a group technique.

use super::{Ctx, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT_ATTACH: (&str, &str) = (
    "iam:Attach*Policy",
    "attaches AdministratorAccess to a user, a group it is in, or a role (iam:AttachUserPolicy, iam:AttachGroupPolicy, iam:AttachRolePolicy)",
);
pub(super) const ABOUT_PUT: (&str, &str) = (
    "iam:Put*Policy",
    "writes an inline policy granting everything to a user, a group it is in, or a role (iam:PutUserPolicy, iam:PutGroupPolicy, iam:PutRolePolicy)",
);

const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    // (action, on users, on groups, on roles, context)
    let techniques: [super::Try<'_>; 6] = [
        ("iam:AttachUserPolicy", "user", &[("iam:PolicyARN", ADMINISTRATOR_ACCESS)]),
        ("iam:AttachGroupPolicy", "group", &[("iam:PolicyARN", ADMINISTRATOR_ACCESS)]),
        ("iam:AttachRolePolicy", "role", &[("iam:PolicyARN", ADMINISTRATOR_ACCESS)]),
        ("iam:PutUserPolicy", "user", &[]),
        ("iam:PutGroupPolicy", "group", &[]),
        ("iam:PutRolePolicy", "role", &[]),
    ];
    for (action, on, extra) in techniques {
        if !cx.may(&node.principal, action) {
            continue;
        }
        let name = if action.starts_with("iam:Attach") { ABOUT_ATTACH.0 } else { ABOUT_PUT.0 };
        let what = if action.starts_with("iam:Attach") {
            "attach AdministratorAccess to"
        } else {
            "write a policy granting everything into"
        };
        match on {
            "group" => {
                for (group, members) in cx.groups_in(from) {
                    if !cx.may_on(&node.principal, action, group) {
                        continue;
                    }
                    let targets: Vec<usize> = members
                        .iter()
                        .copied()
                        .filter(|&to| cx.consider(from, to))
                        .filter(|&to| cx.nodes.get(to).is_some_and(|t| !t.admin.is_admin) && cx.admin_if_granted(to))
                        .collect();
                    if targets.is_empty() {
                        continue;
                    }
                    let Some(d) = cx.ask(&node.principal, action, group, extra, None) else { continue };
                    for to in targets {
                        let Some(target) = cx.nodes.get(to) else { continue };
                        let story = format!("`{}` can {what} group `{group}`, which `{}` is in", node.arn, target.arn);
                        out.push(edge(from, to, name, Gain::MakesAdmin, vec![d.clone()], &["iam:PolicyARN"], story));
                    }
                }
            }
            kind => {
                for (to, target) in cx.local(from, kind) {
                    if !cx.consider(from, to)
                        || target.admin.is_admin
                        || !cx.may_on(&node.principal, action, &target.arn)
                        || !cx.admin_if_granted(to)
                    {
                        continue;
                    }
                    let Some(d) = cx.ask(&node.principal, action, &target.arn, extra, None) else { continue };
                    let story = format!("`{}` can {what} `{}`", node.arn, target.arn);
                    out.push(edge(from, to, name, Gain::MakesAdmin, vec![d], &["iam:PolicyARN"], story));
                }
            }
        }
    }
}
