//! The web page's routes: embedded files with their content types, the Content-Security-Policy,
//! revalidation, the examples with their policies inlined, and no way to name another file.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use iamspect_server::{AppState, Settings, app};
use serde_json::Value;
use tower::ServiceExt;

async fn get(uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method("GET").uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app(AppState::new(Settings::default())).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

fn header(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn the_page_and_its_files_have_their_content_types_and_a_strict_csp() {
    for (uri, ty) in [
        ("/ui/", "text/html; charset=utf-8"),
        ("/ui/index.html", "text/html; charset=utf-8"),
        ("/ui/style.css", "text/css; charset=utf-8"),
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/flow.js", "text/javascript; charset=utf-8"),
        ("/ui/editor.js", "text/javascript; charset=utf-8"),
        ("/ui/icon.svg", "image/svg+xml"),
    ] {
        let (status, h, body) = get(uri, &[]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(header(&h, header::CONTENT_TYPE), ty, "{uri}");
        let csp = header(&h, header::CONTENT_SECURITY_POLICY);
        assert!(csp.starts_with("default-src 'none'"), "{uri}: {csp}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{uri}: {csp}");
        assert_eq!(header(&h, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(header(&h, header::CACHE_CONTROL), "no-cache");
        assert!(header(&h, header::ETAG).starts_with('"'), "{uri}");
        assert!(!body.is_empty(), "{uri}");
    }
}

#[tokio::test]
async fn the_page_loads_nothing_from_elsewhere() {
    let (_, _, body) = get("/ui/", &[]).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(r#"<script type="module" src="/ui/app.js">"#));
    for file in ["/ui/", "/ui/app.js", "/ui/style.css", "/ui/report.js", "/ui/flow.js", "/ui/api.js"] {
        let (_, _, body) = get(file, &[]).await;
        let text = String::from_utf8(body).unwrap();
        for bad in ["https://", "http://", "//cdn", "<script>"] {
            assert!(!text.contains(bad), "{file} contains {bad}");
        }
    }
}

#[tokio::test]
async fn etags_revalidate_and_ui_redirects() {
    let (_, h, _) = get("/ui/app.js", &[]).await;
    let tag = header(&h, header::ETAG).to_string();
    let (status, _, body) = get("/ui/app.js", &[("if-none-match", &tag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (status, h, _) = get("/ui", &[]).await;
    assert!(status.is_redirection());
    assert_eq!(header(&h, header::LOCATION), "/ui/");
}

#[tokio::test]
async fn examples_are_listed_and_served_with_their_policies_inline() {
    let (status, h, body) = get("/ui/examples", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, header::CONTENT_TYPE), "application/json");
    let list: Value = serde_json::from_slice(&body).unwrap();
    let examples = list["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 6);
    let cases: usize = examples.iter().map(|e| e["cases"].as_array().unwrap().len()).sum();
    assert_eq!(cases, 31);
    for ex in examples {
        let name = ex["name"].as_str().unwrap();
        let (status, _, body) = get(&format!("/ui/examples/{name}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains("policies/"), "{name}: a policy path is left");
        let file: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["cases"].as_array().unwrap().len(), ex["cases"].as_array().unwrap().len());
    }
    let (_, _, body) = get("/ui/examples/prod-backups", &[]).await;
    let file: Value = serde_json::from_slice(&body).unwrap();
    let case = &file["cases"][0];
    assert_eq!(case["resourcePolicy"]["Statement"][0]["Sid"], "DenyDeletingBackups");
    assert_eq!(case["scps"][0][0], "FullAWSAccess");
    assert_eq!(case["scps"][1][1]["Statement"][0]["Sid"], "DenyOutsideEURegions");
}

#[tokio::test]
async fn an_inlined_example_decides_as_it_expects_through_explain() {
    let (_, _, body) = get("/ui/examples/region-lock", &[]).await;
    let file: Value = serde_json::from_slice(&body).unwrap();
    let case = file["cases"][0].clone();
    let req = Request::builder()
        .method("POST")
        .uri("/v1/explain")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(case.to_string()))
        .unwrap();
    let res = app(AppState::new(Settings::default())).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(report["EvaluationResults"][0]["EvalDecision"], case["expect"]["decision"]);
}

#[tokio::test]
async fn no_path_escapes_the_embedded_files() {
    for uri in [
        "/ui/../Cargo.toml",
        "/ui/..%2fCargo.toml",
        "/ui/%2e%2e%2fCargo.toml",
        "/ui/examples/..%2fpolicies%2fdeveloper-role",
        "/ui/examples/../../Cargo.toml",
        "/ui/examples/policies",
        "/ui/examples/prod-backups.json",
        "/ui/e2e/package.json",
        "/ui/nope.js",
        "/ui/examples/nope",
    ] {
        let (status, _, body) = get(uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains("[workspace]") && !text.contains("\"Statement\""), "{uri}: {text}");
    }
}

#[tokio::test]
async fn builtin_policies_are_the_engines() {
    let (status, _, body) = get("/ui/builtin", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["FullAWSAccess"], iamspect_core::policy::FULL_AWS_ACCESS);
    assert_eq!(v["RCPFullAWSAccess"], iamspect_core::policy::RCP_FULL_AWS_ACCESS);
}
