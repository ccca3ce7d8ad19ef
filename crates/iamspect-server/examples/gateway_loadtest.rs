//! A load test of gateway mode (see `docs/performance.md`, "Gateway"): a signed S3 `GetObject`.
//!
//! Starts `iamspect serve --gateway` in process on 127.0.0.1 (its own runtime with `--server-threads`
//! worker threads, no upstream, the account data of `tests/gateway_data/`), signs one S3
//! `GetObject` with AWS's signer (`aws-sigv4`, header signature, signed payload hash), and sends it
//! over `--connections` keep-alive HTTP/1.1 connections until `--requests` requests were sent or
//! `--duration` seconds passed, whichever comes first. Every request is verified (SigV4, HMAC
//! chain and all), mapped, and decided again by the server; nothing is cached across requests but
//! compiled policies. Every answer must be the expected one (200 allowed, or with `--deny` 403
//! `AccessDenied` with the encoded message header); anything else counts as an error.
//!
//! ```sh
//! cargo run --release -p iamspect-server --example gateway_loadtest -- --connections 16 --requests 300000 --duration 10
//! cargo run --release -p iamspect-server --example gateway_loadtest -- --deny
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "load test tool")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use iamspect_auth::Credential;
use iamspect_server::gateway::Gateway;
use iamspect_server::{AppState, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "AKIAALICEEXAMPLE0001";
const SECRET: &str = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP";

struct Options {
    connections: usize,
    requests: u64,
    duration: u64,
    threads: usize,
    server_threads: usize,
    deny: bool,
}

fn options() -> Options {
    let mut o =
        Options { connections: 16, requests: 300_000, duration: 10, threads: 1, server_threads: 2, deny: false };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--connections" => o.connections = value().parse().expect("--connections N"),
            "--requests" => o.requests = value().parse().expect("--requests N"),
            "--duration" => o.duration = value().parse().expect("--duration SECONDS"),
            "--threads" => o.threads = value().parse().expect("--threads N"),
            "--server-threads" => o.server_threads = value().parse().expect("--server-threads N"),
            "--deny" => {
                o.deny = true;
                i += 1;
                continue;
            }
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    assert!(o.duration <= 60, "--duration is capped at 60 s");
    o
}

/// Starts the gateway on a free loopback port, on its own runtime; returns the address.
fn start_server(threads: usize) -> SocketAddr {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gateway_data");
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    state
        .sts()
        .add_credentials(vec![Credential::long_term(KEY, SECRET, "arn:aws:iam::111122223333:user/alice")])
        .unwrap();
    state.enable_gateway(Gateway::new(None)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            iamspect_server::serve(listener, state, std::future::pending()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The raw bytes of one signed S3 GetObject.
fn signed_request(addr: SocketAddr, path: &str) -> Vec<u8> {
    let host = addr.to_string();
    let url = format!("http://{host}{path}");
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let identity = Credentials::new(KEY, SECRET, None, None, "loadtest").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers = [("host", host.as_str()), ("user-agent", "iamspect-gateway-loadtest")];
    let signable = SignableRequest::new("GET", &url, headers.iter().copied(), SignableBody::Bytes(b"")).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method("GET").uri(path);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let mut request = request.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let mut out = format!("GET {path} HTTP/1.1\r\n");
    for (k, v) in request.headers() {
        out.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn main() {
    let o = options();
    let addr = start_server(o.server_threads);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(o.threads).enable_all().build().unwrap();
    rt.block_on(run(o, addr));
}

async fn run(o: Options, addr: SocketAddr) {
    let path = if o.deny { "/data/private/report.csv" } else { "/data/public/report.csv" };
    let request = Arc::new(signed_request(addr, path));
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(o.duration);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.connections {
        let (request, sent, errors) = (Arc::clone(&request), Arc::clone(&sent), Arc::clone(&errors));
        let (limit, deny) = (o.requests, o.deny);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let mut buf = Vec::with_capacity(16 * 1024);
            while Instant::now() < deadline && sent.fetch_add(1, Ordering::Relaxed) < limit {
                let t = Instant::now();
                match exchange(&mut stream, &request, &mut buf).await {
                    Ok((status, head, body)) if check(deny, status, &head, &body) => {
                        latencies.push(t.elapsed());
                    }
                    Ok((status, _, body)) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("unexpected answer {status}: {}", String::from_utf8_lossy(&body));
                        }
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("error: {e}");
                        break;
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    let ok = latencies.len();
    println!(
        "gateway {}: {} connections, {ok} answers in {elapsed:.2} s = {:.0} requests/s, errors {}, latency p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        if o.deny { "denied S3 GetObject" } else { "allowed S3 GetObject" },
        o.connections,
        ok as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
    );
}

fn check(deny: bool, status: u16, head: &str, body: &[u8]) -> bool {
    let body = String::from_utf8_lossy(body);
    if deny {
        status == 403
            && body.contains("<Code>AccessDenied</Code>")
            && head.to_ascii_lowercase().contains("x-iamspect-authorization-message: iamspect2.")
    } else {
        status == 200 && body.contains("\"allowed\":true")
    }
}

/// Writes one request and reads one answer (status, head, body), with a 10 s limit.
async fn exchange(s: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> Result<(u16, String, Vec<u8>), String> {
    let io = async {
        s.write_all(request).await.map_err(|e| format!("write: {e}"))?;
        buf.clear();
        let mut chunk = [0u8; 16384];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..end]).map_err(|_| "answer head is not UTF-8".to_string())?;
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| format!("bad status line: {head}"))?;
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .ok_or_else(|| "answer without content-length".to_string())?;
                let head = head.to_string();
                while buf.len() < end + 4 + length {
                    let n = s.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
                    if n == 0 {
                        return Err("connection closed mid-answer".to_string());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                return Ok((status, head, buf[end + 4..end + 4 + length].to_vec()));
            }
            let n = s.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed".to_string());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), io).await.map_err(|_| "no answer within 10 s".to_string())?
}
