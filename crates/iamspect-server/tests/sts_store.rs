//! The STS credential store is bounded (decision D36): expired temporary credentials are dropped
//! an hour after their expiry, and a store full of live ones refuses to issue more
//! (`ServiceUnavailable`) rather than drop a live session. Requests are signed with `aws-sigv4`.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
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
const WHO: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const SESSION_15_MIN: &str = "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900";

fn setup() -> (AppState, Arc<AtomicI64>) {
    let state = AppState::new(Settings::default());
    state
        .sts()
        .add_credentials(vec![Credential::long_term(KEY, SECRET, "arn:aws:iam::111122223333:user/alice")])
        .unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let c = Arc::clone(&clock);
    state.sts().set_clock(move || jiff::Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap());
    (state, clock)
}

/// A form-encoded STS POST signed at `time` with `(id, secret, token)`; the status and XML.
async fn call(state: &AppState, key: (&str, &str, Option<&str>), form: &str, time: i64) -> (StatusCode, String) {
    let url = "https://sts.amazonaws.com/";
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let identity = Credentials::new(key.0, key.1, key.2.map(str::to_owned), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(time).unwrap()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable =
        SignableRequest::new("POST", url, headers.iter().copied(), SignableBody::Bytes(form.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut builder = http::Request::builder().method("POST").uri(url);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let mut request = builder.body(form.as_bytes().to_vec()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let (parts, body) = request.into_parts();
    let response = app(state.clone()).oneshot(axum::http::Request::from_parts(parts, Body::from(body))).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn tag<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    &xml[start..end]
}

/// Issues a 15-minute session at `time`: its key id, secret and token.
async fn session(state: &AppState, time: i64) -> (String, String, String) {
    let (status, body) = call(state, (KEY, SECRET, None), SESSION_15_MIN, time).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        tag(&body, "AccessKeyId").to_string(),
        tag(&body, "SecretAccessKey").to_string(),
        tag(&body, "SessionToken").to_string(),
    )
}

#[tokio::test]
async fn a_full_store_refuses_new_sessions_and_keeps_the_live_ones() {
    let (state, clock) = setup();
    state.sts().store().set_max_temporary(3);
    let mut live = Vec::new();
    for i in 0..3 {
        clock.store(T0 + i, Ordering::SeqCst);
        live.push(session(&state, T0 + i).await);
    }
    let (status, body) = call(&state, (KEY, SECRET, None), SESSION_15_MIN, T0 + 2).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(tag(&body, "Code"), "ServiceUnavailable");
    assert!(tag(&body, "Message").contains("maximum of 3 live temporary credentials"), "{body}");
    // Every live session still works.
    for (id, secret, token) in &live {
        let (status, body) = call(&state, (id, secret, Some(token)), WHO, T0 + 2).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Once they expire they still answer ExpiredToken...
    clock.store(T0 + 900, Ordering::SeqCst);
    let (id, secret, token) = &live[0];
    let (status, body) = call(&state, (id, secret, Some(token)), WHO, T0 + 900).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "ExpiredToken"), "{body}");
    // ...until a new session needs the room: the earliest expired (the first) goes first.
    let fresh = session(&state, T0 + 900).await;
    assert_eq!(state.sts().store().temporary_len(), 3);
    let (status, body) = call(&state, (id, secret, Some(token)), WHO, T0 + 900).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "InvalidClientTokenId"), "{body}");
    let (status, body) = call(&state, (&fresh.0, &fresh.1, Some(&fresh.2)), WHO, T0 + 901).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn expired_sessions_are_dropped_and_the_count_stays_bounded() {
    let (state, clock) = setup();
    let store = Arc::clone(state.sts().store());
    // 2,000 sessions of 15 minutes, one every 5 seconds (2.8 hours): each is dropped an hour after
    // its expiry (at exactly an hour), so at most (900 + 3600) / 5 = 900 are ever held.
    let mut most = 0;
    let mut first = None;
    for i in 0..2_000 {
        let time = T0 + i * 5;
        clock.store(time, Ordering::SeqCst);
        let s = session(&state, time).await;
        first.get_or_insert(s);
        most = most.max(store.temporary_len());
    }
    assert_eq!(most, 900, "the most temporary credentials held at once");
    assert_eq!(store.len(), 900 + 1, "900 sessions and alice's key");
    // The first session is long gone: an unknown key now.
    let (id, secret, token) = first.unwrap();
    let now = T0 + 2_000 * 5;
    let (status, body) = call(&state, (&id, &secret, Some(&token)), WHO, now).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "InvalidClientTokenId"), "{body}");
    // With no new session, the periodic sweep drops the rest an hour after their expiry.
    clock.store(now + 900 + 3_600, Ordering::SeqCst);
    assert_eq!(state.sts().sweep(), 900);
    assert_eq!((store.len(), store.temporary_len()), (1, 0));
}
