//! `iamspect generate-policy` on a small account and CloudTrail events written here (decision
//! D88): the policy allows every request (checked again with `iamspect eval`), lints clean, and is
//! compared with the user's current policies.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn iamspect(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(dir).output().unwrap()
}

fn event(name: &str, key: Option<&str>, error: Option<&str>) -> Value {
    let mut e = json!({
        "eventVersion": "1.08", "eventTime": "2026-11-20T10:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/dev", "accountId": "123456789012", "principalId": "AIDAEXAMPLEDEV", "userName": "dev"},
        "requestParameters": {"bucketName": "reports"},
    });
    if let Some(k) = key {
        e["requestParameters"]["key"] = json!(k);
        e["resources"] = json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::reports/{k}")}, {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}]);
    } else {
        e["resources"] =
            json!([{"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}]);
    }
    if let Some(code) = error {
        e["errorCode"] = json!(code);
    }
    e
}

fn setup(current: &str) -> Dir {
    // One folder per call: the tests run at once.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("iamspect-generate-{}-{n}-{}", current.len(), std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let gaad = format!(
        r#"{{"UserDetailList": [{{"Path": "/", "UserName": "dev", "UserId": "AIDAEXAMPLEDEV", "Arn": "arn:aws:iam::123456789012:user/dev",
            "UserPolicyList": [{{"PolicyName": "current", "PolicyDocument": {current}}}], "GroupList": [], "AttachedManagedPolicies": []}}],
            "GroupDetailList": [], "RoleDetailList": [], "Policies": []}}"#
    );
    std::fs::write(dir.join("data/gaad.json"), gaad).unwrap();
    let events = json!({"Records": [
        event("GetObject", Some("q1.csv"), None),
        event("GetObject", Some("q2.csv"), None),
        event("GetBucketLocation", None, None),
        event("PutObject", Some("q3.csv"), Some("AccessDenied")),
    ]});
    std::fs::write(dir.join("events.json"), events.to_string()).unwrap();
    Dir(dir)
}

const BROAD: &str =
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;
const READ_Q1: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/q1.csv"}]}"#;

#[test]
fn the_generated_policy_allows_what_was_done_and_nothing_new() {
    let d = setup(BROAD);
    let args = [
        "generate-policy",
        "--cloudtrail",
        "events.json",
        "--principal",
        "arn:aws:iam::123456789012:user/dev",
        "--account-data",
        "data",
        "--format",
        "json",
    ];
    let out = iamspect(&d.0, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["proofs"]["allowsEveryRequest"]["proved"], true, "{v}");
    assert_eq!(v["proofs"]["allowsEveryRequest"]["requests"], 3, "the denied PutObject is left out: {v}");
    assert_eq!(v["proofs"]["lint"]["proved"], true, "{v}");
    assert_eq!(v["proofs"]["noNewAccess"]["result"], "PASS", "{v}");
    let text = v["policy"].to_string();
    assert!(text.contains("arn:aws:s3:::reports/q1.csv") && text.contains("arn:aws:s3:::reports/q2.csv"), "{text}");
    assert!(!text.contains("PutObject") && !text.contains("reports/*"), "exactly what was used: {text}");

    // Every rebuilt request, decided again through `iamspect eval` with the generated policy.
    std::fs::write(d.0.join("generated.json"), serde_json::to_string_pretty(&v["policy"]).unwrap()).unwrap();
    for (action, resource) in [
        ("s3:GetObject", "arn:aws:s3:::reports/q1.csv"),
        ("s3:GetObject", "arn:aws:s3:::reports/q2.csv"),
        ("s3:GetBucketLocation", "arn:aws:s3:::reports"),
    ] {
        let out = iamspect(
            &d.0,
            &[
                "eval",
                "--principal",
                "arn:aws:iam::123456789012:user/dev",
                "--action",
                action,
                "--resource",
                resource,
                "--resource-account",
                "123456789012",
                "--identity-policy",
                "generated.json",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{action} {resource}: {}", String::from_utf8_lossy(&out.stdout));
    }

    // With denied events, and a current policy narrower than what was done: the difference shows.
    let d = setup(READ_Q1);
    let mut args: Vec<&str> = args.to_vec();
    args.push("--include-denied");
    let out = iamspect(&d.0, &args);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["proofs"]["noNewAccess"]["result"], "FAIL", "{v}");
    assert!(v["policy"].to_string().contains("s3:PutObject"), "{v}");

    // No request of the principal: an error, not an empty policy.
    let out = iamspect(
        &d.0,
        &["generate-policy", "--cloudtrail", "events.json", "--principal", "arn:aws:iam::123456789012:user/other"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no request of"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A call AWS authorized that then failed (`NoSuchKey`) still needed its permission; one AWS
/// refused (`AccessDenied`) is left out unless asked for.
#[test]
fn authorized_calls_that_failed_count() {
    let d = setup(BROAD);
    let events = json!({"Records": [event("GetObject", Some("q1.csv"), None), event("GetObject", Some("gone.csv"), Some("NoSuchKey")), event("PutObject", Some("q3.csv"), Some("AccessDenied"))]});
    std::fs::write(d.0.join("events.json"), events.to_string()).unwrap();
    let out = iamspect(
        &d.0,
        &[
            "generate-policy",
            "--cloudtrail",
            "events.json",
            "--principal",
            "arn:aws:iam::123456789012:user/dev",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v["policy"].to_string();
    assert!(text.contains("arn:aws:s3:::reports/gone.csv"), "{text}");
    assert!(!text.contains("PutObject"), "{text}");
}

/// `--generalize` writes `*` only for the one segment the events show several values of, says
/// from which values, and the proofs run on the generalized policy; an SSE-KMS upload and
/// download add the KMS actions on the key the events name (decision D148).
#[test]
fn generalize_one_segment_and_kms_for_sse_kms_objects() {
    let d = setup(BROAD);
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut put = event("PutObject", Some("q3.csv"), None);
    put["responseElements"] =
        json!({"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key});
    let mut get = event("GetObject", Some("q3.csv"), None);
    get["requestParameters"]["SSEKMSKeyId"] = json!(key);
    let mut other = event("GetObject", Some("2026/a.csv"), None);
    other["eventTime"] = json!("2026-11-20T11:00:00Z");
    let events = json!({"Records": [
        event("GetObject", Some("q1.csv"), None),
        event("GetObject", Some("q2.csv"), None),
        other, put, get,
    ]});
    std::fs::write(d.0.join("events.json"), events.to_string()).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "generate-policy",
            "--cloudtrail",
            "events.json",
            "--principal",
            "arn:aws:iam::123456789012:user/dev",
            "--account-data",
            "data",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = iamspect(&d.0, &args);
        // Exit 1: the KMS actions are new access against BROAD (checked below).
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let plain = run(&[]);
    assert_eq!(plain["generalized"], json!([]));
    assert!(!plain["policy"].to_string().contains("reports/*"), "{}", plain["policy"]);
    let v = run(&["--generalize"]);
    let text = v["policy"].to_string();
    // q1, q2, q3 differ in the last segment only; 2026/a.csv has another shape and stays literal.
    assert!(text.contains("\"arn:aws:s3:::reports/*\""), "{text}");
    assert!(text.contains("arn:aws:s3:::reports/2026/a.csv"), "{text}");
    assert!(!text.contains("reports/q1.csv"), "{text}");
    let g = v["generalized"].as_array().unwrap();
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0]["pattern"], "arn:aws:s3:::reports/*");
    assert_eq!(g[0]["values"], json!(["q1.csv", "q2.csv", "q3.csv"]));
    // KMS on the key: GenerateDataKey for the upload, Decrypt for the download.
    let statements = v["policy"]["Statement"].as_array().unwrap();
    let kms = statements.iter().find(|s| s["Sid"] == "Kms").unwrap();
    assert_eq!(kms["Action"], json!(["kms:Decrypt", "kms:GenerateDataKey"]));
    assert_eq!(kms["Resource"], key);
    assert_eq!(v["proofs"]["allowsEveryRequest"]["proved"], true, "{v}");
    assert_eq!(v["proofs"]["lint"]["proved"], true, "{v}");
    // BROAD grants only s3:*, so the KMS actions are new access, and said so.
    assert_eq!(v["proofs"]["noNewAccess"]["result"], "FAIL", "{v}");
}
