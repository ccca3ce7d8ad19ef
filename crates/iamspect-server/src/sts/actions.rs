//! The STS actions: parameters in, an XML answer or an AWS error out.

use std::fmt::Write as _;
use std::sync::Arc;

use iamspect_account::AccountData;
use iamspect_auth::{Authenticated, AwsError, Credential, CredentialStore, Session};
use iamspect_case::Compiler;
use iamspect_core::{Decision, Policy, PolicyType, Principal, PrincipalKind};
use jiff::Timestamp;

use super::{VERSION, XMLNS, error, random, xml};

/// The longest session a role allows. The account data does not carry `MaxSessionDuration`, so
/// every role is taken to allow AWS's upper limit of 12 hours.
const ROLE_MAX_DURATION: i64 = 43_200;
/// Role chaining caps sessions at one hour.
const CHAINED_MAX_DURATION: i64 = 3_600;
/// The plaintext limit of session policies and session tags together.
pub(super) const PACKED_LIMIT: usize = 2_048;

/// The request's parameters (form body, then query), decoded, in order.
#[derive(Debug, Default)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub(super) fn required(&self, key: &str) -> Result<&str, AwsError> {
        self.get(key)
            .ok_or_else(|| error("MissingParameter", 400, format!("The request must contain the parameter {key}")))
    }

    /// `Prefix.member.1`, `Prefix.member.2`, ... up to the first gap.
    pub(super) fn members(&self, prefix: &str, suffix: &str) -> Vec<&str> {
        (1..).map_while(|i| self.get(&format!("{prefix}.member.{i}{suffix}"))).collect()
    }
}

/// Everything an action needs.
pub(crate) struct Call<'a> {
    pub(crate) params: &'a Params,
    pub(crate) caller: &'a Authenticated,
    pub(crate) data: Option<&'a AccountData>,
    pub(crate) store: &'a CredentialStore,
    /// The key that opens iamspect's encoded authorization messages.
    pub(crate) message_key: &'a iamspect_explain::encoded::MessageKey,
    pub(crate) now: Timestamp,
    pub(crate) request_id: &'a str,
}

/// Runs the action named by `Action`; the XML answer, or the error to send.
pub(crate) fn dispatch(call: &Call<'_>) -> Result<String, AwsError> {
    let action = call.params.required("Action")?;
    if let Some(v) = call.params.get("Version")
        && v != VERSION
    {
        return Err(error("InvalidAction", 400, format!("Could not find operation {action} for version {v}")));
    }
    match action {
        "GetCallerIdentity" => Ok(get_caller_identity(call)),
        "AssumeRole" => assume_role(call),
        "GetSessionToken" => get_session_token(call),
        "DecodeAuthorizationMessage" => decode_authorization_message(call),
        "GetFederationToken" => super::federation_token::get_federation_token(call),
        "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML" => {
            Err(error("InternalFailure", 500, format!("{action} is unsigned and is answered before authentication")))
        }
        other => Err(error("InvalidAction", 400, format!("Could not find operation {other} for version {VERSION}"))),
    }
}

pub(super) fn validation(message: impl Into<String>) -> AwsError {
    error("ValidationError", 400, message)
}

pub(super) fn constraint(value: &str, field: &str, rule: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

/// A stable made-up unique id (`AIDA...`, `AROA...`) for principals the account data has no id for.
pub(super) fn derived_id(prefix: &str, arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a, twice with different seeds, for 17 base-32 characters.
    let hash = |seed: u64| arn.bytes().fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let mut bits = (u128::from(hash(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(hash(0x8422_2325_cbf2_9ce4));
    let mut out = String::from(prefix);
    for _ in 0..17 {
        out.push(char::from(ALPHABET[(bits & 31) as usize]));
        bits >>= 5;
    }
    out
}

pub(super) fn role_id(data: Option<&AccountData>, account: &str, role_name: &str, role_arn: &str) -> String {
    data.and_then(|d| d.accounts.get(account))
        .and_then(|a| a.roles.get(role_name))
        .and_then(|r| r.id.clone())
        .unwrap_or_else(|| derived_id("AROA", role_arn))
}

/// The role's `MaxSessionDuration` (one hour unless the account data says otherwise); for a role
/// the data does not hold, 12 hours, and authorization decides.
pub(super) fn role_max_duration(data: Option<&AccountData>, account: &str, role_name: &str) -> i64 {
    data.and_then(|d| d.accounts.get(account))
        .and_then(|a| a.roles.get(role_name))
        .map_or(ROLE_MAX_DURATION, |r| i64::from(r.max_session_seconds()).min(ROLE_MAX_DURATION))
}

fn get_caller_identity(call: &Call<'_>) -> String {
    let arn = call.caller.principal_arn();
    let principal = Principal::parse(arn).ok();
    let account = principal.as_ref().and_then(Principal::account).unwrap_or_default().to_string();
    let user_id = match principal.as_ref().map(|p| &p.kind) {
        Some(PrincipalKind::User { name, account, arn }) => call
            .data
            .and_then(|d| d.accounts.get(account))
            .and_then(|a| a.users.get(name))
            .and_then(|u| u.id.clone())
            .unwrap_or_else(|| derived_id("AIDA", arn)),
        Some(PrincipalKind::RoleSession { role_name, role_arn, account, session_name, .. }) => format!(
            "{}:{}",
            role_id(call.data, account, role_name, role_arn),
            session_name.as_deref().unwrap_or_default()
        ),
        Some(PrincipalKind::FederatedUser { account, name, .. }) => format!("{account}:{name}"),
        _ => account.clone(),
    };
    format!(
        "<GetCallerIdentityResponse xmlns=\"{XMLNS}\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        xml(arn),
        xml(&user_id),
        xml(&account),
        xml(call.request_id)
    )
}

/// `DurationSeconds`: `default` when absent, else an integer in `900..=max`.
pub(super) fn duration(params: &Params, default: i64, max: i64, too_long: &str) -> Result<i64, AwsError> {
    let Some(text) = params.get("DurationSeconds") else { return Ok(default) };
    let seconds: i64 = text.parse().map_err(|_| constraint(text, "durationSeconds", "Member must be an integer"))?;
    if seconds < 900 {
        return Err(constraint(text, "durationSeconds", "Member must have value greater than or equal to 900"));
    }
    if seconds > max {
        return Err(validation(too_long));
    }
    Ok(seconds)
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `SerialNumber` and `TokenCode`: whether MFA was presented (both are needed).
fn mfa(params: &Params) -> Result<bool, AwsError> {
    match (params.get("SerialNumber"), params.get("TokenCode")) {
        (None, None) => Ok(false),
        (Some(serial), Some(code)) => {
            if !(9..=256).contains(&serial.len()) || !serial.chars().all(|c| is_name_char(c) || c == ':' || c == '/') {
                return Err(constraint(
                    serial,
                    "serialNumber",
                    "Member must satisfy regular expression pattern: [\\w+=/:,.@-]*",
                ));
            }
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(constraint(code, "tokenCode", "Member must satisfy regular expression pattern: [\\d]*"));
            }
            Ok(true)
        }
        (Some(_), None) => Err(validation("TokenCode is required when SerialNumber is given")),
        (None, Some(_)) => Err(validation("SerialNumber is required when TokenCode is given")),
    }
}

/// Fresh key pair and token.
pub(super) fn fresh() -> Result<(String, String, String), AwsError> {
    Ok((random::access_key_id()?, random::secret()?, random::session_token()?))
}

pub(super) fn expiry(now: Timestamp, seconds: i64) -> Result<Timestamp, AwsError> {
    Timestamp::from_second(now.as_second().saturating_add(seconds))
        .map_err(|_| error("InternalFailure", 500, "An internal error occurred."))
}

/// Adds issued credentials to the store (which first drops long-expired ones). A store full of
/// live credentials refuses them (decision D36): `ServiceUnavailable`, 503, which SDKs retry.
pub(super) fn store(store: &CredentialStore, credential: Credential, now: Timestamp) -> Result<(), AwsError> {
    store.add_at(credential, now).map(drop).map_err(|e| match e {
        iamspect_auth::StoreError::Full(max) => {
            tracing::error!(max, "STS: the credential store is full of live sessions; issuance refused");
            error(
                "ServiceUnavailable",
                503,
                format!(
                    "iamspect's STS holds its maximum of {max} live temporary credentials (iamspect serve --max-sessions); new ones are issued as these expire"
                ),
            )
        }
        e => {
            tracing::error!(error = %e, "issued credentials refused by the store");
            error("InternalFailure", 500, "An internal error occurred.")
        }
    })
}

pub(super) fn credentials_xml(key: &str, secret: &str, token: &str, expiration: Timestamp) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        xml(key),
        xml(secret),
        xml(token),
        expiration
    )
}

fn get_session_token(call: &Call<'_>) -> Result<String, AwsError> {
    if call.caller.credential.is_temporary() {
        return Err(error("AccessDenied", 403, "Cannot call GetSessionToken with session credentials"));
    }
    let arn = call.caller.principal_arn();
    let root = matches!(Principal::parse(arn).map(|p| p.kind), Ok(PrincipalKind::Root { .. }));
    let (default, max) = if root { (3_600, 3_600) } else { (43_200, 129_600) };
    let too_long = if root {
        "The requested DurationSeconds exceeds the 1 hour session limit for the root user."
    } else {
        "The requested DurationSeconds exceeds the 36 hour session limit for IAM users."
    };
    let seconds = duration(call.params, default, max, too_long)?;
    let mfa = mfa(call.params)?;
    let (key, secret, token) = fresh()?;
    let expiration = expiry(call.now, seconds)?;
    let mut session = Session::new(token.clone(), expiration);
    session.issued_at = Some(call.now);
    session.issuer_arn = Some(arn.to_string());
    session.mfa_authenticated = mfa;
    store(call.store, Credential::temporary(key.clone(), secret.clone(), arn, session), call.now)?;
    Ok(format!(
        "<GetSessionTokenResponse xmlns=\"{XMLNS}\"><GetSessionTokenResult>{}</GetSessionTokenResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetSessionTokenResponse>",
        credentials_xml(&key, &secret, &token, expiration),
        xml(call.request_id)
    ))
}

/// `Tags.member.N.Key`/`.Value`: checked as AWS does (at most 50, keys 1 to 128 characters, values
/// at most 256, no key twice ignoring case).
pub(super) fn tags(p: &Params) -> Result<Vec<(&str, &str)>, AwsError> {
    let keys = p.members("Tags", ".Key");
    let mut tags = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let value = p.get(&format!("Tags.member.{}.Value", i + 1)).unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(validation(format!(
                "1 validation error detected: Value at 'tags.{}.member' failed to satisfy constraint: keys have 1 to 128 characters, values at most 256",
                i + 1
            )));
        }
        if tags.iter().any(|(k, _): &(&str, &str)| k.eq_ignore_ascii_case(key)) {
            return Err(error(
                "InvalidParameterValue",
                400,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        tags.push((*key, value));
    }
    if tags.len() > 50 {
        return Err(constraint(&tags.len().to_string(), "tags", "Member must have length less than or equal to 50"));
    }
    Ok(tags)
}

/// Compiles the new session's policies (checked before any decision, as AWS does) and measures
/// them with the session tags against the packed limit: the packed size and its percentage.
pub(super) fn pack(
    compiler: &mut Compiler,
    data: &AccountData,
    policy: Option<&str>,
    policy_arns: &[&str],
    tags: &[(&str, &str)],
) -> Result<(usize, usize), AwsError> {
    let mut packed = 0usize;
    if let Some(text) = policy {
        compile(compiler, "session-policy", text)?;
        packed += text.chars().filter(|c| !c.is_whitespace()).count();
    }
    for arn in policy_arns {
        let text = managed(data, arn)?;
        compile(compiler, arn, text)?;
        packed += arn.len();
    }
    packed += tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let percent = (packed * 100).div_ceil(PACKED_LIMIT);
    if packed > PACKED_LIMIT {
        return Err(error(
            "PackedPolicyTooLarge",
            400,
            format!("Packed policy consumes {percent}% of allotted space, please use smaller policy."),
        ));
    }
    Ok((packed, percent))
}

/// `PolicyArns.member.N.arn`: at most 10.
pub(super) fn policy_arns(p: &Params) -> Result<Vec<&str>, AwsError> {
    let policy_arns = p.members("PolicyArns", ".arn");
    if policy_arns.len() > 10 {
        return Err(constraint(
            &policy_arns.len().to_string(),
            "policyArns",
            "Member must have length less than or equal to 10",
        ));
    }
    Ok(policy_arns)
}

/// Refuses parameters the action does not take (every input is used or refused).
pub(super) fn known_params(p: &Params, action: &str, known: &[&str], lists: &[&str]) -> Result<(), AwsError> {
    for (k, _) in &p.0 {
        // `X-Amz-*` query parameters are a presigned request's signature, checked by the gate.
        let plain = k == "Action" || k == "Version" || k.starts_with("X-Amz-") || known.contains(&k.as_str());
        let listed = lists.iter().any(|l| k.strip_prefix(l).is_some_and(|rest| rest.starts_with(".member.")));
        if !plain && !listed {
            return Err(error(
                "InvalidParameterValue",
                400,
                format!("{action} does not take the parameter {k} (iamspect refuses parameters it would not use)"),
            ));
        }
    }
    Ok(())
}

/// What `AssumeRole` was asked for, checked.
struct AssumeRoleInput<'a> {
    role_arn: &'a str,
    account: &'a str,
    role_name: &'a str,
    session_name: &'a str,
    seconds: i64,
    external_id: Option<&'a str>,
    policy: Option<&'a str>,
    policy_arns: Vec<&'a str>,
    tags: Vec<(&'a str, &'a str)>,
    transitive: Vec<&'a str>,
    mfa: bool,
    chained: bool,
}

/// A role session to issue: what `AssumeRole` and `AssumeRoleWithWebIdentity` share.
pub(super) struct NewRoleSession<'a> {
    pub(super) role_arn: &'a str,
    pub(super) account: &'a str,
    pub(super) role_name: &'a str,
    pub(super) session_name: &'a str,
    pub(super) seconds: i64,
    pub(super) policy: Option<&'a str>,
    pub(super) policy_arns: &'a [&'a str],
}

/// A stored role session's credentials and names, for the answer.
pub(super) struct Issued {
    pub(super) key: String,
    pub(super) secret: String,
    pub(super) token: String,
    pub(super) expiration: Timestamp,
    pub(super) session_arn: String,
    pub(super) assumed_role_id: String,
}

/// Issues and stores a role session: fresh `ASIA` credentials, the session ARN and id, the
/// session policies; `fill` sets what the call adds (tags, MFA, provider, source identity) before
/// it is stored.
pub(super) fn issue_role_session(
    now: Timestamp,
    credentials: &CredentialStore,
    data: &AccountData,
    role: &NewRoleSession<'_>,
    fill: impl FnOnce(&mut Session),
) -> Result<Issued, AwsError> {
    let (key, secret, token) = fresh()?;
    let expiration = expiry(now, role.seconds)?;
    let session_arn = format!("arn:aws:sts::{}:assumed-role/{}/{}", role.account, role.role_name, role.session_name);
    let assumed_role_id =
        format!("{}:{}", role_id(Some(data), role.account, role.role_name, role.role_arn), role.session_name);
    let mut session = Session::new(token.clone(), expiration);
    session.issued_at = Some(now);
    session.issuer_arn = Some(role.role_arn.to_string());
    session.session_policies = role.policy.map(str::to_string).into_iter().collect();
    session.session_policy_arns = role.policy_arns.iter().map(|a| (*a).to_string()).collect();
    fill(&mut session);
    store(credentials, Credential::temporary(key.clone(), secret.clone(), session_arn.clone(), session), now)?;
    Ok(Issued { key, secret, token, expiration, session_arn, assumed_role_id })
}

/// `RoleArn` and `RoleSessionName`, checked as AWS checks them: the role's ARN, parsed, its name,
/// and the session name.
pub(crate) fn role_and_session(p: &Params) -> Result<(&str, iamspect_core::Arn<'_>, &str, &str), AwsError> {
    let role_arn = p.required("RoleArn")?;
    let session_name = p.required("RoleSessionName")?;
    let arn = iamspect_core::Arn::parse(role_arn)
        .filter(|a| a.service == "iam" && a.resource.starts_with("role/") && !a.account.is_empty())
        .ok_or_else(|| validation(format!("{role_arn} is invalid")))?;
    let role_name = arn.resource.rsplit('/').next().unwrap_or_default();
    if !(2..=64).contains(&session_name.len()) || !session_name.chars().all(is_name_char) {
        return Err(constraint(
            session_name,
            "roleSessionName",
            "Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok((role_arn, arn, role_name, session_name))
}

fn assume_role_input<'a>(call: &Call<'a>) -> Result<AssumeRoleInput<'a>, AwsError> {
    let p = call.params;
    let (role_arn, arn, role_name, session_name) = role_and_session(p)?;
    let external_id = p.get("ExternalId");
    if let Some(id) = external_id
        && (!(2..=1224).contains(&id.len()) || !id.chars().all(|c| is_name_char(c) || c == ':' || c == '/'))
    {
        return Err(constraint(
            id,
            "externalId",
            "Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
        ));
    }
    let caller_is_role_session =
        matches!(Principal::parse(call.caller.principal_arn()).map(|p| p.kind), Ok(PrincipalKind::RoleSession { .. }));
    let chained = caller_is_role_session && call.caller.credential.is_temporary();
    let seconds = if chained {
        duration(
            p,
            CHAINED_MAX_DURATION,
            CHAINED_MAX_DURATION,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )?
    } else {
        duration(
            p,
            3_600,
            role_max_duration(call.data, arn.account, role_name),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )?
    };
    let policy_arns = p.members("PolicyArns", ".arn");
    if policy_arns.len() > 10 {
        return Err(constraint(
            &policy_arns.len().to_string(),
            "policyArns",
            "Member must have length less than or equal to 10",
        ));
    }
    let tags = tags(p)?;
    let transitive = p.members("TransitiveTagKeys", "");
    if let Some(k) = transitive.iter().find(|k| !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k))) {
        return Err(error(
            "InvalidParameterValue",
            400,
            format!("The specified transitive tag key must be included in the requested tags: {k}"),
        ));
    }
    Ok(AssumeRoleInput {
        role_arn,
        account: arn.account,
        role_name,
        session_name,
        seconds,
        external_id,
        policy: p.get("Policy"),
        policy_arns,
        tags,
        transitive,
        mfa: mfa(p)?,
        chained,
    })
}

/// The context of a call to iamspect's STS: the clock, HTTPS, and what the caller's credentials
/// bring ([`credential_context`]).
pub(super) fn caller_context(caller: &Authenticated, now: Timestamp) -> Vec<(String, Vec<String>)> {
    let mut ctx = vec![
        ("aws:CurrentTime".to_string(), vec![now.to_string()]),
        ("aws:EpochTime".to_string(), vec![now.as_second().to_string()]),
        ("aws:SecureTransport".to_string(), vec!["true".to_string()]),
    ];
    credential_context(caller, now, &mut ctx);
    ctx
}

/// What the caller's credentials bring to every request they sign, for STS and the gateway alike:
/// the scope's region, and for temporary credentials `aws:MultiFactorAuthPresent`,
/// `aws:TokenIssueTime` (with `aws:MultiFactorAuthAge` after MFA), `aws:SourceIdentity`,
/// `aws:FederatedProvider` (web identity sessions) and the session tags as `aws:PrincipalTag/*`.
pub(crate) fn credential_context(caller: &Authenticated, now: Timestamp, ctx: &mut Vec<(String, Vec<String>)>) {
    ctx.push(("aws:RequestedRegion".to_string(), vec![caller.region.clone()]));
    let Some(s) = &caller.credential.session else { return };
    ctx.push(("aws:MultiFactorAuthPresent".to_string(), vec![s.mfa_authenticated.to_string()]));
    if let Some(issued) = s.issued_at {
        ctx.push(("aws:TokenIssueTime".to_string(), vec![issued.to_string()]));
        if s.mfa_authenticated {
            let age = now.as_second().saturating_sub(issued.as_second()).max(0);
            ctx.push(("aws:MultiFactorAuthAge".to_string(), vec![age.to_string()]));
        }
    }
    if let Some(identity) = &s.source_identity {
        ctx.push(("aws:SourceIdentity".to_string(), vec![identity.clone()]));
    }
    if let Some(provider) = &s.federated_provider {
        ctx.push(("aws:FederatedProvider".to_string(), vec![provider.clone()]));
    }
    for (k, v) in &s.tags {
        ctx.push((format!("aws:PrincipalTag/{k}"), vec![v.clone()]));
    }
}

/// The caller's session policies (inline and managed), compiled.
pub(crate) fn caller_session_policies(
    session: &Session,
    data: &AccountData,
    compiler: &mut Compiler,
) -> Result<Vec<Arc<Policy>>, AwsError> {
    let mut out = Vec::new();
    for (i, text) in session.session_policies.iter().enumerate() {
        out.push(compile(compiler, &format!("session-policy-{}", i + 1), text)?);
    }
    for arn in &session.session_policy_arns {
        let text = managed(data, arn)?;
        out.push(compile(compiler, arn, text)?);
    }
    Ok(out)
}

pub(super) fn managed<'d>(data: &'d AccountData, arn: &str) -> Result<&'d str, AwsError> {
    data.managed_policies.get(arn).map(|p| p.document.as_str()).ok_or_else(|| {
        error("MalformedPolicyDocument", 400, format!("Policy {arn} does not exist or is not attachable."))
    })
}

pub(super) fn compile(compiler: &mut Compiler, name: &str, text: &str) -> Result<Arc<Policy>, AwsError> {
    compiler.compile(name, text, PolicyType::Session).map_err(|e| error("MalformedPolicyDocument", 400, e.message))
}

/// Decides `action` on the role for the caller: its identity policies (and session policies) and
/// the role's trust policy in one evaluation. `Ok(())` when allowed, else the AccessDenied error.
pub(super) fn decide(
    call: &Call<'_>,
    data: &AccountData,
    action: &str,
    role_arn: &str,
    context: &[(String, Vec<String>)],
    compiler: &mut Compiler,
) -> Result<(), AwsError> {
    let caller = call.caller.principal_arn();
    let denied = |message: Option<String>| {
        error(
            "AccessDenied",
            403,
            message.unwrap_or_else(|| {
                format!("User: {caller} is not authorized to perform: {action} on resource: {role_arn}")
            }),
        )
    };
    let mut built = match iamspect_case::from_account_data(data, caller, action, role_arn, None, context, compiler) {
        Ok(b) => b,
        Err(e) => {
            tracing::info!(error = %e.message, caller, role_arn, "the request cannot be decided from the account data");
            return Err(denied(None));
        }
    };
    if let Some(session) = &call.caller.credential.session {
        built.policies.session = caller_session_policies(session, data, compiler)?;
    }
    let outcome = iamspect_core::authorize(&built.request, &built.policies);
    if outcome.decision == Decision::Allowed {
        return Ok(());
    }
    // Denied: decided again with the trace, to name the denying policy as AWS does.
    let response = iamspect_core::authorize_traced(&built.request, &built.policies);
    let message = iamspect_explain::message::for_response(&built.request, &response).map(|m| m.render());
    Err(denied(message))
}

fn assume_role(call: &Call<'_>) -> Result<String, AwsError> {
    let input = assume_role_input(call)?;
    let caller_session = call.caller.credential.session.as_ref();
    // Transitive tags of a chained session flow on and may not be overridden.
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut transitive: Vec<String> = Vec::new();
    if input.chained
        && let Some(s) = caller_session
    {
        for key in &s.transitive_tag_keys {
            if input.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(error(
                    "InvalidParameterValue",
                    400,
                    format!("Attempting to override transitive tag key {key} is not allowed."),
                ));
            }
            if let Some((k, v)) = s.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                tags.push((k.clone(), v.clone()));
                transitive.push(k.clone());
            }
        }
    }
    tags.extend(input.tags.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    transitive.extend(input.transitive.iter().map(|k| k.to_string()));

    let Some(data) = call.data else {
        return Err(error(
            "AccessDenied",
            403,
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {} (the server has no account data)",
                call.caller.principal_arn(),
                input.role_arn
            ),
        ));
    };
    let mut compiler = Compiler::new();
    // The new session's policies: checked before the decision, as AWS does.
    let (packed, percent) = pack(&mut compiler, data, input.policy, &input.policy_arns, &input.tags)?;

    let mut context = caller_context(call.caller, call.now);
    context.push(("sts:RoleSessionName".to_string(), vec![input.session_name.to_string()]));
    if let Some(id) = input.external_id {
        context.push(("sts:ExternalId".to_string(), vec![id.to_string()]));
    }
    if input.mfa {
        context.push(("aws:MultiFactorAuthPresent".to_string(), vec!["true".to_string()]));
        context.push(("aws:MultiFactorAuthAge".to_string(), vec!["0".to_string()]));
    }
    if !input.tags.is_empty() {
        for (k, v) in &input.tags {
            context.push((format!("aws:RequestTag/{k}"), vec![v.to_string()]));
        }
        context.push(("aws:TagKeys".to_string(), input.tags.iter().map(|(k, _)| k.to_string()).collect()));
    }
    if !input.transitive.is_empty() {
        context.push(("sts:TransitiveTagKeys".to_string(), input.transitive.iter().map(|k| k.to_string()).collect()));
    }
    decide(call, data, "sts:AssumeRole", input.role_arn, &context, &mut compiler)?;
    if !input.tags.is_empty() {
        decide(call, data, "sts:TagSession", input.role_arn, &context, &mut compiler)?;
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
            session.tags = tags;
            session.transitive_tag_keys = transitive;
            session.mfa_authenticated = input.mfa;
            session.source_identity = caller_session.and_then(|s| s.source_identity.clone());
        })?;

    let mut out = format!("<AssumeRoleResponse xmlns=\"{XMLNS}\"><AssumeRoleResult>");
    out.push_str(&credentials_xml(&key, &secret, &token, expiration));
    let _ = write!(
        out,
        "<AssumedRoleUser><Arn>{}</Arn><AssumedRoleId>{}</AssumedRoleId></AssumedRoleUser>",
        xml(&session_arn),
        xml(&assumed_role_id)
    );
    if packed > 0 {
        let _ = write!(out, "<PackedPolicySize>{percent}</PackedPolicySize>");
    }
    let _ = write!(
        out,
        "</AssumeRoleResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></AssumeRoleResponse>",
        xml(call.request_id)
    );
    Ok(out)
}

/// `DecodeAuthorizationMessage`: the JSON sealed in an iamspect encoded authorization message
/// (the token the gateway puts in its deny answers), opened with the server's key. The caller
/// needs `sts:DecodeAuthorizationMessage` from its identity policies (and session policies), as in
/// AWS; the token is opened only after that decision, so a caller without it learns nothing, not
/// even whether the token is sound.
fn decode_authorization_message(call: &Call<'_>) -> Result<String, AwsError> {
    let token = call.params.required("EncodedMessage")?;
    let Some(data) = call.data else {
        return Err(error(
            "AccessDenied",
            403,
            format!(
                "User: {} is not authorized to perform: sts:DecodeAuthorizationMessage (the server has no account data)",
                call.caller.principal_arn()
            ),
        ));
    };
    let mut compiler = Compiler::new();
    let context = caller_context(call.caller, call.now);
    decide(call, data, "sts:DecodeAuthorizationMessage", "*", &context, &mut compiler)?;
    let decoded = iamspect_explain::encoded::decode(call.message_key, token)
        .map_err(|e| error("InvalidAuthorizationMessageException", 400, e.to_string()))?;
    Ok(format!(
        "<DecodeAuthorizationMessageResponse xmlns=\"{XMLNS}\"><DecodeAuthorizationMessageResult><DecodedMessage>{}</DecodedMessage></DecodeAuthorizationMessageResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></DecodeAuthorizationMessageResponse>",
        xml(&decoded),
        xml(call.request_id)
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn caller(session: Option<Session>) -> Authenticated {
        let arn = "arn:aws:sts::111122223333:assumed-role/Deploy/ci";
        let credential = match session {
            Some(s) => Credential::temporary("ASIAEXAMPLE", "secret", arn, s),
            None => Credential::long_term("AKIAEXAMPLE", "secret", arn),
        };
        Authenticated {
            credential: Arc::new(credential),
            region: "eu-west-1".to_string(),
            service: "sts".to_string(),
            request_time: Timestamp::from_second(1_748_779_200).unwrap(),
            location: iamspect_auth::SignatureLocation::Header,
            presigned_expires_at: None,
            signed_headers: Vec::new(),
            payload_signed: true,
            streaming: None,
        }
    }

    /// STS and the gateway give the same keys for the same credentials, source identity included.
    #[test]
    fn credential_context_of_a_session() {
        let now = Timestamp::from_second(1_748_779_260).unwrap();
        let mut session = Session::new("token", Timestamp::from_second(1_748_782_800).unwrap());
        session.issued_at = Some(Timestamp::from_second(1_748_779_200).unwrap());
        session.mfa_authenticated = true;
        session.source_identity = Some("alice@example.com".to_string());
        session.tags = vec![("team".to_string(), "payments".to_string())];
        let mut ctx = Vec::new();
        credential_context(&caller(Some(session)), now, &mut ctx);
        let get = |k: &str| ctx.iter().find(|(key, _)| key == k).map(|(_, v)| v[0].as_str());
        assert_eq!(get("aws:RequestedRegion"), Some("eu-west-1"));
        assert_eq!(get("aws:MultiFactorAuthPresent"), Some("true"));
        assert_eq!(get("aws:MultiFactorAuthAge"), Some("60"));
        assert_eq!(get("aws:SourceIdentity"), Some("alice@example.com"));
        assert_eq!(get("aws:PrincipalTag/team"), Some("payments"));
        let stsc = caller_context(&caller(None), now);
        assert!(stsc.iter().all(|(k, _)| k != "aws:MultiFactorAuthPresent" && k != "aws:SourceIdentity"), "{stsc:?}");
    }
}
