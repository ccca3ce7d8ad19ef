//! Role assumption: `sts:AssumeRole` on a role, allowed by the caller's own policies and the
//! role's trust policy together (or by the trust policy alone when it names the caller in the
//! same account), with boundaries, SCPs and RCPs as the engine weighs them. Role chains are paths
//! of these edges.

use super::{Ctx, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT: (&str, &str) =
    ("sts:AssumeRole", "assumes the role: its trust policy and the caller's own policies allow sts:AssumeRole");

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    let may = cx.may(&node.principal, "sts:AssumeRole");
    for (to, role) in cx.roles() {
        if to == from || role.arn == node.arn {
            continue;
        }
        // Without an identity grant, only a trust policy that names the caller can allow it.
        let named = cx.role(role).and_then(|r| r.trust_policy.as_deref()).is_some_and(|t| {
            t.contains(&node.arn)
                || matches!(&node.principal.principal.kind, iamspect_core::PrincipalKind::RoleSession { role_arn, .. } if t.contains(role_arn.as_str()))
                || t.contains("\"*\"")
                || node.principal.principal.id.as_deref().is_some_and(|id| t.contains(id))
        });
        if !may && !named {
            continue;
        }
        let Some(d) = cx.ask(&node.principal, "sts:AssumeRole", &role.arn, &[], None) else { continue };
        let story = format!("`{}` can assume `{}`", node.arn, role.arn);
        out.push(edge(from, to, ABOUT.0, Gain::Becomes, vec![d], &[], story));
    }
}
