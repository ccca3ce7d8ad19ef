//! Helpers shared by the test files.
#![allow(dead_code, unreachable_pub, reason = "each test file uses some of the helpers")]
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

pub mod gateway;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Sends one request to the router and returns the status and the JSON body.
pub async fn send(app: axum::Router, method: &str, uri: &str, body: Option<String>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, json)
}

pub const ALLOW_S3_READ: &str =
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
pub const DENY_LOGS: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "NoLogs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*"}]}"#;

/// A case: alice reads `resource` with the given identity policies.
pub fn case(resource: &str, policies: &[&str]) -> String {
    format!(
        r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "{resource}", "identityPolicies": [{}]}}"#,
        policies.join(", ")
    )
}

/// A get-account-authorization-details dump: alice with one inline policy.
pub fn gaad(inline: &str) -> String {
    format!(
        r#"{{"UserDetailList": [{{"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE1", "Arn": "arn:aws:iam::111122223333:user/alice",
  "UserPolicyList": [{{"PolicyName": "inline", "PolicyDocument": {inline}}}], "GroupList": [], "AttachedManagedPolicies": []}}],
 "GroupDetailList": [], "RoleDetailList": [], "Policies": []}}"#
    )
}

/// A fresh folder under the temp directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
