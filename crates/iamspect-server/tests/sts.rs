//! The STS endpoint: requests signed with AWS's own signer (`aws-sigv4`) against the router.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

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
const ACCOUNT: &str = "111122223333";
const ALICE_KEY: &str = "AKIAALICEEXAMPLE0001";
const ALICE_SECRET: &str = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP";
const BOB_KEY: &str = "AKIABOBEXAMPLE000001";
const BOB_SECRET: &str = "bobSecretKeyEXAMPLEbobSecretKeyEXAMPLEbo";

/// alice may assume any role of the account; bob may not; `Deploy` trusts alice with an external
/// id and lets her tag sessions; `Audit` trusts the account (so the caller's identity policy
/// decides) and lets no one tag sessions; `Deploy` may assume `Audit` (role chaining).
fn gaad() -> String {
    let allow_assume = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "arn:aws:iam::111122223333:role/*"}]}"#;
    let deploy_trust = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}}},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:TagSession"}]}"#;
    let audit_trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}"#;
    format!(
        r#"{{"UserDetailList": [
  {{"Path": "/", "UserName": "alice", "UserId": "AIDAALICEEXAMPLE0001", "Arn": "arn:aws:iam::111122223333:user/alice",
    "UserPolicyList": [{{"PolicyName": "assume", "PolicyDocument": {allow_assume}}}], "GroupList": [], "AttachedManagedPolicies": []}},
  {{"Path": "/", "UserName": "bob", "UserId": "AIDABOBEXAMPLE000001", "Arn": "arn:aws:iam::111122223333:user/bob",
    "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": []}}],
 "GroupDetailList": [],
 "RoleDetailList": [
  {{"Path": "/", "RoleName": "Deploy", "RoleId": "AROADEPLOYEXAMPLE0001", "Arn": "arn:aws:iam::111122223333:role/Deploy", "MaxSessionDuration": 43200,
    "AssumeRolePolicyDocument": {deploy_trust},
    "RolePolicyList": [{{"PolicyName": "assume", "PolicyDocument": {allow_assume}}}], "AttachedManagedPolicies": []}},
  {{"Path": "/", "RoleName": "Audit", "RoleId": "AROAAUDITEXAMPLE00001", "Arn": "arn:aws:iam::111122223333:role/Audit",
    "AssumeRolePolicyDocument": {audit_trust}, "RolePolicyList": [], "AttachedManagedPolicies": []}}],
 "Policies": []}}"#
    )
}

/// A state with the account data, alice's and bob's keys, and a clock the test moves.
fn setup(name: &str) -> (AppState, Arc<AtomicI64>) {
    let dir = common::temp_dir(name);
    let path = dir.join("gaad.json");
    std::fs::write(&path, gaad()).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![path]).unwrap();
    state
        .sts()
        .add_credentials(vec![
            Credential::long_term(ALICE_KEY, ALICE_SECRET, format!("arn:aws:iam::{ACCOUNT}:user/alice")),
            Credential::long_term(BOB_KEY, BOB_SECRET, format!("arn:aws:iam::{ACCOUNT}:user/bob")),
        ])
        .unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let c = Arc::clone(&clock);
    state.sts().set_clock(move || jiff::Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap());
    (state, clock)
}

struct Key<'a> {
    id: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
}

const ALICE: Key<'static> = Key { id: ALICE_KEY, secret: ALICE_SECRET, token: None };
const BOB: Key<'static> = Key { id: BOB_KEY, secret: BOB_SECRET, token: None };

/// A form-encoded STS POST signed by aws-sigv4 at `time`.
fn signed(key: &Key<'_>, form: &str, time: i64) -> http::Request<Vec<u8>> {
    let url = "https://sts.amazonaws.com/";
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let identity = Credentials::new(key.id, key.secret, key.token.map(str::to_owned), None, "test").into();
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
    request
}

async fn send(state: &AppState, request: http::Request<Vec<u8>>) -> (StatusCode, String) {
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body));
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    assert_eq!(response.headers().get("content-type").unwrap(), "text/xml");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn call(state: &AppState, key: &Key<'_>, form: &str, time: i64) -> (StatusCode, String) {
    send(state, signed(key, form, time)).await
}

/// The text of the first `<name>` element.
fn tag<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    &xml[start..end]
}

const WHO: &str = "Action=GetCallerIdentity&Version=2011-06-15";

fn assume(role: &str, extra: &str) -> String {
    format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2F{role}&RoleSessionName=ci-run{extra}"
    )
}

#[tokio::test]
async fn get_caller_identity_with_a_long_term_key() {
    let (state, _) = setup("sts-gci");
    let (status, body) = call(&state, &ALICE, WHO, T0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
    assert_eq!(tag(&body, "Arn"), "arn:aws:iam::111122223333:user/alice");
    assert_eq!(tag(&body, "UserId"), "AIDAALICEEXAMPLE0001");
    assert_eq!(tag(&body, "Account"), ACCOUNT);
    assert_eq!(tag(&body, "RequestId").len(), 36);

    // A GET with the action in the query string is the same call.
    let url = format!("https://sts.amazonaws.com/?{WHO}");
    let identity = Credentials::new(ALICE_KEY, ALICE_SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("sts")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(T0).unwrap()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(b"")).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method("GET").uri(&url).body(Vec::new()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let (status, body) = send(&state, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Arn"), "arn:aws:iam::111122223333:user/alice");
}

#[tokio::test]
async fn assume_role_issues_credentials_that_authenticate_and_expire() {
    let (state, clock) = setup("sts-assume");
    let (status, body) = call(&state, &ALICE, &assume("Deploy", "&ExternalId=ext-123&DurationSeconds=900"), T0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let key = tag(&body, "AccessKeyId").to_string();
    let secret = tag(&body, "SecretAccessKey").to_string();
    let token = tag(&body, "SessionToken").to_string();
    assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
    assert!(key[4..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    assert_eq!(secret.len(), 40);
    assert_eq!(tag(&body, "Expiration"), "2025-06-01T12:15:00Z");
    assert_eq!(tag(&body, "Arn"), "arn:aws:sts::111122223333:assumed-role/Deploy/ci-run");
    assert_eq!(tag(&body, "AssumedRoleId"), "AROADEPLOYEXAMPLE0001:ci-run");

    let session = Key { id: &key, secret: &secret, token: Some(&token) };
    let (status, body) = call(&state, &session, WHO, T0 + 60).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Arn"), "arn:aws:sts::111122223333:assumed-role/Deploy/ci-run");
    assert_eq!(tag(&body, "UserId"), "AROADEPLOYEXAMPLE0001:ci-run");

    // Without the token the key is not recognised.
    let (status, body) = call(&state, &Key { token: None, ..session }, WHO, T0 + 60).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "InvalidClientTokenId"));

    // After the expiry.
    clock.store(T0 + 900, Ordering::SeqCst);
    let (status, body) = call(&state, &session, WHO, T0 + 900).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(tag(&body, "Code"), "ExpiredToken");
    assert_eq!(tag(&body, "Message"), "The security token included in the request is expired");
}

#[tokio::test]
async fn assume_role_denied_by_the_trust_policy() {
    let (state, _) = setup("sts-trust");
    for extra in ["&ExternalId=wrong-id", ""] {
        let (status, body) = call(&state, &ALICE, &assume("Deploy", extra), T0).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(tag(&body, "Code"), "AccessDenied");
        assert_eq!(tag(&body, "Type"), "Sender");
        assert_eq!(
            tag(&body, "Message"),
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/Deploy because no role trust policy allows the sts:AssumeRole action"
        );
    }
}

#[tokio::test]
async fn assume_role_denied_by_the_identity_policy() {
    let (state, _) = setup("sts-identity");
    // Audit trusts the account, so bob's identity policies decide, and none allows.
    let (status, body) = call(&state, &BOB, &assume("Audit", ""), T0).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(tag(&body, "Code"), "AccessDenied");
    assert_eq!(
        tag(&body, "Message"),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/Audit because no identity-based policy allows the sts:AssumeRole action"
    );
    // alice's does.
    let (status, body) = call(&state, &ALICE, &assume("Audit", ""), T0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Expiration"), "2025-06-01T13:00:00Z");
}

#[tokio::test]
async fn role_chaining_caps_at_one_hour() {
    let (state, clock) = setup("sts-chain");
    let (status, body) = call(&state, &ALICE, &assume("Deploy", "&ExternalId=ext-123&DurationSeconds=43200"), T0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (key, secret, token) = (tag(&body, "AccessKeyId"), tag(&body, "SecretAccessKey"), tag(&body, "SessionToken"));
    let deploy = Key { id: key, secret, token: Some(token) };
    clock.store(T0 + 5, Ordering::SeqCst);

    let (status, body) = call(&state, &deploy, &assume("Audit", "&DurationSeconds=7200"), T0 + 5).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(tag(&body, "Code"), "ValidationError");
    assert_eq!(
        tag(&body, "Message"),
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );

    let (status, body) = call(&state, &deploy, &assume("Audit", ""), T0 + 5).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Arn"), "arn:aws:sts::111122223333:assumed-role/Audit/ci-run");
    assert_eq!(tag(&body, "Expiration"), "2025-06-01T13:00:05Z");
}

#[tokio::test]
async fn assume_role_parameters_are_checked() {
    let (state, _) = setup("sts-params");
    let cases = [
        ("&ExternalId=ext-123&DurationSeconds=899", "ValidationError"),
        ("&ExternalId=ext-123&DurationSeconds=43201", "ValidationError"),
        ("&ExternalId=ext-123&Policy=%7Bnot%20json", "MalformedPolicyDocument"),
        (
            "&ExternalId=ext-123&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FNope",
            "MalformedPolicyDocument",
        ),
    ];
    for (extra, code) in cases {
        let (status, body) = call(&state, &ALICE, &assume("Deploy", extra), T0).await;
        assert_eq!((status, tag(&body, "Code")), (StatusCode::BAD_REQUEST, code), "{extra}: {body}");
    }
    let bad_name = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FDeploy&RoleSessionName=a%20b";
    let (status, body) = call(&state, &ALICE, bad_name, T0).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::BAD_REQUEST, "ValidationError"), "{body}");
    let missing = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=ok";
    let (status, body) = call(&state, &ALICE, missing, T0).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::BAD_REQUEST, "MissingParameter"), "{body}");
    let (status, body) = call(&state, &ALICE, "Action=Nope&Version=2011-06-15", T0).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::BAD_REQUEST, "InvalidAction"), "{body}");
}

#[tokio::test]
async fn session_policies_and_tags() {
    let (state, _) = setup("sts-tags");
    // Deploy's trust policy allows sts:TagSession for alice.
    let policy = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
    let extra = format!(
        "&ExternalId=ext-123&Policy={policy}&Tags.member.1.Key=team&Tags.member.1.Value=ci&TransitiveTagKeys.member.1=team"
    );
    let (status, body) = call(&state, &ALICE, &assume("Deploy", &extra), T0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let packed: u32 = tag(&body, "PackedPolicySize").parse().unwrap();
    assert!(packed > 0 && packed <= 100, "{packed}");
    let key = tag(&body, "AccessKeyId");
    let issued = state.sts().store().get(key).unwrap();
    let session = issued.session.as_ref().unwrap();
    assert_eq!(session.tags, vec![("team".to_string(), "ci".to_string())]);
    assert_eq!(session.transitive_tag_keys, vec!["team".to_string()]);
    assert_eq!(session.session_policies.len(), 1);
    assert_eq!(session.issuer_arn.as_deref(), Some("arn:aws:iam::111122223333:role/Deploy"));

    // Audit's trust policy does not allow sts:TagSession.
    let (status, body) =
        call(&state, &ALICE, &assume("Audit", "&Tags.member.1.Key=team&Tags.member.1.Value=ci"), T0).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(tag(&body, "Code"), "AccessDenied");
    assert!(tag(&body, "Message").contains("sts:TagSession"), "{body}");
}

#[tokio::test]
async fn get_session_token_with_mfa() {
    let (state, clock) = setup("sts-gst");
    let form = "Action=GetSessionToken&Version=2011-06-15&SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice&TokenCode=123456";
    let (status, body) = call(&state, &ALICE, form, T0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Expiration"), "2025-06-02T00:00:00Z");
    let (key, secret, token) = (tag(&body, "AccessKeyId"), tag(&body, "SecretAccessKey"), tag(&body, "SessionToken"));
    assert!(state.sts().store().get(key).unwrap().session.as_ref().unwrap().mfa_authenticated);
    let session = Key { id: key, secret, token: Some(token) };
    let (status, body) = call(&state, &session, WHO, T0 + 10).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag(&body, "Arn"), "arn:aws:iam::111122223333:user/alice");

    // Session credentials cannot call it; durations are bounded.
    let (status, body) = call(&state, &session, "Action=GetSessionToken&Version=2011-06-15", T0 + 10).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "AccessDenied"), "{body}");
    let (status, body) =
        call(&state, &ALICE, "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=129601", T0).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::BAD_REQUEST, "ValidationError"), "{body}");

    clock.store(T0 + 43_200, Ordering::SeqCst);
    let (status, body) = call(&state, &session, WHO, T0 + 43_200).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "ExpiredToken"), "{body}");
}

#[tokio::test]
async fn authentication_failures_answer_in_query_xml() {
    let (state, _) = setup("sts-auth");
    // Tampered signature.
    let mut request = signed(&ALICE, WHO, T0);
    let auth = request.headers()["authorization"].to_str().unwrap().to_string();
    let last = auth.chars().last().unwrap();
    let flipped = format!("{}{}", &auth[..auth.len() - 1], if last == '0' { '1' } else { '0' });
    request.headers_mut().insert("authorization", flipped.parse().unwrap());
    let (status, body) = send(&state, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.starts_with(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
        )
    );
    assert_eq!(tag(&body, "Code"), "SignatureDoesNotMatch");

    // A tampered body.
    let mut request = signed(&ALICE, WHO, T0);
    *request.body_mut() = b"Action=GetCallerIdentity&Version=2011-06-16".to_vec();
    let (status, body) = send(&state, request).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"));

    // Unknown key.
    let stranger = Key { id: "AKIANOTKNOWN00000000", secret: ALICE_SECRET, token: None };
    let (status, body) = call(&state, &stranger, WHO, T0).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(tag(&body, "Code"), "InvalidClientTokenId");
    assert_eq!(tag(&body, "Message"), "The security token included in the request is invalid.");

    // Skewed clock: STS answers `SignatureDoesNotMatch` "Signature expired" (403), not the
    // `RequestExpired` (400) of EC2 and SQS.
    let (status, body) = call(&state, &ALICE, WHO, T0 - 16 * 60).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"), "{body}");
    assert!(tag(&body, "Message").starts_with("Signature expired"), "{body}");

    // Signed for another service.
    let identity = Credentials::new(ALICE_KEY, ALICE_SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("iam")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(T0).unwrap()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("https://sts.amazonaws.com/?{WHO}");
    let signable = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(b"")).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method("GET").uri(&url).body(Vec::new()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let (status, body) = send(&state, request).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"), "{body}");

    // Unsigned.
    let request = http::Request::builder().method("GET").uri(format!("/?{WHO}")).body(Vec::new()).unwrap();
    let (status, body) = send(&state, request).await;
    assert_eq!((status, tag(&body, "Code")), (StatusCode::FORBIDDEN, "MissingAuthenticationToken"), "{body}");

    // The service keeps serving.
    let (status, _) = call(&state, &ALICE, WHO, T0).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn credentials_file() {
    let keys = iamspect_server::sts::parse_credentials(
        r#"[{"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": "s", "principal": "arn:aws:iam::111122223333:user/alice"}]"#,
    )
    .unwrap();
    assert_eq!(keys[0].principal_arn, "arn:aws:iam::111122223333:user/alice");
    assert!(
        iamspect_server::sts::parse_credentials(
            r#"[{"accessKeyId": "A", "secretAccessKey": "s", "principal": "arn:aws:iam::111122223333:role/R"}]"#
        )
        .is_err()
    );
    assert!(iamspect_server::sts::parse_credentials("{}").is_err());
}
