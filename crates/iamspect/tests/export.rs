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
    assert_eq!(m["_schema_version"], 1);
    assert_eq!(m["format"], "parquet");
    assert!(m["tables"]["principals"]["rows"].as_u64().unwrap() > 0, "{m}");
    for t in ["principals", "access", "resource_policies", "left_out"] {
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
