//! Lints every AWS managed policy in `../shared/corpora/managed-policies` (1,645 of them) as an
//! identity policy (skipped when the corpus is absent), and generated policies at growing sizes,
//! with what `POST /v1/lint` does for each finding (its path and its line and column): the time
//! per byte should stay flat (criterion prints the throughput).

#![allow(clippy::unwrap_used, reason = "bench code")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use iamspect_core::{LineIndex, PolicyType};
use iamspect_lint::{PolicyPaths, Target, lint};

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

/// N statements of the kinds lint has most to say about: a repeated `Sid` (every tenth), an
/// action listed twice, one a wildcard covers, an unknown one, a resource another covers, a
/// condition key in the wrong case and a private IP.
fn statements(n: usize) -> String {
    let list: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"Sid": "S{}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:getobject", "s3:Get*", "s3:GetObjekt{i}", "ec2:DescribeInstances"], "Resource": ["arn:aws:s3:::b{i}/*", "arn:aws:s3:::b{i}/logs/*", "*"], "Condition": {{"IpAddress": {{"aws:SourceIp": "10.{}.0.0/16"}}, "StringEquals": {{"AWS:PrincipalTag/team": "t{i}"}}}}}}"#,
                i / 10 * 10,
                i % 250
            )
        })
        .collect();
    format!("{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}", list.join(",\n    "))
}

/// One statement with N actions and N resources, none of which covers another: every pair is
/// compared until the budget of the pairwise checks runs out.
fn entries(n: usize) -> String {
    let actions: Vec<String> = (0..n).map(|i| format!("\"s3:{i}Get*\"")).collect();
    let resources: Vec<String> = (0..n).map(|i| format!("\"arn:aws:s3:::b{i}/*\"")).collect();
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": [{}], "Resource": [{}]}}]}}"#,
        actions.join(", "),
        resources.join(", ")
    )
}

/// Lint, then each finding's path and position, as the server answers them.
fn lint_and_locate(text: &str, target: Target<'_>) -> usize {
    let findings = lint(text, target);
    let paths = PolicyPaths::new(text);
    let lines = LineIndex::new(text);
    findings
        .iter()
        .map(|f| {
            paths.path(f.span).len()
                + f.span.map_or(0, |s| lines.line_column(s.start).line + lines.line_column(s.end).column)
        })
        .sum()
}

fn growth(c: &mut Criterion) {
    let target = Target { policy_type: PolicyType::Identity, resource_type: None };
    black_box(lint(r#"{"Version": "2012-10-17", "Statement": []}"#, target));
    let mut group = c.benchmark_group("lint_growth");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for (shape, make, sizes) in [
        ("statements", statements as fn(usize) -> String, [375, 750, 1500, 3000]),
        ("entries", entries as fn(usize) -> String, [2500, 5000, 10000, 20000]),
    ] {
        for n in sizes {
            let text = make(n);
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_function(format!("{shape} {n} ({} KB)", text.len() / 1000), |b| {
                b.iter(|| lint_and_locate(black_box(&text), target))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench, growth);
criterion_main!(benches);
