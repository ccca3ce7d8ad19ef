//! The OpenAPI document against the router: every path and method it lists answers one of the
//! statuses it documents, every other method is a 405 in the `{code, message}` shape (404 for a
//! path no route has), every route of the router is in the document, and every API error the
//! document lists is `{code, message}`. Both modes: without the gateway, and with it (where `/`
//! and the paths outside the API are the gateway's, answered in AWS's shapes, and the operations
//! marked `x-iamspect-gateway-only` exist).
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use iamspect_server::gateway::Gateway;
use iamspect_server::{AppState, Settings, app};
use serde_json::Value;
use tower::ServiceExt;

/// Every method the walk tries on every path: the standard ones and one nobody defines.
const METHODS: [&str; 10] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PURGE"];

/// The paths the router has (`lib.rs::app` and `ui::routes`), as the document writes them.
const ROUTES: [&str; 20] = [
    "/v1/authorize",
    "/v1/explain",
    "/v1/lint",
    "/v1/paths",
    "/v1/check-no-new-access",
    "/v1/check-access-not-granted",
    "/v1/check-no-public-access",
    "/v1/scp-impact",
    "/v1/policies",
    "/v1/policies/{id}",
    "/v1/reload",
    "/healthz",
    "/openapi.json",
    "/",
    "/ui",
    "/ui/",
    "/ui/examples",
    "/ui/examples/{name}",
    "/ui/builtin",
    "/ui/{asset}",
];

fn document() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A concrete path for a path template.
fn concrete(template: &str) -> String {
    template
        .replace("{id}", "policy:sha256:0000000000000000000000000000000000000000000000000000000000000000")
        .replace("{name}", "no-such-example")
        .replace("{asset}", "app.js")
        .replace("{path}", "bucket/key")
}

struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

async fn send(state: &AppState, method: &str, path: &str) -> Answer {
    let req = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(path);
    let res = app(state.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, content_type, body }
}

/// Asserts the `{code, message}` shape (and the code, when given).
fn assert_error_shape(what: &str, answer: &Answer, code: Option<&str>) {
    assert!(answer.content_type.starts_with("application/json"), "{what}: {} {}", answer.status, answer.content_type);
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    let obj = body.as_object().unwrap_or_else(|| panic!("{what}: {body}"));
    assert!(obj.len() == 2 && obj["code"].is_string() && obj["message"].is_string(), "{what}: {body}");
    if let Some(code) = code {
        assert_eq!(obj["code"], code, "{what}");
    }
}

fn plain() -> AppState {
    AppState::new(Settings::default())
}

fn gateway() -> AppState {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gateway_data");
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    state.enable_gateway(Gateway::new(None)).unwrap();
    state
}

/// The documented operations: path → method → (statuses, gateway only).
fn operations(doc: &Value) -> BTreeMap<String, BTreeMap<String, (BTreeSet<u16>, bool)>> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let mut methods = BTreeMap::new();
        for (method, op) in item.as_object().unwrap() {
            if !["get", "head", "post", "put", "delete", "patch", "options", "trace"].contains(&method.as_str()) {
                continue;
            }
            let statuses = op["responses"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
            let gateway_only = op.get("x-iamspect-gateway-only").and_then(Value::as_bool).unwrap_or(false);
            methods.insert(method.to_ascii_uppercase(), (statuses, gateway_only));
        }
        out.insert(path.clone(), methods);
    }
    out
}

async fn walk(state: &AppState, gateway_mode: bool) {
    let doc = document();
    let ops = operations(&doc);
    let mut failures = Vec::new();
    for (template, methods) in &ops {
        let path = concrete(template);
        for method in METHODS {
            let answer = send(state, method, &path).await;
            let what = format!("{method} {path} (gateway {gateway_mode})");
            // HEAD is answered wherever GET is, as HTTP asks.
            let op = methods.get(method).or_else(|| if method == "HEAD" { methods.get("GET") } else { None });
            match op {
                Some((statuses, gateway_only)) if !*gateway_only || gateway_mode => {
                    if !statuses.contains(&answer.status) {
                        failures.push(format!("{what}: {} not among the documented {statuses:?}", answer.status));
                    }
                    let api = !(template == "/" || template == "/{path}");
                    if api && answer.status >= 400 && method != "HEAD" {
                        assert_error_shape(&what, &answer, None);
                    }
                }
                // A gateway-only operation without the gateway: `/{path}` has no route, `/` takes
                // only STS's methods.
                Some(_) if template == "/{path}" => expect(&mut failures, &what, &answer, 404, "NotFound"),
                Some(_) => expect(&mut failures, &what, &answer, 405, "MethodNotAllowed"),
                None if template == "/{path}" && !gateway_mode => {
                    expect(&mut failures, &what, &answer, 404, "NotFound");
                }
                None => expect(&mut failures, &what, &answer, 405, "MethodNotAllowed"),
            }
        }
    }
    // Paths the API owns that no route has are 404 in both modes, whatever the method. (`/healthz/x`
    // is not one: in gateway mode it is key `x` of a bucket named `healthz`.)
    for path in ["/v1", "/v1/nope", "/v1/authorize/x", "/ui/nope/deeper"] {
        for method in METHODS {
            let answer = send(state, method, path).await;
            expect(&mut failures, &format!("{method} {path} (gateway {gateway_mode})"), &answer, 404, "NotFound");
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}

fn expect(failures: &mut Vec<String>, what: &str, answer: &Answer, status: u16, code: &str) {
    if answer.status != status {
        failures.push(format!("{what}: {} instead of {status}", answer.status));
        return;
    }
    if answer.body.is_empty() && what.starts_with("HEAD ") {
        return;
    }
    assert_error_shape(what, answer, Some(code));
}

#[tokio::test]
async fn every_route_and_method_agrees_with_the_document_without_the_gateway() {
    walk(&plain(), false).await;
}

#[tokio::test]
async fn every_route_and_method_agrees_with_the_document_with_the_gateway() {
    walk(&gateway(), true).await;
}

#[test]
fn every_route_is_documented_and_every_documented_path_is_a_route() {
    let doc = document();
    let documented: BTreeSet<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    let routes: BTreeSet<&str> = ROUTES.iter().copied().chain(["/{path}"]).collect();
    assert_eq!(documented, routes);
}

/// The statuses every API operation can answer whatever its route does: the checks on the
/// request line and header fields, the body limit and the timeout, and for the routes that work
/// on the pool, the full queue. (404 and 405, for paths and methods the document does not list,
/// are in its description and `components.responses`.)
#[test]
fn every_api_operation_documents_the_common_errors() {
    let doc = document();
    let ops = operations(&doc);
    for (path, methods) in &ops {
        if path == "/" || path == "/{path}" {
            continue;
        }
        for (method, (statuses, _)) in methods {
            for status in [408, 413, 414, 431] {
                assert!(statuses.contains(&status), "{method} {path} does not document {status}");
            }
            let pooled = [
                "/v1/authorize",
                "/v1/explain",
                "/v1/lint",
                "/v1/paths",
                "/v1/policies",
                "/v1/check-no-new-access",
                "/v1/check-access-not-granted",
                "/v1/check-no-public-access",
                "/v1/scp-impact",
            ]
            .contains(&path.as_str())
                && method == "POST";
            assert_eq!(statuses.contains(&503), pooled, "{method} {path}: 503 is for the pooled routes");
        }
    }
    for name in ["NotFound", "MethodNotAllowed", "Timeout", "TooLarge", "UriTooLong", "HeadersTooLarge", "Busy"] {
        assert!(doc["components"]["responses"][name].is_object(), "{name}");
    }
    // Every error response the API documents is the Error schema.
    for (name, response) in doc["components"]["responses"].as_object().unwrap() {
        let schema = &response["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(schema, "#/components/schemas/Error", "{name}");
    }
}
