//! The case fields for the gates beside the policies: `kmsGrants` (decisions D135–D137), read
//! strictly into the engine's types. Every refusal names the field and the value.

use iamspect_core::{GrantConstraint, KmsGrant};

use crate::raw::{RawGrant, RawGrantConstraints};
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
