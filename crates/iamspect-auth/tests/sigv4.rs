//! Requests signed with AWS's own signer (`aws-sigv4`) and verified by the gate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use iamspect_auth::{
    AuthError, AuthErrorKind, Credential, CredentialStore, Expected, HttpRequestParts, Protocol, Session,
    SignatureLocation as Loc, verify, verify_with,
};
use jiff::Timestamp;

/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;
const USER_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const USER_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const USER_ARN: &str = "arn:aws:iam::123456789012:user/alice";
const TEMP_KEY: &str = "ASIAJEXAMPLEXEG2JICEA";
const TEMP_SECRET: &str = "9drTJvcXLB89EXAMPLELB8923FB892xMFI";
const TEMP_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==";
const TEMP_ARN: &str = "arn:aws:sts::123456789012:assumed-role/Deploy/ci";

fn store() -> CredentialStore {
    let store = CredentialStore::new();
    store.add(Credential::long_term(USER_KEY, USER_SECRET, USER_ARN)).unwrap();
    let mut session = Session::new(TEMP_TOKEN, Timestamp::from_second(T0 + 3600).unwrap());
    session.tags.push(("team".into(), "ci".into()));
    store.add(Credential::temporary(TEMP_KEY, TEMP_SECRET, TEMP_ARN, session)).unwrap();
    store
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

fn system_time(second: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(second).unwrap())
}

/// A request signed by aws-sigv4, kept as an `http::Request` so tests can tamper with it.
struct Signed {
    request: http::Request<Vec<u8>>,
}

struct Spec<'a> {
    method: &'a str,
    url: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
    key: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    region: &'a str,
    service: &'a str,
    time: i64,
    presign: Option<u64>,
    s3: bool,
    unsigned: bool,
}

impl<'a> Spec<'a> {
    fn sts_get() -> Self {
        Spec {
            method: "GET",
            url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
            headers: Vec::new(),
            body: b"",
            key: USER_KEY,
            secret: USER_SECRET,
            token: None,
            region: "us-east-1",
            service: "sts",
            time: T0,
            presign: None,
            s3: false,
            unsigned: false,
        }
    }

    fn sts_post(body: &'a [u8]) -> Self {
        Spec {
            method: "POST",
            url: "https://sts.amazonaws.com/",
            headers: vec![("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            body,
            ..Spec::sts_get()
        }
    }

    fn temporary(mut self) -> Self {
        self.key = TEMP_KEY;
        self.secret = TEMP_SECRET;
        self.token = Some(TEMP_TOKEN);
        self
    }

    fn sign(self) -> Signed {
        let identity = Credentials::new(self.key, self.secret, self.token.map(str::to_owned), None, "test").into();
        let mut settings = SigningSettings::default();
        if let Some(expires) = self.presign {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(expires));
        }
        if self.s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            if self.presign.is_none() {
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            }
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(system_time(self.time))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let body = if self.unsigned { SignableBody::UnsignedPayload } else { SignableBody::Bytes(self.body) };
        let signable = SignableRequest::new(self.method, self.url, self.headers.iter().copied(), body).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut builder = http::Request::builder().method(self.method).uri(self.url);
        for (name, value) in &self.headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(self.body.to_vec()).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        Signed { request }
    }
}

impl Signed {
    fn check(&self, now: i64) -> Result<iamspect_auth::Authenticated, AuthError> {
        self.check_with(now, &Expected::any())
    }

    fn check_with(&self, now: i64, expected: &Expected<'_>) -> Result<iamspect_auth::Authenticated, AuthError> {
        let (parts, body) = self.request.clone().into_parts();
        let request = HttpRequestParts::from_http(&parts, &body);
        verify_with(&request, &store(), at(now), expected)
    }

    fn set_uri(&mut self, uri: &str) {
        *self.request.uri_mut() = uri.parse().unwrap();
    }

    fn uri(&self) -> String {
        self.request.uri().to_string()
    }
}

#[track_caller]
fn expect_error(
    result: Result<iamspect_auth::Authenticated, AuthError>,
    protocol: Protocol,
    code: &str,
    status: u16,
) -> AuthError {
    let error = result.expect_err("expected an authentication failure");
    let aws = error.to_aws(protocol);
    assert_eq!((aws.code, aws.status), (code, status), "{error:?}");
    error
}

// ---------------------------------------------------------------- valid requests

#[test]
fn header_get_verifies() {
    let signed = Spec::sts_get().sign();
    let ok = signed.check(T0).unwrap();
    assert_eq!(ok.principal_arn(), USER_ARN);
    assert_eq!(ok.access_key_id(), USER_KEY);
    assert_eq!((ok.region.as_str(), ok.service.as_str()), ("us-east-1", "sts"));
    assert_eq!(ok.location, Loc::Header);
    assert_eq!(ok.request_time, at(T0));
    assert!(ok.payload_signed);
    assert!(ok.signed_headers.contains(&"host".to_owned()));
    assert!(ok.credential.session.is_none());
    // With the expected region and service too.
    signed.check_with(T0, &Expected::exactly("us-east-1", "sts")).unwrap();
}

#[test]
fn header_post_with_body_verifies() {
    let signed = Spec::sts_post(b"Action=GetCallerIdentity&Version=2011-06-15").sign();
    assert_eq!(signed.check(T0).unwrap().principal_arn(), USER_ARN);
}

#[test]
fn presigned_get_verifies() {
    let signed = Spec { presign: Some(900), ..Spec::sts_get() }.sign();
    assert!(signed.uri().contains("X-Amz-Signature="));
    let ok = signed.check(T0 + 600).unwrap();
    assert_eq!(ok.location, Loc::Query);
    assert_eq!(ok.presigned_expires_at, Some(at(T0 + 900)));
}

#[test]
fn session_token_in_header_verifies() {
    let signed = Spec::sts_post(b"Action=GetCallerIdentity&Version=2011-06-15").temporary().sign();
    assert!(signed.request.headers().contains_key("x-amz-security-token"));
    let ok = signed.check(T0 + 60).unwrap();
    assert_eq!(ok.principal_arn(), TEMP_ARN);
    let session = ok.credential.session.as_ref().unwrap();
    assert_eq!(session.tags, vec![("team".to_owned(), "ci".to_owned())]);
}

#[test]
fn session_token_presigned_verifies() {
    let signed = Spec { presign: Some(300), ..Spec::sts_get() }.temporary().sign();
    assert!(signed.uri().contains("X-Amz-Security-Token="));
    assert_eq!(signed.check(T0).unwrap().principal_arn(), TEMP_ARN);
}

#[test]
fn json_protocol_post_verifies() {
    let body = br#"{"TableName":"orders"}"#;
    let signed = Spec {
        url: "https://dynamodb.eu-west-1.amazonaws.com/",
        headers: vec![
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.DescribeTable"),
            ("x-custom", "  spaced    out   value "),
        ],
        region: "eu-west-1",
        service: "dynamodb",
        ..Spec::sts_post(body)
    }
    .sign();
    let ok = signed.check_with(T0, &Expected::exactly("eu-west-1", "dynamodb")).unwrap();
    assert!(ok.signed_headers.contains(&"x-custom".to_owned()));
}

#[test]
fn non_s3_path_is_double_encoded_and_normalised() {
    let signed = Spec {
        method: "GET",
        url: "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/my%20fn/./configuration",
        service: "lambda",
        ..Spec::sts_get()
    }
    .sign();
    signed.check(T0).unwrap();
}

#[test]
fn s3_unsigned_payload_and_single_encoding_verify() {
    let signed = Spec {
        method: "PUT",
        url: "https://bucket.s3.us-east-1.amazonaws.com/photos/my%20cat%2B1.jpg?x-id=PutObject",
        body: b"meow",
        service: "s3",
        s3: true,
        unsigned: true,
        ..Spec::sts_get()
    }
    .sign();
    assert_eq!(signed.request.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    let ok = signed.check_with(T0, &Expected::exactly("us-east-1", "s3")).unwrap();
    assert!(!ok.payload_signed);
}

#[test]
fn s3_signed_payload_verifies_and_body_tamper_is_caught() {
    let mut signed = Spec {
        method: "PUT",
        url: "https://bucket.s3.us-east-1.amazonaws.com/key.txt",
        body: b"hello",
        service: "s3",
        s3: true,
        ..Spec::sts_get()
    }
    .sign();
    assert!(signed.check(T0).unwrap().payload_signed);
    *signed.request.body_mut() = b"HELLO".to_vec();
    let error = expect_error(signed.check(T0), Protocol::S3, "XAmzContentSHA256Mismatch", 400);
    assert_eq!(error.kind(), &AuthErrorKind::ContentSha256Mismatch);
    expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
}

#[test]
fn s3_presigned_get_verifies() {
    let signed = Spec {
        url: "https://bucket.s3.us-east-1.amazonaws.com/reports/2025%2006.csv",
        service: "s3",
        s3: true,
        unsigned: true,
        presign: Some(3600),
        ..Spec::sts_get()
    }
    .sign();
    signed.check(T0 + 3599).unwrap();
}

#[test]
fn unsigned_payload_is_refused_outside_s3() {
    let signed = Spec {
        headers: vec![("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
        unsigned: true,
        ..Spec::sts_post(b"Action=GetCallerIdentity")
    }
    .sign();
    expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
}

// ---------------------------------------------------------------- tampering

#[test]
fn tampered_body_is_signature_does_not_match() {
    let mut signed = Spec::sts_post(b"Action=GetCallerIdentity&Version=2011-06-15").sign();
    *signed.request.body_mut() = b"Action=AssumeRole&Version=2011-06-15".to_vec();
    let error = expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
    assert_eq!(
        error.to_aws(Protocol::Query).message,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );
    expect_error(signed.check(T0), Protocol::Json, "InvalidSignatureException", 400);
    let s3 = expect_error(signed.check(T0), Protocol::S3, "SignatureDoesNotMatch", 403);
    let extra = s3.to_aws(Protocol::S3).extra;
    assert!(extra.iter().any(|(k, v)| *k == "AWSAccessKeyId" && v == USER_KEY));
    assert!(extra.iter().any(|(k, _)| *k == "StringToSign"));
}

#[test]
fn tampered_header_is_signature_does_not_match() {
    let mut signed = Spec::sts_post(b"Action=GetCallerIdentity").sign();
    signed.request.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
}

#[test]
fn tampered_query_is_signature_does_not_match() {
    let mut signed = Spec::sts_get().sign();
    let uri = signed.uri().replace("GetCallerIdentity", "GetSessionToken");
    signed.set_uri(&uri);
    expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);

    let mut presigned = Spec { presign: Some(900), ..Spec::sts_get() }.sign();
    let uri = presigned.uri().replace("Version=2011-06-15", "Version=2011-06-16");
    presigned.set_uri(&uri);
    expect_error(presigned.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
}

#[test]
fn tampered_signature_is_signature_does_not_match() {
    let mut signed = Spec::sts_get().sign();
    let auth = signed.request.headers()["authorization"].to_str().unwrap();
    let last = auth.chars().last().unwrap();
    let replaced = format!("{}{}", &auth[..auth.len() - 1], if last == '0' { '1' } else { '0' });
    signed.request.headers_mut().insert("authorization", replaced.parse().unwrap());
    expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
}

// ---------------------------------------------------------------- time

#[test]
fn skew_past_is_request_expired() {
    let signed = Spec::sts_get().sign();
    signed.check(T0 + 15 * 60).unwrap();
    let error = expect_error(signed.check(T0 + 16 * 60), Protocol::Query, "RequestExpired", 400);
    assert_eq!(
        error.message(),
        "Signature expired: 20250601T120000Z is now earlier than 20250601T120100Z (20250601T121600Z - 15 min.)"
    );
    expect_error(signed.check(T0 + 16 * 60), Protocol::Json, "InvalidSignatureException", 400);
    let s3 = expect_error(signed.check(T0 + 16 * 60), Protocol::S3, "RequestTimeTooSkewed", 403);
    let aws = s3.to_aws(Protocol::S3);
    assert_eq!(aws.message, "The difference between the request time and the current time is too large.");
    assert!(aws.extra.iter().any(|(k, v)| *k == "MaxAllowedSkewMilliseconds" && v == "900000"));
}

#[test]
fn skew_future_is_request_expired() {
    let signed = Spec::sts_get().sign();
    signed.check(T0 - 15 * 60).unwrap();
    let error = expect_error(signed.check(T0 - 16 * 60), Protocol::Query, "RequestExpired", 400);
    assert_eq!(
        error.message(),
        "Signature not yet current: 20250601T120000Z is still later than 20250601T115900Z (20250601T114400Z + 15 min.)"
    );
    expect_error(signed.check(T0 - 16 * 60), Protocol::S3, "RequestTimeTooSkewed", 403);
}

#[test]
fn presigned_expired_is_request_expired() {
    let signed = Spec { presign: Some(60), ..Spec::sts_get() }.sign();
    signed.check(T0 + 60).unwrap();
    let error = expect_error(signed.check(T0 + 61), Protocol::Query, "RequestExpired", 400);
    assert_eq!(error.kind(), &AuthErrorKind::PresignedUrlExpired);
    let s3 = expect_error(signed.check(T0 + 61), Protocol::S3, "AccessDenied", 403);
    assert_eq!(s3.to_aws(Protocol::S3).message, "Request has expired");
}

#[test]
fn presigned_long_lived_is_not_a_skew_error() {
    // Valid for a week: used six days later, still accepted.
    let signed = Spec { presign: Some(604_800), ..Spec::sts_get() }.sign();
    signed.check(T0 + 6 * 86_400).unwrap();
}

#[test]
fn presigned_expires_out_of_range_is_incomplete() {
    let mut signed = Spec { presign: Some(60), ..Spec::sts_get() }.sign();
    let base = signed.uri();
    for bad in ["604801", "0", "-5", "soon"] {
        signed.set_uri(&base.replace("X-Amz-Expires=60", &format!("X-Amz-Expires={bad}")));
        expect_error(signed.check(T0), Protocol::Query, "IncompleteSignature", 400);
        expect_error(signed.check(T0), Protocol::S3, "AuthorizationQueryParametersError", 400);
    }
}

#[test]
fn temporary_credentials_after_expiry_are_expired_token() {
    let signed = Spec::sts_get().temporary();
    let signed = Spec { time: T0 + 3600, ..signed }.sign();
    signed.check(T0 + 3599).unwrap();
    expect_error(signed.check(T0 + 3600), Protocol::Query, "ExpiredToken", 403);
    expect_error(signed.check(T0 + 3600), Protocol::Json, "ExpiredTokenException", 400);
    expect_error(signed.check(T0 + 3600), Protocol::S3, "ExpiredToken", 400);
}

// ---------------------------------------------------------------- scope

#[test]
fn wrong_region_in_scope() {
    let signed = Spec { region: "eu-west-1", ..Spec::sts_get() }.sign();
    let expected = Expected::exactly("us-east-1", "sts");
    let error = expect_error(signed.check_with(T0, &expected), Protocol::Query, "SignatureDoesNotMatch", 403);
    assert_eq!(error.message(), "Credential should be scoped to a valid region, not 'eu-west-1'.");
    expect_error(signed.check_with(T0, &expected), Protocol::Json, "InvalidSignatureException", 400);
    let s3 = expect_error(signed.check_with(T0, &expected), Protocol::S3, "AuthorizationHeaderMalformed", 400);
    assert_eq!(
        s3.to_aws(Protocol::S3).message,
        "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
    );
    // Accept-any reports what was signed.
    assert_eq!(signed.check(T0).unwrap().region, "eu-west-1");
}

#[test]
fn wrong_service_in_scope() {
    let signed = Spec { service: "iam", ..Spec::sts_get() }.sign();
    let expected = Expected::exactly("us-east-1", "sts");
    let error = expect_error(signed.check_with(T0, &expected), Protocol::Query, "SignatureDoesNotMatch", 403);
    assert_eq!(error.message(), "Credential should be scoped to correct service: 'sts'.");
    let presigned = Spec { service: "iam", presign: Some(60), ..Spec::sts_get() }.sign();
    expect_error(presigned.check_with(T0, &expected), Protocol::S3, "AuthorizationQueryParametersError", 400);
}

#[test]
fn scope_date_must_equal_request_date() {
    let mut signed = Spec::sts_get().sign();
    let auth = signed.request.headers()["authorization"].to_str().unwrap().replace("/20250601/", "/20250602/");
    signed.request.headers_mut().insert("authorization", auth.parse().unwrap());
    let error = expect_error(signed.check(T0), Protocol::Query, "SignatureDoesNotMatch", 403);
    assert!(error.message().starts_with("Date in Credential scope does not match YYYYMMDD"));
}

// ---------------------------------------------------------------- keys and tokens

#[test]
fn unknown_access_key() {
    let signed = Spec { key: "AKIAUNKNOWNKEY000000", ..Spec::sts_get() }.sign();
    let error = expect_error(signed.check(T0), Protocol::Query, "InvalidClientTokenId", 403);
    assert_eq!(error.to_aws(Protocol::Query).message, "The security token included in the request is invalid.");
    assert_eq!(error.access_key_id(), Some("AKIAUNKNOWNKEY000000"));
    expect_error(signed.check(T0), Protocol::Json, "UnrecognizedClientException", 400);
    expect_error(signed.check(T0), Protocol::S3, "InvalidAccessKeyId", 403);
}

#[test]
fn removed_key_is_unknown() {
    let signed = Spec::sts_get().sign();
    let (parts, body) = signed.request.clone().into_parts();
    let request = HttpRequestParts::from_http(&parts, &body);
    let store = store();
    verify(&request, &store, at(T0)).unwrap();
    assert!(store.remove(USER_KEY).is_some());
    let error = verify(&request, &store, at(T0)).unwrap_err();
    assert_eq!(error.kind(), &AuthErrorKind::UnknownAccessKey);
}

#[test]
fn temporary_key_without_or_with_wrong_token() {
    let without = Spec { key: TEMP_KEY, secret: TEMP_SECRET, ..Spec::sts_get() }.sign();
    expect_error(without.check(T0), Protocol::Query, "InvalidClientTokenId", 403);
    expect_error(without.check(T0), Protocol::S3, "InvalidToken", 400);
    let wrong = Spec { token: Some("forged"), ..Spec::sts_get().temporary() }.sign();
    expect_error(wrong.check(T0), Protocol::Query, "InvalidClientTokenId", 403);
    let long_term_with_token = Spec { token: Some(TEMP_TOKEN), ..Spec::sts_get() }.sign();
    expect_error(long_term_with_token.check(T0), Protocol::Query, "InvalidClientTokenId", 403);
}

// ---------------------------------------------------------------- missing and malformed

#[test]
fn missing_authorization() {
    let request = HttpRequestParts::new("GET", "/?Action=GetCallerIdentity", b"").header("Host", "sts.amazonaws.com");
    let error = verify(&request, &store(), at(T0)).unwrap_err();
    let aws = error.to_aws(Protocol::Query);
    assert_eq!(
        (aws.code, aws.status, aws.message.as_str()),
        ("MissingAuthenticationToken", 403, "Missing Authentication Token")
    );
    let json = error.to_aws(Protocol::Json);
    assert_eq!((json.code, json.status), ("MissingAuthenticationTokenException", 400));
    let s3 = error.to_aws(Protocol::S3);
    assert_eq!((s3.code, s3.status), ("AccessDenied", 403));
}

#[test]
fn malformed_authorization_is_incomplete_signature() {
    let signed = Spec::sts_get().sign();
    let date = signed.request.headers()["x-amz-date"].to_str().unwrap().to_owned();
    let cases = [
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250601/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date".to_owned(),
        "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abcd".to_owned(),
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250601/us-east-1/sts, SignedHeaders=host;x-amz-date, Signature=abcd".to_owned(),
        "AWS4-HMAC-SHA256 garbage".to_owned(),
        "garbage".to_owned(),
        " ".to_owned(),
    ];
    for auth in cases {
        let request = HttpRequestParts::new("GET", "/?Action=GetCallerIdentity", b"")
            .header("host", "sts.amazonaws.com")
            .header("x-amz-date", &date)
            .header("authorization", &auth);
        let result = verify(&request, &store(), at(T0));
        let error = expect_error(result.clone(), Protocol::Query, "IncompleteSignature", 400);
        expect_error(result.clone(), Protocol::Json, "IncompleteSignatureException", 400);
        expect_error(result, Protocol::S3, "AuthorizationHeaderMalformed", 400);
        assert!(!error.message().is_empty());
    }
    let request = HttpRequestParts::new("GET", "/", b"")
        .header("host", "sts.amazonaws.com")
        .header("authorization", "AWS4-HMAC-SHA256 SignedHeaders=host");
    let error = verify(&request, &store(), at(T0)).unwrap_err();
    assert_eq!(
        error.message(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host"
    );
}

#[test]
fn header_and_query_signature_together_are_refused() {
    let mut signed = Spec { presign: Some(60), ..Spec::sts_get() }.sign();
    signed.request.headers_mut().insert("authorization", "AWS4-HMAC-SHA256 Credential=x".parse().unwrap());
    expect_error(signed.check(T0), Protocol::S3, "InvalidArgument", 400);
    expect_error(signed.check(T0), Protocol::Query, "IncompleteSignature", 400);
}

#[test]
fn presigned_missing_parameters_is_incomplete() {
    let signed = Spec { presign: Some(60), ..Spec::sts_get() }.sign();
    let uri = signed.uri();
    let start = uri.find("X-Amz-SignedHeaders=").unwrap();
    let end = uri[start..].find('&').map_or(uri.len(), |e| start + e + 1);
    let mut broken = signed;
    broken.set_uri(&format!("{}{}", &uri[..start], &uri[end..]));
    let error = expect_error(broken.check(T0), Protocol::Query, "IncompleteSignature", 400);
    assert!(error.message().contains("X-Amz-SignedHeaders"));
}

#[test]
fn sigv4a_is_unsupported() {
    let request = HttpRequestParts::new("GET", "/", b"")
        .header("host", "s3.amazonaws.com")
        .header("x-amz-date", "20250601T120000Z")
        .header(
            "authorization",
            "AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250601/s3/aws4_request, SignedHeaders=host, Signature=00",
        );
    let result = verify(&request, &store(), at(T0));
    expect_error(result.clone(), Protocol::S3, "NotImplemented", 501);
    expect_error(result, Protocol::Query, "IncompleteSignature", 400);
}

// ---------------------------------------------------------------- rendering and store

#[test]
fn error_bodies_per_protocol() {
    let signed = Spec { key: "AKIAUNKNOWNKEY000000", ..Spec::sts_get() }.sign();
    let error = signed.check(T0).unwrap_err();
    assert_eq!(
        error.to_aws(Protocol::Query).to_query_xml("req-1"),
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"
    );
    let json = error.to_aws(Protocol::Json);
    assert_eq!(
        json.to_json(),
        r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#
    );
    assert_eq!(json.json_error_type(), "UnrecognizedClientException");
    assert_eq!(
        error.to_aws(Protocol::S3).to_s3_xml("req-1", "host-1"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message><AWSAccessKeyId>AKIAUNKNOWNKEY000000</AWSAccessKeyId><RequestId>req-1</RequestId><HostId>host-1</HostId></Error>"
    );
    assert_eq!(error.to_string(), "InvalidClientTokenId: The security token included in the request is invalid.");
}

#[test]
fn store_refuses_mismatched_kinds() {
    let store = CredentialStore::new();
    let session = Session::new("t", at(T0));
    assert!(store.add(Credential::temporary("AKIAXXXXXXXXXXXXXXXX", "s", "arn", session.clone())).is_err());
    assert!(store.add(Credential::long_term("ASIAXXXXXXXXXXXXXXXX", "s", "arn")).is_err());
    assert!(store.add(Credential::long_term("", "s", "arn")).is_err());
    assert!(store.add(Credential::temporary("ASIAXXXXXXXXXXXXXXXX", "s", "arn", Session::new("", at(T0)))).is_err());
    store.add(Credential::temporary("ASIAXXXXXXXXXXXXXXXX", "s", "arn", session)).unwrap();
    assert_eq!(store.len(), 1);
    assert_eq!(store.remove_expired(at(T0 - 1)), 0);
    assert_eq!(store.remove_expired(at(T0)), 1);
    assert!(store.is_empty());
    let debug = format!("{:?}", Credential::long_term(USER_KEY, USER_SECRET, USER_ARN));
    assert!(!debug.contains(USER_SECRET));
}
