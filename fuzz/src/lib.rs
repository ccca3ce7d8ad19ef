//! Helpers shared by the fuzz targets.

use std::fmt::Write as _;

/// `s` as a JSON string literal (with the quotes), escaped as RFC 8259 requires.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON array of string literals, or a single string literal when `as_array` is false and there
/// is exactly one value.
pub fn json_strings(values: &[&str], as_array: bool) -> String {
    if !as_array && values.len() == 1 {
        return json_string(values[0]);
    }
    let items: Vec<String> = values.iter().map(|v| json_string(v)).collect();
    format!("[{}]", items.join(","))
}
