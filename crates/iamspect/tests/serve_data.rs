//! `iamspect serve` fails closed on account data (decision D35), through the real binary: a
//! corrupt file stops the start (exit 2, each file named with its line), a SIGHUP reload with one
//! keeps the data that was served, and `--allow-partial` serves the rest and says so.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ALLOW_S3_READ: &str =
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
const LOGS_BUCKET_DENY: &str = r#"{"resourcePolicies": {"arn:aws:s3:::logs": {"Version": "2012-10-17", "Statement": [
  {"Sid": "NoLogs", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}]}}}"#;
const BROKEN: &str = "{\"resourcePolicies\": {\n  \"arn:aws:s3:::logs\": \n";

fn gaad() -> String {
    format!(
        r#"{{"UserDetailList": [{{"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE1", "Arn": "arn:aws:iam::111122223333:user/alice",
  "UserPolicyList": [{{"PolicyName": "inline", "PolicyDocument": {ALLOW_S3_READ}}}], "GroupList": [], "AttachedManagedPolicies": []}}],
 "GroupDetailList": [], "RoleDetailList": [], "Policies": []}}"#
    )
}

/// A fresh folder with the dump and the bucket policy (`buckets` is its text).
fn folder(name: &str, buckets: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-serve-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("gaad.json"), gaad()).unwrap();
    std::fs::write(dir.join("buckets.json"), buckets).unwrap();
    dir
}

/// The server, stopped (by its own process id) when dropped.
struct Serve {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// One HTTP/1.1 request; the status and the JSON body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).ok()?))
}

fn start(dir: &Path, extra: &[&str]) -> Serve {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = dir.with_extension("log");
    let child = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["serve", "--bind", &addr.to_string(), "--account-data"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let serve = Serve { child, addr, log };
    let deadline = Instant::now() + Duration::from_secs(20);
    while http(addr, "GET", "/healthz", None).is_none() {
        assert!(Instant::now() < deadline, "the server did not start: {}", serve.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    serve
}

fn decide(serve: &Serve, resource: &str) -> Value {
    let body = json!({"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": resource, "resourceAccount": "111122223333"});
    http(serve.addr, "POST", "/v1/authorize", Some(&body.to_string())).unwrap().1
}

#[test]
fn a_corrupt_file_stops_the_start() {
    let dir = folder("start", BROKEN);
    std::fs::write(dir.join("other.json"), "[1,").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["serve", "--bind", "127.0.0.1:0", "--account-data"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: 2 account data files failed to load; nothing is served"), "{stderr}");
    let buckets = dir.join("buckets.json");
    assert!(stderr.contains(&format!("{}: invalid JSON at line 3", buckets.display())), "{stderr}");
    assert!(stderr.contains(&format!("{}: invalid JSON at line 1", dir.join("other.json").display())), "{stderr}");
    // Logged at ERROR too, one line per file.
    assert_eq!(stderr.lines().filter(|l| l.contains("ERROR") && l.contains("failed to load")).count(), 2, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_sighup_reload_with_a_corrupt_file_keeps_the_data() {
    let dir = folder("sighup", LOGS_BUCKET_DENY);
    let serve = start(&dir, &[]);
    assert_eq!(decide(&serve, "arn:aws:s3:::logs/a"), json!({"decision": "explicitDeny", "deniedBy": ["resource"]}));

    std::fs::write(dir.join("buckets.json"), BROKEN).unwrap();
    let hup = Command::new("kill").args(["-HUP", &serve.child.id().to_string()]).status().unwrap();
    assert!(hup.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        let (_, health) = http(serve.addr, "GET", "/healthz", None).unwrap();
        if health["accountData"]["lastReload"]["ok"] == false {
            break health;
        }
        assert!(Instant::now() < deadline, "no failed reload seen: {health}\n{}", serve.log());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["accountData"]["generation"], 1);
    assert!(health["accountData"]["lastReload"]["errors"][0]["message"].as_str().unwrap().contains("line 3"));
    // The explicit deny is still an explicit deny.
    assert_eq!(decide(&serve, "arn:aws:s3:::logs/a"), json!({"decision": "explicitDeny", "deniedBy": ["resource"]}));
    let log = serve.log();
    assert!(log.lines().any(|l| l.contains("ERROR") && l.contains("buckets.json")), "{log}");
    assert!(log.lines().any(|l| l.contains("ERROR") && l.contains("SIGHUP: reload refused")), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn allow_partial_serves_the_rest_loudly() {
    let dir = folder("partial", BROKEN);
    let serve = start(&dir, &["--allow-partial"]);
    // The Deny was in the file left out.
    assert_eq!(decide(&serve, "arn:aws:s3:::logs/a")["decision"], "allowed");
    let (_, health) = http(serve.addr, "GET", "/healthz", None).unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["accountData"]["partial"], true, "{health}");
    assert!(health["accountData"]["errors"][0]["path"].as_str().unwrap().ends_with("buckets.json"), "{health}");
    let log = serve.log();
    assert!(log.lines().any(|l| l.contains("ERROR") && l.contains("LEFT OUT") && l.contains("buckets.json")), "{log}");
    assert!(log.lines().any(|l| l.contains("ERROR") && l.contains("PARTIALLY")), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
