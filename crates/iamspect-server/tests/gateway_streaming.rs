//! Gateway mode with S3 streaming (`aws-chunked`) uploads, end to end over a loopback socket:
//! the head signed with AWS's own signer (`aws-sigv4`), the chunks with its `sign_chunk`, and
//! AWS's published chunked-upload example.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use iamspect_auth::Credential;
use iamspect_server::gateway::{Gateway, Upstream};
use iamspect_server::{AppState, Settings, serve};
use tokio::net::TcpListener;

/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;
/// 2013-05-24T00:00:00Z, the time of AWS's example.
const EXAMPLE_TIME: i64 = 1_369_353_600;
const ACCOUNT: &str = "111122223333";
const ALICE_KEY: &str = "AKIAALICEEXAMPLE0001";
const ALICE_SECRET: &str = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP";
/// The key of AWS's examples, given to bob (who has no policies).
const EXAMPLE_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATA: &[u8] = b"The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog.";

struct Server {
    addr: SocketAddr,
    clock: Arc<AtomicI64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start(upstream: Option<Upstream>) -> Server {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gateway_data");
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    state
        .sts()
        .add_credentials(vec![
            Credential::long_term(ALICE_KEY, ALICE_SECRET, format!("arn:aws:iam::{ACCOUNT}:user/alice")),
            Credential::long_term(EXAMPLE_KEY, EXAMPLE_SECRET, format!("arn:aws:iam::{ACCOUNT}:user/bob")),
        ])
        .unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let c = Arc::clone(&clock);
    state.sts().set_clock(move || jiff::Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap());
    // AWS's published examples are signed for the host `s3.amazonaws.com`.
    let gateway = Gateway { endpoint_hosts: vec!["s3.amazonaws.com".to_string()], ..Gateway::new(upstream) };
    state.enable_gateway(gateway).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Server { addr, clock, stop: Some(stop) }
}

/// What the upstream saw: method, target, headers, body.
type Seen = Arc<Mutex<Vec<(String, String, http::HeaderMap, Vec<u8>)>>>;

async fn upstream() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let record = Arc::clone(&record);
        async move {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            if parts.uri.query() == Some("encryption") {
                // The gateway's own question before an upload (D70): no default encryption.
                return (http::StatusCode::NOT_FOUND, [("etag", "\"abc\"")], "");
            }
            record.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.to_string(),
                parts.headers,
                bytes.to_vec(),
            ));
            (http::StatusCode::OK, [("etag", "\"abc\"")], "")
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    /// The text of the first `<name>` element.
    fn tag(&self, name: &str) -> &str {
        let open = format!("<{name}>");
        let start = self.body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {}", self.body)) + open.len();
        let end = self.body[start..].find(&format!("</{name}>")).unwrap() + start;
        &self.body[start..end]
    }
}

async fn send(addr: SocketAddr, request: http::Request<Vec<u8>>) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let (parts, body) = request.into_parts();
    let response = sender.send_request(http::Request::from_parts(parts, Full::new(Bytes::from(body)))).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, body: String::from_utf8_lossy(&bytes).into_owned() }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    UnsignedTrailer,
    Signed,
}

/// An S3 `PutObject` of `DATA` to `path` as the AWS SDKs stream it: the head signed by
/// aws-sigv4 with the streaming literal as payload hash, the body `aws-chunked` in 32-byte chunks
/// (each signed with aws-sigv4's `sign_chunk` in `Signed` mode), a CRC32 trailer in
/// `UnsignedTrailer` mode.
fn upload(addr: SocketAddr, mode: Mode, path: &str, time: i64) -> http::Request<Vec<u8>> {
    let host = addr.to_string();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let identity = Credentials::new(ALICE_KEY, ALICE_SECRET, None, None, "test").into();
    let params = || {
        v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(time).unwrap()))
            .settings(settings.clone())
            .build()
            .unwrap()
    };
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.clone()),
        ("content-encoding".into(), "aws-chunked".into()),
        ("content-type".into(), "application/octet-stream".into()),
        ("x-amz-decoded-content-length".into(), DATA.len().to_string()),
    ];
    if mode == Mode::UnsignedTrailer {
        headers.push(("x-amz-sdk-checksum-algorithm".into(), "CRC32".into()));
        headers.push(("x-amz-trailer".into(), "x-amz-checksum-crc32".into()));
    }
    let body_kind = match mode {
        Mode::UnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
        Mode::Signed => SignableBody::Precomputed("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into()),
    };
    let url = format!("http://{host}{path}");
    let signable =
        SignableRequest::new("PUT", &url, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), body_kind).unwrap();
    let (instructions, seed) = sign(signable, &params().into()).unwrap().into_parts();
    let mut body = Vec::new();
    let mut running = seed;
    let mut pieces: Vec<&[u8]> = DATA.chunks(32).collect();
    pieces.push(b"");
    for piece in pieces {
        if mode == Mode::Signed {
            let signature = v4::sign_chunk(&Bytes::copy_from_slice(piece), &running, &params()).unwrap().into_parts().1;
            body.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes());
            running = signature;
        } else {
            body.extend_from_slice(format!("{:X}\r\n", piece.len()).as_bytes());
        }
        if !piece.is_empty() {
            body.extend_from_slice(piece);
            body.extend_from_slice(b"\r\n");
        }
    }
    if mode == Mode::UnsignedTrailer {
        body.extend_from_slice(b"x-amz-checksum-crc32:NSRBwg==\r\n");
    }
    body.extend_from_slice(b"\r\n");
    let mut builder = http::Request::builder().method("PUT").uri(path);
    for (name, value) in &headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let mut request = builder.body(body).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn replace(body: &mut Vec<u8>, from: &[u8], to: &[u8]) {
    let at = body.windows(from.len()).position(|w| w == from).unwrap();
    body.splice(at..at + from.len(), to.iter().copied());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_uploads_are_authenticated_and_forwarded_unchanged() {
    let (up, seen) = upstream().await;
    let server = start(Some(Upstream::parse(&format!("http://{up}")).unwrap())).await;

    // An unsigned-trailer upload (what current SDKs and the AWS CLI v2 send): authorized as
    // s3:PutObject and forwarded with its aws-chunked body and headers as they were.
    for (mode, path) in
        [(Mode::UnsignedTrailer, "/data/uploads/u.bin?x-id=PutObject"), (Mode::Signed, "/data/uploads/s.bin")]
    {
        let request = upload(server.addr, mode, path, T0);
        let sent_headers = request.headers().clone();
        let sent_body = request.body().clone();
        let r = send(server.addr, request).await;
        assert_eq!(r.status, 200, "{mode:?}: {}", r.body);
        let seen = seen.lock().unwrap();
        let (method, uri, headers, body) = seen.last().unwrap();
        assert_eq!((method.as_str(), uri.as_str()), ("PUT", path));
        assert_eq!(body, &sent_body, "{mode:?}: the body reaches the upstream still aws-chunked");
        for name in [
            "authorization",
            "x-amz-content-sha256",
            "x-amz-date",
            "content-encoding",
            "x-amz-decoded-content-length",
            "x-amz-trailer",
        ] {
            assert_eq!(headers.get(name), sent_headers.get(name), "{mode:?}: {name}");
        }
        assert_eq!(headers.get("content-length").unwrap().to_str().unwrap(), sent_body.len().to_string());
    }
    assert_eq!(seen.lock().unwrap()[0].2.get("x-amz-content-sha256").unwrap(), "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    assert_eq!(seen.lock().unwrap().len(), 2);

    // Authorized like any PutObject: not where alice may not write.
    let r = send(server.addr, upload(server.addr, Mode::UnsignedTrailer, "/data/public/u.bin", T0)).await;
    assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{}", r.body);

    // A signed chunk whose data was changed: SignatureDoesNotMatch, never forwarded.
    let mut request = upload(server.addr, Mode::Signed, "/data/uploads/s.bin", T0);
    replace(request.body_mut(), b"lazy", b"LAZY");
    let r = send(server.addr, request).await;
    assert_eq!((r.status, r.tag("Code")), (403, "SignatureDoesNotMatch"), "{}", r.body);
    assert_eq!(r.tag("AWSAccessKeyId"), ALICE_KEY);
    // A truncated unsigned body: IncompleteBody.
    let mut request = upload(server.addr, Mode::UnsignedTrailer, "/data/uploads/u.bin", T0);
    let cut = request.body().len() - 20;
    request.body_mut().truncate(cut);
    let r = send(server.addr, request).await;
    assert_eq!((r.status, r.tag("Code")), (400, "IncompleteBody"), "{}", r.body);
    assert_eq!(seen.lock().unwrap().len(), 2, "refused requests never reach the upstream");

    // S3 takes unsigned streaming bodies only for PutObject and UploadPart.
    let r = send(server.addr, upload(server.addr, Mode::UnsignedTrailer, "/data/uploads/u.bin?tagging", T0)).await;
    assert_eq!((r.status, r.tag("Code")), (400, "InvalidRequest"), "{}", r.body);
    assert_eq!(r.tag("Message"), "The value of x-amz-content-sha256 header is invalid.");
    let r = send(
        server.addr,
        upload(server.addr, Mode::UnsignedTrailer, "/data/uploads/u.bin?partNumber=1&uploadId=abc", T0),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(seen.lock().unwrap().len(), 3);

    // SigV4a streaming stays refused.
    let mut request = upload(server.addr, Mode::Signed, "/data/uploads/s.bin", T0);
    request.headers_mut().insert("x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD".parse().unwrap());
    let r = send(server.addr, request).await;
    assert_eq!((r.status, r.tag("Code")), (501, "NotImplemented"), "{}", r.body);
    assert_eq!(seen.lock().unwrap().len(), 3);
}

/// AWS's published chunked upload (`PUT /examplebucket/chunkObject.txt`, seed signature
/// `4f232c43…`, 64 KiB + 1 KiB of `a`) passes the gateway's authentication and is then decided by
/// policy (bob, whose key it is here, has none); with one chunk changed it fails authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_published_chunked_example_through_the_gateway() {
    let server = start(None).await;
    server.clock.store(EXAMPLE_TIME, Ordering::SeqCst);
    let example = |body: Vec<u8>| {
        http::Request::builder()
            .method("PUT")
            .uri("/examplebucket/chunkObject.txt")
            .header("host", "s3.amazonaws.com")
            .header("x-amz-date", "20130524T000000Z")
            .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            )
            .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
            .header("content-encoding", "aws-chunked")
            .header("x-amz-decoded-content-length", "66560")
            .header("content-length", body.len().to_string())
            .body(body)
            .unwrap()
    };
    let mut body =
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n".to_vec();
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(
        b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
    );
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(
        b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
    );
    assert_eq!(body.len(), 66824);

    let r = send(server.addr, example(body.clone())).await;
    assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{}", r.body);
    assert!(
        r.tag("Message").starts_with(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:PutObject on resource: &quot;arn:aws:s3:::examplebucket/chunkObject.txt&quot;"
        ),
        "{}",
        r.body
    );

    let mut tampered = body;
    tampered[70_000 - 4000] = b'b';
    let r = send(server.addr, example(tampered)).await;
    assert_eq!((r.status, r.tag("Code")), (403, "SignatureDoesNotMatch"), "{}", r.body);
}
