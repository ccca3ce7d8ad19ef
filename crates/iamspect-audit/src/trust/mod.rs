//! `trust-audit`: for every role of the loaded accounts, who can assume it (accounts, principals,
//! services, identity providers, and for web identity trust the exact identities admitted), and
//! the weaknesses of its trust policy.
//!
//! Which statement reaches which caller is asked of the engine itself
//! ([`Statement::principal_reaches`], [`Statement::covers_action`]), so the audit reads `Principal`
//! and `Action` exactly as a decision does; only the conditions are read here (`claims.rs`).

pub mod claims;
pub mod github;

use iamspect_account::{AccountData, Role};
use iamspect_core::condition::BaseOperator;
use iamspect_core::{Context, Effect, Policy, PolicyType, Principal, PrincipalKind, Request, Statement};

use crate::{Finding, Severity};
use claims::{Identities, StatementClaims, statement_claims};
use github::Reach;

/// The actions of a trust policy (spec §10.3).
pub const TRUST_ACTIONS: [&str; 5] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
    "sts:SetSourceIdentity",
];

/// Every check of the trust audit: code, severity, what it finds.
pub const RULES: &[(&str, Severity, &str)] = &[
    ("TRUST_POLICY_MISSING", Severity::Warning, "The account data gives no trust policy for the role."),
    ("TRUST_POLICY_INVALID", Severity::Error, "The role's trust policy does not parse."),
    ("TRUST_PRINCIPAL_STAR", Severity::SecurityWarning, "A trust statement names the principal `*`."),
    (
        "WEB_IDENTITY_ANY_PROVIDER",
        Severity::SecurityWarning,
        "sts:AssumeRoleWithWebIdentity is allowed to any identity provider.",
    ),
    (
        "GITHUB_SUBJECT_NOT_CHECKED",
        Severity::SecurityWarning,
        "GitHub Actions trust without a condition on `sub` (or `repository`): any repository's workflows can assume the role.",
    ),
    (
        "GITHUB_ANY_REPOSITORY",
        Severity::SecurityWarning,
        "GitHub Actions trust whose `sub` or `repository` wildcard admits any owner (organization or user).",
    ),
    (
        "GITHUB_REPOSITORY_REACH_UNKNOWN",
        Severity::Warning,
        "GitHub Actions trust that admits any owner on its own, with Deny statements that may keep them all out: unknown.",
    ),
    (
        "GITHUB_ANY_REPOSITORY_OF_OWNER",
        Severity::Warning,
        "GitHub Actions trust that admits every repository of an owner.",
    ),
    (
        "WEB_IDENTITY_ADMITS_NO_TOKEN",
        Severity::Error,
        "A statement names a web identity provider but requires a claim its tokens never carry.",
    ),
    ("OIDC_AUDIENCE_NOT_CHECKED", Severity::Warning, "Web identity trust without a condition on the provider's `aud`."),
    (
        "OIDC_SUBJECT_NOT_CHECKED",
        Severity::SecurityWarning,
        "Web identity trust without a condition on the provider's `sub`.",
    ),
    (
        "TRUST_CROSS_ACCOUNT_NO_EXTERNAL_ID",
        Severity::Warning,
        "A third-party account may assume the role without an `sts:ExternalId` condition.",
    ),
    (
        "TRUST_TAG_SESSION_UNRESTRICTED",
        Severity::Suggestion,
        "sts:TagSession is allowed without a condition on the tags.",
    ),
    (
        "TRUST_SET_SOURCE_IDENTITY_UNRESTRICTED",
        Severity::Suggestion,
        "sts:SetSourceIdentity is allowed without a condition on `sts:SourceIdentity`.",
    ),
];

const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// The identity providers built into STS: any application's tokens of theirs are accepted without
/// an OIDC provider in the account, so the `aud` test is all that ties the trust to one application.
const BUILT_IN_PROVIDERS: [&str; 4] =
    ["accounts.google.com", "cognito-identity.amazonaws.com", "graph.facebook.com", "www.amazon.com"];

/// One caller that a role's trust policy admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumer {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` (everyone).
    pub kind: &'static str,
    /// The principal as written (account id, ARN, unique id, service or provider).
    pub principal: String,
    /// The trust actions it is allowed.
    pub actions: Vec<&'static str>,
    /// Each `Allow` statement that names it, with what it allows and on which conditions (all of
    /// a statement's conditions must hold; any one statement suffices).
    pub grants: Vec<Grant>,
    /// For an `AWS` principal: `sameAccount`, `loadedAccount`, `organization` or `external`.
    pub relation: Option<&'static str>,
    /// `Deny` statements that may refuse it (`Sid` or `#index`, with "when conditions hold").
    pub denied_by: Vec<String>,
    /// For a web identity provider: the identities admitted.
    pub identities: Option<Identities>,
    /// For GitHub: what each `Allow` statement admits, in repositories, branches, tags,
    /// environments and pull requests.
    pub github: Vec<GithubStatement>,
}

/// One `Allow` statement naming a caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// `Sid` or `#index`.
    pub statement: String,
    /// The trust actions it allows.
    pub actions: Vec<&'static str>,
    /// Its conditions (`Operator key [values]`), all of which must hold.
    pub conditions: Vec<String>,
}

/// One `Allow` statement of a GitHub trust, read in GitHub's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubStatement {
    /// `Sid` or `#index`.
    pub statement: String,
    /// How widely it admits repositories.
    pub reach: Reach,
    /// Each positive `sub`, `repository`, `repository_id`, `repository_owner(_id)`,
    /// `enterprise(_id)` and `job_workflow_ref` value, read.
    pub admitted: Vec<github::Admitted>,
}

/// One role's audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleAudit {
    /// The role's ARN.
    pub arn: String,
    /// Who can assume it.
    pub assumable_by: Vec<Assumer>,
    /// What is wrong with its trust.
    pub findings: Vec<Finding>,
}

/// Audits every role of every loaded account, in account then role name order.
pub fn audit(data: &AccountData) -> Vec<RoleAudit> {
    let mut out = Vec::new();
    for account in data.accounts.values() {
        for role in account.roles.values() {
            out.push(audit_role(data, &account.id, role));
        }
    }
    out
}

fn label(stmt: &Statement) -> String {
    stmt.sid().filter(|s| !s.is_empty()).map_or_else(|| format!("#{}", stmt.index()), str::to_string)
}

fn describe_conditions(stmt: &Statement) -> Vec<String> {
    stmt.conditions()
        .iter()
        .map(|c| {
            let op = c.operator();
            let mut name = match op.qualifier {
                Some(iamspect_core::condition::SetQualifier::ForAllValues) => "ForAllValues:".to_string(),
                Some(iamspect_core::condition::SetQualifier::ForAnyValue) => "ForAnyValue:".to_string(),
                None => String::new(),
            };
            name.push_str(op.base.name());
            if op.if_exists {
                name.push_str("IfExists");
            }
            format!("{name} {} {:?}", c.key(), c.values())
        })
        .collect()
}

/// The provider host of a `Federated` value: the URL part of an `oidc-provider` ARN, or the
/// built-in provider's name; `None` for SAML providers.
fn oidc_host(provider: &str) -> Option<String> {
    if let Some((_, host)) = provider.split_once(":oidc-provider/") {
        return Some(host.to_string());
    }
    if provider.contains(":saml-provider/") || provider.starts_with("arn:") {
        return None;
    }
    Some(provider.to_string())
}

/// A statement tests `key` positively (`StringEquals`/`StringLike`, any set qualifier).
fn tests_key(stmt: &Statement, key: &str) -> bool {
    stmt.conditions().iter().any(|c| {
        c.key().eq_ignore_ascii_case(key)
            && matches!(
                c.operator().base,
                BaseOperator::StringEquals | BaseOperator::StringLike | BaseOperator::StringEqualsIgnoreCase
            )
    })
}

fn tests_prefix(stmt: &Statement, prefix: &str) -> bool {
    stmt.conditions().iter().any(|c| c.key().to_ascii_lowercase().starts_with(prefix))
}

fn request(principal: &str, action: &str, role_arn: &str) -> Option<Request> {
    let p = Principal::parse(principal).ok()?;
    Request::new(p, action, role_arn, None, Context::new()).ok()
}

/// A web identity caller of `provider` (`cognito-identity.amazonaws.com` too, which read as text
/// would be a service principal).
fn federated_request(provider: &str, role_arn: &str) -> Option<Request> {
    let p = Principal::new(PrincipalKind::Federated { provider: provider.to_string() });
    Request::new(p, WEB_IDENTITY, role_arn, None, Context::new()).ok()
}

/// The ARN form of an `AWS` principal value, for asking the engine whether a statement reaches it.
fn aws_principal_arn(value: &str, partition: &str) -> Option<String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("arn:{partition}:iam::{value}:root"))
    } else if value.starts_with("arn:") {
        Some(value.to_string())
    } else {
        None
    }
}

fn account_of(value: &str) -> Option<String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.to_string());
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.get(4).filter(|a| a.len() == 12).map(|a| (*a).to_string())
}

fn audit_role(data: &AccountData, account: &str, role: &Role) -> RoleAudit {
    let mut audit = RoleAudit { arn: role.arn.clone(), assumable_by: Vec::new(), findings: Vec::new() };
    let Some(text) = &role.trust_policy else {
        audit.findings.push(Finding::new(
            "TRUST_POLICY_MISSING",
            Severity::Warning,
            "the account data gives no trust policy for this role, so who can assume it is unknown".to_string(),
        ));
        return audit;
    };
    let policy = match Policy::parse(&format!("{}/trust", role.arn), text, PolicyType::Trust) {
        Ok(p) => p,
        Err(e) => {
            audit.findings.push(Finding::new(
                "TRUST_POLICY_INVALID",
                Severity::Error,
                format!("the trust policy does not parse, so who can assume the role is unknown: {e}"),
            ));
            return audit;
        }
    };
    let partition = role.arn.split(':').nth(1).unwrap_or("aws").to_string();
    let statements = policy.statements();
    for stmt in statements.iter().filter(|s| s.effect() == Effect::Allow) {
        let actions: Vec<&'static str> = TRUST_ACTIONS.into_iter().filter(|a| stmt.covers_action(a)).collect();
        if actions.is_empty() {
            continue;
        }
        let Some((_, entries)) = stmt.principal_entries() else { continue };
        for (kind, value) in entries {
            let kind = if value == "*" && kind == "AWS" { "*" } else { kind };
            let idx = match audit.assumable_by.iter().position(|a| a.kind == kind && a.principal == value) {
                Some(i) => i,
                None => {
                    audit.assumable_by.push(Assumer {
                        kind,
                        principal: value.clone(),
                        actions: Vec::new(),
                        grants: Vec::new(),
                        relation: None,
                        denied_by: Vec::new(),
                        identities: None,
                        github: Vec::new(),
                    });
                    audit.assumable_by.len() - 1
                }
            };
            let a = &mut audit.assumable_by[idx];
            for act in &actions {
                if !a.actions.contains(act) {
                    a.actions.push(act);
                }
            }
            a.grants.push(Grant {
                statement: label(stmt),
                actions: actions.clone(),
                conditions: describe_conditions(stmt),
            });
        }
        flag_statement(data, account, &partition, stmt, &actions, &mut audit.findings);
    }
    for a in &mut audit.assumable_by {
        if a.kind == "AWS" {
            a.relation = Some(relation(data, account, &a.principal));
        }
        // Deny statements that may refuse this caller.
        let probe = match a.kind {
            "AWS" => aws_principal_arn(&a.principal, &partition),
            "Service" | "Federated" => Some(a.principal.clone()),
            _ => None,
        };
        for stmt in statements.iter().filter(|s| s.effect() == Effect::Deny) {
            let covers = a.actions.iter().any(|act| stmt.covers_action(act));
            let action = a.actions.first().copied().unwrap_or("sts:AssumeRole");
            let probe_request = match a.kind {
                "Federated" => federated_request(&a.principal, &role.arn),
                _ => probe.as_deref().and_then(|p| request(p, action, &role.arn)),
            };
            let reaches = probe_request.and_then(|r| stmt.principal_reaches(&r)).unwrap_or(true);
            if covers && reaches {
                let when = if stmt.conditions().is_empty() { "always" } else { "when its conditions hold" };
                a.denied_by.push(format!("{} ({when})", label(stmt)));
            }
        }
        if a.kind == "Federated"
            && a.actions.contains(&WEB_IDENTITY)
            && let Some(host) = oidc_host(&a.principal)
        {
            let (identities, github) = identities(statements, &a.principal, &host, &role.arn);
            flag_identities(statements, &role.arn, &host, &a.principal, &identities, &github, &mut audit.findings);
            a.identities = Some(identities);
            a.github = github;
        }
    }
    audit
}

fn relation(data: &AccountData, account: &str, principal: &str) -> &'static str {
    match account_of(principal) {
        Some(a) if a == account => "sameAccount",
        Some(a) if data.accounts.contains_key(&a) => "loadedAccount",
        Some(a) if data.organization.as_ref().is_some_and(|o| o.path_to(&a).is_some()) => "organization",
        Some(_) => "external",
        // A unique id (the principal was deleted) or `*`: its account is not known.
        None => "unknown",
    }
}

/// The other web identity providers the policy names: their claim keys are absent from the
/// tokens of `host`.
fn other_hosts(statements: &[Statement], host: &str) -> Vec<String> {
    statements
        .iter()
        .filter_map(Statement::principal_entries)
        .flat_map(|(_, entries)| entries)
        .filter(|(kind, _)| *kind == "Federated")
        .filter_map(|(_, v)| oidc_host(&v))
        .filter(|h| h != host)
        .collect()
}

/// The identities admitted through `provider`, whose claim keys start with `host:`.
fn identities(
    statements: &[Statement],
    provider: &str,
    host: &str,
    role_arn: &str,
) -> (Identities, Vec<GithubStatement>) {
    let Some(req) = federated_request(provider, role_arn) else {
        return (Identities::Unknown(format!("`{provider}` is not a provider iamspect can ask about")), Vec::new());
    };
    let other_hosts = other_hosts(statements, host);
    let mut allowed: Vec<StatementClaims> = Vec::new();
    let mut denied: Vec<StatementClaims> = Vec::new();
    for stmt in statements {
        if !stmt.covers_action(WEB_IDENTITY) || stmt.principal_reaches(&req) != Some(true) {
            continue;
        }
        let claims = match statement_claims(stmt, host, &other_hosts) {
            Ok(c) => c,
            Err(why) => return (Identities::Unknown(why), Vec::new()),
        };
        if stmt.effect() == Effect::Deny {
            if !claims.also_requires.is_empty() {
                return (
                    Identities::Unknown(format!(
                        "Deny statement {} applies only when {}, which the request decides, not the token",
                        claims.statement,
                        claims.also_requires.join(" and ")
                    )),
                    Vec::new(),
                );
            }
            denied.push(claims);
        } else {
            allowed.push(claims);
        }
    }
    let github = if github::is_github(host) {
        allowed
            .iter()
            .filter(|s| !s.never)
            .map(|s| GithubStatement {
                statement: s.statement.clone(),
                reach: github::reach(s),
                admitted: github::admitted(s),
            })
            .collect()
    } else {
        Vec::new()
    };
    (Identities::Exact { allowed, denied }, github)
}

/// A statement tests `key` with an operator that names what is admitted (not a negation).
fn positive_test(stmt: &Statement, key: &str) -> bool {
    stmt.conditions().iter().any(|c| {
        c.key().eq_ignore_ascii_case(key)
            && matches!(
                c.operator().base,
                BaseOperator::StringEquals | BaseOperator::StringLike | BaseOperator::StringEqualsIgnoreCase
            )
    })
}

/// GitHub claims that name the calling repository or its owner. Not `job_workflow_ref`: it names
/// the (reusable) workflow that runs, which repositories of other owners may call.
const GITHUB_REPOSITORY_CLAIMS: [&str; 7] =
    ["sub", "repository", "repository_id", "repository_owner", "repository_owner_id", "enterprise", "enterprise_id"];

#[allow(clippy::too_many_arguments, reason = "the pieces of one role's audit, kept apart for clarity")]
fn flag_identities(
    statements: &[Statement],
    role_arn: &str,
    host: &str,
    provider: &str,
    identities: &Identities,
    github: &[GithubStatement],
    findings: &mut Vec<Finding>,
) {
    let Some(req) = federated_request(provider, role_arn) else { return };
    let denied = match identities {
        Identities::Exact { denied, .. } => denied.iter().map(|d| d.statement.clone()).collect(),
        Identities::Unknown(_) => Vec::new(),
    };
    let except = if denied.is_empty() {
        String::new()
    } else {
        format!(" (Deny statements {} remove some identities)", denied.join(", "))
    };
    let built_in = BUILT_IN_PROVIDERS.contains(&host);
    // For GitHub: a statement that admits any owner on its own may still have those tokens kept
    // out by `Deny` statements. With none, the flag stands; with some, only a token of an owner
    // the policy never names that the exact set admits confirms it (D110).
    let deny_reaches = statements.iter().any(|s| {
        s.effect() == Effect::Deny && s.covers_action(WEB_IDENTITY) && s.principal_reaches(&req) == Some(true)
    });
    let witness = match identities {
        Identities::Exact { allowed, denied } if deny_reaches => github::foreign_witness(allowed, denied),
        _ => None,
    };
    let confirm = |code: &'static str, severity: Severity, message: String| -> Finding {
        match (deny_reaches, &witness) {
            (false, _) => Finding::new(code, severity, message),
            (true, Some(w)) => {
                Finding::new(code, severity, format!("{message}; for one, a token with sub `{w}` is admitted"))
            }
            (true, None) => Finding::new(
                "GITHUB_REPOSITORY_REACH_UNKNOWN",
                Severity::Warning,
                format!(
                    "{message}; but Deny statements may keep those tokens out, and no admitted token of an owner the policy does not name was found among those tried, so whether repositories of any owner can assume the role is unknown"
                ),
            ),
        }
    };
    let reaching = statements.iter().filter(|s| {
        s.effect() == Effect::Allow && s.covers_action(WEB_IDENTITY) && s.principal_reaches(&req) == Some(true)
    });
    let others = other_hosts(statements, host);
    for s in reaching {
        // A statement no token of this provider can meet (a test on another provider's claim).
        if statement_claims(s, host, &others).is_ok_and(|c| c.never) {
            findings.push(Finding::new(
                "WEB_IDENTITY_ADMITS_NO_TOKEN",
                Severity::Error,
                format!(
                    "statement {} names `{provider}` but requires a claim its tokens never carry (another provider's, or a `Null` test), so it admits none of them",
                    label(s)
                ),
            ));
            continue;
        }
        let l = label(s);
        if !positive_test(s, &format!("{host}:aud")) {
            findings.push(Finding::new(
                "OIDC_AUDIENCE_NOT_CHECKED",
                if built_in { Severity::SecurityWarning } else { Severity::Warning },
                if built_in {
                    format!(
                        "statement {l} trusts `{provider}` without a condition on `{host}:aud`: tokens issued to any application of this provider are accepted{except}"
                    )
                } else {
                    format!(
                        "statement {l} trusts `{provider}` without a condition on `{host}:aud`: any audience registered with the provider is accepted{except}"
                    )
                },
            ));
        }
        if github::is_github(host) {
            let names = GITHUB_REPOSITORY_CLAIMS.iter().any(|c| positive_test(s, &format!("{host}:{c}")));
            if !names {
                let excludes = s.conditions().iter().any(|c| {
                    c.key().to_ascii_lowercase().starts_with(&format!("{host}:")) && c.operator().base.is_negated()
                });
                findings.push(confirm(
                    "GITHUB_SUBJECT_NOT_CHECKED",
                    Severity::SecurityWarning,
                    if excludes {
                        format!(
                            "statement {l} trusts GitHub Actions with conditions that only exclude (`StringNot...`) and none on `{host}:sub` or `:repository` naming what is admitted: a workflow of any other repository on GitHub can assume the role{except}"
                        )
                    } else if positive_test(s, &format!("{host}:job_workflow_ref")) {
                        format!(
                            "statement {l} trusts GitHub Actions on `{host}:job_workflow_ref` alone, which names the workflow that runs, not the repository that calls it: any repository allowed to call that workflow can assume the role{except}"
                        )
                    } else {
                        format!(
                            "statement {l} trusts GitHub Actions without a condition on `{host}:sub` (or `:repository`): a workflow of any repository on GitHub can assume the role{except}"
                        )
                    },
                ));
            }
        } else if !positive_test(s, &format!("{host}:sub")) && host != "cognito-identity.amazonaws.com" {
            findings.push(Finding::new(
                "OIDC_SUBJECT_NOT_CHECKED",
                if built_in { Severity::Warning } else { Severity::SecurityWarning },
                format!(
                    "statement {l} trusts `{provider}` without a condition on `{host}:sub`: every subject the provider issues tokens for can assume the role{except}"
                ),
            ));
        }
    }
    for g in github {
        let msg = match g.reach {
            // Without any test naming a repository: flagged above, from the statement itself.
            Reach::AnyOwner if g.admitted.is_empty() => None,
            Reach::AnyOwner => Some((
                "GITHUB_ANY_REPOSITORY",
                Severity::SecurityWarning,
                format!(
                    "statement {} admits workflows of any GitHub owner: {} leaves the owner (organization or user) open{except}",
                    g.statement,
                    g.admitted
                        .iter()
                        .filter(|a| a.owner.as_ref().is_none_or(|o| !o.pinned()))
                        .map(|a| format!("`{}`", a.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Reach::AnyRepositoryOfOwner => Some((
                "GITHUB_ANY_REPOSITORY_OF_OWNER",
                Severity::Warning,
                format!(
                    "statement {} admits every repository of {}: any repository created there later can assume the role{except}",
                    g.statement,
                    g.admitted
                        .iter()
                        .filter_map(|a| a.owner.as_ref().map(|o| format!("`{}`", o.text())))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Reach::Custom | Reach::Pinned => None,
        };
        match msg {
            Some(("GITHUB_ANY_REPOSITORY", severity, message)) => {
                findings.push(confirm("GITHUB_ANY_REPOSITORY", severity, message));
            }
            Some((code, severity, message)) => findings.push(Finding::new(code, severity, message)),
            None => {}
        }
    }
}

/// Flags of one `Allow` statement that do not depend on a provider's claims.
fn flag_statement(
    data: &AccountData,
    account: &str,
    partition: &str,
    stmt: &Statement,
    actions: &[&'static str],
    findings: &mut Vec<Finding>,
) {
    let Some((_, entries)) = stmt.principal_entries() else { return };
    let l = label(stmt);
    let conditional = if stmt.conditions().is_empty() {
        "with no condition".to_string()
    } else {
        format!("with conditions on {}", {
            let mut keys: Vec<&str> = stmt.conditions().iter().map(|c| c.key()).collect();
            keys.dedup();
            keys.join(", ")
        })
    };
    for (kind, value) in &entries {
        if value == "*" && (*kind == "*" || *kind == "AWS" || *kind == "Federated") {
            findings.push(Finding::new(
                "TRUST_PRINCIPAL_STAR",
                Severity::SecurityWarning,
                format!(
                    "statement {l} names the principal `*` ({conditional}): {} can call {}",
                    if stmt.conditions().is_empty() { "any principal" } else { "any principal that meets them" },
                    actions.join(", ")
                ),
            ));
        }
        if *kind == "AWS"
            && actions.contains(&"sts:AssumeRole")
            && !tests_key(stmt, "sts:ExternalId")
            && let Some(other) = account_of(value).filter(|a| a != account)
        {
            let first_party = data.accounts.contains_key(&other)
                || data.organization.as_ref().is_some_and(|o| o.path_to(&other).is_some());
            if !first_party {
                findings.push(Finding::new(
                    "TRUST_CROSS_ACCOUNT_NO_EXTERNAL_ID",
                    Severity::Warning,
                    format!(
                        "statement {l} lets `{value}` of account {other}, which is neither loaded nor in the organization (a third party as far as the data shows), assume the role without an `sts:ExternalId` condition"
                    ),
                ));
            }
        }
    }
    // Does `*` or any provider reach web identity through this statement?
    if actions.contains(&WEB_IDENTITY) {
        let probe = format!("arn:{partition}:iam::{account}:oidc-provider/example.invalid");
        let reaches_any = [probe.as_str(), "accounts.google.com", "cognito-identity.amazonaws.com"].iter().all(|p| {
            federated_request(p, &format!("arn:{partition}:iam::{account}:role/x"))
                .and_then(|r| stmt.principal_reaches(&r))
                .unwrap_or(false)
        });
        if reaches_any {
            findings.push(Finding::new(
                "WEB_IDENTITY_ANY_PROVIDER",
                Severity::SecurityWarning,
                format!(
                    "statement {l} allows sts:AssumeRoleWithWebIdentity to any identity provider ({conditional}): tokens of any provider, Google's and Cognito's included, are trusted"
                ),
            ));
        }
    }
    let explicit = |action: &str| {
        let (_, _, items) = stmt.action_entries();
        items.iter().any(|(t, _)| t.eq_ignore_ascii_case(action))
    };
    if actions.contains(&"sts:TagSession") && !tests_prefix(stmt, "aws:requesttag/") && !tests_key(stmt, "aws:TagKeys")
    {
        let how = if explicit("sts:TagSession") { "allows" } else { "allows through a wildcard" };
        findings.push(Finding::new(
            "TRUST_TAG_SESSION_UNRESTRICTED",
            Severity::Suggestion,
            format!(
                "statement {l} {how} sts:TagSession with no condition on `aws:RequestTag/...` or `aws:TagKeys`: callers may set any session tags, which tag-based (ABAC) policies then trust; remove it if sessions need no tags, or restrict the keys"
            ),
        ));
    }
    if actions.contains(&"sts:SetSourceIdentity") && !tests_key(stmt, "sts:SourceIdentity") {
        let how = if explicit("sts:SetSourceIdentity") { "allows" } else { "allows through a wildcard" };
        findings.push(Finding::new(
            "TRUST_SET_SOURCE_IDENTITY_UNRESTRICTED",
            Severity::Suggestion,
            format!(
                "statement {l} {how} sts:SetSourceIdentity with no condition on `sts:SourceIdentity`: callers may claim any source identity; remove it if unused, or restrict the values"
            ),
        ));
    }
}
