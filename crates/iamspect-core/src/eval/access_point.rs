//! S3 access points (spec §10.1; decisions D138–D139): a request through an access point is
//! decided twice, once on the access point (its policy, the caller's policies, the access point's
//! Block Public Access) and once on the bucket beneath it (the bucket policy, which may delegate to
//! access points through `s3:DataAccessPointAccount`/`s3:DataAccessPointArn`); both must allow.
//! The access point's network origin refuses requests from outside its VPC.

use std::sync::Arc;

use super::decision::{Decision, DeniedBy, Denier};
use super::trace::{NoTrace, Tracer};
use super::{Outcome, Policies, S3Settings};
use crate::arn::Arn;
use crate::policy::Policy;
use crate::request::Request;

/// Where an access point takes requests from (`NetworkOrigin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkOrigin {
    /// `Internet`: any network.
    Internet,
    /// `VPC`: only requests from this VPC (`VpcConfiguration.VpcId`, when known).
    Vpc(Option<String>),
}

/// Block Public Access settings of one level (account, bucket or access point).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockPublicAccess {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

/// The access point a request goes through.
#[derive(Clone, Debug)]
pub struct AccessPoint {
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`.
    pub arn: String,
    /// The access point policy.
    pub policy: Option<Arc<Policy>>,
    /// The bucket beneath it.
    pub bucket: String,
    /// `Internet` or `VPC`.
    pub network_origin: NetworkOrigin,
    /// The access point's own Block Public Access settings.
    pub block_public_access: BlockPublicAccess,
}

impl AccessPoint {
    /// The access point's account (from its ARN).
    pub fn account(&self) -> Option<&str> {
        Arn::parse(&self.arn).map(|a| a.account)
    }

    /// The bucket resource a request on `resource` (the access point ARN, or `ARN/object/KEY`)
    /// reaches: `arn:aws:s3:::BUCKET` or `arn:aws:s3:::BUCKET/KEY`. `None` when `resource` is not
    /// on this access point.
    pub fn bucket_resource(&self, resource: &str) -> Option<String> {
        let partition = Arn::parse(&self.arn)?.partition;
        if resource == self.arn {
            return Some(format!("arn:{partition}:s3:::{}", self.bucket));
        }
        let key = resource.strip_prefix(self.arn.as_str())?.strip_prefix("/object/")?;
        Some(format!("arn:{partition}:s3:::{}/{key}", self.bucket))
    }
}

/// The two requests and their policies: the access point's and the bucket's.
pub(crate) struct Split {
    pub(crate) access_point: (Request, Policies),
    pub(crate) bucket: (Request, Policies),
    /// The request comes from outside the access point's VPC.
    pub(crate) outside_vpc: bool,
}

/// Builds the two evaluations. `None` when the request is not on the access point (the case
/// reader refuses that before; the engine then decides nothing but the refusal).
pub(crate) fn split(req: &Request, policies: &Policies, ap: &AccessPoint) -> Option<Split> {
    let bucket_resource = ap.bucket_resource(&req.resource)?;
    let ap_account = ap.account()?.to_string();
    let origin = match ap.network_origin {
        NetworkOrigin::Internet => "Internet",
        NetworkOrigin::Vpc(_) => "VPC",
    };
    // The keys S3 sets on a request through an access point (decision D138), unless given.
    let mut context = req.context.clone();
    for (key, value) in [
        ("s3:DataAccessPointArn", ap.arn.as_str()),
        ("s3:DataAccessPointAccount", ap_account.as_str()),
        ("s3:AccessPointNetworkOrigin", origin),
    ] {
        if !context.contains(key) {
            context.insert(key, vec![value.to_string()]);
        }
    }
    let access_point_request =
        Request::new(req.principal.clone(), &req.action, &req.resource, Some(ap_account.as_str()), context.clone())
            .ok()?;
    // The bucket's owner: the case's `resourceAccount` when it names another account than the
    // access point's, else the access point's account.
    let bucket_owner = req.resource_account.clone().unwrap_or_else(|| ap_account.clone());
    if bucket_owner != ap_account {
        context.insert("aws:ResourceAccount", vec![bucket_owner.clone()]);
    }
    let bucket_request =
        Request::new(req.principal.clone(), &req.action, &bucket_resource, Some(&bucket_owner), context).ok()?;

    // The access point: its own policy, and Block Public Access at every level the request meets
    // (the most restrictive combination: any level that sets a flag sets it).
    let bucket_bpa = policies.s3.as_ref();
    let bpa = ap.block_public_access;
    let ap_s3 = S3Settings {
        block_public_acls: bpa.block_public_acls || bucket_bpa.is_some_and(|s| s.block_public_acls),
        ignore_public_acls: bpa.ignore_public_acls || bucket_bpa.is_some_and(|s| s.ignore_public_acls),
        block_public_policy: bpa.block_public_policy || bucket_bpa.is_some_and(|s| s.block_public_policy),
        restrict_public_buckets: bpa.restrict_public_buckets || bucket_bpa.is_some_and(|s| s.restrict_public_buckets),
        ..S3Settings::default()
    };
    let mut access_point_policies = policies.clone();
    access_point_policies.access_point = None;
    access_point_policies.resource = ap.policy.clone();
    // A VPC access point is never public (spec §10.1): its policy's grants are not restricted.
    access_point_policies.s3 = match ap.network_origin {
        NetworkOrigin::Internet => Some(ap_s3),
        NetworkOrigin::Vpc(_) => None,
    };
    let mut bucket_policies = policies.clone();
    bucket_policies.access_point = None;
    if !access_point_request.is_same_account() || bucket_owner != ap_account {
        // Decision D138: the caller's own policies were weighed on the access point; another
        // account's bucket weighs only its owner's side (its policy, its RCPs), so the caller's
        // side is taken as allowing here.
        if let Some(all) = allow_all() {
            bucket_policies.identity = vec![all];
        }
        bucket_policies.permissions_boundary = None;
        bucket_policies.session = Vec::new();
    }

    let outside_vpc = match &ap.network_origin {
        NetworkOrigin::Internet => false,
        NetworkOrigin::Vpc(id) => match req.context.get("aws:sourcevpc") {
            Some([vpc]) => id.as_deref().is_some_and(|id| id != &**vpc),
            _ => true,
        },
    };
    Some(Split {
        access_point: (access_point_request, access_point_policies),
        bucket: (bucket_request, bucket_policies),
        outside_vpc,
    })
}

/// An identity policy that allows everything, standing for the caller's side already weighed.
fn allow_all() -> Option<Arc<Policy>> {
    static ALL: std::sync::OnceLock<Option<Arc<Policy>>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
        Policy::parse("caller's side, weighed on the access point", text, crate::policy::PolicyType::Identity)
            .ok()
            .map(Arc::new)
    })
    .clone()
}

/// Both evaluations' outcomes as one: any explicit deny denies; both must allow; a request from
/// outside a VPC access point's VPC is refused by the access point (decision D139).
pub(crate) fn combine(ap: Outcome, bucket: Outcome, outside_vpc: bool) -> Outcome {
    let mut explicit = DeniedBy::default();
    let mut implicit = DeniedBy::default();
    for o in [ap, bucket] {
        match o.decision {
            Decision::ExplicitDeny => o.denied_by.iter().for_each(|d| explicit.insert(d)),
            Decision::ImplicitDeny => o.denied_by.iter().for_each(|d| implicit.insert(d)),
            Decision::Allowed => {}
        }
    }
    if !explicit.is_empty() {
        return Outcome { decision: Decision::ExplicitDeny, denied_by: explicit };
    }
    if outside_vpc {
        implicit.insert(Denier::Resource);
    }
    if implicit.is_empty() {
        Outcome { decision: Decision::Allowed, denied_by: DeniedBy::default() }
    } else {
        Outcome { decision: Decision::ImplicitDeny, denied_by: implicit }
    }
}

/// Decides a request through an access point, the access point's evaluation with `tracer`.
pub(crate) fn decide<T: Tracer>(req: &Request, policies: &Policies, ap: &AccessPoint, tracer: &mut T) -> Outcome {
    let Some(split) = split(req, policies, ap) else {
        // Not a request on this access point: nothing allows it.
        let mut d = DeniedBy::default();
        d.insert(Denier::Resource);
        return Outcome { decision: Decision::ImplicitDeny, denied_by: d };
    };
    let (ap_req, ap_policies) = &split.access_point;
    let (bucket_req, bucket_policies) = &split.bucket;
    let on_ap = super::authorizer::decide(ap_req, ap_policies, tracer);
    let on_bucket = super::authorizer::decide(bucket_req, bucket_policies, &mut NoTrace);
    combine(on_ap, on_bucket, split.outside_vpc)
}
