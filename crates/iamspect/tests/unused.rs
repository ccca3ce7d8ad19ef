//! `iamspect unused` on a synthetic account with planted unused permissions (decisions
//! D145-D147): each planted one is found, no used one is, the edit is proved, and the JSON
//! matches docs/schemas/unused.schema.json.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const F: &str = "crates/iamspect/tests/fixtures/unused";

fn iamspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = iamspect(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/schemas/unused.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "does not match the schema:\n{}", errors.join("\n"));
    v
}

fn principal<'a>(v: &'a Value, arn: &str) -> &'a Value {
    v["principals"].as_array().unwrap().iter().find(|p| p["principal"] == arn).unwrap()
}

fn unused_of(v: &Value, arn: &str) -> BTreeSet<String> {
    principal(v, arn)["unused"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap().to_string()))
        .collect()
}

fn unknown_of(v: &Value, arn: &str) -> BTreeSet<String> {
    principal(v, arn)["unknown"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap().to_string()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const DEV: &str = "arn:aws:iam::123456789012:user/dev";
const OLD: &str = "arn:aws:iam::123456789012:user/old";
const APP: &str = "arn:aws:iam::123456789012:role/app";

#[test]
fn cloudtrail_finds_each_planted_unused_permission_and_no_used_one() {
    let v = json(&[
        "unused",
        "--account-data",
        &format!("{F}/account.json"),
        "--cloudtrail",
        &format!("{F}/events"),
        "--credential-report",
        &format!("{F}/credential-report.csv"),
        "--since",
        "2026-11-01T00:00:00Z",
        "--format",
        "json",
    ]);
    // Planted: DeleteObject (used only before --since), DeleteBucket, DeleteQueue.
    assert_eq!(unused_of(&v, DEV), set(&["s3:DeleteBucket", "s3:DeleteObject", "sqs:DeleteQueue"]));
    assert_eq!(unused_of(&v, OLD), set(&["sqs:ReceiveMessage"]));
    let app = unused_of(&v, APP);
    assert!(app.contains("iam:ListUsers"), "{app:?}");
    for used in ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"] {
        assert!(!app.contains(used), "{used} was used (or may be needed by GetObject): {app:?}");
    }
    assert_eq!(v["noActivity"], serde_json::json!([OLD]));
    let never: Vec<_> = v["accessKeys"]["neverUsed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["user"].clone(), k["key"].clone()))
        .collect();
    assert_eq!(never, vec![(serde_json::json!(DEV), serde_json::json!(2))]);
    assert_eq!(v["accessKeys"]["notUsedSince"][0]["user"], OLD);
    // The edit: dev's unused actions removed, app's wildcard narrowed, old's policy deleted.
    let policies = v["edit"]["policies"].as_array().unwrap();
    let dev = policies.iter().find(|p| p["policy"] == "arn:aws:iam::123456789012:user/dev/dev-work").unwrap();
    assert_eq!(dev["removed"], serde_json::json!(["s3:DeleteObject", "s3:DeleteBucket", "sqs:DeleteQueue"]));
    let old = policies.iter().find(|p| p["policy"] == "arn:aws:iam::123456789012:user/old/old-read").unwrap();
    assert_eq!(old["change"], "delete");
    let proofs = &v["edit"]["proofs"];
    assert_eq!(proofs["observedRequestsStillAllowed"]["result"], "PASS", "{proofs}");
    // GetObject and PutObject of dev, ListObjects (s3:ListBucket), SendMessage, GetObject of app,
    // and the second action ListObjects is authorized as.
    assert!(proofs["observedRequestsStillAllowed"]["requests"].as_u64().unwrap() >= 5, "{proofs}");
    assert_eq!(proofs["noNewAccess"]["result"], "PASS", "{proofs}");
    assert_eq!(proofs["unusedRemoved"]["result"], "PASS", "{proofs}");
}

#[test]
fn the_edited_policy_still_allows_what_dev_did() {
    let v = json(&[
        "unused",
        "--account-data",
        &format!("{F}/account.json"),
        "--cloudtrail",
        &format!("{F}/events"),
        "--since",
        "2026-11-01T00:00:00Z",
        "--format",
        "json",
    ]);
    let policies = v["edit"]["policies"].as_array().unwrap();
    let dev = policies.iter().find(|p| p["policy"] == "arn:aws:iam::123456789012:user/dev/dev-work").unwrap();
    let dir = std::env::temp_dir().join(format!("iamspect-unused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dev-work.json");
    std::fs::write(&file, dev["document"].to_string()).unwrap();
    for (action, resource, want) in [
        ("s3:GetObject", "arn:aws:s3:::reports/q1.csv", "ALLOWED"),
        ("s3:PutObject", "arn:aws:s3:::reports/q2.csv", "ALLOWED"),
        ("s3:ListBucket", "arn:aws:s3:::reports", "ALLOWED"),
        ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:jobs", "ALLOWED"),
        ("s3:DeleteObject", "arn:aws:s3:::reports/q1.csv", "DENIED"),
        ("sqs:DeleteQueue", "arn:aws:sqs:eu-west-1:123456789012:jobs", "DENIED"),
    ] {
        let out = iamspect(&[
            "eval",
            "--identity-policy",
            file.to_str().unwrap(),
            "--principal",
            DEV,
            "--action",
            action,
            "--resource",
            resource,
            "--resource-account",
            "123456789012",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        let allowed = text.contains("decision: allowed");
        assert_eq!(allowed, want == "ALLOWED", "{action}: {text} {}", String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn last_accessed_details_service_and_action_level() {
    let v = json(&[
        "unused",
        "--account-data",
        &format!("{F}/account.json"),
        "--last-accessed",
        &format!("{APP}={F}/last-accessed-app.json"),
        &format!("{DEV}={F}/last-accessed-dev.json"),
        "--since",
        "2026-11-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(v["source"], "lastAccessed");
    // sqs last used before --since: both actions unused; s3 used but not tracked: unknown.
    assert_eq!(unused_of(&v, DEV), set(&["sqs:DeleteQueue", "sqs:SendMessage"]));
    assert!(unknown_of(&v, DEV).contains("s3:GetObject"));
    // iam never used; GetObjectAcl tracked and never used; GetObjectTagging tracked and used.
    assert_eq!(unused_of(&v, APP), set(&["iam:ListUsers", "s3:GetObjectAcl"]));
    assert!(!unknown_of(&v, APP).contains("s3:GetObjectTagging"));
    assert_eq!(v["notAnalysed"], serde_json::json!([OLD]));
    assert_eq!(v["edit"]["proofs"]["observedRequestsStillAllowed"]["result"], "NOT_CHECKED");
    assert_eq!(v["edit"]["notEdited"][0]["policy"], "arn:aws:iam::123456789012:user/old/old-read");
}

fn refused(args: &[&str], names: &str) {
    let out = iamspect(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(names), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn inputs_of_another_shape_are_refused_naming_them() {
    let account = format!("{F}/account.json");
    // A file that is not last-accessed output.
    refused(
        &["unused", "--account-data", &account, "--last-accessed", &format!("{APP}={F}/credential-report.csv")],
        "credential-report.csv",
    );
    refused(
        &["unused", "--account-data", &account, "--last-accessed", &format!("{APP}={F}/account.json")],
        "ServicesLastAccessed",
    );
    refused(&["unused", "--account-data", &account, "--last-accessed", "nonsense"], "nonsense");
    refused(
        &[
            "unused",
            "--account-data",
            &account,
            "--last-accessed",
            &format!("arn:aws:iam::123456789012:user/nobody={F}/last-accessed-dev.json"),
        ],
        "nobody",
    );
    refused(&["unused", "--account-data", &account, "--cloudtrail", &account], "account.json");
    refused(
        &["unused", "--account-data", &account, "--cloudtrail", &format!("{F}/events"), "--since", "yesterday"],
        "yesterday",
    );
}
