//! Role assumption: `sts:AssumeRole` on a role, allowed by the caller's own policies and the
//! role's trust policy together (or by the trust policy alone when it names the caller in the
//! same account), with boundaries, SCPs and RCPs as the engine weighs them. Role chains are paths
//! of these edges.

use super::{Ctx, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT: (&str, &str) =
    ("sts:AssumeRole", "assumes the role: its trust policy and the caller's own policies allow sts:AssumeRole");

/// Who a trust policy's `Allow` statements name: everyone (`"*"`), principal ARNs and unique ids,
/// accounts (by id or root ARN).
#[derive(Default)]
pub(crate) struct Trust {
    open: bool,
    names: std::collections::HashSet<String>,
    accounts: std::collections::HashSet<String>,
}

pub(super) fn trust(policy: Option<&str>) -> Trust {
    let mut t = Trust::default();
    let Some(text) = policy else { return t };
    let Ok(p) = iamspect_core::Policy::parse("trust", text, iamspect_core::PolicyType::Trust) else {
        // Not readable here: asked of everyone, and the engine's error is said there.
        t.open = true;
        return t;
    };
    for s in p.statements().iter().filter(|s| s.effect() == iamspect_core::Effect::Allow) {
        match s.principal_entries() {
            Some((false, entries)) => {
                for (kind, value) in entries {
                    match (kind, value.as_str()) {
                        ("*", _) | ("AWS", "*") => t.open = true,
                        ("AWS", v) if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) => {
                            t.accounts.insert(v.to_string());
                        }
                        ("AWS", v) if v.ends_with(":root") => {
                            if let Some(a) = iamspect_core::Arn::parse(v) {
                                t.accounts.insert(a.account.to_string());
                            }
                        }
                        ("AWS", v) => {
                            t.names.insert(v.to_string());
                        }
                        _ => {}
                    }
                }
            }
            // NotPrincipal, or no principal: anyone may be meant.
            _ => t.open = true,
        }
    }
    t
}

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    let who = &node.principal.principal;
    let role_arn = match &who.kind {
        iamspect_core::PrincipalKind::RoleSession { role_arn, .. } => Some(role_arn.as_str()),
        _ => None,
    };
    let account = who.account().unwrap_or("");
    for (to, role) in cx.roles() {
        if to == from || role.arn == node.arn {
            continue;
        }
        let t = cx.trust_of(to);
        let named = t.open
            || t.names.contains(&node.arn)
            || role_arn.is_some_and(|r| t.names.contains(r))
            || who.id.as_deref().is_some_and(|id| t.names.contains(id));
        // Naming the account needs the caller's own policies to allow it too.
        let through_account = t.accounts.contains(account) && cx.may_on(&node.principal, "sts:AssumeRole", &role.arn);
        if !named && !through_account {
            continue;
        }
        let Some(d) = cx.ask(&node.principal, "sts:AssumeRole", &role.arn, &[], None) else { continue };
        let story = format!("`{}` can assume `{}`", node.arn, role.arn);
        out.push(edge(from, to, ABOUT.0, Gain::Becomes, vec![d], &[], story));
    }
}
