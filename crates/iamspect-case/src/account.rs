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
    crate::check::principal(principal)?;
    crate::check::no_control("action", action)?;
    crate::check::no_control("resource", resource)?;
    if let Some(account) = resource_account {
        crate::check::resource_account("resourceAccount", resource, account)?;
    }
    for (k, vs) in context {
        crate::check::context(k, vs)?;
    }
    let mut context = context.to_vec();
    let notes = crate::catalog_notes(action, resource, &mut context, compiler)?;
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
    for (k, vs) in &context {
        ctx.insert(k, vs.clone());
    }
    let request = Request::new(resolved.principal.clone(), action, resource, resource_account.as_deref(), ctx)
        .map_err(|e| invalid(e.to_string()))?;
    region_enabled(data, &request)?;
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
    // Decision D135: the key's grants from `aws kms list-grants`.
    if iamspect_core::is_kms_key_request(action, resource)
        && let Some(grants) = data.kms_grants.get(resource)
    {
        policies.kms_grants = grants.clone();
    }
    Ok(Built { request, policies, sources: Vec::new(), notes })
}

/// The clock keys AWS sets on every request, `aws:CurrentTime` and `aws:EpochTime`, for requests
/// that are not case files (flags, account-data questions, the HTTP API's account requests): a
/// key given is kept, the other follows from it, and when neither is given both are `now`
/// (decision D44). Returns the time used, as `aws:CurrentTime` reads, and whether it was given.
pub fn set_clock(context: &mut Vec<(String, Vec<String>)>, now: jiff::Timestamp) -> (String, bool) {
    let find = |context: &[(String, Vec<String>)], key: &str| {
        context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.first().cloned())
    };
    let current = find(context, "aws:CurrentTime");
    let epoch = find(context, "aws:EpochTime");
    let seconds = |text: &str| iamspect_core::condition::date_seconds(text);
    let (time, given) = match (&current, &epoch) {
        (Some(c), _) => (seconds(c).and_then(|s| jiff::Timestamp::from_second(s).ok()), true),
        (None, Some(e)) => (seconds(e).and_then(|s| jiff::Timestamp::from_second(s).ok()), true),
        (None, None) => (Some(jiff::Timestamp::from_second(now.as_second()).unwrap_or(now)), false),
    };
    let Some(time) = time else {
        // A malformed value is refused by the context check, with its key.
        return (current.or(epoch).unwrap_or_default(), true);
    };
    if current.is_none() {
        context.push(("aws:CurrentTime".to_string(), vec![time.to_string()]));
    }
    if epoch.is_none() {
        context.push(("aws:EpochTime".to_string(), vec![time.as_second().to_string()]));
    }
    (find(context, "aws:CurrentTime").unwrap_or_default(), given)
}

/// A request without policies about the loaded accounts, as the HTTP API takes it:
/// `{"description", "principal", "action", "resource", "resourceAccount", "context", "expect"}`,
/// read strictly (unknown fields and keys given twice, at any depth, are refused), with the clock
/// keys set ([`set_clock`]) and the policies from the data.
pub fn account_case(
    data: &iamspect_account::AccountData,
    text: &str,
    compiler: &mut Compiler,
) -> Result<crate::Case, CaseError> {
    let req: crate::raw::RawAccountRequest =
        serde_json::from_str(text).map_err(|e| invalid(format!("the request: {e}")))?;
    let mut context = Vec::with_capacity(req.context.0.len() + 2);
    for (key, value) in req.context.0 {
        let values = crate::context_values(&key, value)?;
        context.push((key, values));
    }
    set_clock(&mut context, jiff::Timestamp::now());
    let built = from_account_data(
        data,
        &req.principal,
        &req.action,
        &req.resource,
        req.resource_account.as_deref(),
        &context,
        compiler,
    );
    Ok(crate::Case { index: 0, description: req.description, expect: req.expect, built })
}

/// Where one policy layer's policies came from: `from` is `account data` or the other source's
/// name (`flags`, `case file`), with the policies' names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The layer, in the case format's words: `identityPolicies`, `permissionsBoundary`, ...
    pub layer: &'static str,
    /// `account data`, or the name given to [`combine`].
    pub from: String,
    /// The policies' names (ARNs, file paths, `FullAWSAccess`, ...), level by level for SCPs and RCPs.
    pub policies: Vec<String>,
}

/// Policies given by another source (flags, a case) on top of a request built from account data,
/// combined as AWS would combine them (decision D41): identity policies are added to the
/// principal's (one more attached policy); a session policy, a VPC endpoint policy and S3 or KMS
/// settings, which account data never holds, are taken; a permissions boundary, a resource policy,
/// SCPs and RCPs are taken when the data has none for this request, and refused when it has one,
/// since a principal has one boundary, a resource one policy, and an account one place in its
/// organization. Returns the request and where each layer came from.
pub fn combine(data: Built, given: Policies, given_by: &str) -> Result<(Built, Vec<Source>), CaseError> {
    let Built { request, policies: mut from_data, notes, .. } = data;
    let names = |ps: &[Arc<Policy>]| ps.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
    let level_names = |ls: &[Vec<Arc<Policy>>]| {
        ls.iter()
            .map(|l| format!("[{}]", l.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
    };
    let mut sources = Vec::new();
    let mut push = |layer: &'static str, from: &str, policies: Vec<String>| {
        if !policies.is_empty() {
            sources.push(Source { layer, from: from.to_string(), policies });
        }
    };
    let clash = |what: &str, flag: &str, data: &[String]| {
        invalid(format!(
            "{what} comes from account data ({}), and the {given_by} give another ({flag}); AWS weighs one, so remove one of them",
            data.join(", ")
        ))
    };
    push("identityPolicies", "account data", names(&from_data.identity));
    push("identityPolicies", given_by, names(&given.identity));
    crate::principal_takes(request.principal(), &given)?;
    if matches!(request.principal().kind, iamspect_core::PrincipalKind::Root { .. }) && !given.identity.is_empty() {
        return Err(invalid("the root user cannot have identity-based policies".to_string()));
    }
    from_data.identity.extend(given.identity);
    match (&from_data.permissions_boundary, given.permissions_boundary) {
        (Some(d), Some(g)) => {
            return Err(clash("the permissions boundary", g.name(), &[d.name().to_string()]));
        }
        (Some(d), None) => push("permissionsBoundary", "account data", vec![d.name().to_string()]),
        (None, Some(g)) => {
            push("permissionsBoundary", given_by, vec![g.name().to_string()]);
            from_data.permissions_boundary = Some(g);
        }
        (None, None) => {}
    }
    push("sessionPolicies", given_by, names(&given.session));
    from_data.session.extend(given.session);
    match (&from_data.resource, given.resource) {
        (Some(d), Some(g)) => return Err(clash("the resource-based policy", g.name(), &[d.name().to_string()])),
        (Some(d), None) => push("resourcePolicy", "account data", vec![d.name().to_string()]),
        (None, Some(g)) => {
            push("resourcePolicy", given_by, vec![g.name().to_string()]);
            from_data.resource = Some(g);
        }
        (None, None) => {}
    }
    for (layer, words, data_levels, given_levels) in [
        ("scps", "the SCPs of the caller's account", &mut from_data.scps, given.scps),
        ("rcps", "the RCPs of the resource's account", &mut from_data.rcps, given.rcps),
    ] {
        match (&*data_levels, given_levels) {
            (Some(d), Some(g)) => {
                return Err(clash(words, &level_names(&g).join(" "), &level_names(d)));
            }
            (Some(d), None) => push(layer, "account data", level_names(d)),
            (None, Some(g)) => {
                push(layer, given_by, level_names(&g));
                *data_levels = Some(g);
            }
            (None, None) => {}
        }
    }
    if let Some(v) = given.vpc_endpoint {
        push("vpcEndpointPolicy", given_by, vec![v.name().to_string()]);
        from_data.vpc_endpoint = Some(v);
    }
    if given.s3.is_some() {
        from_data.s3 = given.s3;
    }
    from_data.kms_aws_managed_key |= given.kms_aws_managed_key;
    if given.access_point.is_some() {
        from_data.access_point = given.access_point;
    }
    // Grants are allow sources: the case's are weighed with the data's (decision D135).
    from_data.kms_grants.extend(given.kms_grants);
    Ok((Built { request, policies: from_data, sources: Vec::new(), notes }, sources))
}

/// Decision D141: a request to a Region the caller's account has not enabled fails at
/// authentication, before any policy is weighed. The Region is `aws:RequestedRegion`, else the
/// resource ARN's; the statuses come from `aws account list-regions` in the account data.
fn region_enabled(data: &iamspect_account::AccountData, request: &Request) -> Result<(), CaseError> {
    let Some(account) = request.principal().account() else { return Ok(()) };
    let requested = request
        .context()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("aws:RequestedRegion"))
        .and_then(|(_, v)| v.first().map(|r| r.to_string()))
        .or_else(|| {
            iamspect_core::Arn::parse(request.resource()).map(|a| a.region.to_string()).filter(|r| !r.is_empty())
        });
    let Some(region) = requested else { return Ok(()) };
    match data.region_not_enabled(account, &region) {
        Some(status) => Err(CaseError {
            code: "InvalidClientTokenId",
            message: format!(
                "The security token included in the request is invalid: the request is to {region}, an opt-in Region that account {account} has not enabled (its status is {status}), so AWS refuses it at authentication, before any policy is weighed; enable it (`aws account enable-region --region-name {region}`, or the console's Account page) and wait until `aws account get-region-opt-status --region-name {region}` says ENABLED"
            ),
        }),
        None => Ok(()),
    }
}
