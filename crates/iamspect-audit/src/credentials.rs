//! `credential-audit`: the IAM credential report (`aws iam get-credential-report`), read either as
//! the command's JSON output (`Content` is the base64 CSV, `GeneratedTime` its time) or as the raw
//! CSV, and checked for root access keys, root without MFA, console users without MFA, old and
//! unused access keys, users with two active keys, and passwords never used.
//!
//! Ages are counted from a time the caller gives: the report's own `GeneratedTime`, or `--now`.
//! The report's columns are found by name, so a report with columns added later still reads; a
//! column the checks need that is missing, or a value that is neither a date nor one of AWS's
//! placeholders (`N/A`, `no_information`, `not_supported`), is an error naming the row and column.

use base64::Engine as _;
use jiff::Timestamp;

use crate::{Finding, Severity};

/// The user name AWS gives the root user's row.
pub const ROOT_USER: &str = "<root_account>";

/// Every check of the credential audit: code, severity, what it finds.
pub const RULES: &[(&str, Severity, &str)] = &[
    ("ROOT_ACCESS_KEY", Severity::SecurityWarning, "The root user has an active access key."),
    ("ROOT_NO_MFA", Severity::SecurityWarning, "The root user has no MFA device."),
    ("CONSOLE_USER_NO_MFA", Severity::SecurityWarning, "A user with a console password has no MFA device."),
    (
        "ACCESS_KEY_OLD",
        Severity::Warning,
        "An active access key was last rotated longer ago than `--max-key-age` days.",
    ),
    (
        "ACCESS_KEY_UNUSED",
        Severity::Warning,
        "An active access key has not been used for longer than `--max-unused` days.",
    ),
    ("TWO_ACTIVE_ACCESS_KEYS", Severity::Warning, "A user has two active access keys."),
    ("PASSWORD_NEVER_USED", Severity::Suggestion, "A user's console password has never been used."),
];

/// The columns the checks read.
const COLUMNS: [&str; 13] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "password_last_changed",
];

/// A report read from its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The CSV text.
    pub csv: String,
    /// `GeneratedTime` of the JSON form; a raw CSV has none.
    pub generated: Option<Timestamp>,
}

/// Reads the file's text: the JSON output of `aws iam get-credential-report`, or the CSV itself.
pub fn read(text: &str) -> Result<Report, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if !trimmed.starts_with('{') {
        return Ok(Report { csv: trimmed.to_string(), generated: None });
    }
    let v: serde_json::Value = serde_json::from_str(trimmed)
        .map_err(|e| format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))?;
    let content = v
        .get("Content")
        .and_then(serde_json::Value::as_str)
        .ok_or("the JSON has no `Content` string: is it the output of `aws iam get-credential-report`?")?;
    if let Some(format) = v.get("ReportFormat").and_then(serde_json::Value::as_str)
        && format != "text/csv"
    {
        return Err(format!("`ReportFormat` is `{format}`; only `text/csv` reports are read"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|e| format!("`Content` is not base64: {e}"))?;
    let csv = String::from_utf8(bytes).map_err(|_| "`Content` does not decode to UTF-8 text".to_string())?;
    let generated = match v.get("GeneratedTime") {
        None | Some(serde_json::Value::Null) => None,
        Some(t) => {
            let s = t.as_str().ok_or("`GeneratedTime` is not a string")?;
            Some(s.parse::<Timestamp>().map_err(|e| format!("`GeneratedTime` `{s}` is not a time: {e}"))?)
        }
    };
    Ok(Report { csv, generated })
}

/// The limits of the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// An active key last rotated more than this many days ago is old.
    pub max_key_age_days: i64,
    /// An active key not used for more than this many days (or never used and created that long
    /// ago) is unused.
    pub max_unused_days: i64,
}

/// A finding about one row of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFinding {
    /// The row's `arn`.
    pub user: String,
    /// The finding.
    pub finding: Finding,
}

/// A date column: a time, or one of AWS's placeholders (`N/A`, `no_information`, `not_supported`),
/// which all mean "no time".
fn date(row: usize, column: &str, value: &str) -> Result<Option<Timestamp>, String> {
    match value {
        "N/A" | "no_information" | "not_supported" | "" => Ok(None),
        _ => value
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|e| format!("row {row}, `{column}`: `{value}` is not a time or `N/A`: {e}")),
    }
}

fn flag(row: usize, column: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "TRUE" => Ok(true),
        "false" | "FALSE" => Ok(false),
        // The root user's password column: AWS writes `not_supported`.
        "not_supported" => Ok(false),
        _ => Err(format!("row {row}, `{column}`: `{value}` is not `true` or `false`")),
    }
}

fn days(now: Timestamp, then: Timestamp) -> i64 {
    now.as_second().saturating_sub(then.as_second()) / 86_400
}

/// Checks every row of the report, ages counted from `now`. An empty report (no rows) is an error:
/// every account has at least its root user's row.
pub fn audit(csv: &str, now: Timestamp, limits: Limits) -> Result<Vec<UserFinding>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(csv.as_bytes());
    let headers = reader.headers().map_err(|e| format!("the CSV header: {e}"))?.clone();
    let mut columns: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        if columns.insert(h.trim(), i).is_some() {
            return Err(format!("the column `{}` appears twice in the header", h.trim()));
        }
    }
    let index = |name: &str| columns.get(name).copied();
    for c in COLUMNS {
        if index(c).is_none() {
            return Err(format!(
                "the report has no `{c}` column: is it an IAM credential report (`aws iam get-credential-report`)?"
            ));
        }
    }
    let mut out = Vec::new();
    let mut rows = 0usize;
    for (i, record) in reader.records().enumerate() {
        let row = i + 2; // the header is line 1
        let record = record.map_err(|e| format!("row {row}: {e}"))?;
        rows += 1;
        let get = |name: &str| index(name).and_then(|j| record.get(j)).unwrap_or("").trim();
        let user = get("user");
        let arn = get("arn").to_string();
        if arn.is_empty() {
            return Err(format!("row {row}: `arn` is empty"));
        }
        let root = user == ROOT_USER;
        let mut push = |code: &'static str, severity: Severity, message: String| {
            out.push(UserFinding { user: arn.clone(), finding: Finding::new(code, severity, message) });
        };
        let mfa = flag(row, "mfa_active", get("mfa_active"))?;
        let password = flag(row, "password_enabled", get("password_enabled"))?;
        let mut active_keys = 0;
        for k in ["1", "2"] {
            let active_col = format!("access_key_{k}_active");
            if !flag(row, &active_col, get(&active_col))? {
                continue;
            }
            active_keys += 1;
            let rotated_col = format!("access_key_{k}_last_rotated");
            let used_col = format!("access_key_{k}_last_used_date");
            let rotated = date(row, &rotated_col, get(&rotated_col))?;
            let used = date(row, &used_col, get(&used_col))?;
            if root {
                push(
                    "ROOT_ACCESS_KEY",
                    Severity::SecurityWarning,
                    format!(
                        "the root user has an active access key {k}: root keys cannot be limited by any policy; delete it"
                    ),
                );
            }
            match rotated {
                Some(t) if days(now, t) > limits.max_key_age_days => push(
                    "ACCESS_KEY_OLD",
                    Severity::Warning,
                    format!(
                        "access key {k} of `{user}` was last rotated {} days ago ({t}), more than {} days",
                        days(now, t),
                        limits.max_key_age_days
                    ),
                ),
                _ => {}
            }
            match (used, rotated) {
                (Some(u), _) if days(now, u) > limits.max_unused_days => push(
                    "ACCESS_KEY_UNUSED",
                    Severity::Warning,
                    format!(
                        "access key {k} of `{user}` is active but was last used {} days ago ({u}), more than {} days",
                        days(now, u),
                        limits.max_unused_days
                    ),
                ),
                (None, Some(r)) if days(now, r) > limits.max_unused_days => push(
                    "ACCESS_KEY_UNUSED",
                    Severity::Warning,
                    format!(
                        "access key {k} of `{user}` is active but has never been used since it was created or rotated {} days ago ({r})",
                        days(now, r)
                    ),
                ),
                _ => {}
            }
        }
        if active_keys == 2 {
            push(
                "TWO_ACTIVE_ACCESS_KEYS",
                Severity::Warning,
                format!(
                    "`{user}` has two active access keys: two are needed only during a rotation; deactivate the one not in use"
                ),
            );
        }
        if root && !mfa {
            push("ROOT_NO_MFA", Severity::SecurityWarning, "the root user has no MFA device".to_string());
        }
        if !root && password && !mfa {
            push(
                "CONSOLE_USER_NO_MFA",
                Severity::SecurityWarning,
                format!("`{user}` can sign in to the console with a password but has no MFA device"),
            );
        }
        if !root && password && date(row, "password_last_used", get("password_last_used"))?.is_none() {
            let since = date(row, "password_last_changed", get("password_last_changed"))?.or(date(
                row,
                "user_creation_time",
                get("user_creation_time"),
            )?);
            let when = since.map_or_else(String::new, |t| format!(" (set {} days ago, {t})", days(now, t)));
            push(
                "PASSWORD_NEVER_USED",
                Severity::Suggestion,
                format!(
                    "`{user}` has a console password that has never been used{when}: remove it if the user needs none"
                ),
            );
        }
    }
    if rows == 0 {
        return Err("the report has no rows (every account's report has at least the root user's)".to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::read;

    #[test]
    fn reads_the_cli_json_and_the_csv() {
        // `user,arn\n` in base64.
        let r =
            read(r#"{"Content": "dXNlcixhcm4K", "ReportFormat": "text/csv", "GeneratedTime": "2026-12-01T00:00:00Z"}"#)
                .unwrap();
        assert_eq!(r.csv, "user,arn\n");
        assert_eq!(r.generated.unwrap().to_string(), "2026-12-01T00:00:00Z");
        assert!(read("user,arn\n").unwrap().generated.is_none());
        assert!(read(r#"{"Content": "not base64!"}"#).is_err());
        assert!(read(r#"{"Content": "dXNlcixhcm4K", "ReportFormat": "text/html"}"#).is_err());
        assert!(read(r#"{"Report": 1}"#).is_err());
    }
}
