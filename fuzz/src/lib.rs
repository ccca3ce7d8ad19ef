//! Helpers shared by the fuzz targets.

/// `s` as a JSON string literal (with the quotes).
pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
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
