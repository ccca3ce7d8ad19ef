//! IAM206: an ARN malformed for its service.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, arn_segments};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM206",
    name: "invalid-arn",
    issue_code: "INVALID_ARN_RESOURCE",
    severity: Severity::Error,
    doc: r#"## What it does
Reports `Resource`/`NotResource` ARNs whose shape no ARN format of their service allows, according
to AWS's catalogue: an unknown partition (`INVALID_PARTITION`), an upper-case service
(`INVALID_ARN_SERVICE_CASE`), a missing region or account where every resource type of the service
has one (`MISSING_ARN_REGION`, `MISSING_ARN_ACCOUNT`), a region or account where no resource type
of the service has one (`ARN_REGION_NOT_ALLOWED`, `ARN_ACCOUNT_NOT_ALLOWED`), and an account that
is not 12 digits (`INVALID_ARN_ACCOUNT`) or a region that is not a region name (`INVALID_ARN_REGION`).
Segments with wildcards or policy variables are not checked.

## Why is this bad?
The ARN matches no resource: the statement does not do what it seems to.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1:123456789012:my-bucket/*"}
```
S3 bucket and object ARNs have no region and no account: `arn:aws:s3:::my-bucket/*`.
"#,
};

const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

fn literal(s: &str) -> bool {
    !s.contains(['*', '?', '$', '<', '['])
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.first().is_some_and(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        let Some((_, _, resources)) = &s.resources else { continue };
        for (text, span) in resources {
            let Some([partition, service, region, account, _]) = arn_segments(text) else { continue };
            let span = Some(*span);
            if literal(partition) && !PARTITIONS.contains(&partition) {
                out.push_as(
                    &INFO,
                    "INVALID_PARTITION",
                    span,
                    format!("`{partition}` in `{text}` is not an AWS partition"),
                );
                continue;
            }
            if !literal(service) {
                continue;
            }
            let Some(svc) = cx.catalog.service(service) else { continue };
            if service != svc.prefix() {
                out.push_as(
                    &INFO,
                    "INVALID_ARN_SERVICE_CASE",
                    span,
                    format!("the service in `{text}` is written `{service}`; ARNs use `{}`", svc.prefix()),
                );
                continue;
            }
            let shapes: Vec<(bool, bool)> = svc
                .resource_types()
                .flat_map(|t| t.arn_formats().iter())
                .filter_map(|f| arn_segments(f).map(|seg| (seg[2].is_empty(), seg[3].is_empty())))
                .collect();
            if shapes.is_empty() {
                continue;
            }
            let p = svc.prefix();
            if literal(region) {
                if region.is_empty() && shapes.iter().all(|(r, _)| !r) {
                    out.push_as(
                        &INFO,
                        "MISSING_ARN_REGION",
                        span,
                        format!("`{text}` has no region; `{p}` ARNs have one"),
                    );
                } else if !region.is_empty() && shapes.iter().all(|(r, _)| *r) {
                    out.push_as(
                        &INFO,
                        "ARN_REGION_NOT_ALLOWED",
                        span,
                        format!("`{text}` has a region; `{p}` ARNs have none"),
                    );
                } else if !region.is_empty() && !is_region(region) {
                    out.push_as(&INFO, "INVALID_ARN_REGION", span, format!("`{region}` in `{text}` is not a region"));
                }
            }
            if literal(account) {
                if account.is_empty() && shapes.iter().all(|(_, a)| !a) {
                    out.push_as(
                        &INFO,
                        "MISSING_ARN_ACCOUNT",
                        span,
                        format!("`{text}` has no account; `{p}` ARNs have one"),
                    );
                } else if !account.is_empty() && shapes.iter().all(|(_, a)| *a) {
                    out.push_as(
                        &INFO,
                        "ARN_ACCOUNT_NOT_ALLOWED",
                        span,
                        format!("`{text}` has an account; `{p}` ARNs have none"),
                    );
                } else if !account.is_empty()
                    && account != "aws"
                    && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
                {
                    out.push_as(
                        &INFO,
                        "INVALID_ARN_ACCOUNT",
                        span,
                        format!("`{account}` in `{text}` is not a 12-digit account id"),
                    );
                }
            }
        }
    }
}
