//! Counterfactuals: for every explicit deny, what the decision would be without that statement;
//! for an implicit deny, which layers lack an allow.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use iamspect_core::{Effect, Outcome, Policies, Request, Trace, authorize};

use crate::Cancelled;
use crate::slots::{self, Slot};

/// At most this many context changes are tried: each is a whole decision over every policy, so
/// trying all of them would cost the number of condition values times the size of the policies.
/// [`ContextChanges::untried`] says how many were left out.
pub const MAX_CONTEXT_TRIALS: usize = 128;

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
    without_each_deny_cancellable(req, policies, trace, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`without_each_deny`], given up when `cancel` is set.
///
/// A layer denies when any of its statements is a `Deny` that applies, and the decision reads a
/// layer's statements only through what the layer says (it denies; it allows; the strongest
/// grant among its `Allow`s). So when a layer has two or more `Deny` statements that apply,
/// removing one leaves the layer denying and the decision as it was: only the layers where a
/// single `Deny` applies are decided again, and the cost stays linear in the size of the policies
/// however many statements deny. (`tests::shortcut_agrees_with_deciding_again` checks both ways.)
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn without_each_deny_cancellable(
    req: &Request,
    policies: &Policies,
    trace: &Trace,
    cancel: &AtomicBool,
) -> Result<Vec<WithoutStatement>, Cancelled> {
    without_each_deny_with(req, policies, trace, cancel, true)
}

fn without_each_deny_with(
    req: &Request,
    policies: &Policies,
    trace: &Trace,
    cancel: &AtomicBool,
    shortcut: bool,
) -> Result<Vec<WithoutStatement>, Cancelled> {
    let original = authorize(req, policies);
    let mut out = Vec::new();
    for layer in &trace.layers {
        let denies =
            layer.policies.iter().flat_map(|p| &p.statements).filter(|s| s.applied && s.effect == Effect::Deny);
        let others_deny = shortcut && denies.count() >= 2;
        for (index, p) in layer.policies.iter().enumerate() {
            for s in p.statements.iter().filter(|s| s.applied && s.effect == Effect::Deny) {
                crate::check(cancel)?;
                let slot = Slot { layer: layer.layer, index };
                let outcome = if others_deny {
                    original
                } else {
                    let mut changed = policies.clone();
                    slots::set(&mut changed, slot, Arc::new(p.policy.without_statement(s.index)));
                    authorize(req, &changed)
                };
                out.push(WithoutStatement {
                    slot,
                    policy: p.policy.name().to_string(),
                    statement: s.index,
                    sid: s.sid.clone(),
                    outcome,
                });
            }
        }
    }
    Ok(out)
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

/// The context changes that change the decision, and how many candidates were not tried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextChanges {
    /// The changes that change the decision, among those tried.
    pub changes: Vec<ContextChange>,
    /// Candidate changes not tried, past the first [`MAX_CONTEXT_TRIALS`] (0 when every one was).
    pub untried: usize,
}

/// For each condition of an applied `Deny`, and each failed condition of an `Allow` that would
/// otherwise apply, the values that flip it, tried one at a time (the first
/// [`MAX_CONTEXT_TRIALS`] of them).
pub fn context_changes(req: &Request, policies: &Policies, trace: &Trace) -> Vec<ContextChange> {
    context_changes_cancellable(req, policies, trace, &AtomicBool::new(false)).map(|c| c.changes).unwrap_or_default()
}

/// [`context_changes`], with the number of candidates not tried, given up when `cancel` is set.
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn context_changes_cancellable(
    req: &Request,
    policies: &Policies,
    trace: &Trace,
    cancel: &AtomicBool,
) -> Result<ContextChanges, Cancelled> {
    let original = authorize(req, policies).decision;
    let mut tried: Vec<(String, Option<String>)> = Vec::new();
    let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
    let mut untried = 0;
    for layer in &trace.layers {
        for p in &layer.policies {
            for s in &p.statements {
                crate::check(cancel)?;
                let Some(stmt) = crate::wire::statement(&p.policy, s.index) else { continue };
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
                        if seen.contains(&entry) {
                            continue;
                        }
                        if tried.len() < MAX_CONTEXT_TRIALS {
                            tried.push(entry.clone());
                        } else {
                            untried += 1;
                        }
                        seen.insert(entry);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (key, value) in tried {
        crate::check(cancel)?;
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
    Ok(ContextChanges { changes: out, untried })
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

    use std::path::Path;

    use iamspect_case::Compiler;

    use super::*;

    /// The decisions without each deny are the same whether the layers with several denies are
    /// decided again or not: for every case of `tests/cases` and `examples`, and for a request
    /// denied by several statements in several layers.
    #[test]
    fn shortcut_agrees_with_deciding_again() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let files = iamspect_case::case_files(&[root.join("tests/cases"), root.join("examples")]).unwrap();
        let mut compiler = Compiler::new();
        let mut builts = Vec::new();
        for file in &files {
            let Ok(case_file) = iamspect_case::load_file(file, &mut compiler) else { continue };
            builts.extend(case_file.cases.into_iter().filter_map(|c| c.built.ok()));
        }
        let deny = |sid: &str, resource: &str| {
            format!(r#"{{"Sid": "{sid}", "Effect": "Deny", "Action": "s3:*", "Resource": "{resource}"}}"#)
        };
        let policy =
            |statements: &[String]| format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, statements.join(", "));
        let many = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
                "identityPolicies": [{}, {}],
                "scps": [[{}, "FullAWSAccess"], [{}, "FullAWSAccess"]],
                "resourcePolicy": {}}}"#,
            policy(&[deny("A", "*"), deny("B", "arn:aws:s3:::b/*"), deny("C", "arn:aws:s3:::other/*")]),
            policy(&[deny("D", "arn:aws:s3:::b/k")]),
            policy(&[deny("S1", "*")]),
            policy(&[deny("S2", "*"), deny("S3", "arn:aws:s3:::b/*")]),
            policy(&[
                r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#
                    .to_string()
            ]),
        );
        let case = iamspect_case::case_from_str(0, &many, Path::new("/nonexistent"), &mut compiler).unwrap();
        builts.push(case.built.unwrap());
        let never = AtomicBool::new(false);
        let mut several = 0;
        for built in &builts {
            let traced = iamspect_core::authorize_traced(&built.request, &built.policies);
            let fast = without_each_deny_with(&built.request, &built.policies, &traced.trace, &never, true).unwrap();
            let slow = without_each_deny_with(&built.request, &built.policies, &traced.trace, &never, false).unwrap();
            assert_eq!(fast, slow);
            several += usize::from(fast.len() >= 2);
        }
        assert!(several >= 1 && builts.len() > 100, "{several} of {}", builts.len());
    }
}
