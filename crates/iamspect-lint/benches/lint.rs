//! Lints every AWS managed policy in `../shared/corpora/managed-policies` (1,645 of them) as an
//! identity policy. Skips when the corpus is absent.

#![allow(clippy::unwrap_used, reason = "bench code")]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use iamspect_core::PolicyType;
use iamspect_lint::{Target, lint};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") && path.file_name().is_some_and(|n| n != "index.json") {
            out.push(path);
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/managed-policies");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    if files.is_empty() {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return;
    }
    let texts: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let target = Target { policy_type: PolicyType::Identity, resource_type: None };
    // Load the catalogue once, outside the measurement, as a long-running process would.
    black_box(lint(&texts[0], target));
    let mut group = c.benchmark_group("lint");
    group.sample_size(10);
    group.bench_function(format!("managed-policies ({})", texts.len()), |b| {
        b.iter(|| texts.iter().map(|t| lint(black_box(t), target).len()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
