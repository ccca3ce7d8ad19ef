//! A load test of `POST /v1/authorize` (see `docs/performance.md` and `scripts/loadtest.sh`).
//!
//! Sends the realistic request of `crates/iamspect-core/benches/fixtures/realistic/` (an
//! assumed-role session with principal tags, 10 identity policies, two SCP levels, a permissions
//! boundary and a bucket policy; allowed) over `--connections` keep-alive HTTP/1.1 connections to
//! a server on loopback, until `--requests` requests were sent or `--duration` seconds passed,
//! whichever comes first. Every answer must be `200` with `{"decision": "allowed", "deniedBy": []}`;
//! anything else counts as an error. Prints requests per second and latency percentiles.
//!
//! ```sh
//! cargo run --release -p iamspect-server --example loadtest -- --addr 127.0.0.1:8080 \
//!     --connections 16 --requests 500000 --duration 20
//! cargo run --release -p iamspect-server --example loadtest -- --breakdown   # no server: where a request's time goes
//! cargo run --release -p iamspect-server --example loadtest -- --print-body  # the body, for wrk
//! ```
//!
//! Options: `--vary` makes every body unique (a numbered `description`), so the server's cache of
//! whole cases misses and only its policy cache helps; `--threads N` sets the load generator's
//! worker threads (default 1; `scripts/loadtest.sh` uses 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "load test tool")]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DIR: &str = "../../iamspect-core/benches/fixtures/realistic/";

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../iamspect-core/benches/fixtures/realistic/", $name))
    };
}

const IDENTITY: [&str; 10] = [
    fixture!("identity-01-team-data.json"),
    fixture!("identity-02-observability.json"),
    fixture!("identity-03-reports.json"),
    fixture!("identity-04-kms.json"),
    fixture!("identity-05-secrets.json"),
    fixture!("identity-06-dynamodb.json"),
    fixture!("identity-07-shared-data.json"),
    fixture!("identity-08-sensitive.json"),
    fixture!("identity-09-ec2.json"),
    fixture!("identity-10-team-read.json"),
];
const SCP_FULL_AWS_ACCESS: &str = fixture!("scp-full-aws-access.json");
const SCP_REGION_GUARDRAIL: &str = fixture!("scp-region-guardrail.json");
const PERMISSIONS_BOUNDARY: &str = fixture!("permissions-boundary.json");
const BUCKET_POLICY: &str = fixture!("bucket-policy.json");

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The realistic case, as the bench builds it (`crates/iamspect-core/benches/authorize.rs`).
fn realistic_case() -> String {
    let full = doc(SCP_FULL_AWS_ACCESS);
    let case = json!({
        "principal": {
            "arn": "arn:aws:sts::111122223333:assumed-role/Dev/alice",
            "tags": {"team": "payments", "env": "prod", "cost-center": "cc-4410"},
        },
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::example-corp-data/payments/reports/2025/06/summary.csv",
        "context": {
            "aws:SecureTransport": "true",
            "aws:MultiFactorAuthPresent": "true",
            "aws:MultiFactorAuthAge": "1200",
            "aws:SourceIp": "203.0.113.42",
            "aws:CurrentTime": "2025-06-15T10:30:00Z",
            "aws:EpochTime": "1749983400",
            "aws:RequestedRegion": "eu-west-1",
            "aws:PrincipalOrgID": "o-a1b2c3d4e5",
            "aws:UserAgent": "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64",
            "s3:authType": "REST-HEADER",
            "s3:signatureversion": "AWS4-HMAC-SHA256",
            "s3:TlsVersion": "1.3",
        },
        "identityPolicies": IDENTITY.iter().map(|t| doc(t)).collect::<Vec<_>>(),
        "scps": [[full.clone()], [full, doc(SCP_REGION_GUARDRAIL)]],
        "permissionsBoundary": doc(PERMISSIONS_BOUNDARY),
        "resourcePolicy": doc(BUCKET_POLICY),
    });
    case.to_string()
}

struct Options {
    addr: SocketAddr,
    connections: usize,
    requests: u64,
    duration: Duration,
    vary: bool,
    threads: usize,
    breakdown: bool,
    print_body: bool,
}

fn options() -> Options {
    let mut o = Options {
        addr: "127.0.0.1:8080".parse().unwrap(),
        connections: 16,
        requests: 200_000,
        duration: Duration::from_secs(20),
        vary: false,
        threads: 1,
        breakdown: false,
        print_body: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--addr" => o.addr = value().parse().expect("--addr: an IP:port"),
            "--connections" => o.connections = value().parse().expect("--connections: a number"),
            "--requests" => o.requests = value().parse().expect("--requests: a number"),
            "--duration" => o.duration = Duration::from_secs_f64(value().parse().expect("--duration: seconds")),
            "--threads" => o.threads = value().parse().expect("--threads: a number"),
            "--vary" => o.vary = true,
            "--breakdown" => o.breakdown = true,
            "--print-body" => o.print_body = true,
            other => panic!("unknown option {other}"),
        }
    }
    assert!(o.addr.ip().is_loopback(), "the load test only targets loopback, not {}", o.addr);
    assert!(o.duration <= Duration::from_secs(300), "--duration is capped at 300 s");
    assert!(o.connections >= 1 && o.threads >= 1);
    o
}

fn main() {
    let o = options();
    if o.print_body {
        println!("{}", realistic_case());
        return;
    }
    if o.breakdown {
        breakdown();
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(o.threads).enable_all().build().unwrap();
    runtime.block_on(run(o));
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

async fn run(o: Options) {
    let body = Arc::new(realistic_case());
    eprintln!(
        "loadtest: {} connections, at most {} requests and {:.0} s, body {} bytes{}, generator on {} thread(s)",
        o.connections,
        o.requests,
        o.duration.as_secs_f64(),
        body.len(),
        if o.vary { " (unique per request)" } else { "" },
        o.threads
    );
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + o.duration;
    let mut tasks = Vec::new();
    for _ in 0..o.connections {
        let (next, body, addr, total, vary) = (Arc::clone(&next), Arc::clone(&body), o.addr, o.requests, o.vary);
        tasks.push(tokio::spawn(async move { connection(addr, next, total, deadline, body, vary).await }));
    }
    let mut all = Tally::default();
    for t in tasks {
        let tally = t.await.unwrap();
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
        all.first_error = all.first_error.or(tally.first_error);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let ok = all.latencies_us.len() as u64;
    all.latencies_us.sort_unstable();
    let pct = |p: f64| {
        if all.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((all.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(all.latencies_us[i]) / 1000.0
    };
    println!(
        "requests {} ok {} errors {} in {:.2} s: {:.0} requests/s; latency ms p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
        ok + all.errors,
        ok,
        all.errors,
        elapsed,
        ok as f64 / elapsed,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    if let Some(e) = all.first_error {
        println!("first error: {e}");
        std::process::exit(1);
    }
}

/// One keep-alive connection: request, answer, next request.
async fn connection(
    addr: SocketAddr,
    next: Arc<AtomicU64>,
    total: u64,
    deadline: Instant,
    body: Arc<String>,
    vary: bool,
) -> Tally {
    let mut tally = Tally::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(4096);
    let mut request = Vec::with_capacity(body.len() + 256);
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total || Instant::now() >= deadline {
            break;
        }
        let varied;
        let body: &str = if vary {
            // The same case with a numbered description in front: cheap to make, unique.
            varied = format!("{{\"description\":\"loadtest request {n}\",{}", &body[1..]);
            &varied
        } else {
            &body
        };
        request.clear();
        request.extend_from_slice(
            format!(
                "POST /v1/authorize HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        request.extend_from_slice(body.as_bytes());
        let sent = Instant::now();
        let answer = match stream.as_mut() {
            Some(s) => exchange(s, &request, &mut buf).await,
            None => match TcpStream::connect(addr).await {
                Ok(s) => {
                    s.set_nodelay(true).ok();
                    exchange(stream.insert(s), &request, &mut buf).await
                }
                Err(e) => Err(format!("connect: {e}")),
            },
        };
        let verdict = answer.and_then(|(status, body)| check(status, &body));
        match verdict {
            Ok(()) => tally.latencies_us.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
                stream = None;
            }
        }
    }
    tally
}

fn check(status: u16, body: &[u8]) -> Result<(), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("answer is not JSON: {e}"))?;
    if status == 200 && v["decision"] == "allowed" && v["deniedBy"] == json!([]) {
        Ok(())
    } else {
        Err(format!("status {status}, answer {v}"))
    }
}

/// Writes one request and reads one answer (status and body), with a 10 s limit.
async fn exchange(s: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> Result<(u16, Vec<u8>), String> {
    let io = async {
        s.write_all(request).await.map_err(|e| format!("write: {e}"))?;
        buf.clear();
        let mut chunk = [0u8; 8192];
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
                while buf.len() < end + 4 + length {
                    let n = s.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
                    if n == 0 {
                        return Err("connection closed mid-answer".to_string());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                return Ok((status, buf[end + 4..end + 4 + length].to_vec()));
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

/// Where a request's time goes, measured in process (no HTTP): each step the server takes for
/// `/v1/authorize`, timed over many iterations.
fn breakdown() {
    use iamspect_case::Compiler;
    let body = realistic_case();
    let n = 5_000u32;
    let time = |label: &str, f: &mut dyn FnMut()| {
        for _ in 0..n / 10 {
            f();
        }
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        println!("{label:<58} {:>8.2} µs", t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    };
    let base = Path::new(DIR);
    println!("body: {} bytes", body.len());
    time("serde_json: validate the body as RawValue (the extractor)", &mut || {
        std::hint::black_box(serde_json::from_str::<Box<serde_json::value::RawValue>>(&body).unwrap());
    });
    time("serde_json: parse the body to a Value (the route's check)", &mut || {
        std::hint::black_box(serde_json::from_str::<Value>(&body).unwrap());
    });
    time("build the case, cold: parse and compile 14 policies", &mut || {
        let mut c = Compiler::new();
        std::hint::black_box(iamspect_case::case_from_str(0, &body, base, &mut c).unwrap());
    });
    let mut warm = Compiler::new();
    time("build the case, policies already compiled (policy cache)", &mut || {
        std::hint::black_box(iamspect_case::case_from_str(0, &body, base, &mut warm).unwrap());
    });
    let cache = iamspect_server::cache::CaseCache::default();
    let case = Arc::new(iamspect_case::case_from_str(0, &body, base, &mut warm).unwrap());
    cache.insert(&body, Arc::clone(&case));
    time("look the body up in the case cache (hash and compare)", &mut || {
        std::hint::black_box(cache.get(&body).unwrap());
    });
    time("decide: iamspect_case::run (authorize)", &mut || {
        std::hint::black_box(iamspect_case::run(&case));
    });
    let answer = json!({"decision": "allowed", "deniedBy": Vec::<&str>::new()});
    time("serialize the answer", &mut || {
        std::hint::black_box(serde_json::to_vec(&answer).unwrap());
    });
}
