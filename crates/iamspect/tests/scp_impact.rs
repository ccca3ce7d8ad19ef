//! `iamspect scp-impact` (decision D121): what attaching an SCP breaks, on a small organization
//! (`tests/scp_impact_data`). Every counterexample's case is decided again by `iamspect eval`: denied
//! as it says with the new SCP, allowed with the SCP taken out of its level.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scp_impact_data")
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn impact(scp: &Path, target: &str) -> (Option<i32>, Value) {
    let d = data();
    let (code, out, err) = run(&[
        "scp-impact",
        "--account-data",
        &format!("{},{}", d.join("gaad.json").display(), d.join("org.json").display()),
        "--scp",
        &scp.display().to_string(),
        "--target",
        target,
        "--format",
        "json",
    ]);
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}")))
}

fn eval_case(case: &Value, name: &str) -> String {
    let path = std::env::temp_dir().join(format!("iamspect-scp-impact-{}-{name}.json", std::process::id()));
    std::fs::write(&path, case.to_string()).unwrap();
    let (_, out, err) = run(&["eval", &path.display().to_string(), "--format", "json"]);
    let _ = std::fs::remove_file(&path);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    v["decision"].as_str().unwrap_or_default().to_string()
}

#[test]
fn region_lock_breaks_and_every_counterexample_is_confirmed() {
    let (code, v) = impact(&data().join("region-lock-scp.json"), "ou-exam-workloads");
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["result"], "FAIL");
    let principals = v["principals"].as_array().unwrap();
    let by = |arn: &str| principals.iter().find(|p| p["principal"] == arn).unwrap_or_else(|| panic!("{arn}: {v}"));
    let dev = by("arn:aws:iam::222222222222:user/dev");
    assert_eq!(dev["breaks"], true);
    let actions: Vec<&str> = dev["actions"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(actions.contains(&"ec2:DescribeInstances"), "{actions:?}");
    // IAM is outside the region lock: the user's `iam:Get*` keeps working.
    assert!(!actions.iter().any(|a| a.starts_with("iam:")), "{actions:?}");
    let deploy = by("arn:aws:iam::222222222222:role/Deploy");
    assert_eq!(deploy["actions"], serde_json::json!(["s3:GetObject", "s3:PutObject"]));
    let mut checked = 0;
    for p in principals {
        for (i, c) in p["counterexamples"].as_array().into_iter().flatten().enumerate() {
            let case = &c["case"];
            let name = format!("{}-{i}", p["kind"].as_str().unwrap());
            assert_eq!(eval_case(case, &name), c["withNewScp"].as_str().unwrap(), "{case}");
            // Without the new SCP (the last policy of its level) the same request is allowed.
            let mut today = case.clone();
            for level in today["scps"].as_array_mut().unwrap() {
                let l = level.as_array_mut().unwrap();
                if l.len() > 1 {
                    l.pop();
                }
            }
            today["expect"]["decision"] = "allowed".into();
            assert_eq!(eval_case(&today, &format!("{name}-today")), "allowed", "{today}");
            checked += 1;
        }
    }
    assert!(checked >= 3);
}

#[test]
fn an_scp_that_only_allows_breaks_nothing() {
    let path = std::env::temp_dir().join(format!("iamspect-scp-impact-allow-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    )
    .unwrap();
    let (code, v) = impact(&path, "r-exam");
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["result"], "PASS");
    // A deny that no loaded principal's request can meet breaks nothing either.
    std::fs::write(
        &path,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}}]}"#,
    )
    .unwrap();
    let (code, v) = impact(&path, "222222222222");
    assert_eq!(code, Some(0), "{v}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_target_outside_the_organization_is_refused() {
    let d = data();
    let (code, _, err) = run(&[
        "scp-impact",
        "--account-data",
        &format!("{},{}", d.join("gaad.json").display(), d.join("org.json").display()),
        "--scp",
        &d.join("region-lock-scp.json").display().to_string(),
        "--target",
        "ou-nope",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("ou-nope"), "{err}");
}

fn impact_rcp(rcp: &Path, target: &str) -> (Option<i32>, Value) {
    let d = data();
    let (code, out, err) = run(&[
        "scp-impact",
        "--account-data",
        &format!("{},{}", d.join("gaad.json").display(), d.join("org.json").display()),
        "--rcp",
        &rcp.display().to_string(),
        "--target",
        target,
        "--format",
        "json",
    ]);
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}")))
}

/// An RCP that denies S3 without TLS (decision D152): the role's S3 actions and the root user's
/// break, the user's EC2 and IAM actions do not; every case decided by `iamspect eval` as it says
/// with the RCP, and allowed with the RCP taken out of its level.
#[test]
fn an_rcp_breaks_the_requests_it_denies_and_every_counterexample_is_confirmed() {
    let (code, v) = impact_rcp(&data().join("rcp-tls-only.json"), "ou-exam-workloads");
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["result"], "FAIL");
    assert!(v.get("scp").is_none(), "{v}");
    assert!(v["rcp"].as_str().unwrap().ends_with("rcp-tls-only.json"), "{v}");
    let principals = v["principals"].as_array().unwrap();
    let by = |arn: &str| principals.iter().find(|p| p["principal"] == arn).unwrap_or_else(|| panic!("{arn}: {v}"));
    assert_eq!(by("arn:aws:iam::222222222222:user/dev")["breaks"], false);
    let deploy = by("arn:aws:iam::222222222222:role/Deploy");
    assert_eq!(deploy["actions"], serde_json::json!(["s3:GetObject", "s3:PutObject"]));
    assert_eq!(by("arn:aws:iam::222222222222:root")["breaks"], true);
    let mut checked = 0;
    for p in principals {
        for (i, c) in p["counterexamples"].as_array().into_iter().flatten().enumerate() {
            let case = &c["case"];
            assert!(c.get("withNewScp").is_none(), "{c}");
            assert_eq!(case["context"]["aws:SecureTransport"], "false", "{case}");
            let name = format!("rcp-{}-{i}", p["kind"].as_str().unwrap());
            assert_eq!(eval_case(case, &name), c["after"].as_str().unwrap(), "{case}");
            // Without the new RCP (the last policy of its level) the same request is allowed.
            let mut today = case.clone();
            let mut removed = 0;
            for level in today["rcps"].as_array_mut().unwrap() {
                let l = level.as_array_mut().unwrap();
                if l.last().is_some_and(|x| x.to_string().contains("TlsOnly")) {
                    l.pop();
                    removed += 1;
                }
            }
            assert_eq!(removed, 1, "{case}");
            today["expect"]["decision"] = "allowed".into();
            assert_eq!(eval_case(&today, &format!("{name}-today")), "allowed", "{today}");
            checked += 1;
        }
    }
    assert!(checked >= 3);
}

/// An RCP that no loaded principal's own requests meet, but that denies callers outside the
/// organization: not PASS, since resource-based grants and outside callers are not asked (D152).
/// An RCP that denies nothing is PASS.
#[test]
fn an_rcp_for_outside_callers_is_unknown_and_one_that_denies_nothing_passes() {
    let (code, v) = impact_rcp(&data().join("rcp-org-only.json"), "ou-exam-workloads");
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["result"], "UNKNOWN");
    assert_eq!(v["accountsNotProved"], serde_json::json!(["222222222222"]));
    assert!(v["principals"].as_array().unwrap().iter().all(|p| p["breaks"] == false), "{v}");
    let path = std::env::temp_dir().join(format!("iamspect-rcp-impact-allow-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let (code, v) = impact_rcp(&path, "r-exam");
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["result"], "PASS");
    assert_eq!(v["accountsNotProved"], serde_json::json!([]));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn an_scp_and_an_rcp_together_and_neither_refused() {
    let d = data();
    let account_data = format!("{},{}", d.join("gaad.json").display(), d.join("org.json").display());
    let (code, _, err) = run(&["scp-impact", "--account-data", &account_data, "--target", "r-exam"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, out, err) = run(&[
        "scp-impact",
        "--account-data",
        &account_data,
        "--scp",
        &d.join("region-lock-scp.json").display().to_string(),
        "--rcp",
        &d.join("rcp-tls-only.json").display().to_string(),
        "--target",
        "ou-exam-workloads",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    for p in v["principals"].as_array().unwrap() {
        for (i, c) in p["counterexamples"].as_array().into_iter().flatten().enumerate() {
            assert_eq!(c["withNewScp"], c["after"], "{c}");
            let name = format!("both-{}-{i}", p["kind"].as_str().unwrap());
            assert_eq!(eval_case(&c["case"], &name), c["after"].as_str().unwrap(), "{c}");
        }
    }
}

/// An SCP that denies S3 on other accounts' resources breaks none of the principals' requests on
/// their own account, but a bucket of another account may grant them today: not PASS (D154).
#[test]
fn an_scp_on_other_accounts_resources_is_not_passed() {
    let path = std::env::temp_dir().join(format!("iamspect-scp-impact-own-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceAccount":"222222222222"}}}]}"#,
    )
    .unwrap();
    let (code, v) = impact(&path, "ou-exam-workloads");
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["result"], "UNKNOWN", "{v}");
    let principals = v["principals"].as_array().unwrap();
    assert!(principals.iter().all(|p| p["breaks"].is_null() && p["unknown"].is_string()), "{v}");
}
