//! The web page at `GET /ui/`: a playground that draws a request's path through AWS's evaluation
//! flowchart from `POST /v1/explain`, with lint marks from `POST /v1/lint`.
//!
//! The page's sources live in `web/` (plain HTML, CSS and JavaScript modules, no build step) and
//! are embedded here at compile time, so the binary serves them offline. Every answer carries a
//! strict Content-Security-Policy: the page loads nothing but its own files and talks only to
//! this server.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /ui` | a redirect to `/ui/` |
//! | `GET /ui/` | `index.html` |
//! | `GET /ui/{asset}` | one of the embedded files (`app.js`, `style.css`, ...) |
//! | `GET /ui/examples` | the bundled example organization: each scenario's name, description and cases |
//! | `GET /ui/examples/{name}` | one scenario's case file with every policy path replaced by its document |
//! | `GET /ui/builtin` | AWS's built-in `FullAWSAccess` and `RCPFullAWSAccess` texts, for highlighting |
//!
//! Examples are resolved from the embedded files only: a name is looked up in a fixed table,
//! never joined to a path.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::error::AppError;

/// What every page answer carries: the page may load only its own files and call this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file: its name under `/ui/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, body: include_str!(concat!("../../../web/", $name)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The page's files.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("paths.html", "text/html; charset=utf-8"),
    asset!("denials.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("caseio.js", JS),
    asset!("dom.js", JS),
    asset!("editor.js", JS),
    asset!("flow.js", JS),
    asset!("jsonpos.js", JS),
    asset!("report.js", JS),
    asset!("paths.js", JS),
    asset!("denials.js", JS),
];

/// One bundled scenario: its name (the file's stem) and its text.
struct Example {
    name: &'static str,
    text: &'static str,
}

macro_rules! example {
    ($name:literal) => {
        Example { name: $name, text: include_str!(concat!("../../../examples/org/", $name, ".json")) }
    };
}

/// The scenarios of `examples/org/`, in the order the walkthrough tells them.
const EXAMPLES: &[Example] = &[
    example!("prod-backups"),
    example!("region-lock"),
    example!("boundary"),
    example!("vpc-endpoint-bucket"),
    example!("kms-encrypted-object"),
    example!("cross-account-external-id"),
];

macro_rules! policy {
    ($name:literal) => {
        (concat!("policies/", $name), include_str!(concat!("../../../examples/org/policies/", $name)))
    };
}

/// The policy files the scenarios name, by the path they name them with.
const POLICIES: &[(&str, &str)] = &[
    policy!("backup-admin-role.json"),
    policy!("backup-bucket-policy.json"),
    policy!("data-pipeline-role.json"),
    policy!("developer-boundary.json"),
    policy!("developer-role.json"),
    policy!("kms-key-policy.json"),
    policy!("orders-service-role.json"),
    policy!("organization-admin-role.json"),
    policy!("partner-access-trust-policy.json"),
    policy!("partner-ci-user.json"),
    policy!("reports-bucket-policy.json"),
    policy!("s3-endpoint-policy.json"),
    policy!("scp-region-lock.json"),
];

/// The routes under `/ui`, merged into the service's router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(|headers: HeaderMap| async move { serve_asset("index.html", &headers) }))
        .route("/ui/examples", get(examples))
        .route("/ui/examples/{name}", get(example))
        .route("/ui/builtin", get(builtin))
        .route(
            "/ui/{asset}",
            get(|Path(name): Path<String>, headers: HeaderMap| async move { serve_asset(&name, &headers) }),
        )
}

/// A strong validator for an embedded file: FNV-1a of its bytes.
fn etag(body: &str) -> String {
    let hash = body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("\"{hash:016x}\"")
}

/// The headers of every page answer.
fn page_headers(content_type: &'static str) -> [(header::HeaderName, HeaderValue); 5] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        // Revalidate every time (the ETag makes that a 304): a new binary serves new files at
        // the same names.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ]
}

fn serve_asset(name: &str, headers: &HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return AppError::NotFound(format!("no page file `/ui/{name}`")).into_response();
    };
    let tag = etag(asset.body);
    let extra = HeaderValue::from_str(&tag).map(|v| [(header::ETAG, v)]);
    let Ok(etag_header) = extra else {
        return (page_headers(asset.content_type), asset.body).into_response();
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if fresh {
        return (StatusCode::NOT_MODIFIED, page_headers(asset.content_type), etag_header).into_response();
    }
    (page_headers(asset.content_type), etag_header, asset.body).into_response()
}

fn json_answer(value: &Value) -> Response {
    (page_headers("application/json"), value.to_string()).into_response()
}

/// `GET /ui/examples`: every scenario with its description and its cases' descriptions and
/// expectations.
async fn examples() -> Response {
    let list: Vec<Value> = EXAMPLES
        .iter()
        .map(|ex| {
            let file: Value = serde_json::from_str(ex.text).unwrap_or(Value::Null);
            let cases: Vec<Value> = cases_of(&file)
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({
                        "index": i,
                        "description": c.get("description"),
                        "action": c.get("action"),
                        "expect": c.get("expect"),
                    })
                })
                .collect();
            json!({"name": ex.name, "description": file.get("description"), "cases": cases})
        })
        .collect();
    json_answer(&json!({"examples": list}))
}

/// A file's cases: `cases`, or the file itself when it holds one case.
fn cases_of(file: &Value) -> Vec<&Value> {
    match file.get("cases").and_then(Value::as_array) {
        Some(cases) => cases.iter().collect(),
        None => vec![file],
    }
}

/// `GET /ui/examples/{name}`: the scenario's case file with every policy path inlined.
async fn example(Path(name): Path<String>) -> Response {
    let Some(ex) = EXAMPLES.iter().find(|e| e.name == name) else {
        let names: Vec<&str> = EXAMPLES.iter().map(|e| e.name).collect();
        return AppError::NotFound(format!("no example `{name}`; the examples are {}", names.join(", ")))
            .into_response();
    };
    match inline_example(ex.text) {
        Ok(v) => json_answer(&v),
        Err(e) => AppError::Internal(format!("example `{name}`: {e}")).into_response(),
    }
}

/// `GET /ui/builtin`: the texts the engine uses for `FullAWSAccess` and `RCPFullAWSAccess`, so
/// the page can show their statements.
async fn builtin() -> Response {
    json_answer(&json!({
        "FullAWSAccess": iamspect_core::policy::FULL_AWS_ACCESS,
        "RCPFullAWSAccess": iamspect_core::policy::RCP_FULL_AWS_ACCESS,
    }))
}

/// The case file with each policy path (a string ending in `.json`, in a case or in the file's
/// `policies` library) replaced by the embedded document, and library names replaced by their
/// entries. `FullAWSAccess` and `RCPFullAWSAccess` stay names.
pub fn inline_example(text: &str) -> Result<Value, String> {
    let mut file: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let library: Map<String, Value> = match file.get("policies") {
        Some(Value::Object(lib)) => {
            let mut out = Map::new();
            for (k, v) in lib {
                out.insert(k.clone(), resolve(v, &Map::new())?);
            }
            out
        }
        _ => Map::new(),
    };
    if let Value::Object(obj) = &mut file {
        obj.shift_remove("policies");
        match obj.get_mut("cases") {
            Some(Value::Array(cases)) => {
                for case in cases {
                    inline_case(case, &library)?;
                }
            }
            _ => inline_case(&mut file, &library)?,
        }
    }
    Ok(file)
}

fn inline_case(case: &mut Value, library: &Map<String, Value>) -> Result<(), String> {
    let Value::Object(obj) = case else { return Err("a case must be an object".to_string()) };
    for field in ["resourcePolicy", "permissionsBoundary", "vpcEndpointPolicy"] {
        if let Some(v) = obj.get_mut(field) {
            *v = resolve(v, library)?;
        }
    }
    for field in ["identityPolicies", "sessionPolicies"] {
        if let Some(Value::Array(items)) = obj.get_mut(field) {
            for v in items {
                *v = resolve(v, library)?;
            }
        }
    }
    for field in ["scps", "rcps"] {
        if let Some(Value::Array(levels)) = obj.get_mut(field) {
            for level in levels {
                if let Value::Array(items) = level {
                    for v in items {
                        *v = resolve(v, library)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// One policy reference: a document stays, a library name becomes its entry, an embedded path
/// its document; the built-in names stay.
fn resolve(v: &Value, library: &Map<String, Value>) -> Result<Value, String> {
    let Value::String(name) = v else { return Ok(v.clone()) };
    if name == "FullAWSAccess" || name == "RCPFullAWSAccess" {
        return Ok(v.clone());
    }
    if let Some(entry) = library.get(name) {
        return Ok(entry.clone());
    }
    let Some((_, text)) = POLICIES.iter().find(|(p, _)| p == name) else {
        return Err(format!("`{name}` is not an embedded policy"));
    };
    serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))
}
