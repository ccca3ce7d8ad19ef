//! The AWS CLI's configuration files: `[section]` headers, `key = value` lines, `#` and `;`
//! comment lines, and indented lines that continue or nest under the key before them (as the
//! `s3 =` block does). Keys are lower-cased and values trimmed, as botocore's reader does; a line
//! that is none of these is an error naming its line.

use std::collections::BTreeMap;

/// One file: sections by their header text (`default`, `profile dev`, `sso-session corp`).
pub type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Parses a configuration file's text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Sections, String> {
    let mut out = Sections::new();
    let mut current: Option<String> = None;
    let mut last_key: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && last_key.is_some() {
            // A nested or continued value: kept apart, never read as a key of the section.
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let Some(name) = header.strip_suffix(']') else {
                return Err(format!("{file} line {n}: a section header must end with `]`"));
            };
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
            last_key = None;
            continue;
        }
        let Some((k, v)) = trimmed.split_once('=') else {
            return Err(format!("{file} line {n}: not `[section]`, `key = value` or a comment"));
        };
        let Some(section) = &current else {
            return Err(format!("{file} line {n}: `{}` comes before any `[section]`", k.trim()));
        };
        let key = k.trim().to_ascii_lowercase();
        out.entry(section.clone()).or_default().insert(key.clone(), v.trim().to_string());
        last_key = Some(key);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::parse;

    #[test]
    fn reads_sections_keys_and_nested_blocks() {
        let s = parse(
            "# c\n[default]\nRegion = eu-west-1\ns3 =\n  max_concurrent_requests = 5\n[profile x]\nrole_arn=arn\n",
            "f",
        )
        .unwrap();
        assert_eq!(s["default"]["region"], "eu-west-1");
        assert!(!s["default"].contains_key("max_concurrent_requests"));
        assert_eq!(s["profile x"]["role_arn"], "arn");
        assert!(parse("k = v\n", "f").is_err());
        assert!(parse("[a\n", "f").is_err());
    }
}
