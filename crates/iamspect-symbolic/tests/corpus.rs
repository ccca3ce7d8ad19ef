//! The AWS managed policies in `../shared/corpora`: each checked for new access against
//! `AdministratorAccess` (never new access, since it allows everything) and against
//! `ReadOnlyAccess`, every witness confirmed by the engine. Skips, loudly, when the corpora are
//! absent (fails when `CI` is set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code may panic")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::{Query, SolveOptions, harness};

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!("{} is absent: the corpus tests need ../shared/corpora", dir.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
    None
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") && !path.ends_with("index.json") {
            out.push(path);
        }
    }
}

#[test]
fn managed_policies_against_admin_and_read_only() {
    let Some(corpora) = corpora() else { return };
    let dir = corpora.join("managed-policies");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    let load = |p: &Path| {
        Arc::new(
            Policy::parse(&p.display().to_string(), &std::fs::read_to_string(p).unwrap(), PolicyType::Identity)
                .unwrap(),
        )
    };
    let admin = load(&dir.join("AdministratorAccess.json"));
    let read_only = load(&dir.join("ReadOnlyAccess.json"));
    let t = PolicyType::Identity;
    let mut stats: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &files {
        let p = load(f);
        for (name, old) in [("admin", &admin), ("readonly", &read_only)] {
            let key = match Query::no_new_access(&p, old, t) {
                Err(e) => format!("{name} unknown: {}", e.construct.split('`').next().unwrap_or("")),
                Ok(q) => {
                    let opts = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
                    match q.solve(&opts, |w| harness::confirms(w, &p, Some(old), t)) {
                        Err(e) => format!("{name} unknown: {}", e.construct.split('`').next().unwrap_or("")),
                        Ok(s) => {
                            assert!(s.rejected.is_empty(), "{}: the engine rejected {:?}", f.display(), s.rejected);
                            if s.witnesses.is_empty() { format!("{name} pass") } else { format!("{name} fail") }
                        }
                    }
                }
            };
            *stats.entry(key).or_default() += 1;
        }
    }
    eprintln!("{stats:#?}");
    assert_eq!(files.len(), 1645, "the corpus should hold 1,645 managed policies");
    assert_eq!(
        stats.get("admin pass").copied().unwrap_or(0),
        files.len(),
        "AdministratorAccess allows everything: {stats:#?}"
    );
}
