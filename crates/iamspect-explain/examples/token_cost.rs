//! What sealing an encoded authorization message costs (decision D37): the time to seal and to
//! open one token of the size a gateway deny carries, next to the base64url encoding alone that
//! the unsealed version 1 token cost, and the token's length.
//!
//! ```sh
//! cargo run --release -p iamspect-explain --example token_cost -- 200000
//! ```
//!
//! Times are wall-clock and CPU time of this (single-threaded) process, per token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "measurement tool")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iamspect_core::{Context, Policies, Policy, PolicyType, Principal, Request};
use iamspect_explain::encoded::{self, MessageKey};

/// User and system CPU time of the process, in clock ticks (100 per second on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the `)`.
    fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

fn measure(name: &str, n: u32, mut f: impl FnMut()) {
    let (t0, c0) = (Instant::now(), cpu_ticks());
    for _ in 0..n {
        f();
    }
    let wall = t0.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    let cpu = (cpu_ticks() - c0) as f64 * 1e7 / f64::from(n);
    println!("{name:<34} {wall:>8.0} ns wall {cpu:>8.0} ns CPU per token");
}

fn main() {
    let n: u32 = std::env::args().nth(1).map_or(200_000, |a| a.parse().expect("N"));
    // A gateway-like deny: an S3 GetObject with the context the gateway fills in.
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut ctx = Context::new();
    for (k, v) in [
        ("aws:SourceIp", "127.0.0.1"),
        ("aws:SecureTransport", "false"),
        ("aws:CurrentTime", "2025-06-01T12:00:00Z"),
        ("aws:EpochTime", "1748779200"),
        ("aws:RequestedRegion", "us-east-1"),
        (
            "aws:UserAgent",
            "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12 prompt/off command/s3api.get-object",
        ),
        ("s3:authType", "REST-HEADER"),
        ("s3:signatureversion", "AWS4-HMAC-SHA256"),
        ("s3:x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ] {
        ctx.insert(k, vec![v.to_string()]);
    }
    let request =
        Request::new(principal, "s3:GetObject", "arn:aws:s3:::data/private/report.csv", Some("111122223333"), ctx)
            .unwrap();
    let deny = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "NoPrivate", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/private/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}"#;
    let policy = Policy::parse("p", deny, PolicyType::Identity).unwrap();
    let policies = Policies { identity: vec![Arc::new(policy)], ..Policies::default() };
    let text = encoded::authorization_text(&request, &policies);
    let key = MessageKey::generate();
    let token = encoded::encode_text(&key, &text);
    let v1_len = encoded::PREFIX_V1.len() + URL_SAFE_NO_PAD.encode(text.as_bytes()).len();
    println!("JSON {} bytes; sealed token {} characters (unsealed version 1: {v1_len})", text.len(), token.len());

    measure("version 1: base64url only", n, || {
        let mut out = String::with_capacity(encoded::PREFIX_V1.len() + text.len() * 4 / 3 + 4);
        out.push_str(encoded::PREFIX_V1);
        URL_SAFE_NO_PAD.encode_string(black_box(text.as_bytes()), &mut out);
        black_box(out);
    });
    measure("  of which the nonce (getrandom)", n, || {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).unwrap();
        black_box(nonce);
    });
    measure("version 2: seal (nonce, AEAD, b64)", n, || {
        black_box(encoded::encode_text(&key, black_box(&text)));
    });
    measure("version 2: open", n, || {
        black_box(encoded::decode(&key, black_box(&token)).unwrap());
    });
}
