//! Account data: requests without policies take them from the data, and a reload swaps the data
//! while the old snapshot stays valid for requests that hold it.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use axum::http::StatusCode;
use common::{ALLOW_S3_READ, gaad, send, temp_dir};
use iamspect_server::{AppState, Settings, app};
use serde_json::json;

const DENY_ALL: &str =
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#;

fn request() -> String {
    json!({"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::logs/a", "context": {"aws:SourceIp": "10.0.0.1"}}).to_string()
}

#[tokio::test]
async fn requests_without_policies_use_the_account_data_and_reload_swaps_it() {
    let dir = temp_dir("reload");
    let file = dir.join("gaad.json");
    std::fs::write(&file, gaad(ALLOW_S3_READ)).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![dir.clone()]).unwrap();

    let (status, body) = send(app(state.clone()), "POST", "/v1/authorize", Some(request())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["decision"], "allowed");
    let (_, health) = send(app(state.clone()), "GET", "/healthz", None).await;
    assert_eq!(health["accountData"]["generation"], 1);

    let before = state.account().unwrap();
    std::fs::write(&file, gaad(DENY_ALL)).unwrap();
    let (status, body) = send(app(state.clone()), "POST", "/v1/reload", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accountData"]["generation"], 2);

    let (_, body) = send(app(state.clone()), "POST", "/v1/authorize", Some(request())).await;
    assert_eq!(body, json!({"decision": "explicitDeny", "deniedBy": ["identity"]}));
    // A request that took the old snapshot still has it, whole.
    assert_eq!(before.generation, 1);
    assert!(before.data.accounts.contains_key("111122223333"));

    // Explain takes the same request.
    let (status, body) = send(app(state.clone()), "POST", "/v1/explain", Some(request())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["EvaluationResults"][0]["EvalDecision"], "explicitDeny");

    // A case with policies is still a case.
    let case = common::case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ]);
    let (_, body) = send(app(state.clone()), "POST", "/v1/authorize", Some(case)).await;
    assert_eq!(body["decision"], "allowed");

    // A reload that loads nothing keeps the old data.
    std::fs::write(&file, "{ not json").unwrap();
    let (status, body) = send(app(state.clone()), "POST", "/v1/reload", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "AccountDataInvalid");
    assert_eq!(state.account().unwrap().generation, 2);
    let (_, body) = send(app(state.clone()), "POST", "/v1/authorize", Some(request())).await;
    assert_eq!(body["decision"], "explicitDeny");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unknown_principal_is_400() {
    let dir = temp_dir("unknown");
    std::fs::write(dir.join("gaad.json"), gaad(ALLOW_S3_READ)).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![dir.clone()]).unwrap();
    let body = request().replace("user/alice", "user/mallory");
    let (status, body) = send(app(state), "POST", "/v1/authorize", Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "InvalidInput");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bucket policy that denies alice `logs`, beside a dump whose identity policy allows her S3 reads.
const LOGS_BUCKET_DENY: &str = r#"{"resourcePolicies": {"arn:aws:s3:::logs": {"Version": "2012-10-17", "Statement": [
  {"Sid": "NoLogs", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}]}}}"#;

fn s3_read(resource: &str) -> String {
    json!({"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": resource, "resourceAccount": "111122223333"}).to_string()
}

/// The answers of `/v1/authorize` and `/v1/explain` for a denied and an allowed request.
async fn decisions(state: &AppState) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for resource in ["arn:aws:s3:::logs/a", "arn:aws:s3:::data/a"] {
        for route in ["/v1/authorize", "/v1/explain"] {
            let (status, body) = send(app(state.clone()), "POST", route, Some(s3_read(resource))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            out.push(body);
        }
    }
    out
}

/// The data folder: the dump and the bucket policy.
fn deny_folder(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("gaad.json"), gaad(ALLOW_S3_READ)).unwrap();
    std::fs::write(dir.join("buckets.json"), LOGS_BUCKET_DENY).unwrap();
    dir
}

#[tokio::test]
async fn a_reload_with_a_corrupt_file_keeps_every_decision() {
    let dir = deny_folder("corrupt-reload");
    let state = AppState::with_account_data(Settings::default(), vec![dir.clone()]).unwrap();
    let before = decisions(&state).await;
    assert_eq!(before[0], json!({"decision": "explicitDeny", "deniedBy": ["resource"]}));
    assert_eq!(before[2], json!({"decision": "allowed", "deniedBy": []}));

    // The file that held the Deny is now broken JSON: the reload is refused, naming it.
    std::fs::write(dir.join("buckets.json"), "{\"resourcePolicies\": {\n  \"arn:aws:s3:::logs\": \n").unwrap();
    let (status, body) = send(app(state.clone()), "POST", "/v1/reload", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "AccountDataInvalid");
    assert_eq!(body["reloaded"], false);
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("buckets.json: invalid JSON at line 3"), "{message}");
    assert!(message.contains("the previous account data (generation 1) is kept"), "{message}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert!(body["errors"][0]["path"].as_str().unwrap().ends_with("buckets.json"), "{body}");
    assert_eq!(body["accountData"]["generation"], 1);

    // Every decision is what it was: the explicit deny stays an explicit deny.
    assert_eq!(decisions(&state).await, before);
    assert_eq!(state.account().unwrap().generation, 1);

    // /healthz says the latest reload failed, which file, and that generation 1 is served.
    let (_, health) = send(app(state.clone()), "GET", "/healthz", None).await;
    assert_eq!(health["status"], "degraded", "{health}");
    let data = &health["accountData"];
    assert_eq!(data["generation"], 1, "{health}");
    assert_eq!(data["partial"], false, "{health}");
    assert_eq!(data["lastReload"]["ok"], false, "{health}");
    assert_eq!(data["lastReload"]["generation"], 1, "{health}");
    let error = &data["lastReload"]["errors"][0];
    assert!(error["path"].as_str().unwrap().ends_with("buckets.json"), "{health}");
    assert!(error["message"].as_str().unwrap().contains("line 3"), "{health}");

    // Mended, it reloads and the status is ok again.
    std::fs::write(dir.join("buckets.json"), LOGS_BUCKET_DENY).unwrap();
    let (status, body) = send(app(state.clone()), "POST", "/v1/reload", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accountData"]["generation"], 2);
    let (_, health) = send(app(state.clone()), "GET", "/healthz", None).await;
    assert_eq!(
        (health["status"].as_str(), health["accountData"]["lastReload"]["ok"].as_bool()),
        (Some("ok"), Some(true))
    );
    assert_eq!(decisions(&state).await, before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_file_at_start_is_an_error_naming_it() {
    let dir = deny_folder("corrupt-start");
    std::fs::write(dir.join("buckets.json"), "{\"resourcePolicies\": [}").unwrap();
    std::fs::write(dir.join("more.json"), "\n\n  nope").unwrap();
    let e = AppState::with_account_data(Settings::default(), vec![dir.clone()]).err().unwrap();
    let text = e.to_string();
    assert_eq!(e.errors().len(), 2, "{text}");
    assert!(text.starts_with("2 account data files failed to load; nothing is served"), "{text}");
    assert!(text.contains("buckets.json: invalid JSON at line 1"), "{text}");
    assert!(text.contains("more.json: invalid JSON at line 3"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn allow_partial_serves_the_rest_and_says_so() {
    let dir = deny_folder("partial");
    std::fs::write(dir.join("buckets.json"), "{ broken").unwrap();
    let options =
        iamspect_server::state::Options { account_data: vec![dir.clone()], allow_partial: true, ..Default::default() };
    let state = AppState::with_options(Settings::default(), options).unwrap();
    // The Deny was in the file left out: the request is allowed, and the server says why it may be wrong.
    let (_, body) = send(app(state.clone()), "POST", "/v1/authorize", Some(s3_read("arn:aws:s3:::logs/a"))).await;
    assert_eq!(body["decision"], "allowed");
    let (_, health) = send(app(state.clone()), "GET", "/healthz", None).await;
    assert_eq!(health["status"], "degraded", "{health}");
    let data = &health["accountData"];
    assert_eq!((data["partial"].as_bool(), data["lastReload"]["partial"].as_bool()), (Some(true), Some(true)));
    assert!(data["errors"][0]["path"].as_str().unwrap().ends_with("buckets.json"), "{health}");
    assert!(data["errors"][0]["message"].as_str().unwrap().contains("line 1"), "{health}");

    // A reload with every file mended is whole again.
    std::fs::write(dir.join("buckets.json"), LOGS_BUCKET_DENY).unwrap();
    let (status, body) = send(app(state.clone()), "POST", "/v1/reload", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accountData"]["partial"], false);
    let (_, body) = send(app(state.clone()), "POST", "/v1/authorize", Some(s3_read("arn:aws:s3:::logs/a"))).await;
    assert_eq!(body["decision"], "explicitDeny");
    // Even partial, a load where nothing loads keeps the data.
    std::fs::write(dir.join("gaad.json"), "[").unwrap();
    std::fs::write(dir.join("buckets.json"), "[").unwrap();
    let (status, body) = send(app(state.clone()), "POST", "/v1/reload", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(state.account().unwrap().generation, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_loadable_data_is_an_error_at_start() {
    let dir = temp_dir("empty");
    std::fs::write(dir.join("broken.json"), "{").unwrap();
    assert!(AppState::with_account_data(Settings::default(), vec![dir.clone()]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
