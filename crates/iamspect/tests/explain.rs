//! Snapshots of `iamspect explain` (text and JSON) for every scenario of the example organization
//! and for each deny reason, plus its bad-input behaviour. Accept changes with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test`).
#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iamspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every case of a file, explained as text and as JSON.
fn snapshot_file(name: &str, path: &str) {
    let out = iamspect(&["explain", path, "--color", "never"]);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!(format!("{name}_text"), text(&out));
    let json = iamspect(&["explain", path, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&json)).unwrap();
    insta::assert_json_snapshot!(format!("{name}_json"), v);
}

#[test]
fn example_prod_backups() {
    snapshot_file("org_prod_backups", "examples/org/prod-backups.json");
}

#[test]
fn example_region_lock() {
    snapshot_file("org_region_lock", "examples/org/region-lock.json");
}

#[test]
fn example_boundary() {
    snapshot_file("org_boundary", "examples/org/boundary.json");
}

#[test]
fn example_vpc_endpoint_bucket() {
    snapshot_file("org_vpc_endpoint_bucket", "examples/org/vpc-endpoint-bucket.json");
}

#[test]
fn example_kms_encrypted_object() {
    snapshot_file("org_kms_encrypted_object", "examples/org/kms-encrypted-object.json");
}

#[test]
fn guardrails() {
    snapshot_file("guardrails", "tests/cases/guardrails/fixes.json");
}

#[test]
fn example_cross_account_external_id() {
    snapshot_file("org_cross_account_external_id", "examples/org/cross-account-external-id.json");
}

#[test]
fn each_deny_reason() {
    snapshot_file("deny_reasons", "crates/iamspect/tests/data/deny-reasons.json");
}

#[test]
fn messages_read_back() {
    let message = "User: arn:aws:iam::777788889999:user/JohnDoe is not authorized to perform: codecommit:ListRepositories with an explicit deny in a service control policy";
    let out = iamspect(&["explain", "--message", message, "--color", "never"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("message_scp_explicit", text(&out));
    let out = iamspect(&["explain", "--message", message, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&out)).unwrap();
    assert_eq!(v["deniedBy"], "scp");
    assert_eq!(v["deny"], "explicit");
}

#[test]
fn bad_input_is_one_line_and_exit_two() {
    for args in [
        vec!["explain", "--message", "this is not an error message"],
        vec!["explain", "no/such/case.json"],
        vec![
            "explain",
            "--principal",
            "arn:aws:iam::111122223333:user/a",
            "--action",
            "s3GetObject",
            "--resource",
            "*",
        ],
        vec![
            "explain",
            "--principal",
            "arn:aws:iam::111122223333:user/a",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--identity-policy",
            "no/such/policy.json",
        ],
    ] {
        let out = iamspect(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn flags_build_the_request() {
    let out = iamspect(&[
        "explain",
        "--principal",
        "arn:aws:iam::111122223333:user/build-bot",
        "--action",
        "s3:PutBucketPolicy",
        "--resource",
        "arn:aws:s3:::orders-data",
        "--identity-policy",
        "examples/org/policies/orders-service-role.json",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&text(&out)).unwrap();
    assert!(v["EvaluationResults"][0]["EvalDecision"].is_string());
}

/// The AWS CLI's decoded example says `explicitDeny` and names the denying statement: explain
/// reports AWS's verdict, says the deny is in a policy it was not given, and proposes no allow
/// (decision D82).
#[test]
fn decoded_explicit_deny_is_honoured() {
    let path = root().join("../shared/corpora/cloudtrail/awscli-examples/decoded-authorization-message.json");
    if !path.is_file() {
        let message =
            format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
        assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
        return;
    }
    let file = path.to_str().unwrap();
    let out = iamspect(&["explain", "--decoded", file, "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("AWS decided: explicitDeny"), "{t}");
    assert!(t.contains("AWS matched: DENY statement \"VisualEditor0\""), "{t}");
    assert!(t.contains("the deny is in a policy iamspect was not given"), "{t}");
    assert!(!t.contains("[grant]") && !t.contains("IamspectFix"), "no allow against AWS's explicit deny: {t}");
    let json = iamspect(&["explain", "--decoded", file, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&json)).unwrap();
    let extra = &v["EvaluationResults"][0]["iamspect"];
    assert_eq!(extra["aws"]["decision"], "explicitDeny");
    assert_eq!(extra["aws"]["agrees"], false);
    assert_eq!(extra["fixes"], serde_json::json!([]), "{extra}");
}
