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
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
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

#[test]
fn no_loadable_data_is_an_error_at_start() {
    let dir = temp_dir("empty");
    std::fs::write(dir.join("broken.json"), "{").unwrap();
    assert!(AppState::with_account_data(Settings::default(), vec![dir.clone()]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
