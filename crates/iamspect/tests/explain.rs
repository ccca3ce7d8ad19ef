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

/// `--event`: the request of a CloudTrail event, decided with the policies given, and the
/// event's own AccessDenied message weighed as AWS's verdict (decision D82).
#[test]
fn event_verdict_is_weighed() {
    let dir = std::env::temp_dir().join(format!("iamspect-explain-event-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let event = r#"{"Records": [{
        "eventVersion": "1.08", "eventTime": "2026-03-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "principalId": "AIDAEXAMPLE", "userName": "alice"},
        "requestParameters": {"bucketName": "reports", "key": "q1.csv"},
        "errorCode": "AccessDenied",
        "errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::reports/q1.csv\" with an explicit deny in a service control policy",
        "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::reports/q1.csv"}, {"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}]
    }]}"#;
    std::fs::write(dir.join("events.json"), event).unwrap();
    std::fs::write(
        dir.join("allow.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    )
    .unwrap();
    let events = dir.join("events.json");
    let allow = dir.join("allow.json");
    let out = iamspect(&[
        "explain",
        "--event",
        events.to_str().unwrap(),
        "--identity-policy",
        allow.to_str().unwrap(),
        "--color",
        "never",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}{}", String::from_utf8_lossy(&out.stderr));
    assert!(t.contains("AWS decided: explicitDeny in a service control policy"), "{t}");
    assert!(t.contains("the deny is in a service control policy iamspect was not given"), "{t}");
    assert!(!t.contains("[grant]"), "{t}");
    let out = iamspect(&["explain", "--event", events.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give `--account-data` or policy files"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--message-key` with nothing to open is refused, not ignored.
#[test]
fn message_key_without_a_token_is_refused() {
    let out = iamspect(&[
        "explain",
        "--message",
        "User: arn:aws:iam::123456789012:user/x is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\"",
        "--message-key",
        "key.bin",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--message-key` opens an encoded authorization message"));
}
