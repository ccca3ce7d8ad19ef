//! `iamspect trust-audit` on an account whose roles trust GitHub Actions (and other providers) in
//! every common way: it lists every role, flags exactly the roles whose GitHub trust admits
//! repositories of any owner, and the identity sets it prints agree with `iamspect eval` deciding
//! `sts:AssumeRoleWithWebIdentity` on sample claims.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ACCOUNT: &str = "111122223333";
const GH: &str = "token.actions.githubusercontent.com";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/trust_audit/gaad.json")
}

fn audit() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["trust-audit", "--account-data"])
        .arg(data())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn roles(v: &Value) -> &Vec<Value> {
    v["roles"].as_array().unwrap()
}

fn name(role: &Value) -> &str {
    role["arn"].as_str().unwrap().rsplit('/').next().unwrap()
}

fn codes(role: &Value) -> BTreeSet<String> {
    role["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_role_is_listed_with_severities_in_lints_words() {
    let v = audit();
    let dump: Value = serde_json::from_str(&std::fs::read_to_string(data()).unwrap()).unwrap();
    let expected: BTreeSet<&str> =
        dump["RoleDetailList"].as_array().unwrap().iter().map(|r| r["Arn"].as_str().unwrap()).collect();
    let listed: BTreeSet<&str> = roles(&v).iter().map(|r| r["arn"].as_str().unwrap()).collect();
    assert_eq!(expected, listed);
    for r in roles(&v) {
        for f in r["findings"].as_array().unwrap() {
            let s = f["severity"].as_str().unwrap();
            assert!(["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"].contains(&s), "{s}");
            assert!(!f["message"].as_str().unwrap().is_empty());
        }
    }
}

/// The roles whose GitHub trust admits repositories of any owner, and only those, are flagged.
#[test]
fn flags_every_github_trust_that_admits_any_repository_and_no_pinned_one() {
    let v = audit();
    let any: BTreeSet<&str> = roles(&v)
        .iter()
        .filter(|r| {
            let c = codes(r);
            c.contains("GITHUB_ANY_REPOSITORY") || c.contains("GITHUB_SUBJECT_NOT_CHECKED")
        })
        .map(name)
        .collect();
    let expected: BTreeSet<&str> = [
        "gh-any-owner",
        "gh-no-sub",
        "gh-no-condition",
        "gh-owner-prefix",
        "gh-owner-qmark",
        "gh-star-sub",
        "gh-repo-wildcard-owner",
        "gh-two-statements",
        "gh-not-like-only",
        "gh-workflow-ref-only",
        "gh-any-minus-legacy",
    ]
    .into_iter()
    .collect();
    assert_eq!(any, expected);
    let by_name = |n: &str| roles(&v).iter().find(|r| name(r) == n).unwrap().clone();
    assert!(codes(&by_name("gh-org-wide")).contains("GITHUB_ANY_REPOSITORY_OF_OWNER"));
    assert!(codes(&by_name("gh-no-condition")).contains("OIDC_AUDIENCE_NOT_CHECKED"));
    assert!(codes(&by_name("eks-no-sub")).contains("OIDC_SUBJECT_NOT_CHECKED"));
    assert!(codes(&by_name("cognito-no-aud")).contains("OIDC_AUDIENCE_NOT_CHECKED"));
    assert!(codes(&by_name("web-identity-anyone")).contains("WEB_IDENTITY_ANY_PROVIDER"));
    assert!(codes(&by_name("web-identity-anyone")).contains("TRUST_PRINCIPAL_STAR"));
    assert!(codes(&by_name("everyone-assume")).contains("TRUST_PRINCIPAL_STAR"));
    assert!(codes(&by_name("third-party-no-external-id")).contains("TRUST_CROSS_ACCOUNT_NO_EXTERNAL_ID"));
    assert!(codes(&by_name("third-party-external-id")).is_empty());
    assert!(codes(&by_name("two-providers-one-statement")).contains("WEB_IDENTITY_ADMITS_NO_TOKEN"));
    // A Deny that keeps every other owner out: the any-owner Allow is not flagged as such, but
    // said to be unknown; one that keeps out only a repository leaves the flag, with a witness.
    assert_eq!(
        codes(&by_name("gh-any-minus-foreign")),
        ["GITHUB_REPOSITORY_REACH_UNKNOWN".to_string()].into_iter().collect()
    );
    let legacy = by_name("gh-any-minus-legacy");
    let flag = legacy["findings"].as_array().unwrap().iter().find(|f| f["code"] == "GITHUB_ANY_REPOSITORY").unwrap();
    assert!(flag["message"].as_str().unwrap().contains("a token with sub `repo:"), "{flag}");
    let tags = codes(&by_name("same-account-tag-session"));
    assert!(tags.contains("TRUST_TAG_SESSION_UNRESTRICTED") && tags.contains("TRUST_SET_SOURCE_IDENTITY_UNRESTRICTED"));
    for pinned in [
        "gh-pinned-branch",
        "gh-pinned-any-ref",
        "gh-pinned-events",
        "gh-pinned-repository-key",
        "gh-sub-and-repository",
    ] {
        assert!(codes(&by_name(pinned)).is_empty(), "{pinned}: {:?}", codes(&by_name(pinned)));
    }
    // What cannot be described is said to be unknown, with why.
    let variable = by_name("gh-policy-variable");
    let ids = &variable["assumableBy"][0]["identities"];
    assert_eq!(ids["exact"], false);
    assert!(ids["unknown"].as_str().unwrap().contains("policy variable"));
    let custom = by_name("gh-custom-subject");
    assert_eq!(custom["assumableBy"][0]["identities"]["github"]["statements"][0]["reach"], "unknown");
}

/// `StringLike` as AWS matches it: `*` any run of characters, `?` one.
fn glob(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| glob(rest, &t[i..])),
        Some((c, rest)) => t.split_first().is_some_and(|(x, tr)| (*c == '?' || c == x) && glob(rest, tr)),
    }
}

/// Whether one claim test of the audit's JSON passes, for a claim with these values (`None`: the
/// token does not carry it), by the rules `docs/output-format.md` gives.
fn test_admits(t: &Value, values: Option<&[String]>) -> bool {
    let op = t["operator"].as_str().unwrap();
    let policy: Vec<&str> = t["values"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    if op == "Null" {
        return policy.iter().any(|v| (*v == "true") == values.is_none());
    }
    let qualifier = t["qualifier"].as_str();
    let negated = op.contains("Not");
    let Some(values) = values else {
        return t["ifExists"] == true || qualifier == Some("ForAllValues") || (qualifier.is_none() && negated);
    };
    let one = |v: &String| {
        let hit = policy.iter().any(|p| {
            if op.ends_with("Like") {
                glob(&p.chars().collect::<Vec<_>>(), &v.chars().collect::<Vec<_>>())
            } else if op.ends_with("IgnoreCase") {
                p.eq_ignore_ascii_case(v)
            } else {
                p == v
            }
        });
        hit != negated
    };
    match qualifier {
        Some("ForAllValues") => values.iter().all(one),
        Some(_) => values.iter().any(one),
        None if negated => values.iter().all(one),
        None => values.iter().any(one),
    }
}

/// Whether one statement of the audit's `identities` admits the token's claims.
fn statement_admits(stmt: &Value, claims: &[(&str, String)]) -> bool {
    if stmt["admitsNone"] == true {
        return false;
    }
    stmt["claims"].as_array().unwrap().iter().all(|t| {
        let claim = t["claim"].as_str().unwrap();
        let values = claims.iter().find(|(c, _)| *c == claim).map(|(_, v)| vec![v.clone()]);
        test_admits(t, values.as_deref())
    })
}

/// `iamspect eval` of one case per sample token (read from standard input), the trust policy
/// coming from the account data: the decision of each.
fn eval_allows(role: &str, samples: &[Vec<(&str, String)>]) -> Vec<bool> {
    let cases: Vec<Value> = samples
        .iter()
        .map(|claims| {
            let mut context = serde_json::Map::new();
            // Meets the one condition on a key that is not a claim (`gh-source-ip`); the audit
            // lists it under `alsoRequires`.
            context.insert("aws:SourceIp".to_string(), Value::from("192.0.2.10"));
            for (claim, value) in claims {
                context.insert(format!("{GH}:{claim}"), Value::from(value.as_str()));
            }
            serde_json::json!({
                "principal": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{GH}"),
                "action": "sts:AssumeRoleWithWebIdentity",
                "resource": role,
                "context": context,
            })
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["eval", "-", "--format", "json", "--account-data"])
        .arg(data())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(serde_json::json!({"cases": cases}).to_string().as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().iter().map(|d| d["decision"] == "allowed").collect()
}

/// For sample tokens, the audit's exact identity sets (allowed statements minus denied ones)
/// give the same answer as the engine deciding the trust policy; and a role admits a sample of
/// another owner than `octo-org` exactly when it is flagged as admitting any repository.
#[test]
fn identity_sets_agree_with_eval_on_sample_claims() {
    let v = audit();
    let subs = [
        "repo:octo-org/app:ref:refs/heads/main",
        "repo:octo-org/app:ref:refs/heads/feature",
        "repo:octo-org/app:environment:prod",
        "repo:octo-org/app:pull_request",
        "repo:octo-org/app:ref:refs/tags/v1",
        "repo:octo-org/legacy:ref:refs/heads/main",
        "repo:octo-org/infra:ref:refs/heads/main",
        "repo:octo-org-evil/app:ref:refs/heads/main",
        "repo:octo-orx/app:ref:refs/heads/main",
        "repo:evil-org/app:ref:refs/heads/main",
        "repo:evil-org/infra:environment:prod",
        "repo:someone/else:pull_request",
        "repo:attacker/app:ref:refs/heads/main",
    ];
    let mut compared = 0;
    for role in roles(&v) {
        let arn = role["arn"].as_str().unwrap();
        let Some(gh) = role["assumableBy"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["principal"].as_str().is_some_and(|p| p.ends_with(&format!("oidc-provider/{GH}"))))
        else {
            continue;
        };
        let ids = &gh["identities"];
        let flagged =
            codes(role).contains("GITHUB_ANY_REPOSITORY") || codes(role).contains("GITHUB_SUBJECT_NOT_CHECKED");
        let mut foreign_allowed = false;
        // Each token as GitHub issues it: the repository, its owner, and the workflow that runs
        // (the repository's own, or for the last sample a shared one of `octo-org` that a
        // repository of another owner calls).
        let samples: Vec<Vec<(&str, String)>> = subs
            .iter()
            .enumerate()
            .map(|(i, sub)| {
                let repository = sub.trim_start_matches("repo:").split(':').next().unwrap().to_string();
                let owner = repository.split('/').next().unwrap().to_string();
                let workflow = if i + 1 == subs.len() {
                    "octo-org/shared/.github/workflows/deploy.yml@refs/heads/main".to_string()
                } else {
                    format!("{repository}/.github/workflows/deploy.yml@refs/heads/main")
                };
                vec![
                    ("sub", sub.to_string()),
                    ("aud", "sts.amazonaws.com".to_string()),
                    ("repository", repository),
                    ("repository_owner", owner),
                    ("job_workflow_ref", workflow),
                ]
            })
            .collect();
        let decisions = eval_allows(arn, &samples);
        assert_eq!(decisions.len(), samples.len());
        for ((sub, claims), allowed) in subs.iter().zip(&samples).zip(decisions) {
            let repository = &claims[2].1;
            let claims = claims.as_slice();
            if allowed && !repository.starts_with("octo-org/") {
                foreign_allowed = true;
            }
            if ids["exact"] == true {
                let admitted = ids["allowed"].as_array().unwrap().iter().any(|s| statement_admits(s, claims))
                    && !ids["denied"].as_array().unwrap().iter().any(|s| statement_admits(s, claims));
                assert_eq!(admitted, allowed, "{arn}: {sub}: the audit says {admitted}, eval says {allowed}");
                compared += 1;
            }
        }
        assert_eq!(flagged, foreign_allowed, "{arn}: flagged {flagged}, eval admits another owner {foreign_allowed}");
    }
    assert!(compared > 150, "only {compared} comparisons");
}

#[test]
fn sarif_has_one_result_per_finding_on_its_role() {
    let json = audit();
    let findings: usize = roles(&json).iter().map(|r| r["findings"].as_array().unwrap().len()).sum();
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["trust-audit", "--account-data"])
        .arg(data())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings);
    let rules: BTreeSet<&str> =
        v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in results {
        assert!(rules.contains(r["ruleId"].as_str().unwrap()), "{r}");
        let arn = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap();
        assert!(arn.starts_with(&format!("arn:aws:iam::{ACCOUNT}:role/")));
    }
    // `--fail-on` moves the exit code: nothing here is an ERROR but the role that admits no token.
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["trust-audit", "--account-data"])
        .arg(data())
        .args(["--fail-on", "ERROR"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
