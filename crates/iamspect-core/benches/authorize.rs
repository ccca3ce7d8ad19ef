//! Benchmarks of `authorize` and `authorize_traced` (see `docs/performance.md`).
//!
//! - `authorize/simple`: one identity policy with one statement. Target: under 300 ns.
//! - `authorize/realistic_allowed`: an assumed-role session with principal tags, 10 identity
//!   policies of 5 statements each, two SCP levels (FullAWSAccess; FullAWSAccess plus a region
//!   guardrail), a permissions boundary and a bucket policy, all in `benches/fixtures/realistic/`.
//!   The request is allowed, and only after every layer has been scanned: the bucket policy grants
//!   to the account, so the identity policies and the boundary must allow too. Target: under 5 µs.
//! - `authorize/realistic_denied_scp_region`: the same request in a region the SCP guardrail denies
//!   (explicit deny).
//! - `authorize/realistic_denied_implicit`: the same request before the identity grant's start
//!   date (no identity policy allows: implicit deny).
//! - `authorize/realistic_traced`: `authorize_traced` on the allowed request (no target).
//!
//! Run with `cargo bench -p iamspect-core --bench authorize`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "benchmark setup fails loudly on bad fixtures")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use iamspect_core::{
    Context, Decision, Policies, Policy, PolicyType, Principal, Request, StatementOutcome, authorize, authorize_traced,
};

/// The fixtures, compiled in so the benches do not depend on the working directory.
const IDENTITY: [(&str, &str); 10] = [
    ("identity-01-team-data", include_str!("fixtures/realistic/identity-01-team-data.json")),
    ("identity-02-observability", include_str!("fixtures/realistic/identity-02-observability.json")),
    ("identity-03-reports", include_str!("fixtures/realistic/identity-03-reports.json")),
    ("identity-04-kms", include_str!("fixtures/realistic/identity-04-kms.json")),
    ("identity-05-secrets", include_str!("fixtures/realistic/identity-05-secrets.json")),
    ("identity-06-dynamodb", include_str!("fixtures/realistic/identity-06-dynamodb.json")),
    ("identity-07-shared-data", include_str!("fixtures/realistic/identity-07-shared-data.json")),
    ("identity-08-sensitive", include_str!("fixtures/realistic/identity-08-sensitive.json")),
    ("identity-09-ec2", include_str!("fixtures/realistic/identity-09-ec2.json")),
    ("identity-10-team-read", include_str!("fixtures/realistic/identity-10-team-read.json")),
];
const SCP_FULL_AWS_ACCESS: &str = include_str!("fixtures/realistic/scp-full-aws-access.json");
const SCP_REGION_GUARDRAIL: &str = include_str!("fixtures/realistic/scp-region-guardrail.json");
const PERMISSIONS_BOUNDARY: &str = include_str!("fixtures/realistic/permissions-boundary.json");
const BUCKET_POLICY: &str = include_str!("fixtures/realistic/bucket-policy.json");

const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/alice";
const ACTION: &str = "s3:GetObject";
const OBJECT: &str = "arn:aws:s3:::example-corp-data/payments/reports/2025/06/summary.csv";

fn policy(name: &str, text: &str, policy_type: PolicyType) -> Arc<Policy> {
    match Policy::parse(name, text, policy_type) {
        Ok(p) => Arc::new(p),
        Err(e) => panic!("fixture {name} does not parse: {e}"),
    }
}

fn realistic_policies() -> Policies {
    let full = policy("FullAWSAccess", SCP_FULL_AWS_ACCESS, PolicyType::Scp);
    Policies {
        identity: IDENTITY.iter().map(|(name, text)| policy(name, text, PolicyType::Identity)).collect(),
        resource: Some(policy("bucket-policy", BUCKET_POLICY, PolicyType::Resource)),
        permissions_boundary: Some(policy(
            "permissions-boundary",
            PERMISSIONS_BOUNDARY,
            PolicyType::PermissionsBoundary,
        )),
        scps: Some(vec![
            vec![full.clone()],
            vec![full, policy("region-guardrail", SCP_REGION_GUARDRAIL, PolicyType::Scp)],
        ]),
        ..Policies::default()
    }
}

/// The realistic request: `alice` in the `Dev` role, tagged `team=payments`, reads a report in
/// her team's prefix over TLS with MFA from the office network.
fn realistic_request(region: &str, time: &str) -> Request {
    let mut principal = Principal::parse(SESSION).unwrap();
    principal.tags = [("team", "payments"), ("env", "prod"), ("cost-center", "cc-4410")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut context = Context::new();
    for (key, value) in [
        ("aws:SecureTransport", "true"),
        ("aws:MultiFactorAuthPresent", "true"),
        ("aws:MultiFactorAuthAge", "1200"),
        ("aws:SourceIp", "203.0.113.42"),
        ("aws:CurrentTime", time),
        ("aws:EpochTime", "1749983400"),
        ("aws:RequestedRegion", region),
        ("aws:PrincipalOrgID", "o-a1b2c3d4e5"),
        ("aws:UserAgent", "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64"),
        ("s3:authType", "REST-HEADER"),
        ("s3:signatureversion", "AWS4-HMAC-SHA256"),
        ("s3:TlsVersion", "1.3"),
    ] {
        context.insert(key, vec![value.to_string()]);
    }
    Request::new(principal, ACTION, OBJECT, None, context).unwrap()
}

/// Checks the fixture's decision and prints how deep the evaluation went, once.
fn check(label: &str, request: &Request, policies: &Policies, expect: Decision) {
    let response = authorize_traced(request, policies);
    assert_eq!(response.outcome.decision, expect, "{label}: {:?}", response.outcome);
    assert_eq!(authorize(request, policies), response.outcome, "{label}: traced and untraced disagree");
    let (mut total, mut action, mut resource, mut principal, mut condition, mut matched) = (0, 0, 0, 0, 0, 0);
    for layer in &response.trace.layers {
        for p in &layer.policies {
            for s in &p.statements {
                total += 1;
                match s.outcome {
                    StatementOutcome::ActionNotMatched => action += 1,
                    StatementOutcome::ResourceNotMatched => resource += 1,
                    StatementOutcome::PrincipalNotMatched => principal += 1,
                    StatementOutcome::ConditionFailed(_) | StatementOutcome::ConditionTypeError(_) => condition += 1,
                    StatementOutcome::Matched(_) => matched += 1,
                }
            }
        }
    }
    eprintln!(
        "{label}: {:?}; {total} statements: {action} stop at the action, {resource} at the resource, \
         {principal} at the principal, {condition} at a condition, {matched} match",
        response.outcome.decision
    );
}

fn bench_authorize(c: &mut Criterion) {
    let mut group = c.benchmark_group("authorize");

    // One identity statement, an IAM user, no context beyond what Request::new fills in.
    let simple_policy = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::logs/*"}}"#;
    let simple =
        Policies { identity: vec![policy("read-logs", simple_policy, PolicyType::Identity)], ..Policies::default() };
    let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let simple_request = Request::new(alice, "s3:GetObject", "arn:aws:s3:::logs/today", None, Context::new()).unwrap();
    check("simple", &simple_request, &simple, Decision::Allowed);
    group.bench_function("simple", |b| b.iter(|| authorize(black_box(&simple_request), black_box(&simple))));

    let policies = realistic_policies();
    let allowed = realistic_request("eu-west-1", "2025-06-15T10:30:00Z");
    check("realistic_allowed", &allowed, &policies, Decision::Allowed);
    group.bench_function("realistic_allowed", |b| b.iter(|| authorize(black_box(&allowed), black_box(&policies))));

    let wrong_region = realistic_request("us-east-1", "2025-06-15T10:30:00Z");
    check("realistic_denied_scp_region", &wrong_region, &policies, Decision::ExplicitDeny);
    group.bench_function("realistic_denied_scp_region", |b| {
        b.iter(|| authorize(black_box(&wrong_region), black_box(&policies)))
    });

    let too_early = realistic_request("eu-west-1", "2024-06-15T10:30:00Z");
    check("realistic_denied_implicit", &too_early, &policies, Decision::ImplicitDeny);
    group.bench_function("realistic_denied_implicit", |b| {
        b.iter(|| authorize(black_box(&too_early), black_box(&policies)))
    });

    group
        .bench_function("realistic_traced", |b| b.iter(|| authorize_traced(black_box(&allowed), black_box(&policies))));
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
    targets = bench_authorize
}
criterion_main!(benches);
