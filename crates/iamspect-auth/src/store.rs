//! The credential store: access key ids mapped to secrets and principals.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use jiff::{SignedDuration, Timestamp};

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
    /// For a session from `AssumeRoleWithWebIdentity`, the identity provider
    /// (`aws:FederatedProvider`): the `oidc-provider` ARN, or the host of a built-in provider.
    pub federated_provider: Option<String>,
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
            federated_provider: None,
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
    /// The store already holds its maximum of live temporary credentials.
    #[error("the store holds its maximum of {0} live temporary credentials; more are issued as these expire")]
    Full(usize),
}

/// The most temporary credentials a store holds unless told otherwise
/// ([`CredentialStore::set_max_temporary`]).
pub const DEFAULT_MAX_TEMPORARY: usize = 100_000;

/// How long expired temporary credentials are kept, unless told otherwise
/// ([`CredentialStore::set_expired_retention`]): while kept, a request signed with one fails with
/// `ExpiredToken`; once dropped, with `InvalidClientTokenId` as for any unknown key.
pub const DEFAULT_EXPIRED_RETENTION: SignedDuration = SignedDuration::from_hours(1);

#[derive(Default)]
struct Keys {
    map: HashMap<String, Arc<Credential>>,
    /// The temporary credentials of `map`, by expiry then access key id: the ones to drop first
    /// are at the front, so dropping `k` of `n` costs `O(k log n)`, never a scan.
    by_expiry: BTreeSet<(Timestamp, String)>,
}

impl Keys {
    fn remove(&mut self, access_key_id: &str) -> Option<Arc<Credential>> {
        let old = self.map.remove(access_key_id)?;
        if let Some(s) = &old.session {
            self.by_expiry.remove(&(s.expiration, access_key_id.to_string()));
        }
        Some(old)
    }

    /// Drops the temporary credentials whose expiry is at or before `cutoff`; how many.
    fn drop_expired(&mut self, cutoff: Timestamp) -> usize {
        self.drop_expired_at_most(cutoff, usize::MAX)
    }

    /// Drops at most `limit` of the temporary credentials whose expiry is at or before `cutoff`.
    fn drop_expired_at_most(&mut self, cutoff: Timestamp, limit: usize) -> usize {
        let mut n = 0;
        while let Some(first) = self.by_expiry.first() {
            if first.0 > cutoff || n == limit {
                break;
            }
            if let Some((_, id)) = self.by_expiry.pop_first() {
                self.map.remove(&id);
                n += 1;
            }
        }
        n
    }
}

/// Access key ids mapped to credentials. Safe to share between threads (`Arc<CredentialStore>`):
/// lookups take a read lock, changes a write lock.
///
/// Temporary credentials are bounded: at most [`max_temporary`](Self::max_temporary) (by default
/// [`DEFAULT_MAX_TEMPORARY`]) at once, and expired ones are dropped once they are
/// [`expired_retention`](Self::expired_retention) past their expiry, by [`add_at`](Self::add_at)
/// (lazily, before it adds) and [`sweep`](Self::sweep) (periodically), each in time proportional
/// to what it drops. A full store refuses new temporary credentials ([`StoreError::Full`]) after
/// dropping the expired ones it still kept; it never drops a live one. Long-term keys are not
/// bounded.
pub struct CredentialStore {
    keys: RwLock<Keys>,
    max_temporary: AtomicUsize,
    retention_seconds: AtomicI64,
}

impl Default for CredentialStore {
    fn default() -> Self {
        Self {
            keys: RwLock::default(),
            max_temporary: AtomicUsize::new(DEFAULT_MAX_TEMPORARY),
            retention_seconds: AtomicI64::new(DEFAULT_EXPIRED_RETENTION.as_secs()),
        }
    }
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field("len", &self.len())
            .field("temporary", &self.temporary_len())
            .field("max_temporary", &self.max_temporary())
            .finish()
    }
}

impl CredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most temporary credentials the store holds at once.
    pub fn max_temporary(&self) -> usize {
        self.max_temporary.load(Ordering::Relaxed)
    }

    /// Sets the most temporary credentials the store holds at once (those it holds already stay).
    pub fn set_max_temporary(&self, max: usize) {
        self.max_temporary.store(max, Ordering::Relaxed);
    }

    /// How long expired temporary credentials are kept (to answer `ExpiredToken`).
    pub fn expired_retention(&self) -> SignedDuration {
        SignedDuration::from_secs(self.retention_seconds.load(Ordering::Relaxed))
    }

    /// Sets how long expired temporary credentials are kept (negative counts as zero).
    pub fn set_expired_retention(&self, retention: SignedDuration) {
        self.retention_seconds.store(retention.as_secs().max(0), Ordering::Relaxed);
    }

    fn check(credential: &Credential) -> Result<(), StoreError> {
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
        Ok(())
    }

    /// Adds or replaces a credential; returns the one it replaced. Drops nothing: see
    /// [`add_at`](Self::add_at) for credentials issued as time goes by.
    ///
    /// # Errors
    /// [`StoreError`] when the id or secret is empty, the session token is empty, the id's
    /// `AKIA`/`ASIA` prefix disagrees with the presence of a session, or the credential is
    /// temporary and the store holds its maximum of them.
    pub fn add(&self, credential: Credential) -> Result<Option<Arc<Credential>>, StoreError> {
        Self::check(&credential)?;
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        self.insert(&mut keys, credential)
    }

    /// Adds or replaces a credential at `now`: first drops the temporary credentials expired
    /// longer ago than the retention and, when the store is full of temporary credentials, the
    /// expired ones it still kept (the earliest expired first). Returns the one it replaced.
    ///
    /// # Errors
    /// As [`add`](Self::add); [`StoreError::Full`] when every temporary credential held is live.
    pub fn add_at(&self, credential: Credential, now: Timestamp) -> Result<Option<Arc<Credential>>, StoreError> {
        Self::check(&credential)?;
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.drop_expired(self.retention_cutoff(now));
        if credential.is_temporary() && keys.by_expiry.len() >= self.max_temporary() {
            // Full: the expired credentials kept for `ExpiredToken` make room before a refusal.
            while keys.by_expiry.len() >= self.max_temporary()
                && keys.by_expiry.first().is_some_and(|(expiration, _)| *expiration <= now)
            {
                if let Some((_, id)) = keys.by_expiry.pop_first() {
                    keys.map.remove(&id);
                }
            }
        }
        self.insert(&mut keys, credential)
    }

    fn insert(&self, keys: &mut Keys, credential: Credential) -> Result<Option<Arc<Credential>>, StoreError> {
        let id = credential.access_key_id.clone();
        let replaces_temporary = keys.map.get(&id).is_some_and(|c| c.is_temporary());
        if let Some(s) = &credential.session {
            if !replaces_temporary && keys.by_expiry.len() >= self.max_temporary() {
                return Err(StoreError::Full(self.max_temporary()));
            }
            let expiration = s.expiration;
            let old = keys.remove(&id);
            keys.by_expiry.insert((expiration, id.clone()));
            keys.map.insert(id, Arc::new(credential));
            return Ok(old);
        }
        let old = keys.remove(&id);
        keys.map.insert(id, Arc::new(credential));
        Ok(old)
    }

    fn retention_cutoff(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.expired_retention()).unwrap_or(Timestamp::MIN)
    }

    /// Removes a credential; returns it if it was there.
    pub fn remove(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.remove(access_key_id)
    }

    /// The credential for an access key id.
    pub fn get(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        keys.map.get(access_key_id).cloned()
    }

    /// Removes every temporary credential expired at `now`; returns how many were removed.
    pub fn remove_expired(&self, now: Timestamp) -> usize {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.drop_expired(now)
    }

    /// Removes the temporary credentials expired longer ago than the retention at `now` (what
    /// [`add_at`](Self::add_at) drops first); returns how many were removed. For a periodic task.
    pub fn sweep(&self, now: Timestamp) -> usize {
        /// Lookups wait for the write lock: it is taken for this many drops at a time.
        const BATCH: usize = 4096;
        let cutoff = self.retention_cutoff(now);
        let mut total = 0;
        loop {
            {
                // Most sweeps find nothing: a read lock tells.
                let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
                if keys.by_expiry.first().is_none_or(|(e, _)| *e > cutoff) {
                    return total;
                }
            }
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            total += keys.drop_expired_at_most(cutoff, BATCH);
        }
    }

    /// How many credentials the store holds.
    pub fn len(&self) -> usize {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).map.len()
    }

    /// How many of them are temporary.
    pub fn temporary_len(&self) -> usize {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).by_expiry.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    const T0: i64 = 1_748_779_200;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    fn temporary(id: &str, expires: i64) -> Credential {
        Credential::temporary(
            id,
            "secret",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            Session::new("token", at(expires)),
        )
    }

    #[test]
    fn temporary_credentials_are_bounded_and_live_ones_never_dropped() {
        let store = CredentialStore::new();
        assert_eq!(store.max_temporary(), DEFAULT_MAX_TEMPORARY);
        store.set_max_temporary(2);
        store.set_expired_retention(SignedDuration::from_secs(60));
        store.add(Credential::long_term("AKIAUSER000000000001", "s", "arn:aws:iam::111122223333:user/u")).unwrap();
        store.add_at(temporary("ASIA0000000000000001", T0 + 10), at(T0)).unwrap();
        store.add_at(temporary("ASIA0000000000000002", T0 + 20), at(T0)).unwrap();
        // Full of live credentials: refused, and both stay.
        assert_eq!(store.add_at(temporary("ASIA0000000000000003", T0 + 30), at(T0)), Err(StoreError::Full(2)));
        assert_eq!(store.add(temporary("ASIA0000000000000003", T0 + 30)), Err(StoreError::Full(2)));
        assert_eq!((store.len(), store.temporary_len()), (3, 2));
        // Replacing one is not one more.
        store.add_at(temporary("ASIA0000000000000002", T0 + 25), at(T0)).unwrap();
        assert_eq!(store.temporary_len(), 2);
        // The first expired at T0+10 and is kept for `ExpiredToken`, until the store is full.
        assert!(store.get("ASIA0000000000000001").unwrap().is_expired(at(T0 + 15)));
        store.add_at(temporary("ASIA0000000000000003", T0 + 30), at(T0 + 15)).unwrap();
        assert!(store.get("ASIA0000000000000001").is_none());
        assert!(store.get("ASIA0000000000000002").is_some());
        assert_eq!(store.temporary_len(), 2);
        // Long-term keys are not counted.
        store.add(Credential::long_term("AKIAUSER000000000002", "s", "arn:aws:iam::111122223333:user/v")).unwrap();
        assert_eq!((store.len(), store.temporary_len()), (4, 2));
    }

    #[test]
    fn expired_credentials_go_after_the_retention() {
        let store = CredentialStore::new();
        store.set_expired_retention(SignedDuration::from_secs(60));
        for i in 0..10 {
            store.add_at(temporary(&format!("ASIA{i:016}"), T0 + i * 10), at(T0)).unwrap();
        }
        // Kept within the retention, even past their expiry.
        assert_eq!(store.sweep(at(T0 + 59)), 0);
        assert_eq!(store.temporary_len(), 10);
        // Expiries T0, T0+10, T0+20 are 60 s past at T0+80.
        assert_eq!(store.sweep(at(T0 + 80)), 3);
        assert!(store.get("ASIA0000000000000002").is_none() && store.get("ASIA0000000000000003").is_some());
        // Adding drops them too.
        store.add_at(temporary("ASIAAAAAAAAAAAAAAAAA", T0 + 1000), at(T0 + 120)).unwrap();
        assert_eq!(store.temporary_len(), 10 - 7 + 1);
        // A removed credential leaves nothing behind in the index.
        store.remove("ASIAAAAAAAAAAAAAAAAA");
        assert_eq!(store.remove_expired(at(T0 + 10_000)), 3);
        assert_eq!((store.len(), store.temporary_len()), (0, 0));
    }
}
