//! `who-can` over a real dump (cloudsplaining's example): conditional grants are listed with the
//! context values the engine allowed them with, and each of those is confirmed by `iamspect eval`
//! (decision D84).
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dump() -> Option<PathBuf> {
    let path = root().join("../shared/corpora/gaad/cloudsplaining/examples_files_example.json");
    if path.is_file() {
        return Some(path);
    }
    let message =
        format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
    None
}

fn iamspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn who_can(data: &Path, action: &str, resource: &str) -> Value {
    let out = iamspect(&[
        "who-can",
        "--account-data",
        data.to_str().unwrap(),
        "--action",
        action,
        "--resource",
        resource,
        "--context",
        "aws:CurrentTime=2026-06-01T12:00:00Z",
        "--format",
        "json",
    ]);
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn entry<'a>(v: &'a Value, principal: &str) -> Option<&'a Value> {
    v["allowed"].as_array().unwrap().iter().find(|a| a["principal"] == principal)
}

/// Every conditional entry, decided again by `eval` with its context values: allowed.
fn confirm(data: &Path, v: &Value, action: &str, resource: &str) -> usize {
    let mut n = 0;
    for a in v["allowed"].as_array().unwrap().iter().filter(|a| a["conditional"] == true) {
        let mut args = vec![
            "eval".to_string(),
            "--account-data".to_string(),
            data.to_str().unwrap().to_string(),
            "--principal".to_string(),
            a["principal"].as_str().unwrap().to_string(),
            "--action".to_string(),
            action.to_string(),
            "--resource".to_string(),
            resource.to_string(),
            "--context".to_string(),
            "aws:CurrentTime=2026-06-01T12:00:00Z".to_string(),
        ];
        for (k, val) in a["allowedWith"].as_object().unwrap() {
            args.push("--context".to_string());
            args.push(format!("{k}={}", val.as_str().unwrap()));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = iamspect(&refs);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{a}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    n
}

#[test]
fn conditional_grants_are_listed_and_confirmed() {
    let Some(data) = dump() else { return };
    let role = "arn:aws:iam::200611803367:role/AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1";
    let v = who_can(&data, "iam:PassRole", role);
    let ssm = entry(&v, "arn:aws:iam::200611803367:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM")
        .expect("the SSM service role may pass roles to SSM");
    assert_eq!(ssm["conditional"], true, "{ssm}");
    assert_eq!(ssm["allowedWith"]["iam:PassedToService"], "ssm.amazonaws.com", "{ssm}");
    // The residual condition (decision D94): exactly the one value, as a pasteable block.
    assert_eq!(
        ssm["allowedIf"],
        serde_json::json!([{"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}]),
        "{ssm}"
    );
    assert!(ssm["unknownKeys"].as_array().unwrap().iter().any(|k| k == "iam:PassedToService"), "{ssm}");
    assert!(confirm(&data, &v, "iam:PassRole", role) >= 1);

    // `DateGreaterThan aws:TokenIssueTime 2020`: a role's sessions always carry a recent issue
    // time, a user only with temporary credentials; `DateLessThan ... 2020` no live session meets.
    let policy = "arn:aws:iam::200611803367:policy/x";
    let v = who_can(&data, "iam:CreatePolicyVersion", policy);
    let role = entry(&v, "arn:aws:iam::200611803367:role/fn3-exploitableConditionConstraint-role").unwrap();
    assert_eq!(role["conditional"], false, "{role}");
    let user = entry(&v, "arn:aws:iam::200611803367:user/fn3-exploitableConditionConstraint-user").unwrap();
    assert_eq!(user["conditional"], true, "{user}");
    assert!(user["allowedWith"]["aws:TokenIssueTime"].is_string(), "{user}");
    assert_eq!(
        user["allowedIf"],
        serde_json::json!([{"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}]),
        "{user}"
    );
    assert!(role.get("allowedIf").is_none(), "allowed as asked: no residual: {role}");
    assert!(entry(&v, "arn:aws:iam::200611803367:role/fp5-nonExploitableConditionConstraint-role").is_none());
    assert!(entry(&v, "arn:aws:iam::200611803367:user/fp5-nonExploitableConditionConstraint-user").is_none());
    confirm(&data, &v, "iam:CreatePolicyVersion", policy);
}

/// Principals a trust policy names that are not loaded principals: an IAM Identity Center session
/// of a loaded role, and service principals (decision D85).
#[test]
fn named_sessions_and_services_are_listed() {
    let Some(data) = dump() else { return };
    let v = who_can(&data, "sts:AssumeRole", "arn:aws:iam::200611803367:role/fn1-privesc3-partial-role");
    let session =
        "arn:aws:sts::200611803367:assumed-role/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io";
    let e = entry(&v, session).unwrap_or_else(|| panic!("{v}"));
    assert_eq!(e["kind"], "role session");
    let v = who_can(&data, "sts:AssumeRole", "arn:aws:iam::200611803367:role/privesc-high-priv-service-role");
    let services: Vec<&str> = v["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "service")
        .map(|a| a["principal"].as_str().unwrap())
        .collect();
    assert_eq!(services.len(), 10, "{services:?}");
    assert!(services.contains(&"lambda.amazonaws.com"));
}

/// what-can lists the roles a principal can assume, decided with each role's trust policy, not
/// `sts:AssumeRole` on `*` from identity policies alone (decision D86); `--summary` counts.
#[test]
fn what_can_lists_the_roles_a_principal_can_assume() {
    let Some(data) = dump() else { return };
    let session =
        "arn:aws:sts::200611803367:assumed-role/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io";
    let out = iamspect(&[
        "what-can",
        "--account-data",
        data.to_str().unwrap(),
        "--principal",
        session,
        "--service",
        "sts",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let assume: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["actions"].as_array().unwrap())
        .filter(|a| a["action"] == "sts:AssumeRole")
        .map(|a| a["resource"].as_str().unwrap())
        .collect();
    assert!(assume.contains(&"arn:aws:iam::200611803367:role/fn1-privesc3-partial-role"), "{assume:?}");
    assert!(!assume.contains(&"*"), "{assume:?}");
    // A role the session is not trusted by is not listed: the SSM service-linked role trusts
    // only ssm.amazonaws.com.
    assert!(!assume.iter().any(|r| r.contains("AWSServiceRoleForAmazonSSM")), "{assume:?}");
    let out = iamspect(&[
        "what-can",
        "--account-data",
        data.to_str().unwrap(),
        "--principal",
        session,
        "--summary",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sts =
        v["summary"].as_array().unwrap().iter().find(|r| r["service"] == "sts" && r["accessLevel"] == "Write").unwrap();
    assert!(sts["allowed"].as_u64().unwrap() >= assume.len() as u64, "{sts}");
}

/// ECR writes repository policies without `Resource`: the policy applies to its repository, in
/// the registry's account (decision D87).
#[test]
fn ecr_repository_policies_apply_to_their_repository() {
    let data = root().join("../shared/corpora/gaad/cloudmapper-demo");
    if !data.is_dir() {
        let _ = dump();
        return;
    }
    let out = iamspect(&[
        "who-can",
        "--account-data",
        data.to_str().unwrap(),
        "--action",
        "ecr:BatchGetImage",
        "--resource",
        "arn:aws:ecr:us-east-1:123456789012:repository/cloudmapper",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["everyone"]["anonymousDecision"], "allowed", "{v}");
}

/// A trust policy naming an account that is not loaded lists that account (its principals decide
/// by their own policies, decision D85), and a user of an account that is not loaded, with the
/// condition that its own policies allow it too (decision D95).
#[test]
fn principals_of_accounts_not_loaded() {
    let dir = std::env::temp_dir().join(format!("iamspect-who-can-unloaded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("gaad.json"),
        r#"{"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [{"Path": "/", "RoleName": "Deploy", "RoleId": "AROAEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:role/Deploy", "RolePolicyList": [], "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": [],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Principal": {"AWS": ["arn:aws:iam::999988887777:user/ci", "arn:aws:iam::444455556666:root"]}, "Action": "sts:AssumeRole"}]}}]}"#,
    )
    .unwrap();
    let out = iamspect(&[
        "who-can",
        "--account-data",
        dir.to_str().unwrap(),
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::123456789012:role/Deploy",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let account = entry(&v, "arn:aws:iam::444455556666:root").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(account["kind"], "account not loaded", "{v}");
    // A user of an account that is not loaded is asked with the resource's side alone and listed
    // with the condition that its own policies allow it too (decision D95).
    let user = entry(&v, "arn:aws:iam::999988887777:user/ci").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(user["kind"], "principal of an account not loaded", "{v}");
    assert!(user["conditions"].to_string().contains("its own policies"), "{user}");
    assert!(!user["grantedBy"].to_string().contains("not loaded"), "{user}");
    assert!(!v["leftOut"].to_string().contains("999988887777"), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}
