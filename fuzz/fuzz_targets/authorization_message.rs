//! Texts a user pastes into `iamspect explain`: AccessDenied messages (`--message`), iamspect's
//! encoded authorization messages (`--encoded`, and tokens found inside a message) and the JSON of
//! `aws sts decode-authorization-message` (`--decoded`). Reading them must never panic, and a
//! token iamspect encodes must decode to the same text.
#![no_main]

use iamspect_explain::{decoded, encoded, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse::parse_full(text);
    let _ = decoded::parse_decoded(text);
    if let Some(token) = encoded::find_in_message(text) {
        let _ = encoded::decode(token);
    }
    let _ = encoded::decode(text);
    let token = encoded::encode_text(text);
    assert!(encoded::is_encoded(&token), "an encoded text is not recognised as a token");
    // Tokens carry decoded-message JSON: an object comes back as it went in, anything else is refused.
    let object = serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object());
    match encoded::decode(&token) {
        Ok(back) => assert!(object && back == text, "encode then decode changed the text"),
        Err(e) => assert!(!object, "the token of a JSON object was refused: {e}"),
    }
});
