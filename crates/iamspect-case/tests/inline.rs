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

/// The two paths agree: `inline_case` declines, or gives what `case_from_str` gives; and again
/// once its policies are known (when they are not read again). Returns whether `inline_case`
/// answered.
fn agree(text: &str, fast: &mut Compiler, exact: &mut Compiler) -> bool {
    let mut answered = false;
    for _ in 0..2 {
        let Some(read) = inline_case(text, fast) else { continue };
        answered = true;
        let want = case_from_str(0, text, Path::new("/nonexistent"), exact)
            .unwrap_or_else(|e| panic!("inline_case answered where case_from_str fails ({e}): {text}"));
        assert_eq!(format!("{:?}", read.case), format!("{want:?}"), "{text}");
    }
    answered
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
            // Twice: the second time the policy is known (and not read again).
            assert_eq!(inline_case(&text, &mut fast).is_some(), value_ok, "{field} nested {n}");
            assert_eq!(inline_case(&text, &mut fast).is_some(), value_ok, "{field} nested {n}, known");
        }
    }
}

#[test]
fn known_policies_are_not_read_again_and_change_nothing() {
    let big = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}]}}"#,
        "x".repeat(200)
    );
    let deny = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#;
    let (mut fast, mut exact) = (Compiler::new(), Compiler::new());
    let first = with(&format!(r#", "identityPolicies": [{big}, {ALLOW}], "resourcePolicy": {deny}"#));
    assert!(agree(&first, &mut fast, &mut exact));
    // Known now: the long one by its first bytes, the short ones by their whole text.
    assert_eq!(inline_case(&first, &mut fast).unwrap().known, 3);
    let bodies = [
        // Another request, the same policies, other white space between them.
        format!(
            r#"{{"action": "s3:GetObject", "identityPolicies": [ {big} ,{ALLOW}], "principal": "arn:aws:iam::111122223333:user/bob", "resource": "arn:aws:s3:::c/d", "resourcePolicy":{deny} }}"#
        ),
        // The same policies in other places: as a boundary, in SCPs, as session policies.
        with(&format!(
            r#", "permissionsBoundary": {big}, "scps": [[{ALLOW}], [{deny}, "FullAWSAccess"]], "sessionPolicies": []"#
        )),
        // A known policy where a policy does not go (a context value): read as the body says.
        with(&format!(r#", "identityPolicies": [{ALLOW}], "context": {{"k": {ALLOW}}}"#)),
        with(&format!(r#", "identityPolicies": [{ALLOW}], "description": "{}""#, ALLOW.replace('"', "\\\""))),
    ];
    for body in &bodies {
        assert!(agree(body, &mut fast, &mut exact), "{body}");
    }
    // Known and new policies together: the known ones are not read again, the new one is.
    let new = ALLOW.replace("s3:*", "s3:Get*");
    let mixed = with(&format!(r#", "identityPolicies": [{big}, {new}, {ALLOW}], "resourcePolicy": {deny}"#));
    assert_eq!(inline_case(&mixed, &mut fast).unwrap().known, 3);
    assert!(agree(&mixed, &mut fast, &mut exact));
    assert_eq!(inline_case(&mixed, &mut fast).unwrap().known, 4);
    let texts = fast.texts();
    assert!(inline_case(&bodies[0], &mut fast).unwrap().known == 3);
    assert_eq!(fast.texts(), texts, "nothing new was kept");
    // What the walk must not take for a known policy: a longer document that starts like one, a
    // number where a policy goes, a key with an escape, text after the case.
    let declined_or_exact = [
        with(&format!(r#", "identityPolicies": [{}, "Id": "x"}}]"#, &ALLOW[..ALLOW.len() - 1])),
        with(&format!(r#", "identityPolicies": [{ALLOW}0]"#)),
        with(&format!(r#", "identityPolicies": [{ALLOW}, 0]"#)),
        with(&format!(r#", "identity\u0050olicies": [{ALLOW}]"#)),
        with(&format!(r#", "identityPolicies": [{ALLOW}], "identityPolicies": [{deny}]"#)),
        format!("{} x", with(&format!(r#", "identityPolicies": [{ALLOW}]"#))),
        with(&format!(r#", "identityPolicies": [{ALLOW}]"#)).replacen('{', "[", 1),
    ];
    for body in &declined_or_exact {
        agree(body, &mut fast, &mut exact);
    }
    assert!(inline_case(&declined_or_exact[2], &mut fast).is_none_or(|r| r.known == 0));
}

/// A realistic case (the bench fixture: 14 policies, 14 KB) with random edits, each read by both
/// paths with the policies known: `inline_case` declines or agrees, whatever the edit.
#[test]
fn random_edits_of_a_realistic_case() {
    let dir = root().join("crates/iamspect-core/benches/fixtures/realistic");
    let doc = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let identity: Vec<serde_json::Value> = (1..=10)
        .map(|i| {
            let name = std::fs::read_dir(&dir)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().into_string().unwrap())
                .find(|n| n.starts_with(&format!("identity-{i:02}-")))
                .unwrap();
            doc(&name)
        })
        .collect();
    let body = serde_json::json!({
        "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/Dev/alice", "tags": {"team": "payments"}},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::example-corp-data/payments/reports/2025/06/summary.csv",
        "context": {"aws:SourceIp": "203.0.113.42", "aws:CurrentTime": "2025-06-15T10:30:00Z"},
        "identityPolicies": identity,
        "scps": [["FullAWSAccess"], [doc("scp-full-aws-access.json"), doc("scp-region-guardrail.json")]],
        "permissionsBoundary": doc("permissions-boundary.json"),
        "resourcePolicy": doc("bucket-policy.json"),
        "expect": {"decision": "allowed"},
    })
    .to_string();
    let (mut fast, mut exact) = (Compiler::new(), Compiler::new());
    assert!(agree(&body, &mut fast, &mut exact));
    assert_eq!(inline_case(&body, &mut fast).unwrap().known, 14);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    let bytes = b"{}[],:\"\\ 0-1eE.tfn\x7faxIV";
    let (mut answered, mut tried) = (0, 0);
    for _ in 0..1500 {
        let mut edited = body.clone().into_bytes();
        for _ in 0..=next(2) {
            // Half the edits fall on the first and last few hundred bytes, around the policies.
            let at = match next(4) {
                0 => next(400),
                1 => edited.len() - 1 - next(400),
                _ => next(edited.len()),
            };
            let b = bytes[next(bytes.len())];
            match next(3) {
                0 => edited[at] = b,
                1 => edited.insert(at, b),
                _ => {
                    edited.remove(at);
                }
            }
        }
        let Ok(text) = String::from_utf8(edited) else { continue };
        tried += 1;
        answered += usize::from(agree(&text, &mut fast, &mut exact));
    }
    assert!(answered > 300, "{answered} of {tried} edited cases answered");
}

/// Many known policies with the same first bytes (an `Id` at the end that changes): the latest
/// ones are found by their first bytes, older ones are read again; every answer is the same.
#[test]
fn many_policies_with_the_same_first_bytes() {
    let policy = |i: usize| {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}], "Id": "v{i}"}}"#,
            "s".repeat(120)
        )
    };
    let (mut fast, mut exact) = (Compiler::new(), Compiler::new());
    for i in 0..50 {
        assert!(agree(&with(&format!(r#", "resourcePolicy": {}"#, policy(i))), &mut fast, &mut exact));
    }
    assert_eq!(inline_case(&with(&format!(r#", "resourcePolicy": {}"#, policy(49))), &mut fast).unwrap().known, 1);
    assert_eq!(inline_case(&with(&format!(r#", "resourcePolicy": {}"#, policy(0))), &mut fast).unwrap().known, 0);
}
