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

/// The roles by whom their trust policies name: everyone, a principal ARN or unique id (exactly as
/// written), an account. A role is found under every name its trust policy writes.
#[derive(Default)]
pub(crate) struct TrustIndex {
    open: Vec<usize>,
    by_name: std::collections::HashMap<String, Vec<usize>>,
    by_account: std::collections::HashMap<String, Vec<usize>>,
}

impl TrustIndex {
    pub(super) fn build(roles: impl Iterator<Item = (usize, std::rc::Rc<Trust>)>) -> TrustIndex {
        let mut index = TrustIndex::default();
        for (role, t) in roles {
            if t.open {
                index.open.push(role);
            }
            for n in &t.names {
                index.by_name.entry(n.clone()).or_default().push(role);
            }
            for a in &t.accounts {
                index.by_account.entry(a.clone()).or_default().push(role);
            }
        }
        index
    }

    /// The roles whose trust policy may name a caller known by `names` in `account`, in node
    /// order; with `by_account` false, the roles that name only its account are left out.
    fn candidates<'a>(&self, names: impl Iterator<Item = &'a str>, account: &str, by_account: bool) -> Vec<usize> {
        let mut out = self.open.clone();
        for n in names {
            out.extend(self.by_name.get(n).into_iter().flatten());
        }
        if by_account {
            out.extend(self.by_account.get(account).into_iter().flatten());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
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
    // Only the roles whose trust policy names the caller, everyone, or (when the caller's own
    // policies may allow sts:AssumeRole at all) its account: every other role's trust policy
    // lets the caller in by no statement, so testing them below would find nothing.
    let names = [Some(node.arn.as_str()), role_arn, who.id.as_deref()];
    let candidates =
        cx.trust_index().candidates(names.into_iter().flatten(), account, cx.may(&node.principal, "sts:AssumeRole"));
    for to in candidates {
        let Some(role) = cx.nodes.get(to) else { continue };
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
