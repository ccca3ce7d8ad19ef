//! IAM501: the policy is larger than its type allows.

use iamspect_core::PolicyType;

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM501",
    name: "policy-size-exceeds-quota",
    issue_code: "POLICY_SIZE_EXCEEDS_QUOTA",
    severity: Severity::Error,
    doc: r#"## What it does
Reports a policy over its type's size quota when AWS enforces it: SCPs and RCPs 5,120 characters
(whitespace counts), VPC endpoint policies 20,480 (whitespace counts), session policies 2,048, role
trust policies 4,096 (at the raised maximum) and resource policies 32,768 (whitespace does not
count).

## Why is this bad?
AWS refuses to attach it.

## Example
An SCP of 6,000 characters even without whitespace: split it into several SCPs.
"#,
};

/// Access Analyzer's issue code for the type.
pub(crate) fn issue_code(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Scp => "POLICY_SIZE_EXCEEDS_SCP_QUOTA",
        PolicyType::Rcp => "POLICY_SIZE_EXCEEDS_RCP_QUOTA",
        PolicyType::Trust => "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA",
        PolicyType::Resource => "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA",
        _ => INFO.issue_code,
    }
}
