//! `what-can`: the actions a principal may perform, from AWS's catalogue of actions, grouped by
//! service and access level.
//!
//! Only the actions some `Allow` statement of the principal covers are evaluated (all of a root
//! user's, whose own account grants it everything). Without a resource, each action is tried on
//! `*` and on a sample of each resource pattern that grants it, so "allowed" means "allowed on some
//! resource"; actions that an `Allow` would grant if its conditions held are reported as such.

use std::sync::Arc;

use iamspect_catalog::Catalog;
use iamspect_core::{
    Decision, Effect, Layer, Policies, Policy, PrincipalKind, Request, StatementOutcome, authorize, authorize_traced,
};

use super::index::{CompiledSide, IndexedPrincipal};
use crate::model::AccountData;

/// How an action is granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Allowed on the resource shown.
    Allowed,
    /// An `Allow` covers it, but its conditions do not hold for the context given.
    IfConditions(Vec<String>),
}

/// One action the principal may perform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionAccess {
    /// `service:Action`.
    pub action: String,
    /// AWS's access level (`List`, `Read`, `Write`, `Permissions management`, `Tagging`).
    pub access_level: &'static str,
    /// The resource it was decided on (a sample of the granting statement's pattern, or `*`).
    pub resource: String,
    /// Allowed, or allowed only if conditions hold.
    pub grant: Grant,
}

/// A concrete resource that `pattern` matches: wildcards and variables become `x`.
fn sample(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(end) = rest.strip_prefix("${").and_then(|r| r.find('}')) {
            out.push('x');
            rest = rest.get(end + 3..).unwrap_or("");
            continue;
        }
        out.push(if c == '*' || c == '?' { 'x' } else { c });
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

/// The resource patterns of the `Allow` statements that cover `action`; `fallback` stands for a
/// `NotResource` statement's "anything else".
fn granting_resources(policies: &[Arc<Policy>], action: &str, fallback: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in policies.iter().flat_map(|p| p.statements()) {
        if stmt.effect() != Effect::Allow || !stmt.covers_action(action) {
            continue;
        }
        match stmt.resources() {
            Some((false, items)) => out.extend(items.into_iter().map(str::to_string)),
            _ => out.push(fallback.to_string()),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What `principal` may do, over the actions of `services` (all services when empty).
pub fn what_can(
    data: &AccountData,
    principal: &IndexedPrincipal,
    services: &[String],
    resource: Option<&str>,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<Vec<ActionAccess>, String> {
    let catalog = Catalog::get();
    let is_root = matches!(principal.principal.kind, PrincipalKind::Root { .. });
    let account = principal.principal.account().unwrap_or("").to_string();
    let mut out = Vec::new();
    let mut sides = SideCache::default();
    for service in catalog.services() {
        if !services.is_empty() && !services.iter().any(|s| s.eq_ignore_ascii_case(service.prefix())) {
            continue;
        }
        for action in service.actions() {
            let name = format!("{}:{}", service.prefix(), action.name());
            let covered = is_root
                || principal
                    .identity
                    .iter()
                    .any(|p| p.statements().iter().any(|s| s.effect() == Effect::Allow && s.covers_action(&name)));
            // Role trust actions (`sts:AssumeRole`, ...) are decided on every loaded role, trust
            // policy included, and each role the principal may assume is listed (decision D86):
            // deciding them on `*` from identity policies alone over-reports a principal no role
            // trusts and misses one that only a trust policy names.
            if resource.is_none() && iamspect_core::is_role_trust_request(&name, "arn:aws:iam::111122223333:role/x") {
                let access_level = action.access_level().as_str();
                for role in data.accounts.values().flat_map(|a| a.roles.values()) {
                    let Some((request, policies)) =
                        request_for(data, &mut sides, principal, &name, &role.arn, None, context)?
                    else {
                        continue;
                    };
                    if authorize(&request, &policies).decision == Decision::Allowed {
                        out.push(ActionAccess {
                            action: name.clone(),
                            access_level,
                            resource: role.arn.clone(),
                            grant: Grant::Allowed,
                        });
                    } else if let Some(conds) = failed_allow_conditions(&request, &policies) {
                        out.push(ActionAccess {
                            action: name.clone(),
                            access_level,
                            resource: role.arn.clone(),
                            grant: Grant::IfConditions(conds),
                        });
                    }
                }
                continue;
            }
            let resources: Vec<String> = match resource {
                Some(r) => vec![r.to_string()],
                None if !covered => continue,
                None => {
                    let fallback = format!("arn:aws:{}:us-east-1:{account}:x", service.prefix());
                    let mut rs = vec!["*".to_string()];
                    rs.extend(
                        granting_resources(&principal.identity, &name, &fallback)
                            .iter()
                            .filter(|r| *r != "*")
                            .map(|r| sample(r)),
                    );
                    if is_root {
                        rs.push(fallback);
                    }
                    rs
                }
            };
            let mut conditional: Option<(String, Vec<String>)> = None;
            let mut allowed_on = None;
            for r in &resources {
                let Some((request, policies)) =
                    request_for(data, &mut sides, principal, &name, r, resource_account, context)?
                else {
                    continue;
                };
                if authorize(&request, &policies).decision == Decision::Allowed {
                    allowed_on = Some(r.clone());
                    break;
                }
                if conditional.is_none()
                    && let Some(conds) = failed_allow_conditions(&request, &policies)
                {
                    conditional = Some((r.clone(), conds));
                }
            }
            let access_level = action.access_level().as_str();
            match (allowed_on, conditional) {
                (Some(r), _) => {
                    out.push(ActionAccess { action: name, access_level, resource: r, grant: Grant::Allowed })
                }
                (None, Some((r, conds))) => out.push(ActionAccess {
                    action: name,
                    access_level,
                    resource: r,
                    grant: Grant::IfConditions(conds),
                }),
                (None, None) => {}
            }
        }
    }
    Ok(out)
}

/// The conditions of the identity and resource `Allow` statements that match the request but for
/// a condition: what the grant would need (`None` when there is none).
fn failed_allow_conditions(request: &Request, policies: &Policies) -> Option<Vec<String>> {
    let traced = authorize_traced(request, policies);
    let mut conds = Vec::new();
    for layer in traced.trace.layers.iter().filter(|l| matches!(l.layer, Layer::Identity | Layer::Resource)) {
        for p in &layer.policies {
            for s in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
                if let (StatementOutcome::ConditionFailed(_), Some(c)) = (s.outcome, &s.condition) {
                    conds.push(format!("{} {} {:?}", c.operator, c.key, c.policy_values));
                }
            }
        }
    }
    conds.sort();
    conds.dedup();
    (!conds.is_empty()).then_some(conds)
}

type Built = Option<(Request, Policies)>;

/// Compiled resource sides by resource and whether the action is a role-trust action: many
/// actions share a resource sample (`*` above all), and compiling RCPs for each would dominate.
#[derive(Default)]
struct SideCache(std::collections::HashMap<(String, bool, bool), Arc<CompiledSide>>);

fn request_for(
    data: &AccountData,
    cache: &mut SideCache,
    p: &IndexedPrincipal,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<Built, String> {
    // A trust policy, a resource policy, or a KMS key's policy with its grants: three sides.
    let trust = iamspect_core::is_role_trust_request(action, resource);
    let kms = iamspect_core::is_kms_key_request(action, resource);
    let side = match cache.0.get(&(resource.to_string(), trust, kms)) {
        Some(hit) => Arc::clone(hit),
        None => {
            let side = data.resource_side(action, resource, resource_account).map_err(|e| e.to_string())?;
            let side = Arc::new(CompiledSide::compile_for(data, side, action, resource)?);
            cache.0.insert((resource.to_string(), trust, kms), Arc::clone(&side));
            side
        }
    };
    Ok(p.request(action, resource, resource_account, &side, context))
}
