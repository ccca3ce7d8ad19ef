//! S3 server-side encryption with KMS keys (SSE-KMS, decision D70). S3 calls KMS on the caller's
//! behalf, and KMS authorizes the caller: an upload encrypted under a KMS key needs
//! `kms:GenerateDataKey` on the key (a multipart upload also `kms:Decrypt`), and reading an
//! SSE-KMS object needs `kms:Decrypt` on the key it was written under.
//!
//! An upload names its key in its headers, so it is checked before it is forwarded. A read does
//! not: only the upstream's answer says how the object is encrypted, so a `GetObject` is checked
//! for `kms:Decrypt` once the answer's headers are in, and its body never reaches the caller when
//! the check fails.

use axum::response::Response;
use iamspect_auth::{Authenticated, AwsError};

use super::resource::{self, Scope};
use super::{Check, Mapped, Shape, Unmapped};

/// The S3 headers of SSE-KMS.
const SSE: &str = "x-amz-server-side-encryption";
const SSE_KEY: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const SSE_CONTEXT: &str = "x-amz-server-side-encryption-context";
const BUCKET_KEY: &str = "x-amz-server-side-encryption-bucket-key-enabled";

/// The key S3 uses when a request asks for `aws:kms` without naming one (the AWS managed key).
const AWS_MANAGED: &str = "alias/aws/s3";

fn refuse(message: String) -> Unmapped {
    Unmapped { code: super::wire::NON_CANONICAL, message }
}

/// Whether the operation reads object data encrypted at rest: `GetObject` (of a version too).
/// `HeadObject` reads metadata only and S3 does not call KMS for it.
pub(crate) fn needs_decrypt_check(operation: &str) -> bool {
    matches!(operation, "GetObject" | "GetObjectVersion")
}

/// The KMS condition keys of a call S3 makes for the caller: `kms:ViaService`, `kms:CallerAccount`
/// and S3's encryption context (`aws:s3:arn`: the object, or the bucket with an S3 Bucket Key).
fn kms_context(
    region: &str,
    caller_account: Option<&str>,
    encryption_context: &[(String, String)],
) -> Vec<(String, Vec<String>)> {
    let mut ctx = vec![("kms:ViaService".to_string(), vec![format!("s3.{region}.amazonaws.com")])];
    if let Some(account) = caller_account {
        ctx.push(("kms:CallerAccount".to_string(), vec![account.to_string()]));
    }
    for (k, v) in encryption_context {
        ctx.push((format!("kms:EncryptionContext:{k}"), vec![v.clone()]));
    }
    ctx.push(("kms:EncryptionContextKeys".to_string(), encryption_context.iter().map(|(k, _)| k.clone()).collect()));
    ctx
}

/// `x-amz-server-side-encryption-context`: base64 of a JSON object of strings, else refused.
fn encryption_context(value: &str) -> Result<Vec<(String, String)>, Unmapped> {
    use base64::Engine;
    let bad =
        || refuse(format!("`{SSE_CONTEXT}` is not base64 of a JSON object of strings; S3 answers InvalidArgument"));
    let bytes = base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| bad())?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let object = json.as_object().ok_or_else(bad)?;
    object.iter().map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())).ok_or_else(bad)).collect()
}

/// Adds the KMS checks of an S3 upload that names SSE-KMS in its headers: `kms:GenerateDataKey`
/// on the key (`PutObject`, `CopyObject`, `CreateMultipartUpload`), and `kms:Decrypt` too for
/// `CreateMultipartUpload` (S3 decrypts the parts' data keys to complete the upload). A key named
/// by alias is resolved to its key; without a key id S3 uses the AWS managed key `aws/s3`, which
/// must then be in the account data's aliases. Unresolvable keys are refused, never guessed.
pub(crate) fn upload_checks(
    mapped: &mut Mapped,
    header: &dyn Fn(&str) -> Option<String>,
    bucket: &str,
    key: &str,
    scope: &Scope<'_>,
) -> Result<(), Unmapped> {
    let upload = matches!(mapped.operation.as_str(), "PutObject" | "CreateMultipartUpload");
    let algorithm = header(SSE);
    let key_id = header(SSE_KEY);
    if !upload {
        // UploadPart and CompleteMultipartUpload take the key of their upload (checked when it
        // was created); S3 refuses these headers on other requests.
        return Ok(());
    }
    let kms = match algorithm.as_deref() {
        None | Some("AES256") => false,
        Some("aws:kms" | "aws:kms:dsse") => true,
        Some(other) => {
            return Err(refuse(format!(
                "`{SSE}: {other}` is not `AES256`, `aws:kms` or `aws:kms:dsse`; S3 answers InvalidArgument"
            )));
        }
    };
    if !kms {
        if key_id.is_some() || header(SSE_CONTEXT).is_some() {
            return Err(refuse(format!(
                "`{SSE_KEY}` or `{SSE_CONTEXT}` without `{SSE}: aws:kms`; S3 answers InvalidArgument"
            )));
        }
        return Ok(());
    }
    if let Some(id) = key_id.as_deref().filter(|id| iamspect_core::Arn::parse(id).is_none()) {
        // S3 puts the header as given into `s3:x-amz-server-side-encryption-aws-kms-key-id`, an
        // ARN-typed key, which iamspect decides on ARNs only (D42): a key id or an alias name
        // would be read one way here and another in AWS.
        return Err(refuse(format!(
            "`{SSE_KEY}: {id}` is not an ARN; S3 gives the header as written to the ARN-typed condition key `s3:{SSE_KEY}`, which the gateway decides on key or alias ARNs only: name the key by its ARN"
        )));
    }
    let named = key_id.unwrap_or_else(|| AWS_MANAGED.to_string());
    let key_arn = resource::kms_key(&named, scope).map_err(|e| Unmapped {
        code: e.code,
        message: format!(
            "the upload is encrypted under KMS key `{named}`, which AWS authorizes kms:GenerateDataKey on: {}",
            e.message
        ),
    })?;
    let bucket_key = header(BUCKET_KEY).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let arn = if bucket_key { format!("arn:aws:s3:::{bucket}") } else { format!("arn:aws:s3:::{bucket}/{key}") };
    let mut encryption = match header(SSE_CONTEXT) {
        Some(v) => encryption_context(&v)?,
        None => Vec::new(),
    };
    if !encryption.iter().any(|(k, _)| k == "aws:s3:arn") {
        encryption.push(("aws:s3:arn".to_string(), arn));
    }
    mapped.checks.push(Check::new("kms:GenerateDataKey".to_string(), key_arn.clone()));
    if mapped.operation == "CreateMultipartUpload" {
        mapped.checks.push(Check::new("kms:Decrypt".to_string(), key_arn));
    }
    mapped.context.extend(kms_context(scope.region, scope.caller_account, &encryption));
    Ok(())
}

/// A `GetObject` allowed by its S3 checks, waiting for the upstream's answer to tell whether the
/// object is SSE-KMS encrypted.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) principal: String,
    pub(crate) caller: Option<Authenticated>,
    pub(crate) caller_account: Option<String>,
    pub(crate) ctx: Vec<(String, Vec<String>)>,
    pub(crate) shape: Shape,
    pub(crate) region: String,
    /// The object's ARN (`arn:aws:s3:::bucket/key`), S3's encryption context.
    pub(crate) object: String,
}

fn header_text(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Decides `kms:Decrypt` for an answer of the upstream to an allowed `GetObject`: `Ok` with the
/// answer when the object is not SSE-KMS encrypted or the caller may decrypt it, else the
/// refusal that replaces it (the upstream's body is dropped unread).
pub(crate) fn after_get(
    state: &crate::state::AppState,
    pending: &Pending,
    answer: Response,
    request_id: &str,
) -> Response {
    let kms = header_text(&answer, SSE).is_some_and(|a| a.starts_with("aws:kms"));
    if !kms || !answer.status().is_success() {
        return answer;
    }
    let fail = |code: &'static str, message: String| {
        let e = AwsError { code, status: 403, message, extra: Vec::new() };
        super::respond::error(&pending.shape, &e, request_id, None)
    };
    let Some(named) = header_text(&answer, SSE_KEY) else {
        return fail(
            "IamspectUnknownResource",
            format!(
                "the upstream answered with an SSE-KMS object without `{SSE_KEY}`: AWS authorizes kms:Decrypt on the object's key, which the gateway cannot tell"
            ),
        );
    };
    match decide_kms(state, pending, &named, &["kms:Decrypt"], &pending.object, request_id) {
        None => answer,
        Some(refusal) => {
            drop(answer);
            refusal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_contexts_are_read_strictly() {
        use base64::Engine;
        let good = base64::engine::general_purpose::STANDARD.encode(r#"{"team":"a"}"#);
        assert_eq!(encryption_context(&good).unwrap(), vec![("team".to_string(), "a".to_string())]);
        for bad in ["not base64!", &base64::engine::general_purpose::STANDARD.encode(r#"{"n":1}"#)] {
            assert!(encryption_context(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_object_reads_wait_for_the_answer() {
        assert!(needs_decrypt_check("GetObject"));
        assert!(needs_decrypt_check("GetObjectVersion"));
        assert!(!needs_decrypt_check("HeadObject"));
        assert!(!needs_decrypt_check("PutObject"));
    }
}

/// What the gateway asks the upstream before forwarding an allowed upload, because only the
/// upstream knows it (D70): the encryption of a copy's source object (`kms:Decrypt` on its key)
/// and the default encryption of the bucket an upload without encryption headers goes to
/// (`kms:GenerateDataKey`, and `kms:Decrypt` for a multipart upload, on its key).
#[derive(Clone, Debug)]
pub(crate) struct Preflight {
    /// The copy source: bucket, key, version.
    pub(crate) source: Option<(String, String, Option<String>)>,
    /// The bucket whose default encryption the upload takes.
    pub(crate) default_of: Option<String>,
    pub(crate) multipart: bool,
    pub(crate) pending: Pending,
}

/// The preflight an allowed S3 request needs, if any.
pub(crate) fn preflight_for(
    operation: &str,
    header: &dyn Fn(&str) -> Option<String>,
    bucket: &str,
    pending: impl FnOnce() -> Pending,
) -> Option<Preflight> {
    if !matches!(operation, "PutObject" | "CreateMultipartUpload" | "UploadPart") {
        return None;
    }
    let source = header("x-amz-copy-source").and_then(|v| super::s3::copy_source(&v).ok());
    let default_of = (operation != "UploadPart" && header(SSE).is_none()).then(|| bucket.to_string());
    if source.is_none() && default_of.is_none() {
        return None;
    }
    Some(Preflight { source, default_of, multipart: operation == "CreateMultipartUpload", pending: pending() })
}

/// The headers of the client's request that the gateway's own questions carry (an emulator
/// takes the account from the credential).
const CARRIED: &[&str] = &["authorization", "x-amz-date", "x-amz-security-token", "user-agent"];
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

async fn ask(
    upstream: &super::Upstream,
    original: &axum::http::request::Parts,
    method: axum::http::Method,
    target: &str,
) -> Result<(axum::http::StatusCode, axum::http::HeaderMap, String), String> {
    let mut parts = original.clone();
    parts.method = method;
    parts.uri = target.parse().map_err(|e| format!("`{target}`: {e}"))?;
    let mut headers = axum::http::HeaderMap::new();
    for name in CARRIED {
        if let Some(v) = original.headers.get(*name) {
            headers.insert(*name, v.clone());
        }
    }
    // Path-style to the upstream itself, whatever style the client used.
    if let Ok(host) = axum::http::HeaderValue::from_str(&upstream.authority) {
        headers.insert("host", host);
    }
    headers.insert("x-amz-content-sha256", axum::http::HeaderValue::from_static(EMPTY_SHA256));
    headers.insert("content-length", axum::http::HeaderValue::from_static("0"));
    parts.headers = headers;
    let response = super::proxy::forward(upstream, parts, axum::body::Bytes::new()).await?;
    let (head, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 16).await.unwrap_or_default();
    Ok((head.status, head.headers, String::from_utf8_lossy(&body).into_owned()))
}

fn tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(text[start..end].trim())
}

/// Runs the preflight: `None` when the upload may go on, else the answer that refuses it.
pub(crate) async fn preflight(
    state: &crate::state::AppState,
    upstream: &super::Upstream,
    original: &axum::http::request::Parts,
    pre: &Preflight,
    request_id: &str,
) -> Option<Response> {
    let pending = &pre.pending;
    let fail = |code: &'static str, message: String| {
        let e = AwsError { code, status: 403, message, extra: Vec::new() };
        Some(super::respond::error(&pending.shape, &e, request_id, None))
    };
    if let Some((bucket, key, version)) = &pre.source {
        let mut target = format!("/{bucket}/{}", super::delete::encode_key(key));
        if let Some(v) = version {
            target.push_str(&format!("?versionId={}", super::delete::encode_query(v)));
        }
        match ask(upstream, original, axum::http::Method::HEAD, &target).await {
            Ok((status, headers, _)) if status.is_success() => {
                let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
                if text(SSE).is_some_and(|a| a.starts_with("aws:kms")) {
                    let Some(named) = text(SSE_KEY) else {
                        return fail(
                            "IamspectUnknownResource",
                            format!(
                                "the copy source `{bucket}/{key}` is SSE-KMS encrypted and the upstream does not say under which key; AWS authorizes kms:Decrypt on it"
                            ),
                        );
                    };
                    let source = format!("arn:aws:s3:::{bucket}/{key}");
                    if let Some(refusal) = decide_kms(state, pending, &named, &["kms:Decrypt"], &source, request_id) {
                        return Some(refusal);
                    }
                }
            }
            // No such source: the copy fails upstream as it would in AWS.
            Ok((status, _, _)) if status == axum::http::StatusCode::NOT_FOUND => {}
            Ok((status, _, _)) => {
                return fail(
                    "IamspectUnknownResource",
                    format!(
                        "the upstream answered {status} when the gateway asked for the encryption of the copy source `{bucket}/{key}`, on whose KMS key AWS authorizes kms:Decrypt"
                    ),
                );
            }
            Err(e) => return fail("IamspectUpstreamUnavailable", e),
        }
    }
    if let Some(bucket) = &pre.default_of {
        match ask(upstream, original, axum::http::Method::GET, &format!("/{bucket}?encryption")).await {
            Ok((status, _, body)) if status.is_success() => {
                let algorithm = tag(&body, "SSEAlgorithm").unwrap_or_default();
                if algorithm.starts_with("aws:kms") {
                    let named = tag(&body, "KMSMasterKeyID").filter(|k| !k.is_empty()).unwrap_or(AWS_MANAGED);
                    let bucket_key = tag(&body, "BucketKeyEnabled") == Some("true");
                    let arn = if bucket_key { format!("arn:aws:s3:::{bucket}") } else { pending.object.clone() };
                    let actions: &[&str] =
                        if pre.multipart { &["kms:GenerateDataKey", "kms:Decrypt"] } else { &["kms:GenerateDataKey"] };
                    if let Some(refusal) = decide_kms(state, pending, named, actions, &arn, request_id) {
                        return Some(refusal);
                    }
                }
            }
            // No default encryption, or no such bucket (the upload then fails upstream).
            Ok((status, _, _)) if status == axum::http::StatusCode::NOT_FOUND => {}
            Ok((status, _, _)) => {
                return fail(
                    "IamspectUnknownResource",
                    format!(
                        "the upstream answered {status} when the gateway asked for bucket `{bucket}`'s default encryption, on whose KMS key AWS authorizes kms:GenerateDataKey"
                    ),
                );
            }
            Err(e) => return fail("IamspectUpstreamUnavailable", e),
        }
    }
    None
}

/// Decides `actions` on the KMS key `named` for a call S3 makes for the caller, with `arn` as S3's
/// encryption context: `None` when all are allowed, else the refusal.
fn decide_kms(
    state: &crate::state::AppState,
    pending: &Pending,
    named: &str,
    actions: &[&str],
    arn: &str,
    request_id: &str,
) -> Option<Response> {
    let fail = |code: &'static str, message: String| {
        let e = AwsError { code, status: 403, message, extra: Vec::new() };
        Some(super::respond::error(&pending.shape, &e, request_id, None))
    };
    let Some(snapshot) = state.account() else {
        return fail("IamspectNoAccountData", "the gateway has no account data to decide with".to_string());
    };
    let data = &snapshot.data;
    let scope = Scope { region: &pending.region, caller_account: pending.caller_account.as_deref(), data };
    let key = match resource::kms_key(named, &scope) {
        Ok(k) => k,
        Err(e) => return fail(e.code, format!("the object is encrypted under KMS key `{named}`: {}", e.message)),
    };
    let mut ctx = pending.ctx.clone();
    ctx.extend(kms_context(
        &pending.region,
        pending.caller_account.as_deref(),
        &[("aws:s3:arn".to_string(), arn.to_string())],
    ));
    let judge = super::Judge {
        state,
        data,
        default_key_policy: state.gateway().is_some_and(|g| g.default_key_policy),
        caller: pending.caller.as_ref(),
        principal: &pending.principal,
        caller_account: pending.caller_account.as_deref(),
        ctx: &ctx,
        shape: &pending.shape,
        prefix: "s3",
        request_id,
    };
    for action in actions {
        let check = Check::new((*action).to_string(), key.clone());
        match judge.judge(&check) {
            super::Verdict::Allowed => {}
            verdict => return Some(judge.refusal(&check, verdict, "PutObject")),
        }
    }
    None
}
