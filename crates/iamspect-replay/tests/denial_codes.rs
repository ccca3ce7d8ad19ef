//! One definition of a denial (decision D160): the web page's denial trends (`web/denials.js`)
//! count the error codes `iamspect replay --summary` counts, `DENIAL_CODES`, with or without
//! EC2's `Client.` prefix.
#![allow(clippy::unwrap_used, reason = "test code")]

#[test]
fn the_web_page_counts_the_same_error_codes() {
    let js = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/denials.js")).unwrap();
    let start = js.find("export const DENIAL_CODES = [").unwrap();
    let list = &js[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find("];").unwrap()];
    let codes: Vec<&str> = list.split(',').map(|c| c.trim().trim_matches('\'')).filter(|c| !c.is_empty()).collect();
    assert_eq!(codes, iamspect_replay::DENIAL_CODES, "web/denials.js and crates/iamspect-replay/src/events.rs");
    // The prefix rule is the same too: both strip `Client.` before looking the code up.
    assert!(js.contains("code.startsWith('Client.')"));
    let r = serde_json::json!({"errorCode": "Client.UnauthorizedOperation"});
    assert_eq!(iamspect_replay::denial_code(&r), Some("Client.UnauthorizedOperation"));
}
