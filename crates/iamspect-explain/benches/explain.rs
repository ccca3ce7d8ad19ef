//! `explain` at growing sizes: one identity policy of N `Deny` statements that all apply (each
//! with a condition that holds) and N `Allow` statements whose condition fails, for N = 175 to
//! 1,400 (about 55 KB to 450 KB; at 1,400 the fixed policy, pretty-printed, is just under the
//! 1 MiB a policy may have, past which the fix is refused with a note). Everything an
//! explanation does grows with N: the trace and its positions, the decision without each deny,
//! the context changes, the fix that exempts the caller from every deny and its diff. The time
//! per byte should stay flat (criterion prints the throughput).

#![allow(clippy::unwrap_used, reason = "bench code")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use iamspect_core::{Context, Policies, Policy, PolicyType, Principal, Request};
use iamspect_explain::report::Report;

/// The policy for N.
fn policy(n: usize) -> String {
    let mut statements = Vec::with_capacity(2 * n);
    for i in 0..n {
        statements.push(format!(
            r#"{{"Sid": "Deny{i}", "Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::logs/*", "arn:aws:s3:::b{i}/*"], "Condition": {{"StringEquals": {{"aws:RequestedRegion": "eu-west-1"}}}}}}"#
        ));
        statements.push(format!(
            r#"{{"Sid": "Allow{i}", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*", "Condition": {{"StringEquals": {{"aws:PrincipalTag/team": "team-{i}"}}}}}}"#
        ));
    }
    format!("{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}", statements.join(",\n    "))
}

/// The request and its policies for N. Built with the core directly: a policy this large is over
/// the customer managed size quota, which the case reader enforces (decision D45) and the core
/// only warns about (AWS managed policies are larger).
fn built(n: usize) -> (String, Request, Policies) {
    let text = policy(n);
    let parsed = Policy::parse("identityPolicies[0]", &text, PolicyType::Identity).unwrap();
    let mut context = Context::new();
    context.insert("aws:RequestedRegion", vec!["eu-west-1".to_string()]);
    context.insert("aws:PrincipalArn", vec!["arn:aws:iam::111122223333:user/alice".to_string()]);
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let request = Request::new(principal, "s3:GetObject", "arn:aws:s3:::logs/a", None, context).unwrap();
    let policies = Policies { identity: vec![Arc::new(parsed)], ..Policies::default() };
    (text, request, policies)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("explain");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    // Load AWS's catalogue once, outside the measurement, as a long-running process would.
    iamspect_explain::report::known_action("s3:GetObject").unwrap();
    for n in [175, 350, 700, 1400] {
        let (text, request, policies) = built(n);
        // The fixture does what it says: every deny applies, and the fix touches each one.
        let report = Report::new(&request, &policies);
        assert_eq!(report.without_denies.len(), n);
        let fixes = report.fixes.as_ref().unwrap();
        let fix = fixes.fixes.iter().find(|f| f.kind == iamspect_explain::fix::FixKind::Weakening).unwrap();
        assert!(fix.edits.len() == 1 && fixes.notes.is_empty(), "{} edits, notes {:?}", fix.edits.len(), fixes.notes);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{n} denies + {n} allows ({} KB)", text.len() / 1000), |b| {
            b.iter(|| {
                let report = Report::new(black_box(&request), black_box(&policies));
                report.to_json(&request).to_string().len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
