//! The credential store: access key ids mapped to secrets and principals.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use jiff::Timestamp;

/// One set of AWS credentials known to the gate.
///
/// Long-term keys of IAM users have ids starting with `AKIA`; temporary credentials issued by STS
/// have ids starting with `ASIA` and carry a [`Session`]. The store refuses an `AKIA` id with a
/// session and an `ASIA` id without one; other prefixes (test keys such as `AKIDEXAMPLE`) may be of
/// either kind.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The access key id, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub access_key_id: String,
    /// The secret access key the request must be signed with.
    pub secret_access_key: String,
    /// The principal the key authenticates as: an IAM user ARN
    /// (`arn:aws:iam::123456789012:user/alice`) for a long-term key, or the session ARN
    /// (`arn:aws:sts::123456789012:assumed-role/Role/session`) for temporary credentials.
    pub principal_arn: String,
    /// `Some` for temporary credentials.
    pub session: Option<Session>,
}

/// What temporary credentials carry besides the key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session token the request must present (`X-Amz-Security-Token`).
    pub token: String,
    /// When the credentials stop working. A request at or after this instant fails with
    /// `ExpiredToken`.
    pub expiration: Timestamp,
    /// When the credentials were issued (`aws:TokenIssueTime`), if known.
    pub issued_at: Option<Timestamp>,
    /// The role ARN (`arn:aws:iam::A:role/R`) or user ARN the session was issued for, if known.
    pub issuer_arn: Option<String>,
    /// Inline session policy documents (JSON text) passed when the session was created.
    pub session_policies: Vec<String>,
    /// Managed session policy ARNs passed when the session was created.
    pub session_policy_arns: Vec<String>,
    /// Session tags, in the order given (`aws:PrincipalTag/*` for later requests).
    pub tags: Vec<(String, String)>,
    /// Keys of the tags that are transitive to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// Whether MFA was used to obtain the session (`aws:MultiFactorAuthPresent`).
    pub mfa_authenticated: bool,
    /// The source identity, if one was set.
    pub source_identity: Option<String>,
}

impl Session {
    /// A session with only a token and an expiry; every other field empty.
    pub fn new(token: impl Into<String>, expiration: Timestamp) -> Self {
        Self {
            token: token.into(),
            expiration,
            issued_at: None,
            issuer_arn: None,
            session_policies: Vec::new(),
            session_policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            mfa_authenticated: false,
            source_identity: None,
        }
    }
}

impl Credential {
    /// A long-term access key of an IAM user.
    pub fn long_term(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        user_arn: impl Into<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            principal_arn: user_arn.into(),
            session: None,
        }
    }

    /// Temporary credentials for a session principal.
    pub fn temporary(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_arn: impl Into<String>,
        session: Session,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            principal_arn: session_arn.into(),
            session: Some(session),
        }
    }

    /// Whether these are temporary credentials.
    pub fn is_temporary(&self) -> bool {
        self.session.is_some()
    }

    /// Whether temporary credentials have expired at `now` (never for long-term keys).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.session.as_ref().is_some_and(|s| now >= s.expiration)
    }
}

impl fmt::Debug for Credential {
    /// Never prints the secret or the session token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("principal_arn", &self.principal_arn)
            .field("session", &self.session.as_ref().map(|s| (s.expiration, "<token redacted>")))
            .finish()
    }
}

/// Why the store refused a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The access key id or the secret is empty.
    #[error("the access key id and the secret access key must not be empty")]
    Empty,
    /// An `AKIA` key with a session, or an `ASIA` key without one.
    #[error("access key id {0}: `AKIA` keys are long-term (no session), `ASIA` keys are temporary (with a session)")]
    KindMismatch(String),
    /// Temporary credentials with an empty session token.
    #[error("access key id {0}: temporary credentials need a session token")]
    EmptyToken(String),
}

/// Access key ids mapped to credentials. Safe to share between threads (`Arc<CredentialStore>`):
/// lookups take a read lock, [`add`](Self::add) and [`remove`](Self::remove) a write lock.
#[derive(Default)]
pub struct CredentialStore {
    keys: RwLock<HashMap<String, Arc<Credential>>>,
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore").field("len", &self.len()).finish()
    }
}

impl CredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a credential; returns the one it replaced.
    ///
    /// # Errors
    /// [`StoreError`] when the id or secret is empty, the session token is empty, or the id's
    /// `AKIA`/`ASIA` prefix disagrees with the presence of a session.
    pub fn add(&self, credential: Credential) -> Result<Option<Arc<Credential>>, StoreError> {
        if credential.access_key_id.is_empty() || credential.secret_access_key.is_empty() {
            return Err(StoreError::Empty);
        }
        let id = &credential.access_key_id;
        let temporary = credential.is_temporary();
        if (id.starts_with("AKIA") && temporary) || (id.starts_with("ASIA") && !temporary) {
            return Err(StoreError::KindMismatch(id.clone()));
        }
        if credential.session.as_ref().is_some_and(|s| s.token.is_empty()) {
            return Err(StoreError::EmptyToken(id.clone()));
        }
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.insert(credential.access_key_id.clone(), Arc::new(credential)))
    }

    /// Removes a credential; returns it if it was there.
    pub fn remove(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.remove(access_key_id)
    }

    /// The credential for an access key id.
    pub fn get(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        keys.get(access_key_id).cloned()
    }

    /// Removes every temporary credential expired at `now`; returns how many were removed.
    pub fn remove_expired(&self, now: Timestamp) -> usize {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        let before = keys.len();
        keys.retain(|_, c| !c.is_expired(now));
        before - keys.len()
    }

    /// How many credentials the store holds.
    pub fn len(&self) -> usize {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
