//! Texts a user pastes into `iamspect explain`: AccessDenied messages (`--message`), iamspect's
//! encoded authorization messages (`--encoded`, and tokens found inside a message) and the JSON of
//! `aws sts decode-authorization-message` (`--decoded`). Reading them must never panic, a token
//! iamspect seals must open to the same text under its key, and a token changed anywhere must not
//! open at all.
#![no_main]

use std::sync::LazyLock;

use iamspect_explain::encoded::{self, MessageKey};
use iamspect_explain::{decoded, parse};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<MessageKey> = LazyLock::new(|| MessageKey::from_bytes(*b"iamspect fuzz key, 32 bytes long"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse::parse_full(text);
    let _ = decoded::parse_decoded(text);
    if let Some(token) = encoded::find_in_message(text) {
        let _ = encoded::decode(&KEY, token);
    }
    let _ = encoded::decode(&KEY, text);
    let _ = MessageKey::parse(data);
    let token = encoded::encode_text(&KEY, text);
    assert!(encoded::is_encoded(&token), "an encoded text is not recognised as a token");
    // Tokens carry decoded-message JSON: an object comes back as it went in, anything else is refused.
    let object = serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object());
    match encoded::decode(&KEY, &token) {
        Ok(back) => assert!(object && back == text, "seal then open changed the text"),
        Err(e) => assert!(!object, "the token of a JSON object was refused: {e}"),
    }
    // One character of the token changed, at a place the input picks (never a no-op: the
    // characters swapped are both base64url and differ), and it no longer opens.
    let body = &token[encoded::PREFIX.len()..];
    // The last character may carry unused bits; change one before it.
    let at = encoded::PREFIX.len() + data.first().map_or(0, |b| usize::from(*b)) % (body.len() - 1);
    let mut changed = token.clone();
    let swap = if &token[at..=at] == "A" { "B" } else { "A" };
    changed.replace_range(at..=at, swap);
    assert!(encoded::decode(&KEY, &changed).is_err(), "a changed token opened");
});
