//! Gateway mode end to end: a real server on a loopback socket, requests signed with AWS's own
//! signer (`aws-sigv4`), account data from `tests/gateway_data/`.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use common::gateway::*;
use std::sync::atomic::Ordering;

use iamspect_server::gateway::Upstream;
use iamspect_server::{AppState, Settings};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_get_put_and_list_are_decided() {
    let server = start(None).await;
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["allowed"], true);
    assert_eq!(j["actions"], serde_json::json!(["s3:GetObject"]));
    assert_eq!(j["resources"], serde_json::json!(["arn:aws:s3:::data/public/a.txt"]));
    assert_eq!(j["principal"], "arn:aws:iam::111122223333:user/alice");

    // Denied: S3's XML, AWS's message, and the encoded message in a header.
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/private/a.txt")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/xml"));
    assert!(
        r.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"),
        "{}",
        r.body
    );
    assert_eq!(
        r.tag("Message"),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::data/private/a.txt&quot; because no identity-based policy allows the s3:GetObject action"
    );
    assert_eq!(r.tag("RequestId").len(), 36);
    assert!(!r.tag("HostId").is_empty());
    assert!(r.header(MESSAGE_HEADER).unwrap().starts_with("iamspect2."));
    assert!(r.header("x-amz-request-id").is_some());

    // An explicit deny names the policy type.
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/public/secret/k")).await;
    assert_eq!(r.status, 403);
    assert!(r.tag("Message").ends_with("with an explicit deny in an identity-based policy"), "{}", r.body);

    // HeadObject is GetObject; virtual-hosted style names the bucket in the host.
    let r = call(&server, Some(ALICE), "s3", Req::new("HEAD", "/data/public/a.txt")).await;
    assert_eq!(r.status, 200);
    let host = format!("data.s3.localhost.localstack.cloud:{}", server.addr.port());
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/public/b.txt").header("host", &host)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["resources"], serde_json::json!(["arn:aws:s3:::data/public/b.txt"]));

    // PutObject.
    let r = call(&server, Some(ALICE), "s3", Req::new("PUT", "/data/uploads/f.bin").body("hello")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&server, Some(ALICE), "s3", Req::new("PUT", "/data/public/f.bin").body("hello")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.tag("Message").contains("s3:PutObject"));

    // ListBucket: s3:prefix from the query.
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data?list-type=2&prefix=public%2F")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["actions"], serde_json::json!(["s3:ListBucket"]));
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data?list-type=2&prefix=private%2F")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data?list-type=2")).await;
    assert_eq!(r.status, 403, "no prefix: the condition's key is missing");

    // A body over the limit: 413 in S3's shape.
    let big = "x".repeat((1 << 20) + 1);
    let r = call(&server, Some(ALICE), "s3", Req::new("PUT", "/data/uploads/big").body(&big)).await;
    assert_eq!((r.status, r.tag("Code")), (413, "RequestEntityTooLarge"), "{}", r.body);

    // bob has no policies.
    let r = call(&server, Some(BOB), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!(r.status, 403);

    // A presigned URL.
    let url = signed_with(server.addr, Some(ALICE), "s3", &Req::new("GET", "/data/public/a.txt"), T0, true);
    assert!(url.uri().query().unwrap().contains("X-Amz-Signature="), "{}", url.uri());
    assert!(url.headers().get("authorization").is_none());
    let r = send(server.addr, url).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["actions"], serde_json::json!(["s3:GetObject"]));
    let url = signed_with(server.addr, Some(ALICE), "s3", &Req::new("GET", "/data/private/a.txt"), T0, true);
    assert_eq!(send(server.addr, url).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_and_json_requests() {
    let server = start(None).await;
    // SQS, Query protocol.
    let queue = "QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F111122223333%2Fjobs";
    let r = call(&server, Some(ALICE), "sqs", form(&format!("Action=SendMessage&{queue}&MessageBody=hi"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["resources"], serde_json::json!(["arn:aws:sqs:us-east-1:111122223333:jobs"]));
    let other = "QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F111122223333%2Fother";
    let r = call(&server, Some(ALICE), "sqs", form(&format!("Action=SendMessage&{other}&MessageBody=hi"))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/xml"));
    assert!(r.body.starts_with("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"), "{}", r.body);
    assert_eq!(
        r.tag("Message"),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:111122223333:other because no identity-based policy allows the sqs:SendMessage action"
    );
    assert!(r.header(MESSAGE_HEADER).is_some());

    // Cross-account: the queue's account owns a policy that lets alice in; another queue there has none.
    let shared = "QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F444455556666%2Fshared";
    let r = call(&server, Some(ALICE), "sqs", form(&format!("Action=SendMessage&{shared}&MessageBody=hi"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let private = "QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F444455556666%2Fprivate";
    let r = call(&server, Some(ALICE), "sqs", form(&format!("Action=SendMessage&{private}&MessageBody=hi"))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.tag("Message").ends_with("because no resource-based policy allows the sqs:SendMessage action"),
        "{}",
        r.body
    );

    // DynamoDB, JSON protocol: 400 AccessDeniedException.
    let json = |target: &'static str, body: &'static str| {
        Req::new("POST", "/")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .body(body)
    };
    let r =
        call(&server, Some(ALICE), "dynamodb", json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["actions"], serde_json::json!(["dynamodb:GetItem"]));
    let r =
        call(&server, Some(ALICE), "dynamodb", json("DynamoDB_20120810.GetItem", r#"{"TableName": "Payroll"}"#)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    let j = r.json();
    assert_eq!(j["__type"], "AccessDeniedException");
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .contains("dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Payroll")
    );

    // SQS's JSON protocol: query-compatible, the Query code in a header.
    let sqs_json = Req::new("POST", "/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AmazonSQS.SendMessage")
        .body(r#"{"QueueUrl": "http://127.0.0.1:4566/111122223333/other", "MessageBody": "hi"}"#);
    let r = call(&server, Some(ALICE), "sqs", sqs_json).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.header("x-amzn-query-error"), Some("AccessDenied;Sender"));
    assert_eq!(r.json()["__type"], "AccessDeniedException");

    // Lambda's REST routes: the function from the path, the qualifier from the query.
    let invoke = |path: &'static str| Req::new("POST", path).header("content-type", "application/json").body("{}");
    let r =
        call(&server, Some(ALICE), "lambda", invoke("/2015-03-31/functions/worker/invocations?Qualifier=live")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["resources"],
        serde_json::json!(["arn:aws:lambda:us-east-1:111122223333:function:worker:live"])
    );
    let r = call(&server, Some(ALICE), "lambda", invoke("/2015-03-31/functions/billing/invocations")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:billing")
    );
    let r = call(&server, Some(ALICE), "lambda", Req::new("GET", "/2015-03-31/functions/")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.json()["message"].as_str().unwrap().contains("lambda:ListFunctions"), "{}", r.body);

    // EC2: UnauthorizedOperation with the encoded message in the text.
    let r = call(&server, Some(ALICE), "ec2", form("Action=DescribeInstances&Version=2016-11-15")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&server, Some(BOB), "ec2", form("Action=DescribeInstances&Version=2016-11-15")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("<Response><Errors><Error><Code>UnauthorizedOperation</Code>"), "{}", r.body);
    let message = r.tag("Message");
    assert!(message.starts_with("You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/bob is not authorized to perform: ec2:DescribeInstances"), "{message}");
    let token = message.split("Encoded authorization failure message: ").nth(1).unwrap();
    assert_eq!(Some(token), r.header(MESSAGE_HEADER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmappable_requests_fail_closed() {
    let server = start(None).await;
    let json = |target: &'static str, body: &'static str| {
        Req::new("POST", "/")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body(body)
    };
    // An operation the catalogue does not have.
    let r = call(&server, Some(ALICE), "dynamodb", json("DynamoDB_20120810.Frobnicate", "{}")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["__type"], "IamspectUnmappedOperation");
    assert!(r.json()["message"].as_str().unwrap().contains("dynamodb:Frobnicate"));
    // A resource the request does not name.
    let r = call(&server, Some(ALICE), "kms", json("TrentService.Decrypt", r#"{"CiphertextBlob": "AAAA"}"#)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["__type"], "IamspectUnknownResource");
    assert!(r.json()["message"].as_str().unwrap().contains("KeyId"));
    // An S3 subresource iamspect does not know.
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data?frobnicate")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.tag("Code"), "IamspectUnmappedOperation");
    // A REST service iamspect does not map.
    let r = call(&server, Some(ALICE), "states", Req::new("GET", "/whatever")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("IamspectUnsupportedProtocol"), "{}", r.body);
    // Unsigned, not S3.
    let r = call(&server, None, "sqs", form("Action=SendMessage")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.tag("Code"), "MissingAuthenticationToken");
    let r = call(&server, None, "dynamodb", json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders"}"#)).await;
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (400, Some("MissingAuthenticationTokenException")),
        "{}",
        r.body
    );
    // A caller the account data does not hold: denied with the legacy message, and still a token.
    let carol = Key { id: "AKIACAROLEXAMPLE0001", secret: "carolSecret", token: None };
    let r = call(&server, Some(carol), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.tag("Message"),
        "User: arn:aws:iam::111122223333:user/carol is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::data/public/a.txt&quot;"
    );
    assert!(r.header(MESSAGE_HEADER).unwrap().starts_with("iamspect2."));

    // Unknown key: the service's own authentication error.
    let nobody = Key { id: "AKIANOBODYEXAMPLE001", secret: "x", token: None };
    let r = call(&server, Some(nobody), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "InvalidAccessKeyId"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_credentials_carry_their_policies_and_expire() {
    let server = start(None).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/public/*"}]}"#;
    let body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FReader&RoleSessionName=ci&DurationSeconds=900&Policy={}",
        form_urlencoded::byte_serialize(policy.as_bytes()).collect::<String>()
    );
    let r = call(&server, Some(ALICE), "sts", form(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (id, secret, token) =
        (r.tag("AccessKeyId").to_string(), r.tag("SecretAccessKey").to_string(), r.tag("SessionToken").to_string());
    let session = Key { id: &id, secret: &secret, token: Some(&token) };

    // The role allows data/*, the session policy only data/public/*.
    let r = call(&server, Some(session), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["principal"], "arn:aws:sts::111122223333:assumed-role/Reader/ci");
    let r = call(&server, Some(session), "s3", Req::new("GET", "/data/private/a.txt")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.tag("Message"),
        "User: arn:aws:sts::111122223333:assumed-role/Reader/ci is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::data/private/a.txt&quot; because no session policy allows the s3:GetObject action"
    );
    // The sealed token carries the session's own policy, for `explain --encoded` to weigh.
    let decoded = iamspect_explain::encoded::decode(&server.key, r.header(MESSAGE_HEADER).unwrap()).unwrap();
    let decoded: serde_json::Value = serde_json::from_str(&decoded).unwrap();
    let sessions = decoded["iamspect"]["sessionPolicies"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].as_str().unwrap().contains("arn:aws:s3:::data/public/*"), "{decoded}");

    // After the expiry: S3's ExpiredToken.
    server.clock.store(T0 + 900, Ordering::SeqCst);
    let r = call(&server, Some(session), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!((r.status, r.tag("Code")), (400, "ExpiredToken"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principal_tags_session_tags_and_mfa_reach_the_context() {
    let server = start(None).await;
    // alice's own tag (team=blue) in a policy variable.
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/teams/blue/plan.txt")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/teams/red/plan.txt")).await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Session tags: the role allows writes under projects/ to sessions tagged project=apollo.
    let assume = |tag: &str| {
        format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FReader&RoleSessionName=ci&Tags.member.1.Key=project&Tags.member.1.Value={tag}"
        )
    };
    for (tag, expected) in [("apollo", 200), ("gemini", 403)] {
        let r = call(&server, Some(ALICE), "sts", form(&assume(tag))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (id, secret, token) =
            (r.tag("AccessKeyId").to_string(), r.tag("SecretAccessKey").to_string(), r.tag("SessionToken").to_string());
        let session = Key { id: &id, secret: &secret, token: Some(&token) };
        let r = call(&server, Some(session), "s3", Req::new("PUT", "/data/projects/x").body("x")).await;
        assert_eq!(r.status, expected, "{tag}: {}", r.body);
    }

    // MFA: deleting needs aws:MultiFactorAuthPresent, absent for long-term keys.
    let r = call(&server, Some(ALICE), "s3", Req::new("DELETE", "/data/uploads/f.bin")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = call(
        &server,
        Some(ALICE),
        "sts",
        form("Action=GetSessionToken&Version=2011-06-15&SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice&TokenCode=123456"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (id, secret, token) =
        (r.tag("AccessKeyId").to_string(), r.tag("SecretAccessKey").to_string(), r.tag("SessionToken").to_string());
    let mfa = Key { id: &id, secret: &secret, token: Some(&token) };
    let r = call(&server, Some(mfa), "s3", Req::new("DELETE", "/data/uploads/f.bin")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["actions"], serde_json::json!(["s3:DeleteObject"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_s3_requests_meet_bucket_policies() {
    let server = start(None).await;
    let r = call(&server, None, "s3", Req::new("GET", "/public-site/index.html")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["principal"], "anonymous");
    let r = call(&server, None, "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // S3 words its denials only for callers of the bucket's account or organization.
    assert_eq!(r.tag("Message"), "Access Denied", "{}", r.body);

    // A bucket whose name starts with `ui` is still a bucket; a virtual-hosted bucket at `/` too.
    let r = call(&server, None, "s3", Req::new("GET", "/uizard/a")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let decoded = iamspect_explain::encoded::decode(&server.key, r.header(MESSAGE_HEADER).unwrap()).unwrap();
    assert!(decoded.contains("arn:aws:s3:::uizard/a"), "{decoded}");
    let host = format!("public-site.s3.localhost.localstack.cloud:{}", server.addr.port());
    let r = call(&server, None, "s3", Req::new("GET", "/").header("host", &host)).await;
    assert_eq!(r.status, 403, "anonymous ListBucket: {}", r.body);
    let token = r.header(MESSAGE_HEADER).unwrap();
    let decoded = iamspect_explain::encoded::decode(&server.key, token).unwrap();
    assert!(decoded.contains("\"action\":\"s3:ListBucket\""), "{decoded}");
    assert!(decoded.contains("\"resource\":\"arn:aws:s3:::public-site\""), "{decoded}");

    // `GET /` without a signature is the web page.
    let r = call(&server, None, "s3", Req::new("GET", "/")).await;
    assert_eq!((r.status, r.header("location")), (303, Some("/ui/")));
    // The API keeps its routes.
    let r = call(&server, None, "s3", Req::new("GET", "/healthz")).await;
    assert_eq!(r.status, 200);
    let r = call(&server, None, "s3", Req::new("GET", "/v1/nothing")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_requests_reach_the_upstream_unchanged() {
    let (up, seen) = upstream().await;
    let server = start(Some(Upstream::parse(&format!("http://{up}")).unwrap())).await;
    let req = Req::new("PUT", "/data/uploads/a%20b.bin?x-id=PutObject")
        .header("content-type", "application/octet-stream")
        .header("x-amz-meta-colour", "blue")
        .body("payload bytes");
    let request = signed(server.addr, Some(ALICE), "s3", &req, T0);
    let sent_headers = request.headers().clone();
    let r = send(server.addr, request).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body, "stored");
    assert_eq!(r.header("x-upstream"), Some("emulator"));
    assert_eq!(r.header("etag"), Some("\"abc\""));
    {
        let seen = seen.lock().unwrap();
        // First the gateway's own question: the bucket's default encryption (D70).
        assert_eq!(seen.len(), 2);
        assert_eq!((seen[0].0.as_str(), seen[0].1.as_str()), ("GET", "/data?encryption"));
        let (method, uri, headers, body, _) = &seen[1];
        assert_eq!((method.as_str(), uri.as_str()), ("PUT", "/data/uploads/a%20b.bin?x-id=PutObject"));
        assert_eq!(body, b"payload bytes");
        for name in ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-meta-colour", "host", "content-type"]
        {
            assert_eq!(headers.get(name), sent_headers.get(name), "{name}");
        }
    }
    // Denied requests never reach it.
    let r = call(&server, Some(ALICE), "s3", Req::new("PUT", "/data/private/x").body("nope")).await;
    assert_eq!(r.status, 403);
    let r = call(&server, Some(BOB), "sqs", form("Action=ListQueues")).await;
    assert_eq!(r.status, 403);
    assert_eq!(seen.lock().unwrap().len(), 2);
    // Connections to the upstream are kept alive and reused.
    for _ in 0..3 {
        let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/public/a.txt")).await;
        assert_eq!((r.status, r.body.as_str()), (201, "stored"));
    }
    {
        let seen = seen.lock().unwrap();
        let ports: std::collections::BTreeSet<u16> = seen.iter().map(|s| s.4).collect();
        assert_eq!((seen.len(), ports.len()), (5, 1), "{ports:?}");
    }

    // STS stays with iamspect.
    let r = call(&server, Some(ALICE), "sts", form("Action=GetCallerIdentity&Version=2011-06-15")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.tag("Arn"), "arn:aws:iam::111122223333:user/alice");
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_a_502() {
    // A port that was free a moment ago.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let server = start(Some(Upstream::parse(&format!("http://127.0.0.1:{port}")).unwrap())).await;
    // In each protocol's own shape, so that the SDK parses it.
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!((r.status, r.tag("Code")), (502, "IamspectUpstreamUnavailable"), "{}", r.body);
    let body = "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&MessageBody=x";
    let r = call(&server, Some(ALICE), "sqs", form(body)).await;
    assert_eq!(r.status, 502, "{}", r.body);
    assert!(r.body.starts_with("<ErrorResponse"), "{}", r.body);
    assert_eq!(r.tag("Code"), "IamspectUpstreamUnavailable");
    let r = call(
        &server,
        Some(ALICE),
        "dynamodb",
        Req::new("POST", "/")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .body(r#"{"TableName": "Orders"}"#),
    )
    .await;
    assert_eq!((r.status, r.json()["__type"].as_str()), (502, Some("IamspectUpstreamUnavailable")), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_account_data_nothing_is_allowed() {
    let server = start_with(AppState::new(Settings::default()), None).await;
    let r = call(&server, Some(ALICE), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectNoAccountData"), "{}", r.body);
}

#[test]
fn upstreams_must_be_loopback() {
    assert!(Upstream::parse("http://127.0.0.1:4566").is_ok());
    assert!(Upstream::parse("http://localhost:4566/").is_ok());
    assert!(Upstream::parse("http://[::1]:4566").is_ok());
    for bad in [
        "http://10.0.0.1:4566",
        "https://127.0.0.1:4566",
        "http://example.com:80",
        "http://127.0.0.1",
        "http://127.0.0.1:1/path",
    ] {
        let e = Upstream::parse(bad).unwrap_err();
        assert!(e.contains("loopback") || e.contains("must"), "{bad}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_decodes_the_encoded_message() {
    let server = start(None).await;
    let r = call(&server, Some(BOB), "s3", Req::new("GET", "/data/public/a.txt")).await;
    assert_eq!(r.status, 403);
    let token = r.header(MESSAGE_HEADER).unwrap().to_string();
    // Sealed: the header itself tells nothing of the request.
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&token["iamspect2.".len()..]).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("data/public"), "{token}");
    let body = format!("Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage={token}");
    let r = call(&server, Some(ALICE), "sts", form(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.starts_with("<DecodeAuthorizationMessageResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
    );
    let decoded = r
        .tag("DecodedMessage")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'");
    let d = iamspect_explain::decoded::parse_decoded(&decoded).unwrap();
    assert!(!d.allowed && !d.explicit_deny);
    assert_eq!(d.principal_arn, "arn:aws:iam::111122223333:user/bob");
    assert_eq!(d.action, "s3:GetObject");
    assert_eq!(d.resource, "arn:aws:s3:::data/public/a.txt");
    assert_eq!(d.context_value("aws:SecureTransport"), Some(&["false".to_string()][..]));
    assert_eq!(d.context_value("aws:SourceIp"), Some(&["127.0.0.1".to_string()][..]));
    // bob may not decode; a damaged token is refused.
    let r = call(&server, Some(BOB), "sts", form(&body)).await;
    assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"));
    let r =
        call(&server, Some(ALICE), "sts", form("Action=DecodeAuthorizationMessage&EncodedMessage=iamspect2.%21%21"))
            .await;
    assert_eq!((r.status, r.tag("Code")), (400, "InvalidAuthorizationMessageException"));
    // An unsealed token of an earlier release, and one sealed with another server's key, are refused by name.
    let r =
        call(&server, Some(ALICE), "sts", form("Action=DecodeAuthorizationMessage&EncodedMessage=iamspect1.e30")).await;
    assert_eq!((r.status, r.tag("Code")), (400, "InvalidAuthorizationMessageException"));
    assert!(r.tag("Message").contains("no longer accepted"), "{}", r.body);
    let other = iamspect_explain::encoded::encode_text(&iamspect_explain::encoded::MessageKey::generate(), "{}");
    let r =
        call(&server, Some(ALICE), "sts", form(&format!("Action=DecodeAuthorizationMessage&EncodedMessage={other}")))
            .await;
    assert_eq!((r.status, r.tag("Code")), (400, "InvalidAuthorizationMessageException"));
    assert!(r.tag("Message").contains("sealed with another key"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_operations_are_checked_as_aws_checks_them() {
    let server = start(None).await;
    let json = |target: &'static str, body: &str| {
        Req::new("POST", "/")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .body(body)
    };
    let actions = |r: &Reply| -> Vec<(String, String)> {
        let j = r.json();
        let a = j["actions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
        let res = j["resources"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
        a.zip(res).collect()
    };
    // SQS batches are their single operation on the queue.
    let body = "Action=SendMessageBatch&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x";
    let r = call(&server, Some(ALICE), "sqs", form(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(actions(&r), [("sqs:SendMessage".to_string(), "arn:aws:sqs:us-east-1:111122223333:jobs".to_string())]);
    let body = "Action=DeleteMessageBatch&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=h";
    let r = call(&server, Some(ALICE), "sqs", form(body)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("sqs:DeleteMessage"), "{}", r.body);
    // DynamoDB transactions: each item as its own operation on its table.
    let r = call(
        &server,
        Some(ALICE),
        "dynamodb",
        json(
            "DynamoDB_20120810.TransactGetItems",
            r#"{"TransactItems": [{"Get": {"TableName": "Orders", "Key": {}}}]}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        actions(&r),
        [("dynamodb:GetItem".to_string(), "arn:aws:dynamodb:us-east-1:111122223333:table/Orders".to_string())]
    );
    let r = call(
        &server,
        Some(ALICE),
        "dynamodb",
        json(
            "DynamoDB_20120810.TransactWriteItems",
            r#"{"TransactItems": [{"ConditionCheck": {"TableName": "Orders", "Key": {}}}, {"Put": {"TableName": "Orders", "Item": {}}}]}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("dynamodb:ConditionCheckItem"), "{}", r.body);
    // PartiQL: the statement's verb on its table.
    let r = call(
        &server,
        Some(ALICE),
        "dynamodb",
        json("DynamoDB_20120810.ExecuteStatement", r#"{"Statement": "SELECT * FROM \"Orders\" WHERE id = 'FROM'"}"#),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("dynamodb:PartiQLSelect"), "{}", r.body);
    let r = call(
        &server,
        Some(ALICE),
        "dynamodb",
        json(
            "DynamoDB_20120810.ExecuteStatement",
            r#"{"Statement": "SELECT * FROM \"Orders\"; DELETE FROM \"Secrets\""}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("IamspectUnknownResource"), "{}", r.body);
    // KMS Decrypt without KeyId: the key the ciphertext was made under.
    use base64::Engine;
    let blob = base64::engine::general_purpose::STANDARD
        .encode([b"1234abcd-12ab-34cd-56ef-1234567890ab".as_slice(), &[7u8; 40]].concat());
    let r =
        call(&server, Some(ALICE), "kms", json("TrentService.Decrypt", &format!(r#"{{"CiphertextBlob": "{blob}"}}"#)))
            .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "{}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_closes_does_not_close_the_client() {
    use http_body_util::{BodyExt, Full};
    // An upstream that closes its connection after every answer.
    let app = axum::Router::new().fallback(|| async { ([("connection", "close"), ("x-upstream", "yes")], "ok") });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let server = start(Some(Upstream::parse(&format!("http://{up}")).unwrap())).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    for _ in 0..3 {
        let (parts, body) =
            signed(server.addr, Some(ALICE), "s3", &Req::new("GET", "/data/public/a.txt"), T0).into_parts();
        sender.ready().await.unwrap();
        let response = sender
            .send_request(http::Request::from_parts(parts, Full::new(axum::body::Bytes::from(body))))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers().get("x-upstream").unwrap(), "yes");
        assert!(response.headers().get("connection").is_none());
        let _ = response.into_body().collect().await.unwrap();
    }
}
