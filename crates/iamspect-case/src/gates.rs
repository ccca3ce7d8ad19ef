//! The case fields for the gates beside the policies: `kmsGrants` (decisions D135–D137), read
//! strictly into the engine's types. Every refusal names the field and the value.

use iamspect_core::{AccessPoint, BlockPublicAccess, GrantConstraint, KmsGrant, NetworkOrigin, Policy};
use std::sync::Arc;

use crate::raw::{RawAccessPoint, RawGrant, RawGrantConstraints};
use crate::{CaseError, invalid};

fn constraint(field: &str, raw: &RawGrantConstraints) -> Result<GrantConstraint, CaseError> {
    let pairs = |m: &crate::raw::Unique<String, true>| m.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    match (&raw.encryption_context_equals, &raw.encryption_context_subset) {
        (Some(e), None) => Ok(GrantConstraint::EncryptionContextEquals(pairs(e))),
        (None, Some(s)) => Ok(GrantConstraint::EncryptionContextSubset(pairs(s))),
        (Some(_), Some(_)) => Err(invalid(format!(
            "`{field}` gives both `encryptionContextEquals` and `encryptionContextSubset`; give one"
        ))),
        (None, None) => Err(invalid(format!(
            "`{field}` is empty: give `encryptionContextEquals` or `encryptionContextSubset`, or leave `constraints` out"
        ))),
    }
}

/// One grant, checked.
fn grant(i: usize, raw: &RawGrant) -> Result<KmsGrant, CaseError> {
    let at = format!("kmsGrants[{i}].");
    if let Some(id) = &raw.grant_id {
        crate::check::no_control(&format!("{at}grantId"), id)?;
    }
    let constraint = raw.constraints.as_ref().map(|c| constraint(&format!("{at}constraints"), c)).transpose()?;
    KmsGrant::build(
        &at,
        raw.grant_id.clone(),
        &raw.grantee_principal,
        &raw.operations,
        constraint,
        raw.retiring_principal.as_deref(),
    )
    .map_err(invalid)
}

/// The case's `kmsGrants`, checked against the request (decisions D135, D137).
pub(crate) fn kms_grants(raw: Option<&[RawGrant]>, action: &str, resource: &str) -> Result<Vec<KmsGrant>, CaseError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    if !iamspect_core::is_kms_key_request(action, resource) {
        return Err(invalid(format!(
            "`kmsGrants` are the grants of a KMS key, and `{action}` on `{resource}` is not a request on a key"
        )));
    }
    let grants = raw.iter().enumerate().map(|(i, g)| grant(i, g)).collect::<Result<Vec<_>, _>>()?;
    let operation = iamspect_core::grant_operation(action);
    if operation == Some("CreateGrant") && grants.iter().any(|g| g.operations.contains(&"CreateGrant")) {
        return Err(invalid(
            "`kms:CreateGrant` through a grant that allows `CreateGrant` is not decided: AWS limits the new grant by the parent grant's operations and constraints, which the request does not carry (decision D137)"
                .to_string(),
        ));
    }
    if operation == Some("RetireGrant") && grants.len() > 1 {
        return Err(invalid(format!(
            "`kms:RetireGrant` retires one grant, and `kmsGrants` lists {}: give only the grant being retired (decision D137)",
            grants.len()
        )));
    }
    Ok(grants)
}

/// The case's `accessPoint`, checked against the request (decision D138). `policy` is the access
/// point policy, compiled by the caller.
pub(crate) fn access_point(
    raw: &RawAccessPoint<'_>,
    policy: Option<Arc<Policy>>,
    action: &str,
    resource: &str,
) -> Result<AccessPoint, CaseError> {
    crate::check::no_control("accessPoint.arn", &raw.arn)?;
    let arn = iamspect_core::Arn::parse(&raw.arn)
        .filter(|a| a.service == "s3" && !a.region.is_empty())
        .filter(|a| a.resource.strip_prefix("accesspoint/").is_some_and(|n| !n.is_empty() && !n.contains('/')))
        .ok_or_else(|| {
            invalid(format!(
                "`accessPoint.arn` `{}` is not an access point ARN (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`)",
                raw.arn
            ))
        })?;
    crate::check::account_id("`accessPoint.arn`'s account", arn.account)?;
    if !action.split_once(':').is_some_and(|(s, _)| s.eq_ignore_ascii_case("s3")) {
        return Err(invalid(format!("`accessPoint` is for S3 requests, and `{action}` is not an S3 action")));
    }
    let on_it = resource == raw.arn
        || resource
            .strip_prefix(raw.arn.as_str())
            .and_then(|r| r.strip_prefix("/object/"))
            .is_some_and(|k| !k.is_empty());
    if !on_it {
        return Err(invalid(format!(
            "`resource` `{resource}` is not the access point `{}` or an object through it (`{}/object/KEY`)",
            raw.arn, raw.arn
        )));
    }
    let bucket_ok = !raw.bucket.is_empty()
        && raw.bucket.len() <= 63
        && raw.bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !bucket_ok {
        return Err(invalid(format!("`accessPoint.bucket` `{}` is not a bucket name", raw.bucket)));
    }
    let network_origin = match (raw.network_origin.as_str(), &raw.vpc_id) {
        ("Internet", None) => NetworkOrigin::Internet,
        ("Internet", Some(_)) => {
            return Err(invalid(
                "`accessPoint.vpcId` is for a `VPC` access point, and `networkOrigin` is `Internet`".to_string(),
            ));
        }
        ("VPC", id) => {
            if let Some(id) = id {
                crate::check::no_control("accessPoint.vpcId", id)?;
            }
            NetworkOrigin::Vpc(id.clone())
        }
        (other, _) => {
            return Err(invalid(format!("`accessPoint.networkOrigin` `{other}` is not `Internet` or `VPC`")));
        }
    };
    let block_public_access =
        raw.block_public_access.as_ref().map_or_else(BlockPublicAccess::default, |b| BlockPublicAccess {
            block_public_acls: b.block_public_acls,
            ignore_public_acls: b.ignore_public_acls,
            block_public_policy: b.block_public_policy,
            restrict_public_buckets: b.restrict_public_buckets,
        });
    Ok(AccessPoint { arn: raw.arn.clone(), policy, bucket: raw.bucket.clone(), network_origin, block_public_access })
}

/// A `VPC` access point without `vpcId` and a request that gives `aws:SourceVpc` cannot be
/// compared: refused rather than guessed (decision D139).
pub(crate) fn vpc_known(request: &iamspect_core::Request, policies: &iamspect_core::Policies) -> Result<(), CaseError> {
    let unknown_vpc = policies.access_point.as_ref().is_some_and(|ap| ap.network_origin == NetworkOrigin::Vpc(None));
    if unknown_vpc && request.context().contains("aws:SourceVpc") {
        return Err(invalid(
            "`accessPoint.networkOrigin` is `VPC` and the request gives `aws:SourceVpc`: give the access point's VPC as `accessPoint.vpcId` so the two can be compared".to_string(),
        ));
    }
    Ok(())
}

/// The case's `s3.objectOwner`, checked (decision D140): an account id, for a request on an S3
/// object, not through an access point. Under `BucketOwnerEnforced` the bucket owner owns every
/// object whoever uploaded it, so the owner given then changes nothing.
pub(crate) fn object_owner(raw: &crate::raw::RawCase<'_>, s3: &crate::raw::S3) -> Result<Option<String>, CaseError> {
    if let Some(o) = &s3.object_ownership
        && !["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"].contains(&o.as_str())
    {
        return Err(invalid(format!(
            "`s3.objectOwnership` `{o}` is not `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`"
        )));
    }
    let Some(owner) = &s3.object_owner else {
        if s3.object_acl.is_some() {
            return Err(invalid(
                "`s3.objectAcl` is the ACL of an object another account owns: give `s3.objectOwner` with it"
                    .to_string(),
            ));
        }
        return Ok(None);
    };
    let is_canonical = owner.len() == 64 && owner.bytes().all(|b| b.is_ascii_hexdigit());
    if is_canonical {
        return Err(invalid(format!(
            "`s3.objectOwner` `{owner}` is a canonical user id, and iamspect cannot tell offline which account it is: give the owner's account id (decision D140)"
        )));
    }
    crate::check::account_id("`s3.objectOwner`", owner)?;
    let on_object = iamspect_core::Arn::parse(&raw.resource)
        .is_some_and(|a| a.service == "s3" && a.account.is_empty() && a.resource.contains('/'));
    if !on_object || raw.access_point.is_some() {
        return Err(invalid(format!(
            "`s3.objectOwner` is the owner of the object a request is for, and `{}` is not a request on an S3 object by its bucket ARN (`arn:aws:s3:::BUCKET/KEY`)",
            raw.resource
        )));
    }
    // Decision D140: only the operations whose object context is the object ACL are decided for
    // an object another account owns; the others are refused rather than guessed.
    let bucket_owner = raw.resource_account.clone().or_else(|| principal_account(raw));
    let enforced = s3.object_ownership.as_deref() == Some("BucketOwnerEnforced");
    let action = raw.action.split_once(':').map_or("", |(_, a)| a);
    let acl_action = iamspect_core::OBJECT_ACL_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action));
    if !enforced && bucket_owner.as_deref() != Some(owner.as_str()) && !acl_action {
        return Err(invalid(format!(
            "`s3.objectOwner` names another account than the bucket's, and `{}` on an object another account owns is not decided (only {}; decision D140)",
            raw.action,
            iamspect_core::OBJECT_ACL_ACTIONS.iter().map(|a| format!("s3:{a}")).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(Some(owner.clone()))
}

/// The account of a case's principal when it is an ARN (the default resource account).
fn principal_account(raw: &crate::raw::RawCase<'_>) -> Option<String> {
    let text = match &raw.principal {
        crate::raw::RawPrincipal::Text(t) => t.as_str(),
        crate::raw::RawPrincipal::Object(o) => o.arn.as_deref()?,
    };
    iamspect_core::Principal::parse(text).ok()?.account().map(str::to_string)
}

/// With account data, a request through an access point weighs the bucket's policy from the
/// data as `resourcePolicy` (decision D138): the data's policy for the access point ARN would be
/// the wrong one, so a policy stored under that ARN is refused (give it as `accessPoint.policy`).
pub(crate) fn bucket_policy_from_data(
    built: &mut crate::Built,
    data: &iamspect_account::AccountData,
    bucket: &str,
    compiler: &mut crate::Compiler,
) -> Result<(), CaseError> {
    if built.policies.resource.is_some() {
        return Err(invalid(format!(
            "the account data holds a resource policy for the access point `{}`: give it as `accessPoint.policy` (the case's `resourcePolicy` is the bucket's)",
            built.request.resource()
        )));
    }
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    if let Some(rp) = data.resource_policies.get(&bucket_arn) {
        built.policies.resource =
            Some(compiler.compile(&rp.source, &rp.document, iamspect_core::PolicyType::Resource)?);
    }
    Ok(())
}
