//! `AssumeRole`'s `DurationSeconds` against the role's `MaxSessionDuration`: one hour for a role
//! the data gives none (a `get-account-authorization-details` dump never does), the value of an
//! `aws iam get-role` output beside the dump otherwise. Requests are signed with `aws-sigv4`.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use iamspect_auth::Credential;
use iamspect_server::{AppState, Settings, app};
use tower::ServiceExt;

/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;
const KEY: &str = "AKIAALICEEXAMPLE0001";
const SECRET: &str = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP";

fn setup(name: &str) -> AppState {
    let allow =
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}"#;
    let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}"#;
    let role = |name: &str| {
        format!(
            r#"{{"Path": "/", "RoleName": "{name}", "RoleId": "AROA{name}", "Arn": "arn:aws:iam::111122223333:role/{name}",
                "AssumeRolePolicyDocument": {trust}, "RolePolicyList": [], "AttachedManagedPolicies": []}}"#
        )
    };
    let gaad = format!(
        r#"{{"UserDetailList": [{{"Path": "/", "UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice",
              "UserPolicyList": [{{"PolicyName": "assume", "PolicyDocument": {allow}}}]}}],
            "RoleDetailList": [{}, {}], "Policies": []}}"#,
        role("Short"),
        role("Long")
    );
    let get_role = format!(
        r#"{{"Role": {{"Path": "/", "RoleName": "Long", "RoleId": "AROALong", "Arn": "arn:aws:iam::111122223333:role/Long",
             "CreateDate": "2025-01-01T00:00:00+00:00", "AssumeRolePolicyDocument": {trust}, "MaxSessionDuration": 14400}}}}"#
    );
    let dir = common::temp_dir(name);
    std::fs::write(dir.join("gaad.json"), gaad).unwrap();
    std::fs::write(dir.join("iam-get-role_Long.json"), get_role).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![dir]).unwrap();
    let snapshot = state.account().unwrap();
    assert!(snapshot.errors.is_empty(), "{:?}", snapshot.errors);
    state
        .sts()
        .add_credentials(vec![Credential::long_term(KEY, SECRET, "arn:aws:iam::111122223333:user/alice".to_string())])
        .unwrap();
    let clock = Arc::new(T0);
    state.sts().set_clock(move || jiff::Timestamp::from_second(*clock).unwrap());
    state
}

/// `AssumeRole` of `role`, with `extra` parameters, signed by alice at `T0`.
async fn assume(state: &AppState, role: &str, extra: &str) -> (StatusCode, String) {
    let form = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2F{role}&RoleSessionName=ci{extra}"
    );
    let url = "https://sts.amazonaws.com/";
    let content_type = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");
    let identity = Credentials::new(KEY, SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(T0).unwrap()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable =
        SignableRequest::new("POST", url, std::iter::once(content_type), SignableBody::Bytes(form.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request =
        http::Request::builder().method("POST").uri(url).header(content_type.0, content_type.1).body(form).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let (parts, body) = request.into_parts();
    let response = app(state.clone()).oneshot(axum::http::Request::from_parts(parts, Body::from(body))).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn tag<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml.find(&format!("<{name}>")).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + name.len() + 2;
    &xml[start..start + xml[start..].find(&format!("</{name}>")).unwrap()]
}

fn assert_too_long(status: StatusCode, body: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(tag(body, "Code"), "ValidationError");
    assert_eq!(tag(body, "Message"), "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
}

#[tokio::test]
async fn a_role_without_max_session_duration_allows_one_hour() {
    let state = setup("sts-duration-default");
    let (status, body) = assume(&state, "Short", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Expiration"), "2025-06-01T13:00:00Z");
    let (status, body) = assume(&state, "Short", "&DurationSeconds=3600").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for too_long in ["3601", "7200", "43200"] {
        let (status, body) = assume(&state, "Short", &format!("&DurationSeconds={too_long}")).await;
        assert_too_long(status, &body);
    }
}

#[tokio::test]
async fn get_role_output_sets_the_role_maximum() {
    let state = setup("sts-duration-get-role");
    let (status, body) = assume(&state, "Long", "&DurationSeconds=14400").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Expiration"), "2025-06-01T16:00:00Z");
    // Without DurationSeconds the session still lasts one hour.
    let (status, body) = assume(&state, "Long", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Expiration"), "2025-06-01T13:00:00Z");
    let (status, body) = assume(&state, "Long", "&DurationSeconds=14401").await;
    assert_too_long(status, &body);
}
