//! S3 `DeleteObjects` decided key by key (decision D63). S3 authorizes each key of the body as
//! its own `s3:DeleteObject` (or `DeleteObjectVersion`) and answers `200` with a `<Deleted>` for
//! each key it deleted and an `<Error>` (`AccessDenied`) for each key the caller may not delete.
//! When every key is allowed the request goes upstream as it came. When some are denied, only the
//! allowed keys go upstream, each as its own `DELETE` of the object (so the upstream never sees a
//! key the decision denied), and the gateway writes S3's answer from the upstream's answers and
//! the denials.

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Upstream;

/// One `<Object>` of the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Object {
    pub(crate) key: String,
    pub(crate) version: Option<String>,
    /// True when the caller may not delete it.
    pub(crate) denied: bool,
}

/// A `DeleteObjects` request as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeleteObjects {
    pub(crate) bucket: String,
    /// `<Quiet>true</Quiet>`: the answer lists errors only.
    pub(crate) quiet: bool,
    pub(crate) objects: Vec<Object>,
}

impl DeleteObjects {
    /// Marks the objects whose ARN is among `resources` as denied.
    pub(crate) fn deny(&mut self, resources: &[String]) {
        for o in &mut self.objects {
            let arn = format!("arn:aws:s3:::{}/{}", self.bucket, o.key);
            if resources.contains(&arn) {
                o.denied = true;
            }
        }
    }
}

/// The headers of the client's request that each single `DELETE` carries.
const CARRIED: &[&str] = &[
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "user-agent",
    "x-amz-bypass-governance-retention",
    "x-amz-mfa",
    "x-amz-request-payer",
    "x-amz-expected-bucket-owner",
];

/// The SHA-256 of an empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// S3's percent-encoding of a key in a path (`/` kept).
pub(crate) fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn encode_query(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

fn header_text(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// What one key came to.
enum Outcome {
    Deleted { delete_marker: Option<String>, marker_version: Option<String> },
    Error { code: String, message: String },
}

/// Deletes the allowed keys upstream one by one, then answers as S3 does.
pub(crate) async fn answer(upstream: &Upstream, original: &Parts, plan: &DeleteObjects, request_id: &str) -> Response {
    // The original path is `/bucket` (path-style) or `/` (virtual-hosted).
    let prefix = original.uri.path().trim_end_matches('/').to_string();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(plan.objects.len());
    for object in &plan.objects {
        if object.denied {
            outcomes.push(Outcome::Error { code: "AccessDenied".to_string(), message: "Access Denied".to_string() });
            continue;
        }
        let mut target = format!("{prefix}/{}", encode_key(&object.key));
        if let Some(v) = &object.version {
            target.push_str(&format!("?versionId={}", encode_query(v)));
        }
        let mut parts = original.clone();
        parts.method = Method::DELETE;
        parts.uri = match target.parse() {
            Ok(u) => u,
            Err(e) => {
                outcomes.push(Outcome::Error { code: "InternalError".to_string(), message: e.to_string() });
                continue;
            }
        };
        let mut headers = axum::http::HeaderMap::new();
        for name in CARRIED {
            if let Some(v) = original.headers.get(*name) {
                headers.insert(*name, v.clone());
            }
        }
        headers.insert("x-amz-content-sha256", HeaderValue::from_static(EMPTY_SHA256));
        headers.insert("content-length", HeaderValue::from_static("0"));
        parts.headers = headers;
        let outcome = match super::proxy::forward(upstream, parts, Bytes::new()).await {
            Ok(response) => {
                let status = response.status();
                let delete_marker = header_text(&response, "x-amz-delete-marker");
                let marker_version = header_text(&response, "x-amz-version-id");
                let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap_or_default();
                if status.is_success() {
                    Outcome::Deleted { delete_marker, marker_version }
                } else {
                    let text = String::from_utf8_lossy(&body);
                    let tag = |t: &str| {
                        let open = format!("<{t}>");
                        let start = text.find(&open)? + open.len();
                        let end = text[start..].find(&format!("</{t}>"))? + start;
                        Some(text[start..end].to_string())
                    };
                    Outcome::Error {
                        code: tag("Code").unwrap_or_else(|| "InternalError".to_string()),
                        message: tag("Message").unwrap_or_else(|| format!("the upstream answered {status}")),
                    }
                }
            }
            Err(e) => Outcome::Error { code: "InternalError".to_string(), message: e },
        };
        outcomes.push(outcome);
    }
    let esc = iamspect_auth::xml_escape;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for (object, outcome) in plan.objects.iter().zip(&outcomes) {
        let version =
            object.version.as_deref().map(|v| format!("<VersionId>{}</VersionId>", esc(v))).unwrap_or_default();
        match outcome {
            Outcome::Deleted { delete_marker, marker_version } => {
                if plan.quiet {
                    continue;
                }
                xml.push_str(&format!("<Deleted><Key>{}</Key>{version}", esc(&object.key)));
                if delete_marker.as_deref() == Some("true") {
                    xml.push_str("<DeleteMarker>true</DeleteMarker>");
                    if let Some(v) = marker_version.as_deref().filter(|_| object.version.is_none()) {
                        xml.push_str(&format!("<DeleteMarkerVersionId>{}</DeleteMarkerVersionId>", esc(v)));
                    }
                }
                xml.push_str("</Deleted>");
            }
            Outcome::Error { code, message } => xml.push_str(&format!(
                "<Error><Key>{}</Key>{version}<Code>{}</Code><Message>{}</Message></Error>",
                esc(&object.key),
                esc(code),
                esc(message)
            )),
        }
    }
    xml.push_str("</DeleteResult>");
    let mut response = (StatusCode::OK, [("content-type", "application/xml")], Body::from(xml)).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amz-request-id", v);
    }
    response
}
