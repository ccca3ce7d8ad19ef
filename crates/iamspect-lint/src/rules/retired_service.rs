//! IAM213: an action of a service that AWS has retired.

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, Resolved};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM213",
    name: "retired-service",
    issue_code: "RETIRED_SERVICE",
    severity: Severity::Warning,
    doc: r#"## What it does
Reports `Action`/`NotAction` entries whose service prefix belongs to a service that AWS has retired
(discontinued or ended support for) and that AWS's catalogue therefore no longer lists: CloudWatch
Evidently, IoT Events, CodeStar, IoT 1-Click, WorkDocs (`zocalo`), DeepLens, DeepRacer, DeepComposer,
Mobile Hub, Elastic Inference and Sumerian. The message gives the retirement fact. Such prefixes are
not reported as unknown services (IAM201): they were real.

## Why is this bad?
The entry grants or denies nothing any more: the service's API is gone, so the statement is dead
weight that misleads readers about what the policy allows. AWS's own managed policies keep many such
entries for years.

## Example
```json
{"Effect": "Allow", "Action": "codestar:*", "Resource": "*"}
```
AWS CodeStar was discontinued on 2024-07-31: remove the entry.
"#,
};

/// A retired service: prefix, name, and the retirement fact.
pub(crate) struct Retired {
    pub(crate) prefix: &'static str,
    pub(crate) name: &'static str,
    pub(crate) fact: &'static str,
}

/// Services that AWS retired and its catalogue no longer lists, hand-kept from AWS's own end of
/// support notices. Add one only with a retirement fact that can be cited.
pub(crate) const RETIRED: &[Retired] = &[
    Retired {
        prefix: "codestar",
        name: "AWS CodeStar",
        fact: "AWS discontinued AWS CodeStar on 2024-07-31 (CodeStar API Reference notice); CodeStar Connections (`codestar-connections`) is unaffected",
    },
    Retired {
        prefix: "deepcomposer",
        name: "AWS DeepComposer",
        fact: "AWS ended support for AWS DeepComposer on 2025-09-17 (end of support notice)",
    },
    Retired {
        prefix: "deeplens",
        name: "AWS DeepLens",
        fact: "AWS DeepLens reached end of life on 2024-01-31 (end of life notice)",
    },
    Retired {
        prefix: "deepracer",
        name: "AWS DeepRacer",
        fact: "AWS retired the AWS DeepRacer console service; DeepRacer lives on only as `DeepRacer on AWS`, an AWS Solution deployed into one's own account",
    },
    Retired {
        prefix: "elastic-inference",
        name: "Amazon Elastic Inference",
        fact: "AWS stopped onboarding Amazon Elastic Inference customers on 2023-04-15 and the service is no longer available (AWS CLI reference: \"Amazon Elastic Inference is no longer available\")",
    },
    Retired {
        prefix: "evidently",
        name: "Amazon CloudWatch Evidently",
        fact: "AWS discontinued support for CloudWatch Evidently on 2025-10-16 (end of support notice; the SDK clients were removed)",
    },
    Retired {
        prefix: "iot1click",
        name: "AWS IoT 1-Click",
        fact: "AWS discontinued AWS IoT 1-Click on 2024-12-16 (end of life notice)",
    },
    Retired {
        prefix: "iotevents",
        name: "AWS IoT Events",
        fact: "AWS ended support for AWS IoT Events on 2026-05-20 (end of support notice of 2025-05-20)",
    },
    Retired {
        prefix: "mobilehub",
        name: "AWS Mobile Hub",
        fact: "AWS Mobile Hub was superseded by AWS Amplify and retired; AWS published a migrator for Mobile Hub projects to the Amplify CLI",
    },
    Retired {
        prefix: "sumerian",
        name: "Amazon Sumerian",
        fact: "AWS ended Amazon Sumerian on 2023-02-21 (end of support notice)",
    },
    Retired {
        prefix: "zocalo",
        name: "Amazon WorkDocs (its original prefix `zocalo`)",
        fact: "AWS discontinued Amazon WorkDocs on 2025-04-25 (new sign-ups closed before; the `zocalo` prefix of its first policies was replaced by `workdocs`)",
    },
];

/// The retired service with this prefix, ignoring ASCII case.
pub(crate) fn retired(prefix: &str) -> Option<&'static Retired> {
    RETIRED.iter().find(|r| r.prefix.eq_ignore_ascii_case(prefix))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        for a in &s.actions {
            if !matches!(a.resolved, Resolved::UnknownService) {
                continue;
            }
            let prefix = a.text.split_once(':').map_or(a.text, |(p, _)| p);
            let Some(r) = retired(prefix) else { continue };
            out.push(
                &INFO,
                Some(a.span),
                format!("`{}` is an action of {}, a retired service: {}", a.text, r.name, r.fact),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_prefixes_are_sorted_unique_and_absent_from_the_catalogue() {
        let prefixes: Vec<_> = RETIRED.iter().map(|r| r.prefix).collect();
        let mut sorted = prefixes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(prefixes, sorted);
        let catalog = iamspect_catalog::Catalog::get();
        for r in RETIRED {
            assert!(
                catalog.service(r.prefix).is_none(),
                "`{}` is in the catalogue again: drop it from RETIRED",
                r.prefix
            );
        }
    }
}
