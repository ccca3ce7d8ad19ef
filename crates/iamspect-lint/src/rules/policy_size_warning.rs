//! IAM502: the policy is over a quota AWS managed policies are exempt from, or fits only minified.

use iamspect_core::PolicyType;

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM502",
    name: "policy-size-warning",
    issue_code: "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports an identity policy or permissions boundary over 6,144 characters (without whitespace), the
quota of customer managed policies, and an SCP, RCP or VPC endpoint policy that is over its quota
only because of whitespace.

## Why is this bad?
AWS managed policies are exempt from the quota, but a customer managed copy would not attach; a
formatted SCP must be minified before it is attached.

## Example
A 7,000-character customer managed policy: split it, or use wildcards where they are safe.
"#,
};

/// Access Analyzer's issue code for the type.
pub(crate) fn issue_code(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Scp => "POLICY_SIZE_EXCEEDS_SCP_QUOTA",
        PolicyType::Rcp => "POLICY_SIZE_EXCEEDS_RCP_QUOTA",
        PolicyType::VpcEndpoint | PolicyType::Resource => "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA",
        _ => INFO.issue_code,
    }
}
