//! GitHub Actions identities: the repositories, branches, tags, environments and pull requests a
//! trust admits, read from the patterns of `token.actions.githubusercontent.com:sub`
//! (`repo:OWNER/REPO:ref:refs/heads/BRANCH`, `...:ref:refs/tags/TAG`, `...:environment:NAME`,
//! `...:pull_request`) and of `:repository` (`OWNER/REPO`).
//!
//! Owner and repository names never hold `/` or `:` (GitHub allows letters, digits, `-`, `_`, `.`),
//! so the owner is the text between `repo:` and the first `/`, the repository the text up to the
//! next `:`. A wildcard inside either admits names the trust's author does not control: `repo:octo*`
//! admits the organization `octo-attacker`.

use super::claims::{ClaimTest, StatementClaims};

/// GitHub's OIDC issuer host, the prefix of its condition keys.
pub const HOST: &str = "token.actions.githubusercontent.com";

/// Whether a provider host is GitHub Actions': `token.actions.githubusercontent.com`, or an
/// enterprise's own issuer under it (`token.actions.githubusercontent.com/ENTERPRISE`), whose
/// tokens have the same claims.
pub fn is_github(host: &str) -> bool {
    host == HOST || host.strip_prefix(HOST).is_some_and(|rest| rest.starts_with('/'))
}

/// How far a pattern pins a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    /// Exactly this name.
    Exact(String),
    /// Any name this glob matches (the glob as written for this part).
    Pattern(String),
    /// Any name at all.
    Any,
}

impl Name {
    fn of(text: &str) -> Name {
        if text == "*" {
            Name::Any
        } else if text.contains(['*', '?']) {
            Name::Pattern(text.to_string())
        } else {
            Name::Exact(text.to_string())
        }
    }

    /// The name, or the pattern, or `*`.
    pub fn text(&self) -> &str {
        match self {
            Name::Exact(s) | Name::Pattern(s) => s,
            Name::Any => "*",
        }
    }

    /// True only for an exact name.
    pub fn pinned(&self) -> bool {
        matches!(self, Name::Exact(_))
    }
}

/// What one `sub` or `repository` value admits, in GitHub's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// The value as written, and whether it is a glob (`StringLike`).
    pub value: String,
    /// The claim it tests: `sub` or `repository`.
    pub claim: String,
    /// `None` when the value does not have GitHub's default form (a customized subject template).
    pub owner: Option<Name>,
    /// The repository name (within the owner).
    pub repository: Option<Name>,
    /// `branch`, `tag`, `environment`, `pull_request`, `any` (any of these), `other` (a ref that
    /// is neither a branch nor a tag, or a customized subject), or `none` for a `repository` value.
    pub kind: &'static str,
    /// The branch, tag or environment name (or pattern).
    pub name: Option<String>,
}

/// Splits `text` at the first `sep`, unless a `*` comes first (a `*` can stand for the separator
/// too, so the part is not pinned).
fn part(text: &str, sep: char) -> (String, Option<String>, bool) {
    match text.find(sep) {
        Some(i) => {
            let head = &text[..i];
            (head.to_string(), Some(text[i + 1..].to_string()), head.contains('*'))
        }
        None => (text.to_string(), None, text.contains('*')),
    }
}

/// Reads one value of a `sub` test.
pub fn read_sub(value: &str, glob: bool) -> Admitted {
    let mut out = Admitted {
        value: value.to_string(),
        claim: "sub".to_string(),
        owner: None,
        repository: None,
        kind: "other",
        name: None,
    };
    let literal = |s: &str| if glob { Name::of(s) } else { Name::Exact(s.to_string()) };
    let Some(rest) = value.strip_prefix("repo:") else {
        // A value whose first characters may stand for `repo:` admits any owner: `*`, `re*`.
        if glob && value.find(['*', '?']).is_some_and(|i| "repo:".starts_with(&value[..i])) {
            out.owner = Some(Name::Any);
            out.repository = Some(Name::Any);
            out.kind = "any";
        }
        return out;
    };
    let (owner, rest, owner_star) = if glob { part(rest, '/') } else { literal_part(rest, '/') };
    if owner_star || rest.is_none() {
        // `repo:*`, `repo:oct*`: the `*` may run past the owner, so any owner with that prefix;
        // what follows the `/` still narrows the repository, as a pattern.
        out.owner = Some(if owner == "*" || owner.starts_with('*') { Name::Any } else { Name::Pattern(owner) });
        out.repository = Some(unpinned_rest(rest.as_deref(), ':'));
        out.kind = "any";
        return out;
    }
    out.owner = Some(literal(&owner));
    let rest = rest.unwrap_or_default();
    let (repo, qualifier, repo_star) = if glob { part(&rest, ':') } else { literal_part(&rest, ':') };
    if !glob && qualifier.is_none() {
        // `repo:OWNER/REPO` exactly: GitHub's subjects always go on (`:ref:...`, `:environment:...`),
        // so this value admits no token of the default form.
        out.repository = Some(Name::Exact(repo));
        return out;
    }
    if repo_star || qualifier.is_none() {
        out.repository = Some(if repo == "*" { Name::Any } else { Name::Pattern(repo) });
        out.kind = "any";
        return out;
    }
    out.repository = Some(literal(&repo));
    let q = qualifier.unwrap_or_default();
    let (kind, name) = if q == "*" {
        ("any", None)
    } else if let Some(b) = q.strip_prefix("ref:refs/heads/") {
        ("branch", Some(b.to_string()))
    } else if let Some(t) = q.strip_prefix("ref:refs/tags/") {
        ("tag", Some(t.to_string()))
    } else if let Some(e) = q.strip_prefix("environment:") {
        ("environment", Some(e.to_string()))
    } else if q == "pull_request" {
        ("pull_request", None)
    } else if glob && q.contains('*') && q.find('*').is_some_and(|i| i < 4) {
        ("any", None)
    } else {
        ("other", Some(q))
    };
    out.kind = kind;
    out.name = name;
    out
}

/// The repository after an owner with a wildcard: a pattern (the wildcard before it may stand
/// for more than the owner), or any.
fn unpinned_rest(rest: Option<&str>, sep: char) -> Name {
    match rest.map(|r| r.split(sep).next().unwrap_or(r)) {
        Some(r) if !r.is_empty() && !r.starts_with('*') => Name::Pattern(r.to_string()),
        _ => Name::Any,
    }
}

fn literal_part(text: &str, sep: char) -> (String, Option<String>, bool) {
    match text.split_once(sep) {
        Some((a, b)) => (a.to_string(), Some(b.to_string()), false),
        None => (text.to_string(), None, false),
    }
}

/// Reads one value of a `repository` test (`OWNER/REPO`).
pub fn read_repository(value: &str, glob: bool) -> Admitted {
    let (owner, repo, owner_star) = if glob { part(value, '/') } else { literal_part(value, '/') };
    let (owner, repository) = if owner_star || repo.is_none() {
        (if owner.starts_with('*') { Name::Any } else { Name::Pattern(owner) }, unpinned_rest(repo.as_deref(), '/'))
    } else {
        let repo = repo.unwrap_or_default();
        if glob { (Name::of(&owner), Name::of(&repo)) } else { (Name::Exact(owner), Name::Exact(repo)) }
    };
    Admitted {
        value: value.to_string(),
        claim: "repository".to_string(),
        owner: Some(owner),
        repository: Some(repository),
        kind: "none",
        name: None,
    }
}

/// Reads one value of a `job_workflow_ref` test (`OWNER/REPO/.github/workflows/FILE@REF`): the
/// owner and the repository are its first two segments.
pub fn read_workflow_ref(value: &str, glob: bool) -> Admitted {
    let mut out = read_repository(value, glob);
    out.claim = "job_workflow_ref".to_string();
    if let Some(Name::Exact(rest) | Name::Pattern(rest)) = &out.repository {
        let (repo, _, star) = if glob { part(rest, '/') } else { literal_part(rest, '/') };
        out.repository = Some(if repo.starts_with('*') {
            Name::Any
        } else if star || (glob && repo.contains('?')) {
            Name::Pattern(repo)
        } else {
            Name::Exact(repo)
        });
    }
    out
}

/// What an `Allow` statement admits of repositories: the reading of each positive `sub` and
/// `repository` value. Negated tests only narrow the set, so they do not widen what is flagged.
pub fn admitted(stmt: &StatementClaims) -> Vec<Admitted> {
    let mut out = Vec::new();
    for t in stmt.tests.iter().filter(|t| t.is_positive()) {
        out.extend(read_test(t));
    }
    out
}

fn read_test(t: &ClaimTest) -> Vec<Admitted> {
    if t.claim.eq_ignore_ascii_case("sub") {
        t.values.iter().map(|v| read_sub(v, t.glob)).collect()
    } else if t.claim.eq_ignore_ascii_case("repository") {
        t.values.iter().map(|v| read_repository(v, t.glob)).collect()
    } else if t.claim.eq_ignore_ascii_case("job_workflow_ref") {
        t.values.iter().map(|v| read_workflow_ref(v, t.glob)).collect()
    } else if ["repository_owner", "repository_owner_id", "enterprise", "enterprise_id"]
        .iter()
        .any(|c| t.claim.eq_ignore_ascii_case(c))
    {
        // An owner (or an enterprise, whose organizations its owners control), any repository.
        let enterprise = t.claim.to_ascii_lowercase().starts_with("enterprise");
        t.values
            .iter()
            .map(|v| {
                let owner = if t.glob && (v == "*" || v.starts_with('*')) {
                    Name::Any
                } else if t.glob && v.contains(['*', '?']) {
                    Name::Pattern(v.clone())
                } else if enterprise {
                    Name::Exact(format!("enterprise {v}"))
                } else {
                    Name::Exact(v.clone())
                };
                Admitted {
                    value: v.clone(),
                    claim: t.claim.clone(),
                    owner: Some(owner),
                    repository: Some(Name::Any),
                    kind: "none",
                    name: None,
                }
            })
            .collect()
    } else if t.claim.eq_ignore_ascii_case("repository_id") {
        // A numeric id names one repository; a wildcard in it does not.
        t.values
            .iter()
            .map(|v| {
                let any = t.glob && v.contains(['*', '?']);
                Admitted {
                    value: v.clone(),
                    claim: t.claim.clone(),
                    owner: Some(if any { Name::Any } else { Name::Exact(String::new()) }),
                    repository: Some(if any { Name::Any } else { Name::Exact(format!("id {v}")) }),
                    kind: "none",
                    name: None,
                }
            })
            .collect()
    } else {
        Vec::new()
    }
}

/// A pattern's text with each `*` and `?` filled in, so that the pattern matches it.
fn instance(pattern: &str) -> String {
    pattern.replace('*', "zzq").replace('?', "z")
}

fn tests_of(stmts: &[StatementClaims]) -> impl Iterator<Item = &ClaimTest> {
    stmts.iter().flat_map(|s| s.tests.iter()).filter(|t| t.operator != "Null")
}

/// A token of an owner no value of the policy names that the exact set admits (some `allowed`
/// statement and no `denied` one), as its `sub`; `None` when no candidate tried is admitted.
/// Candidates: owners, repositories and events filled in from the policy's own patterns, plus
/// ones it cannot name.
pub fn foreign_witness(allowed: &[StatementClaims], denied: &[StatementClaims]) -> Option<String> {
    let all: Vec<StatementClaims> = allowed.iter().chain(denied).cloned().collect();
    let mut read = Vec::new();
    for t in tests_of(&all) {
        read.extend(read_test(t));
    }
    let named: Vec<String> = read
        .iter()
        .filter_map(|a| match &a.owner {
            Some(Name::Exact(o)) => Some(o.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let mut owners = vec!["zzq-foreign".to_string()];
    let mut repos = vec!["app".to_string()];
    let mut events: Vec<String> =
        ["ref:refs/heads/main", "pull_request", "environment:prod", "ref:refs/tags/v1"].map(str::to_string).to_vec();
    for a in &read {
        if let Some(Name::Pattern(p)) = &a.owner {
            owners.push(instance(p));
        }
        if let Some(Name::Pattern(r) | Name::Exact(r)) = &a.repository {
            repos.push(instance(r));
        }
        match (a.kind, &a.name) {
            ("branch", Some(n)) => events.push(format!("ref:refs/heads/{}", instance(n))),
            ("tag", Some(n)) => events.push(format!("ref:refs/tags/{}", instance(n))),
            ("environment", Some(n)) => events.push(format!("environment:{}", instance(n))),
            _ => {}
        }
    }
    owners.retain(|o| !named.contains(&o.to_ascii_lowercase()));
    for list in [&mut owners, &mut repos, &mut events] {
        list.sort();
        list.dedup();
        list.truncate(8);
    }
    let mut auds = vec!["sts.amazonaws.com".to_string()];
    let mut others: Vec<(String, String)> = Vec::new();
    for t in tests_of(&all).filter(|t| t.is_positive()) {
        let Some(v) = t.values.first() else { continue };
        match t.claim.to_ascii_lowercase().as_str() {
            "aud" => auds.extend(t.values.iter().map(|v| instance(v))),
            "sub" | "repository" | "repository_owner" | "job_workflow_ref" | "environment" | "ref" => {}
            c => others.push((c.to_string(), instance(v))),
        }
    }
    auds.sort();
    auds.dedup();
    for owner in &owners {
        for repo in &repos {
            for event in &events {
                for aud in &auds {
                    let repository = format!("{owner}/{repo}");
                    let sub = format!("repo:{repository}:{event}");
                    let workflow = format!("{repository}/.github/workflows/deploy.yml@refs/heads/main");
                    let mut claims: Vec<(&str, &str)> = vec![
                        ("sub", &sub),
                        ("aud", aud),
                        ("repository", &repository),
                        ("repository_owner", owner),
                        ("job_workflow_ref", &workflow),
                    ];
                    if let Some(e) = event.strip_prefix("environment:") {
                        claims.push(("environment", e));
                    }
                    if let Some(r) = event.strip_prefix("ref:") {
                        claims.push(("ref", r));
                    }
                    claims.extend(others.iter().map(|(c, v)| (c.as_str(), v.as_str())));
                    if allowed.iter().any(|s| s.admits(&claims)) && !denied.iter().any(|s| s.admits(&claims)) {
                        return Some(sub);
                    }
                }
            }
        }
    }
    None
}

/// How widely one `Allow` statement admits GitHub repositories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Every owner's repositories (no positive test on `sub` or `repository` pins the owner).
    AnyOwner,
    /// Every repository of the owners it names.
    AnyRepositoryOfOwner,
    /// Not known: a `sub` value is not in GitHub's default form (an organization may customize
    /// the subject's template), so what it admits cannot be read from the text alone.
    Custom,
    /// Only the repositories it names (or a repository-name pattern within a pinned owner).
    Pinned,
}

/// The statement's reach: the narrowest of its `sub` and `repository` tests (they must all pass),
/// each test as wide as its widest value.
pub fn reach(stmt: &StatementClaims) -> Reach {
    let mut best = Reach::AnyOwner;
    // `job_workflow_ref` names the workflow that runs, which other repositories may call: it does
    // not pin the caller.
    for t in stmt.tests.iter().filter(|t| t.is_positive() && !t.claim.eq_ignore_ascii_case("job_workflow_ref")) {
        let values = read_test(t);
        if values.is_empty() {
            continue;
        }
        let widest = values
            .iter()
            .map(|a| match (&a.owner, &a.repository) {
                (Some(o), _) if !o.pinned() => Reach::AnyOwner,
                (None, _) => Reach::Custom,
                (_, Some(Name::Any)) => Reach::AnyRepositoryOfOwner,
                _ => Reach::Pinned,
            })
            .min()
            .unwrap_or(Reach::AnyOwner);
        best = best.max(widest);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::{Name, read_repository, read_sub, read_workflow_ref};

    fn owner_repo(v: &str, glob: bool) -> (Option<Name>, Option<Name>, &'static str) {
        let a = read_sub(v, glob);
        (a.owner, a.repository, a.kind)
    }

    #[test]
    fn subjects_read_as_owner_repository_and_event() {
        let exact = |s: &str| Some(Name::Exact(s.to_string()));
        assert_eq!(owner_repo("repo:o/r:ref:refs/heads/main", false), (exact("o"), exact("r"), "branch"));
        assert_eq!(owner_repo("repo:o/r:ref:refs/tags/v1", true), (exact("o"), exact("r"), "tag"));
        assert_eq!(owner_repo("repo:o/r:environment:prod", true), (exact("o"), exact("r"), "environment"));
        assert_eq!(owner_repo("repo:o/r:pull_request", true), (exact("o"), exact("r"), "pull_request"));
        assert_eq!(owner_repo("repo:o/r:*", true), (exact("o"), exact("r"), "any"));
        assert_eq!(owner_repo("repo:o/*", true), (exact("o"), Some(Name::Any), "any"));
        assert_eq!(owner_repo("repo:o/*:ref:refs/heads/main", true), (exact("o"), Some(Name::Any), "any"));
        assert_eq!(owner_repo("repo:o/app-*", true), (exact("o"), Some(Name::Pattern("app-*".into())), "any"));
        assert_eq!(owner_repo("repo:*", true).0, Some(Name::Any));
        assert_eq!(owner_repo("repo:o*", true).0, Some(Name::Pattern("o*".into())));
        assert_eq!(owner_repo("repo:?/r:*", true).0, Some(Name::Pattern("?".into())));
        assert_eq!(owner_repo("*", true).0, Some(Name::Any));
        assert_eq!(owner_repo("re*", true).0, Some(Name::Any));
        // `*` is literal text under StringEquals.
        assert_eq!(owner_repo("repo:*/r:pull_request", false), (exact("*"), exact("r"), "pull_request"));
        // Not GitHub's default form: no owner is read.
        assert_eq!(owner_repo("repository_owner_id:1:*", true).0, None);
        assert_eq!(owner_repo("repo:o/r", false), (exact("o"), exact("r"), "other"));
    }

    #[test]
    fn repository_and_workflow_values() {
        let a = read_repository("o/r", false);
        assert_eq!((a.owner, a.repository), (Some(Name::Exact("o".into())), Some(Name::Exact("r".into()))));
        assert_eq!(read_repository("*/r", true).owner, Some(Name::Any));
        assert_eq!(read_repository("o/*", true).repository, Some(Name::Any));
        let w = read_workflow_ref("o/r/.github/workflows/d.yml@refs/heads/main", false);
        assert_eq!(w.repository, Some(Name::Exact("r".into())));
        assert_eq!(read_workflow_ref("o/*/.github/workflows/d.yml@*", true).repository, Some(Name::Any));
    }
}
