//! `iamspect credential-audit` on a realistic IAM credential report (`tests/data/credential_audit`,
//! the same report as `aws iam get-credential-report` JSON and as its CSV) with each problem
//! planted once: every planted problem is found, on the right user, and the clean users stay clean.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/credential_audit").join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).arg("credential-audit").args(args).output().unwrap()
}

fn findings(out: &Output) -> BTreeSet<(String, String)> {
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = f["severity"].as_str().unwrap();
            assert!(["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"].contains(&s));
            let user = f["user"].as_str().unwrap();
            (f["code"].as_str().unwrap().to_string(), user.rsplit([':', '/']).next().unwrap().to_string())
        })
        .collect()
}

fn expected() -> BTreeSet<(String, String)> {
    [
        ("ROOT_ACCESS_KEY", "root"),
        ("ROOT_NO_MFA", "root"),
        ("ACCESS_KEY_OLD", "root"),
        ("CONSOLE_USER_NO_MFA", "bob"),
        ("PASSWORD_NEVER_USED", "bob"),
        ("ACCESS_KEY_OLD", "carol"),
        ("ACCESS_KEY_UNUSED", "dave"),
        ("TWO_ACTIVE_ACCESS_KEYS", "erin"),
        ("ACCESS_KEY_OLD", "frank"),
        ("ACCESS_KEY_UNUSED", "frank"),
    ]
    .into_iter()
    .map(|(c, u)| (c.to_string(), u.to_string()))
    .collect()
}

#[test]
fn finds_every_planted_problem_in_the_json_report() {
    let out = run(&[file("report.json").to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(findings(&out), expected());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["time"]["from"], "the report's GeneratedTime");
    assert!(v["findings"][0]["user"].as_str().unwrap().starts_with("arn:aws:iam::123456789012:"));
}

#[test]
fn the_csv_needs_a_time_and_then_finds_the_same() {
    let csv = file("report.csv");
    let out = run(&[csv.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--now"));
    let out = run(&[csv.to_str().unwrap(), "--format", "json", "--now", "2026-12-01T00:00:00Z"]);
    assert_eq!(findings(&out), expected());
}

#[test]
fn limits_move_with_the_flags() {
    let out = run(&[
        file("report.json").to_str().unwrap(),
        "--format",
        "json",
        "--max-key-age",
        "365",
        "--max-unused",
        "200",
    ]);
    let got = findings(&out);
    assert!(got.contains(&("ACCESS_KEY_OLD".to_string(), "root".to_string())));
    assert!(!got.iter().any(|(c, u)| c == "ACCESS_KEY_OLD" && u == "carol"));
    assert!(!got.iter().any(|(c, _)| c == "ACCESS_KEY_UNUSED"));
}

#[test]
fn sarif_lists_the_rules_and_one_result_per_finding() {
    let out = run(&[file("report.json").to_str().unwrap(), "--format", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), expected().len());
    assert_eq!(v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len(), 7);
}

#[test]
fn bad_reports_are_refused_with_what_is_wrong() {
    let dir = std::env::temp_dir().join(format!("iamspect-credential-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing-column.csv");
    std::fs::write(&missing, "user,arn\nalice,arn:aws:iam::123456789012:user/alice\n").unwrap();
    let out = run(&[missing.to_str().unwrap(), "--now", "2026-12-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("user_creation_time"));
    let text = std::fs::read_to_string(file("report.csv")).unwrap();
    let bad_date = dir.join("bad-date.csv");
    std::fs::write(&bad_date, text.replace("2026-05-01T10:00:00+00:00", "yesterday")).unwrap();
    let out = run(&[bad_date.to_str().unwrap(), "--now", "2026-12-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`yesterday`"));
    let header_only = dir.join("empty.csv");
    std::fs::write(&header_only, text.lines().next().unwrap()).unwrap();
    let out = run(&[header_only.to_str().unwrap(), "--now", "2026-12-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(2), "an empty report is not green");
    std::fs::remove_dir_all(&dir).unwrap();
}
