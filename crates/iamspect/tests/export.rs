//! `iamspect export`: the `access` rows for held-out questions are exactly `who-can`'s answers on
//! the same dump (the real corpus and a synthetic organization of several accounts); the tables,
//! the manifest and the refusals.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const NOW: &str = "aws:CurrentTime=2026-06-01T12:00:00Z";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iamspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn corpus(path: &str) -> Option<PathBuf> {
    let path = root().join(path);
    if path.exists() {
        return Some(path);
    }
    let message =
        format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
    None
}

fn export(data: &Path, out: &Path, extra: &[&str]) {
    let mut args =
        vec!["export", "--account-data", data.to_str().unwrap(), "--out", out.to_str().unwrap(), "--context", NOW];
    args.extend_from_slice(extra);
    let o = iamspect(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every row of a JSON Lines table, with its partition's account.
fn rows(dir: &Path, table: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let Ok(parts) = std::fs::read_dir(dir.join(table)) else { return out };
    for part in parts {
        let part = part.unwrap().path();
        let account = part.file_name().unwrap().to_str().unwrap().strip_prefix("account=").unwrap().to_string();
        let text = std::fs::read_to_string(part.join("part-0.jsonl")).unwrap();
        for line in text.lines() {
            out.push((account.clone(), serde_json::from_str(line).unwrap()));
        }
    }
    out
}

/// A question: (account of the partition, action, resource, resource account).
type Question = (String, String, String, Option<String>);

/// An answer: principal → (conditional, granted by).
type Answer = BTreeMap<String, (bool, Vec<String>)>;

fn from_rows(access: &[(String, Value)], q: &Question) -> Answer {
    access
        .iter()
        .filter(|(a, r)| *a == q.0 && r["action"] == q.1.as_str() && r["resource"] == q.2.as_str())
        .map(|(_, r)| {
            let by = r["granted_by"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();
            (r["principal"].as_str().unwrap().to_string(), (r["conditional"].as_bool().unwrap(), by))
        })
        .collect()
}

/// `who-can`'s answer, restricted to the loaded principals of the question's account (the rows of
/// a partition are that account's principals), and the principals the resource's policy names
/// that are not loaded when the resource is in that account.
fn from_who_can(data: &Path, q: &Question) -> Answer {
    let mut args = vec![
        "who-can",
        "--account-data",
        data.to_str().unwrap(),
        "--action",
        &q.1,
        "--resource",
        &q.2,
        "--context",
        NOW,
        "--format",
        "json",
    ];
    if let Some(a) = &q.3 {
        args.extend(["--resource-account", a.as_str()]);
    }
    let o = iamspect(&args);
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let in_account = q.3.is_some() || q.2.split(':').nth(4) == Some(q.0.as_str());
    v["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            if ["user", "role", "root"].contains(&a["kind"].as_str().unwrap()) {
                a["principal"].as_str().unwrap().split(':').nth(4) == Some(q.0.as_str())
            } else {
                in_account
            }
        })
        .map(|a| {
            let by = a["grantedBy"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();
            (a["principal"].as_str().unwrap().to_string(), (a["conditional"].as_bool().unwrap(), by))
        })
        .collect()
}

/// Held-out questions: spread over the distinct questions of the rows, conditional ones and
/// patterns included.
fn held_out(access: &[(String, Value)], n: usize) -> Vec<Question> {
    let all: BTreeSet<Question> = access
        .iter()
        .map(|(a, r)| {
            (
                a.clone(),
                r["action"].as_str().unwrap().to_string(),
                r["resource"].as_str().unwrap().to_string(),
                r["resource_account"].as_str().map(str::to_string),
            )
        })
        .collect();
    let all: Vec<Question> = all.into_iter().collect();
    assert!(!all.is_empty(), "no access rows");
    let mut picked: Vec<Question> = (0..n).map(|i| all[i * all.len() / n].clone()).collect();
    let conditional = access.iter().find(|(_, r)| r["conditional"] == true);
    if let Some((a, r)) = conditional {
        picked.push((
            a.clone(),
            r["action"].as_str().unwrap().to_string(),
            r["resource"].as_str().unwrap().to_string(),
            r["resource_account"].as_str().map(str::to_string),
        ));
    }
    picked.sort();
    picked.dedup();
    picked
}

fn check_against_who_can(data: &Path, dir: &Path, n: usize) -> usize {
    let access = rows(dir, "access");
    let questions = held_out(&access, n);
    for q in &questions {
        let exported = from_rows(&access, q);
        assert!(!exported.is_empty());
        assert_eq!(exported, from_who_can(data, q), "question {q:?}");
    }
    questions.len()
}

#[test]
fn access_rows_equal_who_can_on_the_real_dump() {
    let Some(data) = corpus("../shared/corpora/gaad/cloudsplaining/examples_files_example.json") else { return };
    let dir = temp("real");
    export(&data, &dir, &["--format", "jsonl"]);
    assert!(check_against_who_can(&data, &dir, 8) >= 8);
    // Every principal of the dump is a row of `principals`, or of `left_out` with why.
    let principals = rows(&dir, "principals");
    let left = rows(&dir, "left_out");
    let o = iamspect(&[
        "who-can",
        "--account-data",
        data.to_str().unwrap(),
        "--action",
        "iam:GetUser",
        "--resource",
        "*",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        principals.len() as u64,
        v["principals"].as_u64().unwrap()
            + left.iter().filter(|(_, r)| r["reason"].as_str().unwrap().starts_with("not compiled")).count() as u64
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A synthetic organization of several accounts (the generator of the scale benchmark), with
/// SCPs: each partition's rows are who-can's answers for that account's principals.
#[test]
fn access_rows_equal_who_can_on_a_synthetic_organization() {
    let data = temp("synthetic-data");
    let o = Command::new("python3")
        .args([
            "scripts/gen-synthetic-dump.py",
            "--principals",
            "40",
            "--accounts",
            "4",
            "--managed",
            "5",
            "--per-account",
            "--out",
        ])
        .arg(&data)
        .current_dir(root())
        .output();
    let Ok(o) = o else {
        assert!(std::env::var_os("CI").is_none(), "python3 is needed (CI is set, so this fails)");
        eprintln!("WARNING: SKIPPED: python3 is not installed");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = temp("synthetic");
    export(&data, &dir, &["--format", "jsonl", "--jobs", "2"]);
    let principals = rows(&dir, "principals");
    // 40 principals and 4 root users, in 4 partitions.
    assert_eq!(principals.len(), 44);
    assert_eq!(principals.iter().map(|(a, _)| a).collect::<BTreeSet<_>>().len(), 4);
    check_against_who_can(&data, &dir, 6);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn the_manifest_says_the_schema_version_and_the_rows() {
    let data = root().join("crates/iamspect/tests/scp_impact_data");
    let dir = temp("manifest");
    export(&data, &dir, &[]);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("_iamspect.json")).unwrap()).unwrap();
    assert_eq!(m["_schema_version"], 2);
    assert_eq!(m["format"], "parquet");
    assert!(m["tables"]["principals"]["rows"].as_u64().unwrap() > 0, "{m}");
    for t in ["principals", "access", "resource_policies", "left_out", "trust", "paths"] {
        assert!(m["tables"][t]["columns"].as_array().is_some_and(|c| !c.is_empty()), "{t}");
    }
    let part = std::fs::read_dir(dir.join("principals")).unwrap().next().unwrap().unwrap().path();
    let bytes = std::fs::read(part.join("part-0.parquet")).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    // A second export into the same folder is refused: stale partitions would mix in.
    let o = iamspect(&["export", "--account-data", data.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn empty_input_is_an_error_not_an_empty_folder() {
    let empty = temp("empty-input");
    std::fs::create_dir_all(&empty).unwrap();
    let dir = temp("empty-out");
    let o = iamspect(&["export", "--account-data", empty.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.exists());
    let _ = std::fs::remove_dir_all(&empty);
}

/// With `--actions-from used`, wildcard action entries are not expanded, and each is said in
/// `left_out`.
#[test]
fn actions_from_used_says_what_it_does_not_expand() {
    let Some(data) = corpus("../shared/corpora/gaad/cloudsplaining/examples_files_example.json") else { return };
    let dir = temp("used");
    export(&data, &dir, &["--format", "jsonl", "--actions-from", "used"]);
    let left = rows(&dir, "left_out");
    assert!(left.iter().any(|(_, r)| r["reason"].as_str().unwrap().contains("--actions-from used does not expand it")));
    let access = rows(&dir, "access");
    assert!(access.iter().all(|(_, r)| !r["action"].as_str().unwrap().contains('*')));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `paths` rows are `iamspect paths --format json`'s answer: every principal, whether it is
/// admin and reaches admin, and each step of its shortest path (from, to, technique, gain, story,
/// the requests as `paths` prints them, the conditions).
fn check_paths_against_paths(data: &Path, dir: &Path) -> usize {
    let rows = self::rows(dir, "paths");
    let o = iamspect(&["paths", "--account-data", data.to_str().unwrap(), "--context", NOW, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let principals = v["principals"].as_array().unwrap();
    assert!(!principals.is_empty());
    let mut seen = 0;
    for p in principals {
        let arn = p["arn"].as_str().unwrap();
        let mut mine: Vec<&Value> = rows.iter().filter(|(_, r)| r["principal"] == arn).map(|(_, r)| r).collect();
        mine.sort_by_key(|r| r["step"].as_i64().unwrap_or(0));
        assert!(!mine.is_empty(), "{arn} has no paths row");
        // The partition is the principal's account.
        let account = arn.split(':').nth(4).unwrap();
        assert!(rows.iter().filter(|(_, r)| r["principal"] == arn).all(|(a, _)| a == account), "{arn}");
        let steps = p["paths"][0]["steps"].as_array().cloned().unwrap_or_default();
        for r in &mine {
            assert_eq!(r["principal_type"], p["kind"], "{arn}");
            assert_eq!(r["is_admin"], p["isAdmin"], "{arn}");
            assert_eq!(r["reaches_admin"], p["reachesAdmin"], "{arn}");
            assert_eq!(
                r["path_conditional"].as_bool().unwrap(),
                p["paths"][0]["conditional"].as_bool().unwrap_or(false)
            );
            let expected_steps = if p["reachesAdmin"] == true { Value::from(steps.len()) } else { Value::Null };
            assert_eq!(r["path_steps"], expected_steps, "{arn}");
        }
        if steps.is_empty() {
            assert_eq!(mine.len(), 1, "{arn}");
            assert!(mine[0]["step"].is_null() && mine[0]["technique"].is_null(), "{arn}");
            continue;
        }
        assert_eq!(mine.len(), steps.len(), "{arn}");
        for (i, (r, s)) in mine.iter().zip(&steps).enumerate() {
            assert_eq!(r["step"], i + 1, "{arn}");
            for (col, key) in
                [("from", "from"), ("to", "to"), ("technique", "technique"), ("gain", "gain"), ("story", "story")]
            {
                assert_eq!(r[col], s[key], "{arn} step {} {col}", i + 1);
            }
            assert_eq!(r["conditions"], s["conditions"], "{arn} step {}", i + 1);
            let requests: Vec<Value> = r["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| serde_json::from_str(t.as_str().unwrap()).unwrap())
                .collect();
            assert_eq!(Value::from(requests), s["requests"], "{arn} step {}", i + 1);
            seen += 1;
        }
    }
    // No row for a principal `paths` does not list.
    let listed: BTreeSet<&str> = principals.iter().map(|p| p["arn"].as_str().unwrap()).collect();
    assert!(rows.iter().all(|(_, r)| listed.contains(r["principal"].as_str().unwrap())));
    seen
}

/// Who-can's answer for an assume action on a role: principal → (kind, conditional, granted by).
type TrustAnswer = BTreeMap<String, (String, bool, Vec<String>)>;

/// The `trust` rows of each role (all of them, or `limit` spread over them) are `who-can`'s
/// answer for each assume action on it.
fn check_trust_against_who_can(data: &Path, dir: &Path, limit: usize) -> usize {
    let roles: BTreeSet<(String, String)> = rows(dir, "principals")
        .into_iter()
        .filter(|(_, r)| r["type"] == "role")
        .map(|(a, r)| (a, r["arn"].as_str().unwrap().to_string()))
        .collect();
    let roles: Vec<(String, String)> = roles.into_iter().collect();
    assert!(!roles.is_empty());
    let rows = rows(dir, "trust");
    let picked: Vec<&(String, String)> =
        (0..limit.min(roles.len())).map(|i| &roles[i * roles.len() / limit.min(roles.len())]).collect();
    let mut answers = 0;
    for (account, role) in picked {
        for action in ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"] {
            let exported: TrustAnswer = rows
                .iter()
                .filter(|(_, r)| r["role"] == role.as_str() && r["action"] == action)
                .map(|(a, r)| {
                    assert_eq!(a, account, "a trust row is in its role's partition");
                    let by =
                        r["granted_by"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();
                    let kind = r["principal_type"].as_str().unwrap().to_string();
                    (r["principal"].as_str().unwrap().to_string(), (kind, r["conditional"].as_bool().unwrap(), by))
                })
                .collect();
            let o = iamspect(&[
                "who-can",
                "--account-data",
                data.to_str().unwrap(),
                "--action",
                action,
                "--resource",
                role,
                "--context",
                NOW,
                "--format",
                "json",
            ]);
            assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            let expected: TrustAnswer = v["allowed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let by =
                        a["grantedBy"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();
                    let kind = a["kind"].as_str().unwrap().to_string();
                    (a["principal"].as_str().unwrap().to_string(), (kind, a["conditional"].as_bool().unwrap(), by))
                })
                .collect();
            assert_eq!(exported, expected, "{action} on {role}");
            answers += usize::from(!expected.is_empty());
        }
    }
    answers
}

#[test]
fn paths_and_trust_rows_equal_paths_and_who_can_on_the_real_dump() {
    let Some(data) = corpus("../shared/corpora/gaad/cloudsplaining/examples_files_example.json") else { return };
    let dir = temp("real-paths");
    export(&data, &dir, &["--format", "jsonl", "--actions-from", "used"]);
    assert!(check_paths_against_paths(&data, &dir) > 0, "no principal reaches admin in steps");
    assert!(check_trust_against_who_can(&data, &dir, 12) > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two accounts: roles of B trusted by account A (with an external id), by an account not
/// loaded, by a web identity provider, by a SAML provider, by everyone in the organization, and a
/// service; a user of A reaches admin through B's role.
fn two_accounts() -> PathBuf {
    let dir = temp("two-accounts-data");
    let role = |account: &str, name: &str, trust: Value, policy: Value| {
        serde_json::json!({
            "Path": "/", "RoleName": name, "RoleId": format!("AROA{name}"), "Arn": format!("arn:aws:iam::{account}:role/{name}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "InstanceProfileList": [], "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": [policy]}}],
            "AttachedManagedPolicies": [], "Tags": []
        })
    };
    let admin = serde_json::json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
    let read = serde_json::json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
    let b = "222222222222";
    let roles = vec![
        role(
            b,
            "FromA",
            serde_json::json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "x-1"}}}),
            admin.clone(),
        ),
        role(
            b,
            "FromOutside",
            serde_json::json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}),
            read.clone(),
        ),
        role(
            b,
            "Web",
            serde_json::json!({"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{b}:oidc-provider/token.actions.githubusercontent.com")},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main"}}}),
            read.clone(),
        ),
        role(
            b,
            "Saml",
            serde_json::json!({"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{b}:saml-provider/corp")},
            "Action": "sts:AssumeRoleWithSAML"}),
            read.clone(),
        ),
        role(
            b,
            "Anyone",
            serde_json::json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}}),
            read.clone(),
        ),
        role(
            b,
            "Ec2",
            serde_json::json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            read.clone(),
        ),
    ];
    let user = |account: &str, name: &str, statements: Vec<Value>| {
        serde_json::json!({
            "Path": "/", "UserName": name, "UserId": format!("AIDA{name}"), "Arn": format!("arn:aws:iam::{account}:user/{name}"),
            "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
            "GroupList": [], "AttachedManagedPolicies": [], "Tags": []
        })
    };
    let a_users = vec![
        user(
            "111111111111",
            "alice",
            vec![serde_json::json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})],
        ),
        user("111111111111", "bob", vec![read.clone()]),
    ];
    let dump = |users: Vec<Value>, roles: Vec<Value>| serde_json::json!({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": [], "IsTruncated": false});
    for (account, d) in [("111111111111", dump(a_users, vec![])), (b, dump(vec![user(b, "carol", vec![read])], roles))]
    {
        std::fs::create_dir_all(dir.join(account)).unwrap();
        std::fs::write(dir.join(account).join("gaad.json"), d.to_string()).unwrap();
    }
    dir
}

#[test]
fn trust_rows_are_who_can_across_accounts_with_federated_principals() {
    let data = two_accounts();
    let dir = temp("two-accounts");
    export(&data, &dir, &["--format", "jsonl"]);
    assert!(check_trust_against_who_can(&data, &dir, 100) >= 5);
    let trust = rows(&dir, "trust");
    let row = |role: &str, principal: &str| {
        trust
            .iter()
            .find(|(_, r)| r["role"].as_str().unwrap().ends_with(role) && r["principal"] == principal)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no trust row for {principal} on {role}: {trust:?}"))
    };
    // Alice of account A may assume B's role with the external id: a cross-account row.
    let alice = row("role/FromA", "arn:aws:iam::111111111111:user/alice");
    assert_eq!(alice["cross_account"], true);
    assert_eq!(alice["principal_in_loaded_account"], true);
    assert_eq!(alice["principal_account"], "111111111111");
    // An account that is not loaded stands for its principals.
    let outside = row("role/FromOutside", "arn:aws:iam::999999999999:root");
    assert_eq!(outside["principal_type"], "account not loaded");
    assert_eq!(outside["principal_in_loaded_account"], false);
    // Federated principals, with their action.
    assert!(
        trust
            .iter()
            .any(|(_, r)| r["action"] == "sts:AssumeRoleWithSAML" && r["principal_type"] == "identity provider")
    );
    assert!(
        trust
            .iter()
            .any(|(_, r)| r["action"] == "sts:AssumeRoleWithWebIdentity" && r["principal_type"] == "identity provider")
    );
    // Paths cross accounts: alice reaches admin through B's role.
    assert!(check_paths_against_paths(&data, &dir) > 0);
    let paths = rows(&dir, "paths");
    assert!(paths.iter().any(|(a, r)| a == "111111111111"
        && r["principal"] == "arn:aws:iam::111111111111:user/alice"
        && r["reaches_admin"] == true
        && r["to"] == "arn:aws:iam::222222222222:role/FromA"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&data);
}

/// `--no-paths` leaves the table out and the manifest says so.
#[test]
fn no_paths_is_said_in_the_manifest() {
    let data = root().join("crates/iamspect/tests/scp_impact_data");
    let dir = temp("no-paths");
    export(&data, &dir, &["--no-paths"]);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("_iamspect.json")).unwrap()).unwrap();
    assert_eq!(m["tables"]["paths"]["exported"], false);
    assert_eq!(m["tables"]["trust"]["exported"], true);
    assert!(m["pathsMaxHops"].is_null());
    assert!(!dir.join("paths").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file of an export folder, by its path inside the folder.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Each account compiled by its worker (`--no-paths`) writes the same bytes as every principal
/// compiled first (decision D166), in both formats.
fn same_bytes_one_account_at_a_time(data: &Path, name: &str, extra: &[&str]) {
    for format in ["jsonl", "parquet"] {
        let whole = temp(&format!("{name}-whole-{format}"));
        let one = temp(&format!("{name}-one-{format}"));
        let mut args = vec!["--format", format, "--no-paths"];
        args.extend_from_slice(extra);
        export(data, &one, &args);
        args.push("--whole-index");
        export(data, &whole, &args);
        let (a, b) = (files(&whole), files(&one));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{name} {format}");
        assert!(a.len() > 4, "{name} {format}: {a:?}");
        for (path, bytes) in &a {
            assert!(b[path] == *bytes, "{name} {format}: {} differs", path.display());
        }
        let _ = std::fs::remove_dir_all(&whole);
        let _ = std::fs::remove_dir_all(&one);
    }
}

#[test]
fn one_account_at_a_time_writes_the_same_bytes_on_the_real_dump() {
    let Some(data) = corpus("../shared/corpora/gaad/cloudsplaining/examples_files_example.json") else { return };
    same_bytes_one_account_at_a_time(&data, "bytes-real", &["--actions-from", "used"]);
}

#[test]
fn one_account_at_a_time_writes_the_same_bytes_on_two_accounts_and_a_synthetic_organization() {
    let data = two_accounts();
    same_bytes_one_account_at_a_time(&data, "bytes-two", &[]);
    let _ = std::fs::remove_dir_all(&data);
    let data = temp("bytes-synthetic-data");
    let o = Command::new("python3")
        .args([
            "scripts/gen-synthetic-dump.py",
            "--principals",
            "600",
            "--accounts",
            "12",
            "--managed",
            "5",
            "--per-account",
            "--out",
        ])
        .arg(&data)
        .current_dir(root())
        .output();
    let Ok(o) = o else {
        assert!(std::env::var_os("CI").is_none(), "python3 is needed (CI is set, so this fails)");
        eprintln!("WARNING: SKIPPED: python3 is not installed");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    same_bytes_one_account_at_a_time(&data, "bytes-synthetic", &["--actions-from", "used", "--jobs", "2"]);
    let _ = std::fs::remove_dir_all(&data);
}
