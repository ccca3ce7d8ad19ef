//! `iamspect replay --summary [--baseline EVENTS]`: denial trends, and the patterns new against a
//! baseline window (decision D89).
#![allow(clippy::unwrap_used, reason = "test code")]

use std::process::Command;

use serde_json::{Value, json};

fn denied(user: &str, name: &str, hour: &str, id: u32) -> Value {
    json!({
        "eventID": format!("00000000-0000-0000-0000-{id:012}"),
        "eventVersion": "1.08", "eventTime": format!("2026-11-20T{hour}:05:00Z"), "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::123456789012:user/{user}"), "accountId": "123456789012", "principalId": "AIDAEXAMPLE", "userName": user},
        "requestParameters": {"bucketName": "reports", "key": "q1.csv"},
        "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::reports/q1.csv"}, {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}],
        "errorCode": "AccessDenied",
        "errorMessage": format!("User: arn:aws:iam::123456789012:user/{user} is not authorized to perform: s3:{name} on resource: \"arn:aws:s3:::reports/q1.csv\" because no identity-based policy allows the s3:{name} action"),
    })
}

#[test]
fn denial_trends_and_new_patterns() {
    let dir = std::env::temp_dir().join(format!("iamspect-replay-summary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/gaad.json"),
        r#"{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#,
    )
    .unwrap();
    let now = json!({"Records": [denied("dev", "GetObject", "10", 1), denied("dev", "GetObject", "10", 2), denied("dev", "PutObject", "11", 3), denied("ci", "GetObject", "11", 4)]});
    let before = json!({"Records": [denied("dev", "GetObject", "09", 5)]});
    std::fs::write(dir.join("now.json"), now.to_string()).unwrap();
    std::fs::write(dir.join("before.json"), before.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args([
            "replay",
            "--summary",
            "--account-data",
            "data",
            "now.json",
            "--baseline",
            "before.json",
            "--format",
            "json",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["denials"], 4, "{v}");
    assert_eq!(v["byPrincipal"][0], json!({"key": "arn:aws:iam::123456789012:user/dev", "count": 3}), "{v}");
    assert_eq!(v["byPolicyType"][0]["key"], "no allow in a identity-based policy", "{v}");
    assert_eq!(v["byHour"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["topCauses"][0]["count"], 2, "{v}");
    let new: Vec<(String, String)> = v["newPatterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["principal"].as_str().unwrap().to_string(), n["action"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        new,
        vec![
            ("arn:aws:iam::123456789012:user/ci".to_string(), "s3:GetObject".to_string()),
            ("arn:aws:iam::123456789012:user/dev".to_string(), "s3:PutObject".to_string()),
        ],
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
