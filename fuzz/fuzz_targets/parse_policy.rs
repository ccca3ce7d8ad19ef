//! Any text, parsed as every policy type: `Policy::parse` must never panic, and what it returns
//! must be self-consistent (errors never empty, every span inside the text).
#![no_main]

use iamspect_core::{Policy, PolicyType, Span};
use libfuzzer_sys::fuzz_target;

fn check_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what} span {span:?} is outside the text ({} bytes)",
        text.len()
    );
    // Line/column computation must not panic, even off a char boundary.
    let _ = span.start_in(text);
    let _ = span.end_in(text);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for policy_type in PolicyType::ALL {
        match Policy::parse("fuzz", &text, policy_type) {
            Ok(policy) => {
                assert_eq!(policy.source(), &*text);
                assert_eq!(policy.policy_type(), policy_type);
                for (i, stmt) in policy.statements().iter().enumerate() {
                    assert_eq!(stmt.index(), i, "statement indexes must be their positions");
                    check_span(&text, stmt.span(), "statement");
                    for c in stmt.conditions() {
                        let _ = (c.operator().to_string(), c.key(), c.values());
                    }
                }
                for w in policy.warnings() {
                    check_span(&text, w.span(), "warning");
                    let _ = w.to_string();
                }
            }
            Err(errors) => {
                assert!(!errors.errors.is_empty(), "PolicyErrors must never be empty");
                for e in &errors.errors {
                    check_span(&text, e.span(), "error");
                    assert_eq!(e.line_column(), e.span().start_in(&text));
                }
                let _ = errors.to_string();
            }
        }
    }
});
