//! The "allowed if" residual (decision D120): three single-valued keys of three types under an
//! identity policy and an SCP, and one multivalued key read with set qualifiers.
//! `cargo bench -p iamspect-symbolic --bench residual`
#![allow(clippy::unwrap_used, reason = "bench code")]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use iamspect_core::{Context, Policies, Policy, PolicyType, Principal, Request};
use iamspect_symbolic::residual::{Values, residual};

const IDENTITY: &str = r#"{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}},
{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}},
{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.9.0.0/16"},"StringLike":{"aws:SourceVpce":"vpce-9*"}}}]}"#;
const SCP: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
const TAGS: &str = r#"{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","owner"]}}},
{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"secret-*"}}}]}"#;

fn request() -> Request {
    let p = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    Request::new(p, "s3:GetObject", "arn:aws:s3:::b/k", Some("111122223333"), Context::new()).unwrap()
}

fn bench(c: &mut Criterion) {
    let full = Arc::new(
        Policy::parse(
            "FullAWSAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            PolicyType::Scp,
        )
        .unwrap(),
    );
    let policies = Policies {
        identity: vec![Arc::new(Policy::parse("identity", IDENTITY, PolicyType::Identity).unwrap())],
        scps: Some(vec![vec![full, Arc::new(Policy::parse("scp", SCP, PolicyType::Scp).unwrap())]]),
        ..Policies::default()
    };
    let keys: Vec<String> =
        ["aws:SourceIp", "aws:SourceVpce", "aws:SecureTransport"].iter().map(|s| s.to_string()).collect();
    let req = request();
    c.bench_function("residual: 3 keys, identity + SCP", |b| {
        b.iter(|| residual(black_box(&req), &policies, &keys, &|_| Values::Single).unwrap())
    });
    let tags = Policies {
        identity: vec![Arc::new(Policy::parse("tags", TAGS, PolicyType::Identity).unwrap())],
        ..Policies::default()
    };
    let tag_keys = vec!["aws:TagKeys".to_string()];
    c.bench_function("residual: multivalued aws:TagKeys", |b| {
        b.iter(|| residual(black_box(&req), &tags, &tag_keys, &|_| Values::Multi).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
