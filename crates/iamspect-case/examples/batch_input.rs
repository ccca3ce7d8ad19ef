//! Writes `N` varied realistic cases, one JSON case per line, for timing `iamspect eval --batch`
//! (see `docs/performance.md`, "Batch decisions").
//!
//! Every line is the realistic case of the core's benches (an assumed-role session with tags, 10
//! identity policies, two SCP levels, a permissions boundary and a bucket policy, all inline,
//! about 13–14 KB) with its own request: the session name, the object key, `aws:SourceIp`,
//! `aws:UserAgent` and `aws:EpochTime` differ on every line, and every line has one of eight
//! action and resource pairs, one of three regions (one denied by the SCP guardrail) and one of
//! two times (one before the team grant starts). The policies are the same on every line, as in
//! a batch run against one account's policies.
//!
//! ```sh
//! cargo run --release -p iamspect-case --example batch_input -- 2000 > target/batch-2000.jsonl
//! target/release/iamspect eval --batch target/batch-2000.jsonl > /dev/null
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a generator for measurements")]

use std::io::Write;

use serde_json::{Value, json};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../iamspect-core/benches/fixtures/realistic/", $name))
    };
}

const IDENTITY: [&str; 10] = [
    fixture!("identity-01-team-data.json"),
    fixture!("identity-02-observability.json"),
    fixture!("identity-03-reports.json"),
    fixture!("identity-04-kms.json"),
    fixture!("identity-05-secrets.json"),
    fixture!("identity-06-dynamodb.json"),
    fixture!("identity-07-shared-data.json"),
    fixture!("identity-08-sensitive.json"),
    fixture!("identity-09-ec2.json"),
    fixture!("identity-10-team-read.json"),
];
const SCP_FULL_AWS_ACCESS: &str = fixture!("scp-full-aws-access.json");
const SCP_REGION_GUARDRAIL: &str = fixture!("scp-region-guardrail.json");
const PERMISSIONS_BOUNDARY: &str = fixture!("permissions-boundary.json");
const BUCKET_POLICY: &str = fixture!("bucket-policy.json");

/// Action and resource pairs; `{n}` is the line's number.
const REQUESTS: [(&str, &str); 8] = [
    ("s3:GetObject", "arn:aws:s3:::example-corp-data/payments/reports/2025/06/summary-{n}.csv"),
    ("s3:GetObject", "arn:aws:s3:::example-corp-data/payments/archive/2024/{n}.csv"),
    ("s3:GetObject", "arn:aws:s3:::example-corp-data/shared/handbook-{n}.pdf"),
    ("s3:PutObject", "arn:aws:s3:::example-corp-data/payments/uploads/{n}.csv"),
    ("s3:GetObject", "arn:aws:s3:::example-corp-data/risk/reports/{n}.csv"),
    ("s3:ListBucket", "arn:aws:s3:::example-corp-data"),
    ("s3:DeleteObject", "arn:aws:s3:::example-corp-data/payments/reports/{n}.csv"),
    ("s3:GetObjectTagging", "arn:aws:s3:::example-corp-data/payments/{n}/summary.csv"),
];
const REGIONS: [&str; 3] = ["eu-west-1", "eu-central-1", "us-east-1"];
const TIMES: [(&str, i64); 2] = [("2025-06-15T10:30:00Z", 1_749_983_400), ("2024-01-10T08:00:00Z", 1_704_873_600)];

fn doc(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture")
}

fn case(n: usize) -> Value {
    let (action, resource) = REQUESTS[n % REQUESTS.len()];
    let region = REGIONS[(n / 8) % REGIONS.len()];
    let (time, epoch) = TIMES[usize::from(n.is_multiple_of(7))];
    json!({
        "principal": {
            "arn": format!("arn:aws:sts::111122223333:assumed-role/Dev/user-{n}"),
            "tags": {"team": "payments", "env": "prod", "cost-center": "cc-4410"},
        },
        "action": action,
        "resource": resource.replace("{n}", &n.to_string()),
        "context": {
            "aws:SecureTransport": "true",
            "aws:MultiFactorAuthPresent": "true",
            "aws:MultiFactorAuthAge": "1200",
            "aws:SourceIp": format!("203.0.{}.{}", n / 250 % 250, n % 250),
            "aws:CurrentTime": time,
            "aws:EpochTime": (epoch + n as i64).to_string(),
            "aws:RequestedRegion": region,
            "aws:PrincipalOrgID": "o-a1b2c3d4e5",
            "aws:UserAgent": format!("aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64 batch/{n}"),
            "s3:authType": "REST-HEADER",
            "s3:signatureversion": "AWS4-HMAC-SHA256",
            "s3:TlsVersion": "1.3",
        },
        "identityPolicies": IDENTITY.iter().map(|t| doc(t)).collect::<Vec<_>>(),
        "scps": [[doc(SCP_FULL_AWS_ACCESS)], [doc(SCP_FULL_AWS_ACCESS), doc(SCP_REGION_GUARDRAIL)]],
        "permissionsBoundary": doc(PERMISSIONS_BOUNDARY),
        "resourcePolicy": doc(BUCKET_POLICY),
    })
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(2000, |a| a.parse().expect("N: a number of lines"));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for i in 0..n {
        writeln!(out, "{}", case(i)).expect("write");
    }
    out.flush().expect("write");
}
