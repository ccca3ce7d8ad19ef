//! `iam:AddUserToGroup`: putting a user (the caller, or one it can become) into a group whose
//! policies make it admin.

use std::sync::Arc;

use iamspect_core::Policy;

use super::{Ctx, edge};
use crate::paths::Decided;
use crate::paths::admin::{admin_with, allow_all};
use crate::paths::{Edge, Gain};
use crate::query::IndexedPrincipal;

pub(super) const ABOUT: (&str, &str) =
    ("iam:AddUserToGroup", "adds a user to a group whose policies, with the user's own, make it admin");

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    if !cx.may(&node.principal, ABOUT.0) {
        return;
    }
    // IAM changes only its own account's groups (D93).
    let Some(account) = cx.data.accounts.get(cx.account(from)) else { return };
    for group in account.groups.values().filter(|g| cx.may_on(&node.principal, ABOUT.0, &g.arn)) {
        // The group's policies, compiled once, as the user would have them.
        let compiled = cx.group_policies(group);
        let policies = match &*compiled {
            Ok(p) => p,
            Err(None) => {
                cx.left_out(format!("{}: a policy attached to it is not in the loaded data, so iam:AddUserToGroup into it was not followed", group.arn));
                continue;
            }
            Err(Some(e)) => {
                cx.left_out(format!("{}: {e}; iam:AddUserToGroup into it was not followed", group.arn));
                continue;
            }
        };
        let mut asked = None;
        for (to, user) in cx.local(from, "user") {
            let member = cx.user(user).is_some_and(|u| u.groups.contains(&group.name));
            if !cx.consider(from, to) || member || user.admin.is_admin {
                continue;
            }
            // In the group, the user is admin, or can then make itself admin (decision D92).
            let joined = joined(&user.principal, policies);
            let then = if admin_with(&user.principal, policies, None) {
                Vec::new()
            } else {
                match self_escalation(cx, &joined, &user.arn, &group.arn) {
                    Some(d) => vec![d],
                    None => continue,
                }
            };
            let d = asked.get_or_insert_with(|| cx.ask(&node.principal, ABOUT.0, &group.arn, &[], None));
            let Some(d) = d.clone() else { break };
            let story = if then.is_empty() {
                format!("`{}` can add `{}` to group `{}`, whose policies make it admin", node.arn, user.arn, group.arn)
            } else {
                format!(
                    "`{}` can add `{}` to group `{}`, whose policies let it then give itself every permission ({})",
                    node.arn,
                    user.arn,
                    group.arn,
                    then.iter().map(|d| d.action.as_str()).collect::<Vec<_>>().join(", ")
                )
            };
            let mut requests = vec![d];
            requests.extend(then);
            out.push(edge(from, to, ABOUT.0, Gain::MakesAdmin, requests, &["iam:PolicyARN"], story));
        }
    }
}

/// The user with the group's policies added.
fn joined(user: &IndexedPrincipal, group: &[Arc<Policy>]) -> IndexedPrincipal {
    let mut p = user.clone();
    p.identity.extend(group.iter().cloned());
    p
}

/// With the group's policies, can the user give itself every permission (a policy written into
/// or attached to itself or the group), and would that make it admin? The request that does it.
fn self_escalation(cx: &Ctx<'_>, joined: &IndexedPrincipal, user: &str, group: &str) -> Option<Decided> {
    let everything = allow_all("a policy that allows everything")?;
    if !admin_with(joined, &[everything], None) {
        return None;
    }
    const ADMIN: &[(&str, &str)] = &[("iam:PolicyARN", "arn:aws:iam::aws:policy/AdministratorAccess")];
    let tries: [super::Try<'_>; 4] = [
        ("iam:PutUserPolicy", user, &[]),
        ("iam:AttachUserPolicy", user, ADMIN),
        ("iam:PutGroupPolicy", group, &[]),
        ("iam:AttachGroupPolicy", group, ADMIN),
    ];
    let mut d =
        tries.iter().filter(|(a, ..)| cx.may(joined, a)).find_map(|(a, r, extra)| cx.ask(joined, a, r, extra, None))?;
    d.after = Some(format!("`{user}` is added to `{group}`"));
    Some(d)
}
