//! `AssumeRoleWithWebIdentity`: an OIDC token (a JWT) for a role session, unsigned as in AWS.
//!
//! The token is verified against its issuer's keys (`iamspect serve --oidc-jwks`); its issuer must
//! be an OIDC provider of the role's account (from `list`/`get-open-id-connect-provider` outputs)
//! or a provider AWS knows by name (`accounts.google.com`, `cognito-identity.amazonaws.com`); its
//! `aud` must be one of the provider's client ids. Its claims become the context keys AWS documents
//! (decision D101) and the role's trust policy is evaluated for the provider as the principal. The
//! session then works at the gateway like an `AssumeRole` session.

use std::fmt::Write as _;

use iamspect_account::AccountData;
use iamspect_auth::oidc::{OidcKeys, TokenError, issuer_name, peek_issuer};
use iamspect_auth::{AwsError, CredentialStore};
use iamspect_case::Compiler;
use iamspect_core::{Context, Decision, Policies, PolicyType, Principal, PrincipalKind, Request};
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::actions::{
    Issued, NewRoleSession, Params, credentials_xml, duration, is_name_char, issue_role_session, known_params, pack,
    policy_arns, role_max_duration, validation,
};
use super::{XMLNS, error, xml};

/// The web identity providers AWS knows without an IAM OIDC provider, by the issuer's host.
const BUILT_IN: [&str; 2] = ["accounts.google.com", "cognito-identity.amazonaws.com"];
/// Whether AWS knows `issuer` (without `https://`) as a provider without an IAM OIDC provider.
pub fn is_built_in_provider(issuer: &str) -> bool {
    BUILT_IN.contains(&issuer)
}

/// The GitHub Actions issuer.
const GITHUB: &str = "token.actions.githubusercontent.com";
/// The claims of GitHub Actions tokens that trust policies test as
/// `token.actions.githubusercontent.com:CLAIM` (decision D101).
const GITHUB_CLAIMS: [&str; 26] = [
    "actor",
    "actor_id",
    "base_ref",
    "enterprise",
    "enterprise_id",
    "environment",
    "event_name",
    "head_ref",
    "job_workflow_ref",
    "job_workflow_sha",
    "ref",
    "ref_protected",
    "ref_type",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repository_visibility",
    "run_attempt",
    "run_id",
    "run_number",
    "runner_environment",
    "sha",
    "workflow",
    "workflow_ref",
    "workflow_sha",
];
/// The claim that carries session tags: `{"principal_tags": {"KEY": ["VALUE"]}, "transitive_tag_keys": [...]}`.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim that carries a source identity.
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// The session tags and transitive keys a token carries, checked as AWS checks tags.
struct TokenTags {
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
}

fn token_tags(claims: &Map<String, Value>) -> Result<TokenTags, AwsError> {
    let Some(claim) = claims.get(TAGS_CLAIM) else { return Ok(TokenTags { tags: Vec::new(), transitive: Vec::new() }) };
    let bad = |why: &str| invalid_token(format!("the `{TAGS_CLAIM}` claim {why}"));
    let obj = claim.as_object().ok_or_else(|| bad("is not an object"))?;
    if let Some(k) = obj.keys().find(|k| *k != "principal_tags" && *k != "transitive_tag_keys") {
        return Err(bad(&format!("has `{k}`, which AWS does not take")));
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    if let Some(p) = obj.get("principal_tags") {
        let p = p.as_object().ok_or_else(|| bad("has `principal_tags` that is not an object"))?;
        for (k, v) in p {
            let value = match v.as_array().map(Vec::as_slice) {
                Some([Value::String(one)]) => one.clone(),
                _ => return Err(bad(&format!("gives tag `{k}` a value that is not a list of one string"))),
            };
            if k.is_empty() || k.chars().count() > 128 || value.chars().count() > 256 {
                return Err(bad(&format!("gives tag `{k}`: keys have 1 to 128 characters, values at most 256")));
            }
            if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                return Err(bad(&format!("gives tag `{k}` twice (tag keys are case insensitive)")));
            }
            tags.push((k.clone(), value));
        }
    }
    if tags.len() > 50 {
        return Err(bad("gives more than 50 tags"));
    }
    let mut transitive = Vec::new();
    if let Some(t) = obj.get("transitive_tag_keys") {
        let t = t.as_array().ok_or_else(|| bad("has `transitive_tag_keys` that is not a list"))?;
        for k in t {
            let k = k.as_str().ok_or_else(|| bad("has a transitive tag key that is not a string"))?;
            if !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                return Err(bad(&format!("names transitive tag key `{k}`, which is not among its tags")));
            }
            transitive.push(k.to_string());
        }
    }
    Ok(TokenTags { tags, transitive })
}

/// An unsigned STS call: no caller, only the request.
pub(crate) struct Unsigned<'a> {
    pub(crate) params: &'a Params,
    pub(crate) data: Option<&'a AccountData>,
    pub(crate) store: &'a CredentialStore,
    pub(crate) oidc: &'a OidcKeys,
    pub(crate) now: Timestamp,
    pub(crate) request_id: &'a str,
}

/// The actions AWS STS takes without a signature.
pub(crate) fn is_unsigned(action: Option<&str>) -> bool {
    matches!(action, Some("AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML"))
}

/// Runs an unsigned action.
pub(crate) fn dispatch_unsigned(call: &Unsigned<'_>) -> Result<String, AwsError> {
    if let Some(v) = call.params.get("Version")
        && v != super::VERSION
    {
        let action = call.params.get("Action").unwrap_or_default();
        return Err(error("InvalidAction", 400, format!("Could not find operation {action} for version {v}")));
    }
    match call.params.get("Action") {
        Some("AssumeRoleWithWebIdentity") => assume_role_with_web_identity(call),
        Some("AssumeRoleWithSAML") => Err(super::saml::refuse()),
        other => Err(error(
            "InvalidAction",
            400,
            format!("Could not find operation {} for version {}", other.unwrap_or_default(), super::VERSION),
        )),
    }
}

fn token_error(e: &TokenError) -> AwsError {
    let (code, status) = e.code();
    error(code, status, e.to_string())
}

fn invalid_token(message: impl Into<String>) -> AwsError {
    error("InvalidIdentityToken", 400, message)
}

/// A claim's values as strings: a string, a number or a boolean is one value, a list of them many.
fn claim_values(v: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|s| vec![s]),
    }
}

/// The context keys the token's claims give (decision D101): `ISSUER:sub`, `ISSUER:aud`,
/// `ISSUER:amr`, Google's `:oaud` (with `:aud` its `azp`), and GitHub's own claims.
pub(crate) fn claim_keys(issuer: &str, claims: &Map<String, Value>, audience: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut put = |name: &str, values: Vec<String>| out.push((format!("{issuer}:{name}"), values));
    if let Some(sub) = claims.get("sub").and_then(Value::as_str) {
        put("sub", vec![sub.to_string()]);
    }
    let google_azp = (issuer == "accounts.google.com").then(|| claims.get("azp").and_then(Value::as_str)).flatten();
    match google_azp {
        Some(azp) => {
            put("aud", vec![azp.to_string()]);
            if let Some(aud) = claims.get("aud").and_then(claim_values) {
                put("oaud", aud);
            }
        }
        None => put("aud", vec![audience.to_string()]),
    }
    if let Some(amr) = claims.get("amr").and_then(claim_values) {
        put("amr", amr);
    }
    if issuer == GITHUB {
        for name in GITHUB_CLAIMS {
            if let Some(values) = claims.get(name).and_then(claim_values)
                && let [one] = values.as_slice()
            {
                put(name, vec![one.clone()]);
            }
        }
    }
    out
}

/// The role and session a web identity call asks for, checked.
struct Input<'a> {
    role_arn: &'a str,
    account: &'a str,
    role_name: &'a str,
    session_name: &'a str,
    token: &'a str,
    seconds: i64,
    policy: Option<&'a str>,
    policy_arns: Vec<&'a str>,
}

fn input<'a>(call: &Unsigned<'a>) -> Result<Input<'a>, AwsError> {
    let p = call.params;
    known_params(
        p,
        "AssumeRoleWithWebIdentity",
        &["RoleArn", "RoleSessionName", "WebIdentityToken", "ProviderId", "Policy", "DurationSeconds"],
        &["PolicyArns"],
    )?;
    // Missing parameters are said in AWS's order before any value is checked.
    p.required("RoleArn")?;
    p.required("RoleSessionName")?;
    let token = p.required("WebIdentityToken")?;
    let (role_arn, arn, role_name, session_name) = super::actions::role_and_session(p)?;
    if !(4..=iamspect_auth::oidc::MAX_TOKEN_LENGTH).contains(&token.len()) {
        return Err(validation(format!(
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and {}",
            iamspect_auth::oidc::MAX_TOKEN_LENGTH
        )));
    }
    if let Some(provider) = p.get("ProviderId") {
        return Err(error(
            "InvalidParameterValue",
            400,
            format!(
                "ProviderId `{provider}` is for OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com, which AWS checks with the provider online; iamspect verifies OpenID Connect ID tokens only"
            ),
        ));
    }
    let seconds = duration(
        p,
        3_600,
        role_max_duration(call.data, arn.account, role_name),
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )?;
    Ok(Input {
        role_arn,
        account: arn.account,
        role_name,
        session_name,
        token,
        seconds,
        policy: p.get("Policy"),
        policy_arns: policy_arns(p)?,
    })
}

/// AWS's answer when the trust policy does not allow the call (or the tagging or source identity
/// it asks for).
fn not_authorized(action: &str) -> AwsError {
    error("AccessDenied", 403, format!("Not authorized to perform {action}"))
}

fn assume_role_with_web_identity(call: &Unsigned<'_>) -> Result<String, AwsError> {
    let input = input(call)?;
    let Some(data) = call.data else {
        tracing::info!(role = input.role_arn, "web identity: the server has no account data");
        return Err(not_authorized("sts:AssumeRoleWithWebIdentity"));
    };
    let mut compiler = Compiler::new();

    // The provider: found by the token's issuer before its signature is checked, as AWS does.
    let iss = peek_issuer(input.token).map_err(|e| token_error(&e))?;
    let issuer = issuer_name(&iss).to_string();
    // An IAM OIDC provider of the account wins; Google and Cognito need none.
    let registered = data.oidc_provider(input.account, &issuer);
    let (provider, client_ids) = if registered.is_none() && BUILT_IN.contains(&issuer.as_str()) {
        (issuer.clone(), None)
    } else {
        let p = registered
            .ok_or_else(|| invalid_token(format!("No OpenIDConnect provider found in your account for {iss}")))?;
        let ids = p.client_ids.clone().ok_or_else(|| {
            invalid_token(format!(
                "the OIDC provider {} is in the account data without its `aws iam get-open-id-connect-provider` output, so its client ids are unknown and the token's audience cannot be checked",
                p.arn
            ))
        })?;
        (p.arn.clone(), Some(ids))
    };
    let verified = call.oidc.verify(input.token, call.now.as_second()).map_err(|e| token_error(&e))?;
    let claims = &verified.claims;
    let aud = claims.get("aud").and_then(claim_values).filter(|a| !a.is_empty());
    let aud = aud.ok_or_else(|| invalid_token("the web identity token has no `aud` claim"))?;
    let audience = match &client_ids {
        Some(ids) => {
            aud.iter().find(|a| ids.contains(a)).cloned().ok_or_else(|| invalid_token("Incorrect token audience"))?
        }
        None => aud.first().cloned().unwrap_or_default(),
    };
    let Some(sub) = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return Err(invalid_token("the web identity token has no `sub` claim"));
    };
    let TokenTags { tags, transitive } = token_tags(claims)?;
    let source_identity = match claims.get(SOURCE_IDENTITY_CLAIM) {
        None => None,
        Some(Value::String(s)) if (2..=64).contains(&s.len()) && s.chars().all(is_name_char) => Some(s.clone()),
        Some(_) => {
            return Err(invalid_token(format!(
                "the `{SOURCE_IDENTITY_CLAIM}` claim is not a source identity (2 to 64 characters of [\\w+=,.@-])"
            )));
        }
    };
    let tag_refs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (packed, percent) = pack(&mut compiler, data, input.policy, &input.policy_arns, &tag_refs)?;

    let mut context = vec![
        ("aws:CurrentTime".to_string(), vec![call.now.to_string()]),
        ("aws:EpochTime".to_string(), vec![call.now.as_second().to_string()]),
        ("aws:SecureTransport".to_string(), vec!["true".to_string()]),
        ("aws:FederatedProvider".to_string(), vec![provider.clone()]),
        ("sts:RoleSessionName".to_string(), vec![input.session_name.to_string()]),
    ];
    context.extend(claim_keys(&issuer, claims, &audience));
    if !tags.is_empty() {
        for (k, v) in &tags {
            context.push((format!("aws:RequestTag/{k}"), vec![v.clone()]));
        }
        context.push(("aws:TagKeys".to_string(), tags.iter().map(|(k, _)| k.clone()).collect()));
    }
    if !transitive.is_empty() {
        context.push(("sts:TransitiveTagKeys".to_string(), transitive.clone()));
    }
    if let Some(id) = &source_identity {
        context.push(("sts:SourceIdentity".to_string(), vec![id.clone()]));
    }
    // As in AWS: the trust policy must also allow tagging the session and setting its source
    // identity when the token asks for them.
    trust(data, &provider, "sts:AssumeRoleWithWebIdentity", input.role_arn, &context, &mut compiler)?;
    if !tags.is_empty() {
        trust(data, &provider, "sts:TagSession", input.role_arn, &context, &mut compiler)?;
    }
    if source_identity.is_some() {
        trust(data, &provider, "sts:SetSourceIdentity", input.role_arn, &context, &mut compiler)?;
    }

    let role = NewRoleSession {
        role_arn: input.role_arn,
        account: input.account,
        role_name: input.role_name,
        session_name: input.session_name,
        seconds: input.seconds,
        policy: input.policy,
        policy_arns: &input.policy_arns,
    };
    let Issued { key, secret, token, expiration, session_arn, assumed_role_id } =
        issue_role_session(call.now, call.store, data, &role, |session| {
            session.federated_provider = Some(provider);
            session.tags = tags;
            session.transitive_tag_keys = transitive;
            session.source_identity = source_identity.clone();
        })?;

    let mut out = format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"{XMLNS}\"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken><Audience>{}</Audience>",
        xml(sub),
        xml(&audience)
    );
    let _ = write!(
        out,
        "<AssumedRoleUser><Arn>{}</Arn><AssumedRoleId>{}</AssumedRoleId></AssumedRoleUser>",
        xml(&session_arn),
        xml(&assumed_role_id)
    );
    out.push_str(&credentials_xml(&key, &secret, &token, expiration));
    let _ = write!(out, "<Provider>{}</Provider>", xml(&iss));
    if let Some(id) = &source_identity {
        let _ = write!(out, "<SourceIdentity>{}</SourceIdentity>", xml(id));
    }
    if packed > 0 {
        let _ = write!(out, "<PackedPolicySize>{percent}</PackedPolicySize>");
    }
    let _ = write!(
        out,
        "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>",
        xml(call.request_id)
    );
    Ok(out)
}

/// Evaluates the role's trust policy (and the RCPs of its account) for the provider's user and
/// `action` (`sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, `sts:SetSourceIdentity`).
fn trust(
    data: &AccountData,
    provider: &str,
    action: &str,
    role_arn: &str,
    context: &[(String, Vec<String>)],
    compiler: &mut Compiler,
) -> Result<(), AwsError> {
    let side = data.resource_side(action, role_arn, None).map_err(|e| {
        tracing::info!(error = %e, role_arn, "web identity: the role's account data cannot be resolved");
        not_authorized(action)
    })?;
    let Some(trust_policy) = &side.policy else {
        tracing::info!(role_arn, "web identity: the role or its trust policy is not in the account data");
        return Err(not_authorized(action));
    };
    let mut ctx = Context::new();
    for (k, vs) in side.context.iter().chain(context) {
        ctx.insert(k, vs.clone());
    }
    let principal = Principal::new(PrincipalKind::Federated { provider: provider.to_string() });
    let request = Request::new(principal, action, role_arn, None, ctx).map_err(|e| {
        tracing::info!(error = %e, role_arn, "web identity: not a request");
        not_authorized(action)
    })?;
    let compile = |compiler: &mut Compiler, d: &iamspect_account::NamedDocument, t: PolicyType| {
        compiler.compile(&d.name, &d.document, t).map_err(|e| {
            tracing::info!(error = %e.message, policy = d.name, "web identity: a policy does not compile");
            not_authorized(action)
        })
    };
    let mut policies =
        Policies { resource: Some(compile(compiler, trust_policy, PolicyType::Trust)?), ..Policies::default() };
    if let Some(levels) = &side.rcps {
        let mut out = Vec::with_capacity(levels.len());
        for level in levels {
            let mut compiled = Vec::with_capacity(level.len());
            for d in level {
                compiled.push(compile(compiler, d, PolicyType::Rcp)?);
            }
            out.push(compiled);
        }
        policies.rcps = Some(out);
    }
    if iamspect_core::authorize(&request, &policies).decision == Decision::Allowed {
        Ok(())
    } else {
        Err(not_authorized(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn github_claims_become_keys() {
        let c = claims(serde_json::json!({"sub": "repo:octo/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
            "repository": "octo/app", "ref": "refs/heads/main", "run_number": "7", "ref_protected": "true", "jti": "x"}));
        let keys = claim_keys(GITHUB, &c, "sts.amazonaws.com");
        let get = |k: &str| keys.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("token.actions.githubusercontent.com:sub"),
            Some(vec!["repo:octo/app:ref:refs/heads/main".to_string()])
        );
        assert_eq!(get("token.actions.githubusercontent.com:aud"), Some(vec!["sts.amazonaws.com".to_string()]));
        assert_eq!(get("token.actions.githubusercontent.com:repository"), Some(vec!["octo/app".to_string()]));
        assert_eq!(get("token.actions.githubusercontent.com:ref_protected"), Some(vec!["true".to_string()]));
        assert_eq!(get("token.actions.githubusercontent.com:jti"), None);
    }

    #[test]
    fn google_aud_is_azp_and_oaud_is_aud() {
        let c = claims(serde_json::json!({"sub": "1234", "aud": "web-client", "azp": "android-client"}));
        let keys = claim_keys("accounts.google.com", &c, "web-client");
        assert!(keys.contains(&("accounts.google.com:aud".to_string(), vec!["android-client".to_string()])));
        assert!(keys.contains(&("accounts.google.com:oaud".to_string(), vec!["web-client".to_string()])));
    }

    #[test]
    fn amr_is_multivalued() {
        let c = claims(serde_json::json!({"sub": "us-east-1:abc", "aud": "us-east-1:pool",
            "amr": ["authenticated", "graph.facebook.com"]}));
        let keys = claim_keys("cognito-identity.amazonaws.com", &c, "us-east-1:pool");
        assert!(keys.contains(&(
            "cognito-identity.amazonaws.com:amr".to_string(),
            vec!["authenticated".to_string(), "graph.facebook.com".to_string()]
        )));
    }
}
