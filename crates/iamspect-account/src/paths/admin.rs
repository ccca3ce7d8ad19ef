//! What "admin" means (decision D90): a principal that may perform every action on every
//! resource of its account after every policy type on its side.
//!
//! Decided from the policies' structure, since "every action on every resource" is not one
//! request: every layer on the principal's side must hold an unconditional `Allow` of `"*"` on
//! `"*"` (its identity policies, its permissions boundary if it has one, and each SCP level of its
//! account), and no identity policy or boundary may hold a `Deny` (which would take some request
//! away). A root user's own account grants it everything, so only the SCP levels count for it. SCP
//! `Deny` statements do not take the word away: they bind every principal of the account alike
//! (an organization's guardrails), so the answer lists them as the limits of that admin.

use std::sync::Arc;

use iamspect_core::{Effect, Policy, PrincipalKind};

use crate::query::IndexedPrincipal;

/// Whether a principal is admin, and why (or why not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    /// True when the principal may perform every action on every resource of its account.
    pub is_admin: bool,
    /// Why: the statement that grants everything, or what takes it away.
    pub why: String,
    /// SCP statements that deny some requests to every principal of the account (the
    /// organization's guardrails, which an admin is within).
    pub guardrails: Vec<String>,
}

/// An unconditional `Allow` of `Action: "*"` on `Resource: "*"` in `policy`: its name and index.
fn allows_everything(policy: &Policy) -> Option<String> {
    policy.statements().iter().find_map(|s| {
        let (not_action, _, actions) = s.action_entries();
        let everything_acted = !not_action && actions.iter().any(|(a, _)| *a == "*");
        let everywhere = match s.resources() {
            Some((false, rs)) => rs.contains(&"*"),
            _ => false,
        };
        (s.effect() == Effect::Allow && s.conditions().is_empty() && everything_acted && everywhere)
            .then(|| format!("{} statement {}", policy.name(), s.index()))
    })
}

/// The first `Deny` statement of `policy`, named.
fn first_deny(policy: &Policy) -> Option<String> {
    policy
        .statements()
        .iter()
        .find(|s| s.effect() == Effect::Deny)
        .map(|s| format!("{} statement {}", policy.name(), s.index()))
}

/// Decides whether `p` is admin (decision D90).
pub fn admin(p: &IndexedPrincipal) -> Admin {
    let mut guardrails = Vec::new();
    let not = |why: String| Admin { is_admin: false, why, guardrails: Vec::new() };
    // The organization's ceiling: every SCP level must allow everything.
    if let Some(levels) = &p.scps {
        for (i, level) in levels.iter().enumerate() {
            if !level.iter().any(|pol| allows_everything(pol).is_some()) {
                return not(format!(
                    "SCP level {} does not allow every action (no unconditional Allow of * on *)",
                    i + 1
                ));
            }
            for pol in level {
                if let Some(d) = first_deny(pol) {
                    guardrails.push(d);
                }
            }
        }
    }
    if matches!(p.principal.kind, PrincipalKind::Root { .. }) {
        return Admin { is_admin: true, why: "the root user of its account".to_string(), guardrails };
    }
    let Some(grant) = p.identity.iter().find_map(|pol| allows_everything(pol)) else {
        return not("no identity policy allows * on * without a condition".to_string());
    };
    if let Some(b) = p.boundary.as_ref().filter(|b| allows_everything(b).is_none()) {
        return not(format!("its permissions boundary `{}` does not allow * on *", b.name()));
    }
    let own: Vec<&Arc<Policy>> = p.identity.iter().chain(p.boundary.iter()).collect();
    if let Some(d) = own.iter().find_map(|pol| first_deny(pol)) {
        return not(format!("{d} denies some requests"));
    }
    Admin { is_admin: true, why: format!("{grant} allows * on *"), guardrails }
}

/// The identity policy that grants everything, as a `PutUserPolicy`/`CreatePolicyVersion` would
/// write it.
pub(crate) fn allow_all(name: &str) -> Option<Arc<Policy>> {
    Policy::parse(
        name,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        iamspect_core::PolicyType::Identity,
    )
    .ok()
    .map(Arc::new)
}

/// Would `p` be admin with `added` identity policies, and `removed` (by name) taken away?
pub(crate) fn admin_with(p: &IndexedPrincipal, added: &[Arc<Policy>], removed: Option<&str>) -> bool {
    let mut changed = p.clone();
    if let Some(name) = removed {
        changed.identity.retain(|pol| pol.name() != name);
    }
    changed.identity.extend(added.iter().cloned());
    admin(&changed).is_admin
}
