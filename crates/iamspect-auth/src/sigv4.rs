//! AWS Signature Version 4 verification (spec §9.1).

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp, civil, tz::Offset};
use sha2::{Digest, Sha256};

use crate::error::{AuthError, AuthErrorKind as K, ScopeError};
use crate::request::HttpRequestParts;
use crate::store::{Credential, CredentialStore};
use crate::streaming::{self, Chain, StreamingMode, StreamingPayload};

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far the request time may be from the server's clock, either way.
///
/// Decision (spec §12.10): **15 minutes**, as AWS's `RequestExpired` documentation and S3's
/// `MaxAllowedSkewMilliseconds` (900000) say, not the 5 minutes of the 2023 signing overview.
/// A request signed exactly 15 minutes away is still accepted.
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(15);

/// The longest `X-Amz-Expires` of a presigned URL: 604800 seconds (7 days).
pub const MAX_PRESIGNED_EXPIRES: i64 = 604_800;

/// The payload hash S3 accepts instead of a hash of the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The SHA-256 of the empty string, in lower-case hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What the endpoint expects of the credential scope. `None` accepts any value; the value signed
/// is reported in [`Authenticated`].
#[derive(Debug, Clone, Default)]
pub struct Expected<'a> {
    /// The region the endpoint serves, e.g. `us-east-1` (IAM and global STS use `us-east-1`).
    pub region: Option<&'a str>,
    /// The signing name of the service the endpoint serves, e.g. `sts`, `s3`, `dynamodb`.
    pub service: Option<&'a str>,
}

impl<'a> Expected<'a> {
    /// Accept any region and service.
    pub fn any() -> Self {
        Self::default()
    }

    /// Expect exactly this region and service.
    pub fn exactly(region: &'a str, service: &'a str) -> Self {
        Self { region: Some(region), service: Some(service) }
    }
}

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Header,
    /// Presigned query parameters (`X-Amz-Signature` ...).
    Query,
}

/// A request whose signature verified.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The credential that signed it (principal ARN, and the session for temporary credentials).
    pub credential: Arc<Credential>,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
    /// The request time (`X-Amz-Date`, or the `Date` header).
    pub request_time: Timestamp,
    /// Where the signature was found.
    pub location: SignatureLocation,
    /// For presigned URLs, when the URL stops being valid (`X-Amz-Date + X-Amz-Expires`).
    pub presigned_expires_at: Option<Timestamp>,
    /// The signed header names, lower case, as listed in `SignedHeaders`.
    pub signed_headers: Vec<String>,
    /// Whether the body was covered by the signature (false for `UNSIGNED-PAYLOAD` and
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`; true for signed chunks, every one of which verified).
    pub payload_signed: bool,
    /// For a streaming (`aws-chunked`) upload, what its verified body held.
    pub streaming: Option<StreamingPayload>,
}

impl Authenticated {
    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.credential.access_key_id
    }

    /// The principal ARN: the IAM user for long-term keys, the session ARN for temporary ones.
    pub fn principal_arn(&self) -> &str {
        &self.credential.principal_arn
    }
}

/// Verifies a request's SigV4 signature, accepting any region and service in the credential
/// scope (see [`verify_with`]).
///
/// # Errors
/// An [`AuthError`] whose kind maps to AWS's code and status for each protocol.
pub fn verify(
    request: &HttpRequestParts<'_>,
    store: &CredentialStore,
    now: Timestamp,
) -> Result<Authenticated, AuthError> {
    verify_with(request, store, now, &Expected::any())
}

/// Verifies a request's SigV4 signature, in the `Authorization` header or in presigned query
/// parameters, against the credentials in `store` at the instant `now`.
///
/// Checks, in order: that there is exactly one signature (`MissingAuthentication`,
/// `MultipleAuthMechanisms`); that it is well formed (`IncompleteSignature`, `Unsupported` for
/// other algorithms); the credential scope (date equal to the request date, the expected region
/// and service, the `aws4_request` terminator); the time (±[`MAX_CLOCK_SKEW`], and for presigned
/// URLs `X-Amz-Expires` in 1..=604800 and not yet past); the access key; the session token and
/// the expiry of temporary credentials; the payload hash; the signature itself.
///
/// Canonicalisation follows AWS: the path is normalised (dot segments and repeated slashes
/// removed) and URI-encoded a second time for every service except S3, whose path is decoded and
/// encoded once and never normalised; query parameters are decoded, re-encoded with
/// `A-Z a-z 0-9 - . _ ~` left as they are, and sorted; header values are trimmed and runs of
/// spaces collapsed, repeated headers joined with commas. The payload hash is the body's SHA-256,
/// or `x-amz-content-sha256` when sent (which must then equal the body's hash unless it is
/// `UNSIGNED-PAYLOAD`, accepted for S3 only); presigned S3 URLs use `UNSIGNED-PAYLOAD`.
///
/// S3 streaming uploads signed in the `Authorization` header (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`,
/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`): the seed
/// signature covers the headers with that literal as the payload hash; then the `aws-chunked`
/// body is checked (see [`StreamingMode`]): its framing (`IncompleteBody`), every chunk signature
/// and the trailer signature (`SignatureDoesNotMatch`), the trailers against `x-amz-trailer`
/// (`MalformedTrailer`), the decoded length against `x-amz-decoded-content-length`
/// (`DecodedLengthMismatch`, `MissingContentLength`). SigV4a streaming
/// (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD…`), other `STREAMING-*` values, streaming outside S3
/// and in presigned URLs are `Unsupported`.
///
/// # Errors
/// An [`AuthError`] whose kind maps to AWS's code and status for each protocol.
pub fn verify_with(
    request: &HttpRequestParts<'_>,
    store: &CredentialStore,
    now: Timestamp,
    expected: &Expected<'_>,
) -> Result<Authenticated, AuthError> {
    let query = parse_query(request.query);
    let auth_header = request.header_str("authorization");
    let has_auth_header = request.header_values("authorization").next().is_some();
    let presigned =
        query.iter().any(|(k, _)| k == "X-Amz-Algorithm" || k == "X-Amz-Signature" || k == "X-Amz-Credential");
    if has_auth_header && presigned {
        return Err(AuthError::new(
            K::MultipleAuthMechanisms,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        ));
    }
    let parsed = if presigned {
        parse_presigned(&query)
    } else if has_auth_header {
        parse_header(auth_header.unwrap_or(""), request)
    } else {
        return Err(AuthError::new(K::MissingAuthentication, "Missing Authentication Token"));
    };
    let sig = parsed.map_err(|e| e.presigned(presigned))?;
    check(request, store, now, expected, &query, &sig).map_err(|e| e.presigned(presigned))
}

/// A parsed signature, wherever it came from.
struct Signature<'q> {
    location: SignatureLocation,
    key_id: &'q str,
    scope_date: &'q str,
    region: &'q str,
    service: &'q str,
    terminator: &'q str,
    signed_headers: Vec<&'q str>,
    signature: &'q str,
    date_text: &'q str,
    time: Timestamp,
    expires: Option<i64>,
    token: Option<&'q str>,
}

fn incomplete(message: impl Into<String>) -> AuthError {
    AuthError::new(K::IncompleteSignature, message)
}

fn parse_header<'q>(header: &'q str, request: &HttpRequestParts<'q>) -> Result<Signature<'q>, AuthError> {
    let header_trimmed = header.trim();
    if header_trimmed.is_empty() {
        return Err(incomplete("Authorization header cannot be empty."));
    }
    let (algorithm, rest) = header_trimmed.split_once(' ').unwrap_or((header_trimmed, ""));
    if algorithm != ALGORITHM {
        if algorithm == "AWS4-ECDSA-P256-SHA256" || algorithm == "AWS" {
            return Err(AuthError::new(K::Unsupported, format!("Unsupported AWS 'algorithm': '{algorithm}'.")));
        }
        return Err(incomplete(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
        )));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match name.trim() {
            "Credential" => credential = Some(value.trim()),
            "SignedHeaders" => signed_headers = Some(value.trim()),
            "Signature" => signature = Some(value.trim()),
            _ => {}
        }
    }
    let date_text = request.header_str("x-amz-date").or_else(|| request.header_str("date"));
    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date_text.is_none() {
        missing.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date_text)) =
        (credential, signed_headers, signature, date_text)
    else {
        return Err(incomplete(format!("{missing}Authorization={header}")));
    };
    let time = parse_amz_date(date_text).or_else(|| parse_http_date(date_text)).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{date_text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    let (key_id, scope_date, region, service, terminator) = split_credential(credential)?;
    Ok(Signature {
        location: SignatureLocation::Header,
        key_id,
        scope_date,
        region,
        service,
        terminator,
        signed_headers: signed_headers.split(';').collect(),
        signature,
        date_text,
        time,
        expires: None,
        token: request.header_str("x-amz-security-token"),
    })
}

fn parse_presigned(query: &[(String, String)]) -> Result<Signature<'_>, AuthError> {
    let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let algorithm = get("X-Amz-Algorithm");
    if let Some(algorithm) = algorithm
        && algorithm != ALGORITHM
    {
        return Err(AuthError::new(
            K::Unsupported,
            format!("X-Amz-Algorithm only supports \"{ALGORITHM}\", got '{algorithm}'."),
        ));
    }
    let mut missing = Vec::new();
    for name in
        ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"]
    {
        if get(name).is_none() {
            missing.push(name);
        }
    }
    let (Some(credential), Some(signature), Some(date_text), Some(signed_headers), Some(expires)) = (
        get("X-Amz-Credential"),
        get("X-Amz-Signature"),
        get("X-Amz-Date"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Expires"),
    ) else {
        return Err(incomplete(format!(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters. Missing: {}.",
            missing.join(", ")
        )));
    };
    if missing.contains(&"X-Amz-Algorithm") {
        return Err(incomplete(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters. Missing: X-Amz-Algorithm.",
        ));
    }
    let time = parse_amz_date(date_text).ok_or_else(|| {
        incomplete(format!(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\". Got '{date_text}'."
        ))
    })?;
    let expires_value = expires.parse::<i64>().ok().filter(|e| (1..=MAX_PRESIGNED_EXPIRES).contains(e));
    let Some(expires_value) = expires_value else {
        let message = match expires.parse::<i64>() {
            Ok(e) if e > MAX_PRESIGNED_EXPIRES => {
                "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_owned()
            }
            Ok(_) => "X-Amz-Expires must be non-negative".to_owned(),
            Err(_) => format!("X-Amz-Expires should be a number, got '{expires}'."),
        };
        return Err(incomplete(message).with_extra("X-Amz-Expires", expires));
    };
    let (key_id, scope_date, region, service, terminator) = split_credential(credential)?;
    Ok(Signature {
        location: SignatureLocation::Query,
        key_id,
        scope_date,
        region,
        service,
        terminator,
        signed_headers: signed_headers.split(';').collect(),
        signature,
        date_text,
        time,
        expires: Some(expires_value),
        token: get("X-Amz-Security-Token"),
    })
}

type CredentialParts<'q> = (&'q str, &'q str, &'q str, &'q str, &'q str);

fn split_credential(credential: &str) -> Result<CredentialParts<'_>, AuthError> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, terminator] if !key.is_empty() => Ok((key, date, region, service, terminator)),
        _ => Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ))),
    }
}

fn format_amz(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn check(
    request: &HttpRequestParts<'_>,
    store: &CredentialStore,
    now: Timestamp,
    expected: &Expected<'_>,
    query: &[(String, String)],
    sig: &Signature<'_>,
) -> Result<Authenticated, AuthError> {
    // Credential scope.
    let request_date = sig.date_text.get(..8).unwrap_or("");
    let request_date =
        if sig.date_text.len() == 16 { request_date.to_owned() } else { sig.time.strftime("%Y%m%d").to_string() };
    if sig.scope_date != request_date {
        return Err(AuthError::new(
            K::CredentialScope(ScopeError::Date),
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                sig.scope_date,
                request_date,
                format_amz(sig.time)
            ),
        )
        .with_key(sig.key_id));
    }
    if let Some(region) = expected.region
        && sig.region != region
    {
        return Err(AuthError::new(
            K::CredentialScope(ScopeError::Region { found: sig.region.to_owned(), expected: region.to_owned() }),
            format!("Credential should be scoped to a valid region, not '{}'.", sig.region),
        )
        .with_key(sig.key_id));
    }
    if let Some(service) = expected.service
        && sig.service != service
    {
        return Err(AuthError::new(
            K::CredentialScope(ScopeError::Service { found: sig.service.to_owned(), expected: service.to_owned() }),
            format!("Credential should be scoped to correct service: '{service}'."),
        )
        .with_key(sig.key_id));
    }
    if sig.terminator != "aws4_request" {
        return Err(AuthError::new(
            K::CredentialScope(ScopeError::Terminator),
            format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.", sig.terminator),
        )
        .with_key(sig.key_id));
    }

    // Time.
    let earliest = now - MAX_CLOCK_SKEW;
    let latest = now + MAX_CLOCK_SKEW;
    let skew_extra = |e: AuthError| {
        e.with_extra("RequestTime", sig.date_text)
            .with_extra("ServerTime", now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .with_extra("MaxAllowedSkewMilliseconds", "900000")
    };
    if sig.time > latest {
        return Err(skew_extra(AuthError::new(
            K::RequestTimeTooSkewed,
            format!(
                "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                format_amz(sig.time),
                format_amz(latest),
                format_amz(now)
            ),
        )));
    }
    let mut presigned_expires_at = None;
    if let Some(expires) = sig.expires {
        let until = sig.time + SignedDuration::from_secs(expires);
        presigned_expires_at = Some(until);
        if now > until {
            return Err(AuthError::new(
                K::PresignedUrlExpired,
                format!(
                    "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                    format_amz(until),
                    format_amz(now),
                    format_amz(sig.time),
                    expires
                ),
            )
            .with_extra("X-Amz-Expires", expires.to_string())
            .with_extra("Expires", until.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .with_extra("ServerTime", now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()));
        }
    } else if sig.time < earliest {
        return Err(skew_extra(AuthError::new(
            K::RequestTimeTooSkewed,
            format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                format_amz(sig.time),
                format_amz(earliest),
                format_amz(now)
            ),
        )));
    }

    // Key, token, expiry.
    let credential = store.get(sig.key_id).ok_or_else(|| {
        AuthError::new(K::UnknownAccessKey, "The security token included in the request is invalid.")
            .with_key(sig.key_id)
    })?;
    match (&credential.session, sig.token) {
        (None, None) => {}
        (Some(session), Some(token)) if ct_eq(session.token.as_bytes(), token.as_bytes()) => {
            if now >= session.expiration {
                return Err(AuthError::new(K::ExpiredToken, "The security token included in the request is expired")
                    .with_key(sig.key_id));
            }
        }
        _ => {
            return Err(AuthError::new(
                K::InvalidSessionToken,
                "The security token included in the request is invalid.",
            )
            .with_key(sig.key_id));
        }
    }

    // Headers.
    let mut signed_headers = Vec::with_capacity(sig.signed_headers.len());
    for name in &sig.signed_headers {
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(incomplete(format!(
                "SignedHeaders must be a ';'-separated list of lower-case header names, got '{}'.",
                sig.signed_headers.join(";")
            ))
            .with_key(sig.key_id));
        }
        signed_headers.push((*name).to_owned());
    }
    if !sig.signed_headers.iter().any(|h| *h == "host" || *h == ":authority") {
        return Err(AuthError::new(
            K::SignatureDoesNotMatch,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
        .with_key(sig.key_id));
    }

    // Payload.
    let s3 = sig.service == "s3";
    let claimed = request.header_str("x-amz-content-sha256");
    let mut streaming_mode = None;
    let payload_hash: String = match claimed {
        Some(v) if v.starts_with("STREAMING-") => {
            let mode = streaming_mode_of(v, s3, sig.location).map_err(|e| e.with_key(sig.key_id))?;
            streaming_mode = Some(mode);
            mode.as_str().to_owned()
        }
        Some(UNSIGNED_PAYLOAD) if s3 => UNSIGNED_PAYLOAD.to_owned(),
        Some(v) => {
            let actual = sha256_hex(request.body);
            if v != UNSIGNED_PAYLOAD && !v.eq_ignore_ascii_case(&actual) {
                return Err(AuthError::new(K::ContentSha256Mismatch, crate::error::SIGNATURE_MESSAGE)
                    .with_key(sig.key_id)
                    .with_extra("ClientComputedContentSHA256", v)
                    .with_extra("S3ComputedContentSHA256", actual));
            }
            if v == UNSIGNED_PAYLOAD { actual } else { v.to_owned() }
        }
        None if s3 && sig.location == SignatureLocation::Query => UNSIGNED_PAYLOAD.to_owned(),
        None => sha256_hex(request.body),
    };

    // Canonical request.
    let canonical = canonical_request(request, query, sig, s3, &payload_hash);
    let scope = format!("{}/{}/{}/{}", sig.scope_date, sig.region, sig.service, sig.terminator);
    let string_to_sign = format!("{ALGORITHM}\n{}\n{scope}\n{}", sig.date_text, hex(&Sha256::digest(&canonical)));
    let key = signing_key(&credential.secret_access_key, sig.scope_date, sig.region, sig.service);
    let computed = hex(&hmac(&key, string_to_sign.as_bytes()));
    if !ct_eq(computed.as_bytes(), sig.signature.as_bytes()) {
        return Err(AuthError::new(K::SignatureDoesNotMatch, crate::error::SIGNATURE_MESSAGE)
            .with_key(sig.key_id)
            .with_extra("StringToSign", string_to_sign)
            .with_extra("SignatureProvided", sig.signature)
            .with_extra("CanonicalRequest", String::from_utf8_lossy(&canonical).into_owned()));
    }
    let streaming = match streaming_mode {
        Some(mode) => {
            let chain = Chain { key: &key, date_text: sig.date_text, scope: &scope, seed: &computed };
            Some(streaming::verify_body(request, mode, &chain).map_err(|e| e.with_key(sig.key_id))?)
        }
        None => None,
    };
    Ok(Authenticated {
        credential,
        region: sig.region.to_owned(),
        service: sig.service.to_owned(),
        request_time: sig.time,
        location: sig.location,
        presigned_expires_at,
        signed_headers,
        payload_signed: match streaming_mode {
            Some(mode) => mode.signed(),
            None => payload_hash != UNSIGNED_PAYLOAD,
        },
        streaming,
    })
}

/// The streaming mode a `STREAMING-…` payload hash names, where this gate verifies it.
fn streaming_mode_of(value: &str, s3: bool, location: SignatureLocation) -> Result<StreamingMode, AuthError> {
    if value.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") {
        return Err(AuthError::new(
            K::Unsupported,
            format!(
                "x-amz-content-sha256 '{value}': SigV4a (ECDSA) streaming uploads are not supported; sign with AWS4-HMAC-SHA256."
            ),
        ));
    }
    let Some(mode) = StreamingMode::parse(value) else {
        return Err(AuthError::new(
            K::Unsupported,
            format!("x-amz-content-sha256 '{value}' is not a streaming payload mode this gate knows."),
        ));
    };
    if !s3 {
        return Err(AuthError::new(
            K::Unsupported,
            format!("x-amz-content-sha256 '{value}': streaming uploads are S3's only."),
        ));
    }
    if location == SignatureLocation::Query {
        return Err(AuthError::new(
            K::Unsupported,
            format!(
                "x-amz-content-sha256 '{value}': streaming uploads are signed in the Authorization header, not a presigned URL."
            ),
        ));
    }
    Ok(mode)
}

/// The canonical request (spec §9.1 step 1), as bytes.
fn canonical_request(
    request: &HttpRequestParts<'_>,
    query: &[(String, String)],
    sig: &Signature<'_>,
    s3: bool,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + request.path.len() + request.query.len());
    out.extend_from_slice(request.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(request.path, s3).as_bytes());
    out.push(b'\n');
    let mut params: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| !(sig.location == SignatureLocation::Query && k == "X-Amz-Signature"))
        .map(|(k, v)| (uri_encode(k.as_bytes(), true), uri_encode(v.as_bytes(), true)))
        .collect();
    params.sort();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_bytes());
    }
    out.push(b'\n');
    for name in &sig.signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let lookup = if *name == ":authority" { "host" } else { name };
        for (i, value) in request.header_values(lookup).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            trim_collapse(value, &mut out);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(sig.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// Trims leading and trailing spaces and collapses inner runs of spaces into one.
fn trim_collapse(value: &[u8], out: &mut Vec<u8>) {
    let start = value.iter().position(|b| *b != b' ').unwrap_or(value.len());
    let end = value.iter().rposition(|b| *b != b' ').map_or(start, |p| p + 1);
    let mut previous_space = false;
    for &b in &value[start..end] {
        if b == b' ' {
            if !previous_space {
                out.push(b);
            }
            previous_space = true;
        } else {
            out.push(b);
            previous_space = false;
        }
    }
}

/// The canonical URI. S3: the path decoded and encoded once (`/` kept), never normalised. Every
/// other service: the path as received, normalised (RFC 3986 dot segments, empty segments
/// dropped), then encoded again (so `%20` becomes `%2520`).
fn canonical_uri(path: &str, s3: bool) -> String {
    if s3 {
        if path.is_empty() {
            return "/".to_owned();
        }
        let decoded = percent_decode(path.as_bytes(), false);
        let encoded = uri_encode(&decoded, false);
        if encoded.starts_with('/') { encoded } else { format!("/{encoded}") }
    } else {
        uri_encode(normalize_path(path).as_bytes(), false)
    }
}

fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let absolute = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
    if !(absolute.contains('.') || absolute.contains("//")) {
        return absolute;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in absolute.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut result = String::from("/");
    result.push_str(&segments.join("/"));
    let ends_with_slash = ["/", "/.", "/./", "/..", "/../"].iter().any(|s| absolute.ends_with(s));
    if ends_with_slash && !result.ends_with('/') {
        result.push('/');
    }
    result
}

/// AWS's `UriEncode`: every byte except `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case hex);
/// `/` too when `encode_slash`.
pub(crate) fn uri_encode(bytes: &[u8], encode_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (b == b'/' && !encode_slash) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn percent_decode(bytes: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) =
                (bytes.get(i + 1).and_then(|c| hex_value(*c)), bytes.get(i + 2).and_then(|c| hex_value(*c)))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits and decodes a raw query string the way `application/x-www-form-urlencoded` does:
/// pieces split on `&` (empty pieces skipped), name and value split on the first `=`, `+` read as
/// a space, `%XX` as a byte, invalid UTF-8 replaced.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (
                String::from_utf8_lossy(&percent_decode(k.as_bytes(), true)).into_owned(),
                String::from_utf8_lossy(&percent_decode(v.as_bytes(), true)).into_owned(),
            )
        })
        .collect()
}

/// `YYYYMMDDTHHMMSSZ`.
fn parse_amz_date(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i16> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let date = civil::Date::new(num(0..4)?, i8::try_from(num(4..6)?).ok()?, i8::try_from(num(6..8)?).ok()?).ok()?;
    let time = civil::Time::new(
        i8::try_from(num(9..11)?).ok()?,
        i8::try_from(num(11..13)?).ok()?,
        i8::try_from(num(13..15)?).ok()?,
        0,
    )
    .ok()?;
    Offset::UTC.to_timestamp(date.to_datetime(time)).ok()
}

/// An HTTP date (`Tue, 01 Jul 2003 10:52:37 GMT`).
fn parse_http_date(s: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(s).ok()
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; an all-zero result
    // would only ever make the signature comparison fail (fail closed).
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The SigV4 signing key (spec §9.1 step 3).
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Compares in time independent of where the inputs differ.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
