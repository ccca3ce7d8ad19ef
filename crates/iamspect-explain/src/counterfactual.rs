//! Counterfactuals: for every explicit deny, what the decision would be without that statement;
//! for an implicit deny, which layers lack an allow.

use std::sync::Arc;

use iamspect_core::{Effect, Outcome, Policies, Request, Trace, authorize};

use crate::slots::{self, Slot};

/// What the decision would be without one deny statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithoutStatement {
    /// Where the policy is.
    pub slot: Slot,
    /// The policy's name.
    pub policy: String,
    /// The statement's index.
    pub statement: usize,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// The decision without it.
    pub outcome: Outcome,
}

/// For each `Deny` statement that applied, the decision without it.
pub fn without_each_deny(req: &Request, policies: &Policies, trace: &Trace) -> Vec<WithoutStatement> {
    let mut out = Vec::new();
    for layer in &trace.layers {
        for (index, p) in layer.policies.iter().enumerate() {
            for s in p.statements.iter().filter(|s| s.applied && s.effect == Effect::Deny) {
                let slot = Slot { layer: layer.layer, index };
                let mut changed = policies.clone();
                slots::set(&mut changed, slot, Arc::new(p.policy.without_statement(s.index)));
                out.push(WithoutStatement {
                    slot,
                    policy: p.policy.name().to_string(),
                    statement: s.index,
                    sid: s.sid.clone(),
                    outcome: authorize(req, &changed),
                });
            }
        }
    }
    out
}

/// A change to the request's context that changes the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextChange {
    /// The condition key.
    pub key: String,
    /// The value tried; `None` means the key removed.
    pub value: Option<String>,
    /// The decision with the change.
    pub outcome: Outcome,
}

/// Keys that follow from who the caller is; changing them is not a change to the request.
fn is_identity_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("aws:principal") || k == "aws:userid" || k == "aws:username" || k == "aws:resourceaccount"
}

/// For each condition of an applied `Deny`, and each failed condition of an `Allow` that would
/// otherwise apply, the values that flip it, tried one at a time.
pub fn context_changes(req: &Request, policies: &Policies, trace: &Trace) -> Vec<ContextChange> {
    let original = authorize(req, policies).decision;
    let mut tried: Vec<(String, Option<String>)> = Vec::new();
    for layer in &trace.layers {
        for p in &layer.policies {
            for s in &p.statements {
                let Some(stmt) = p.policy.statements().iter().find(|x| x.index() == s.index) else { continue };
                let conditions: Vec<_> = match (s.effect, s.applied, &s.condition) {
                    (Effect::Deny, true, _) => stmt.conditions().iter().collect(),
                    (Effect::Allow, false, Some(c)) => stmt.conditions().get(c.index).into_iter().collect(),
                    _ => Vec::new(),
                };
                for c in conditions {
                    if is_identity_key(c.key()) {
                        continue;
                    }
                    for v in candidate_values(c) {
                        let entry = (c.key().to_string(), v);
                        if !tried.contains(&entry) {
                            tried.push(entry);
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (key, value) in tried {
        let mut ctx = req.context().clone();
        match &value {
            Some(v) => ctx.insert(&key, vec![v.clone()]),
            None => ctx.remove(&key),
        }
        let Ok(changed) =
            Request::new(req.principal().clone(), req.action(), req.resource(), req.resource_account(), ctx)
        else {
            continue;
        };
        let outcome = authorize(&changed, policies);
        if outcome.decision != original {
            out.push(ContextChange { key, value, outcome });
        }
    }
    out
}

/// Values worth trying for one condition: each literal policy value, the opposite boolean, and
/// the key removed.
fn candidate_values(c: &iamspect_core::condition::Condition) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for v in c.values() {
        if v.contains(['*', '?']) || v.contains("${") {
            continue;
        }
        out.push(Some(v.clone()));
        match v.to_ascii_lowercase().as_str() {
            "true" => out.push(Some("false".to_string())),
            "false" => out.push(Some("true".to_string())),
            _ => {}
        }
    }
    out.push(None);
    out
}
