//! S3 server-side encryption with KMS keys through the gateway (decision D70): uploads that name a
//! KMS key need `kms:GenerateDataKey` on it (a multipart upload also `kms:Decrypt`), and a
//! `GetObject` whose answer is an SSE-KMS object needs `kms:Decrypt` on the object's key.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use std::net::SocketAddr;

use common::gateway::*;
use iamspect_server::gateway::{Gateway, Upstream};
use iamspect_server::{AppState, Settings};
use tokio::net::TcpListener;

const K_OK: &str = "11111111-1111-4111-8111-111111111111";
const K_GENERATE_ONLY: &str = "22222222-2222-4222-8222-222222222222";
const K_NO: &str = "33333333-3333-4333-8333-333333333333";

fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:us-east-1:111122223333:key/{id}")
}

/// Alice may do anything in bucket `data`, use K_OK fully, K_GENERATE_ONLY to generate data
/// keys only, and nothing on K_NO; every key has the default key policy (`--default-key-policy`).
fn state(name: &str) -> AppState {
    let dir = common::temp_dir(name);
    let inline = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
        {{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}},
        {{"Effect": "Deny", "Action": "s3:GetObjectRetention", "Resource": "arn:aws:s3:::data/locked"}},
        {{"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "{}",
          "Condition": {{"StringEquals": {{"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}}}},
        {{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "{}"}}]}}"#,
        key_arn(K_OK),
        key_arn(K_GENERATE_ONLY)
    );
    std::fs::write(dir.join("gaad.json"), common::gaad(&inline)).unwrap();
    let aliases = format!(
        r#"{{"Aliases": [{{"AliasName": "alias/app", "AliasArn": "arn:aws:kms:us-east-1:111122223333:alias/app", "TargetKeyId": "{K_OK}"}}]}}"#
    );
    std::fs::write(dir.join("aliases.json"), aliases).unwrap();
    AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("aliases.json")]).unwrap()
}

async fn server(name: &str, upstream: Option<Upstream>) -> Server {
    let gateway = Gateway { default_key_policy: true, ..Gateway::new(upstream) };
    start_gateway(state(name), gateway).await
}

fn checks(r: &Reply) -> Vec<(String, String)> {
    let j = r.json();
    let a = j["actions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
    let res = j["resources"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
    a.zip(res).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_kms_uploads_need_the_key() {
    let server = server("sse-uploads", None).await;
    let put = |key: &str| {
        Req::new("PUT", "/data/a.txt")
            .header("x-amz-server-side-encryption", "aws:kms")
            .header("x-amz-server-side-encryption-aws-kms-key-id", key)
            .body("hello")
    };
    // By alias: decided on the key the alias points to, through S3 (kms:ViaService).
    let r = call(&server, Some(ALICE), "s3", put("arn:aws:kms:us-east-1:111122223333:alias/app")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        checks(&r),
        [
            ("s3:PutObject".to_string(), "arn:aws:s3:::data/a.txt".to_string()),
            ("kms:GenerateDataKey".to_string(), key_arn(K_OK))
        ]
    );
    let r = call(&server, Some(ALICE), "s3", put(&key_arn(K_GENERATE_ONLY))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A key the caller may not use: S3's AccessDenied naming the KMS action.
    let r = call(&server, Some(ALICE), "s3", put(&key_arn(K_NO))).await;
    assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{}", r.body);
    assert!(r.tag("Message").contains(&format!("kms:GenerateDataKey on resource: {}", key_arn(K_NO))), "{}", r.body);
    // An alias the account data does not list, and `aws:kms` without a key (S3 then uses the
    // AWS managed key `aws/s3`, which the data does not list either): refused, never guessed.
    let r = call(&server, Some(ALICE), "s3", put("arn:aws:kms:us-east-1:111122223333:alias/unknown")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectUnknownResource"), "{}", r.body);
    // A key id or alias name: S3 gives the header as written to an ARN-typed condition key.
    for id in [K_OK, "alias/app"] {
        let r = call(&server, Some(ALICE), "s3", put(id)).await;
        assert_eq!((r.status, r.tag("Code")), (400, "IamspectNonCanonicalRequest"), "{}", r.body);
    }
    let r = call(
        &server,
        Some(ALICE),
        "s3",
        Req::new("PUT", "/data/a.txt").header("x-amz-server-side-encryption", "aws:kms").body("x"),
    )
    .await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectUnknownResource"), "{}", r.body);
    assert!(r.tag("Message").contains("alias/aws/s3"), "{}", r.body);
    // CopyObject: the destination's key.
    let copy = put(&key_arn(K_NO)).header("x-amz-copy-source", "/data/src.txt");
    let r = call(&server, Some(ALICE), "s3", copy).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.tag("Message").contains("kms:GenerateDataKey"), "{}", r.body);
    // CreateMultipartUpload: kms:GenerateDataKey and kms:Decrypt.
    let create = |key: &str| {
        Req::new("POST", "/data/big.bin?uploads")
            .header("x-amz-server-side-encryption", "aws:kms")
            .header("x-amz-server-side-encryption-aws-kms-key-id", key)
    };
    let r = call(&server, Some(ALICE), "s3", create(&key_arn(K_OK))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        checks(&r)[1..],
        [("kms:GenerateDataKey".to_string(), key_arn(K_OK)), ("kms:Decrypt".to_string(), key_arn(K_OK))]
    );
    let r = call(&server, Some(ALICE), "s3", create(&key_arn(K_GENERATE_ONLY))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.tag("Message").contains("kms:Decrypt"), "{}", r.body);
    // Headers S3 refuses are refused.
    let r = call(
        &server,
        Some(ALICE),
        "s3",
        Req::new("PUT", "/data/a.txt")
            .header("x-amz-server-side-encryption", "AES256")
            .header("x-amz-server-side-encryption-aws-kms-key-id", &key_arn(K_OK))
            .body("x"),
    )
    .await;
    assert_eq!((r.status, r.tag("Code")), (400, "IamspectNonCanonicalRequest"), "{}", r.body);
    // SSE-S3 and plain uploads need no key.
    let r = call(
        &server,
        Some(ALICE),
        "s3",
        Req::new("PUT", "/data/a.txt").header("x-amz-server-side-encryption", "AES256").body("x"),
    )
    .await;
    assert_eq!((r.status, checks(&r).len()), (200, 1), "{}", r.body);
}

/// An upstream whose objects are encrypted as their names say.
async fn encrypted_upstream() -> SocketAddr {
    let app = axum::Router::new().fallback(|request: axum::extract::Request| async move {
        let path = request.uri().path().to_string();
        if request.uri().query() == Some("encryption") {
            // Buckets' default encryption.
            let rule = |key: Option<&str>| {
                format!(
                    "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>{}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
                    key.map(|k| format!("<KMSMasterKeyID>{}</KMSMasterKeyID>", key_arn(k))).unwrap_or_default()
                )
            };
            let (status, body) = match path.as_str() {
                "/kmsbucket" => (200, rule(Some(K_NO))),
                "/okbucket" => (200, rule(Some(K_OK))),
                "/managedbucket" => (200, rule(None)),
                _ => (404, "<Error><Code>ServerSideEncryptionConfigurationNotFoundError</Code></Error>".to_string()),
            };
            let mut response = axum::response::Response::new(axum::body::Body::from(body));
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            return response;
        }
        let mut headers = vec![("etag", "\"e\"".to_string())];
        let key = |id: &str| ("x-amz-server-side-encryption-aws-kms-key-id", key_arn(id));
        match path.as_str() {
            "/data/ok" => headers.extend([("x-amz-server-side-encryption", "aws:kms".to_string()), key(K_OK)]),
            "/data/no" => headers.extend([("x-amz-server-side-encryption", "aws:kms".to_string()), key(K_NO)]),
            "/data/dsse" => {
                headers.extend([("x-amz-server-side-encryption", "aws:kms:dsse".to_string()), key(K_GENERATE_ONLY)]);
            }
            "/data/nokey" => headers.push(("x-amz-server-side-encryption", "aws:kms".to_string())),
            "/data/locked" => headers.extend([
                ("x-amz-tagging-count", "2".to_string()),
                ("x-amz-object-lock-mode", "GOVERNANCE".to_string()),
                ("x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00Z".to_string()),
                ("x-amz-object-lock-legal-hold", "ON".to_string()),
            ]),
            _ => headers.push(("x-amz-server-side-encryption", "AES256".to_string())),
        }
        let mut response = axum::response::Response::new(axum::body::Body::from("secret object bytes"));
        for (k, v) in headers {
            response.headers_mut().insert(k, v.parse().unwrap());
        }
        response
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_an_sse_kms_object_needs_kms_decrypt() {
    let up = encrypted_upstream().await;
    let server = server("sse-reads", Some(Upstream::parse(&format!("http://{up}")).unwrap())).await;
    let get = |path: &'static str| Req::new("GET", path);
    let r = call(&server, Some(ALICE), "s3", get("/data/ok")).await;
    assert_eq!((r.status, r.body.as_str()), (200, "secret object bytes"));
    let r = call(&server, Some(ALICE), "s3", get("/data/plain")).await;
    assert_eq!(r.status, 200);
    // The upstream's body never reaches a caller who may not decrypt it.
    for path in ["/data/no", "/data/dsse"] {
        let r = call(&server, Some(ALICE), "s3", get(path)).await;
        assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{path}: {}", r.body);
        assert!(r.tag("Message").contains("kms:Decrypt"), "{}", r.body);
        assert!(!r.body.contains("secret object bytes"));
    }
    // The answer does not name the key: refused.
    let r = call(&server, Some(ALICE), "s3", get("/data/nokey")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectUnknownResource"), "{}", r.body);
    // HeadObject reads metadata only: S3 does not call KMS for it.
    let r = call(&server, Some(ALICE), "s3", Req::new("HEAD", "/data/no")).await;
    assert_eq!(r.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_and_default_encryption_are_asked_of_the_upstream() {
    let up = encrypted_upstream().await;
    let server = server("sse-preflight", Some(Upstream::parse(&format!("http://{up}")).unwrap())).await;
    // A copy of an SSE-KMS object needs kms:Decrypt on the source's key.
    let copy = |source: &str| Req::new("PUT", "/data/copy").header("x-amz-copy-source", source);
    let r = call(&server, Some(ALICE), "s3", copy("/data/ok")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&server, Some(ALICE), "s3", copy("/data/no")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{}", r.body);
    assert!(r.tag("Message").contains(&format!("kms:Decrypt on resource: {}", key_arn(K_NO))), "{}", r.body);
    // An upload without encryption headers takes the bucket's default key.
    let put = |path: &'static str| Req::new("PUT", path).body("x");
    let r = call(&server, Some(ALICE), "s3", put("/okbucket/a")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&server, Some(ALICE), "s3", put("/plainbucket/a")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&server, Some(ALICE), "s3", put("/kmsbucket/a")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{}", r.body);
    assert!(r.tag("Message").contains("kms:GenerateDataKey"), "{}", r.body);
    // The AWS managed key, which the account data does not list: refused.
    let r = call(&server, Some(ALICE), "s3", put("/managedbucket/a")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectUnknownResource"), "{}", r.body);
    // Explicit SSE-S3 overrides the bucket's default: nothing to ask.
    let r =
        call(&server, Some(ALICE), "s3", put("/kmsbucket/b").header("x-amz-server-side-encryption", "AES256")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A multipart upload into the default key of K_GENERATE_ONLY's kind would need kms:Decrypt too.
    let r = call(&server, Some(ALICE), "s3", Req::new("POST", "/kmsbucket/big?uploads")).await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_keep_only_the_headers_the_caller_may_read() {
    let up = encrypted_upstream().await;
    let server = server("sse-shaping", Some(Upstream::parse(&format!("http://{up}")).unwrap())).await;
    // Alice may read the object's tags and legal hold, not its retention (D74).
    for method in ["GET", "HEAD"] {
        let r = call(&server, Some(ALICE), "s3", Req::new(method, "/data/locked")).await;
        assert_eq!(r.status, 200, "{method}: {}", r.body);
        assert_eq!(r.header("x-amz-tagging-count"), Some("2"), "{method}");
        assert_eq!(r.header("x-amz-object-lock-legal-hold"), Some("ON"), "{method}");
        assert_eq!(r.header("x-amz-object-lock-mode"), None, "{method}");
        assert_eq!(r.header("x-amz-object-lock-retain-until-date"), None, "{method}");
    }
}
