//! `POST /v1/check-no-new-access`, `/v1/check-access-not-granted`, `/v1/check-no-public-access`
//! (decision D122) give what the CLI gives, and `/v1/explain` with `unknownKeys` the residual
//! (decision D120): each counterexample is a case `/v1/authorize` decides as claimed, and each
//! `allowedIf` block, pasted into an `Allow`, allows exactly the values the engine allows.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::send;
use iamspect_server::{AppState, Settings, app};
use serde_json::{Value, json};

fn router() -> axum::Router {
    app(AppState::new(Settings::default()))
}

const READ: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const READ_WRITE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#;

async fn decide(case: &Value) -> String {
    let (status, v) = send(router(), "POST", "/v1/authorize", Some(case.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["decision"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn no_new_access_fails_with_confirmed_counterexamples_and_passes_the_other_way() {
    let body =
        json!({"newPolicyDocument": READ_WRITE, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"});
    let (status, v) = send(router(), "POST", "/v1/check-no-new-access", Some(body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["result"], "FAIL", "{v}");
    let cases = v["counterexamples"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        assert_eq!(decide(c).await, "allowed", "{c}");
        assert!(c["action"].as_str().unwrap().eq_ignore_ascii_case("s3:PutObject"), "{c}");
    }
    let body = json!({"newPolicyDocument": READ, "existingPolicyDocument": serde_json::from_str::<Value>(READ_WRITE).unwrap(), "policyType": "identity"});
    let (_, v) = send(router(), "POST", "/v1/check-no-new-access", Some(body.to_string())).await;
    assert_eq!(v["result"], "PASS", "{v}");
}

#[tokio::test]
async fn access_not_granted_and_public_access() {
    let body = json!({"policyDocument": READ_WRITE, "access": [{"actions": ["s3:DeleteObject"]}, {"actions": ["s3:PutObject"]}], "policyType": "IDENTITY_POLICY"});
    let (_, v) = send(router(), "POST", "/v1/check-access-not-granted", Some(body.to_string())).await;
    assert_eq!(v["result"], "FAIL", "{v}");
    assert_eq!(v["accessIndex"], 1);
    for c in v["counterexamples"].as_array().unwrap() {
        assert_eq!(decide(c).await, "allowed", "{c}");
    }
    let body = json!({"policyDocument": READ_WRITE, "access": [{"actions": ["s3:DeleteObject", "iam:*"]}], "policyType": "IDENTITY_POLICY"});
    let (_, v) = send(router(), "POST", "/v1/check-access-not-granted", Some(body.to_string())).await;
    assert_eq!(v["result"], "PASS", "{v}");
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let body = json!({"policyDocument": public, "resourceType": "AWS::S3::Bucket"});
    let (_, v) = send(router(), "POST", "/v1/check-no-public-access", Some(body.to_string())).await;
    assert_eq!(v["result"], "FAIL", "{v}");
    for c in v["counterexamples"].as_array().unwrap() {
        assert_eq!(decide(c).await, "allowed", "{c}");
    }
}

#[tokio::test]
async fn bad_bodies_are_400s_naming_the_field() {
    for (route, body, field) in [
        (
            "/v1/check-no-new-access",
            json!({"newPolicyDocument": READ, "existingPolicyDocument": READ, "policyType": "nope"}),
            "policyType",
        ),
        (
            "/v1/check-no-new-access",
            json!({"newPolicyDocument": "{", "existingPolicyDocument": READ, "policyType": "identity"}),
            "newPolicyDocument",
        ),
        (
            "/v1/check-access-not-granted",
            json!({"policyDocument": READ, "access": [], "policyType": "identity"}),
            "access",
        ),
        ("/v1/check-no-public-access", json!({"policyDocument": READ, "resourceType": "AWS::Nope"}), "resourceType"),
        (
            "/v1/check-no-public-access",
            json!({"policyDocument": READ, "resourceType": "AWS::S3::Bucket", "extra": 1}),
            "extra",
        ),
    ] {
        let (status, v) = send(router(), "POST", route, Some(body.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{route} {body}: {v}");
        assert!(v["message"].as_str().unwrap().contains(field), "{route}: {v}");
    }
}

#[tokio::test]
async fn a_check_past_its_deadline_is_a_408() {
    let settings = Settings { timeout: Duration::from_millis(1), ..Settings::default() };
    // Many statements with distinct conditions: far more than a millisecond of work.
    let stmts: Vec<Value> = (0..400)
        .map(|i| json!({"Effect": "Allow", "Action": format!("s3:Get{i}*"), "Resource": format!("arn:aws:s3:::b{i}/*"), "Condition": {"StringLike": {"aws:SourceVpce": format!("vpce-{i}*")}}}))
        .collect();
    let big = json!({"Version": "2012-10-17", "Statement": stmts}).to_string();
    let body = json!({"newPolicyDocument": big, "existingPolicyDocument": READ, "policyType": "identity"});
    let (status, v) =
        send(app(AppState::new(settings)), "POST", "/v1/check-no-new-access", Some(body.to_string())).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{v}");
}

#[tokio::test]
async fn explain_with_unknown_keys_gives_the_residual() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    let case = |ctx: Option<&str>| {
        let mut c = json!({"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "identityPolicies": [serde_json::from_str::<Value>(policy).unwrap()]});
        if let Some(ip) = ctx {
            c["context"] = json!({"aws:SourceIp": ip});
        }
        c
    };
    let mut body = case(None);
    body["unknownKeys"] = json!(["aws:SourceIp"]);
    let (status, v) = send(router(), "POST", "/v1/explain", Some(body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["allowedIf"], json!([{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}]), "{v}");
    for ip in ["10.1.2.3", "192.0.2.1"] {
        let engine = decide(&case(Some(ip))).await;
        let mut alt = case(Some(ip));
        alt["identityPolicies"] = json!([{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": v["allowedIf"][0]}]}]);
        assert_eq!(engine, decide(&alt).await, "{ip}");
    }
    // A key the case gives a value is a 400.
    let mut body = case(Some("10.0.0.1"));
    body["unknownKeys"] = json!(["aws:SourceIp"]);
    let (status, v) = send(router(), "POST", "/v1/explain", Some(body.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}
