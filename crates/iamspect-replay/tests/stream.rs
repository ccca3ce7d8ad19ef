//! Streaming, parallel reading of every shape CloudTrail events come in (decision D149): gzip
//! log files, `Records`, `lookup-events` output, CloudTrail Lake results, arrays, single records.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::io::Write;
use std::path::PathBuf;

use serde_json::{Value, json};

fn record(i: usize) -> Value {
    json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": format!("id-{i}"),
           "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/dev"}})
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iamspect-stream-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ids(paths: &[PathBuf], threads: usize) -> (Vec<String>, iamspect_replay::StreamReport) {
    let (states, report) =
        iamspect_replay::stream_paths(paths, threads, &|_, _| {}, &Vec::new, &|s: &mut Vec<String>, e| {
            s.push(e.record["eventID"].as_str().unwrap_or("?").to_string());
        });
    let mut all: Vec<String> = states.into_iter().flatten().collect();
    all.sort();
    (all, report)
}

#[test]
fn every_shape_gzip_and_parallel() {
    let d = dir("shapes");
    let gz = |name: &str, v: &Value| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(v.to_string().as_bytes()).unwrap();
        std::fs::write(d.join(name), enc.finish().unwrap()).unwrap();
    };
    gz("a.json.gz", &json!({"Records": [record(0), record(1)]}));
    std::fs::write(
        d.join("b.json"),
        json!({"Events": [{"EventId": "x", "CloudTrailEvent": record(2).to_string()}]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        d.join("c.json"),
        json!({"QueryStatus": "FINISHED", "QueryResultRows": [
            [{"eventJson": record(3).to_string()}],
            [{"eventSource": "s3.amazonaws.com"}, {"eventName": "PutObject"}, {"eventID": "id-4"}, {"userIdentity": "{\"type\": \"IAMUser\"}"}]
        ]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(d.join("d.json"), json!([record(5)]).to_string()).unwrap();
    std::fs::write(d.join("e.json"), record(6).to_string()).unwrap();
    std::fs::write(d.join("notes.txt"), "not read: not a JSON file").unwrap();
    let want: Vec<String> = (0..7).map(|i| format!("id-{i}")).collect();
    for threads in [1, 2, 4] {
        let (got, report) = ids(std::slice::from_ref(&d), threads);
        assert_eq!(got, want, "{threads} threads");
        assert!(report.errors.is_empty() && report.skipped.is_empty(), "{report:?}");
        assert_eq!(report.events, 7);
        assert_eq!(report.files.len(), 5);
    }
    // read_paths reads the same files the same way.
    let read = iamspect_replay::read_paths(std::slice::from_ref(&d));
    assert_eq!(read.events.len(), 7);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn bad_files_are_named() {
    let d = dir("bad");
    let cases = [
        ("gz.json.gz", vec![0x1f, 0x8b, 0, 1, 2], "gzip"),
        ("lake.json", json!({"QueryStatus": "RUNNING", "QueryResultRows": []}).to_string().into_bytes(), "RUNNING"),
        ("page.json", json!({"QueryStatus": "FINISHED", "NextToken": "t", "QueryResultRows": []}).to_string().into_bytes(), "NextToken"),
        ("struct.json", json!({"QueryResultRows": [[{"eventSource": "s3.amazonaws.com"}, {"eventName": "x"}, {"userIdentity": "{type=IAMUser}"}]]}).to_string().into_bytes(), "userIdentity"),
        ("other.json", b"{\"Users\": []}".to_vec(), "not CloudTrail events"),
    ];
    for (name, bytes, says) in cases {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (_, report) = ids(std::slice::from_ref(&path), 2);
        assert_eq!(report.errors.len(), 1, "{name}: {report:?}");
        assert_eq!(report.errors[0].path, path);
        assert!(report.errors[0].message.contains(says), "{name}: {}", report.errors[0].message);
    }
    let _ = std::fs::remove_dir_all(d);
}

/// `stream_paths_ordered` (D157): whatever the threads, the items come in file order and record
/// order, as a sequential read gives them; a file that fails half-way (here found in a folder,
/// so skipped) hands over none of its records.
#[test]
fn ordered_delivery_is_the_sequential_order() {
    let d = dir("ordered");
    let mut want = Vec::new();
    for f in 0..9 {
        let records: Vec<Value> = (0..=f * 7).map(|i| record(f * 1000 + i)).collect();
        want.extend(records.iter().map(|r| r["eventID"].as_str().unwrap().to_string()));
        std::fs::write(d.join(format!("f{f}.json")), json!({"Records": records}).to_string()).unwrap();
    }
    // A bare array whose third item is not a record: its first two were parsed before the error.
    std::fs::write(d.join("g.json"), json!([record(90), record(91), {"x": 1}]).to_string()).unwrap();
    for threads in [1, 2, 3, 8] {
        let mut got = Vec::new();
        let mut positions = Vec::new();
        let (states, report) = iamspect_replay::stream_paths_ordered(
            std::slice::from_ref(&d),
            threads,
            &|_, _| {},
            &|| 0usize,
            &|n: &mut usize, at, e| {
                *n += 1;
                Some((at, e.record["eventID"].as_str().unwrap().to_string()))
            },
            &mut |_, items| {
                for (at, id) in items {
                    positions.push(at);
                    got.push(id);
                }
            },
        );
        assert_eq!(got, want, "{threads} threads");
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted, "{threads} threads");
        assert_eq!(report.files.len(), 9, "{report:?}");
        assert_eq!(report.skipped.len(), 1, "{report:?}");
        assert!(report.skipped[0].path.ends_with("g.json"), "{report:?}");
        // The failing file handed over none of its records, not even the two before the bad item (D161).
        assert_eq!(states.iter().sum::<usize>(), want.len(), "{threads} threads");
    }
    // `stream_paths` (unused, generate-policy) hands over nothing of it either.
    for threads in [1, 2] {
        let (got, report) = ids(std::slice::from_ref(&d), threads);
        assert_eq!(got.len(), want.len(), "{threads} threads: {got:?}");
        assert_eq!(report.skipped.len(), 1, "{report:?}");
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn record_hash_tells_records_apart() {
    let a = record(1);
    let b = record(2);
    assert_eq!(iamspect_replay::record_hash(&a), iamspect_replay::record_hash(&a.clone()));
    assert_ne!(iamspect_replay::record_hash(&a), iamspect_replay::record_hash(&b));
}

/// A record nested deeper than serde_json parses is refused before any record of its file is
/// handed over (D161).
#[test]
fn a_record_nested_too_deep_refuses_its_file_whole() {
    let d = dir("deep");
    let deep = format!("{}1{}", "[".repeat(150), "]".repeat(150));
    let text = format!(
        r#"{{"Records": [{}, {{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "x": {deep}, "s": "[[[[\"]]"}}]}}"#,
        record(0)
    );
    let path = d.join("deep.json");
    std::fs::write(&path, text).unwrap();
    let (got, report) = ids(std::slice::from_ref(&path), 1);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert!(report.errors[0].message.contains("`Records[1]` is nested deeper than 100 levels"), "{report:?}");
    // Brackets inside strings do not count.
    let ok = format!(
        r#"{{"Records": [{}, {{"eventSource": "s", "eventName": "n", "s": "{}"}}]}}"#,
        record(0),
        "[".repeat(150)
    );
    std::fs::write(&path, ok).unwrap();
    let (got, report) = ids(std::slice::from_ref(&path), 1);
    assert_eq!(got.len(), 2, "{report:?}");
    let _ = std::fs::remove_dir_all(d);
}
