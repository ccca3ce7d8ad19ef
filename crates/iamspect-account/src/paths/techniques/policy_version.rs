//! Changing what a customer managed policy says: `iam:CreatePolicyVersion` (a new default version
//! granting everything) and `iam:SetDefaultPolicyVersion` (making an existing version the
//! default), on a policy attached to the target (directly or through a group). AWS managed
//! policies cannot be changed.

use std::sync::Arc;

use iamspect_core::{Policy, PolicyType};

use super::{Ctx, edge};
use crate::paths::admin::{admin_with, allow_all};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT_CREATE: (&str, &str) = (
    "iam:CreatePolicyVersion",
    "makes a new default version, granting everything, of a customer managed policy attached to the target",
);
pub(super) const ABOUT_SET_DEFAULT: (&str, &str) = (
    "iam:SetDefaultPolicyVersion",
    "makes another version of a customer managed policy attached to the target its default version",
);

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    let create = cx.may(&node.principal, ABOUT_CREATE.0);
    let set_default = cx.may(&node.principal, ABOUT_SET_DEFAULT.0);
    if !create && !set_default {
        return;
    }
    // Looking at itself only: the policies attached to it.
    let own: Vec<&str> = node.principal.identity.iter().map(|p| p.name()).collect();
    for (arn, targets) in cx.attached_in(from).filter(|(arn, _)| !cx.self_only() || own.contains(arn)) {
        let create = create && cx.may_on(&node.principal, ABOUT_CREATE.0, arn);
        let set_default = set_default && cx.may_on(&node.principal, ABOUT_SET_DEFAULT.0, arn);
        if !create && !set_default {
            continue;
        }
        for &to in targets.iter().filter(|&&to| cx.consider(from, to)) {
            let Some(target) = cx.nodes.get(to).filter(|t| !t.admin.is_admin) else { continue };
            if create {
                let replaced = allow_all(arn).into_iter().collect::<Vec<_>>();
                let asked = admin_with(&target.principal, &replaced, Some(arn))
                    .then(|| cx.ask(&node.principal, ABOUT_CREATE.0, arn, &[], None))
                    .flatten();
                if let Some(d) = asked {
                    let story = format!(
                        "`{}` can make a new default version of `{arn}`, which is attached to `{}`, granting everything",
                        node.arn, target.arn
                    );
                    out.push(edge(from, to, ABOUT_CREATE.0, Gain::MakesAdmin, vec![d], &[], story));
                }
            }
            if set_default {
                set_default_edge(cx, from, to, arn, out);
            }
        }
    }
}

/// `iam:SetDefaultPolicyVersion` on `arn`, attached to `to`: an edge when a listed version would
/// make `to` admin, or (when the data lists no other version) one that would.
fn set_default_edge(cx: &Ctx<'_>, from: usize, to: usize, arn: &str, out: &mut Vec<Edge>) {
    let (Some(node), Some(target)) = (cx.nodes.get(from), cx.nodes.get(to)) else { return };
    let Some(policy) = cx.data.managed_policies.get(arn) else { return };
    let mut found = None;
    for (version, document) in &policy.other_versions {
        let p = match Policy::parse(arn, document, PolicyType::Identity) {
            Ok(p) => p,
            Err(e) => {
                cx.left_out(format!("{arn} version {version}: {e}; not weighed for iam:SetDefaultPolicyVersion"));
                continue;
            }
        };
        if admin_with(&target.principal, &[Arc::new(p)], Some(arn)) {
            found = Some(version.clone());
            break;
        }
    }
    let needs = match (&found, policy.other_versions.is_empty()) {
        (Some(_), _) => None,
        // The data lists only the default version: a dump trimmed of the others may hide one;
        // the edge holds only if one grants everything.
        (None, true) => {
            let everything = allow_all(arn).into_iter().collect::<Vec<_>>();
            if !admin_with(&target.principal, &everything, Some(arn)) {
                return;
            }
            Some(format!(
                "`{arn}` has a non-default version that grants everything (the account data lists only its default version)"
            ))
        }
        (None, false) => return,
    };
    let Some(d) = cx.ask(&node.principal, ABOUT_SET_DEFAULT.0, arn, &[], None) else { return };
    let story = format!(
        "`{}` can make {} of `{arn}`, which is attached to `{}`, its default version",
        node.arn,
        found.as_deref().map_or("another version".to_string(), |v| format!("version `{v}`")),
        target.arn
    );
    let mut e = edge(from, to, ABOUT_SET_DEFAULT.0, Gain::MakesAdmin, vec![d], &[], story);
    e.conditions.extend(needs);
    out.push(e);
}
