//! AWS's size limits per policy type.
//!
//! IAM counts characters without whitespace; Organizations (SCPs, RCPs) and VPC endpoint policies
//! count every character. Quotas that AWS managed policies are exempt from (identity policies,
//! boundaries) are reported as warnings; the others are errors.

use super::PolicyType;

/// No policy text longer than this is read at all (a guard, not an AWS quota).
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// A size limit: the number of characters, whether whitespace counts, whether exceeding it is an
/// error (or only a warning), and the quota's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeLimit {
    /// The most characters allowed.
    pub max_chars: usize,
    /// Whitespace counts toward the limit.
    pub counts_whitespace: bool,
    /// Exceeding the limit makes the policy invalid.
    pub is_error: bool,
    /// The quota, in AWS's words.
    pub quota: &'static str,
}

/// The size limit of a policy type.
pub fn size_limit(policy_type: PolicyType) -> SizeLimit {
    let (max_chars, counts_whitespace, is_error, quota) = match policy_type {
        PolicyType::Identity => (6_144, false, false, "customer managed policy size"),
        PolicyType::PermissionsBoundary => (6_144, false, false, "customer managed policy size"),
        PolicyType::Session => (2_048, false, true, "session policy plaintext size"),
        PolicyType::Trust => (4_096, false, true, "role trust policy length (at its raised maximum)"),
        PolicyType::Resource => (32_768, false, true, "resource-based policy size (the largest, for KMS key policies)"),
        PolicyType::Scp => (5_120, true, true, "service control policy document size"),
        PolicyType::Rcp => (5_120, true, true, "resource control policy document size"),
        PolicyType::VpcEndpoint => (20_480, true, true, "VPC endpoint policy size"),
    };
    SizeLimit { max_chars, counts_whitespace, is_error, quota }
}

/// The size of `text` as AWS counts it for the type.
pub(crate) fn measured_size(text: &str, limit: &SizeLimit) -> usize {
    if limit.counts_whitespace { text.chars().count() } else { text.chars().filter(|c| !c.is_whitespace()).count() }
}
