//! Benchmarks of `Policy::parse` (parsing, validating and compiling; see `docs/performance.md`).
//!
//! - `parse/managed_policies_all`: every AWS managed policy in `../shared/corpora/managed-policies`
//!   (1,645 documents, `index.json` excluded, the `extra-from-iam-dataset` subfolder included), as
//!   identity policies. The files are read before timing. Target: under 1 s for all of them.
//!   Skipped, with a note, when the corpus is absent.
//! - `parse/mid_size_policy`: one 3.9 KB identity policy with 12 statements
//!   (`benches/fixtures/parse/mid-size-identity.json`).
//!
//! Run with `cargo bench -p iamspect-core --bench parse`.

#![allow(clippy::panic, reason = "benchmark setup fails loudly on bad fixtures")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use iamspect_core::{Policy, PolicyType};

const MID_SIZE: &str = include_str!("fixtures/parse/mid-size-identity.json");

/// The number of documents the corpus is documented to hold.
const EXPECTED_POLICIES: usize = 1645;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/managed-policies")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") && path.file_name().is_some_and(|n| n != "index.json") {
            out.push(path);
        }
    }
}

/// Every managed policy as (name, text), or `None` when the corpus is absent.
fn load_corpus() -> Option<Vec<(String, String)>> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("NOTE: skipping parse/managed_policies_all: {} is absent", dir.display());
        return None;
    }
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    let docs: Vec<(String, String)> = files
        .iter()
        .map(|path| {
            let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, text)
        })
        .collect();
    if docs.len() != EXPECTED_POLICIES {
        eprintln!("NOTE: the corpus holds {} policies, not {EXPECTED_POLICIES}", docs.len());
    }
    Some(docs)
}

fn bench_parse(c: &mut Criterion) {
    if let Some(docs) = load_corpus() {
        let bytes: usize = docs.iter().map(|(_, text)| text.len()).sum();
        // Every document must parse; a failure would make the timing meaningless.
        let failures: Vec<String> = docs
            .iter()
            .filter_map(|(name, text)| Policy::parse(name, text, PolicyType::Identity).err().map(|e| e.to_string()))
            .collect();
        assert!(failures.is_empty(), "{} managed policies fail to parse:\n{}", failures.len(), failures.join("\n"));
        eprintln!("managed_policies_all: {} documents, {bytes} bytes", docs.len());

        let mut group = c.benchmark_group("parse");
        // One iteration parses the whole corpus (hundreds of milliseconds at worst): a few flat samples.
        group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(4));
        group.throughput(Throughput::Elements(docs.len() as u64));
        group.bench_function("managed_policies_all", |b| {
            b.iter(|| {
                for (name, text) in &docs {
                    let policy = Policy::parse(name, text, PolicyType::Identity);
                    black_box(&policy);
                }
            })
        });
        group.finish();
    }

    let mut group = c.benchmark_group("parse");
    assert!(Policy::parse("mid-size", MID_SIZE, PolicyType::Identity).is_ok(), "the mid-size fixture must parse");
    group.throughput(Throughput::Bytes(MID_SIZE.len() as u64));
    group.bench_function("mid_size_policy", |b| {
        b.iter(|| Policy::parse(black_box("mid-size"), black_box(MID_SIZE), PolicyType::Identity))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_parse
}
criterion_main!(benches);
