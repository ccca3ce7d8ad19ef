//! Account-data benchmarks: loading the real dump, loading a synthetic ~100 MB dump, and who-can
//! over a synthetic organization of 10,000 principals. The synthetic data comes from
//! `python3 scripts/gen-synthetic-dump.py` (see `docs/performance.md`); without it those benches
//! are skipped with a note.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use iamspect_account::load_paths;
use iamspect_account::query::{Index, who_can};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn real_dump(c: &mut Criterion) {
    let dump = root().join("../shared/corpora/gaad/cloudsplaining/examples_files_example.json");
    if !dump.exists() {
        eprintln!("SKIPPED real_dump: {} is absent", dump.display());
        return;
    }
    c.bench_function("load the real dump (44 users, 78 roles)", |b| b.iter(|| load_paths(std::slice::from_ref(&dump))));
    let managed = root().join("../shared/corpora/managed-policies");
    let (data, _) = load_paths(&[dump, managed]);
    let admin = iamspect_account::query::IndexedPrincipal::resolve(
        &data,
        "arn:aws:iam::200611803367:role/OrganizationAccountAccessRole",
    )
    .unwrap();
    let services = vec!["s3".to_string(), "ec2".to_string(), "iam".to_string()];
    c.bench_function("what-can: an administrator over every action of S3, EC2 and IAM", |b| {
        b.iter(|| iamspect_account::query::what_can(&data, &admin, &services, None, None, &[]).unwrap())
    });
}

fn synthetic(c: &mut Criterion) {
    let big = root().join("target/synthetic-100mb");
    if big.exists() {
        let mut g = c.benchmark_group("synthetic 100 MB");
        g.sample_size(10).measurement_time(Duration::from_secs(20));
        g.bench_function("load", |b| b.iter(|| load_paths(std::slice::from_ref(&big))));
        g.finish();
    } else {
        eprintln!(
            "SKIPPED synthetic 100 MB: run `python3 scripts/gen-synthetic-dump.py --principals 20000 --accounts 10 --target-mb 100 --out target/synthetic-100mb`"
        );
    }
    let org = root().join("target/synthetic");
    if !org.exists() {
        eprintln!(
            "SKIPPED who-can: run `python3 scripts/gen-synthetic-dump.py --principals 10000 --accounts 10 --out target/synthetic`"
        );
        return;
    }
    let (data, report) = load_paths(&[org]);
    assert!(report.errors.is_empty());
    let index = Index::build(&data);
    assert!(index.principals.len() >= 10_000);
    let context = vec![("aws:RequestedRegion".to_string(), vec!["eu-west-1".to_string()])];
    let mut g = c.benchmark_group("who-can over 10,000 principals");
    g.sample_size(20);
    g.bench_function("iam:PassRole on one role", |b| {
        b.iter(|| {
            who_can(&data, &index, "iam:PassRole", "arn:aws:iam::100000000000:role/payments-role-1", None, &context)
                .unwrap()
        })
    });
    g.bench_function("s3:GetObject on one object", |b| {
        b.iter(|| {
            who_can(&data, &index, "s3:GetObject", "arn:aws:s3:::payments-bucket-3/report.csv", None, &context).unwrap()
        })
    });
    g.finish();
    c.bench_function("build the index of 10,000 principals", |b| b.iter(|| Index::build(&data)));
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = real_dump, synthetic
}
criterion_main!(benches);
