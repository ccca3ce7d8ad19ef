//! The conditional principals of `who-can`: the context values with which the engine allowed a
//! principal denied as asked (decision D84), and the exact condition on the keys the question left
//! unknown under which it is allowed, as IAM `Condition` blocks (`allowedIf`, decision D94).
//!
//! The residual is computed by `iamspect_symbolic::residual`, over the keys the principal's
//! policies read that neither the question nor the principal fixes. Where that cannot be written
//! exactly (too many keys or classes, a construct outside the fragment), it is computed again over
//! the keys of the confirmed values alone, and where that fails too the entry says `unknown`
//! with what could not be decided: the confirmed values are listed either way.

use std::collections::HashMap;
use std::sync::Mutex;

use iamspect_core::{Policies, Request};
use iamspect_symbolic::residual::{self, Residual, ResidualError};
use serde_json::Value;

/// The residual of one conditional principal.
pub(crate) struct AllowedIf {
    /// The keys taken as unknown.
    pub(crate) keys: Vec<String>,
    /// The condition on them, or why there is none.
    pub(crate) residual: Result<Residual, ResidualError>,
}

/// A conditional finder that remembers, per principal, the residual condition of its grant.
#[derive(Default)]
pub(crate) struct Finder {
    found: Mutex<HashMap<String, AllowedIf>>,
}

/// Keys no question varies: they follow from the principal, the resource or the clock.
fn fixed_by_request(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("aws:principal")
        || k.starts_with("aws:resource")
        || matches!(k.as_str(), "aws:userid" | "aws:username" | "aws:currenttime" | "aws:epochtime")
}

/// The keys the policies' conditions read that the request does not carry and that a request may
/// carry, each once in the spelling first seen.
fn unknown_keys(request: &Request, policies: &Policies) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for policy in residual::all_policies(policies) {
        for statement in policy.statements() {
            for condition in statement.conditions() {
                let key = condition.key();
                if key.contains(['$', '*', '?'])
                    || fixed_by_request(key)
                    || request.context().contains(key)
                    || out.iter().any(|k| k.eq_ignore_ascii_case(key))
                {
                    continue;
                }
                out.push(key.to_string());
            }
        }
    }
    out
}

impl Finder {
    /// The values with which the engine allows `request` (as `conditional_grant_values` finds
    /// them), remembering the residual condition when there are some.
    pub(crate) fn find(&self, request: &Request, policies: &Policies) -> Option<Vec<(String, String)>> {
        let values = super::who_can::conditional_finder(request, policies)?;
        let all = unknown_keys(request, policies);
        let mut keys = all.clone();
        let mut result = residual::residual(request, policies, &keys, &super::allowed_if::values_of);
        if matches!(result, Err(ResidualError::Unknown(_))) {
            // Fewer keys: those of the values found, which the grant certainly reads.
            let witness_keys: Vec<String> =
                all.iter().filter(|k| values.iter().any(|(w, _)| w.eq_ignore_ascii_case(k))).cloned().collect();
            if !witness_keys.is_empty() && witness_keys.len() < all.len() {
                let fewer = residual::residual(request, policies, &witness_keys, &super::allowed_if::values_of);
                if fewer.is_ok() {
                    keys = witness_keys;
                    result = fewer;
                }
            }
        }
        if let Ok(mut found) = self.found.lock() {
            found.insert(request.principal().arn(), AllowedIf { keys, residual: result });
        }
        Some(values)
    }

    /// The residual remembered for a principal.
    pub(crate) fn take(&self, principal: &str) -> Option<AllowedIf> {
        self.found.lock().ok()?.remove(principal)
    }
}

/// The JSON fields of a conditional entry: `allowedIf` (blocks, or `null` with `unknown`) and
/// `unknownKeys`.
pub(crate) fn to_json(found: &AllowedIf) -> serde_json::Map<String, Value> {
    super::allowed_if::to_json(&found.keys, &found.residual)
}

/// The text lines of a conditional entry.
pub(crate) fn to_text(found: &AllowedIf) -> Vec<String> {
    super::allowed_if::to_text(&found.keys, &found.residual)
}
