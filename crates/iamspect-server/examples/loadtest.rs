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
//! Options: `--vary MODE` makes every body unique, so the server's cache of whole cases misses
//! (request `n` gets number `n`, so no body repeats within a run):
//!
//! - `request`: a different caller session name (`assumed-role/Dev/alice-n`), object key
//!   (`.../summary-n.csv`), source IP (`203.0.113.x`) and `aws:UserAgent`, the same 14 policies:
//!   the CI/emulator pattern;
//! - `policy`: as `request`, and the bucket policy differs too (a numbered `Id`): one of the 14
//!   policies is new on every request;
//! - `policies`: as `request`, and every policy differs (a numbered `Id` in each): nothing can
//!   come from a cache;
//! - `description`: a numbered `description` only (the first varied mode).
//!
//! `--by-reference` sends the policies once (`POST /v1/policies`, before the run) and then names
//! each by its id (`"policy:sha256:<hex>"` of its text): the body of `--vary request` shrinks from
//! 14 KB to about 1.4 KB (with `--vary request`, `none` or `description` only: the other modes
//! vary the policies themselves).
//!
//! Every answer must still be `allowed`. `--threads N` sets the load generator's worker threads
//! (default 1; `scripts/loadtest.sh` uses 2). `--server-pid PID` also prints the CPU time the
//! server and the generator used per request (Linux: `/proc/PID/stat`, in ticks of 10 ms), which
//! depends less on what else the machine runs than requests per second do.

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
    case_value(Vary::None).to_string()
}

/// Which parts of the body change from request to request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vary {
    None,
    Description,
    Request,
    Policy,
    Policies,
}

/// Where a varied body takes the request's number.
const N: &str = "@@N@@";
/// Where a varied body takes the last byte of the request's source IP.
const IP: &str = "@@IP@@";

/// The realistic case, with [`N`] and [`IP`] where `vary` puts the request's number.
fn case_value(vary: Vary) -> Value {
    let request = !matches!(vary, Vary::None | Vary::Description);
    let numbered = |plain: &str, varied: String| if request { varied } else { plain.to_string() };
    let with_id = |text: &str, which: &str, on: bool| {
        let mut d = doc(text);
        if on && let Some(obj) = d.as_object_mut() {
            obj.insert("Id".to_string(), json!(format!("loadtest-{N}-{which}")));
        }
        d
    };
    let all = vary == Vary::Policies;
    let full = |which: &str| with_id(SCP_FULL_AWS_ACCESS, which, all);
    let mut case = json!({
        "principal": {
            "arn": numbered("arn:aws:sts::111122223333:assumed-role/Dev/alice", format!("arn:aws:sts::111122223333:assumed-role/Dev/alice-{N}")),
            "tags": {"team": "payments", "env": "prod", "cost-center": "cc-4410"},
        },
        "action": "s3:GetObject",
        "resource": numbered(
            "arn:aws:s3:::example-corp-data/payments/reports/2025/06/summary.csv",
            format!("arn:aws:s3:::example-corp-data/payments/reports/2025/06/summary-{N}.csv"),
        ),
        "context": {
            "aws:SecureTransport": "true",
            "aws:MultiFactorAuthPresent": "true",
            "aws:MultiFactorAuthAge": "1200",
            "aws:SourceIp": numbered("203.0.113.42", format!("203.0.113.{IP}")),
            "aws:CurrentTime": "2025-06-15T10:30:00Z",
            "aws:EpochTime": "1749983400",
            "aws:RequestedRegion": "eu-west-1",
            "aws:PrincipalOrgID": "o-a1b2c3d4e5",
            "aws:UserAgent": numbered(
                "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64",
                format!("aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64 loadtest/{N}"),
            ),
            "s3:authType": "REST-HEADER",
            "s3:signatureversion": "AWS4-HMAC-SHA256",
            "s3:TlsVersion": "1.3",
        },
        "identityPolicies": IDENTITY.iter().enumerate().map(|(i, t)| with_id(t, &format!("identity{i}"), all)).collect::<Vec<_>>(),
        "scps": [[full("scp0")], [full("scp1"), with_id(SCP_REGION_GUARDRAIL, "guardrail", all)]],
        "permissionsBoundary": with_id(PERMISSIONS_BOUNDARY, "boundary", all),
        "resourcePolicy": with_id(BUCKET_POLICY, "bucket", matches!(vary, Vary::Policy | Vary::Policies)),
    });
    if vary == Vary::Description
        && let Some(obj) = case.as_object_mut()
    {
        obj.insert("description".to_string(), json!(format!("loadtest request {N}")));
    }
    case
}

/// Replaces every policy document of `case` by its id (the SHA-256 of its text as serialized
/// here) and returns the texts, to register first.
fn by_reference(case: &mut Value) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut texts = Vec::new();
    let mut swap = |v: &mut Value| {
        if v.is_object() {
            let text = v.to_string();
            let digest = Sha256::digest(text.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            *v = json!(format!("policy:sha256:{hex}"));
            texts.push(text);
        }
    };
    let obj = case.as_object_mut().unwrap();
    for (key, value) in obj.iter_mut() {
        match key.as_str() {
            "identityPolicies" | "sessionPolicies" => value.as_array_mut().unwrap().iter_mut().for_each(&mut swap),
            "scps" | "rcps" => value
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .flat_map(|l| l.as_array_mut().unwrap().iter_mut())
                .for_each(&mut swap),
            "resourcePolicy" | "permissionsBoundary" | "vpcEndpointPolicy" => swap(value),
            _ => {}
        }
    }
    texts
}

/// A varied body, cut where the request's numbers go: `parts[0] num parts[1] num ...`.
struct Template {
    parts: Vec<(String, Option<&'static str>)>,
    /// With `--by-reference`: the policy texts the body names by id.
    texts: Vec<String>,
}

impl Template {
    fn new(vary: Vary, by_ref: bool) -> Template {
        let mut case = case_value(vary);
        let texts = if by_ref { by_reference(&mut case) } else { Vec::new() };
        let text = case.to_string();
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        loop {
            let next = [N, IP].iter().filter_map(|m| rest.find(m).map(|i| (i, *m))).min();
            match next {
                Some((i, marker)) => {
                    parts.push((rest[..i].to_string(), Some(marker)));
                    rest = &rest[i + marker.len()..];
                }
                None => {
                    parts.push((rest.to_string(), None));
                    break;
                }
            }
        }
        Template { parts, texts }
    }

    /// The length of the body of request `n`.
    fn len(&self, n: u64) -> usize {
        let digits = |x: u64| x.checked_ilog10().unwrap_or(0) as usize + 1;
        let numbers = |m: &str| self.parts.iter().filter(|(_, marker)| *marker == Some(m)).count();
        self.parts.iter().map(|(t, _)| t.len()).sum::<usize>()
            + numbers(N) * digits(n)
            + numbers(IP) * digits(n % 254 + 1)
    }

    /// The body of request `n`, written into `out`.
    fn write(&self, n: u64, out: &mut Vec<u8>) {
        use std::io::Write;
        for (text, marker) in &self.parts {
            out.extend_from_slice(text.as_bytes());
            match *marker {
                Some(N) => write!(out, "{n}").unwrap(),
                Some(_) => write!(out, "{}", n % 254 + 1).unwrap(),
                None => {}
            }
        }
    }
}

struct Options {
    addr: SocketAddr,
    connections: usize,
    requests: u64,
    duration: Duration,
    vary: Vary,
    threads: usize,
    breakdown: bool,
    print_body: bool,
    server_pid: Option<u32>,
    by_reference: bool,
}

fn options() -> Options {
    let mut o = Options {
        addr: "127.0.0.1:8080".parse().unwrap(),
        connections: 16,
        requests: 200_000,
        duration: Duration::from_secs(20),
        vary: Vary::None,
        threads: 1,
        breakdown: false,
        print_body: false,
        server_pid: None,
        by_reference: false,
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
            "--vary" => {
                o.vary = match value().as_str() {
                    "request" => Vary::Request,
                    "policy" => Vary::Policy,
                    "policies" => Vary::Policies,
                    "description" => Vary::Description,
                    other => panic!("--vary: request, policy, policies or description, not {other}"),
                }
            }
            "--breakdown" => o.breakdown = true,
            "--server-pid" => o.server_pid = Some(value().parse().expect("--server-pid: a process id")),
            "--print-body" => o.print_body = true,
            "--by-reference" => o.by_reference = true,
            other => panic!("unknown option {other}"),
        }
    }
    assert!(o.addr.ip().is_loopback(), "the load test only targets loopback, not {}", o.addr);
    assert!(o.duration <= Duration::from_secs(300), "--duration is capped at 300 s");
    assert!(o.connections >= 1 && o.threads >= 1);
    assert!(
        !o.by_reference || matches!(o.vary, Vary::None | Vary::Description | Vary::Request),
        "--by-reference: with --vary request or description (or none); the other modes vary the policies"
    );
    o
}

fn main() {
    let o = options();
    if o.print_body {
        if o.by_reference {
            let mut case = case_value(Vary::None);
            by_reference(&mut case);
            println!("{case}");
        } else {
            println!("{}", realistic_case());
        }
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
    let template = Arc::new(Template::new(o.vary, o.by_reference));
    if o.by_reference {
        register(o.addr, &template.texts).await;
    }
    for n in [0, 9, 10, 253, 254, 99_999, 1_000_000] {
        let mut b = Vec::new();
        template.write(n, &mut b);
        assert_eq!(b.len(), template.len(n), "the body length of request {n}");
    }
    let mut first = Vec::new();
    template.write(0, &mut first);
    eprintln!(
        "loadtest: {} connections, at most {} requests and {:.0} s, body {} bytes{}, generator on {} thread(s)",
        o.connections,
        o.requests,
        o.duration.as_secs_f64(),
        first.len(),
        match o.vary {
            Vary::None => String::new(),
            v => format!(" (unique per request: --vary {})", format!("{v:?}").to_lowercase()),
        } + if o.by_reference { ", policies by reference" } else { "" },
        o.threads
    );
    let cpu_before = (o.server_pid.map(cpu_seconds), cpu_seconds_self());
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + o.duration;
    let mut tasks = Vec::new();
    for _ in 0..o.connections {
        let (next, template, addr, total) = (Arc::clone(&next), Arc::clone(&template), o.addr, o.requests);
        tasks.push(tokio::spawn(async move { connection(addr, next, total, deadline, template).await }));
    }
    let mut all = Tally::default();
    for t in tasks {
        let tally = t.await.unwrap();
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
        all.first_error = all.first_error.or(tally.first_error);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu_after = (o.server_pid.map(cpu_seconds), cpu_seconds_self());
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
    if let (Some(Some(before)), Some(Some(after)), Some(g0), Some(g1)) =
        (cpu_before.0, cpu_after.0, cpu_before.1, cpu_after.1)
    {
        let per = |seconds: f64| seconds * 1e6 / (ok.max(1) as f64);
        println!(
            "cpu: server {:.1} µs/request ({:.2} cores), generator {:.1} µs/request ({:.2} cores)",
            per(after - before),
            (after - before) / elapsed,
            per(g1 - g0),
            (g1 - g0) / elapsed
        );
    }
    if let Some(e) = all.first_error {
        println!("first error: {e}");
        std::process::exit(1);
    }
}

/// Sends the policy texts to `POST /v1/policies` before the run.
async fn register(addr: SocketAddr, texts: &[String]) {
    let body = json!({ "policies": texts }).to_string();
    let request = format!(
        "POST /v1/policies HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(addr).await.expect("connect to register the policies");
    let (status, answer) = exchange(&mut s, request.as_bytes(), &mut Vec::new()).await.unwrap();
    assert_eq!(status, 200, "registering the policies: {}", String::from_utf8_lossy(&answer));
    let ids: Value = serde_json::from_slice(&answer).unwrap();
    eprintln!("loadtest: registered {} policies ({} ids)", texts.len(), ids["ids"].as_array().map_or(0, Vec::len));
}

/// User and system CPU time of a process so far, in seconds (`/proc/PID/stat`, ticks of 10 ms).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn cpu_seconds_self() -> Option<f64> {
    cpu_seconds(std::process::id())
}

/// One keep-alive connection: request, answer, next request.
async fn connection(
    addr: SocketAddr,
    next: Arc<AtomicU64>,
    total: u64,
    deadline: Instant,
    template: Arc<Template>,
) -> Tally {
    let mut tally = Tally::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(4096);
    let mut request = Vec::with_capacity(16 << 10);
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total || Instant::now() >= deadline {
            break;
        }
        request.clear();
        {
            use std::io::Write;
            write!(
                request,
                "POST /v1/authorize HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                template.len(n)
            )
            .unwrap();
        }
        template.write(n, &mut request);
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
    // What the server writes for an allowed request; anything else is read to say what it is.
    if status == 200 && body == br#"{"decision":"allowed","deniedBy":[]}"# {
        return Ok(());
    }
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
    use iamspect_core::PolicyType;
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
    // The fast way in (`iamspect_case::inline_case`), on bodies that differ as `--vary request`
    // makes them: 64 of them in turn, the policies compiled by the first.
    let template = Template::new(Vary::Request, false);
    let varied: Vec<String> = (0..64)
        .map(|i| {
            let mut b = Vec::new();
            template.write(i, &mut b);
            String::from_utf8(b).unwrap()
        })
        .collect();
    let mut fast = Compiler::new();
    assert!(iamspect_case::inline_case(&varied[0], &mut fast).is_some());
    let known = iamspect_case::inline_case(&varied[1], &mut fast).unwrap().known;
    println!("policies known from the first body and not parsed again: {known} of 15");
    let mut i = 0;
    time("fast: one parse into the case, policies compiled earlier", &mut || {
        i = (i + 1) % varied.len();
        std::hint::black_box(iamspect_case::inline_case(&varied[i], &mut fast).unwrap());
    });
    time("fast: the same, then decide", &mut || {
        i = (i + 1) % varied.len();
        let read = iamspect_case::inline_case(&varied[i], &mut fast).unwrap();
        std::hint::black_box(iamspect_case::run(&read.case));
    });
    time("compile the bucket policy (what --vary policy adds)", &mut || {
        std::hint::black_box(Compiler::new().compile("resourcePolicy", BUCKET_POLICY, PolicyType::Resource).unwrap());
    });
    time("fast: one parse, every policy compiled (--vary policies)", &mut || {
        i = (i + 1) % varied.len();
        std::hint::black_box(iamspect_case::inline_case(&varied[i], &mut Compiler::new()).unwrap());
    });
    // The same bodies with every policy by reference, the store holding the policies.
    let by_ref = Template::new(Vary::Request, true);
    let store = iamspect_server::policy_store::PolicyStore::default();
    store.register(&by_ref.texts.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
    let small: Vec<String> = (0..64)
        .map(|i| {
            let mut b = Vec::new();
            by_ref.write(i, &mut b);
            String::from_utf8(b).unwrap()
        })
        .collect();
    println!("body by reference: {} bytes", small[0].len());
    let mut refs_compiler = Compiler::new();
    time("fast, by reference: one parse, policies looked up by id", &mut || {
        i = (i + 1) % small.len();
        let lookup = store.lookup();
        std::hint::black_box(iamspect_case::inline_case_with_refs(&small[i], &mut refs_compiler, &lookup).unwrap());
    });
    let answer = json!({"decision": "allowed", "deniedBy": Vec::<&str>::new()});
    time("serialize the answer with serde_json (the route now writes it directly)", &mut || {
        std::hint::black_box(serde_json::to_vec(&answer).unwrap());
    });
}
