//! The identities a web identity (OIDC) trust admits, described exactly from the trust policy's
//! conditions on the provider's claim keys (`HOST:sub`, `HOST:aud`, GitHub's `HOST:repository`,
//! ...), or an explicit "unknown" that says which condition could not be described.
//!
//! The set is the union of what the `Allow` statements admit minus the union of what the `Deny`
//! statements remove, each statement being the conjunction of its conditions and each condition the
//! disjunction of its values (spec §4.6). A condition on a claim is kept as written: `StringLike`
//! values are glob patterns as `StringLike` matches them, `StringEquals` values exact strings, with
//! the operator's set qualifier and `IfExists`, which say what a multivalued or missing claim does.

use iamspect_core::Statement;
use iamspect_core::condition::{BaseOperator, SetQualifier};

/// How one claim is constrained by one condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimTest {
    /// The claim: the part of the key after `HOST:` (`sub`, `aud`, `repository`, ...).
    pub claim: String,
    /// The base operator: `StringEquals` (exact), `StringLike` (glob), `StringEqualsIgnoreCase`,
    /// their negations, or `Null`.
    pub operator: &'static str,
    /// `ForAnyValue` or `ForAllValues`, if the operator has the prefix.
    pub qualifier: Option<&'static str>,
    /// The operator ends in `IfExists`: a token without the claim passes.
    pub if_exists: bool,
    /// True for `StringLike`/`StringNotLike`: the values are `*`/`?` patterns.
    pub glob: bool,
    /// True for the `StringNot...` operators: a value passes when it matches none of the values.
    pub negated: bool,
    /// True for `StringEqualsIgnoreCase`/`StringNotEqualsIgnoreCase`: ASCII letters compare
    /// without regard to case, as the engine compares them.
    pub ignore_case: bool,
    /// The values as written (`true`/`false` for `Null`).
    pub values: Vec<String>,
}

impl ClaimTest {
    fn matches_one(&self, value: &str) -> bool {
        let hit = self.values.iter().any(|p| {
            if self.glob {
                glob_matches(p, value)
            } else if self.ignore_case {
                p.eq_ignore_ascii_case(value)
            } else {
                p == value
            }
        });
        hit != self.negated
    }

    /// Whether a token passes this test: `values` are the claim's values, `None` when the token
    /// does not carry it. The rules are spec §4.6's (and the engine's, decision D10): without a
    /// set qualifier a positive operator needs some value to match and a negated one no value; a
    /// missing claim fails a positive operator and `ForAnyValue:`, and passes a negated one,
    /// `ForAllValues:` and `...IfExists`.
    pub fn admits_values(&self, values: Option<&[&str]>) -> bool {
        if self.operator == "Null" {
            let absent = values.is_none_or(<[&str]>::is_empty);
            return self.values.iter().any(|v| v.eq_ignore_ascii_case("true") == absent);
        }
        let Some(values) = values.filter(|v| !v.is_empty()) else {
            return self.if_exists
                || self.qualifier == Some("ForAllValues")
                || (self.qualifier.is_none() && self.negated);
        };
        match self.qualifier {
            Some("ForAllValues") => values.iter().all(|v| self.matches_one(v)),
            Some(_) => values.iter().any(|v| self.matches_one(v)),
            None if self.negated => values.iter().all(|v| self.matches_one(v)),
            None => values.iter().any(|v| self.matches_one(v)),
        }
    }

    /// Whether a token whose claim has this one value passes.
    pub fn admits(&self, value: &str) -> bool {
        self.admits_values(Some(&[value]))
    }

    /// The test names what is admitted (a positive string operator, not `Null`).
    pub fn is_positive(&self) -> bool {
        !self.negated && self.operator != "Null"
    }
}

/// What one statement requires of a web identity caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatementClaims {
    /// `Sid`, or `#index`.
    pub statement: String,
    /// Claim tests, all of which must pass.
    pub tests: Vec<ClaimTest>,
    /// Conditions on keys that are not claims of the provider (`aws:SourceIp`, `sts:RoleSessionName`,
    /// ...): the statement applies only when these hold too. Written `Operator key [values]`.
    pub also_requires: Vec<String>,
    /// No token of the provider can pass: a test on another provider's claim, or a `Null` test
    /// that asks for a claim every token carries to be absent.
    pub never: bool,
}

impl StatementClaims {
    /// The tests on `claim`.
    pub fn on<'a>(&'a self, claim: &'a str) -> impl Iterator<Item = &'a ClaimTest> + 'a {
        self.tests.iter().filter(move |t| t.claim.eq_ignore_ascii_case(claim))
    }

    /// Whether a token with these claims (each with its values; a claim not listed is absent)
    /// passes every claim test (conditions on other keys aside).
    pub fn admits_token(&self, claims: &[(&str, &[&str])]) -> bool {
        !self.never
            && self.tests.iter().all(|t| {
                t.admits_values(claims.iter().find(|(c, _)| c.eq_ignore_ascii_case(&t.claim)).map(|(_, v)| *v))
            })
    }

    /// [`StatementClaims::admits_token`] for single-valued claims.
    pub fn admits(&self, claims: &[(&str, &str)]) -> bool {
        let multi: Vec<(&str, [&str; 1])> = claims.iter().map(|(c, v)| (*c, [*v])).collect();
        let multi: Vec<(&str, &[&str])> = multi.iter().map(|(c, v)| (*c, &v[..])).collect();
        self.admits_token(&multi)
    }
}

/// The identities a provider's trust admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identities {
    /// Exactly: admitted by any of `allowed` and by none of `denied`.
    Exact {
        /// One entry per `Allow` statement that reaches the provider.
        allowed: Vec<StatementClaims>,
        /// One entry per `Deny` statement that reaches the provider.
        denied: Vec<StatementClaims>,
    },
    /// Not describable exactly, and why.
    Unknown(String),
}

/// Claims every token of the provider carries, so that `...IfExists`, `ForAllValues:`/
/// `ForAnyValue:` on them and `Null` tests read as plain tests. For GitHub: the claims GitHub puts in
/// every Actions token; for any provider: `sub` and `aud`, which OIDC requires.
pub(crate) fn always_present(host: &str, claim: &str) -> bool {
    let claim = claim.to_ascii_lowercase();
    if matches!(claim.as_str(), "sub" | "aud") {
        return true;
    }
    super::github::is_github(host)
        && matches!(
            claim.as_str(),
            "repository"
                | "repository_id"
                | "repository_owner"
                | "repository_owner_id"
                | "actor"
                | "actor_id"
                | "workflow"
                | "job_workflow_ref"
        )
}

fn describe(c: &iamspect_core::condition::Condition) -> String {
    let op = c.operator();
    let mut name = String::new();
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => name.push_str("ForAllValues:"),
        Some(SetQualifier::ForAnyValue) => name.push_str("ForAnyValue:"),
        None => {}
    }
    name.push_str(op.base.name());
    if op.if_exists {
        name.push_str("IfExists");
    }
    format!("{name} {} {:?}", c.key(), c.values())
}

/// Reads one statement's conditions for a caller of `host` (`token.actions.githubusercontent.com`,
/// `accounts.google.com`, `oidc.eks.REGION.amazonaws.com/id/X`, ...). `Err` says why the statement
/// cannot be described exactly.
///
/// `other_hosts` are the other providers the policy names: a token of `host` carries none of their
/// claim keys, so a test on one of them reads as a test on a missing key (spec §4.6: a positive
/// operator fails, a negated one or `...IfExists` passes).
pub(crate) fn statement_claims(
    stmt: &Statement,
    host: &str,
    other_hosts: &[String],
) -> Result<StatementClaims, String> {
    let label = stmt.sid().filter(|s| !s.is_empty()).map_or_else(|| format!("#{}", stmt.index()), str::to_string);
    let mut out = StatementClaims { statement: label.clone(), ..StatementClaims::default() };
    let prefix = format!("{}:", host.to_ascii_lowercase());
    for c in stmt.conditions() {
        let key = c.key().to_ascii_lowercase();
        let Some(claim) = key.strip_prefix(&prefix) else {
            let foreign = other_hosts
                .iter()
                .any(|h| !h.eq_ignore_ascii_case(host) && key.starts_with(&format!("{}:", h.to_ascii_lowercase())));
            if foreign {
                let op = c.operator();
                let absent_passes = op.if_exists
                    || op.qualifier == Some(SetQualifier::ForAllValues)
                    || op.base.is_negated()
                    || (op.base == BaseOperator::Null && c.values().iter().any(|v| v.eq_ignore_ascii_case("true")));
                if !absent_passes {
                    out.never = true;
                }
                continue;
            }
            out.also_requires.push(describe(c));
            continue;
        };
        let op = c.operator();
        let unknown = |why: &str| Err(format!("statement {label}: `{}`: {why}", describe(c)));
        if c.values().iter().any(|v| v.contains("${")) {
            return unknown("a value holds a policy variable, which takes its text from the request");
        }
        let present = always_present(host, claim);
        if op.base == BaseOperator::Null && present && c.values().iter().all(|v| v.eq_ignore_ascii_case("true")) {
            // Asks for a claim every token carries to be absent.
            out.never = true;
        }
        let (operator, glob, negated, ignore_case) = match op.base {
            BaseOperator::StringEquals => ("StringEquals", false, false, false),
            BaseOperator::StringLike => ("StringLike", true, false, false),
            BaseOperator::StringNotEquals => ("StringNotEquals", false, true, false),
            BaseOperator::StringNotLike => ("StringNotLike", true, true, false),
            BaseOperator::StringEqualsIgnoreCase => ("StringEqualsIgnoreCase", false, false, true),
            BaseOperator::StringNotEqualsIgnoreCase => ("StringNotEqualsIgnoreCase", false, true, true),
            BaseOperator::Null => ("Null", false, false, false),
            _ => return unknown("only the String operators and `Null` are described on a claim"),
        };
        out.tests.push(ClaimTest {
            claim: claim.to_string(),
            operator,
            qualifier: match op.qualifier {
                Some(SetQualifier::ForAllValues) => Some("ForAllValues"),
                Some(SetQualifier::ForAnyValue) => Some("ForAnyValue"),
                None => None,
            },
            if_exists: op.if_exists,
            glob,
            negated,
            ignore_case,
            values: c.values().to_vec(),
        });
    }
    Ok(out)
}

/// `StringLike` matching on text without policy variables: `*` any run of characters (`:` and `/`
/// included), `?` exactly one character, everything else literal and case-sensitive.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_as_string_like_does() {
        assert!(glob_matches("repo:octo/*", "repo:octo/app:ref:refs/heads/main"));
        assert!(glob_matches("repo:octo/app:*", "repo:octo/app:pull_request"));
        assert!(!glob_matches("repo:octo/app:*", "repo:octo/app2:pull_request"));
        assert!(glob_matches("repo:oct?/*", "repo:octa/x"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("a", ""));
        assert!(glob_matches("a*b*c", "aXbYbc"));
    }
}
