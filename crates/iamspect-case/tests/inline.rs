//! `inline_case` (one parse) builds exactly the case `case_from_str` (the exact path) builds, or
//! declines: over every case of `tests/cases` and `examples`, and over inputs where a single
//! parse would be less strict than a `serde_json::Value` (which the server's exact path reads).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};

use iamspect_case::{Compiler, case_from_str, inline_case};
use serde_json::value::RawValue;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// The two paths agree: `inline_case` declines, or gives what `case_from_str` gives. Returns
/// whether `inline_case` answered.
fn agree(text: &str, fast: &mut Compiler, exact: &mut Compiler) -> bool {
    let Some(read) = inline_case(text, fast) else { return false };
    let want = case_from_str(0, text, Path::new("/nonexistent"), exact)
        .unwrap_or_else(|e| panic!("inline_case answered where case_from_str fails ({e}): {text}"));
    assert_eq!(format!("{:?}", read.case), format!("{want:?}"), "{text}");
    true
}

#[test]
fn every_case_of_the_repository() {
    #[derive(serde::Deserialize)]
    struct File<'a> {
        #[serde(borrow)]
        cases: Option<Vec<&'a RawValue>>,
    }
    let mut files = Vec::new();
    json_files(&root().join("tests/cases"), &mut files);
    json_files(&root().join("examples"), &mut files);
    let (mut fast, mut exact) = (Compiler::new(), Compiler::new());
    let (mut seen, mut answered) = (0, 0);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(file) = serde_json::from_str::<File<'_>>(&text) else { continue };
        let cases: Vec<&str> = match file.cases {
            Some(cases) => cases.iter().map(|c| c.get()).collect(),
            None => vec![text.as_str()],
        };
        for case in cases {
            seen += 1;
            answered += usize::from(agree(case, &mut fast, &mut exact));
        }
    }
    assert!(seen > 500 && answered > 300, "{answered} of {seen} cases read in one parse");
}

const ALLOW: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;

fn with(extra: &str) -> String {
    format!(
        r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"{extra}}}"#
    )
}

#[test]
fn answers_valid_inline_cases() {
    let (mut fast, mut exact) = (Compiler::new(), Compiler::new());
    for extra in [
        format!(r#", "identityPolicies": [{ALLOW}]"#),
        format!(
            r#", "identityPolicies": [{ALLOW}, {ALLOW}], "description": "two", "expect": {{"decision": "allowed"}}"#
        ),
        format!(
            r#", "scps": [["FullAWSAccess"], [{ALLOW}]], "rcps": [["RCPFullAWSAccess"]], "identityPolicies": [{ALLOW}]"#
        ),
        // Invalid cases that still read: the case carries the error, as on the exact path.
        r#", "identityPolicies": [{"Version": "2012-10-17", "Statement": 3}]"#.to_string(),
        r#", "identityPolicies": [true], "expect": {"error": "MalformedPolicyDocument"}"#.to_string(),
        String::new(),
    ] {
        let text = with(&extra);
        assert!(agree(&text, &mut fast, &mut exact), "declined: {text}");
    }
    let text = with(&format!(r#", "identityPolicies": [{ALLOW}]"#));
    assert!(inline_case(&text, &mut fast).unwrap().has_policies);
    assert!(!inline_case(&with(""), &mut fast).unwrap().has_policies);
}

#[test]
fn declines_what_the_exact_path_must_answer() {
    let deep = format!("{}1{}", "[".repeat(125), "]".repeat(125));
    let cases = [
        // Not JSON, not an object, unknown or repeated fields, wrong types.
        "{".to_string(),
        "[1]".to_string(),
        with(r#", "actoin": "x""#),
        with(r#", "action": "s3:PutObject""#),
        with(r#", "description": 3"#),
        // `expect` that the first read of the exact path rejects.
        with(r#", "expect": null"#),
        with(r#", "expect": {"decision": "allowed", "decision": "allowed"}"#),
        // Policies that are not inline: a library name, a path.
        with(r#", "identityPolicies": ["mine"]"#),
        with(r#", "identityPolicies": ["policy.json"]"#),
        // Inline policies a `Value` would reject: a number out of range, a lone surrogate,
        // nesting past serde_json's limit once counted from the case's root.
        with(r#", "identityPolicies": [{"Version": "2012-10-17", "Statement": [], "X": 1e400}]"#),
        with(r#", "resourcePolicy": {"Version": "2012-10-17", "Statement": [], "Sid": "\udc00"}"#),
        with(&format!(r#", "scps": [[{{"a": {deep}}}]]"#)),
    ];
    let mut fast = Compiler::new();
    for text in cases {
        assert!(inline_case(&text, &mut fast).is_none(), "answered: {text}");
    }
    // The same nesting one level less deep in the case is within the limit.
    let shallow = with(&format!(r#", "resourcePolicy": {{"a": {deep}}}"#));
    assert!(serde_json::from_str::<serde_json::Value>(&shallow).is_ok());
    assert!(agree(&shallow, &mut fast, &mut Compiler::new()));
    let too_deep = with(&format!(r#", "scps": [[{{"a": {deep}}}]]"#));
    assert!(serde_json::from_str::<serde_json::Value>(&too_deep).is_err());
}

#[test]
fn nesting_limit_is_the_values_exactly() {
    let mut fast = Compiler::new();
    for n in 118..=128 {
        let nested = format!("{{\"a\": {}1{}}}", "[".repeat(n), "]".repeat(n));
        for field in ["resourcePolicy", "identityPolicies", "scps"] {
            let policy = match field {
                "resourcePolicy" => nested.clone(),
                "identityPolicies" => format!("[{nested}]"),
                _ => format!("[[{nested}]]"),
            };
            let text = with(&format!(r#", "{field}": {policy}"#));
            let value_ok = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            assert_eq!(inline_case(&text, &mut fast).is_some(), value_ok, "{field} nested {n}");
        }
    }
}
