//! `iamspect credential-audit REPORT`: the IAM credential report (`aws iam get-credential-report`
//! output, or the CSV itself) checked for root access keys, root without MFA, console users without
//! MFA, old and unused access keys, users with two active keys and passwords never used.
//!
//! Ages are counted from `--now` when given (`--now now` is the wall clock, asked for by name),
//! else from the report's own `GeneratedTime`; a raw CSV carries no time, so it needs `--now`
//! (decision D111). The output says which time was used.
//!
//! Exit codes: 0 no finding at or above `--fail-on` (default SECURITY_WARNING); 1 some; 2 bad input.

use std::path::PathBuf;

use iamspect_audit::Severity;
use iamspect_audit::credentials::{Limits, RULES, audit, read};
use iamspect_case::Timestamp;
use serde_json::json;

use super::audit_format::{AuditFormat, parse_severity};
use super::{BAD_INPUT, FAILURE, SUCCESS};
use crate::output::audit_sarif::{AuditResult, render};

/// The largest report read.
const MAX_BYTES: u64 = 64 << 20;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The report: `aws iam get-credential-report` output (JSON, `Content` in base64) or the CSV.
    report: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: AuditFormat,
    /// An active access key last rotated more than this many days ago is reported.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    max_key_age: i64,
    /// An active access key unused for more than this many days (or never used and created that
    /// long ago) is reported. Default: `--max-key-age`.
    #[arg(long, value_name = "DAYS")]
    max_unused: Option<i64>,
    /// The time ages are counted from (RFC 3339, or `now` for the wall clock). Default: the
    /// report's `GeneratedTime`; a raw CSV has none and needs this flag.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Exit 1 when a finding is at least this severe: ERROR, SECURITY_WARNING, WARNING, SUGGESTION.
    #[arg(long, default_value = "SECURITY_WARNING", value_parser = parse_severity)]
    fail_on: Severity,
}

pub(crate) fn run(args: Args) -> u8 {
    let go = || -> Result<(Vec<iamspect_audit::credentials::UserFinding>, Timestamp, &'static str), String> {
        let limits =
            Limits { max_key_age_days: args.max_key_age, max_unused_days: args.max_unused.unwrap_or(args.max_key_age) };
        if limits.max_key_age_days < 0 || limits.max_unused_days < 0 {
            return Err("`--max-key-age` and `--max-unused` are numbers of days, 0 or more".to_string());
        }
        let path = &args.report;
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > MAX_BYTES {
            return Err(format!("{}: the file is {} bytes; at most {MAX_BYTES} are read", path.display(), meta.len()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let report = read(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let (now, from) = match (&args.now, report.generated) {
            (Some(n), _) if n == "now" => (Timestamp::now(), "--now now (the wall clock)"),
            (Some(n), _) => {
                (n.parse::<Timestamp>().map_err(|e| format!("`--now {n}` is not an RFC 3339 time: {e}"))?, "--now")
            }
            (None, Some(g)) => (g, "the report's GeneratedTime"),
            (None, None) => {
                return Err(format!(
                    "{}: a CSV report carries no generation time; give `--now TIME` (or `--now now` for the wall clock) to count key ages from",
                    path.display()
                ));
            }
        };
        let findings = audit(&report.csv, now, limits).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((findings, now, from))
    };
    let (findings, now, from) = match go() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let out = match args.format {
        AuditFormat::Text => {
            let mut out = format!("ages counted from {now} ({from})\n");
            for f in &findings {
                out.push_str(&format!(
                    "{} {} {}: {}\n",
                    f.finding.severity.as_str(),
                    f.finding.code,
                    f.user,
                    f.finding.message
                ));
            }
            out.push_str(&format!("{} findings\n", findings.len()));
            out
        }
        AuditFormat::Json => {
            // Written finding by finding, one per line: a report of many thousand users would
            // otherwise be held twice, as a JSON tree and as text.
            let mut s = String::from("{\n  \"findings\": [");
            for (i, f) in findings.iter().enumerate() {
                s.push_str(if i == 0 { "\n    " } else { ",\n    " });
                let item = json!({"code": f.finding.code, "severity": f.finding.severity.as_str(), "user": f.user, "message": f.finding.message});
                s.push_str(&serde_json::to_string(&item).unwrap_or_default());
            }
            s.push_str(if findings.is_empty() { "],\n" } else { "\n  ],\n" });
            let time = json!({"value": now.to_string(), "from": from});
            s.push_str(&format!("  \"time\": {}\n}}\n", serde_json::to_string(&time).unwrap_or_default()));
            s
        }
        AuditFormat::Sarif => {
            let results: Vec<AuditResult<'_>> = findings
                .iter()
                .map(|f| AuditResult {
                    code: f.finding.code,
                    severity: f.finding.severity,
                    message: &f.finding.message,
                    arn: &f.user,
                    kind: "user",
                })
                .collect();
            render(RULES, &results, &args.report.display().to_string())
        }
    };
    crate::output::print(&out);
    if findings.iter().any(|f| f.finding.severity <= args.fail_on) { FAILURE } else { SUCCESS }
}
