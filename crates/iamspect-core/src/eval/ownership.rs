//! S3 Object Ownership with an object another account owns (spec §10.1; decision D140). With
//! `ObjectWriter` or `BucketOwnerPreferred`, an object uploaded by another account belongs to
//! that account: for an operation on it, the bucket owner's policy can only deny, the caller's
//! own account must allow (user context), and the object's ACL must grant the caller's account
//! (object context). `BucketOwnerEnforced` makes the bucket owner own every object.

use super::decision::{Decision, DeniedBy, Denier};
use super::s3::acl_covers;
use super::trace::{NoTrace, Tracer};
use super::{Outcome, Policies};
use crate::request::{PrincipalKind, Request};

/// The object operations whose object context is the object's ACL (S3's ACL permissions
/// `READ`, `READ_ACP` and `WRITE_ACP` on an object): the ones decided here.
pub const OBJECT_ACL_ACTIONS: &[&str] =
    &["getobject", "getobjectversion", "getobjectacl", "getobjectversionacl", "putobjectacl", "putobjectversionacl"];

/// The object's owner when it is not the bucket owner, ACLs are in force and the action is one of
/// [`OBJECT_ACL_ACTIONS`]: the case the rules above govern. `None` otherwise (the request is
/// decided as any other; the case reader refuses other actions on such an object).
pub(crate) fn foreign_owner<'a>(req: &Request, policies: &'a Policies) -> Option<&'a str> {
    let s3 = policies.s3.as_ref()?;
    let owner = s3.object_owner.as_deref()?;
    if s3.object_ownership.as_deref() == Some("BucketOwnerEnforced") {
        return None;
    }
    let arn = req.resource_arn()?;
    let is_object = arn.service == "s3" && arn.account.is_empty() && arn.resource.contains('/');
    let is_s3 = req.action.split_once(':').is_some_and(|(s, a)| {
        s.eq_ignore_ascii_case("s3") && OBJECT_ACL_ACTIONS.iter().any(|x| x.eq_ignore_ascii_case(a))
    });
    (is_s3 && is_object && req.resource_account() != Some(owner)).then_some(owner)
}

/// Whether the object ACL grants the caller this action. Without an object ACL, the object has
/// the default ACL: `FULL_CONTROL` to its owner.
fn object_acl_grants(req: &Request, policies: &Policies, owner: &str) -> bool {
    let Some(s3) = policies.s3.as_ref() else { return false };
    let action = req.action.split_once(':').map_or("", |(_, a)| a).to_ascii_lowercase();
    let caller = req.principal.account();
    let default_grant;
    let grants = match &s3.object_acl {
        Some(acl) => acl.grants.as_slice(),
        None => {
            default_grant = [super::S3AclGrant { grantee: owner.to_string(), permission: "FULL_CONTROL".to_string() }];
            &default_grant[..]
        }
    };
    grants.iter().any(|g| {
        if !acl_covers(&g.permission, &action) {
            return false;
        }
        match g.grantee.as_str() {
            "AllUsers" | "http://acs.amazonaws.com/groups/global/AllUsers" => !s3.ignore_public_acls,
            "AuthenticatedUsers" | "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" => {
                !s3.ignore_public_acls && !matches!(req.principal.kind, PrincipalKind::Anonymous)
            }
            account => caller == Some(account),
        }
    })
}

/// Decides an operation on an object another account owns (decision D140). The full evaluation
/// runs first, with `tracer`, for its denies; then the caller's own account and the object ACL
/// must both allow.
pub(crate) fn decide<T: Tracer>(req: &Request, policies: &Policies, owner: &str, tracer: &mut T) -> Outcome {
    let full = super::authorizer::decide(req, policies, tracer);
    if full.decision == Decision::ExplicitDeny {
        return full;
    }
    let mut gaps = DeniedBy::default();
    // User context: the caller's account's own policies, as if the resource were in it (no
    // resource-based policy and no bucket ACL: the bucket owner's grants do not reach an object
    // it does not own).
    if let Some(account) = req.principal.account() {
        let mut own = policies.clone();
        own.resource = None;
        if let Some(s3) = own.s3.as_mut() {
            s3.acl = None;
            s3.object_owner = None;
            s3.restrict_public_buckets = false;
        }
        if let Ok(user_request) =
            Request::new(req.principal.clone(), &req.action, &req.resource, Some(account), req.context.clone())
        {
            let user = super::authorizer::decide(&user_request, &own, &mut NoTrace);
            if user.decision != Decision::Allowed {
                user.denied_by.iter().for_each(|d| gaps.insert(d));
            }
        } else {
            gaps.insert(Denier::Identity);
        }
    }
    // Object context: the object owner's ACL must grant.
    if !object_acl_grants(req, policies, owner) {
        gaps.insert(Denier::S3Acl);
    }
    if gaps.is_empty() {
        Outcome { decision: Decision::Allowed, denied_by: DeniedBy::default() }
    } else {
        Outcome { decision: Decision::ImplicitDeny, denied_by: gaps }
    }
}
