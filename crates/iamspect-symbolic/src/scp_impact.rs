//! What attaching an SCP breaks: the requests one principal may make today (its identity
//! policies, permissions boundary and SCP levels, combined as the engine combines them) that the
//! engine denies once the new SCP is attached at one level of its account's path (decision D121).
//!
//! Attaching adds the policy to its level: the level then allows what any of its policies allows
//! and denies what any denies. Both sides are compiled exactly, so the question is
//! "today and not after". The keys AWS fills in from the caller (its ARN, account, type, tags,
//! organization) are fixed to the principal's values: a request of this principal cannot carry
//! others.

use std::sync::Arc;

use iamspect_core::{Policy, PolicyType};

use crate::compile::{Builder, Domain, Lang};
use crate::formula::F;
use crate::{Query, Unknown, free_call, glob, protected};

/// One principal's side of the engine, as the account index gathers it.
#[derive(Clone, Debug)]
pub struct PrincipalSide<'a> {
    /// Identity-based policies.
    pub identity: &'a [Arc<Policy>],
    /// The permissions boundary.
    pub boundary: Option<&'a Policy>,
    /// SCP levels, root first.
    pub scps: &'a [Vec<Arc<Policy>>],
    /// Keys whose values follow from the caller: `Some(values)` fixed, `None` absent.
    pub fixed: &'a [(String, Option<Vec<String>>)],
    /// Key prefixes (`aws:PrincipalTag/`) of which only the keys in `fixed` exist.
    pub closed_prefixes: &'a [&'a str],
    /// Keys every request of the principal carries, whatever their values (`aws:RequestedRegion`).
    pub present: &'a [&'a str],
    /// The account's root user: its own account allows it everything (its identity side is not
    /// its policies).
    pub root: bool,
}

/// (some `Allow` of the set applies, some `Deny` applies).
fn allow_deny(b: &mut Builder, policies: &[&Policy]) -> Result<(F, F), Unknown> {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    for p in policies {
        let (a, d) = b.allow_deny(p).map_err(|e| e.in_policy(p.name()))?;
        allows.push(a);
        denies.push(d);
    }
    let a = b.f.or(allows);
    let d = b.f.or(denies);
    Ok((a, d))
}

fn layer(b: &mut Builder, (a, d): (F, F)) -> F {
    let nd = b.f.not(d);
    b.f.and(vec![a, nd])
}

/// What is attached at one level of the principal's organization path.
#[derive(Clone, Copy, Debug)]
pub struct OrgChange<'a> {
    /// The level (0 is the organization's root).
    pub target_level: usize,
    /// The SCP attached there, if any.
    pub scp: Option<&'a Policy>,
    /// The RCP attached there, if any (decision D152).
    pub rcp: Option<&'a Policy>,
    /// The RCP levels of the principal's account (root first): today's, for the requests on its
    /// own account's resources. Empty: no RCP applies (and `rcp` must be `None`).
    pub rcps: &'a [Vec<Arc<Policy>>],
}

/// Every RCP of `policies` lets the request through (decision D58: `RCPFullAWSAccess` is beside
/// each, so only their denies, on the services RCPs cover, decide).
fn rcps_allow(b: &mut Builder, policies: &[&Policy]) -> Result<F, Unknown> {
    let mut parts = Vec::new();
    for p in policies {
        parts.push(crate::allows_as(b, p, PolicyType::Rcp)?);
    }
    Ok(b.f.and(parts))
}

impl Query {
    /// Requests `side` allows today that it does not once `new` is attached at SCP level
    /// `target_level` (0 is the organization's root).
    pub fn scp_breaks(side: &PrincipalSide<'_>, target_level: usize, new: &Policy) -> Result<Query, Unknown> {
        Query::org_breaks(side, &OrgChange { target_level, scp: Some(new), rcp: None, rcps: &[] })
    }

    /// Requests of `side` on resources of its own account that it may make today (its identity
    /// side, SCP levels and its account's RCP levels) and not once `change` is attached.
    pub fn org_breaks(side: &PrincipalSide<'_>, change: &OrgChange<'_>) -> Result<Query, Unknown> {
        let target_level = change.target_level;
        if target_level >= side.scps.len() || (change.rcp.is_some() && target_level >= change.rcps.len()) {
            return Err(Unknown::new(format!(
                "internal: level {target_level} of a path with {} SCP and {} RCP levels",
                side.scps.len(),
                change.rcps.len()
            )));
        }
        let mut b = Builder::default();
        // The caller is the principal: an IAM identity or its account's root user.
        b.caller_is_aws_identity = true;
        let identity: Vec<&Policy> = side.identity.iter().map(|p| p.as_ref()).collect();
        let id = allow_deny(&mut b, &identity)?;
        let id_ok = if side.root { b.f.constant(true) } else { layer(&mut b, id) };
        // Only actions some identity policy allows can be allowed today.
        if !side.root {
            b.scope_actions_to(id.0);
        }
        let mut today = vec![id_ok];
        let mut after = vec![id_ok];
        if let Some(boundary) = side.boundary {
            let bd = allow_deny(&mut b, &[boundary])?;
            let ok = layer(&mut b, bd);
            today.push(ok);
            after.push(ok);
        }
        let new_scp = match change.scp {
            Some(p) => Some(allow_deny(&mut b, &[p])?),
            None => None,
        };
        for (i, level) in side.scps.iter().enumerate() {
            let policies: Vec<&Policy> = level.iter().map(|p| p.as_ref()).collect();
            let (a, d) = allow_deny(&mut b, &policies)?;
            today.push(layer(&mut b, (a, d)));
            match new_scp {
                Some((new_a, new_d)) if i == target_level => {
                    let a2 = b.f.or(vec![a, new_a]);
                    let d2 = b.f.or(vec![d, new_d]);
                    after.push(layer(&mut b, (a2, d2)));
                }
                _ => after.push(layer(&mut b, (a, d))),
            }
        }
        let existing_rcps: Vec<&Policy> = change.rcps.iter().flatten().map(|p| p.as_ref()).collect();
        if !existing_rcps.is_empty() {
            let ok = rcps_allow(&mut b, &existing_rcps)?;
            today.push(ok);
            after.push(ok);
        }
        if let Some(rcp) = change.rcp {
            let ok = rcps_allow(&mut b, &[rcp])?;
            after.push(ok);
        }
        b.action_scope = None;
        b.scope_services = None;
        let today = b.f.and(today);
        let after = b.f.and(after);
        let not_after = b.f.not(after);
        let free = free_call(&mut b)?;
        let not_free = b.f.not(free);
        let mut parts = vec![today, not_after, not_free, protected(&mut b)?];
        parts.extend(fixed_keys(&mut b, side)?);
        let root = b.f.and(parts);
        Ok(Query { b, root, policy_type: PolicyType::Scp })
    }

    /// Some request, by any caller on any resource, that today's RCP levels let through and the
    /// RCP `new` denies. Only its absence is used (a proof that attaching `new` breaks nothing,
    /// decision D152): the caller's keys are free, which can only add requests.
    pub fn rcp_denies_more(levels: &[Vec<Arc<Policy>>], new: &Policy) -> Result<Query, Unknown> {
        let mut b = Builder::default();
        let existing: Vec<&Policy> = levels.iter().flatten().map(|p| p.as_ref()).collect();
        let today = rcps_allow(&mut b, &existing)?;
        let after = rcps_allow(&mut b, &[new])?;
        let not_after = b.f.not(after);
        let free = free_call(&mut b)?;
        let not_free = b.f.not(free);
        let protected = protected(&mut b)?;
        let root = b.f.and(vec![today, not_after, not_free, protected]);
        Ok(Query { b, root, policy_type: PolicyType::Scp })
    }
}

/// The keys that follow from the caller hold exactly the caller's values (string keys; a typed
/// key is left free, and the engine's confirmation decides).
fn fixed_keys(b: &mut Builder, side: &PrincipalSide<'_>) -> Result<Vec<F>, Unknown> {
    let mut parts = Vec::new();
    let names: Vec<(u32, String)> =
        b.keys.iter().enumerate().map(|(i, k)| (i as u32, k.name.to_ascii_lowercase())).collect();
    for (k, lower) in names {
        if side.present.iter().any(|p| p.eq_ignore_ascii_case(&lower)) {
            parts.push(b.present(k));
            continue;
        }
        let fixed = side.fixed.iter().find(|(n, _)| n.eq_ignore_ascii_case(&lower)).map(|(_, v)| v.clone());
        let closed = side.closed_prefixes.iter().any(|p| lower.starts_with(&p.to_ascii_lowercase()));
        let values = match fixed {
            Some(v) => v,
            None if closed => None,
            None => continue,
        };
        let present = b.present(k);
        let Some(values) = values else {
            parts.push(b.f.not(present));
            continue;
        };
        if b.keys.get(k as usize).is_some_and(|kk| kk.domain.is_some_and(|d| d != Domain::String)) {
            continue;
        }
        let mut ids = Vec::new();
        for v in &values {
            let g = glob::parse(v, false, false, false)?;
            if let Some(kk) = b.keys.get_mut(k as usize) {
                ids.push(kk.patterns.add(g));
            }
        }
        let outside = b.exists(k, Lang::Complement(Box::new(Lang::Str(ids.clone()))));
        let no_other = b.f.not(outside);
        let mut each = vec![present, no_other];
        for id in ids {
            each.push(b.exists(k, Lang::Str(vec![id])));
        }
        parts.push(b.f.and(each));
    }
    Ok(parts)
}
