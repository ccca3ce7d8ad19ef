//! Limits over a real socket on loopback: long work runs on the bounded pool under the request's
//! deadline (408 near it, the work cancelled, `/healthz` prompt meanwhile), a full queue is a 503,
//! slow header fields are cut off, and oversized requests are refused at once with a
//! `{code, message}` body. Times are measured with `Instant` and asserted generously.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use iamspect_server::{AppState, PoolLimits, ServeOptions, Settings, serve_with};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running server, stopped when dropped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(settings: Settings, options: ServeOptions) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_with(listener, AppState::new(settings), options, async {
        let _ = stopped.await;
    }));
    Server { addr, stop: Some(stop) }
}

/// Writes `head` (and `body`) on a new connection and reads the answer to its end: the status,
/// the head and the body.
async fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), rest.to_string())
}

async fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, Value) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (status, _, body) = exchange(addr, &head, body.as_bytes()).await;
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{status}: {e}: {body:.300}")))
}

async fn get(addr: SocketAddr, path: &str) -> (u16, Value) {
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let (status, _, body) = exchange(addr, &head, b"").await;
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{status}: {e}: {body:.300}")))
}

/// An explanation that takes seconds: identity policies (about 900 KB per set, each policy under
/// IAM's quota) whose thousands of `Deny` statements all apply (a debug build takes seconds per policy; a release build needs
/// more of them).
fn slow_explain() -> String {
    let statements: Vec<String> = (0..6400)
        .map(|i| {
            format!(
                r#"{{"Sid": "D{i}", "Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::logs/*", "arn:aws:s3:::b{i}/*"]}}"#
            )
        })
        .collect();
    // Policies under IAM's 6,144-character quota for inline identity policies (D45).
    let one_set: Vec<String> = statements
        .chunks(36)
        .map(|chunk| format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, chunk.join(", ")))
        .collect();
    let copies = if cfg!(debug_assertions) { 1 } else { 12 };
    let policies = vec![one_set.join(", "); copies].join(", ");
    format!(
        r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::logs/a", "identityPolicies": [{policies}]}}"#
    )
}

const QUICK_EXPLAIN: &str = r#"{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::logs/a", "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]}"#;

/// The tests that keep the cores busy run one at a time, so that their times mean something on a
/// small machine.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn settings(timeout: Duration) -> Settings {
    Settings { timeout, body_limit: 16 << 20 }
}

fn options(workers: usize, queue: usize) -> ServeOptions {
    ServeOptions { pool: PoolLimits { workers, queue }, ..ServeOptions::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_work_times_out_near_the_deadline_and_healthz_stays_prompt() {
    let _one_at_a_time = HEAVY.lock().await;
    let timeout = Duration::from_millis(1500);
    let server = start(settings(timeout), options(2, 16)).await;
    let addr = server.addr;
    let body = slow_explain();
    let started = Instant::now();
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move {
                let (status, answer) = post(addr, "/v1/explain", &body).await;
                (status, answer, started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut slowest = Duration::ZERO;
    while started.elapsed() < timeout - Duration::from_millis(200) {
        let t = Instant::now();
        let (status, health) = get(addr, "/healthz").await;
        assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(slowest < Duration::from_secs(1), "/healthz took {slowest:?} while two explanations ran");
    for task in slow {
        let (status, answer, elapsed) = task.await.unwrap();
        assert_eq!((status, answer["code"].as_str()), (408, Some("RequestTimeout")), "{answer:.300}");
        assert!(answer["message"].is_string());
        assert!(elapsed >= timeout - Duration::from_millis(100), "408 before the deadline: {elapsed:?}");
        assert!(elapsed < timeout + Duration::from_millis(1500), "408 long after the deadline: {elapsed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_work_stops_and_frees_its_worker() {
    // One worker: if the abandoned explanation kept running, the next request would wait behind
    // it past its own deadline.
    let _one_at_a_time = HEAVY.lock().await;
    let timeout = Duration::from_millis(1500);
    let server = start(settings(timeout), options(1, 16)).await;
    let (status, answer) = post(server.addr, "/v1/explain", &slow_explain()).await;
    assert_eq!((status, answer["code"].as_str()), (408, Some("RequestTimeout")));
    let t = Instant::now();
    let (status, answer) = post(server.addr, "/v1/explain", QUICK_EXPLAIN).await;
    assert_eq!(status, 200, "{answer:.300}");
    assert!(t.elapsed() < timeout, "the next request waited {:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_answered_503_at_once() {
    let _one_at_a_time = HEAVY.lock().await;
    let server = start(settings(Duration::from_secs(2)), options(1, 1)).await;
    let addr = server.addr;
    let body = slow_explain();
    let running = {
        let body = body.clone();
        tokio::spawn(async move { post(addr, "/v1/explain", &body).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = tokio::spawn(async move { post(addr, "/v1/explain", &body).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let (status, answer) = post(addr, "/v1/explain", QUICK_EXPLAIN).await;
    assert_eq!((status, answer["code"].as_str()), (503, Some("ServiceUnavailable")), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(1), "the 503 took {:?}", t.elapsed());
    // The two slow ones end at their deadline; the queued one waited for the worker under it.
    for task in [running, waiting] {
        let (status, answer) = task.await.unwrap();
        assert_eq!((status, answer["code"].as_str()), (408, Some("RequestTimeout")));
    }
    // /healthz never queues.
    assert_eq!(get(addr, "/healthz").await.0, 200);
}

#[tokio::test]
async fn slow_header_fields_are_cut_off() {
    let header_read_timeout = Duration::from_millis(500);
    let server = start(Settings::default(), ServeOptions { header_read_timeout, ..ServeOptions::default() }).await;
    let started = Instant::now();
    let mut connections = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        connections.push(stream);
    }
    for mut stream in connections {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a connection that never finished its header fields stayed open");
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= header_read_timeout - Duration::from_millis(50), "closed too early: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "closed late: {elapsed:?}");
    // The server still answers.
    assert_eq!(get(server.addr, "/healthz").await.0, 200);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_at_once() {
    let server = start(Settings::default(), ServeOptions::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let t = Instant::now();
    let head =
        "POST /v1/explain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    // No body follows: the answer comes from the header alone.
    let mut buf = vec![0; 4096];
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains('}') {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed without an answer");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(t.elapsed() < Duration::from_secs(1), "the 413 took {:?}", t.elapsed());
    let text = String::from_utf8_lossy(&got);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["code"], "PayloadTooLarge");
}

#[tokio::test]
async fn oversized_targets_and_header_fields_get_json_errors() {
    let server = start(Settings::default(), ServeOptions::default()).await;
    let addr = server.addr;
    let long = "a".repeat(20 * 1024);
    let (status, _, body) =
        exchange(addr, &format!("GET /v1/{long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), b"").await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["code"].as_str()), (414, Some("URITooLong")));

    let many: String = (0..150).map(|i| format!("X-Field-{i}: {i}\r\n")).collect();
    let (status, _, body) =
        exchange(addr, &format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"), b"").await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["code"].as_str()), (431, Some("RequestHeaderFieldsTooLarge")));

    let big = "b".repeat(40 * 1024);
    let (status, _, body) =
        exchange(addr, &format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"), b"")
            .await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["code"].as_str()), (431, Some("RequestHeaderFieldsTooLarge")));

    // What hyper answers itself, without a body (documented in the OpenAPI document): a target of
    // 64 KiB or more, and a request line it cannot parse.
    let huge = "a".repeat(70 * 1024);
    let (status, _, body) =
        exchange(addr, &format!("GET /{huge} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), b"").await;
    assert_eq!((status, body.as_str()), (414, ""));
    let (status, _, _) = exchange(addr, "NOT A REQUEST\r\n\r\n", b"").await;
    assert_eq!(status, 400);
}
