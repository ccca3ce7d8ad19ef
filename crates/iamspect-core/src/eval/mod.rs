//! The decision: every policy type and how they combine (spec §1–§3, §10).
//!
//! [`authorize`] answers without allocating; [`authorize_traced`] runs the same code with a tracer
//! that records every statement's outcome and builds a [`Trace`].

mod access_point;
mod authorizer;
mod decision;
mod kms;
mod ownership;
pub use ownership::OBJECT_ACL_ACTIONS;
mod protected;
mod s3;
mod statement;
mod trace;

use std::sync::Arc;

use crate::policy::Policy;
use crate::request::Request;

pub use access_point::{AccessPoint, BlockPublicAccess, NetworkOrigin};
pub use decision::{Decision, DeniedBy, Denier};
pub use kms::{GRANT_OPERATIONS, GrantConstraint, KmsGrant, allowing_grant, grant_operation};
pub use protected::{Protected, protected_rules};
pub use s3::{S3Acl, S3AclGrant, S3Settings};
pub use statement::{GrantKind, NotPrincipalDetail, StatementOutcome};
pub use trace::{
    AccessPointTrace, ConditionDetail, Layer, LayerTrace, LayerVerdict, PolicyTrace, StatementTrace, Trace,
};

/// Every policy AWS weighs for one request, by type.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    /// The caller's identity-based policies (user inline and managed, its groups', or the role's).
    pub identity: Vec<Arc<Policy>>,
    /// The resource-based policy: bucket, key, queue, topic, function, secret, or role trust policy.
    pub resource: Option<Arc<Policy>>,
    /// The caller's permissions boundary.
    pub permissions_boundary: Option<Arc<Policy>>,
    /// Session policies passed when the session was made.
    pub session: Vec<Arc<Policy>>,
    /// SCPs of the caller's account, one level per entry from the organization root down;
    /// `None` when the account is not in an organization.
    pub scps: Option<Vec<Vec<Arc<Policy>>>>,
    /// RCPs of the resource's account, in the same shape.
    pub rcps: Option<Vec<Vec<Arc<Policy>>>>,
    /// The policy of the VPC endpoint the request came through.
    pub vpc_endpoint: Option<Arc<Policy>>,
    /// S3 bucket settings.
    pub s3: Option<S3Settings>,
    /// The KMS key is an AWS managed key (RCPs do not apply to it).
    pub kms_aws_managed_key: bool,
    /// The grants of the KMS key the request uses (decision D135): allow sources beside the key
    /// policy and IAM policies.
    pub kms_grants: Vec<KmsGrant>,
    /// The S3 access point the request goes through (decision D138); `resource` is then the
    /// bucket's policy.
    pub access_point: Option<AccessPoint>,
}

/// The decision and the policy types that deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: Decision,
    /// For a denial, the policy types that deny it (decision D14).
    pub denied_by: DeniedBy,
}

/// The decision with its full trace.
#[derive(Clone, Debug)]
pub struct Response {
    /// The decision.
    pub outcome: Outcome,
    /// What every layer and statement did.
    pub trace: Trace,
}

/// True for the actions a role's trust policy governs (`sts:AssumeRole`, `sts:AssumeRoleWithSAML`,
/// `sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, `sts:SetSourceIdentity`).
pub fn is_role_trust_action(action: &str) -> bool {
    authorizer::is_role_trust_action(action)
}

/// True when the request's resource policy is the role's trust policy: a trust action on a role.
pub fn is_role_trust_request(action: &str, resource: &str) -> bool {
    authorizer::is_role_trust_request(action, resource)
}

/// True when the request's resource policy is a KMS key policy, which must allow (decision D52):
/// a `kms:` action on a key ARN.
pub fn is_kms_key_request(action: &str, resource: &str) -> bool {
    authorizer::is_kms_key_request(action, resource)
}

/// The service prefixes whose resources RCPs restrict (decision D26).
pub fn rcp_supported_services() -> &'static [&'static str] {
    authorizer::RCP_SERVICES
}

/// Whether a `Principal`/`NotPrincipal` block reaches the caller (no permissions boundary).
pub(crate) fn principal_reaches(block: &crate::policy::PrincipalBlock, request: &Request) -> bool {
    statement::principal_match(block, request, false).is_some()
}

/// Decides a request. Never fails and never allocates.
pub fn authorize(request: &Request, policies: &Policies) -> Outcome {
    if let Some(ap) = &policies.access_point {
        return access_point::decide(request, policies, ap, &mut trace::NoTrace);
    }
    if policies.s3.as_ref().is_some_and(|s| s.object_owner.is_some())
        && let Some(owner) = ownership::foreign_owner(request, policies)
    {
        return ownership::decide(request, policies, owner, &mut trace::NoTrace);
    }
    authorizer::decide(request, policies, &mut trace::NoTrace)
}

/// [`authorize`] testing every statement of every policy instead of only those the action index
/// gives for the request's service (decision D75). The same answer, slower: for tests that check
/// the index.
#[doc(hidden)]
pub fn authorize_full_scan(request: &Request, policies: &Policies) -> Outcome {
    if let Some(ap) = &policies.access_point {
        return access_point::decide(request, policies, ap, &mut trace::FullScan);
    }
    if let Some(owner) = ownership::foreign_owner(request, policies) {
        return ownership::decide(request, policies, owner, &mut trace::FullScan);
    }
    authorizer::decide(request, policies, &mut trace::FullScan)
}

/// Decides a request and records why.
pub fn authorize_traced(request: &Request, policies: &Policies) -> Response {
    if let Some(split) = policies.access_point.as_ref().and_then(|ap| access_point::split(request, policies, ap)) {
        // Decision D138: the access point's evaluation is the trace; the bucket's rides along.
        let (ap_request, ap_policies) = &split.access_point;
        let (bucket_request, bucket_policies) = &split.bucket;
        let mut recorder = trace::Recorder::default();
        let on_ap = authorizer::decide(ap_request, ap_policies, &mut recorder);
        let mut trace = recorder.finish(ap_request, ap_policies);
        let bucket = authorize_traced(bucket_request, bucket_policies);
        let outcome = access_point::combine(on_ap, bucket.outcome, split.outside_vpc);
        trace.access_point = Some(trace::AccessPointTrace {
            bucket_outcome: bucket.outcome,
            bucket: Box::new(bucket.trace),
            outside_vpc: split.outside_vpc,
        });
        return Response { outcome, trace };
    }
    let mut recorder = trace::Recorder::default();
    let outcome = match ownership::foreign_owner(request, policies) {
        // Decision D140: the trace is the full evaluation's; the outcome adds the object's owner.
        Some(owner) => ownership::decide(request, policies, owner, &mut recorder),
        None => authorizer::decide(request, policies, &mut recorder),
    };
    let trace = recorder.finish(request, policies);
    Response { outcome, trace }
}
