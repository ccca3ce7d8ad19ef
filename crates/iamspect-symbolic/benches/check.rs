//! `check-no-new-access` on realistic identity policies, and over the AWS managed policies corpus
//! (every policy against `AdministratorAccess` and against `ReadOnlyAccess`); `check-no-public-access`
//! over the perimeter corpus's resource-based policies. The corpora live in `../shared/corpora`;
//! without them the corpus benchmarks print `WARNING: SKIPPED`.
//!
//! `cargo bench -p iamspect-symbolic --bench check`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark code may panic")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::{Query, ResourceKind, SolveOptions, harness};

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("WARNING: SKIPPED: {} is absent", dir.display());
        None
    }
}

fn load(path: &Path, t: PolicyType) -> Option<Arc<Policy>> {
    let text = std::fs::read_to_string(path).ok()?;
    Policy::parse(&path.display().to_string(), &text, t).ok().map(Arc::new)
}

/// One check as the command runs it: compile, solve, confirm each witness with the engine.
/// Returns 0 PASS, 1 FAIL, 3 unknown.
fn no_new_access(new: &Arc<Policy>, old: &Arc<Policy>) -> u8 {
    let t = PolicyType::Identity;
    let Ok(q) = Query::no_new_access(new, old, t) else { return 3 };
    let opts = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
    match q.solve(&opts, |w| harness::confirms(w, new, Some(old), t)) {
        Ok(s) if !s.witnesses.is_empty() => 1,
        Ok(s) if s.rejected.is_empty() => 0,
        _ => 3,
    }
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

fn managed(corpora: &Path) -> Vec<Arc<Policy>> {
    let mut files = Vec::new();
    json_files(&corpora.join("managed-policies"), &mut files);
    files.iter().filter_map(|p| load(p, PolicyType::Identity)).collect()
}

fn bench(c: &mut Criterion) {
    let Some(corpora) = corpora() else { return };
    let dir = corpora.join("managed-policies");
    // Realistic identity policies of 4 to 6 KB: one pair with no new access (PASS), one with (FAIL).
    for (name, new, old) in [
        ("cleanrooms_no_querying_vs_full_pass", "AWSCleanRoomsFullAccessNoQuerying", "AWSCleanRoomsFullAccess"),
        ("docdb_console_vs_neptune_fail", "AmazonDocDBConsoleFullAccess", "NeptuneFullAccess"),
    ] {
        let new = load(&dir.join(format!("{new}.json")), PolicyType::Identity).unwrap();
        let old = load(&dir.join(format!("{old}.json")), PolicyType::Identity).unwrap();
        c.bench_function(&format!("no_new_access/{name}"), |b| b.iter(|| no_new_access(&new, &old)));
    }

    let all = managed(&corpora);
    let admin = load(&dir.join("AdministratorAccess.json"), PolicyType::Identity).unwrap();
    let read_only = load(&dir.join("ReadOnlyAccess.json"), PolicyType::Identity).unwrap();
    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.bench_function("every_managed_policy_vs_admin_and_read_only", |b| {
        b.iter(|| {
            let mut counts = [0usize; 4];
            for p in &all {
                counts[usize::from(no_new_access(p, &admin))] += 1;
                counts[usize::from(no_new_access(p, &read_only))] += 1;
            }
            counts
        })
    });
    // The perimeter corpus's resource-based policies (kept beside its RCPs).
    let mut perimeter = Vec::new();
    json_files(&corpora.join("perimeter"), &mut perimeter);
    let resource_policies: Vec<Arc<Policy>> = perimeter
        .iter()
        .filter(|p| p.to_string_lossy().to_lowercase().contains("resource_control_policies/service_specific_controls"))
        .filter_map(|p| load(p, PolicyType::Resource))
        .collect();
    eprintln!("{} perimeter resource-based policies", resource_policies.len());
    let any =
        ResourceKind { policy_type: PolicyType::Resource, actions: vec!["*".into()], resources: vec!["*".into()] };
    g.bench_function("no_public_access_perimeter_resource_policies", |b| {
        b.iter(|| {
            let mut counts = [0usize; 4];
            for p in &resource_policies {
                let code = match Query::public_access(p, &any, None) {
                    Err(_) => 3,
                    Ok(q) => {
                        let opts = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
                        match q.solve(&opts, |w| harness::confirms(w, p, None, PolicyType::Resource)) {
                            Ok(s) if !s.witnesses.is_empty() => 1,
                            Ok(s) if s.rejected.is_empty() => 0,
                            _ => 3,
                        }
                    }
                };
                counts[code] += 1;
            }
            counts
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
