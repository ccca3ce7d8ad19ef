//! A finding: what a rule says about a place in a policy.

use iamspect_core::Span;

/// Access Analyzer's finding types, from most to least severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `ERROR`: the policy does not work as written, or AWS rejects it.
    Error,
    /// `SECURITY_WARNING`: the policy grants more than it likely means to.
    SecurityWarning,
    /// `WARNING`: a best practice is not followed.
    Warning,
    /// `SUGGESTION`: the policy could be simpler or clearer.
    Suggestion,
}

impl Severity {
    /// Access Analyzer's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::SecurityWarning => "SECURITY_WARNING",
            Severity::Warning => "WARNING",
            Severity::Suggestion => "SUGGESTION",
        }
    }

    /// Reads Access Analyzer's spelling (any case).
    pub fn from_name(name: &str) -> Option<Severity> {
        [Severity::Error, Severity::SecurityWarning, Severity::Warning, Severity::Suggestion]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule's stable code, `IAMnnn`.
    pub code: &'static str,
    /// The rule's kebab-case name.
    pub name: &'static str,
    /// Access Analyzer's issue code where the check is the same (`INVALID_ACTION`), else the name in
    /// upper snake case.
    pub issue_code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong (one line, lower case start, no final period, user input in backticks).
    pub message: String,
    /// The bytes it is about; `None` for the whole document.
    pub span: Option<Span>,
}
