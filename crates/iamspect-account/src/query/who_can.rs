//! `who-can`: every principal of the loaded accounts that may perform an action on a resource,
//! with the conditions its access depends on.
//!
//! Candidates come from an index, not from trying everyone: a principal is evaluated only if one
//! of its identity policies has an `Allow` statement covering the action and (unless policy
//! variables make it depend on the principal) the resource, if it is a root user
//! (whose own account grants it everything), or if the resource policy has an `Allow` covering the
//! action (it may grant directly). Each policy is tested once per query, however many principals
//! share it.

use std::collections::HashMap;
use std::sync::Arc;

use iamspect_core::{Decision, Effect, Policy, PrincipalKind, authorize, authorize_traced};

use super::index::{CompiledSide, Index};
use crate::model::AccountData;

/// One principal's access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// The principal's ARN.
    pub principal: String,
    /// The decision.
    pub decision: Decision,
    /// The conditions of the `Allow` statements that grant it (`operator key values`), which the
    /// access depends on.
    pub conditions: Vec<String>,
    /// The policies whose statements grant it.
    pub granted_by: Vec<String>,
}

fn allows_action(policy: &Policy, action: &str) -> bool {
    policy.statements().iter().any(|s| s.effect() == Effect::Allow && s.covers_action(action))
}

/// Could the policy allow the action on the resource? Conditions and principals aside.
fn may_allow(policy: &Policy, action: &str, resource: &str) -> bool {
    policy
        .statements()
        .iter()
        .any(|s| s.effect() == Effect::Allow && s.covers_action(action) && s.may_cover_resource(resource))
}

/// Who may perform `action` on `resource` (whose account is `resource_account`, for ARNs without
/// one). Returns the allowed principals, sorted by ARN, and the number evaluated.
pub fn who_can(
    data: &AccountData,
    index: &Index,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<(Vec<Access>, usize), String> {
    let side = data.resource_side(action, resource, resource_account).map_err(|e| e.to_string())?;
    let side = CompiledSide::compile(side, iamspect_core::is_role_trust_request(action, resource))?;
    let resource_grants = side.policy.as_ref().is_some_and(|p| allows_action(p, action));
    let mut relevant: HashMap<*const Policy, bool> = HashMap::new();
    let mut out = Vec::new();
    let mut evaluated = 0;
    for p in &index.principals {
        let is_root = matches!(p.principal.kind, PrincipalKind::Root { .. });
        let identity_may = p
            .identity
            .iter()
            .any(|pol| *relevant.entry(Arc::as_ptr(pol)).or_insert_with(|| may_allow(pol, action, resource)));
        if !(identity_may || is_root || resource_grants) {
            continue;
        }
        evaluated += 1;
        let Some((request, policies)) = p.request(action, resource, resource_account, &side, context) else {
            return Err(format!("`{action}` on `{resource}` is not a valid request"));
        };
        if authorize(&request, &policies).decision != Decision::Allowed {
            continue;
        }
        // Allowed: say which statements grant it and what they depend on.
        let traced = authorize_traced(&request, &policies);
        let mut conditions = Vec::new();
        let mut granted_by = Vec::new();
        for (layer, pt, st) in traced.trace.applied(Effect::Allow) {
            if !matches!(layer.layer, iamspect_core::Layer::Identity | iamspect_core::Layer::Resource) {
                continue;
            }
            granted_by.push(format!("{} statement {}", pt.policy.name(), st.index));
            if let Some(stmt) = pt.policy.statements().iter().find(|s| s.index() == st.index) {
                for c in stmt.conditions() {
                    conditions.push(format!("{} {} {:?}", c.operator(), c.key(), c.values()));
                }
            }
        }
        conditions.sort();
        conditions.dedup();
        out.push(Access { principal: p.principal.arn(), decision: Decision::Allowed, conditions, granted_by });
    }
    out.sort_by(|a, b| a.principal.cmp(&b.principal));
    Ok((out, evaluated))
}
