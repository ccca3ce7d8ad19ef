//! Policy checks in the manner of IAM Access Analyzer's `ValidatePolicy`, against AWS's catalogue.
//!
//! [`lint`] takes policy text and its type and returns [`Finding`]s: a stable code (`IAMnnn`), a
//! kebab-case name, a severity in Access Analyzer's words, a message, and the span it is about.
//! Rules live one per file in `rules/`, listed once in [`rules::RULES`]. Lint never affects
//! decisions: the engine does not depend on this crate.
//!
//! ```
//! use iamspect_core::PolicyType;
//! use iamspect_lint::{Severity, Target, lint};
//!
//! let policy = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}}"#;
//! let findings = lint(policy, Target { policy_type: PolicyType::Identity, resource_type: None });
//! let misspelt = findings.iter().find(|f| f.name == "unknown-action").expect("the misspelt action is found");
//! assert_eq!(misspelt.severity, Severity::Error);
//! ```

#![deny(missing_docs)]

mod context;
mod finding;
mod path;
pub mod rules;

use std::sync::atomic::AtomicBool;

pub use finding::{Finding, Severity};
use iamspect_core::PolicyType;
pub use path::PolicyPaths;

/// What is being linted, beyond the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The policy type.
    pub policy_type: PolicyType,
    /// For a resource policy, the resource type it is attached to, in CloudFormation's words
    /// (`AWS::S3::Bucket`), when known.
    pub resource_type: Option<&'a str>,
}

/// Lints one policy document. Findings are sorted by position.
pub fn lint(text: &str, target: Target<'_>) -> Vec<Finding> {
    rules::run(text, target, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`lint`], given up once `cancel` is set (the server sets it at a request's deadline, so that
/// an abandoned lint stops using a core soon after).
///
/// # Errors
/// [`Cancelled`] when `cancel` was set before lint finished.
pub fn lint_cancellable(text: &str, target: Target<'_>, cancel: &AtomicBool) -> Result<Vec<Finding>, Cancelled> {
    rules::run(text, target, cancel)
}

/// Lint given up because its caller set the cancellation flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("lint was cancelled")
    }
}

impl std::error::Error for Cancelled {}
