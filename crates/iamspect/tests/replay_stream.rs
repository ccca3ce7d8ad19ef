//! `iamspect replay` and `replay --summary` read streaming and in parallel (decisions D157,
//! D158): the events are reported in the order of the files and records, the first of identical
//! records is the one reported, a folder file that fails half-way counts for nothing, a named
//! file that fails prints nothing but its error, and a summary's first message is the first in
//! that order whatever the threads do.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn denied(user: &str, name: &str, id: u32, message: &str) -> Value {
    json!({
        "eventID": format!("00000000-0000-0000-0000-{id:012}"),
        "eventVersion": "1.08", "eventTime": "2026-11-20T10:05:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::123456789012:user/{user}"), "accountId": "123456789012", "principalId": "AIDAEXAMPLE", "userName": user},
        "requestParameters": {"bucketName": "reports", "key": "q1.csv"},
        "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::reports/q1.csv"}, {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}],
        "errorCode": "AccessDenied",
        "errorMessage": message,
    })
}

fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-replay-stream-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(dir.join("events")).unwrap();
    std::fs::write(
        dir.join("data/gaad.json"),
        r#"{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#,
    )
    .unwrap();
    dir
}

fn replay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["replay", "--account-data", "data", "--color", "never"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Twelve files of a few events each; the duplicate of file 0's first event sits in file 7.
fn write_events(dir: &Path) -> Vec<String> {
    let mut want = Vec::new();
    let mut id = 0;
    for f in 0..12 {
        let mut records = Vec::new();
        for _ in 0..(1 + f % 4) {
            id += 1;
            records.push(denied("dev", "GetObject", id, &format!("message {id}")));
            want.push(format!("events/f{f:02}.json#{}", records.len() - 1));
        }
        if f == 7 {
            records.push(denied("dev", "GetObject", 1, "message 1"));
        }
        std::fs::write(dir.join(format!("events/f{f:02}.json")), json!({"Records": records}).to_string()).unwrap();
    }
    want
}

#[test]
fn events_are_reported_in_file_order_and_the_first_copy_wins() {
    let dir = setup("order");
    let want = write_events(&dir);
    // A folder file that fails after two records: skipped whole, named on stderr.
    std::fs::write(
        dir.join("events/g.json"),
        json!([denied("ci", "PutObject", 900, "m"), denied("ci", "PutObject", 901, "m"), {"x": 1}]).to_string(),
    )
    .unwrap();
    let out = replay(&dir, &["events", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: skipped events/g.json"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert_eq!(got, want);
    assert_eq!(v["summary"]["duplicateRecords"], 1);
    assert_eq!(v["files"].as_array().unwrap().len(), 12);
    // The text report lists the same events in the same order.
    let out = replay(&dir, &["events"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<&str> = text.lines().filter_map(|l| l.split(" id ").nth(1)).collect();
    assert_eq!(ids.len(), want.len(), "{text}");
    assert!(ids.iter().zip(&want).all(|(line, src)| line.ends_with(src.as_str())), "{text}");
    assert!(text.ends_with("1 duplicate records skipped\n"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_named_file_that_fails_prints_only_its_error() {
    let dir = setup("named");
    write_events(&dir);
    std::fs::write(dir.join("bad.json"), json!([denied("ci", "PutObject", 900, "m"), {"x": 1}]).to_string()).unwrap();
    let out = replay(&dir, &["events", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: bad.json: an array must hold CloudTrail records"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_summary_keeps_the_first_message_in_file_order() {
    let dir = setup("summary");
    // One cause; the first event (in file order) that has a message says "first". Its copy in
    // the last file must neither count twice nor change which message is first.
    let first = denied("dev", "GetObject", 1, "first");
    std::fs::write(dir.join("events/a.json"), json!({"Records": [first]}).to_string()).unwrap();
    for (i, f) in ["b", "c", "d", "e"].iter().enumerate() {
        let id = u32::try_from(i).unwrap() + 2;
        std::fs::write(
            dir.join(format!("events/{f}.json")),
            json!({"Records": [denied("dev", "GetObject", id, "later")]}).to_string(),
        )
        .unwrap();
    }
    std::fs::write(dir.join("events/z.json"), json!({"Records": [first]}).to_string()).unwrap();
    for _ in 0..5 {
        let out = replay(&dir, &["--summary", "events", "--format", "json"]);
        assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["denials"], 5, "{v}");
        assert_eq!(v["topCauses"][0]["count"], 5, "{v}");
        assert_eq!(v["topCauses"][0]["message"], "first", "{v}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
