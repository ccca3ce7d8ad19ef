//! IAM104: a condition value the operator cannot read.

use super::RuleInfo;
use crate::Severity;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM104",
    name: "invalid-condition-value",
    issue_code: "DATA_TYPE_MISMATCH",
    severity: Severity::Error,
    doc: r#"## What it does
Reports condition values that are not of the operator's type: a non-number under `Numeric*`, a
non-date under `Date*`, a non-IP under `IpAddress`, a non-boolean under `Bool` or `Null`, invalid
base64 under `BinaryEquals`, and values that are objects or nested arrays.

## Why is this bad?
AWS rejects the policy.

## Example
```json
"Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}
```
"#,
};
