//! The container recipe (`Dockerfile`, `.dockerignore`). No Docker engine runs on the machines
//! this project is built on, so the image itself is not built here; what can be checked without
//! one is: the stages and the user the image runs as, that the toolchain is the one the workspace
//! pins, that the server stays on loopback unless told otherwise, and that the build context the
//! `.dockerignore` leaves is a workspace cargo resolves with the locked dependencies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The Dockerfile's instructions, comments and continuation lines folded.
fn instructions() -> Vec<(String, String)> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(part) = line.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        let (word, rest) = current.split_once(' ').unwrap_or((&current, ""));
        out.push((word.to_ascii_uppercase(), rest.trim().to_string()));
        current.clear();
    }
    out
}

#[test]
fn two_stages_the_last_distroless_and_not_root() {
    let ins = instructions();
    let froms: Vec<&String> = ins.iter().filter(|(w, _)| w == "FROM").map(|(_, r)| r).collect();
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage: {froms:?}");
    assert!(froms[0].ends_with(" AS build"), "{froms:?}");
    assert!(froms[1].starts_with("gcr.io/distroless/"), "the runtime has no shell: {froms:?}");
    let last_from = ins.iter().rposition(|(w, _)| w == "FROM").unwrap();
    let runtime = &ins[last_from..];
    let user = runtime.iter().find(|(w, _)| w == "USER").map(|(_, r)| r.as_str()).expect("a USER in the runtime stage");
    assert!(!user.starts_with("root") && !user.starts_with('0'), "runs as `{user}`");
    let entry = runtime.iter().find(|(w, _)| w == "ENTRYPOINT").map(|(_, r)| r.as_str()).unwrap();
    assert_eq!(entry, r#"["/usr/local/bin/iamspect"]"#);
    // Loopback unless the user binds elsewhere: the default command names no address.
    let cmd = runtime.iter().find(|(w, _)| w == "CMD").map(|(_, r)| r.as_str()).unwrap();
    assert_eq!(cmd, r#"["serve"]"#);
    assert!(!read("Dockerfile").lines().any(|l| !l.trim_start().starts_with('#') && l.contains("0.0.0.0")));
}

#[test]
fn the_toolchain_is_the_pinned_one_and_the_build_is_locked() {
    let ins = instructions();
    let pinned = read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = ").map(|v| v.trim_matches('"').to_string()))
        .unwrap();
    let arg = ins
        .iter()
        .find_map(|(w, r)| (w == "ARG").then(|| r.strip_prefix("RUST_VERSION=")).flatten())
        .expect("ARG RUST_VERSION");
    assert!(arg == pinned || arg.starts_with(&format!("{pinned}.")), "Dockerfile {arg}, workspace {pinned}");
    let run = ins.iter().find(|(w, _)| w == "RUN").map(|(_, r)| r.as_str()).unwrap();
    assert!(run.contains("cargo build --release --locked -p iamspect"), "{run}");
}

/// The files a build context would hold: every file git tracks, less what `.dockerignore` keeps out
/// (its patterns here are folder prefixes and `**/*.ext`).
fn context_files() -> Option<Vec<String>> {
    let out = std::process::Command::new("git").arg("-C").arg(root()).args(["ls-files"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let ignore: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let kept = String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .filter(|f| {
            !ignore.iter().any(|p| match p.strip_prefix("**/*") {
                Some(ext) => f.ends_with(ext),
                None => f.starts_with(p.as_str()),
            })
        })
        .map(str::to_string)
        .collect();
    Some(kept)
}

#[test]
fn the_build_context_is_a_workspace_cargo_resolves() {
    let Some(files) = context_files() else {
        assert!(std::env::var_os("CI").is_none(), "not a git checkout: the context cannot be listed");
        eprintln!("WARNING: SKIPPED: not a git checkout");
        return;
    };
    let dir = std::env::temp_dir().join(format!("iamspect-container-context-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in &files {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(f), &to).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--locked", "--offline", "--format-version", "1", "--no-deps"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "cargo metadata in the build context: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = v["workspace_members"].as_array().unwrap();
    assert!(members.iter().any(|m| m.as_str().unwrap_or("").contains("crates/iamspect#")), "{members:?}");
}
