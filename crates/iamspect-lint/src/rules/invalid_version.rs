//! IAM107: a `Version` AWS does not accept.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM107",
    name: "invalid-version",
    issue_code: "INVALID_VERSION",
    severity: Severity::Error,
    doc: r#"## What it does
Reports a `Version` other than `"2012-10-17"` or `"2008-10-17"` (such as a date you wrote the
policy); `"2008-10-17"` in an SCP or RCP; and, in an identity policy or a permissions boundary, a
`Version` other than `"2012-10-17"` or none (IAM's `CreatePolicy` rejects such a managed policy;
an inline identity policy may keep the old version, decision D53).

## Why is this bad?
AWS rejects the policy. `Version` is the policy language version, not the policy's own.

## Example
```json
{"Version": "2024-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
```
Use `"Version": "2012-10-17"`.
"#,
};
