//! Strict JSON with byte spans (jsonc-parser with every extension turned off), plus the input
//! limits that keep hostile text from exhausting the stack or memory.

use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::span::Span;

/// The deepest nesting of arrays and objects accepted. IAM policies need at most five levels
/// (policy, statement list, statement, condition, operator, value list).
pub const MAX_DEPTH: usize = 32;

/// Why text is not acceptable JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub(crate) message: String,
    pub(crate) span: Span,
}

pub(crate) fn span_of(value: &Value<'_>) -> Span {
    let r = value.range();
    Span::new(r.start, r.end)
}

/// Parses strict JSON (RFC 8259: no comments, no trailing commas).
pub(crate) fn parse(text: &str) -> Result<Value<'_>, JsonError> {
    check_depth(text)?;
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(res) => {
            res.value.ok_or_else(|| JsonError { message: "the document is empty".to_string(), span: Span::new(0, 0) })
        }
        Err(e) => {
            let r = e.range();
            let message = lowercase_first(&e.kind().to_string());
            Err(JsonError { message: format!("invalid JSON: {message}"), span: Span::new(r.start, r.end) })
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Rejects nesting deeper than [`MAX_DEPTH`] before the recursive parser sees it.
fn check_depth(text: &str) -> Result<(), JsonError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(JsonError {
                        message: format!("nesting is deeper than {MAX_DEPTH} levels"),
                        span: Span::new(i, i + 1),
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict() {
        assert!(parse("{\"a\": 1}").is_ok());
        assert!(parse("{\"a\": 1,}").is_err());
        assert!(parse("// c\n{}").is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).unwrap_err().message.contains("nesting"));
    }
}
