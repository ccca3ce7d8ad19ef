//! `iamspect query`: SQL over an export, in process (built with `--features query`); without the
//! feature the command says how to build it.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iamspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn data() -> PathBuf {
    root().join("crates/iamspect/tests/scp_impact_data")
}

#[cfg(not(feature = "query"))]
#[test]
fn without_the_feature_query_says_how_to_build_it() {
    let out = iamspect(&["query", "--account-data", data().to_str().unwrap(), "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cargo install --path crates/iamspect --features query"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[cfg(feature = "query")]
#[test]
fn sql_over_an_export_and_over_account_data() {
    let dir = std::env::temp_dir().join(format!("iamspect-query-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = iamspect(&[
        "export",
        "--account-data",
        data().to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--context",
        "aws:CurrentTime=2026-06-01T12:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The count of principals equals the manifest's.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("_iamspect.json")).unwrap()).unwrap();
    let out = iamspect(&[
        "query",
        "--export",
        dir.to_str().unwrap(),
        "SELECT count(*) AS n FROM principals",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["n"], manifest["tables"]["principals"]["rows"], "{v}");
    // The partition column is a string: account ids keep their leading zeros.
    let out = iamspect(&[
        "query",
        "--export",
        dir.to_str().unwrap(),
        "SELECT account, count(*) AS n FROM access GROUP BY account ORDER BY account",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("account,n\n"), "{csv}");
    // Straight from account data, as a table.
    let out = iamspect(&[
        "query",
        "--account-data",
        data().to_str().unwrap(),
        "SELECT principal, action FROM access WHERE action = 'iam:CreateUser' ORDER BY principal",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The README's examples over the trust and paths tables.
    let out = iamspect(&[
        "query",
        "--export",
        dir.to_str().unwrap(),
        "SELECT role, action, principal, principal_type FROM trust WHERE NOT principal_in_loaded_account AND principal_type <> 'service' ORDER BY role",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = iamspect(&[
        "query",
        "--export",
        dir.to_str().unwrap(),
        "SELECT principal, path_steps, step, technique, \"to\" FROM paths WHERE reaches_admin ORDER BY principal, step",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = manifest["tables"]["paths"]["rows"].as_u64().unwrap();
    assert!(expected > 0 && v.as_array().is_some_and(|a| !a.is_empty() && a.len() as u64 <= expected), "{v}");
    // A bad query is the input's fault.
    let out = iamspect(&["query", "--export", dir.to_str().unwrap(), "SELECT nope FROM principals"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
