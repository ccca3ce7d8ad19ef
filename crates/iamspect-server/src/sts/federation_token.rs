//! `GetFederationToken`: a federated-user session (`arn:aws:sts::ACCOUNT:federated-user/NAME`) for
//! an IAM user or the root user, and how the gateway weighs such a session later (spec §9.2):
//! the parent user's identity policies and boundary, intersected with the session policies passed
//! here; without a session policy the session may do nothing except what a resource policy grants
//! its own ARN (decision D1).

use std::fmt::Write as _;

use iamspect_account::AccountData;
use iamspect_auth::{AwsError, Credential, Session};
use iamspect_case::{Built, CaseError, Compiler};
use iamspect_core::{PolicyType, Principal, PrincipalKind, Request};

use super::actions::{
    Call, caller_context, constraint, credentials_xml, decide, expiry, fresh, is_name_char, known_params, pack,
    policy_arns, store, tags,
};
use super::{XMLNS, error, xml};

/// The longest federated-user session of an IAM user (36 hours) and its default (12 hours).
const USER_MAX_DURATION: i64 = 129_600;
const USER_DEFAULT_DURATION: i64 = 43_200;
/// The root user's sessions last at most, and by default, one hour.
const ROOT_DURATION: i64 = 3_600;

pub(crate) fn get_federation_token(call: &Call<'_>) -> Result<String, AwsError> {
    let p = call.params;
    known_params(p, "GetFederationToken", &["Name", "Policy", "DurationSeconds"], &["PolicyArns", "Tags"])?;
    if call.caller.credential.is_temporary() {
        return Err(error("AccessDenied", 403, "Cannot call GetFederationToken with session credentials"));
    }
    let caller_arn = call.caller.principal_arn();
    let (account, root) = match Principal::parse(caller_arn).map(|p| p.kind) {
        Ok(PrincipalKind::User { account, .. }) => (account, false),
        Ok(PrincipalKind::Root { account }) => (account, true),
        _ => {
            return Err(error(
                "AccessDenied",
                403,
                format!("{caller_arn} is not an IAM user or root user; only they may call GetFederationToken"),
            ));
        }
    };
    let name = p.required("Name")?;
    if !(2..=32).contains(&name.len()) || !name.chars().all(is_name_char) {
        return Err(constraint(
            name,
            "name",
            "Member must have length between 2 and 32 and satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let seconds = if root {
        super::actions::duration(
            p,
            ROOT_DURATION,
            ROOT_DURATION,
            "The requested DurationSeconds exceeds the 1 hour session limit for the root user.",
        )?
    } else {
        super::actions::duration(
            p,
            USER_DEFAULT_DURATION,
            USER_MAX_DURATION,
            "The requested DurationSeconds exceeds the 36 hour session limit for IAM users.",
        )?
    };
    let policy = p.get("Policy");
    let policy_arns = policy_arns(p)?;
    let tags = tags(p)?;
    let federated_arn = format!("arn:aws:sts::{account}:federated-user/{name}");

    let Some(data) = call.data else {
        return Err(error(
            "AccessDenied",
            403,
            format!(
                "User: {caller_arn} is not authorized to perform: sts:GetFederationToken on resource: {federated_arn} (the server has no account data)"
            ),
        ));
    };
    let mut compiler = Compiler::new();
    let (packed, percent) = pack(&mut compiler, data, policy, &policy_arns, &tags)?;
    let mut context = caller_context(call.caller, call.now);
    if !tags.is_empty() {
        for (k, v) in &tags {
            context.push((format!("aws:RequestTag/{k}"), vec![(*v).to_string()]));
        }
        context.push(("aws:TagKeys".to_string(), tags.iter().map(|(k, _)| (*k).to_string()).collect()));
    }
    decide(call, data, "sts:GetFederationToken", &federated_arn, &context, &mut compiler)?;
    if !tags.is_empty() {
        decide(call, data, "sts:TagSession", &federated_arn, &context, &mut compiler)?;
    }

    let (key, secret, token) = fresh()?;
    let expiration = expiry(call.now, seconds)?;
    let mut session = Session::new(token.clone(), expiration);
    session.issued_at = Some(call.now);
    session.issuer_arn = Some(caller_arn.to_string());
    session.session_policies = policy.map(str::to_string).into_iter().collect();
    session.session_policy_arns = policy_arns.iter().map(|a| (*a).to_string()).collect();
    session.tags = tags.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
    store(call.store, Credential::temporary(key.clone(), secret.clone(), federated_arn.clone(), session), call.now)?;

    let mut out = format!("<GetFederationTokenResponse xmlns=\"{XMLNS}\"><GetFederationTokenResult>");
    out.push_str(&credentials_xml(&key, &secret, &token, expiration));
    let _ = write!(
        out,
        "<FederatedUser><Arn>{}</Arn><FederatedUserId>{}</FederatedUserId></FederatedUser>",
        xml(&federated_arn),
        xml(&format!("{account}:{name}"))
    );
    if packed > 0 {
        let _ = write!(out, "<PackedPolicySize>{percent}</PackedPolicySize>");
    }
    let _ = write!(
        out,
        "</GetFederationTokenResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetFederationTokenResponse>",
        xml(call.request_id)
    );
    Ok(out)
}

/// For a request signed by a federated-user session: adds the parent IAM user's identity policies
/// and permissions boundary, and names the parent on the principal (a resource policy naming the
/// parent user then grants through it, limited by the boundary and session policies). The session
/// policies themselves are the caller's to add. A session whose parent is the root user gets no
/// identity policies (the root user passes that gate implicitly, spec §1.3).
///
/// # Errors
/// When the parent user or its policies are not in the account data, or a policy does not compile.
pub(crate) fn add_parent_user(
    built: &mut Built,
    session: &Session,
    data: &AccountData,
    compiler: &mut Compiler,
) -> Result<(), CaseError> {
    let PrincipalKind::FederatedUser { arn, account, name, parent_user: None } = &built.request.principal().kind else {
        return Ok(());
    };
    let invalid = |message: String| CaseError { code: "InvalidInput", message };
    let parent = session
        .issuer_arn
        .as_deref()
        .ok_or_else(|| invalid(format!("the federated-user session `{arn}` does not say which user created it")))?;
    let mut kind = PrincipalKind::FederatedUser {
        arn: arn.clone(),
        account: account.clone(),
        name: name.clone(),
        parent_user: None,
    };
    if matches!(Principal::parse(parent).map(|p| p.kind), Ok(PrincipalKind::User { .. })) {
        let resolved = data.resolve_principal(parent).map_err(|e| invalid(e.to_string()))?;
        for d in &resolved.identity {
            built.policies.identity.push(compiler.compile(&d.name, &d.document, PolicyType::Identity)?);
        }
        if let Some(b) = &resolved.boundary {
            built.policies.permissions_boundary =
                Some(compiler.compile(&b.name, &b.document, PolicyType::PermissionsBoundary)?);
        }
        if let PrincipalKind::FederatedUser { parent_user, .. } = &mut kind {
            *parent_user = Some(parent.to_string());
        }
    }
    let mut principal = built.request.principal().clone();
    principal.kind = kind;
    let request = &built.request;
    built.request = Request::new(
        principal,
        request.action(),
        request.resource(),
        request.resource_account(),
        request.context().clone(),
    )
    .map_err(|e| invalid(e.to_string()))?;
    Ok(())
}
