//! `iamspect trust-audit --account-data D [--format text|json|sarif]`: for every role of the loaded
//! accounts, who can assume it (accounts, principals, services, identity providers, and for web
//! identity trust the exact identities admitted, GitHub's in repositories, branches, tags,
//! environments and pull requests), and the weaknesses of its trust (decision D110).
//!
//! Exit codes: 0 no finding at or above `--fail-on` (default SECURITY_WARNING); 1 some; 2 bad input
//! (account data that does not load, or holds no role).

use std::path::PathBuf;

use iamspect_audit::Severity;
use iamspect_audit::trust::claims::{ClaimTest, Identities, StatementClaims};
use iamspect_audit::trust::github::{Name, Reach};
use iamspect_audit::trust::{Assumer, GithubStatement, RULES, RoleAudit, audit};
use serde_json::{Value, json};

use super::audit_format::{AuditFormat, parse_severity};
use super::{BAD_INPUT, FAILURE, SUCCESS};
use crate::output::audit_sarif::{AuditResult, render};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data: dumps, an organization file (files or folders). One path per flag: repeat the
    /// flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: AuditFormat,
    /// Exit 1 when a finding is at least this severe: ERROR, SECURITY_WARNING, WARNING, SUGGESTION.
    #[arg(long, default_value = "SECURITY_WARNING", value_parser = parse_severity)]
    fail_on: Severity,
}

pub(crate) fn run(args: Args) -> u8 {
    let data = match super::account::load(&args.account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let roles = audit(&data);
    if roles.is_empty() {
        eprintln!("error: the account data holds no role, so there is nothing to audit");
        return BAD_INPUT;
    }
    let out = match args.format {
        AuditFormat::Text => text(&roles),
        AuditFormat::Json => {
            let mut s =
                serde_json::to_string_pretty(&json!({"roles": roles.iter().map(role_json).collect::<Vec<_>>()}))
                    .unwrap_or_default();
            s.push('\n');
            s
        }
        AuditFormat::Sarif => {
            let results: Vec<AuditResult<'_>> = roles
                .iter()
                .flat_map(|r| {
                    r.findings.iter().map(|f| AuditResult {
                        code: f.code,
                        severity: f.severity,
                        message: &f.message,
                        arn: &r.arn,
                        kind: "role",
                    })
                })
                .collect();
            let file = args.account_data.first().map(|p| p.display().to_string()).unwrap_or_default();
            render(RULES, &results, &file)
        }
    };
    crate::output::print(&out);
    let failed = roles.iter().flat_map(|r| &r.findings).any(|f| f.severity <= args.fail_on);
    if failed { FAILURE } else { SUCCESS }
}

fn test_json(t: &ClaimTest) -> Value {
    json!({"claim": t.claim, "operator": t.operator, "qualifier": t.qualifier, "ifExists": t.if_exists, "values": t.values})
}

fn statement_json(s: &StatementClaims) -> Value {
    let mut v = json!({
        "statement": s.statement,
        "claims": s.tests.iter().map(test_json).collect::<Vec<_>>(),
        "alsoRequires": s.also_requires,
    });
    if s.never {
        v["admitsNone"] = json!(true);
    }
    v
}

fn name_json(n: Option<&Name>) -> Value {
    match n {
        Some(Name::Exact(s)) => json!({"exact": s}),
        Some(Name::Pattern(p)) => json!({"pattern": p}),
        Some(Name::Any) => json!("any"),
        None => Value::Null,
    }
}

fn reach_str(r: Reach) -> &'static str {
    match r {
        Reach::AnyOwner => "anyOwner",
        Reach::AnyRepositoryOfOwner => "anyRepositoryOfOwner",
        Reach::Custom => "unknown",
        Reach::Pinned => "pinned",
    }
}

fn github_json(statements: &[GithubStatement]) -> Value {
    let any = statements.iter().any(|s| s.reach == Reach::AnyOwner);
    json!({
        "anyRepository": any,
        "statements": statements.iter().map(|s| {
            let mut v = json!({
                "statement": s.statement,
                "reach": reach_str(s.reach),
                "admitted": s.admitted.iter().map(|a| json!({
                    "claim": a.claim,
                    "value": a.value,
                    "owner": name_json(a.owner.as_ref()),
                    "repository": name_json(a.repository.as_ref()),
                    "kind": a.kind,
                    "name": a.name,
                })).collect::<Vec<_>>(),
            });
            if s.reach == Reach::Custom {
                v["unknown"] = json!("a `sub` value is not in GitHub's default form (`repo:OWNER/REPO:...`); an owner may customize the subject's template, so which repositories it admits cannot be read from the policy");
            }
            v
        }).collect::<Vec<_>>(),
    })
}

fn assumer_json(a: &Assumer) -> Value {
    let mut v = json!({
        "type": a.kind,
        "principal": a.principal,
        "actions": a.actions,
        "grants": a.grants.iter().map(|g| json!({"statement": g.statement, "actions": g.actions, "conditions": g.conditions})).collect::<Vec<_>>(),
        "deniedBy": a.denied_by,
    });
    if let Some(r) = a.relation {
        v["relation"] = json!(r);
    }
    match &a.identities {
        Some(Identities::Exact { allowed, denied }) => {
            v["identities"] = json!({
                "exact": true,
                "allowed": allowed.iter().map(statement_json).collect::<Vec<_>>(),
                "denied": denied.iter().map(statement_json).collect::<Vec<_>>(),
            });
            let host = a.principal.split_once(":oidc-provider/").map_or(a.principal.as_str(), |(_, h)| h);
            if iamspect_audit::trust::github::is_github(host) {
                v["identities"]["github"] = github_json(&a.github);
            }
        }
        Some(Identities::Unknown(why)) => v["identities"] = json!({"exact": false, "unknown": why}),
        None => {}
    }
    v
}

fn role_json(r: &RoleAudit) -> Value {
    json!({
        "arn": r.arn,
        "assumableBy": r.assumable_by.iter().map(assumer_json).collect::<Vec<_>>(),
        "findings": r.findings.iter().map(|f| json!({"code": f.code, "severity": f.severity.as_str(), "message": f.message})).collect::<Vec<_>>(),
    })
}

fn describe_admitted(a: &iamspect_audit::trust::github::Admitted) -> String {
    let owner = a.owner.as_ref().map_or("?", Name::text);
    let repo = a.repository.as_ref().map_or("?", Name::text);
    let what = match (a.kind, &a.name) {
        ("branch", Some(n)) => format!("branch {n}"),
        ("tag", Some(n)) => format!("tag {n}"),
        ("environment", Some(n)) => format!("environment {n}"),
        ("pull_request", _) => "pull requests".to_string(),
        ("any", _) => "any branch, tag, environment or pull request".to_string(),
        ("none", _) => "any branch, tag, environment or pull request".to_string(),
        (_, Some(n)) => format!("`{n}`"),
        _ => String::new(),
    };
    if a.owner.is_none() {
        format!("`{}` (not GitHub's default subject form: unknown)", a.value)
    } else {
        format!("{owner}/{repo}: {what} ({} `{}`)", a.claim, a.value)
    }
}

fn text(roles: &[RoleAudit]) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 4];
    for r in roles {
        out.push_str(&format!("{}\n", r.arn));
        if r.assumable_by.is_empty() {
            out.push_str("  assumable by: nobody the trust policy names\n");
        }
        for a in &r.assumable_by {
            let relation = a.relation.map_or_else(String::new, |r| format!(" ({r})"));
            out.push_str(&format!("  {} {}{relation}: {}\n", a.kind, a.principal, a.actions.join(", ")));
            for g in &a.grants {
                let when = if g.conditions.is_empty() {
                    "with no condition".to_string()
                } else {
                    format!("if {}", g.conditions.join(" and "))
                };
                out.push_str(&format!("      statement {}: {} {when}\n", g.statement, g.actions.join(", ")));
            }
            for d in &a.denied_by {
                out.push_str(&format!("      denied by statement {d}\n"));
            }
            if let Some(Identities::Exact { allowed, .. }) = &a.identities {
                for s in allowed.iter().filter(|s| s.never) {
                    out.push_str(&format!(
                        "      statement {} admits no token of this provider (it tests a claim such tokens never carry)\n",
                        s.statement
                    ));
                }
            }
            match &a.identities {
                Some(Identities::Unknown(why)) => out.push_str(&format!("      identities: unknown: {why}\n")),
                Some(Identities::Exact { .. }) if !a.github.is_empty() => {
                    for g in &a.github {
                        out.push_str(&format!("      statement {} admits ({}):\n", g.statement, reach_str(g.reach)));
                        if g.admitted.is_empty() {
                            out.push_str(
                                "        every repository on GitHub (no condition on `sub` or `repository`)\n",
                            );
                        }
                        for ad in &g.admitted {
                            out.push_str(&format!("        {}\n", describe_admitted(ad)));
                        }
                    }
                }
                _ => {}
            }
        }
        for f in &r.findings {
            counts[f.severity as usize] += 1;
            out.push_str(&format!("  {} {}: {}\n", f.severity.as_str(), f.code, f.message));
        }
    }
    out.push_str(&format!(
        "{} roles; findings: {} ERROR, {} SECURITY_WARNING, {} WARNING, {} SUGGESTION\n",
        roles.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    ));
    out
}
