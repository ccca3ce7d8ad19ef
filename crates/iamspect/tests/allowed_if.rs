//! `eval --unknown` through the binary, judged as a user would (decision D120): for every
//! combination of sample values of the unknown keys (absent included), `iamspect eval` with those
//! values allows the request exactly when one of the `allowedIf` blocks, pasted into an `Allow`
//! statement of its own and decided by `iamspect eval` with the same values, allows it.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

fn run(args: &[String]) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    if v.is_null() {
        panic!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code(), v)
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iamspect-allowed-if-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn request_args() -> Vec<String> {
    [
        "eval",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--resource-account",
        "111122223333",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every combination of the keys' sample values (`None`: absent).
fn combinations(keys: &[(&str, &[&str])]) -> Vec<Vec<(String, Option<String>)>> {
    let mut out: Vec<Vec<(String, Option<String>)>> = vec![Vec::new()];
    for (k, values) in keys {
        let mut next = Vec::new();
        for c in &out {
            let mut absent = c.clone();
            absent.push((k.to_string(), None));
            next.push(absent);
            for v in *values {
                let mut with = c.clone();
                with.push((k.to_string(), Some(v.to_string())));
                next.push(with);
            }
        }
        out = next;
    }
    out
}

/// `--context` flags; a value with `|` is several values of the key.
fn context_args(c: &[(String, Option<String>)]) -> Vec<String> {
    c.iter()
        .filter_map(|(k, v)| {
            v.as_ref().map(|v| {
                v.split('|').flat_map(|one| ["--context".to_string(), format!("{k}={one}")]).collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect()
}

fn allowed(v: &Value) -> bool {
    v["decision"] == "allowed"
}

fn scenario(name: &str, policies: &[(&str, Value)], keys: &[(&str, &[&str])], want_alternatives: Option<usize>) {
    let d = dir(name);
    let mut policy_args = Vec::new();
    for (flag, p) in policies {
        let path = d.join(format!("{}.json", flag.trim_start_matches('-')));
        std::fs::write(&path, p.to_string()).unwrap();
        policy_args.push(flag.to_string());
        let text = path.display().to_string();
        policy_args.push(if *flag == "--scp" { format!("FullAWSAccess,{text}") } else { text });
    }
    let unknown: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let mut args = request_args();
    args.extend(policy_args.iter().cloned());
    args.extend(["--unknown".to_string(), unknown.join(","), "--format".into(), "json".into()]);
    args.extend(["--context".to_string(), "aws:CurrentTime=2026-03-01T00:00:00Z".to_string()]);
    let (code, out) = run(&args);
    let blocks = out["allowedIf"].as_array().unwrap_or_else(|| panic!("{name}: {out}")).clone();
    if let Some(n) = want_alternatives {
        assert_eq!(blocks.len(), n, "{name}: {}", json!(blocks));
    }
    assert_eq!(code, Some(if blocks.is_empty() { 1 } else { 0 }), "{name}");
    let block_files: Vec<String> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let path = d.join(format!("alternative-{i}.json"));
            let p = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": b}]});
            std::fs::write(&path, p.to_string()).unwrap();
            path.display().to_string()
        })
        .collect();
    for c in combinations(keys) {
        let mut args = request_args();
        args.extend(policy_args.iter().cloned());
        args.extend(context_args(&c));
        args.extend(["--context".to_string(), "aws:CurrentTime=2026-03-01T00:00:00Z".to_string()]);
        args.extend(["--format".to_string(), "json".into()]);
        let engine = allowed(&run(&args).1);
        let mut residual = false;
        for f in &block_files {
            let mut args = request_args();
            args.extend(["--identity-policy".to_string(), f.clone()]);
            args.extend(context_args(&c));
            args.extend(["--context".to_string(), "aws:CurrentTime=2026-03-01T00:00:00Z".to_string()]);
            args.extend(["--format".to_string(), "json".into()]);
            residual |= allowed(&run(&args).1);
        }
        assert_eq!(engine, residual, "{name}: values {c:?}: engine {engine}, allowedIf {}", json!(blocks));
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn residuals_agree_with_eval() {
    scenario(
        "vpce-or-ip-with-tls",
        &[
            (
                "--identity-policy",
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
                ]}),
            ),
            (
                "--scp",
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                ]}),
            ),
        ],
        &[
            ("aws:SourceIp", &["10.1.2.3", "192.0.2.1"]),
            ("aws:SourceVpce", &["vpce-1", "vpce-2", "vpce-1|vpce-2"]),
            ("aws:SecureTransport", &["true", "false"]),
        ],
        Some(2),
    );
    scenario(
        "mfa-age-window",
        &[(
            "--identity-policy",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}},
                {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "10"}}}
            ]}),
        )],
        &[("aws:MultiFactorAuthAge", &["5", "10", "600", "3600", "7200"])],
        Some(1),
    );
    scenario(
        "never",
        &[(
            "--identity-policy",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
            ]}),
        )],
        &[("aws:SourceVpce", &["vpce-1"])],
        Some(0),
    );
    scenario(
        "always",
        &[(
            "--identity-policy",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}
            ]}),
        )],
        &[("aws:SourceVpce", &["vpce-1", "vpce-2"])],
        Some(1),
    );
}

#[test]
fn tied_keys_are_unknown_and_fixed_keys_refused() {
    let d = dir("tied");
    let p = d.join("p.json");
    std::fs::write(
        &p,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:SourceVpce}"}]}).to_string(),
    )
    .unwrap();
    let mut args = request_args();
    args.extend([
        "--identity-policy".to_string(),
        p.display().to_string(),
        "--unknown".into(),
        "aws:SourceVpce".into(),
        "--format".into(),
        "json".into(),
    ]);
    let (code, out) = run(&args);
    assert_eq!(code, Some(3));
    assert!(out["unknown"]["construct"].as_str().unwrap().contains("policy variable"), "{out}");
    let mut args = request_args();
    args.extend([
        "--identity-policy".to_string(),
        p.display().to_string(),
        "--unknown".into(),
        "aws:PrincipalArn".into(),
    ]);
    let status = Command::new(env!("CARGO_BIN_EXE_iamspect")).args(&args).output().unwrap();
    assert_eq!(status.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&status.stderr).contains("aws:PrincipalArn"));
    let _ = std::fs::remove_dir_all(&d);
}
