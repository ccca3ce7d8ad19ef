//! Amazon S3 bucket settings that change a decision: Block Public Access and Object Ownership
//! (spec §10.1, decision D20).

use super::Policies;
use super::statement::GrantKind;
use crate::condition::BaseOperator;
use crate::policy::{AwsPrincipal, Effect, Policy, PrincipalEntry};
use crate::request::{PrincipalKind, Request};

/// One ACL grant: a grantee and a permission (`READ`, `WRITE`, `READ_ACP`, `WRITE_ACP`, `FULL_CONTROL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3AclGrant {
    /// `AllUsers`, `AuthenticatedUsers`, an account id or a canonical user id.
    pub grantee: String,
    /// The permission granted.
    pub permission: String,
}

/// A bucket or object ACL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Acl {
    /// The grants.
    pub grants: Vec<S3AclGrant>,
}

/// The S3 settings of the bucket a request is for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
    /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`.
    pub object_ownership: Option<String>,
    /// The ACL, when ACLs are in force.
    pub acl: Option<S3Acl>,
    /// Attribute-based access control for the bucket is enabled.
    pub bucket_abac_enabled: bool,
    /// The account that owns the object the request is for, when the case says (decision D140).
    pub object_owner: Option<String>,
    /// The object's ACL, when given (without it, an object's ACL grants its owner
    /// `FULL_CONTROL`).
    pub object_acl: Option<S3Acl>,
}

/// Keys whose fixed values make an `Allow` non-public for Block Public Access (spec §10.1).
const NON_PUBLIC_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "aws:principalorgid",
];

/// True if the bucket policy grants public access as S3 judges it: an `Allow` to `"*"` that no
/// fixed-value condition on a limiting key narrows.
pub(crate) fn is_public(policy: &Policy) -> bool {
    policy.statements.iter().any(|stmt| {
        if stmt.effect != Effect::Allow {
            return false;
        }
        let Some(block) = &stmt.principal else {
            return false;
        };
        let public = !block.not
            && block
                .entries
                .iter()
                .any(|(e, _)| matches!(e, PrincipalEntry::Everyone | PrincipalEntry::Aws(AwsPrincipal::Any)));
        if !public {
            return false;
        }
        let limited = stmt.conditions.iter().any(|c| {
            let positive = !c.operator.base.is_negated() && c.operator.base != BaseOperator::Null;
            positive
                && NON_PUBLIC_KEYS.contains(&&*c.key_lower)
                && c.raw_values.iter().all(|v| !v.contains(['*', '?']) && !v.contains("${"))
        });
        !limited
    })
}

/// With `RestrictPublicBuckets` on and a public bucket policy, the policy's grants reach only
/// service principals and principals of the bucket owner's account. Returns the restricted grant
/// when the restriction takes one away.
pub(crate) fn restrict_public_buckets(
    req: &Request,
    policies: &Policies,
    grant: Option<GrantKind>,
) -> Option<Option<GrantKind>> {
    let settings = policies.s3.as_ref()?;
    let is_s3 = req.action.split_once(':').is_some_and(|(service, _)| service.eq_ignore_ascii_case("s3"));
    if !is_s3 || !settings.restrict_public_buckets || grant.is_none() {
        return None;
    }
    let policy = policies.resource.as_ref()?;
    if !is_public(policy) {
        return None;
    }
    let insider = matches!(req.principal.kind, PrincipalKind::Service { .. }) || req.is_same_account();
    if insider { None } else { Some(None) }
}

/// The S3 actions an ACL permission grants (spec §10.1).
fn acl_actions(permission: &str) -> &'static [&'static str] {
    match permission {
        "READ" => &["listbucket", "listbucketversions", "listbucketmultipartuploads", "getobject", "getobjectversion"],
        "WRITE" => &["putobject", "deleteobject", "deleteobjectversion"],
        "READ_ACP" => &["getbucketacl", "getobjectacl", "getobjectversionacl"],
        "WRITE_ACP" => &["putbucketacl", "putobjectacl", "putobjectversionacl"],
        _ => &[],
    }
}

/// True when an ACL permission covers an S3 action (given without its `s3:` prefix, in lower case).
pub(crate) fn acl_covers(permission: &str, action_lower: &str) -> bool {
    permission == "FULL_CONTROL" || acl_actions(permission).contains(&action_lower)
}

/// What the bucket's ACL grants the caller for this action, if ACLs are in force: `AllUsers`
/// reaches everyone, `AuthenticatedUsers` every signed AWS caller, an account id that account
/// (whose own policies must then allow). `IgnorePublicAcls` drops the first two;
/// `BucketOwnerEnforced` turns ACLs off.
pub(crate) fn acl_grant(req: &Request, policies: &Policies) -> Option<GrantKind> {
    let settings = policies.s3.as_ref()?;
    let acl = settings.acl.as_ref()?;
    if settings.object_ownership.as_deref() == Some("BucketOwnerEnforced") {
        return None;
    }
    let (service, action) = req.action.split_once(':')?;
    if !service.eq_ignore_ascii_case("s3") {
        return None;
    }
    let action = action.to_ascii_lowercase();
    let mut best = None;
    for grant in &acl.grants {
        let covers = grant.permission == "FULL_CONTROL" || acl_actions(&grant.permission).contains(&action.as_str());
        if !covers {
            continue;
        }
        let kind = match grant.grantee.as_str() {
            "AllUsers" | "http://acs.amazonaws.com/groups/global/AllUsers" if !settings.ignore_public_acls => {
                Some(GrantKind::Direct)
            }
            "AuthenticatedUsers" | "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
                if !settings.ignore_public_acls && !matches!(req.principal.kind, PrincipalKind::Anonymous) =>
            {
                Some(GrantKind::Direct)
            }
            account if req.principal.account() == Some(account) => Some(GrantKind::Account),
            _ => None,
        };
        best = best.max(kind);
    }
    best
}
