//! The engine's side: a witness becomes a concrete request with the policy under test in its place,
//! decided by `iamspect-core`. A witness the engine does not allow is never reported.
//!
//! The caller is a role session of account `111122223333` (a role has no `aws:username`, so a
//! witness without it is a request AWS can make); the resource is in the same account, so the policy
//! under test alone decides. A KMS key request gets a key policy, and a role trust request a trust
//! policy, that grant the account (they must allow, decisions D52 and D16, and granting the account
//! leaves the decision to the caller's policies). Policy types other than identity get an
//! identity policy that allows everything, so the type under test decides.

use std::sync::Arc;

use iamspect_core::{
    Context, Decision, Policies, Policy, PolicyType, Principal, Request, authorize, is_kms_key_request,
    is_role_trust_request,
};

use crate::Witness;

/// The caller's account.
pub const ACCOUNT: &str = "111122223333";
/// The caller.
pub const PRINCIPAL: &str = "arn:aws:sts::111122223333:assumed-role/WitnessRole/witness";

const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const KEY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
const EVERYONE: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
const EVERYONE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:AssumeRoleWithSAML","sts:AssumeRoleWithWebIdentity","sts:TagSession","sts:SetSourceIdentity"]}]}"#;
const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:AssumeRoleWithSAML","sts:AssumeRoleWithWebIdentity","sts:TagSession","sts:SetSourceIdentity"]}]}"#;

/// The helper policies a witness needs besides the one under test, as (slot, text) pairs:
/// `"identity"`, `"resource"`. Under a resource-based or trust policy the caller is of another
/// account (decision D66), whose own identity policy allows everything: the policy under test
/// alone decides.
pub fn helpers(w: &Witness, t: PolicyType) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if matches!(t, PolicyType::Resource | PolicyType::Trust | PolicyType::Rcp | PolicyType::VpcEndpoint) {
        let caller = w.principal.as_deref().and_then(|p| Principal::parse(p).ok());
        if caller.is_some_and(|p| p.is_iam() && !matches!(p.kind, iamspect_core::PrincipalKind::Root { .. })) {
            out.push(("identity", ALLOW_ALL));
        }
        // Under an RCP or a VPC endpoint policy, the resource's own policy lets everyone in.
        if matches!(t, PolicyType::Rcp | PolicyType::VpcEndpoint) {
            let trust = is_role_trust_request(&w.action, &w.resource);
            out.push(("resource", if trust { EVERYONE_TRUST } else { EVERYONE }));
        }
        return out;
    }
    if t != PolicyType::Identity {
        out.push(("identity", ALLOW_ALL));
    }
    if is_kms_key_request(&w.action, &w.resource) {
        out.push(("resource", KEY_POLICY));
    } else if is_role_trust_request(&w.action, &w.resource) {
        out.push(("resource", TRUST_POLICY));
    }
    out
}

/// The concrete request of a witness.
pub fn request(w: &Witness) -> Result<Request, String> {
    let principal = Principal::parse(w.principal.as_deref().unwrap_or(PRINCIPAL)).map_err(|e| e.to_string())?;
    let mut ctx = Context::new();
    for (k, vs) in &w.context {
        ctx.insert(k, vs.clone());
    }
    let account = w.resource_account.as_deref().unwrap_or(ACCOUNT);
    Request::new(principal, &w.action, &w.resource, Some(account), ctx).map_err(|e| e.to_string())
}

/// The policies of a witness with `policy` (of type `t`) in its place.
pub fn policies(w: &Witness, policy: &Arc<Policy>, t: PolicyType) -> Result<Policies, String> {
    let mut p = Policies::default();
    for (slot, text) in helpers(w, t) {
        let ty = match (slot, text == TRUST_POLICY || text == EVERYONE_TRUST) {
            ("identity", _) => PolicyType::Identity,
            (_, true) => PolicyType::Trust,
            _ => PolicyType::Resource,
        };
        let helper = Arc::new(Policy::parse("helper", text, ty).map_err(|e| e.to_string())?);
        match slot {
            "identity" => p.identity.push(helper),
            _ => p.resource = Some(helper),
        }
    }
    match t {
        PolicyType::Identity => p.identity.push(policy.clone()),
        PolicyType::PermissionsBoundary => p.permissions_boundary = Some(policy.clone()),
        PolicyType::Session => p.session.push(policy.clone()),
        PolicyType::Scp => p.scps = Some(vec![vec![policy.clone()]]),
        PolicyType::Resource | PolicyType::Trust => p.resource = Some(policy.clone()),
        PolicyType::Rcp => p.rcps = Some(vec![vec![policy.clone()]]),
        PolicyType::VpcEndpoint => p.vpc_endpoint = Some(policy.clone()),
    }
    Ok(p)
}

/// The engine's decision on the witness with `policy` in its place.
pub fn decide(w: &Witness, policy: &Arc<Policy>, t: PolicyType) -> Result<Decision, String> {
    let req = request(w)?;
    let p = policies(w, policy, t)?;
    Ok(authorize(&req, &p).decision)
}

/// True when the engine allows the witness under `allowed` and, if given, does not under `not_allowed`.
pub fn confirms(w: &Witness, allowed: &Arc<Policy>, not_allowed: Option<&Arc<Policy>>, t: PolicyType) -> bool {
    let yes = matches!(decide(w, allowed, t), Ok(Decision::Allowed));
    let no = match not_allowed {
        Some(p) => matches!(decide(w, p, t), Ok(d) if d != Decision::Allowed),
        None => true,
    };
    yes && no
}
