//! IAM Identity Center (decision D96): permission sets and assignments, from `aws sso-admin` and
//! `aws identitystore` outputs in `tests/data/identity-center`, tied to the `AWSReservedSSO_*`
//! roles of cloudsplaining's real dump, so that who-can names the people who sign in to them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iamspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn dump() -> Option<String> {
    let path = root().join("../shared/corpora/gaad/cloudsplaining/examples_files_example.json");
    if !path.exists() {
        assert!(std::env::var_os("CI").is_none(), "{} is absent (CI is set, so this fails)", path.display());
        eprintln!("WARNING: SKIPPED: {} is absent", path.display());
        return None;
    }
    Some(path.to_str().unwrap().to_string())
}

const DATA: &str = "crates/iamspect/tests/data/identity-center";
const ADMIN_ROLE: &str =
    "arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc";

fn who_can(data: &str, action: &str, resource: &str) -> (Value, String) {
    let out =
        iamspect(&["who-can", "--account-data", data, "--action", action, "--resource", resource, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn entry<'a>(v: &'a Value, principal: &str) -> Option<&'a Value> {
    v["allowed"].as_array()?.iter().find(|a| a["principal"] == principal)
}

#[test]
fn who_can_names_the_people_who_sign_in_to_a_permission_sets_role() {
    let Some(dump) = dump() else { return };
    let data = format!("{dump},{DATA}");
    let (v, stderr) = who_can(&data, "iam:CreateUser", "arn:aws:iam::200611803367:user/x");
    let admin = entry(&v, ADMIN_ROLE).unwrap_or_else(|| panic!("{v}"));
    let ic = &admin["identityCenter"];
    assert_eq!(ic["permissionSet"], "AdministratorAccess", "{admin}");
    let sign_ins = ic["signIns"].as_array().unwrap();
    assert!(sign_ins.contains(&serde_json::json!({"user": "elad@codsec.io"})), "{ic}");
    assert!(sign_ins.contains(&serde_json::json!({"user": "carol@example.com", "group": "Admins"})), "{ic}");
    assert!(!sign_ins.iter().any(|s| s["user"] == "bob@example.com"), "bob is assigned elsewhere: {ic}");
    // Principals that are no Identity Center role carry nothing.
    assert!(
        v["allowed"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["principal"] != ADMIN_ROLE)
            .all(|a| a.get("identityCenter").is_none())
    );

    // What the data does not tie is said: an account not loaded, a set not provisioned, a role
    // that differs from its set.
    assert!(stderr.contains("assigned in account 111122223333, which is not loaded"), "{stderr}");
    assert!(stderr.contains("no `AWSReservedSSO_Billing_*` role"), "{stderr}");
    assert!(stderr.contains("differs from permission set `ViewOnlyAccess`"), "{stderr}");
    assert!(!stderr.contains("differs from permission set `AdministratorAccess`"), "{stderr}");
}

/// The session a trust policy names (the dump's own Identity Center session) is tied to its role
/// and its permission set through the session ARN, which carries no path.
#[test]
fn sessions_of_the_role_are_tied_too() {
    let Some(dump) = dump() else { return };
    let data = format!("{dump},{DATA}");
    let (v, _) = who_can(&data, "sts:AssumeRole", "arn:aws:iam::200611803367:role/fn1-privesc3-partial-role");
    let session =
        "arn:aws:sts::200611803367:assumed-role/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io";
    let e = entry(&v, session).unwrap_or_else(|| panic!("{v}"));
    assert_eq!(e["identityCenter"]["permissionSet"], "AdministratorAccess", "{e}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-ic-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A per-set output names no permission set: without a `describe-permission-set` output in its
/// folder it cannot be tied, and the data does not load (nothing is decided on a guess).
#[test]
fn a_per_set_output_without_its_set_is_refused() {
    let Some(dump) = dump() else { return };
    let dir = scratch("orphan");
    std::fs::write(
        dir.join("list-managed-policies-in-permission-set.json"),
        r#"{"AttachedManagedPolicies": [{"Name": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}"#,
    )
    .unwrap();
    let data = format!("{dump},{}", dir.display());
    let out = iamspect(&["who-can", "--account-data", &data, "--action", "iam:CreateUser", "--resource", "*"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("list-managed-policies-in-permission-set.json"), "{stderr}");
    assert!(stderr.contains("no `describe-permission-set` output"), "{stderr}");

    // A bad assignment is refused with what is wrong.
    std::fs::remove_file(dir.join("list-managed-policies-in-permission-set.json")).unwrap();
    std::fs::write(
        dir.join("list-account-assignments.json"),
        r#"{"AccountAssignments": [{"AccountId": "2006118033", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-1", "PrincipalType": "USER", "PrincipalId": "u"}]}"#,
    )
    .unwrap();
    let out = iamspect(&["who-can", "--account-data", &data, "--action", "iam:CreateUser", "--resource", "*"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`AccountId` `2006118033` is not a 12-digit account id"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `paths` names who signs in to an Identity Center role too.
#[test]
fn paths_name_who_signs_in() {
    let Some(dump) = dump() else { return };
    let data = format!("{dump},{DATA}");
    let out = iamspect(&["paths", "--account-data", &data, "--from", ADMIN_ROLE, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = v["principals"].as_array().unwrap().iter().find(|p| p["arn"] == ADMIN_ROLE).unwrap();
    assert_eq!(p["isAdmin"], true, "{p}");
    assert_eq!(p["identityCenter"]["permissionSet"], "AdministratorAccess", "{p}");
}
