//! IAM203: an `aws:` condition key that AWS does not define.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, did_you_mean};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM203",
    name: "unknown-global-condition-key",
    issue_code: "INVALID_GLOBAL_CONDITION_KEY",
    severity: Severity::Error,
    doc: r#"## What it does
Reports condition keys with the `aws:` prefix that are not AWS global condition keys, with the
closest key.

## Why is this bad?
AWS rejects unknown `aws:` keys. Even where a misspelt key is accepted, it is never in the request:
the condition is false (or true for negated operators and `...IfExists`), which is rarely what was
meant.

## Example
```json
"Condition": {"StringEquals": {"aws:PrincipalOrgId": "o-123"}}
```
Keys ignore case, so this one is fine; `aws:PrincipalOrganization` is not a key (did you mean
`aws:PrincipalOrgID`?).
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    for s in &cx.statements {
        for c in s.statement.conditions() {
            let key = c.key();
            let Some((prefix, _)) = key.split_once(':') else { continue };
            if !prefix.eq_ignore_ascii_case("aws") {
                continue;
            }
            if cx.catalog.condition_key(key).is_some_and(|k| k.is_global()) {
                continue;
            }
            let mut message = format!("`{key}` is not an AWS global condition key");
            let globals = cx.catalog.condition_keys().filter(|k| k.is_global() && !k.is_pattern()).map(|k| k.name());
            if let Some(m) = did_you_mean(key, globals, &budget) {
                message.push_str(&format!("; did you mean `{m}`?"));
            }
            out.push(&INFO, Some(c.spans().1), message);
        }
    }
}
