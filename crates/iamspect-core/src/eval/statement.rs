//! Does one statement apply to the request? Checked cheapest first: action, resource, principal,
//! then conditions. No allocation.

use crate::arn::Arn;
use crate::condition::Outcome;
use crate::policy::{AwsPrincipal, Effect, PrincipalBlock, PrincipalEntry, Statement};
use crate::request::{PrincipalKind, Request};

/// How a resource-based policy's `Principal` reached the caller; it decides which other policies
/// still limit the grant (spec §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantKind {
    /// The account: the account's own policies must grant too.
    Account,
    /// The role of a session, or the IAM user behind a federated user: boundaries and session
    /// policies still apply, identity policies do not need to allow.
    RoleOrParent,
    /// The caller itself (user, session, federated user, service, `"*"`): nothing else needs to allow.
    Direct,
}

/// Why a statement did or did not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementOutcome {
    /// It applies; for statements with a `Principal`, how the caller was reached.
    Matched(Option<GrantKind>),
    /// `Action`/`NotAction` does not cover the action.
    ActionNotMatched,
    /// `Resource`/`NotResource` does not cover the resource.
    ResourceNotMatched,
    /// `Principal`/`NotPrincipal` does not cover the caller.
    PrincipalNotMatched,
    /// The condition at this index is false.
    ConditionFailed(usize),
    /// The condition at this index could not read a request value (decision D8); the statement
    /// counts as applying if it is a `Deny` and as not applying if it is an `Allow`.
    ConditionTypeError(usize),
}

impl StatementOutcome {
    /// True if the statement takes effect.
    pub fn applies(self, effect: Effect) -> bool {
        match self {
            StatementOutcome::Matched(_) => true,
            StatementOutcome::ConditionTypeError(_) => effect == Effect::Deny,
            _ => false,
        }
    }
}

pub(crate) fn evaluate(stmt: &Statement, req: &Request, has_boundary: bool) -> StatementOutcome {
    let action_hit = stmt.action.items.iter().any(|a| a.pattern.matches(&req.action_lower, false, &req.context));
    evaluate_after_action(stmt, action_hit, req, req.resource_arn(), has_boundary)
}

/// [`evaluate`] with the action already tested: `action_hit` is true when an entry of
/// `Action`/`NotAction` covers the request's action (the action index tests only the entries of
/// the request's service, decision D75).
pub(crate) fn evaluate_after_action(
    stmt: &Statement,
    action_hit: bool,
    req: &Request,
    arn: Option<Arn<'_>>,
    has_boundary: bool,
) -> StatementOutcome {
    if action_hit == stmt.action.not {
        return StatementOutcome::ActionNotMatched;
    }
    if let Some(res) = &stmt.resource {
        let hit = res.items.iter().any(|r| r.pattern.matches_split(&req.resource, arn, &req.context));
        if hit == res.not {
            return StatementOutcome::ResourceNotMatched;
        }
    }
    let grant = match &stmt.principal {
        None => None,
        Some(block) => match principal_match(block, req, has_boundary) {
            Some(kind) => Some(kind),
            None => return StatementOutcome::PrincipalNotMatched,
        },
    };
    let mut type_error = None;
    for (i, cond) in stmt.conditions.iter().enumerate() {
        match cond.evaluate(&req.context) {
            Outcome::True => {}
            Outcome::False => return StatementOutcome::ConditionFailed(i),
            Outcome::TypeError => {
                // A Deny fails closed (applies); an Allow does not apply. Keep looking for a plainly
                // false condition, which decides either way.
                type_error.get_or_insert(i);
            }
        }
    }
    match type_error {
        Some(i) => StatementOutcome::ConditionTypeError(i),
        None => StatementOutcome::Matched(grant),
    }
}

/// How `Principal` (or `NotPrincipal`) reaches the caller, if it does.
pub(crate) fn principal_match(block: &PrincipalBlock, req: &Request, has_boundary: bool) -> Option<GrantKind> {
    let principal = &req.principal;
    if block.not {
        // Decision D13: a caller with a permissions boundary is never exempted.
        if has_boundary && principal.is_iam() {
            return Some(GrantKind::Direct);
        }
        return if not_principal_exempts(block, req) { None } else { Some(GrantKind::Direct) };
    }
    block
        .entries
        .iter()
        .filter_map(|(entry, _)| {
            let kind = entry_match(entry, req)?;
            // Decision D56: a role trust policy that names an IAM user (by ARN or unique id)
            // leaves the user's permissions boundary in force: it must allow the trust action.
            let names_user = matches!(
                (entry, &principal.kind),
                (PrincipalEntry::Aws(AwsPrincipal::User(_) | AwsPrincipal::UniqueId(_)), PrincipalKind::User { .. })
            );
            if names_user && kind == GrantKind::Direct && super::authorizer::is_trust_request(req) {
                return Some(GrantKind::RoleOrParent);
            }
            Some(kind)
        })
        .max()
}

fn entry_match(entry: &PrincipalEntry, req: &Request) -> Option<GrantKind> {
    let principal = &req.principal;
    match entry {
        PrincipalEntry::Everyone => Some(GrantKind::Direct),
        PrincipalEntry::Aws(aws) => {
            // Decision D7: `{"AWS": "*"}` reaches AWS identities and anonymous callers, not services
            // or identity-provider users.
            if matches!(principal.kind, PrincipalKind::Service { .. } | PrincipalKind::Federated { .. }) {
                return None;
            }
            aws_match(aws, req)
        }
        PrincipalEntry::Service(name) => match &principal.kind {
            PrincipalKind::Service { name: caller } if caller.eq_ignore_ascii_case(name) => Some(GrantKind::Direct),
            _ => None,
        },
        PrincipalEntry::Federated(provider) => match &principal.kind {
            PrincipalKind::Federated { provider: caller } if caller == provider => Some(GrantKind::Direct),
            _ => None,
        },
        PrincipalEntry::CanonicalUser(_) => None,
    }
}

fn aws_match(aws: &AwsPrincipal, req: &Request) -> Option<GrantKind> {
    let principal = &req.principal;
    match (aws, &principal.kind) {
        (AwsPrincipal::Any, _) => Some(GrantKind::Direct),
        (AwsPrincipal::Account(a), _) if principal.account() == Some(a.as_str()) => Some(GrantKind::Account),
        (AwsPrincipal::User(arn), PrincipalKind::User { arn: caller, .. }) if arn == caller => Some(GrantKind::Direct),
        (AwsPrincipal::User(arn), PrincipalKind::FederatedUser { parent_user: Some(parent), .. }) if arn == parent => {
            Some(GrantKind::RoleOrParent)
        }
        (AwsPrincipal::Role { account, name, .. }, PrincipalKind::RoleSession { account: ca, role_name, .. })
            if account == ca && name == role_name =>
        {
            Some(GrantKind::RoleOrParent)
        }
        (AwsPrincipal::Session(arn), PrincipalKind::RoleSession { session_name: Some(_), .. })
            if *arn == principal.arn() =>
        {
            Some(GrantKind::Direct)
        }
        (AwsPrincipal::FederatedUser(arn), PrincipalKind::FederatedUser { arn: caller, .. }) if arn == caller => {
            Some(GrantKind::Direct)
        }
        (AwsPrincipal::UniqueId(id), PrincipalKind::User { .. }) if principal.id.as_deref() == Some(id) => {
            Some(GrantKind::Direct)
        }
        (AwsPrincipal::UniqueId(id), PrincipalKind::RoleSession { .. }) if principal.id.as_deref() == Some(id) => {
            Some(GrantKind::RoleOrParent)
        }
        _ => None,
    }
}

/// Decision D13: the caller is exempt from a `NotPrincipal` deny only if the list names every
/// identity AWS checks for it.
fn not_principal_exempts(block: &PrincipalBlock, req: &Request) -> bool {
    let principal = &req.principal;
    let listed = |pred: &dyn Fn(&PrincipalEntry) -> bool| block.entries.iter().any(|(e, _)| pred(e));
    if listed(&|e| matches!(e, PrincipalEntry::Everyone)) {
        return true;
    }
    // Decision D7: `{"AWS": "*"}` names every AWS identity and anonymous callers, not services or
    // identity-provider users.
    let aws_caller = !matches!(principal.kind, PrincipalKind::Service { .. } | PrincipalKind::Federated { .. });
    if aws_caller && listed(&|e| matches!(e, PrincipalEntry::Aws(AwsPrincipal::Any))) {
        return true;
    }
    let account_listed =
        |account: &str| listed(&|e| matches!(e, PrincipalEntry::Aws(AwsPrincipal::Account(a)) if a == account));
    let kind_listed = |want: GrantKind| {
        listed(&|e| match e {
            PrincipalEntry::Aws(aws) => aws_match(aws, req) == Some(want) && !matches!(aws, AwsPrincipal::Account(_)),
            _ => false,
        })
    };
    match &principal.kind {
        PrincipalKind::Root { account } => account_listed(account),
        PrincipalKind::User { account, .. } | PrincipalKind::FederatedUser { account, .. } => {
            account_listed(account) && kind_listed(GrantKind::Direct)
        }
        PrincipalKind::RoleSession { account, session_name, .. } => {
            account_listed(account)
                && kind_listed(GrantKind::RoleOrParent)
                && (session_name.is_none() || kind_listed(GrantKind::Direct))
        }
        PrincipalKind::Service { .. } | PrincipalKind::Federated { .. } => {
            block.entries.iter().any(|(e, _)| entry_match(e, req).is_some())
        }
        PrincipalKind::Anonymous => false,
    }
}

/// Why a `NotPrincipal` deny applies to the caller (decision D57): the identities AWS may check
/// for it that the list does not name, or that the caller has a permissions boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotPrincipalDetail {
    /// The caller's own ARN (user, session, federated user) is in the list.
    pub caller_listed: bool,
    /// The ARNs AWS may check, in the order it may check them (account, role, caller), that the
    /// list does not name.
    pub missing: Vec<String>,
    /// The caller has a permissions boundary: the statement applies whatever the list says.
    pub boundary: bool,
}

/// The identities AWS may validate for the caller, account first (decision D13), each with
/// whether `block` names it.
pub(crate) fn not_principal_detail(block: &PrincipalBlock, req: &Request, has_boundary: bool) -> NotPrincipalDetail {
    let principal = &req.principal;
    let listed = |pred: &dyn Fn(&PrincipalEntry) -> bool| block.entries.iter().any(|(e, _)| pred(e));
    let kind_listed = |want: GrantKind| {
        listed(&|e| match e {
            PrincipalEntry::Aws(aws) => aws_match(aws, req) == Some(want) && !matches!(aws, AwsPrincipal::Account(_)),
            _ => false,
        })
    };
    let mut checks: Vec<(String, bool)> = Vec::new();
    if let Some(account) = principal.account() {
        let partition = match &principal.kind {
            PrincipalKind::RoleSession { role_arn, .. } => role_arn.split(':').nth(1).unwrap_or("aws").to_string(),
            PrincipalKind::User { arn, .. } | PrincipalKind::FederatedUser { arn, .. } => {
                arn.split(':').nth(1).unwrap_or("aws").to_string()
            }
            _ => "aws".to_string(),
        };
        let account_listed = listed(&|e| matches!(e, PrincipalEntry::Aws(AwsPrincipal::Account(a)) if a == account));
        checks.push((format!("arn:{partition}:iam::{account}:root"), account_listed));
    }
    let caller = match &principal.kind {
        PrincipalKind::User { arn, .. } | PrincipalKind::FederatedUser { arn, .. } => {
            Some((arn.clone(), kind_listed(GrantKind::Direct)))
        }
        PrincipalKind::RoleSession { role_arn, session_name, .. } => {
            checks.push((role_arn.clone(), kind_listed(GrantKind::RoleOrParent)));
            session_name.as_ref().map(|_| (principal.arn(), kind_listed(GrantKind::Direct)))
        }
        _ => None,
    };
    let caller_listed = caller.as_ref().is_some_and(|(_, l)| *l);
    checks.extend(caller);
    NotPrincipalDetail {
        caller_listed,
        missing: checks.into_iter().filter(|(_, l)| !l).map(|(arn, _)| arn).collect(),
        boundary: has_boundary && principal.is_iam(),
    }
}
