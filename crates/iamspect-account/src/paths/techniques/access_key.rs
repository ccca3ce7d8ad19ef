//! `iam:CreateAccessKey` on another user: the caller then signs requests as that user.

use super::{Ctx, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT: (&str, &str) =
    ("iam:CreateAccessKey", "creates an access key for another user and signs requests as that user");

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    if !cx.may(&node.principal, "iam:CreateAccessKey") {
        return;
    }
    for (to, user) in cx.local(from, "user") {
        if to == from {
            continue;
        }
        if !cx.may_on(&node.principal, "iam:CreateAccessKey", &user.arn) {
            continue;
        }
        let Some(d) = cx.ask(&node.principal, "iam:CreateAccessKey", &user.arn, &[], None) else { continue };
        let story = format!("`{}` can create an access key for `{}`", node.arn, user.arn);
        // AWS allows two keys per user; the account data does not say how many it has.
        let needs = Some(format!("`{}` has fewer than two access keys (the account data does not say)", user.arn));
        let mut e = edge(from, to, ABOUT.0, Gain::Becomes, vec![d], &[], story);
        e.conditions.extend(needs);
        out.push(e);
    }
}
