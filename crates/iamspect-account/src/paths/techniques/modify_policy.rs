//! Writing or attaching a policy that grants everything: `iam:AttachUserPolicy`,
//! `iam:AttachGroupPolicy`, `iam:AttachRolePolicy` (the AWS managed `AdministratorAccess`, named by
//! `iam:PolicyARN`), `iam:PutUserPolicy`, `iam:PutGroupPolicy`, `iam:PutRolePolicy` (an inline
//! policy). The target becomes admin only if its boundary, its account's SCPs and its own `Deny`
//! statements let it (decision D90); a group's members are the targets of a group technique.

use super::{Ctx, edge};
use crate::paths::admin::{admin_with, allow_all};
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
    let Some(everything) = allow_all("a policy that allows everything") else { return };
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
                for account in cx.data.accounts.values() {
                    for group in account.groups.values() {
                        let members: Vec<usize> = cx
                            .users()
                            .filter(|(_, u)| {
                                cx.user(u).is_some_and(|x| {
                                    x.groups.contains(&group.name) && u.arn.contains(&format!(":{}:", account.id))
                                })
                            })
                            .map(|(i, _)| i)
                            .collect();
                        if members.is_empty() {
                            continue;
                        }
                        let Some(d) = cx.ask(&node.principal, action, &group.arn, extra, None) else { continue };
                        for to in members {
                            let Some(target) = cx.nodes.get(to) else { continue };
                            if target.admin.is_admin
                                || !admin_with(&target.principal, std::slice::from_ref(&everything), None)
                            {
                                continue;
                            }
                            let story = format!(
                                "`{}` can {what} group `{}`, which `{}` is in",
                                node.arn, group.arn, target.arn
                            );
                            out.push(edge(
                                from,
                                to,
                                name,
                                Gain::MakesAdmin,
                                vec![d.clone()],
                                &["iam:PolicyARN"],
                                story,
                            ));
                        }
                    }
                }
            }
            kind => {
                for (to, target) in cx.nodes.iter().enumerate().filter(|(_, n)| n.kind == kind) {
                    if target.admin.is_admin || !admin_with(&target.principal, std::slice::from_ref(&everything), None)
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
