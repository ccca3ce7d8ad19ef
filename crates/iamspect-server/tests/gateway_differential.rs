//! The gateway's reading of a request against an independent reading written from how an
//! emulator reads it (`iamspect_server::gateway::differential`), on requests written the way AWS's
//! SDKs write them and on those requests edited byte by byte. Two properties:
//! - every SDK-shaped request is accepted, and both readings give back what was written;
//! - every edited request is either refused by the gateway or read the same both ways.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use iamspect_server::gateway::Gateway;
use iamspect_server::gateway::differential::{self, Reading};
use proptest::prelude::*;

const SIGNATURE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A request as an SDK writes it.
#[derive(Clone, Debug)]
struct Written {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    expected: Reading,
}

fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE0001/20250601/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIGNATURE}"
    )
}

/// S3's URI encoding of a key (`/` kept).
fn encode_key(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn key_strategy() -> impl Strategy<Value = String> {
    let segment = proptest::string::string_regex("[a-zA-Z0-9 ._~%+;&=?#!*'()é-]{1,8}").unwrap();
    proptest::collection::vec(segment, 1..4)
        .prop_map(|segments| segments.join("/"))
        .prop_filter("no dot segments", |k| !k.split('/').any(|s| s == "." || s == ".."))
}

fn s3_request() -> impl Strategy<Value = Written> {
    (
        prop::sample::select(vec!["data", "public-site", "a-b.c", "x1y"]),
        key_strategy(),
        prop::sample::select(vec!["GET", "PUT", "DELETE", "HEAD"]),
        prop::sample::subsequence(vec![("prefix", "a/b c"), ("versionId", "3&x"), ("x-id", "GetObject")], 0..3),
        prop::sample::select(vec!["127.0.0.1:4566", "localhost:4566", "VIRTUAL"]),
    )
        .prop_map(|(bucket, key, method, query, host)| {
            let virtual_host = host == "VIRTUAL" && !bucket.contains('.');
            let host = if virtual_host {
                format!("{bucket}.s3.localhost.localstack.cloud:4566")
            } else {
                host.replace("VIRTUAL", "localhost:4566")
            };
            let path =
                if virtual_host { format!("/{}", encode_key(&key)) } else { format!("/{bucket}/{}", encode_key(&key)) };
            let mut pairs: Vec<(String, String)> =
                query.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
            pairs.sort();
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
            let target = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
            Written {
                method: method.to_string(),
                target,
                headers: vec![
                    ("host".to_string(), host.into_bytes()),
                    ("x-amz-date".to_string(), b"20250601T120000Z".to_vec()),
                    ("x-amz-content-sha256".to_string(), b"UNSIGNED-PAYLOAD".to_vec()),
                    ("authorization".to_string(), authorization("s3").into_bytes()),
                ],
                body: Vec::new(),
                expected: Reading {
                    service: "s3".to_string(),
                    region: "us-east-1".to_string(),
                    bucket: bucket.to_string(),
                    key,
                    params: pairs,
                    json: None,
                },
            }
        })
}

fn query_request() -> impl Strategy<Value = Written> {
    (prop::sample::select(vec!["jobs", "secret"]), "[a-zA-Z0-9 &=+%]{0,12}").prop_map(|(queue, message)| {
        let url = format!("http://localhost:4566/111122223333/{queue}");
        let mut params = vec![
            ("Action".to_string(), "SendMessage".to_string()),
            ("MessageBody".to_string(), message.clone()),
            ("QueueUrl".to_string(), url.clone()),
            ("Version".to_string(), "2012-11-05".to_string()),
        ];
        let body = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        params.sort();
        Written {
            method: "POST".to_string(),
            target: "/".to_string(),
            headers: vec![
                ("host".to_string(), b"127.0.0.1:4566".to_vec()),
                ("content-type".to_string(), b"application/x-www-form-urlencoded; charset=utf-8".to_vec()),
                ("x-amz-date".to_string(), b"20250601T120000Z".to_vec()),
                ("authorization".to_string(), authorization("sqs").into_bytes()),
            ],
            body: body.into_bytes(),
            expected: Reading {
                service: "sqs".to_string(),
                region: "us-east-1".to_string(),
                bucket: String::new(),
                key: String::new(),
                params,
                json: None,
            },
        }
    })
}

fn json_request() -> impl Strategy<Value = Written> {
    prop::sample::select(vec!["Orders", "Secrets"]).prop_map(|table| {
        let json = serde_json::json!({"TableName": table, "Key": {"id": {"S": "1"}}});
        Written {
            method: "POST".to_string(),
            target: "/".to_string(),
            headers: vec![
                ("host".to_string(), b"localhost:4566".to_vec()),
                ("content-type".to_string(), b"application/x-amz-json-1.0".to_vec()),
                ("x-amz-target".to_string(), b"DynamoDB_20120810.GetItem".to_vec()),
                ("x-amz-date".to_string(), b"20250601T120000Z".to_vec()),
                ("authorization".to_string(), authorization("dynamodb").into_bytes()),
            ],
            body: serde_json::to_vec(&json).unwrap(),
            expected: Reading {
                service: "dynamodb".to_string(),
                region: "us-east-1".to_string(),
                bucket: String::new(),
                key: String::new(),
                params: Vec::new(),
                json: Some(json),
            },
        }
    })
}

fn written() -> impl Strategy<Value = Written> {
    prop_oneof![3 => s3_request(), 1 => query_request(), 1 => json_request()]
}

/// The edits an attacker makes to a request's bytes.
#[derive(Clone, Debug)]
enum Edit {
    /// Insert text into the request target at a position (a fraction of its length).
    Target(u8, &'static str),
    /// Replace the Host.
    Host(&'static str),
    /// Add a header.
    AddHeader(&'static str, &'static str),
    /// Insert text into a header's value.
    HeaderValue(u8, u8, &'static str),
    /// Insert text into the body.
    Body(u8, &'static str),
    /// Upper-case the target.
    UpperTarget,
}

fn edit() -> impl Strategy<Value = Edit> {
    let inserts = vec![
        "/",
        "//",
        "/./",
        "/../",
        ";x",
        "%zz",
        "%2F",
        "%2f",
        "%00",
        "%ff",
        "?",
        "&",
        "=",
        "&Action=DeleteQueue",
        "?QueueUrl=x",
        "&prefix=z",
        "&x-amz-acl=public-read",
        "&X-Amz-Credential=a%2Fb%2Fus-east-1%2Fsqs%2Faws4_request",
        "#",
        " ",
        "+",
        ".amazonaws.com",
        ".eu-west-1.amazonaws.com/",
        "%2e%2e",
        "moto-api/",
        "A",
        "_",
    ];
    let hosts = vec![
        "data.example:4566",
        "localhost.s3.example:4566",
        "DATA.s3.localhost.localstack.cloud:4566",
        "www.data.s3.localhost.localstack.cloud:4566",
        "data.s3.eu-west-1.localhost.localstack.cloud:4566",
        "s3.localhost.localstack.cloud:4566",
        "127.0.0.1",
        "localhost:4566:1",
        "sqs.eu-west-1.amazonaws.com",
        "[::1]:4566",
        "secret.s3.localhost.localstack.cloud:4566",
    ];
    let headers = vec![
        ("action", "DeleteTable"),
        ("user-agent", "Boto3/1 region/eu-west-1"),
        ("user-agent", "Boto3/1 region/us-east-1"),
        ("content-encoding", "gzip"),
        ("x-amz-target", "AmazonSQS.DeleteQueue"),
        ("x-http-method-override", "DELETE"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE0001/20250601/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
        ),
        ("content-type", "application/x-www-form-urlencoded"),
        ("x-amz-copy-source", "data/private/x"),
    ];
    let header_inserts =
        vec![",", " ", "X=", "Credential=a/b/us-east-1/sqs/aws4_request,", "/", "eu-west-1", "S3", "é"];
    let body_inserts =
        vec!["&QueueUrl=x", "&Action=DeleteQueue", "\"TableName\":\"Secrets\",", "{", "&", "%zz", "&MessageBody=y"];
    prop_oneof![
        (any::<u8>(), prop::sample::select(inserts)).prop_map(|(at, s)| Edit::Target(at, s)),
        prop::sample::select(hosts).prop_map(Edit::Host),
        prop::sample::select(headers).prop_map(|(n, v)| Edit::AddHeader(n, v)),
        (any::<u8>(), any::<u8>(), prop::sample::select(header_inserts))
            .prop_map(|(h, at, s)| Edit::HeaderValue(h, at, s)),
        (any::<u8>(), prop::sample::select(body_inserts)).prop_map(|(at, s)| Edit::Body(at, s)),
        Just(Edit::UpperTarget),
    ]
}

/// Inserts `what` at a place where parsers part ways: the start, the end, or either side of a
/// delimiter (`/ ? & = , ; : .` and spaces), picked by `choice`.
fn insert_at(text: &str, choice: u8, what: &str) -> String {
    let mut places = vec![0, text.len(), text.chars().next().map_or(0, char::len_utf8)];
    for (i, c) in text.char_indices() {
        if "/?&=,;:. ".contains(c) {
            places.push(i);
            places.push(i + c.len_utf8());
        }
    }
    let i = places[usize::from(choice) % places.len()];
    format!("{}{what}{}", &text[..i], &text[i..])
}

fn apply(w: &mut Written, e: &Edit) {
    match e {
        Edit::Target(f, s) => w.target = insert_at(&w.target, *f, s),
        Edit::Host(h) => {
            if let Some(host) = w.headers.iter_mut().find(|(n, _)| n == "host") {
                host.1 = h.as_bytes().to_vec();
            }
        }
        Edit::AddHeader(n, v) => w.headers.push(((*n).to_string(), v.as_bytes().to_vec())),
        Edit::HeaderValue(h, f, s) => {
            let i = usize::from(*h) % w.headers.len();
            let value = String::from_utf8_lossy(&w.headers[i].1).into_owned();
            w.headers[i].1 = insert_at(&value, *f, s).into_bytes();
        }
        Edit::Body(f, s) => {
            let body = String::from_utf8_lossy(&w.body).into_owned();
            w.body = insert_at(&body, *f, s).into_bytes();
        }
        Edit::UpperTarget => w.target = w.target.to_uppercase(),
    }
}

/// The request as the server receives it, or `None` where the HTTP layer itself refuses it.
fn parts(w: &Written) -> Option<axum::http::request::Parts> {
    let mut builder = http::Request::builder().method(w.method.as_str()).uri(w.target.as_str());
    for (n, v) in &w.headers {
        builder = builder.header(n.as_str(), http::HeaderValue::from_bytes(v).ok()?);
    }
    Some(builder.body(()).ok()?.into_parts().0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sdk_requests_are_accepted_and_read_as_written(w in written()) {
        let gateway = Gateway::default();
        let p = parts(&w).unwrap();
        let ours = differential::gateway(&p, &w.body, &gateway);
        let ours = ours.unwrap_or_else(|e| panic!("refused {} {}: {e}", w.method, w.target));
        prop_assert_eq!(&ours, &w.expected, "{} {}", w.method, w.target);
        let theirs = differential::emulator(&p, &w.body);
        prop_assert_eq!(differential::difference(&ours, &theirs), None, "{} {}", w.method, w.target);
    }

    #[test]
    fn edited_requests_are_refused_or_read_alike(mut w in written(), edits in proptest::collection::vec(edit(), 1..4)) {
        for e in &edits {
            apply(&mut w, e);
        }
        let gateway = Gateway::default();
        if let Some(p) = parts(&w)
            && let Ok(ours) = differential::gateway(&p, &w.body, &gateway)
        {
                let theirs = differential::emulator(&p, &w.body);
                prop_assert_eq!(
                    differential::difference(&ours, &theirs),
                    None,
                    "accepted {} {} {:?} after {:?}",
                    w.method,
                    w.target,
                    w.headers.iter().map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned())).collect::<Vec<_>>(),
                    edits
                );
        }
    }
}
