//! Gateway mode (`iamspect serve --gateway`): any SigV4-signed AWS request (or anonymous S3
//! request) that reaches the server outside its own API is authenticated against the credential
//! store, mapped to the IAM action(s) and resource(s) it needs, decided by the engine against the
//! account data, and answered with the service's own AccessDenied shape or, when allowed, passed to
//! a loopback upstream (an emulator) unchanged.
//!
//! One module per concern: `scope` reads the claimed credential scope, `names` maps signing
//! names and operations to IAM names, `s3` is S3's REST table, `resource` derives the resources
//! of Query and JSON requests, `context` builds the request context, `respond` writes the
//! answers in each protocol's shape, `proxy` forwards allowed requests.

pub(crate) mod companions;
pub(crate) mod composite;
pub(crate) mod context;
pub(crate) mod delete;
#[doc(hidden)]
pub mod differential;
pub(crate) mod names;
pub mod proxy;
pub(crate) mod resource;
pub(crate) mod respond;
pub(crate) mod s3;
pub(crate) mod scope;
pub(crate) mod shaping;
pub(crate) mod sse;
pub(crate) mod wire;

use std::net::IpAddr;

use axum::http::request::Parts;
use axum::response::Response;
use iamspect_auth::{Authenticated, AwsError, Expected, HttpRequestParts, SignatureLocation};
use iamspect_core::{Decision, Principal};

use crate::state::AppState;
pub(crate) use respond::Shape;

/// What gateway mode is configured with.
#[derive(Clone, Debug)]
pub struct Gateway {
    /// Where allowed requests go; `None` answers them with a small JSON body.
    pub upstream: Option<Upstream>,
    /// The region the gateway serves (`--region`): every request must be signed for it, and it
    /// is the request's `aws:RequestedRegion`.
    pub region: String,
    /// Host names served path-style besides `localhost` and loopback addresses
    /// (`--endpoint-host`).
    pub endpoint_hosts: Vec<String>,
    /// Forward emulator control paths (`/moto-api/`, `/_localstack/`, ...) without
    /// authorization (`--allow-emulator-control`); refused otherwise.
    pub allow_emulator_control: bool,
    /// Trust `X-Forwarded-Proto` from a TLS front (`--trust-forwarded-proto`): `https` makes
    /// `aws:SecureTransport` true. Off, the header is refused.
    pub trust_forwarded_proto: bool,
    /// A KMS key the account data holds no key policy for has AWS's default key policy
    /// (`--default-key-policy`), as a key created without one does; off, such a request is
    /// denied by the missing key policy (D52).
    pub default_key_policy: bool,
}

impl Default for Gateway {
    fn default() -> Gateway {
        Gateway {
            upstream: None,
            region: "us-east-1".to_string(),
            endpoint_hosts: Vec::new(),
            allow_emulator_control: false,
            trust_forwarded_proto: false,
            default_key_policy: false,
        }
    }
}

impl Gateway {
    /// A gateway forwarding to `upstream`, with the default region (`us-east-1`).
    pub fn new(upstream: Option<Upstream>) -> Gateway {
        Gateway { upstream, ..Gateway::default() }
    }
}

/// A loopback HTTP upstream, with its kept-alive connections.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// `host:port`, the host a loopback address or `localhost`.
    pub authority: String,
    /// Connections kept alive for the next requests.
    pub pool: std::sync::Arc<proxy::Pool>,
}

impl PartialEq for Upstream {
    fn eq(&self, other: &Upstream) -> bool {
        self.authority == other.authority
    }
}

impl Eq for Upstream {}

impl Upstream {
    /// Reads `http://127.0.0.1:PORT` (also `http://localhost:PORT`, `http://[::1]:PORT`).
    ///
    /// # Errors
    /// When the URL is not plain `http://` to a loopback host with a port and no path.
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let refuse = |why: &str| {
            Err(format!(
                "--upstream `{url}`: {why}; the gateway forwards only to a loopback address, e.g. http://127.0.0.1:4566"
            ))
        };
        let Some(rest) = url.strip_prefix("http://") else {
            return refuse("must start with http://");
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') || authority.contains('?') || authority.contains('@') {
            return refuse("must have no path, query or user");
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, p),
            _ => return refuse("must name a port"),
        };
        if port.parse::<u16>().is_err() {
            return refuse("the port must be 1 to 65535");
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback =
            bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return refuse("is not a loopback address");
        }
        Ok(Upstream { authority: authority.to_string(), pool: std::sync::Arc::default() })
    }
}

/// One authorization the request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) action: String,
    pub(crate) resource: String,
}

impl Check {
    pub(crate) fn new(action: String, resource: String) -> Check {
        Check { action, resource }
    }
}

/// A request mapped to IAM.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mapped {
    /// The API operation, for logs and the allowed answer.
    pub(crate) operation: String,
    pub(crate) checks: Vec<Check>,
    /// Service-specific context keys.
    pub(crate) context: Vec<(String, Vec<String>)>,
    /// S3 `DeleteObjects`: decided key by key (see [`delete`]).
    pub(crate) delete: Option<delete::DeleteObjects>,
}

impl Mapped {
    pub(crate) fn new(operation: &str, checks: Vec<Check>) -> Mapped {
        Mapped { operation: operation.to_string(), checks, context: Vec::new(), delete: None }
    }
}

/// Why a request could not be mapped: answered with this iamspect-specific code (decision D27).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unmapped {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// An allowed request.
#[derive(Debug)]
pub(crate) struct Allowed {
    pub(crate) operation: String,
    pub(crate) checks: Vec<Check>,
    pub(crate) principal: String,
    /// S3 `DeleteObjects` with keys the caller may not delete: the allowed keys go upstream one
    /// by one and the answer lists the others as `AccessDenied`.
    pub(crate) partial_delete: Option<delete::DeleteObjects>,
    /// Checks that wait for the upstream's answer (D70, D74).
    pub(crate) after: Option<sse::Pending>,
    /// What to ask the upstream before forwarding (D70).
    pub(crate) preflight: Option<sse::Preflight>,
}

/// The protocol's shape for answers given before the request could be read (a refusal of the
/// request itself): guessed from the headers, never used to decide.
pub(crate) fn shape_before_reading(request: &HttpRequestParts<'_>) -> Shape {
    let service = scope::claimed(request).service.map(|s| s.to_ascii_lowercase());
    if request.header_values("x-amz-target").next().is_some() {
        Shape::Json {
            content_type: request.header_str("content-type").unwrap_or("application/x-amz-json-1.1").to_string(),
        }
    } else if service.as_deref().is_none_or(|s| s == "s3") {
        Shape::S3
    } else if service.as_deref() == Some("ec2") {
        Shape::Ec2
    } else {
        Shape::Query
    }
}

/// Bodies up to this size are decided on the async worker that read them (D72): the same bound
/// as `/v1/authorize`'s inline bodies.
pub(crate) const INLINE_BODY: usize = 16 * 1024;

/// Whether a request is cheap enough to decide where it arrived: a body of at most
/// [`INLINE_BODY`] bytes that is not an S3 `DeleteObjects` (one decision per key, up to 1,000).
/// Its checks are few (one to a handful per request), each microseconds once the account data's
/// policies are compiled, less than the trip to the pool; the others go to the pool (D38).
pub(crate) fn decides_inline(parts: &Parts, body: &[u8]) -> bool {
    let delete_objects = parts.method == axum::http::Method::POST
        && parts.uri.query().is_some_and(|q| q.split('&').any(|p| p == "delete" || p.starts_with("delete=")));
    body.len() <= INLINE_BODY && !delete_objects
}

/// Decides a gateway request: `Ok` when every check is allowed, else the answer to send.
#[allow(clippy::result_large_err, reason = "the answer is sent at once, never propagated further")]
pub(crate) fn decide(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    peer: Option<IpAddr>,
    request_id: &str,
) -> Result<Allowed, Response> {
    let default = Gateway::default();
    let gateway = state.gateway().unwrap_or(&default);
    let request = HttpRequestParts::from_http(parts, body);

    // An unsigned request in another service's protocol gets that protocol's
    // `MissingAuthenticationToken`; only S3 takes anonymous requests.
    let looks_other = request.header_values("x-amz-target").next().is_some()
        || request
            .header_str("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !scope::claimed(&request).signed && looks_other {
        let shape = shape_before_reading(&request);
        let shape = if shape == Shape::S3 { Shape::Query } else { shape };
        if let Err(e) = iamspect_auth::verify_with(&request, state.sts().store(), state.sts().now(), &Expected::any()) {
            return Err(respond::error(&shape, &e.to_aws(shape.auth_protocol()), request_id, None));
        }
    }

    // The one reading of the request (D50): refused when it is not unique.
    let wire = match wire::read(parts, body, gateway) {
        Ok(w) => w,
        Err(u) => {
            let status = wire::status(u.code);
            tracing::info!(code = u.code, reason = %u.message, "gateway: request refused as read");
            let e = AwsError { code: u.code, status, message: u.message, extra: Vec::new() };
            return Err(respond::error(&shape_before_reading(&request), &e, request_id, None));
        }
    };
    let prefix = names::iam_prefix(&wire.service);
    let shape = match &wire.protocol {
        wire::Protocol::S3 => Shape::S3,
        wire::Protocol::Json { .. } => Shape::Json {
            content_type: request.header_str("content-type").unwrap_or("application/x-amz-json-1.1").to_string(),
        },
        wire::Protocol::Query if prefix == "ec2" => Shape::Ec2,
        wire::Protocol::Query => Shape::Query,
        wire::Protocol::RestJson => Shape::RestJson,
    };
    let fail = |code: &'static str, status: u16, message: String| {
        respond::error(&shape, &AwsError { code, status, message, extra: Vec::new() }, request_id, None)
    };

    // Authentication: the scope must name the service and region the request was read for.
    let sts = state.sts();
    let now = sts.now();
    let caller: Option<Authenticated> = if wire.signed {
        let expected = Expected::exactly(&gateway.region, &wire.service);
        match iamspect_auth::verify_with(&request, sts.store(), now, &expected) {
            Ok(c) => Some(c),
            Err(e) => {
                let aws = e.to_aws_for(shape.auth_protocol(), &wire.service);
                return Err(respond::error(&shape, &aws, request_id, None));
            }
        }
    } else {
        None
    };
    let principal = caller.as_ref().map_or_else(|| "anonymous".to_string(), |c| c.principal_arn().to_string());
    let caller_account = Principal::parse(&principal).ok().and_then(|p| p.account().map(str::to_string));
    let region = gateway.region.clone();

    let Some(snapshot) = state.account() else {
        return Err(fail(
            "IamspectNoAccountData",
            403,
            "the gateway has no account data to decide with (start it with --account-data)".to_string(),
        ));
    };
    let data = &snapshot.data;

    // An opt-in Region the caller's account has not enabled: its credentials do not exist there,
    // so the request fails at authentication, before any mapping or policy (D98, D141).
    if let (Some(c), Some(account)) = (&caller, caller_account.as_deref())
        && let Some(status) = data.region_not_enabled(account, &region)
    {
        tracing::info!(account, region, status, "gateway: opt-in Region not enabled, refused at authentication");
        let e = iamspect_auth::AuthError::region_not_enabled(&c.credential.access_key_id);
        return Err(respond::error(&shape, &e.to_aws_for(shape.auth_protocol(), &wire.service), request_id, None));
    }

    // The mapping, from what was read.
    let header = |name: &str| request.header_str(name).map(str::to_string);
    let mapped = match &wire.protocol {
        wire::Protocol::S3 => s3::map(&s3::S3Request {
            method: parts.method.as_str(),
            bucket: &wire.bucket,
            key: &wire.key,
            query: &wire.query,
            header: &header,
            body,
            presigned: caller.as_ref().is_some_and(|c| c.location == SignatureLocation::Query),
            signed: caller.is_some(),
        }),
        wire::Protocol::Query => {
            let operation = wire.params.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone()).unwrap_or_default();
            let mut params = resource::Params { pairs: wire.params.clone(), json: None };
            // SQS's older clients post to the queue URL itself (read and checked by `wire`).
            if prefix == "sqs" && params.get("QueueUrl").is_none() && wire.path != "/" {
                params.pairs.push(("QueueUrl".to_string(), wire.path.clone()));
            }
            map_named(&prefix, &operation, &params, &region, caller_account.as_deref(), data)
        }
        wire::Protocol::Json { operation } => {
            let params = resource::Params { pairs: Vec::new(), json: wire.json.clone() };
            map_named(&prefix, operation, &params, &region, caller_account.as_deref(), data)
        }
        wire::Protocol::RestJson => {
            let scope = resource::Scope { region: &region, caller_account: caller_account.as_deref(), data };
            rest_json(&prefix, parts.method.as_str(), &wire.path, &wire.query, body, &scope)
        }
    };
    // An SSE-KMS upload also needs the KMS key (D70); a replication configuration passes its role (D71).
    let mapped = mapped.and_then(|mut m| {
        if wire.protocol == wire::Protocol::S3 {
            let scope = resource::Scope { region: &region, caller_account: caller_account.as_deref(), data };
            sse::upload_checks(&mut m, &header, &wire.bucket, &wire.key, &scope)?;
            if m.operation == "PutReplicationConfiguration" {
                let role = companions::replication_role(body)?;
                m.checks.push(Check::new("iam:PassRole".to_string(), role));
                m.context.push(("iam:PassedToService".to_string(), vec!["s3.amazonaws.com".to_string()]));
            }
        }
        Ok(m)
    });
    let mapped = match mapped {
        Ok(m) => m,
        Err(u) => {
            tracing::info!(code = u.code, reason = %u.message, principal, "gateway: request not mapped, refused");
            return Err(fail(u.code, wire::status(u.code), u.message));
        }
    };
    // S3 takes unsigned streaming bodies only for object data (D34).
    let unsigned_stream = caller.as_ref().and_then(|c| c.streaming.as_ref()).map(|p| p.mode)
        == Some(iamspect_auth::StreamingMode::UnsignedTrailer);
    if shape == Shape::S3 && unsigned_stream && !matches!(mapped.operation.as_str(), "PutObject" | "UploadPart") {
        return Err(fail("InvalidRequest", 400, "The value of x-amz-content-sha256 header is invalid.".to_string()));
    }

    // The decision: every check must be allowed.
    let mut ctx = context::build(caller.as_ref(), peer, now, &request);
    ctx.extend(mapped.context.iter().cloned());
    if gateway.trust_forwarded_proto && request.header_str("x-forwarded-proto") == Some("https") {
        for (k, v) in &mut ctx {
            if k == "aws:SecureTransport" {
                *v = vec!["true".to_string()];
            }
        }
    }
    if !ctx.iter().any(|(k, _)| k == "aws:RequestedRegion") {
        ctx.push(("aws:RequestedRegion".to_string(), vec![region.clone()]));
    }
    // DeleteObjects is decided key by key, as S3 answers it (D63).
    let judge = Judge {
        state,
        data,
        default_key_policy: gateway.default_key_policy,
        caller: caller.as_ref(),
        principal: &principal,
        caller_account: caller_account.as_deref(),
        ctx: &ctx,
        shape: &shape,
        prefix: &prefix,
        request_id,
    };
    let mut denied_resources: Vec<String> = Vec::new();
    for check in &mapped.checks {
        if mapped.delete.is_some() && denied_resources.contains(&check.resource) {
            continue;
        }
        match judge.judge(check) {
            Verdict::Allowed => {}
            Verdict::Denied(_) | Verdict::Unresolved(_) if mapped.delete.is_some() => {
                tracing::info!(
                    principal,
                    action = check.action,
                    resource = check.resource,
                    "gateway: DeleteObjects key denied"
                );
                denied_resources.push(check.resource.clone());
            }
            verdict => return Err(judge.refusal(check, verdict, &mapped.operation)),
        }
    }
    // A GetObject of an SSE-KMS object also needs kms:Decrypt on the object's key, which only the
    // upstream's answer names (D70): kept to decide once the answer's headers are in.
    let pending = || sse::Pending {
        principal: principal.clone(),
        caller: caller.clone(),
        caller_account: caller_account.clone(),
        ctx: ctx.clone(),
        shape: shape.clone(),
        region: region.clone(),
        object: mapped.checks.first().map(|c| c.resource.clone()).unwrap_or_default(),
    };
    let s3_upstream = shape == Shape::S3 && gateway.upstream.is_some();
    let after = (s3_upstream && shaping::shapes(&mapped.operation)).then(pending);
    // A copy's source and a bucket's default encryption are asked of the upstream first (D70).
    let preflight =
        if s3_upstream { sse::preflight_for(&mapped.operation, &header, &wire.bucket, pending) } else { None };
    let partial_delete = mapped.delete.filter(|_| !denied_resources.is_empty()).map(|mut d| {
        d.deny(&denied_resources);
        d
    });
    tracing::info!(principal, operation = mapped.operation, checks = mapped.checks.len(), "gateway: allowed");
    Ok(Allowed { operation: mapped.operation, checks: mapped.checks, principal, partial_delete, after, preflight })
}

/// What one check came to.
pub(crate) enum Verdict {
    Allowed,
    /// Denied by the policies: the request and policies, to explain the denial.
    Denied(Box<iamspect_case::Built>),
    /// The account data cannot decide it (the reason).
    Unresolved(String),
}

/// Everything a check is decided with, besides the check.
pub(crate) struct Judge<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) data: &'a iamspect_account::AccountData,
    pub(crate) default_key_policy: bool,
    pub(crate) caller: Option<&'a Authenticated>,
    pub(crate) principal: &'a str,
    pub(crate) caller_account: Option<&'a str>,
    pub(crate) ctx: &'a [(String, Vec<String>)],
    pub(crate) shape: &'a Shape,
    pub(crate) prefix: &'a str,
    pub(crate) request_id: &'a str,
}

impl Judge<'_> {
    /// The account a check's resource is in: S3 ARNs carry none, so a bucket belongs to the only
    /// loaded account, else the caller's.
    fn resource_account(&self, check: &Check) -> Option<String> {
        let arn = iamspect_core::Arn::parse(&check.resource)?;
        if !arn.account.is_empty() {
            return Some(arn.account.to_string());
        }
        if self.data.accounts.len() == 1 {
            return self.data.accounts.keys().next().cloned();
        }
        self.caller_account.map(str::to_string)
    }

    /// Decides one check against the account data.
    pub(crate) fn judge(&self, check: &Check) -> Verdict {
        let account = self.resource_account(check);
        let outcome = self.state.compilers().with(|compiler| {
            let mut built = iamspect_case::from_account_data(
                self.data,
                self.principal,
                &check.action,
                &check.resource,
                account.as_deref(),
                self.ctx,
                compiler,
            )?;
            if self.default_key_policy
                && built.policies.resource.is_none()
                && check.action.starts_with("kms:")
                && check.resource.contains(":key/")
                && let Some(account) = account.as_deref()
            {
                built.policies.resource = Some(compiler.compile(
                    iamspect_case::DEFAULT_KEY_POLICY_NAME,
                    &iamspect_case::default_key_policy(account),
                    iamspect_core::PolicyType::Resource,
                )?);
            }
            if let Some(session) = self.caller.and_then(|c| c.credential.session.as_ref()) {
                built.policies.session = crate::sts::session_policies(session, self.data, compiler).map_err(|e| {
                    iamspect_case::CaseError {
                        code: "InvalidInput",
                        message: format!("the session's policies: {}", e.message),
                    }
                })?;
                crate::sts::add_parent_user(&mut built, session, self.data, compiler)?;
            }
            Ok::<_, iamspect_case::CaseError>(built)
        });
        match outcome {
            Err(e) => Verdict::Unresolved(e.message),
            Ok(built) => {
                if iamspect_core::authorize(&built.request, &built.policies).decision == Decision::Allowed {
                    Verdict::Allowed
                } else {
                    Verdict::Denied(Box::new(built))
                }
            }
        }
    }

    /// The answer to a check that was not allowed.
    pub(crate) fn refusal(&self, check: &Check, verdict: Verdict, operation: &str) -> Response {
        let (principal, shape) = (self.principal, self.shape);
        let built = match verdict {
            Verdict::Allowed | Verdict::Unresolved(_) => {
                let reason = match verdict {
                    Verdict::Unresolved(r) => r,
                    _ => String::new(),
                };
                tracing::info!(error = %reason, principal, action = check.action, "gateway: cannot decide, denied");
                let message = legacy_message(principal, &check.action, &check.resource, shape);
                let json =
                    iamspect_explain::encoded::unresolved_json(principal, &check.action, &check.resource, &reason);
                let encoded = iamspect_explain::encoded::encode(self.state.message_key(), &json);
                return respond::denied(shape, &message, Some(&encoded), self.request_id);
            }
            Verdict::Denied(built) => built,
        };
        // Denied: decided again with the trace, once, for the message and the token.
        let response = iamspect_core::authorize_traced(&built.request, &built.policies);
        let message =
            if *shape == Shape::S3 && !s3_enhanced(self.data, self.caller_account, built.request.resource_account()) {
                // S3 words its denials only for callers of the bucket's account or organization.
                "Access Denied".to_string()
            } else {
                iamspect_explain::message::for_response(&built.request, &response)
                    .map(|m| m.render())
                    .unwrap_or_else(|| legacy_message(principal, &check.action, &check.resource, shape))
            };
        // The issued session's own policies travel in the sealed token: no account data holds
        // them, and `explain --encoded` needs them to decide again.
        let sessions: Vec<&str> = built.policies.session.iter().map(|p| p.source()).collect();
        let encoded = iamspect_explain::encoded::encode_text(
            self.state.message_key(),
            &iamspect_explain::encoded::response_text_with_sessions(&built.request, &response, &sessions),
        );
        tracing::info!(
            principal,
            action = check.action,
            resource = check.resource,
            decision = response.outcome.decision.as_str(),
            operation,
            "gateway: denied"
        );
        let mut response = respond::denied(shape, &message, Some(&encoded), self.request_id);
        if self.prefix == "sqs" && matches!(shape, Shape::Json { .. }) {
            // SQS's JSON protocol is query-compatible: SDKs take the Query code from this header.
            response
                .headers_mut()
                .insert("x-amzn-query-error", axum::http::HeaderValue::from_static("AccessDenied;Sender"));
        }
        response
    }
}

/// Forwards an allowed request and returns the upstream's answer, after the checks only that
/// answer can tell (D70: `kms:Decrypt` for an SSE-KMS object a `GetObject` returns).
///
/// # Errors
/// When the upstream cannot be reached or fails mid-request.
pub(crate) async fn forward_allowed(
    state: &AppState,
    upstream: &Upstream,
    parts: Parts,
    body: axum::body::Bytes,
    allowed: &Allowed,
    request_id: &str,
) -> Result<Response, String> {
    if let Some(pre) = &allowed.preflight
        && let Some(refusal) = sse::preflight(state, upstream, &parts, pre, request_id).await
    {
        return Ok(refusal);
    }
    let versioned = parts.uri.query().is_some_and(|q| q.split('&').any(|p| p.starts_with("versionId=")));
    let answer = proxy::forward(upstream, parts, body).await?;
    let Some(pending) = &allowed.after else { return Ok(answer) };
    // D70: reading an SSE-KMS object needs kms:Decrypt on its key.
    let answer = if sse::needs_decrypt_check(&allowed.operation) {
        sse::after_get(state, pending, answer, request_id)
    } else {
        answer
    };
    // D74: headers the caller may not read are removed.
    Ok(if answer.status().is_success() {
        shaping::strip(state, pending, answer, versioned, request_id)
    } else {
        answer
    })
}

/// Whether S3 gives the enhanced message (spec §8.3): only when the caller is in the bucket's
/// account or in the same organization; anonymous and other callers read `Access Denied`.
fn s3_enhanced(data: &iamspect_account::AccountData, caller: Option<&str>, bucket: Option<&str>) -> bool {
    let (Some(caller), Some(bucket)) = (caller, bucket) else { return false };
    caller == bucket
        || data.organization.as_ref().is_some_and(|o| o.org_path(caller).is_some() && o.org_path(bucket).is_some())
}

fn legacy_message(principal: &str, action: &str, resource: &str, shape: &Shape) -> String {
    let resource =
        if *shape == Shape::S3 && resource != "*" { format!("\"{resource}\"") } else { resource.to_string() };
    format!("User: {principal} is not authorized to perform: {action} on resource: {resource}")
}

/// Query and JSON operations: `prefix:Operation` when the catalogue has it, and its resources.
fn map_named(
    prefix: &str,
    operation: &str,
    params: &resource::Params,
    region: &str,
    caller_account: Option<&str>,
    data: &iamspect_account::AccountData,
) -> Result<Mapped, Unmapped> {
    if operation.is_empty() {
        return Err(Unmapped {
            code: "IamspectUnmappedOperation",
            message: format!("the {prefix} request names no operation"),
        });
    }
    let scope = resource::Scope { region, caller_account, data };
    if let Some(checks) = composite::checks(prefix, operation, params, &scope) {
        let mut mapped = Mapped::new(operation, checks?);
        companions::extend(prefix, operation, params, &scope, &mut mapped)?;
        return Ok(mapped);
    }
    let Some(action) = names::action(prefix, operation) else {
        // An operation authorized as actions of other names (`PublishBatch` is `sns:Publish`).
        let actions = companions::actions_of(prefix, operation);
        if !actions.is_empty() {
            let mut checks = Vec::new();
            for action in actions {
                for r in resource::resources(action, params, &scope)? {
                    checks.push(Check::new(action.to_string(), r));
                }
            }
            let mut mapped = Mapped::new(operation, checks);
            companions::extend(prefix, operation, params, &scope, &mut mapped)?;
            return Ok(mapped);
        }
        let why = if names::known_service(prefix) {
            format!("AWS's catalogue has no action {prefix}:{operation}")
        } else {
            format!("AWS's catalogue has no service with the prefix `{prefix}`")
        };
        return Err(Unmapped {
            code: "IamspectUnmappedOperation",
            message: format!("cannot tell which IAM action operation `{operation}` needs: {why}"),
        });
    };
    let resources = resource::resources(&action, params, &scope)?;
    let mut mapped = Mapped::new(operation, resources.into_iter().map(|r| Check::new(action.clone(), r)).collect());
    if prefix == "kms" {
        mapped.context = resource::kms_alias_context(params, &scope);
    }
    // The other actions AWS's service reference lists for the operation (D71).
    companions::extend(prefix, operation, params, &scope, &mut mapped)?;
    Ok(mapped)
}

/// Lambda's REST routes (`/2015-03-31/functions/...`).
fn rest_json(
    prefix: &str,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: &[u8],
    scope: &resource::Scope<'_>,
) -> Result<Mapped, Unmapped> {
    let unknown = || Unmapped {
        code: "IamspectUnmappedOperation",
        message: format!("iamspect does not know which IAM action {method} {path} of {prefix} needs"),
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (operation, function) = match (method, segments.as_slice()) {
        ("GET", [_, "functions"]) => ("ListFunctions", None),
        ("POST", [_, "functions"]) => ("CreateFunction", None),
        ("GET", [_, "functions", f]) => ("GetFunction", Some(*f)),
        ("DELETE", [_, "functions", f]) => ("DeleteFunction", Some(*f)),
        ("POST", [_, "functions", f, "invocations"]) => ("InvokeFunction", Some(*f)),
        ("POST", [_, "functions", f, "invoke-async"]) => ("InvokeAsync", Some(*f)),
        ("GET", [_, "functions", f, "configuration"]) => ("GetFunctionConfiguration", Some(*f)),
        ("PUT", [_, "functions", f, "configuration"]) => ("UpdateFunctionConfiguration", Some(*f)),
        ("PUT", [_, "functions", f, "code"]) => ("UpdateFunctionCode", Some(*f)),
        ("GET", [_, "functions", f, "policy"]) => ("GetPolicy", Some(*f)),
        ("POST", [_, "functions", f, "policy"]) => ("AddPermission", Some(*f)),
        ("DELETE", [_, "functions", f, "policy", _]) => ("RemovePermission", Some(*f)),
        ("GET", [_, "functions", f, "versions"]) => ("ListVersionsByFunction", Some(*f)),
        ("POST", [_, "functions", f, "versions"]) => ("PublishVersion", Some(*f)),
        _ => return Err(unknown()),
    };
    let action = names::action(prefix, operation).ok_or_else(unknown)?;
    // The body's roles, layers and tags need their own actions (D71); read once, strictly.
    // Invocations carry the function's own payload, which is not the request's parameters.
    let json = if matches!(method, "POST" | "PUT") && !body.is_empty() && !operation.starts_with("Invoke") {
        Some(wire::strict_json(body)?)
    } else {
        None
    };
    let params = resource::Params { pairs: Vec::new(), json };
    let resource = match function {
        // CreateFunction names the new function in its body.
        None if operation == "CreateFunction" => match params.get("FunctionName") {
            Some(f) => resource::lambda_function(&f, None, scope)?,
            None => {
                return Err(Unmapped {
                    code: "IamspectUnknownResource",
                    message: "CreateFunction without `FunctionName` in its body".to_string(),
                });
            }
        },
        None => "*".to_string(),
        Some(f) => {
            let qualifier = query.iter().find(|(k, _)| k == "Qualifier").map(|(_, v)| v.as_str());
            resource::lambda_function(f, qualifier, scope)?
        }
    };
    let mut mapped = Mapped::new(operation, vec![Check::new(action, resource)]);
    let listed_as = if operation == "InvokeFunction" { "Invoke" } else { operation };
    companions::extend(prefix, listed_as, &params, scope, &mut mapped)?;
    Ok(mapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str) -> Parts {
        axum::http::Request::builder().method(method).uri(uri).body(()).unwrap_or_default().into_parts().0
    }

    #[test]
    fn cheap_requests_are_decided_inline() {
        assert!(decides_inline(&parts("GET", "/data/k"), b""));
        assert!(decides_inline(&parts("POST", "/"), &[b'x'; INLINE_BODY]));
        assert!(!decides_inline(&parts("POST", "/"), &[b'x'; INLINE_BODY + 1]));
        // DeleteObjects decides a check per key.
        assert!(!decides_inline(&parts("POST", "/data?delete"), b"<Delete/>"));
        assert!(!decides_inline(&parts("POST", "/data?delete="), b"<Delete/>"));
        assert!(decides_inline(&parts("POST", "/data?deleted"), b""));
    }
}
