//! The gateway never forwards what it did not authorize: each class of request that an upstream
//! could read differently from the gateway (issue 11's probe against moto, and its neighbours) is
//! refused, and the recording upstream behind the gateway never sees it. Each attempt is one that
//! alice is denied when she sends it plainly (`GET /data/private/secret.txt` is denied: her
//! policies allow only `data/public/*`, `data/uploads/*` and `data/teams/…`).
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use common::gateway::*;
use iamspect_server::gateway::{Gateway, Upstream};
use iamspect_server::{AppState, Settings};

struct Setup {
    server: Server,
    seen: Seen,
}

async fn setup_with(allow_control: bool) -> Setup {
    let (up, seen) = upstream().await;
    let dir = data_dir();
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    let gateway = Gateway {
        allow_emulator_control: allow_control,
        ..Gateway::new(Some(Upstream::parse(&format!("http://{up}")).unwrap()))
    };
    let server = start_gateway(state, gateway).await;
    Setup { server, seen }
}

async fn setup() -> Setup {
    setup_with(false).await
}

impl Setup {
    fn forwarded(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Sends a signed request as alice and checks that it is refused with `status` and `code`
    /// and that nothing reached the upstream.
    async fn refused(&self, request: http::Request<Vec<u8>>, status: u16, code: &str) -> Reply {
        let before = self.forwarded();
        let r = send_raw(self.server.addr, &to_raw(&request)).await;
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.body.contains(code), "expected {code}: {}", r.body);
        assert_eq!(self.forwarded(), before, "the upstream saw a refused request");
        r
    }

    fn alice(&self, service: &str, req: &Req<'_>) -> http::Request<Vec<u8>> {
        signed(self.server.addr, Some(ALICE), service, req, T0)
    }
}

const NON_CANONICAL: &str = "IamspectNonCanonicalRequest";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_requests_are_decided_as_expected() {
    let s = setup().await;
    let r = send(s.server.addr, s.alice("s3", &Req::new("GET", "/data/public/a.txt"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = send(s.server.addr, s.alice("s3", &Req::new("GET", "/data/private/secret.txt"))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(s.forwarded(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_paths_and_hosts_have_one_reading() {
    let s = setup().await;
    let port = s.server.addr.port();
    // 1. `//` at the start of the path.
    s.refused(s.alice("s3", &Req::new("GET", "//data/private/secret.txt")), 400, NON_CANONICAL).await;
    // Dot segments and empty segments in the key, a literal `;`, a percent-encoded bucket.
    for target in [
        "/data/public/../private/secret.txt",
        "/data/public/./a.txt",
        "/data/public//a.txt",
        "/data/public/a.txt;x",
        "/d%61ta/private/secret.txt",
        "/data/public/%zz",
        "/data/public/%ff",
        "/data/public/%00",
    ] {
        s.refused(s.alice("s3", &Req::new("GET", target)), 400, NON_CANONICAL).await;
    }
    // 2. Hosts that are not an endpoint form.
    for host in [
        format!("data.example:{port}"),
        format!("localhost.s3.example:{port}"),
        format!("data.s3.localhost:{port}"),
        format!("www.data.s3.localhost.localstack.cloud:{port}"),
        format!("a.b.s3.localhost.localstack.cloud:{port}"),
        format!("localhost1.s3.localhost.localstack.cloud:{port}"),
        format!("data.s3-accesspoint.localhost.localstack.cloud:{port}"),
        format!("data.s3.us-west-2.localhost.localstack.cloud:{port}"),
    ] {
        let req = Req::new("GET", "/private/secret.txt").header("host", &host);
        s.refused(s.alice("s3", &req), 400, NON_CANONICAL).await;
    }
    // 3. Upper-case bucket names, in the host and in the path.
    let host = format!("DATA.s3.localhost.localstack.cloud:{port}");
    s.refused(s.alice("s3", &Req::new("GET", "/private/secret.txt").header("host", &host)), 400, NON_CANONICAL).await;
    s.refused(s.alice("s3", &Req::new("GET", "/DATA/private/secret.txt")), 400, NON_CANONICAL).await;
    // A bucket name that is not one (moto routes `/service_region/` paths elsewhere).
    s.refused(s.alice("s3", &Req::new("GET", "/sqs_us-east-1/x")), 400, NON_CANONICAL).await;
    // The virtual-hosted form that is accepted is decided on the right bucket.
    let host = format!("data.s3.localhost.localstack.cloud:{port}");
    let r = send(s.server.addr, s.alice("s3", &Req::new("GET", "/private/secret.txt").header("host", &host))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = send(s.server.addr, s.alice("s3", &Req::new("GET", "/public/a.txt").header("host", &host))).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects_bodies_are_read_as_xml() {
    let s = setup().await;
    // Every key is checked, whatever the XML spelling: alice may delete none of them, and S3's
    // per-key answer names the key as an XML reader reads it; nothing goes upstream.
    for (body, key) in [
        ("<Delete><Object ><Key>private/secret.txt</Key></Object></Delete>", "private/secret.txt"),
        ("<Delete><Object><Key><![CDATA[private/secret.txt]]></Key></Object></Delete>", "private/secret.txt"),
        ("<Delete><Object><Key>&#112;rivate/secret.txt</Key></Object></Delete>", "private/secret.txt"),
        ("<Delete><Object><Key>private&#x2F;secret.txt</Key></Object></Delete>", "private/secret.txt"),
    ] {
        let expected = format!("<Error><Key>{key}</Key><Code>AccessDenied</Code>");
        s.refused(s.alice("s3", &Req::new("POST", "/data?delete").body(body)), 200, &expected).await;
    }
    // What an XML reader may read another way, or S3 would not accept, is refused.
    for body in [
        "<!DOCTYPE x [<!ENTITY k \"private/secret.txt\">]><Delete><Object><Key>&k;</Key></Object></Delete>",
        "<Delete><Object><Key>public/a.txt</Key><!-- --><Key>private/x</Key></Object></Delete>",
        "<Delete><Object><Key>public/a.txt</Key><Key>private/x</Key></Object></Delete>",
        "<Delete><s3:Object><Key>private/x</Key></s3:Object></Delete>",
        "<Delete><Object><Key>private/x</Key><Extra/></Object></Delete>",
        "<Delete><Object><Key>private/x</Key></Object>",
        "<Delete><Object id=\"1\"><Key>private/x</Key></Object></Delete>",
        "<Delete><Object><Key>private/x</Key></Object></Delete><Delete/>",
        "<?pi x?><Delete><Object><Key>private/x</Key></Object></Delete>",
        "<Delete>text<Object><Key>private/x</Key></Object></Delete>",
    ] {
        s.refused(s.alice("s3", &Req::new("POST", "/data?delete").body(body)), 403, "IamspectUnmappedOperation").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_come_from_one_place() {
    let s = setup().await;
    let json = |target: &'static str, body: &'static str| {
        Req::new("POST", "/")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .body(body)
    };
    // 5. DynamoDB: a table in the URL query, a stray `TableName` beside `RequestItems`.
    let mut req = json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders", "Key": {}}"#);
    req.target = "/?TableName=Secrets";
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    let req = json("DynamoDB_20120810.BatchGetItem", r#"{"TableName": "Orders", "RequestItems": {"Secrets": {}}}"#);
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    let req = json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders", "RequestItems": {"Secrets": {}}}"#);
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    // A key twice in the JSON body.
    let req = json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders", "TableName": "Secrets"}"#);
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    let req = json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders", "Key": {"a": 1, "a": 2}}"#);
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    // A header an emulator reads as a parameter.
    let req = json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders"}"#).header("action", "DeleteTable");
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    // A target of another service, or not `Prefix.Operation`.
    let req = json("AmazonSQS.DeleteQueue", r#"{"TableName": "Orders"}"#);
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;
    // A compressed body the gateway would read as something else.
    let req = json("DynamoDB_20120810.GetItem", r#"{"TableName": "Orders"}"#).header("content-encoding", "gzip");
    s.refused(s.alice("dynamodb", &req), 400, NON_CANONICAL).await;

    // 6. SQS: the queue in the form and another in the URL query.
    let mut req = form("Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&MessageBody=x");
    req.target = "/?QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fsecret";
    s.refused(s.alice("sqs", &req), 400, NON_CANONICAL).await;
    // A parameter twice; posted to one queue's path naming another.
    let req = form(
        "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fsecret&MessageBody=x",
    );
    s.refused(s.alice("sqs", &req), 400, NON_CANONICAL).await;
    let mut req = form("Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&MessageBody=x");
    req.target = "/111122223333/secret";
    s.refused(s.alice("sqs", &req), 400, NON_CANONICAL).await;
    // The plain request is allowed and forwarded.
    let before = s.forwarded();
    let req = form("Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F111122223333%2Fjobs&MessageBody=x");
    let r = send(s.server.addr, s.alice("sqs", &req)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(s.forwarded(), before + 1);

    // S3 headers written as query parameters.
    let req = Req::new("PUT", "/data/uploads/a?x-amz-acl=public-read").body("x");
    s.refused(s.alice("s3", &req), 400, NON_CANONICAL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signature_is_bound_to_the_region() {
    let s = setup().await;
    // 7. Signed for another region, with or without a User-Agent naming ours.
    let req = Req::new("GET", "/data/public/a.txt");
    s.refused(signed_in(s.server.addr, ALICE, "s3", "us-east-2", &req, T0), 400, NON_CANONICAL).await;
    let req = Req::new("GET", "/data/public/a.txt").header("user-agent", "aws-cli/2 region/us-east-1");
    s.refused(signed_in(s.server.addr, ALICE, "s3", "us-east-2", &req, T0), 400, NON_CANONICAL).await;
    // Signed for ours, with a User-Agent or a URL naming another.
    let req = Req::new("GET", "/data/public/a.txt").header("user-agent", "Boto3/1.20 region/eu-west-1");
    s.refused(s.alice("s3", &req), 400, NON_CANONICAL).await;
    let req = form(
        "Action=SendMessage&QueueUrl=http%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F111122223333%2Fjobs&MessageBody=x",
    );
    let mut req = req;
    req.method = "GET";
    req.target = "/?Action=SendMessage&QueueUrl=http%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F111122223333%2Fjobs";
    req.body = Vec::new();
    req.headers.clear();
    s.refused(s.alice("sqs", &req), 400, NON_CANONICAL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_header_has_one_reading() {
    let s = setup().await;
    let base = s.alice("s3", &Req::new("GET", "/data/public/a.txt"));
    let auth = base.headers()["authorization"].to_str().unwrap().to_string();
    let with = |value: &str| {
        let mut r = base.clone();
        r.headers_mut().insert("authorization", http::HeaderValue::from_str(value).unwrap());
        r
    };
    // 8. Unknown parts, a second Credential, parts out of order, another algorithm.
    let sqs_scope = "AKIAALICEEXAMPLE0001/20250601/us-east-1/sqs/aws4_request";
    for value in [
        format!("{auth}, Extra=1"),
        auth.replacen("Credential=", &format!("X=Credential={sqs_scope}, Credential="), 1),
        auth.replacen("AWS4-HMAC-SHA256 ", &format!("AWS4-HMAC-SHA256 Credential={sqs_scope},"), 1),
        auth.replacen("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256  ", 1),
        auth.replacen("/us-east-1/", "//", 1),
        auth.replacen("/us-east-1/", "/Us-East-1/", 1),
        auth.replacen("/s3/", "/S3/", 1),
    ] {
        s.refused(with(&value), 400, NON_CANONICAL).await;
    }
    // A second Authorization header.
    let mut twice = base.clone();
    twice.headers_mut().append(
        "authorization",
        http::HeaderValue::from_str(&format!(
            "AWS4-HMAC-SHA256 Credential={sqs_scope}, SignedHeaders=host, Signature={}",
            "0".repeat(64)
        ))
        .unwrap(),
    );
    s.refused(twice, 400, NON_CANONICAL).await;
    // Any header twice.
    let mut twice = base.clone();
    twice.headers_mut().append("x-amz-date", http::HeaderValue::from_static("20250601T120000Z"));
    s.refused(twice, 400, NON_CANONICAL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_values_are_ascii() {
    let s = setup().await;
    // 9. A copy source that is not text would skip the source's check.
    let req = Req::new("PUT", "/data/uploads/copy");
    let mut request = s.alice("s3", &req);
    request
        .headers_mut()
        .insert("x-amz-copy-source", http::HeaderValue::from_bytes(b"/data/private/secret.txt\xff").unwrap());
    s.refused(request, 400, NON_CANONICAL).await;
    let mut request =
        s.alice("dynamodb", &Req::new("POST", "/").header("content-type", "application/x-amz-json-1.0").body("{}"));
    request.headers_mut().insert("x-amz-target", http::HeaderValue::from_bytes(b"DynamoDB_20120810.\xffScan").unwrap());
    s.refused(request, 400, NON_CANONICAL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_sources_have_one_reading() {
    let s = setup().await;
    // 10. A URL, `//`, `;` parameters, a fragment, a bad bucket, a bad query.
    for source in [
        "http://x/data/private/secret.txt",
        "//x/data/private/secret.txt",
        "/data/private/secret.txt;x",
        "data/public/a.txt#/../private/secret.txt",
        "DATA/private/secret.txt",
        "data/private/secret.txt?versionId=1&x=2",
        "data/public/../private/secret.txt",
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/private/secret.txt",
    ] {
        let req = Req::new("PUT", "/data/uploads/copy").header("x-amz-copy-source", source);
        s.refused(s.alice("s3", &req), 403, "IamspectUnmappedOperation").await;
    }
    // The plain copy of a private object is denied on the source.
    let req = Req::new("PUT", "/data/uploads/copy").header("x-amz-copy-source", "/data/private/secret.txt");
    let r = s.refused(s.alice("s3", &req), 403, "AccessDenied").await;
    let decoded = iamspect_explain::encoded::decode(&s.server.key, r.header(MESSAGE_HEADER).unwrap()).unwrap();
    assert!(decoded.contains("arn:aws:s3:::data/private/secret.txt"), "{decoded}");
    // Settings with an upload that need their own authorization.
    for (name, value) in [
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-legal-hold", "ON"),
        ("x-amz-bypass-governance-retention", "true"),
        ("x-amz-tagging", "a=b"),
        ("x-amz-acl", "public-read"),
    ] {
        let req = Req::new("PUT", "/data/uploads/a").header(name, value).body("x");
        s.refused(s.alice("s3", &req), 403, "AccessDenied").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_control_paths_are_refused() {
    let s = setup().await;
    // 11. moto's state dump and reset, LocalStack's, instance metadata: signed or not.
    for (method, target) in [
        ("GET", "/moto-api/data.json"),
        ("POST", "/moto-api/reset?uploads"),
        ("GET", "/moto-api"),
        ("GET", "/_localstack/health"),
        ("GET", "/latest/meta-data/iam/security-credentials/"),
        ("GET", "/%6Doto-api/data.json"),
    ] {
        let r = send(s.server.addr, signed(s.server.addr, None, "s3", &Req::new(method, target), T0)).await;
        assert_eq!(r.status, 403, "{target}: {}", r.body);
        assert!(r.body.contains("IamspectEmulatorControlPath"), "{}", r.body);
        let r = send(s.server.addr, s.alice("s3", &Req::new(method, target))).await;
        assert_eq!(r.status, 403, "{target}: {}", r.body);
    }
    assert_eq!(s.forwarded(), 0);
    // With --allow-emulator-control they are forwarded.
    let s = setup_with(true).await;
    let r = send(s.server.addr, signed(s.server.addr, None, "s3", &Req::new("POST", "/moto-api/reset"), T0)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(s.forwarded(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_targets_are_origin_form() {
    let s = setup().await;
    // 12. An absolute URL without a Host, and with one.
    let addr = s.server.addr;
    let raw = format!("GET http://{addr}/data/private/secret.txt HTTP/1.1\r\nconnection: close\r\n\r\n");
    let r = send_raw(addr, raw.as_bytes()).await;
    assert!(r.status == 400, "{}: {}", r.status, r.body);
    let request = s.alice("s3", &Req::new("GET", "/data/public/a.txt"));
    let mut bytes = to_raw(&request);
    let line_end = bytes.iter().position(|&b| b == b'\r').unwrap();
    let absolute = format!("GET http://{addr}/data/public/a.txt HTTP/1.1");
    bytes.splice(..line_end, absolute.bytes());
    let r = send_raw(addr, &bytes).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains(NON_CANONICAL), "{}", r.body);
    assert_eq!(s.forwarded(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_requests_are_s3_only() {
    let s = setup().await;
    // What emulators route unsigned requests on, in an anonymous S3 request.
    let req = Req::new("GET", "/public-site/index.html?Action=AssumeRoleWithSAML");
    s.refused(signed(s.server.addr, None, "s3", &req, T0), 400, NON_CANONICAL).await;
    let req = Req::new("GET", "/public-site/x/.well-known/jwks.json");
    s.refused(signed(s.server.addr, None, "s3", &req, T0), 400, NON_CANONICAL).await;
    // A presigned URL for another service.
    let req = Req::new("GET", "/?Action=ListQueues");
    let presigned = signed_with(s.server.addr, Some(ALICE), "sqs", &req, T0, true);
    s.refused(presigned, 400, NON_CANONICAL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_version_2_is_not_implemented() {
    let s = setup().await;
    let target = "/data/private/secret.txt?AWSAccessKeyId=AKIAALICEEXAMPLE0001&Signature=abc%3D&Expires=1796645306";
    let r = s.refused(signed(s.server.addr, None, "s3", &Req::new("GET", target), T0), 501, "NotImplemented").await;
    assert!(r.body.contains("Signature Version 2"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_paths_that_emulators_route_elsewhere() {
    let s = setup().await;
    let host = format!("public-site.s3.localhost.localstack.cloud:{}", s.server.addr.port());
    let req = Req::new("GET", "/sqs_us-east-1/x").header("host", &host);
    s.refused(signed(s.server.addr, None, "s3", &req, T0), 400, NON_CANONICAL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_proto_only_from_a_trusted_front() {
    let s = setup().await;
    let req = Req::new("GET", "/data/private/secret.txt").header("x-forwarded-proto", "https");
    s.refused(s.alice("s3", &req), 400, NON_CANONICAL).await;
    // Trusted: `https` makes aws:SecureTransport true (seen in the deny's decoded context).
    let (up, _seen) = upstream().await;
    let dir = data_dir();
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    let gateway = Gateway {
        trust_forwarded_proto: true,
        ..Gateway::new(Some(Upstream::parse(&format!("http://{up}")).unwrap()))
    };
    let server = start_gateway(state, gateway).await;
    for (proto, secure) in [("https", "true"), ("http", "false")] {
        let req = Req::new("GET", "/data/private/secret.txt").header("x-forwarded-proto", proto);
        let r = send(server.addr, signed(server.addr, Some(ALICE), "s3", &req, T0)).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let decoded = iamspect_explain::encoded::decode(&server.key, r.header(MESSAGE_HEADER).unwrap()).unwrap();
        let expected = format!(r#"{{"key":"aws:SecureTransport","values":{{"items":[{{"value":"{secure}"}}]}}}}"#);
        assert!(decoded.contains(&expected), "{decoded}");
    }
    let req = Req::new("GET", "/data/private/secret.txt").header("x-forwarded-proto", "gopher");
    let r = send(server.addr, signed(server.addr, Some(ALICE), "s3", &req, T0)).await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects_is_decided_key_by_key() {
    // alice may delete under data/tmp/ only.
    let dir = common::temp_dir("delete-objects");
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::data/tmp/*"}]}"#;
    std::fs::write(dir.join("gaad.json"), common::gaad(policy)).unwrap();
    let (up, seen) = upstream().await;
    let state = AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json")]).unwrap();
    let server = start_gateway(state, Gateway::new(Some(Upstream::parse(&format!("http://{up}")).unwrap()))).await;
    let alice = Key { id: ALICE_KEY, secret: ALICE_SECRET, token: None };
    // Every key allowed: the request goes upstream as it came.
    let body = "<Delete><Object><Key>tmp/a</Key></Object><Object><Key>tmp/b c</Key></Object></Delete>";
    let r = send(server.addr, signed(server.addr, Some(alice), "s3", &Req::new("POST", "/data?delete").body(body), T0))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Some denied: only the allowed keys go upstream, one DELETE each; S3's answer lists both.
    let body = "<Delete><Object><Key>tmp/a</Key></Object><Object><Key>private/x</Key></Object><Object><Key>tmp/b c</Key><VersionId>v1</VersionId></Object></Delete>";
    let r = send(server.addr, signed(server.addr, Some(alice), "s3", &Req::new("POST", "/data?delete").body(body), T0))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<Error><Key>private/x</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<Deleted><Key>tmp/a</Key></Deleted>"), "{}", r.body);
    assert!(r.body.contains("<Deleted><Key>tmp/b c</Key><VersionId>v1</VersionId></Deleted>"), "{}", r.body);
    {
        let seen = seen.lock().unwrap();
        let sent: Vec<(String, String)> = seen[1..].iter().map(|(m, u, _, _, _)| (m.clone(), u.clone())).collect();
        assert_eq!(
            sent,
            [
                ("DELETE".to_string(), "/data/tmp/a".to_string()),
                ("DELETE".to_string(), "/data/tmp/b%20c?versionId=v1".to_string())
            ]
        );
    }
    // Every key denied: nothing goes upstream, every key is an error; quiet lists errors only.
    let body =
        "<Delete><Quiet>true</Quiet><Object><Key>private/x</Key></Object><Object><Key>tmp/ok</Key></Object></Delete>";
    let r = send(server.addr, signed(server.addr, Some(alice), "s3", &Req::new("POST", "/data?delete").body(body), T0))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Error><Key>private/x</Key>"), "{}", r.body);
    assert!(!r.body.contains("<Deleted>"), "{}", r.body);
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_without_a_key_policy() {
    let dir = common::temp_dir("default-key-policy");
    let policy =
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#;
    std::fs::write(dir.join("gaad.json"), common::gaad(policy)).unwrap();
    let req = || {
        Req::new("POST", "/")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "TrentService.Encrypt")
            .body(r#"{"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Plaintext": "eA=="}"#)
    };
    let alice = Key { id: ALICE_KEY, secret: ALICE_SECRET, token: None };
    for (default_key_policy, status) in [(false, 400), (true, 200)] {
        let state = AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json")]).unwrap();
        let server = start_gateway(state, Gateway { default_key_policy, ..Gateway::new(None) }).await;
        let r = send(server.addr, signed(server.addr, Some(alice), "kms", &req(), T0)).await;
        assert_eq!(r.status, status, "--default-key-policy {default_key_policy}: {}", r.body);
        if !default_key_policy {
            assert!(r.body.contains("resource-based policy"), "{}", r.body);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_calls_never_reach_the_api() {
    let s = setup().await;
    // A bucket named `healthz`: signed S3 calls are the gateway's, decided and denied.
    for target in ["/healthz", "/healthz/x", "/openapi.json"] {
        let r = send(s.server.addr, s.alice("s3", &Req::new("GET", target))).await;
        assert_eq!(r.status, 403, "{target}: {}", r.body);
        assert!(r.body.contains("<Code>AccessDenied</Code>"), "{target}: {}", r.body);
    }
    // Unsigned, the API answers as before.
    let r = send(s.server.addr, signed(s.server.addr, None, "s3", &Req::new("GET", "/healthz"), T0)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("\"status\""), "{}", r.body);
    assert_eq!(s.forwarded(), 0);
}
