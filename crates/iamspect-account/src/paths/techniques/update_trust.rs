//! `iam:UpdateAssumeRolePolicy`: rewriting a role's trust policy to name the caller, then
//! assuming the role (decided against the rewritten trust policy).

use super::{Ctx, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT: (&str, &str) =
    ("iam:UpdateAssumeRolePolicy", "rewrites a role's trust policy to trust the caller, then assumes the role");

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    if !cx.may(&node.principal, ABOUT.0) {
        return;
    }
    let trust = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{}"}}, "Action": "sts:AssumeRole"}}]}}"#,
        node.arn
    );
    let Ok(policy) =
        iamspect_core::Policy::parse("the rewritten trust policy", &trust, iamspect_core::PolicyType::Trust)
    else {
        return;
    };
    let policy = std::sync::Arc::new(policy);
    for (to, role) in cx.local(from, "role") {
        if role.arn == node.arn {
            continue;
        }
        if !cx.may_on(&node.principal, ABOUT.0, &role.arn) {
            continue;
        }
        let Some(update) = cx.ask(&node.principal, ABOUT.0, &role.arn, &[], None) else { continue };
        // The role's RCPs and organization keys stay; only its trust policy is new.
        // The role's side (RCPs, organization keys) compiled once; a side that does not compile
        // is said by `Ctx::side` and the edge left out.
        let Some(side) = cx.side("sts:AssumeRole", &role.arn) else { continue };
        let mut side = (*side).clone();
        side.policy = Some(policy.clone());
        let side = std::sync::Arc::new(side);
        let Some(mut assume) = cx.ask(&node.principal, "sts:AssumeRole", &role.arn, &[], Some(side)) else {
            continue;
        };
        assume.after = Some(format!("the trust policy of `{}` is rewritten to trust `{}` only", role.arn, node.arn));
        let story =
            format!("`{}` can rewrite the trust policy of `{}` to trust itself, and assume it", node.arn, role.arn);
        out.push(edge(from, to, ABOUT.0, Gain::Becomes, vec![update, assume], &[], story));
    }
}
