//! Requests whose policies come from loaded account data instead of a case file.

use std::sync::Arc;

use iamspect_core::{Context, Policies, Policy, PolicyType, Request};

use crate::{Built, CaseError, Compiler, invalid};

/// A request about principals and resources of loaded account data: the principal's identity
/// policies, boundary, tags and SCPs, and the resource's policy and RCPs, all come from the data.
pub fn from_account_data(
    data: &iamspect_account::AccountData,
    principal: &str,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
    compiler: &mut Compiler,
) -> Result<Built, CaseError> {
    let resolved = data.resolve_principal(principal).map_err(|e| invalid(e.to_string()))?;
    let resource_account = resource_account.map(str::to_string).or_else(|| {
        // An S3 ARN names no account; a bucket whose policy was loaded with a dump belongs to it.
        iamspect_core::Arn::parse(resource)
            .filter(|a| a.account.is_empty())
            .and_then(|_| resolved.principal.account().map(str::to_string))
    });
    let side = data.resource_side(action, resource, resource_account.as_deref()).map_err(|e| invalid(e.to_string()))?;
    let mut ctx = Context::new();
    for (k, vs) in resolved.context.iter().chain(side.context.iter()) {
        ctx.insert(k, vs.clone());
    }
    for (k, vs) in context {
        ctx.insert(k, vs.clone());
    }
    let request = Request::new(resolved.principal.clone(), action, resource, resource_account.as_deref(), ctx)
        .map_err(|e| invalid(e.to_string()))?;
    let mut one = |d: &iamspect_account::NamedDocument, t: PolicyType| compiler.compile(&d.name, &d.document, t);
    let mut policies = Policies::default();
    for d in &resolved.identity {
        policies.identity.push(one(d, PolicyType::Identity)?);
    }
    if let Some(b) = &resolved.boundary {
        policies.permissions_boundary = Some(one(b, PolicyType::PermissionsBoundary)?);
    }
    let resource_type =
        if iamspect_core::is_role_trust_request(action, resource) { PolicyType::Trust } else { PolicyType::Resource };
    if let Some(p) = &side.policy {
        policies.resource = Some(one(p, resource_type)?);
    }
    let mut levels = |levels: &Option<Vec<Vec<iamspect_account::NamedDocument>>>,
                      t: PolicyType|
     -> Result<Option<Vec<Vec<Arc<Policy>>>>, CaseError> {
        let Some(levels) = levels else { return Ok(None) };
        levels
            .iter()
            .map(|l| l.iter().map(|d| one(d, t)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    };
    policies.scps = levels(&resolved.scps, PolicyType::Scp)?;
    policies.rcps = levels(&side.rcps, PolicyType::Rcp)?;
    Ok(Built { request, policies })
}
