//! IAM106: an element or form the policy type does not allow.

use iamspect_core::PolicyType;

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM106",
    name: "policy-type-syntax-error",
    issue_code: "UNSUPPORTED_ELEMENT_COMBINATION",
    severity: Severity::Error,
    doc: r#"## What it does
Reports what the policy type forbids: a `Principal` in an identity policy, boundary, session
policy or SCP; a statement without `Principal` in a resource, trust, RCP or VPC endpoint policy;
`Resource` in a role trust policy; in an RCP, `NotAction`, `NotPrincipal`, a `Principal` other than
`"*"`, an `Allow` other than the full-access statement, and `"*"` alone as an action.

## Why is this bad?
AWS rejects the policy for that type.

## Example
An SCP statement with a principal:
```json
{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
```
"#,
};

/// Access Analyzer's issue code for the type and message.
pub(crate) fn issue_code(message: &str, t: PolicyType) -> &'static str {
    let principal = message.contains("Principal");
    match t {
        PolicyType::Scp if principal => "SCP_SYNTAX_ERROR_PRINCIPAL",
        PolicyType::Rcp if principal => "RCP_SYNTAX_ERROR_PRINCIPAL",
        PolicyType::Rcp if message.contains("NotAction") => "RCP_SYNTAX_ERROR_NOTACTION",
        PolicyType::Rcp if message.contains("\"Allow\"") || message.contains("`\"Effect\": \"Deny\"`") => {
            "RCP_SYNTAX_ERROR_ALLOW"
        }
        PolicyType::Rcp if message.contains("as an action") => "RCP_SYNTAX_ERROR_ACTION",
        PolicyType::Trust if message.contains("Resource") => "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE",
        PolicyType::Trust if message.contains("NotPrincipal") => "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
        _ if message.contains("needs a `Principal`") => "MISSING_PRINCIPAL",
        _ if principal => "UNSUPPORTED_PRINCIPAL",
        _ => INFO.issue_code,
    }
}
