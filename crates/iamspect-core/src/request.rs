//! The request context: who calls, which action on which resource, and the condition keys.
//!
//! [`Request::new`] fills in the keys AWS always sets and that follow from the request
//! (`aws:PrincipalArn`, `aws:PrincipalType`, `aws:PrincipalTag/*`, `aws:ResourceAccount`, ...), unless
//! the caller gave them. Keys that depend on the network or the clock are never invented.

use crate::arn::Arn;
use crate::pattern::Variables;

/// Who makes the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An IAM user, `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    User {
        /// The user's ARN.
        arn: String,
        /// The account id.
        account: String,
        /// The user name (without path).
        name: String,
    },
    /// A role acting through a session (`assumed-role/ROLE/SESSION`), or a role ARN standing for
    /// one of its sessions.
    RoleSession {
        /// `arn:aws:iam::ACCOUNT:role/PATH/NAME` (the path is unknown when only the session ARN was given).
        role_arn: String,
        /// The account id.
        account: String,
        /// The role name.
        role_name: String,
        /// The role's path (`/` when unknown).
        role_path: String,
        /// The session name, when known.
        session_name: Option<String>,
    },
    /// An STS federated-user session, `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    FederatedUser {
        /// The session's ARN.
        arn: String,
        /// The account id.
        account: String,
        /// The federated user name.
        name: String,
        /// The IAM user that called `GetFederationToken`, when known.
        parent_user: Option<String>,
    },
    /// The root user of an account.
    Root {
        /// The account id.
        account: String,
    },
    /// An AWS service principal calling directly, such as `lambda.amazonaws.com`.
    Service {
        /// The service principal name.
        name: String,
    },
    /// An identity provider's user calling `AssumeRoleWithWebIdentity` or `AssumeRoleWithSAML`.
    Federated {
        /// The provider: a host such as `accounts.google.com`, or an `oidc-provider`/`saml-provider` ARN.
        provider: String,
    },
    /// An unsigned request.
    Anonymous,
}

/// The caller and what is known about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// What kind of caller it is.
    pub kind: PrincipalKind,
    /// The principal's tags (a role session's include its session tags).
    pub tags: Vec<(String, String)>,
    /// A service-linked role (its path is `/aws-service-role/`).
    pub service_linked_role: bool,
    /// The caller's account is its organization's management account.
    pub management_account: bool,
    /// The unique id (`AIDA...` for users, `AROA...` for roles), when known.
    pub id: Option<String>,
}

/// Why a request could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The principal text names no principal iamspect knows.
    #[error(
        "principal `{0}` is not a user, role, role session, federated user, root user, service principal, identity provider or `anonymous`"
    )]
    Principal(String),
    /// The action is not `service:Action`.
    #[error("action `{0}` is not of the form `service:Action`")]
    Action(String),
    /// The action holds a wildcard.
    #[error("action `{0}` holds a wildcard; a request names exactly one action")]
    ActionWildcard(String),
    /// The resource is neither an ARN nor `*`.
    #[error("resource `{0}` is not an ARN or `*`")]
    Resource(String),
}

impl Principal {
    /// A principal of the given kind with no tags or flags.
    pub fn new(kind: PrincipalKind) -> Principal {
        let service_linked_role = matches!(&kind, PrincipalKind::RoleSession { role_path, .. } if role_path.starts_with("/aws-service-role/"));
        Principal { kind, tags: Vec::new(), service_linked_role, management_account: false, id: None }
    }

    /// Reads a principal as the case format writes it (see `case-format.md`).
    pub fn parse(text: &str) -> Result<Principal, RequestError> {
        let bad = || RequestError::Principal(text.to_string());
        let kind = if text == "anonymous" {
            PrincipalKind::Anonymous
        } else if let Some(arn) = Arn::parse(text) {
            match (arn.service, arn.resource.split_once('/')) {
                ("iam", _) if arn.resource == "root" => PrincipalKind::Root { account: arn.account.to_string() },
                ("iam", Some(("user", rest))) => {
                    let name = rest.rsplit('/').next().unwrap_or(rest);
                    if name.is_empty() {
                        return Err(bad());
                    }
                    PrincipalKind::User {
                        arn: text.to_string(),
                        account: arn.account.to_string(),
                        name: name.to_string(),
                    }
                }
                ("iam", Some(("role", rest))) => {
                    let (path, name) = match rest.rsplit_once('/') {
                        Some((path, name)) => (format!("/{path}/"), name),
                        None => ("/".to_string(), rest),
                    };
                    if name.is_empty() {
                        return Err(bad());
                    }
                    PrincipalKind::RoleSession {
                        role_arn: text.to_string(),
                        account: arn.account.to_string(),
                        role_name: name.to_string(),
                        role_path: path,
                        session_name: None,
                    }
                }
                ("iam", Some(("oidc-provider" | "saml-provider", _))) => {
                    PrincipalKind::Federated { provider: text.to_string() }
                }
                ("sts", Some(("assumed-role", rest))) => {
                    let Some((role, session)) = rest.split_once('/') else {
                        return Err(bad());
                    };
                    if role.is_empty() || session.is_empty() {
                        return Err(bad());
                    }
                    PrincipalKind::RoleSession {
                        role_arn: format!("arn:{}:iam::{}:role/{}", arn.partition, arn.account, role),
                        account: arn.account.to_string(),
                        role_name: role.to_string(),
                        role_path: "/".to_string(),
                        session_name: Some(session.to_string()),
                    }
                }
                ("sts", Some(("federated-user", name))) if !name.is_empty() => PrincipalKind::FederatedUser {
                    arn: text.to_string(),
                    account: arn.account.to_string(),
                    name: name.to_string(),
                    parent_user: None,
                },
                _ => return Err(bad()),
            }
        } else if text.ends_with(".amazonaws.com") && !text.contains(['/', ':', ' ']) {
            PrincipalKind::Service { name: text.to_string() }
        } else if !text.is_empty() && !text.starts_with("arn:") && !text.contains(' ') {
            PrincipalKind::Federated { provider: text.to_string() }
        } else {
            return Err(bad());
        };
        Ok(Principal::new(kind))
    }

    /// The account the principal belongs to (none for services, identity providers and anonymous).
    pub fn account(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::User { account, .. }
            | PrincipalKind::RoleSession { account, .. }
            | PrincipalKind::FederatedUser { account, .. }
            | PrincipalKind::Root { account } => Some(account),
            _ => None,
        }
    }

    /// The ARN AWS prints in messages and `GetCallerIdentity` (the session ARN for a role session).
    pub fn arn(&self) -> String {
        match &self.kind {
            PrincipalKind::User { arn, .. } | PrincipalKind::FederatedUser { arn, .. } => arn.clone(),
            PrincipalKind::RoleSession { role_arn, account, role_name, session_name, .. } => match session_name {
                Some(s) => format!("arn:{}:sts::{account}:assumed-role/{role_name}/{s}", partition_of(role_arn)),
                None => role_arn.clone(),
            },
            PrincipalKind::Root { account } => format!("arn:aws:iam::{account}:root"),
            PrincipalKind::Service { name } => name.clone(),
            PrincipalKind::Federated { provider } => provider.clone(),
            PrincipalKind::Anonymous => "anonymous".to_string(),
        }
    }

    /// True for principals of an AWS account that IAM policies can be attached to (or the root user).
    pub fn is_iam(&self) -> bool {
        self.account().is_some()
    }
}

fn partition_of(arn: &str) -> &str {
    Arn::parse(arn).map_or("aws", |a| a.partition)
}

/// Condition keys and their values. Keys are compared case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Sorted by lower-case key.
    entries: Vec<ContextEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ContextEntry {
    /// [`key_hash`] of `lower`: lookups compare hashes first.
    hash: u64,
    lower: Box<str>,
    key: Box<str>,
    values: Vec<Box<str>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a key (replacing any value it had).
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        let lower: Box<str> = key.to_ascii_lowercase().into();
        let values = values.into_iter().map(String::into_boxed_str).collect();
        match self.entries.binary_search_by(|e| e.lower.cmp(&lower)) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.values = values;
                }
            }
            Err(i) => self.entries.insert(i, ContextEntry { hash: key_hash(&lower), lower, key: key.into(), values }),
        }
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        let lower = key.to_ascii_lowercase();
        self.entries.retain(|e| *e.lower != *lower);
    }

    fn insert_default(&mut self, key: &str, value: &str) {
        if !self.contains(key) {
            self.insert(key, vec![value.to_string()]);
        }
    }

    /// True if the key is present (even with no values).
    pub fn contains(&self, key: &str) -> bool {
        let lower = key.to_ascii_lowercase();
        self.get(&lower).is_some()
    }

    /// The values of a key given in lower case.
    pub(crate) fn get(&self, lower: &str) -> Option<&[Box<str>]> {
        self.get_hashed(key_hash(lower), lower)
    }

    /// [`Context::get`] with the key's hash computed beforehand (condition keys hash theirs once,
    /// when the policy is compiled). A scan of a few dozen `u64`s beats a binary search of keys
    /// that all start with `aws:`.
    pub(crate) fn get_hashed(&self, hash: u64, lower: &str) -> Option<&[Box<str>]> {
        self.entries.iter().find(|e| e.hash == hash && *e.lower == *lower).map(|e| e.values.as_slice())
    }

    /// Every key as first written, with its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Box<str>])> {
        self.entries.iter().map(|e| (&*e.key, e.values.as_slice()))
    }
}

/// FNV-1a over the bytes of a lower-cased key.
pub(crate) fn key_hash(lower: &str) -> u64 {
    lower.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Variables for Context {
    fn single_value(&self, key_lower: &str) -> Option<&str> {
        match self.get(key_lower) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    fn single_value_hashed(&self, hash: u64, key_lower: &str) -> Option<&str> {
        match self.get_hashed(hash, key_lower) {
            Some([one]) => Some(one),
            _ => None,
        }
    }
}

/// One authorization request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub(crate) principal: Principal,
    pub(crate) action: String,
    /// The action with ASCII letters in lower case: action entries are compiled in lower case, so
    /// they compare with it byte for byte (the same answer as folding case while comparing).
    pub(crate) action_lower: Box<str>,
    pub(crate) resource: String,
    pub(crate) resource_account: Option<String>,
    pub(crate) context: Context,
    /// Where the resource ARN's segments end (byte offsets of its five colons), split once.
    resource_colons: Option<[usize; 5]>,
}

impl Request {
    /// Builds a request and fills in the context keys that follow from it.
    pub fn new(
        principal: Principal,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        mut context: Context,
    ) -> Result<Request, RequestError> {
        match action.split_once(':') {
            Some((service, name)) if !service.is_empty() && !name.is_empty() && !name.contains(':') => {}
            _ => return Err(RequestError::Action(action.to_string())),
        }
        if action.contains(['*', '?']) {
            return Err(RequestError::ActionWildcard(action.to_string()));
        }
        if resource != "*" && Arn::parse(resource).is_none() {
            return Err(RequestError::Resource(resource.to_string()));
        }
        let resource_account = resource_account
            .map(str::to_string)
            .or_else(|| {
                Arn::parse(resource).map(|a| a.account).filter(|a| !a.is_empty() && *a != "aws").map(str::to_string)
            })
            .or_else(|| principal.account().map(str::to_string));
        fill_context(&principal, resource_account.as_deref(), &mut context);
        let resource_colons = colons(resource);
        Ok(Request {
            principal,
            action: action.to_string(),
            action_lower: action.to_ascii_lowercase().into(),
            resource: resource.to_string(),
            resource_account,
            context,
            resource_colons,
        })
    }

    /// The resource split into ARN segments (without parsing it again).
    pub(crate) fn resource_arn(&self) -> Option<Arn<'_>> {
        let [c0, c1, c2, c3, c4] = self.resource_colons?;
        let r = &self.resource;
        Some(Arn {
            partition: r.get(c0 + 1..c1)?,
            service: r.get(c1 + 1..c2)?,
            region: r.get(c2 + 1..c3)?,
            account: r.get(c3 + 1..c4)?,
            resource: r.get(c4 + 1..)?,
        })
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The action, `service:Action`.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The service prefix of the action, as written.
    pub fn service(&self) -> &str {
        self.action.split_once(':').map_or("", |(s, _)| s)
    }

    /// The resource ARN or `*`.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The account that owns the resource.
    pub fn resource_account(&self) -> Option<&str> {
        self.resource_account.as_deref()
    }

    /// The full context, including the keys the engine filled in.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The principal and the resource belong to the same account.
    pub fn is_same_account(&self) -> bool {
        match (self.principal.account(), self.resource_account()) {
            (Some(p), Some(r)) => p == r,
            _ => false,
        }
    }
}

/// The byte offsets of the first five colons of an ARN (the one after `arn` included).
fn colons(text: &str) -> Option<[usize; 5]> {
    if !text.starts_with("arn:") {
        return None;
    }
    let mut out = [0usize; 5];
    let mut it = text.match_indices(':').map(|(i, _)| i);
    for slot in &mut out {
        *slot = it.next()?;
    }
    Some(out)
}

fn fill_context(principal: &Principal, resource_account: Option<&str>, ctx: &mut Context) {
    match &principal.kind {
        PrincipalKind::User { arn, account, name } => {
            ctx.insert_default("aws:PrincipalArn", arn);
            ctx.insert_default("aws:PrincipalAccount", account);
            ctx.insert_default("aws:PrincipalType", "User");
            ctx.insert_default("aws:username", name);
            if let Some(id) = &principal.id {
                ctx.insert_default("aws:userid", id);
            }
        }
        PrincipalKind::RoleSession { role_arn, account, session_name, .. } => {
            ctx.insert_default("aws:PrincipalArn", role_arn);
            ctx.insert_default("aws:PrincipalAccount", account);
            ctx.insert_default("aws:PrincipalType", "AssumedRole");
            if let (Some(id), Some(session)) = (&principal.id, session_name) {
                ctx.insert_default("aws:userid", &format!("{id}:{session}"));
            }
        }
        PrincipalKind::FederatedUser { arn, account, name, .. } => {
            ctx.insert_default("aws:PrincipalArn", arn);
            ctx.insert_default("aws:PrincipalAccount", account);
            ctx.insert_default("aws:PrincipalType", "FederatedUser");
            ctx.insert_default("aws:userid", &format!("{account}:{name}"));
        }
        PrincipalKind::Root { account } => {
            ctx.insert_default("aws:PrincipalArn", &format!("arn:aws:iam::{account}:root"));
            ctx.insert_default("aws:PrincipalAccount", account);
            ctx.insert_default("aws:PrincipalType", "Account");
            ctx.insert_default("aws:userid", account);
        }
        PrincipalKind::Service { name } => {
            ctx.insert_default("aws:PrincipalIsAWSService", "true");
            ctx.insert_default("aws:PrincipalServiceName", name);
        }
        PrincipalKind::Federated { provider } => {
            if !provider.contains("saml-provider") {
                ctx.insert_default("aws:FederatedProvider", provider);
            }
        }
        PrincipalKind::Anonymous => {
            ctx.insert_default("aws:PrincipalAccount", "anonymous");
            ctx.insert_default("aws:PrincipalType", "Anonymous");
            ctx.insert_default("aws:userid", "anonymous");
        }
    }
    if principal.is_iam() {
        ctx.insert_default("aws:PrincipalIsAWSService", "false");
    }
    for (k, v) in &principal.tags {
        ctx.insert_default(&format!("aws:PrincipalTag/{k}"), v);
    }
    if let Some(account) = resource_account {
        ctx.insert_default("aws:ResourceAccount", account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals() {
        let s = Principal::parse("arn:aws:sts::111122223333:assumed-role/Dev/alice").unwrap();
        assert_eq!(s.arn(), "arn:aws:sts::111122223333:assumed-role/Dev/alice");
        let r = Request::new(s, "s3:GetObject", "arn:aws:s3:::b/k", None, Context::new()).unwrap();
        assert_eq!(r.context.single_value("aws:principalarn"), Some("arn:aws:iam::111122223333:role/Dev"));
        assert_eq!(r.resource_account(), Some("111122223333"));
        let slr = Principal::parse("arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R").unwrap();
        assert!(slr.service_linked_role);
        assert!(matches!(Principal::parse("lambda.amazonaws.com").unwrap().kind, PrincipalKind::Service { .. }));
        assert!(matches!(Principal::parse("accounts.google.com").unwrap().kind, PrincipalKind::Federated { .. }));
        assert!(Principal::parse("arn:aws:s3:::bucket").is_err());
    }
}
