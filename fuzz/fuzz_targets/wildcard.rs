//! `StringLike` matching through the public API agrees with a regex built from the pattern
//! (`*` -> `.*`, `?` -> `.`, everything else literal; case-sensitive; whole string).
//!
//! The pattern goes into a one-statement identity policy as the value of a `StringLike` condition
//! on a custom key, and the text is that key's value in the request context. The policy uses
//! `Version` 2008-10-17, under which `${...}` is literal text, so the pattern is nothing but
//! text, `*` and `?`. Under 2012-10-17 the same must hold for patterns without `${`.
//! `StringNotLike` must give the opposite answer.
#![no_main]

use arbitrary::Unstructured;
use iamspect_core::{Context, Decision, Policies, Policy, PolicyType, Principal, Request, authorize};
use iamspect_fuzz::json_string;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

/// Characters that make matches likely and edge cases common: wildcards, case, multi-byte and
/// astral characters, newlines, JSON and regex metacharacters, policy-variable syntax.
const ALPHABET: &[&str] =
    &["a", "b", "A", "*", "?", "é", "\u{1F600}", "\n", "/", ".", "$", "{", "}", "\"", "\\", "\u{0}"];

const KEY: &str = "fuzz:Text";

fn from_alphabet(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()]).collect()
}

fn expected(pattern: &str, text: &str) -> Option<bool> {
    let mut re = String::from(r"(?s)\A(?:");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    re.push_str(r")\z");
    // Huge patterns may exceed the regex size limit; then there is nothing to compare with.
    let re = regex::RegexBuilder::new(&re).size_limit(1 << 26).build().ok()?;
    Some(re.is_match(text))
}

fn engine(version: &str, operator: &str, pattern: &str, text: &str) -> bool {
    let doc = format!(
        r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"{operator}":{{"{KEY}":{}}}}}}}}}"#,
        json_string(pattern)
    );
    let policy = match Policy::parse("wildcard", &doc, PolicyType::Identity) {
        Ok(p) => p,
        Err(e) => panic!("a plain StringLike policy must parse: {e}\n{doc}"),
    };
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").expect("principal");
    let mut context = Context::new();
    context.insert(KEY, vec![text.to_string()]);
    let request = Request::new(principal, "s3:GetObject", "*", None, context).expect("request");
    let policies = Policies { identity: vec![Arc::new(policy)], ..Policies::default() };
    authorize(&request, &policies).decision == Decision::Allowed
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(mode) = u.arbitrary::<u8>() else { return };
    let Ok(pattern_bytes) = u.arbitrary::<&[u8]>() else { return };
    let text_bytes = u.take_rest();
    let (pattern, text) = if mode & 1 == 0 {
        (from_alphabet(pattern_bytes), from_alphabet(text_bytes))
    } else {
        (String::from_utf8_lossy(pattern_bytes).into_owned(), String::from_utf8_lossy(text_bytes).into_owned())
    };

    let like = engine("2008-10-17", "StringLike", &pattern, &text);
    let not_like = engine("2008-10-17", "StringNotLike", &pattern, &text);
    assert_eq!(not_like, !like, "StringNotLike must be the negation of StringLike: {pattern:?} vs {text:?}");
    if !pattern.contains("${") {
        let like_2012 = engine("2012-10-17", "StringLike", &pattern, &text);
        assert_eq!(like_2012, like, "Version must not matter without `${{`: {pattern:?} vs {text:?}");
    }
    if let Some(want) = expected(&pattern, &text) {
        assert_eq!(like, want, "StringLike {pattern:?} vs {text:?}: engine says {like}, regex says {want}");
    }
});
