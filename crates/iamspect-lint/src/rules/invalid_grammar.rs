//! IAM102: the policy's structure is not AWS's grammar.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM102",
    name: "invalid-policy-element",
    issue_code: "INVALID_POLICY_ELEMENT",
    severity: Severity::Error,
    doc: r#"## What it does
Reports what breaks the policy grammar: unknown or duplicated elements, a statement without
`Effect`, `Action` or `Resource`, both `Action` and `NotAction`, values of the wrong JSON type,
an `Effect` other than `Allow`/`Deny`, an action that is not `service:action`, a resource that is
not an ARN or `*`, and malformed policy variables.

## Why is this bad?
AWS rejects the policy when it is created or attached.

## Example
```json
{"Version": "2012-10-17", "Statement": {"Effect": "allow", "Action": "s3:GetObject"}}
```
`Effect` is case-sensitive (`Allow`), and an identity policy statement needs a `Resource`.
"#,
};

/// A more specific Access Analyzer issue code where the message says which.
pub(crate) fn issue_code(message: &str) -> &'static str {
    if message.contains("has no `Effect`") {
        "MISSING_EFFECT"
    } else if message.contains("`Effect` must be") {
        "INVALID_EFFECT"
    } else if message.contains("has no `Action`") {
        "MISSING_ACTION"
    } else if message.contains("has no `Resource`") {
        "MISSING_RESOURCE"
    } else if message.contains("has no `Statement`") || message.contains("`Statement` is an empty list") {
        "MISSING_STATEMENT"
    } else if message.contains("is an empty list; IAM rejects a statement without actions") {
        "EMPTY_ARRAY_ACTION"
    } else if message.contains("is an empty list; IAM rejects a statement without resources") {
        "EMPTY_ARRAY_RESOURCE"
    } else if message.starts_with("action `") {
        "INVALID_ACTION"
    } else if message.starts_with("resource `") || message.starts_with("in resource `") {
        "INVALID_ARN_RESOURCE"
    } else if message.contains("is used by an earlier statement; IAM rejects it") {
        "UNIQUE_SIDS_REQUIRED"
    } else if message.contains("Statement IDs (SID) must be alpha-numeric") {
        "UNSUPPORTED_SID"
    } else if message.contains(", not both") {
        "UNSUPPORTED_ELEMENT_COMBINATION"
    } else {
        INFO.issue_code
    }
}
