//! Roles' `MaxSessionDuration`: absent from `get-account-authorization-details`, given by
//! `aws iam get-role` and `aws iam list-roles`, which complete the roles of a dump in whatever
//! order the files come.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::PathBuf;

use iamspect_account::{AccountData, DEFAULT_MAX_SESSION_DURATION, LoadReport, load_paths};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-account-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TRUST: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}"#;

fn gaad(extra: &str) -> String {
    format!(
        r#"{{"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [
  {{"Path": "/", "RoleName": "Deploy", "RoleId": "AROADEPLOY", "Arn": "arn:aws:iam::111122223333:role/Deploy",
    "AssumeRolePolicyDocument": {TRUST}, "RolePolicyList": [],
    "AttachedManagedPolicies": [{{"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "PolicyName": "ReadOnlyAccess"}}]{extra}}}]}}"#
    )
}

fn get_role(name: &str, seconds: &str) -> String {
    format!(
        r#"{{"Role": {{"Path": "/", "RoleName": "{name}", "RoleId": "AROA{name}", "Arn": "arn:aws:iam::111122223333:role/{name}",
  "CreateDate": "2025-01-01T00:00:00+00:00", "AssumeRolePolicyDocument": {TRUST}, "Description": "",
  "MaxSessionDuration": {seconds}, "RoleLastUsed": {{}}}}}}"#
    )
}

fn load(name: &str, files: &[(&str, String)]) -> (AccountData, LoadReport) {
    let dir = temp_dir(name);
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    load_paths(&[dir])
}

fn max(data: &AccountData, role: &str) -> (Option<u32>, u32) {
    let r = &data.accounts["111122223333"].roles[role];
    (r.max_session_duration, r.max_session_seconds())
}

#[test]
fn a_dump_alone_gives_the_default() {
    let (data, report) = load("roles-default", &[("gaad.json", gaad(""))]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(max(&data, "Deploy"), (None, DEFAULT_MAX_SESSION_DURATION));
    let (data, _) = load("roles-in-gaad", &[("gaad.json", gaad(r#", "MaxSessionDuration": 7200"#))]);
    assert_eq!(max(&data, "Deploy"), (Some(7200), 7200));
}

#[test]
fn get_role_completes_the_dump_in_either_order() {
    for (first, second) in [("a-get-role.json", "b-gaad.json"), ("b-get-role.json", "a-gaad.json")] {
        let files = [(first, get_role("Deploy", "43200")), (second, gaad(""))];
        let (data, report) = load("roles-order", &files);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.loaded.len(), 2);
        assert_eq!(max(&data, "Deploy"), (Some(43_200), 43_200));
        // The dump's policies stay.
        assert_eq!(data.accounts["111122223333"].roles["Deploy"].attached, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    }
}

#[test]
fn list_roles_adds_roles_the_dump_lacks() {
    let list = format!(
        r#"{{"Roles": [{}, {}], "IsTruncated": false}}"#,
        &get_role("Deploy", "10800")[8..get_role("Deploy", "10800").len() - 1],
        &get_role("Batch", "3600")[8..get_role("Batch", "3600").len() - 1],
    );
    let (data, report) = load("roles-list", &[("gaad.json", gaad("")), ("roles.json", list)]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(max(&data, "Deploy"), (Some(10_800), 10_800));
    assert_eq!(max(&data, "Batch"), (Some(3_600), 3_600));
    let batch = &data.accounts["111122223333"].roles["Batch"];
    assert!(batch.trust_policy.as_deref().is_some_and(|t| t.contains("sts:AssumeRole")));
    assert!(batch.attached.is_empty() && batch.inline.is_empty());
}

#[test]
fn out_of_range_values_are_reported_and_the_default_applies() {
    for bad in ["3599", "43201", "\"3600\"", "7200.5", "-1"] {
        let (data, report) = load("roles-bad", &[("role.json", get_role("Deploy", bad))]);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(max(&data, "Deploy"), (None, DEFAULT_MAX_SESSION_DURATION), "{bad}");
        assert!(
            report.skipped.iter().any(|s| s.contains("MaxSessionDuration") && s.contains("3600")),
            "{bad}: {:?}",
            report.skipped
        );
    }
}
