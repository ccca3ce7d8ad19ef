//! The gateway tests' helpers: a server on a loopback socket with the account data of
//! `tests/gateway_data/`, requests signed with AWS's own signer (`aws-sigv4`), a recording
//! upstream.
#![allow(dead_code, unreachable_pub, reason = "each test file uses some of the helpers")]
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
pub const T0: i64 = 1_748_779_200;
pub const ACCOUNT: &str = "111122223333";
pub const ALICE_KEY: &str = "AKIAALICEEXAMPLE0001";
pub const ALICE_SECRET: &str = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP";
pub const BOB_KEY: &str = "AKIABOBEXAMPLE000001";
pub const BOB_SECRET: &str = "bobSecretKeyEXAMPLEbobSecretKeyEXAMPLEbo";
pub const MESSAGE_HEADER: &str = "x-iamspect-authorization-message";

#[derive(Clone, Copy)]
pub struct Key<'a> {
    pub id: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
}

pub const ALICE: Key<'static> = Key { id: ALICE_KEY, secret: ALICE_SECRET, token: None };
pub const BOB: Key<'static> = Key { id: BOB_KEY, secret: BOB_SECRET, token: None };

pub struct Server {
    pub addr: SocketAddr,
    pub clock: Arc<AtomicI64>,
    /// The key that opens the server's encoded authorization messages.
    pub key: Arc<iamspect_explain::encoded::MessageKey>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gateway_data")
}

pub async fn start(upstream: Option<Upstream>) -> Server {
    let dir = data_dir();
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    start_with(state, upstream).await
}

pub async fn start_with(state: AppState, upstream: Option<Upstream>) -> Server {
    start_gateway(state, Gateway::new(upstream)).await
}

pub async fn start_gateway(state: AppState, gateway: Gateway) -> Server {
    state
        .sts()
        .add_credentials(vec![
            Credential::long_term(ALICE_KEY, ALICE_SECRET, format!("arn:aws:iam::{ACCOUNT}:user/alice")),
            Credential::long_term(BOB_KEY, BOB_SECRET, format!("arn:aws:iam::{ACCOUNT}:user/bob")),
            Credential::long_term("AKIACAROLEXAMPLE0001", "carolSecret", format!("arn:aws:iam::{ACCOUNT}:user/carol")),
        ])
        .unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let c = Arc::clone(&clock);
    state.sts().set_clock(move || jiff::Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap());
    state.enable_gateway(gateway).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let key = Arc::clone(state.message_key());
    tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Server { addr, clock, key, stop: Some(stop) }
}

/// A request to be signed: method, path with query, headers, body.
pub struct Req<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
}

impl<'a> Req<'a> {
    pub fn new(method: &'a str, target: &'a str) -> Req<'a> {
        Req { method, target, headers: Vec::new(), body: Vec::new() }
    }

    pub fn header(mut self, name: &'a str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }
}

/// Signs `req` for `service` in us-east-1 at `time` (S3 with S3's signing settings) and turns it
/// into an HTTP request for `addr`.
pub fn signed(
    addr: SocketAddr,
    key: Option<Key<'_>>,
    service: &str,
    req: &Req<'_>,
    time: i64,
) -> http::Request<Vec<u8>> {
    signed_with(addr, key, service, req, time, false)
}

/// [`signed`], or a presigned URL (`presign`).
pub fn signed_with(
    addr: SocketAddr,
    key: Option<Key<'_>>,
    service: &str,
    req: &Req<'_>,
    time: i64,
    presign: bool,
) -> http::Request<Vec<u8>> {
    signed_full(addr, key, service, "us-east-1", req, time, presign)
}

fn signed_full(
    addr: SocketAddr,
    key: Option<Key<'_>>,
    service: &str,
    region: &str,
    req: &Req<'_>,
    time: i64,
    presign: bool,
) -> http::Request<Vec<u8>> {
    let host = req.headers.iter().find(|(n, _)| *n == "host").map_or_else(|| addr.to_string(), |(_, v)| v.clone());
    let url = format!("http://{host}{}", req.target);
    let mut headers: Vec<(&str, String)> = req.headers.iter().filter(|(n, _)| *n != "host").cloned().collect();
    headers.push(("host", host.clone()));
    let mut builder = http::Request::builder().method(req.method).uri(req.target);
    for (name, value) in &headers {
        builder = builder.header(*name, value);
    }
    let mut request = builder.body(req.body.clone()).unwrap();
    let Some(key) = key else { return request };
    let mut settings = SigningSettings::default();
    if service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if presign {
        settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(300));
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    }
    let identity = Credentials::new(key.id, key.secret, key.token.map(str::to_owned), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(time).unwrap()))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        req.method,
        &url,
        headers.iter().map(|(n, v)| (*n, v.as_str())),
        if presign { SignableBody::UnsignedPayload } else { SignableBody::Bytes(&req.body) },
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The text of the first `<name>` element.
    pub fn tag(&self, name: &str) -> &str {
        let open = format!("<{name}>");
        let start = self.body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {}", self.body)) + open.len();
        let end = self.body[start..].find(&format!("</{name}>")).unwrap() + start;
        &self.body[start..end]
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub async fn send(addr: SocketAddr, request: http::Request<Vec<u8>>) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let (parts, body) = request.into_parts();
    let response = sender.send_request(http::Request::from_parts(parts, Full::new(Bytes::from(body)))).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub async fn call(server: &Server, key: Option<Key<'_>>, service: &str, req: Req<'_>) -> Reply {
    let time = server.clock.load(Ordering::SeqCst);
    send(server.addr, signed(server.addr, key, service, &req, time)).await
}

pub fn form(body: &str) -> Req<'_> {
    Req::new("POST", "/").header("content-type", "application/x-www-form-urlencoded; charset=utf-8").body(body)
}

/// What the upstream saw.
pub type Seen = Arc<Mutex<Vec<(String, String, http::HeaderMap, Vec<u8>, u16)>>>;

pub async fn upstream() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let record = Arc::clone(&record);
        async move {
            let (parts, body) = request.into_parts();
            let peer = parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().unwrap().0.port();
            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            record.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.to_string(),
                parts.headers.clone(),
                bytes.to_vec(),
                peer,
            ));
            (http::StatusCode::CREATED, [("x-upstream", "emulator"), ("etag", "\"abc\"")], "stored")
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    (addr, seen)
}

/// The bytes of `request` on the wire (HTTP/1.1, `Connection: close`), headers in order.
pub fn to_raw(request: &http::Request<Vec<u8>>) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method(), request.uri()).into_bytes();
    for (name, value) in request.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n\r\n", request.body().len()).as_bytes());
    out.extend_from_slice(request.body());
    out
}

/// Sends raw bytes and reads the answer to the end (the request must say `Connection: close`).
pub async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut headers = http::HeaderMap::new();
    for line in lines {
        if let Some((n, v)) = line.split_once(": ")
            && let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(n.as_bytes()), http::HeaderValue::from_str(v))
        {
            headers.append(n, v);
        }
    }
    Reply { status, headers, body: body.to_string() }
}

/// A request signed for `region` (else as [`signed`]).
pub fn signed_in(
    addr: SocketAddr,
    key: Key<'_>,
    service: &str,
    region: &str,
    req: &Req<'_>,
    time: i64,
) -> http::Request<Vec<u8>> {
    signed_full(addr, Some(key), service, region, req, time, false)
}
