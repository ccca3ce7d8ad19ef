//! `POST /v1/paths`: one principal's shortest path to admin over the server's account data, as
//! `iamspect paths --from ARN --format json` gives it; refusals name what is wrong.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use axum::http::StatusCode;
use common::{send, temp_dir};
use iamspect_server::{AppState, Settings, app};

const ACCT: &str = "111122223333";

/// `mallory` may create access keys; `boss` is admin.
fn dump() -> String {
    format!(
        r#"{{"UserDetailList": [
            {{"UserName": "mallory", "Arn": "arn:aws:iam::{ACCT}:user/mallory", "GroupList": [], "AttachedManagedPolicies": [],
              "UserPolicyList": [{{"PolicyName": "keys", "PolicyDocument": {{"Version": "2012-10-17",
                "Statement": [{{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}}]}}}}]}},
            {{"UserName": "boss", "Arn": "arn:aws:iam::{ACCT}:user/boss", "GroupList": [], "UserPolicyList": [],
              "AttachedManagedPolicies": [{{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}]}}],
          "GroupDetailList": [], "RoleDetailList": [],
          "Policies": [{{"PolicyName": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "DefaultVersionId": "v1",
            "PolicyVersionList": [{{"VersionId": "v1", "IsDefaultVersion": true,
              "Document": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}]}}}}]}}]}}"#
    )
}

#[tokio::test]
async fn one_principal_reaches_admin_through_an_access_key() {
    let dir = temp_dir("paths-route");
    std::fs::write(dir.join("gaad.json"), dump()).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json")]).unwrap();
    let body = format!(r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory"}}"#);
    let (status, v) = send(app(state.clone()), "POST", "/v1/paths", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let p = &v["principals"][0];
    assert_eq!(p["reachesAdmin"], true, "{v}");
    assert_eq!(p["paths"][0]["steps"][0]["technique"], "iam:CreateAccessKey");
    assert_eq!(p["paths"][0]["steps"][0]["to"], format!("arn:aws:iam::{ACCT}:user/boss"));
    // The same JSON as the CLI's: the schema of docs/schemas/paths.schema.json.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/schemas/paths.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&v), "{v}");
    // To a principal.
    let body = format!(
        r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "to": "arn:aws:iam::{ACCT}:user/boss", "maxHops": 2}}"#
    );
    let (_, v) = send(app(state.clone()), "POST", "/v1/paths", Some(body)).await;
    assert_eq!(v["principals"][0]["reachesTarget"], true, "{v}");
    // Refusals name what is wrong.
    for (body, says) in [
        (r#"{"from": "arn:aws:iam::111122223333:user/nobody"}"#.to_string(), "user/nobody"),
        (format!(r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "maxHops": 0}}"#), "maxHops"),
        (format!(r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "extra": 1}}"#), "extra"),
        (
            format!(
                r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "context": {{"aws:SourceIp": "10.0.0.1", "aws:SourceIp": "10.0.0.2"}}}}"#
            ),
            "duplicate key",
        ),
        (
            format!(
                r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "context": {{"aws:SourceIp": "10.0.0.1", "AWS:SOURCEIP": "10.0.0.2"}}}}"#
            ),
            "duplicate key",
        ),
        (
            format!(r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "context": {{"aws:CurrentTime": "yesterday"}}}}"#),
            "aws:CurrentTime",
        ),
        (
            format!(r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory", "to": "arn:aws:iam::{ACCT}:user/ghost"}}"#),
            "user/ghost",
        ),
    ] {
        let (status, v) = send(app(state.clone()), "POST", "/v1/paths", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(v["message"].as_str().unwrap_or_default().contains(says), "{body}: {v}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn without_account_data_it_is_a_conflict() {
    let body = format!(r#"{{"from": "arn:aws:iam::{ACCT}:user/mallory"}}"#);
    let (status, v) = send(app(AppState::new(Settings::default())), "POST", "/v1/paths", Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("--account-data"), "{v}");
}
