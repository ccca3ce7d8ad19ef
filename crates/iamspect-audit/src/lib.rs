//! Audits for iamspect: who can assume each role of the loaded accounts and which GitHub (and
//! other OIDC) identities its trust admits (`trust`), the IAM credential report (`credentials`),
//! and the AWS CLI's credential chain resolved offline (`whoami`).
//!
//! Pure apart from what the caller hands in: files are read by the binary, the clock is a
//! parameter, and nothing here runs a process or calls AWS.

#![deny(missing_docs)]

pub mod credentials;
pub mod trust;
pub mod whoami;

pub use iamspect_lint::Severity;

/// One finding: a stable code, a severity in Access Analyzer's words (as `lint` uses), a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable code (`GITHUB_ANY_REPOSITORY`, `ROOT_ACCESS_KEY`, ...).
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl Finding {
    pub(crate) fn new(code: &'static str, severity: Severity, message: String) -> Finding {
        Finding { code, severity, message }
    }
}
