//! The encoded authorization message round trip through the binary: `iamspect serve --gateway
//! --message-key FILE` denies a request, and `iamspect explain --encoded` / `--message` open the
//! token with the same key file (and only with it).
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../iamspect-server/tests/gateway_data")
}

/// The server, stopped (by its own process id) when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One raw HTTP/1.1 request; the status line and headers, and the body.
fn http(addr: SocketAddr, method: &str, path: &str) -> Option<(String, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    Some((head.to_string(), body.to_string()))
}

/// A key file of the given text, in a fresh folder.
fn key_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-gateway-key-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("message.key");
    std::fs::write(&path, text).unwrap();
    path
}

const KEY_HEX: &str = "5f1c0e7a9b2d4c6e8f10213243546576879809a1b2c3d4e5f60718293a4b5c6d\n";

fn start(key: &Path) -> (Serve, SocketAddr) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let dir = data();
    let child = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["serve", "--gateway", "--bind", &addr.to_string(), "--message-key"])
        .arg(key)
        .arg("--account-data")
        .arg(dir.join("gaad.json"))
        .arg("--account-data")
        .arg(dir.join("resources.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let serve = Serve(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while http(addr, "GET", "/healthz").is_none() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (serve, addr)
}

fn iamspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).output().unwrap()
}

#[test]
fn a_gateway_deny_decodes_with_explain() {
    let key = key_file("ok", KEY_HEX);
    let k = key.to_str().unwrap();
    let (_serve, addr) = start(&key);
    // An anonymous S3 request the bucket's (absent) policy does not allow.
    let (head, body) = http(addr, "GET", "/data/public/a.txt").unwrap();
    assert!(head.starts_with("HTTP/1.1 403"), "{head}\n{body}");
    let token = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().starts_with("x-iamspect-authorization-message:").then(|| l[33..].trim()))
        .unwrap_or_else(|| panic!("no token in {head}"))
        .to_string();
    assert!(token.starts_with("iamspect2."));

    // Without the key: exit 2 and one line saying it is needed.
    let out = iamspect(&["explain", "--encoded", &token]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sealed with the server's key") && stderr.contains("--message-key FILE"), "{stderr}");
    // With another key: exit 2, naming the mismatch.
    let other = key_file("other", "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0");
    let out = iamspect(&["explain", "--encoded", &token, "--message-key", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sealed with another key"));

    let out = iamspect(&["explain", "--encoded", &token, "--message-key", k]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("principal: anonymous"), "{text}");
    assert!(text.contains("action:    s3:GetObject"), "{text}");
    assert!(text.contains("resource:  arn:aws:s3:::data/public/a.txt"), "{text}");
    assert!(text.contains("decision:  implicitDeny"), "{text}");
    assert!(text.contains("aws:SecureTransport = false"), "{text}");

    // The same token inside an EC2-style message.
    let message =
        format!("You are not authorized to perform this operation. Encoded authorization failure message: {token}");
    let out = iamspect(&["explain", "--message", &message, "--format", "json", "--message-key", k]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["context"]["action"], "s3:GetObject");
    assert_eq!(v["iamspect"]["decision"], "implicitDeny");

    // With the account data, the request is evaluated again: still denied (exit 1).
    let dir = data();
    let (gaad, resources) = (dir.join("gaad.json"), dir.join("resources.json"));
    let out = iamspect(&[
        "explain",
        "--encoded",
        &token,
        "--message-key",
        k,
        "--account-data",
        gaad.to_str().unwrap(),
        "--account-data",
        resources.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("s3:GetObject"), "{text}");

    // A damaged or foreign token is a clear error; so is an unsealed one of an earlier release.
    let out = iamspect(&["explain", "--encoded", "AQoDYXdzEJr"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an iamspect encoded message"));
    let out = iamspect(&["explain", "--encoded", "iamspect1.e30", "--message-key", k]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no longer accepted"));
    let mut damaged = token.clone();
    damaged.replace_range(40..41, if &token[40..41] == "A" { "B" } else { "A" });
    let out = iamspect(&["explain", "--encoded", &damaged, "--message-key", k]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed or cut"));
    let _ = std::fs::remove_dir_all(key.parent().unwrap());
    let _ = std::fs::remove_dir_all(other.parent().unwrap());
}

#[test]
fn serve_refuses_a_bad_message_key() {
    for (name, text, says) in [
        ("short", "0123abcd\n", "8 hexadecimal digits"),
        ("text", "not a key at all", "16 bytes"),
        ("zero", &"00".repeat(32), "every byte"),
    ] {
        let key = key_file(name, text);
        let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
            .args(["serve", "--bind", "127.0.0.1:0", "--message-key"])
            .arg(&key)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("error: message key {}: {says}", key.display())), "{stderr}");
        let _ = std::fs::remove_dir_all(key.parent().unwrap());
    }
    let out = iamspect(&["serve", "--bind", "127.0.0.1:0", "--message-key", "/nonexistent/iamspect.key"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("message key /nonexistent/iamspect.key"));
}

#[test]
fn serve_refuses_an_upstream_beyond_loopback() {
    let dir = data();
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["serve", "--gateway", "--upstream", "http://10.1.2.3:4566", "--bind", "127.0.0.1:0", "--account-data"])
        .arg(dir.join("gaad.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loopback address"));
}
