//! `iam:CreateLoginProfile` (a user without a console password) and `iam:UpdateLoginProfile` (a
//! user with one) on another user: the caller sets the password and signs in as that user.

use super::{Ctx, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT_CREATE: (&str, &str) =
    ("iam:CreateLoginProfile", "gives another user a console password and signs in as that user");
pub(super) const ABOUT_UPDATE: (&str, &str) =
    ("iam:UpdateLoginProfile", "changes another user's console password and signs in as that user");

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    for (technique, has_password) in [(ABOUT_CREATE.0, false), (ABOUT_UPDATE.0, true)] {
        if !cx.may(&node.principal, technique) {
            continue;
        }
        for (to, user) in cx.local(from, "user") {
            if to == from {
                continue;
            }
            if !cx.may_on(&node.principal, technique, &user.arn) {
                continue;
            }
            let Some(d) = cx.ask(&node.principal, technique, &user.arn, &[], None) else { continue };
            let verb = if has_password { "change the console password of" } else { "give a console password to" };
            let story = format!("`{}` can {verb} `{}` and sign in as it", node.arn, user.arn);
            let needs = Some(format!(
                "`{}` {} console password, and no MFA device (the account data does not say)",
                user.arn,
                if has_password { "has a" } else { "has no" }
            ));
            let mut e = edge(from, to, technique, Gain::Becomes, vec![d], &[], story);
            e.conditions.extend(needs);
            out.push(e);
        }
    }
}
