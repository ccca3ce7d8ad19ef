//! The rule registry: every rule, once. Each rule is a file of its own with a doc comment that
//! `iamspect lint --explain CODE` prints.

use crate::{Finding, Target};

/// A rule's identity and documentation.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    /// `IAMnnn`, stable.
    pub code: &'static str,
    /// kebab-case name.
    pub name: &'static str,
    /// Access Analyzer's issue code (or the name in upper snake case).
    pub issue_code: &'static str,
    /// Default severity.
    pub severity: crate::Severity,
    /// The documentation (`## What it does`, `## Why is this bad?`, `## Example`).
    pub doc: &'static str,
}

/// Every rule. (Filled in by the rule files.)
pub const RULES: &[RuleInfo] = &[];

/// Runs every rule.
pub(crate) fn run(_text: &str, _target: Target<'_>) -> Vec<Finding> {
    Vec::new()
}
