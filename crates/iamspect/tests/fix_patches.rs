//! The fixes `explain` prints, taken as a user would take them (decision D81): for every case of
//! the example organization and of the guardrail cases, a request change is listed first whenever
//! there is one, weakenings are labelled, every patch applies with `patch -p1` (and `git apply`)
//! to a copy of the original files, and the patched files (or the changed request) give
//! `allowed` under `iamspect eval`.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A copy of the example and guardrail folders, under their repository paths.
fn copy_tree(into: &Path) {
    for dir in ["examples/org", "tests/cases/guardrails"] {
        let from = root().join(dir);
        let to = into.join(dir);
        std::fs::create_dir_all(to.join("policies")).unwrap();
        for entry in walk(&from) {
            let rel = entry.strip_prefix(&from).unwrap();
            std::fs::copy(&entry, to.join(rel)).unwrap();
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("iamspect-fix-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn iamspect(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(cwd).output().unwrap()
}

fn has(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Applies `patch` in `dir` with `patch -p1` (or `git apply` when `patch` is missing); checks that
/// `git apply` would take it too.
fn apply(dir: &Path, patch: &str) {
    let file = dir.join("fix.diff");
    std::fs::write(&file, patch).unwrap();
    if has("git") {
        let o = Command::new("git").args(["apply", "--check", "fix.diff"]).current_dir(dir).output().unwrap();
        assert!(o.status.success(), "git apply --check: {}\n{patch}", String::from_utf8_lossy(&o.stderr));
    }
    let o = if has("patch") {
        Command::new("patch").args(["-p1", "--forward", "-i", "fix.diff"]).current_dir(dir).output().unwrap()
    } else {
        Command::new("git").args(["apply", "fix.diff"]).current_dir(dir).output().unwrap()
    };
    assert!(
        o.status.success(),
        "patch: {}{}\n{patch}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The case file with one case's context changed, written beside it (so that its relative paths
/// still resolve); its path.
fn with_context(dir: &Path, file: &str, index: usize, context: &serde_json::Map<String, Value>) -> String {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let case = match v.get_mut("cases") {
        Some(Value::Array(cases)) => &mut cases[index],
        _ => &mut v,
    };
    let ctx = case.as_object_mut().unwrap().entry("context").or_insert_with(|| serde_json::json!({}));
    for (k, val) in context {
        ctx.as_object_mut().unwrap().insert(k.clone(), val.clone());
    }
    let out = format!("{}.changed.json", file.trim_end_matches(".json"));
    std::fs::write(dir.join(&out), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    out
}

#[test]
fn fixes_apply_to_the_user_files_and_allow_the_request() {
    let tmp = Scratch::new("apply");
    let base = tmp.path().join("original");
    copy_tree(&base);
    let mut files: Vec<String> = walk(&base.join("examples/org"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.parent().is_some_and(|d| d.ends_with("org")))
        .map(|p| p.strip_prefix(&base).unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files.push("tests/cases/guardrails/fixes.json".to_string());
    let (mut checked, mut patched, mut requests, mut weakenings) = (0, 0, 0, 0);
    for file in &files {
        let count = {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(base.join(file)).unwrap()).unwrap();
            v.get("cases").and_then(Value::as_array).map_or(1, Vec::len)
        };
        for index in 0..count {
            let at = format!("{file}#{index}");
            let out = iamspect(&base, &["explain", file, "--index", &index.to_string(), "--format", "json"]);
            if out.status.code() == Some(0) {
                continue;
            }
            let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{at}: {e}"));
            let Some(fixes) = v.pointer("/EvaluationResults/0/iamspect/fixes").and_then(Value::as_array) else {
                continue;
            };
            checked += 1;
            let kinds: Vec<&str> = fixes.iter().map(|f| f["kind"].as_str().unwrap()).collect();
            let rank = |k: &str| ["request", "grant", "weakening"].iter().position(|x| *x == k).unwrap();
            assert!(kinds.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "{at}: {kinds:?}");
            for (n, fix) in fixes.iter().enumerate() {
                let kind = fix["kind"].as_str().unwrap();
                if kind == "weakening" {
                    weakenings += 1;
                    assert!(!fix["weakens"].as_array().unwrap().is_empty(), "{at}: fix {n} weakens nothing named");
                }
                // No internal names reach the user.
                let shown = fix.to_string();
                assert!(!shown.contains("IamspectProbe") && !shown.contains("iamspect-probe"), "{at}: {shown}");
                if fix["proved"] != Value::Bool(true) {
                    continue;
                }
                let work = tmp.path().join(format!("w{checked}-{n}"));
                copy_tree(&work);
                let mut target = file.clone();
                if let Some(patch) = fix.get("patch").and_then(Value::as_str) {
                    apply(&work, patch);
                    patched += 1;
                }
                if let Some(Value::Object(ctx)) = fix.get("context") {
                    target = with_context(&work, file, index, ctx);
                    requests += usize::from(kind == "request");
                }
                let eval = iamspect(&work, &["eval", &target, "--index", &index.to_string()]);
                assert_eq!(
                    eval.status.code(),
                    Some(0),
                    "{at}: fix {n} ({kind}) claims proved, but eval says: {}{}",
                    String::from_utf8_lossy(&eval.stdout),
                    String::from_utf8_lossy(&eval.stderr)
                );
            }
        }
    }
    eprintln!("{checked} denied cases; {patched} patches applied, {requests} request changes, {weakenings} weakenings");
    assert!(checked >= 15 && patched >= 10 && requests >= 8, "{checked} {patched} {requests}");
}

/// `--write-fix` writes the patched files; a weakening only when picked by number.
#[test]
fn write_fix_writes_grants_and_weakenings_only_by_number() {
    let tmp = Scratch::new("write");
    copy_tree(tmp.path());
    let out_dir = tmp.path().join("fixed");
    let o = iamspect(
        tmp.path(),
        &["explain", "examples/org/prod-backups.json", "--index", "0", "--write-fix", out_dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("weakening is written only when picked by number"));
    let o = iamspect(
        tmp.path(),
        &[
            "explain",
            "examples/org/prod-backups.json",
            "--index",
            "0",
            "--write-fix",
            out_dir.to_str().unwrap(),
            "--fix",
            "2",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(out_dir.join("examples/org/policies/backup-bucket-policy.json")).unwrap();
    assert!(written.contains("role/Developer"), "{written}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: fix 2 is a weakening"));
    let o = iamspect(
        tmp.path(),
        &["explain", "examples/org/boundary.json", "--index", "0", "--write-fix", out_dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out_dir.join("examples/org/policies/developer-boundary.json").is_file());
}
