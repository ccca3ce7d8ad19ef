//! Reading CloudTrail streaming (D149, D157): one generated log file of 4,000 events (about
//! 5.5 MB of JSON, records shaped like `scripts/gen-cloudtrail.py`'s), held in memory, plain and
//! gzipped as AWS delivers it, cut into records and parsed one at a time by `stream_bytes`, what
//! each reading thread does with one file. Criterion prints events per second; the same with
//! each record hashed (the duplicate check of `replay`) and with the S3 requests rebuilt.

#![allow(clippy::unwrap_used, reason = "bench code")]

use std::hint::black_box;
use std::io::Write as _;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const EVENTS: usize = 4_000;

/// A data event like those of `scripts/gen-cloudtrail.py`, deterministic in `i`.
fn event(i: usize) -> Value {
    let key = format!("daily/part-{:05}.csv", (i * 7919) % 100_000);
    let mut e = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEDEV", "arn": "arn:aws:iam::123456789012:user/dev",
                         "accountId": "123456789012", "accessKeyId": "AKIAEXAMPLEDEV1", "userName": "dev"},
        "eventTime": format!("2026-11-{:02}T{:02}:{:02}:{:02}Z", 1 + i % 28, i % 24, i % 60, (i * 7) % 60),
        "eventSource": "s3.amazonaws.com", "eventName": if i.is_multiple_of(3) { "PutObject" } else { "GetObject" },
        "awsRegion": "eu-west-1", "sourceIPAddress": format!("198.51.100.{}", 1 + i % 254),
        "userAgent": "[aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64]",
        "requestParameters": {"bucketName": "reports", "Host": "reports.s3.eu-west-1.amazonaws.com", "key": key},
        "responseElements": null,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                "x-amz-id-2": "x".repeat(76), "bytesTransferredOut": i * 31},
        "requestID": format!("{:016X}", i * 104_729), "eventID": format!("{:032x}", i * 1_000_003),
        "readOnly": !i.is_multiple_of(3), "eventType": "AwsApiCall", "managementEvent": false,
        "recipientAccountId": "123456789012", "eventCategory": "Data",
        "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::reports/{key}")},
                      {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}],
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": "reports.s3.eu-west-1.amazonaws.com"},
    });
    if i.is_multiple_of(50) {
        e["errorCode"] = json!("AccessDenied");
        e["errorMessage"] = json!("Access Denied");
    }
    e
}

fn bench(c: &mut Criterion) {
    let records: Vec<Value> = (0..EVENTS).map(event).collect();
    let plain = json!({"Records": records}).to_string().into_bytes();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(&plain).unwrap();
    let gzip = enc.finish().unwrap();
    eprintln!("{EVENTS} events: {} bytes of JSON, {} gzipped", plain.len(), gzip.len());
    let mut group = c.benchmark_group("stream");
    group.sample_size(20);
    group.throughput(Throughput::Elements(EVENTS as u64));
    for (name, bytes) in [("plain", &plain), ("gzip", &gzip)] {
        group.bench_function(format!("read/{name}"), |b| {
            b.iter(|| {
                let n = iamspect_replay::stream_bytes(bytes.clone(), &mut |_, r| {
                    black_box(r);
                })
                .unwrap();
                assert_eq!(n, EVENTS);
            });
        });
        group.bench_function(format!("read+hash/{name}"), |b| {
            b.iter(|| {
                iamspect_replay::stream_bytes(bytes.clone(), &mut |_, r| {
                    black_box(iamspect_replay::record_hash(&r));
                })
                .unwrap()
            });
        });
        group.bench_function(format!("read+rebuild/{name}"), |b| {
            b.iter(|| {
                iamspect_replay::stream_bytes(bytes.clone(), &mut |_, r| {
                    black_box(iamspect_replay::rebuild(&r, None, None).ok());
                })
                .unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
