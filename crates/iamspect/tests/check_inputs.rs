//! The check commands on Terraform plans and CloudFormation templates (decisions D150, D151): the
//! policy of the asked type, or of the resource `--policy-resource` names, with every other case
//! refused naming the candidates; every counterexample decided again by `iamspect eval`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check").join(name).display().to_string()
}

fn iamspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).output().unwrap()
}

/// A fresh folder of its own: the tests run in parallel in one process, so the process id alone
/// would give two of them the same folder.
fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("iamspect-check-inputs-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a check with `--format json`, asserts its exit code and result, and decides every
/// counterexample again with `iamspect eval`, which must allow it.
fn check(args: &[&str], code: i32, result: &str) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = iamspect(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["result"], result, "{stdout}");
    let dir = scratch("eval");
    for (i, case) in v["counterexamples"].as_array().unwrap().iter().enumerate() {
        assert_eq!(v["counterexamplesCatalogued"], true, "{stdout}");
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, case.to_string()).unwrap();
        let ev = iamspect(&["eval", path.to_str().unwrap(), "--format", "json"]);
        let text = String::from_utf8_lossy(&ev.stdout);
        assert_eq!(ev.status.code(), Some(0), "{case}: {text}{}", String::from_utf8_lossy(&ev.stderr));
        assert!(text.contains("\"allowed\""), "{case}: {text}");
    }
    if code == 1 {
        assert!(!v["counterexamples"].as_array().unwrap().is_empty(), "{stdout}");
    }
    v
}

fn refused(args: &[&str], says: &[&str]) {
    let out = iamspect(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for s in says {
        assert!(err.contains(s), "{args:?} should say {s:?}: {err}");
    }
}

#[test]
fn a_plan_is_compared_resource_by_resource() {
    let (new, old) = (fixture("plan-new.json"), fixture("plan-old.json"));
    let sel = ["--policy-type", "identity", "--policy-resource", "aws_iam_role_policy.app_s3"];
    let v = check(&[&["check-no-new-access", &new, "--existing", &old][..], &sel].concat(), 1, "FAIL");
    let actions: Vec<&str> =
        v["counterexamples"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert!(actions.iter().all(|a| a.eq_ignore_ascii_case("s3:PutObject")), "{actions:?}");
    check(&[&["check-no-new-access", &old, "--existing", &new][..], &sel].concat(), 0, "PASS");
    // The full name (resource and attribute) selects too.
    check(
        &[
            "check-no-new-access",
            &old,
            "--existing",
            &new,
            "--policy-type",
            "identity",
            "--policy-resource",
            "aws_iam_role.app.inline_policy[0].policy",
        ],
        0,
        "PASS",
    );
    // One trust policy in the plan: no name needed.
    check(&["check-no-new-access", &new, "--existing", &old, "--policy-type", "trust"], 0, "PASS");
}

#[test]
fn a_plan_with_several_candidates_is_refused_naming_them() {
    let (new, old) = (fixture("plan-new.json"), fixture("plan-old.json"));
    refused(
        &["check-no-new-access", &new, "--existing", &old, "--policy-type", "identity"],
        &["aws_iam_role.app.inline_policy[0].policy", "aws_iam_role_policy.app_s3.policy", "--policy-resource"],
    );
    refused(
        &["check-access-not-granted", &new, "--policy-type", "identity", "--actions", "s3:PutObject"],
        &["2 policies could be the one"],
    );
    refused(
        &[
            "check-no-new-access",
            &new,
            "--existing",
            &old,
            "--policy-type",
            "identity",
            "--policy-resource",
            "aws_iam_role.missing",
        ],
        &["no resource `aws_iam_role.missing`", "aws_s3_bucket_policy.reports.policy"],
    );
    // A name whose policy is of another type.
    refused(
        &[
            "check-access-not-granted",
            &new,
            "--policy-type",
            "scp",
            "--actions",
            "s3:*",
            "--policy-resource",
            "aws_iam_role.app",
        ],
        &["holds no `scp` policy", "aws_iam_role.app.assume_role_policy"],
    );
    // `--policy-resource` with policy files only: refused, not ignored.
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/check/old-read.json").display().to_string();
    refused(
        &["check-no-new-access", &p, "--existing", &p, "--policy-type", "identity", "--policy-resource", "x"],
        &["--policy-resource `x`"],
    );
}

#[test]
fn a_plan_s_bucket_policy_is_checked_for_public_access() {
    let (new, old) = (fixture("plan-new.json"), fixture("plan-old.json"));
    let v = check(&["check-no-public-access", &new, "--resource-type", "AWS::S3::Bucket"], 1, "FAIL");
    assert!(v["reasons"][0]["description"].as_str().unwrap().contains("aws_s3_bucket_policy.reports"), "{v}");
    check(&["check-no-public-access", &old, "--resource-type", "AWS::S3::Bucket"], 0, "PASS");
    refused(
        &["check-no-public-access", &new, "--resource-type", "AWS::SQS::Queue"],
        &["holds no `resource` policy of AWS::SQS::Queue"],
    );
}

#[test]
fn a_template_s_fixed_policies_are_checked_and_intrinsics_refused() {
    let t = fixture("template.yaml");
    check(&["check-access-not-granted", &t, "--policy-type", "identity", "--actions", "s3:DeleteObject"], 0, "PASS");
    check(&["check-access-not-granted", &t, "--policy-type", "identity", "--actions", "s3:ListBucket"], 1, "FAIL");
    // A managed policy may be checked as a permissions boundary.
    check(&["check-access-not-granted", &t, "--policy-type", "boundary", "--actions", "s3:ListBucket"], 1, "FAIL");
    check(&["check-no-public-access", &t, "--resource-type", "AWS::IAM::AssumeRolePolicyDocument"], 0, "PASS");
    refused(
        &["check-no-public-access", &t, "--resource-type", "AWS::S3::Bucket"],
        &["ReportsPolicy.PolicyDocument", "Fn::Sub"],
    );
    refused(&["check-no-new-access", &t, "--existing", &t, "--policy-type", "session"], &["holds no `session` policy"]);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=ci@example.invalid", "-c", "user.name=ci", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn existing_rev_reads_a_template_and_a_plan_at_the_base() {
    if Command::new("git").arg("--version").output().is_err() {
        return;
    }
    let dir = scratch("rev");
    git(&dir, &["init", "-q", "-b", "main"]);
    let template = std::fs::read_to_string(fixture("template.yaml")).unwrap();
    std::fs::write(dir.join("stack.yaml"), &template).unwrap();
    std::fs::copy(fixture("plan-old.json"), dir.join("plan.json")).unwrap();
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    let wider = template.replace("- s3:ListBucket", "- s3:ListBucket\n              - s3:PutObject");
    assert_ne!(wider, template);
    std::fs::write(dir.join("stack.yaml"), wider).unwrap();
    std::fs::copy(fixture("plan-new.json"), dir.join("plan.json")).unwrap();
    let stack = dir.join("stack.yaml").display().to_string();
    let plan = dir.join("plan.json").display().to_string();
    let v = check(&["check-no-new-access", &stack, "--existing-rev", "HEAD", "--policy-type", "identity"], 1, "FAIL");
    assert!(v["counterexamples"][0]["action"].as_str().unwrap().eq_ignore_ascii_case("s3:PutObject"), "{v}");
    check(
        &[
            "check-no-new-access",
            &plan,
            "--existing-rev",
            "HEAD",
            "--policy-type",
            "identity",
            "--policy-resource",
            "aws_iam_role_policy.app_s3",
        ],
        1,
        "FAIL",
    );
    git(&dir, &["commit", "-qam", "wider"]);
    check(&["check-no-new-access", &stack, "--existing-rev", "HEAD", "--policy-type", "identity"], 0, "PASS");
    let _ = std::fs::remove_dir_all(&dir);
}
