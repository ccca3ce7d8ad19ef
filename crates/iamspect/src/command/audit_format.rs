//! What `trust-audit` and `credential-audit` share: `--format` and `--fail-on`.

use iamspect_audit::Severity;

/// `--format` of the audits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AuditFormat {
    /// For people.
    Text,
    /// For programs (the shapes of `docs/output-format.md`).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// Reads `--fail-on` in Access Analyzer's words.
pub(crate) fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::from_name(&s.replace('-', "_"))
        .ok_or_else(|| "expected ERROR, SECURITY_WARNING, WARNING or SUGGESTION".to_string())
}
