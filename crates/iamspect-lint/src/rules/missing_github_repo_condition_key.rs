//! IAM307: GitHub Actions may assume the role from any repository.

use iamspect_core::Effect;

use super::mismatched_action_for_principal::{federated, oidc_provider};
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM307",
    name: "missing-github-repo-condition-key",
    issue_code: "MISSING_GITHUB_REPO_CONDITION_KEY",
    severity: Severity::SecurityWarning,
    doc: r#"## What it does
Reports an `Allow` statement that lets GitHub's OIDC provider
(`arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com`) assume the role with
`sts:AssumeRoleWithWebIdentity` without a condition on `token.actions.githubusercontent.com:sub`.

## Why is this bad?
Every GitHub Actions workflow, in any repository of any owner, gets tokens from the same
provider. Without `sub`, which names the repository (and branch or environment), anyone's
workflow can assume the role.

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action": "sts:AssumeRoleWithWebIdentity",
 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}
```
Add `"StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:ref:refs/heads/main"}`.
"#,
};

const GITHUB: &str = "token.actions.githubusercontent.com";

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    for s in &cx.statements {
        if s.effect() != Effect::Allow || !s.statement.covers_action("sts:assumerolewithwebidentity") {
            continue;
        }
        let Some((false, span, principal)) = &s.principal else { continue };
        let (entries, _) = federated(principal);
        if !entries.iter().any(|e| oidc_provider(e).is_some_and(|p| p.eq_ignore_ascii_case(GITHUB))) {
            continue;
        }
        let sub = format!("{GITHUB}:sub");
        if s.statement.conditions().iter().any(|c| c.key().eq_ignore_ascii_case(&sub)) {
            continue;
        }
        out.push(
            &INFO,
            Some(*span),
            format!(
                "any GitHub Actions workflow, in any repository, can assume this role: add a condition on `{sub}` \
                 naming the repository"
            ),
        );
    }
}
