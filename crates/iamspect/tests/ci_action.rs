//! The GitHub action's script (`scripts/ci/pull-request.sh`), run locally on a sample pull request:
//! a scratch git repository with a base commit and a change to a policy.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ci/pull-request.sh")
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

fn run(dir: &Path, base: &str) -> Output {
    Command::new("bash")
        .arg(script())
        .current_dir(dir)
        .env("BASE", base)
        .env("PATHS", "policies")
        .env("IAMSPECT", env!("CARGO_BIN_EXE_iamspect"))
        .env("SARIF", dir.join("out.sarif"))
        .output()
        .unwrap()
}

const READ: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}]}"#;
const READ_NARROWER: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#;
const READ_WRITE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}, {"Sid": "Write", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::reports/*"}]}"#;

#[test]
fn the_action_script_passes_a_narrowing_and_fails_new_access() {
    if Command::new("git").arg("--version").output().is_err() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("iamspect-ci-action-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("policies/app.json"), READ).unwrap();
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    git(&dir, &["checkout", "-qb", "narrow"]);
    std::fs::write(dir.join("policies/app.json"), READ_NARROWER).unwrap();
    git(&dir, &["commit", "-qam", "narrower"]);
    let out = run(&dir, "main");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("PASS"), "{text}");
    assert!(dir.join("out.sarif").is_file());

    git(&dir, &["checkout", "-qb", "wider", "main"]);
    std::fs::write(dir.join("policies/app.json"), READ_WRITE).unwrap();
    std::fs::write(dir.join("policies/new.json"), READ).unwrap();
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "wider"]);
    let out = run(&dir, "main");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("::error file=policies/app.json::check-no-new-access: FAIL"), "{text}");
    assert!(text.contains("\"s3:PutObject\""), "the counterexample names the new action: {text}");
    assert!(text.contains("::notice file=policies/new.json::new policy file"), "{text}");

    // A base that is not a revision is bad input, not a pass.
    assert_eq!(run(&dir, "no-such-branch").status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
