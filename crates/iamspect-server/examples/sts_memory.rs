//! What temporary credentials cost in memory, and that the store stays bounded (decision D36).
//!
//! Sends `--calls` signed STS `GetSessionToken` requests through the router in process (no
//! socket), with the STS clock moving `--step` seconds per call and sessions of `--duration`
//! seconds, then prints the process's resident memory (`VmRSS`) before and after and the number
//! of temporary credentials held. With sessions that outlive the run (`--step 0`), every one is
//! kept: the growth per credential is the cost of one. With short sessions and a moving clock,
//! expired ones are dropped an hour after their expiry, so the count and the memory stay flat.
//! `--max N` sets the bound (`iamspect serve --max-sessions`); refusals are counted.
//!
//! ```sh
//! cargo run --release -p iamspect-server --example sts_memory -- --calls 80000 --step 0 --duration 129600
//! cargo run --release -p iamspect-server --example sts_memory -- --calls 80000 --step 1 --duration 900
//! cargo run --release -p iamspect-server --example sts_memory -- --calls 80000 --step 0 --duration 129600 --max 10000
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "measurement tool")]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Body;
use iamspect_auth::Credential;
use iamspect_server::{AppState, Settings, app};
use tower::ServiceExt;

const KEY: &str = "AKIAALICEEXAMPLE0001";
const SECRET: &str = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP";
/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} N")))
}

fn signed(form: &str, time: i64) -> axum::http::Request<Body> {
    let url = "https://sts.amazonaws.com/";
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let identity = Credentials::new(KEY, SECRET, None, None, "measure").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(time).unwrap()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable =
        SignableRequest::new("POST", url, headers.iter().copied(), SignableBody::Bytes(form.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut builder = http::Request::builder().method("POST").uri(url);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let mut request = builder.body(form.as_bytes().to_vec()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let (parts, body) = request.into_parts();
    axum::http::Request::from_parts(parts, Body::from(body))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let calls = arg("--calls", 80_000);
    let step = arg("--step", 0);
    let duration = arg("--duration", 129_600);
    let max = arg("--max", i64::try_from(iamspect_server::sts::DEFAULT_MAX_SESSIONS).unwrap());
    let state = AppState::new(Settings::default());
    state
        .sts()
        .add_credentials(vec![Credential::long_term(KEY, SECRET, "arn:aws:iam::111122223333:user/alice")])
        .unwrap();
    state.sts().store().set_max_temporary(usize::try_from(max).unwrap());
    let clock = Arc::new(AtomicI64::new(T0));
    let c = Arc::clone(&clock);
    state.sts().set_clock(move || jiff::Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap());
    let router = app(state.clone());
    let form = format!("Action=GetSessionToken&Version=2011-06-15&DurationSeconds={duration}");

    // Warm up (allocator, lazily built tables) before the first measurement.
    for _ in 0..200 {
        let _ = router.clone().oneshot(signed(WHO, T0)).await.unwrap();
    }
    let before = rss_kib();
    let started = Instant::now();
    let (mut ok, mut refused, mut most) = (0u64, 0u64, 0usize);
    for i in 0..calls {
        let time = T0 + i * step;
        clock.store(time, Ordering::SeqCst);
        let response = router.clone().oneshot(signed(&form, time)).await.unwrap();
        match response.status().as_u16() {
            200 => ok += 1,
            503 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
        let _ = axum::body::to_bytes(response.into_body(), 1 << 20).await;
        if i % 1000 == 0 {
            most = most.max(state.sts().store().temporary_len());
        }
    }
    let after = rss_kib();
    let held = state.sts().store().temporary_len();
    most = most.max(held);
    let grown = after.saturating_sub(before);
    println!(
        "calls {calls} (step {step} s, sessions {duration} s, max {max}) in {:.1} s: issued {ok}, refused {refused}",
        started.elapsed().as_secs_f64()
    );
    println!("temporary credentials held: {held} at the end, {most} at most");
    println!("VmRSS: {before} KiB before, {after} KiB after: +{grown} KiB");
    if held > 0 {
        println!("per credential held: {} bytes", grown * 1024 / u64::try_from(held).unwrap());
    }
}

const WHO: &str = "Action=GetCallerIdentity&Version=2011-06-15";
