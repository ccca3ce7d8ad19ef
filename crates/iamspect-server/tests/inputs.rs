//! Every input of `/v1/authorize` is used or refused (issue 12, item 10): keys given twice at any
//! depth, control characters in ARNs, principals that are not principals, malformed context values
//! and policies over AWS's size quotas are 400s that name them; account requests get the clock keys.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use axum::http::StatusCode;
use common::{ALLOW_S3_READ, case, gaad, send, temp_dir};
use iamspect_server::{AppState, Settings, app};

fn router() -> axum::Router {
    app(AppState::new(Settings::default()))
}

async fn refused(app: axum::Router, body: String, says: &str) {
    let (status, v) = send(app, "POST", "/v1/authorize", Some(body.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{body}: {v}");
    assert!(!message.contains('\n'), "one line: {message}");
}

fn with_context(context: &str) -> String {
    format!(
        r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
            "context": {context}, "identityPolicies": [{ALLOW_S3_READ}]}}"#
    )
}

#[tokio::test]
async fn keys_given_twice_are_refused_at_any_depth() {
    refused(router(), with_context(r#"{"aws:SourceIp": "10.0.0.1", "aws:SourceIp": "10.0.0.2"}"#), "duplicate key")
        .await;
    refused(router(), with_context(r#"{"aws:SourceIp": "10.0.0.1", "AWS:SOURCEIP": "10.0.0.2"}"#), "duplicate key")
        .await;
    let tags = r#"{"principal": {"arn": "arn:aws:iam::111122223333:user/alice", "tags": {"team": "a", "team": "b"}},
        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}"#;
    refused(router(), tags.to_string(), "duplicate key `team`").await;
    let top = r#"{"principal": "arn:aws:iam::111122223333:user/alice", "principal": "arn:aws:iam::111122223333:user/bob",
        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}"#;
    refused(router(), top.to_string(), "duplicate field `principal`").await;
}

#[tokio::test]
async fn principals_and_arns_are_checked() {
    let body = case("arn:aws:s3:::b/k", &[ALLOW_S3_READ])
        .replace("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/al\\u0000ice");
    refused(router(), body, "control character").await;
    let body = case("arn:aws:s3:::b/k", &[ALLOW_S3_READ]).replace("arn:aws:iam::111122223333:user/alice", "bob");
    refused(router(), body, "principal `bob` is not a principal").await;
    let body =
        case("arn:aws:s3:::b/k", &[ALLOW_S3_READ]).replace("arn:aws:iam::111122223333:user/alice", "123456789012");
    refused(router(), body, "arn:aws:iam::123456789012:root").await;
    refused(router(), with_context(r#"{"aws:SourceIp": "999.1.1.1"}"#), "is not an IP address").await;
}

#[tokio::test]
async fn size_quotas_apply_to_inline_identity_policies() {
    let actions: Vec<String> = (0..12_000).map(|i| format!("\"s3:GetObject{i}\"")).collect();
    let big = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": [{}], "Resource": "*"}}, {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}]}}"#,
        actions.join(",")
    );
    assert!(big.len() > 200_000);
    let app = app(AppState::new(Settings { body_limit: 4 << 20, ..Settings::default() }));
    refused(app, case("arn:aws:s3:::b/k", &[&big]), "over the customer managed policy size of 6144").await;
}

#[tokio::test]
async fn account_requests_are_read_strictly_and_get_the_clock() {
    let dir = temp_dir("inputs-account");
    let allow_recent = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}"#;
    std::fs::write(dir.join("gaad.json"), gaad(allow_recent)).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![dir.clone()]).unwrap();
    let request = |context: &str| {
        format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {context}}}"#
        )
    };
    let (status, v) = send(app(state.clone()), "POST", "/v1/authorize", Some(request("{}"))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "allowed", "aws:CurrentTime is set: {v}");
    let (_, v) = send(
        app(state.clone()),
        "POST",
        "/v1/authorize",
        Some(request(r#"{"aws:CurrentTime": "2019-01-01T00:00:00Z"}"#)),
    )
    .await;
    assert_eq!(v["decision"], "implicitDeny", "a given time is kept: {v}");
    refused(
        app(state.clone()),
        request(r#"{"aws:SourceIp": "10.0.0.1", "aws:SourceIp": "10.0.0.2"}"#),
        "duplicate key",
    )
    .await;
    refused(
        app(state.clone()),
        request(r#"{"aws:SourceIp": "10.0.0.1"}"#).replace("alice\"", "alice\", \"principal\": \"x\""),
        "duplicate field",
    )
    .await;
    refused(app(state), request("{}").replace("arn:aws:iam::111122223333:user/alice", "bob"), "principal `bob`").await;
    std::fs::remove_dir_all(&dir).ok();
}
