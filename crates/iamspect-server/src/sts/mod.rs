//! AWS STS served by iamspect: `GetCallerIdentity`, `AssumeRole`, `GetSessionToken`,
//! `GetFederationToken` and `DecodeAuthorizationMessage` (of iamspect's own encoded messages) in
//! the AWS Query protocol, authenticated with SigV4 against a credential store, and the unsigned
//! `AssumeRoleWithWebIdentity` (an OIDC token verified against its issuer's keys; `AssumeRoleWithSAML`
//! is refused, decision D103); the credentials they issue are added to the same store (spec §9.2).
//!
//! The store starts with the operator's long-term keys (`iamspect serve --credentials FILE`);
//! the clock is injectable so tests can move past an expiry. Issued credentials are bounded
//! (decision D36): at most [`CredentialStore::max_temporary`] live at once (`--max-sessions`,
//! 100,000 by default; past it issuance is refused with `ServiceUnavailable`, never by dropping a
//! live session), and expired ones are dropped an hour after their expiry (until then a request
//! signed with one gets `ExpiredToken`), when credentials are issued and by [`StsState::sweep`].

mod actions;
mod federation_token;
mod random;
mod saml;
mod web_identity;

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use iamspect_auth::oidc::OidcKeys;
use iamspect_auth::{AwsError, Credential, CredentialStore};
use jiff::Timestamp;
use serde::Deserialize;

pub(crate) use actions::{Call, Params, caller_session_policies as session_policies, credential_context, dispatch};
pub(crate) use federation_token::add_parent_user;
pub use random::request_id;
pub use web_identity::is_built_in_provider;
pub(crate) use web_identity::{Unsigned, dispatch_unsigned, is_unsigned};

/// The most temporary credentials live at once unless `--max-sessions` says otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = iamspect_auth::DEFAULT_MAX_TEMPORARY;

/// The STS API version of the Query protocol.
pub const VERSION: &str = "2011-06-15";
/// The XML namespace of STS answers.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// A clock: what "now" is for signature checks and expiries.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What the STS endpoint keeps: the credential store, the clock, and the signing keys of OIDC
/// issuers for `AssumeRoleWithWebIdentity`.
#[derive(Default)]
pub struct StsState {
    store: Arc<CredentialStore>,
    clock: RwLock<Option<Clock>>,
    oidc: RwLock<OidcKeys>,
}

impl std::fmt::Debug for StsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsState").field("store", &self.store).finish_non_exhaustive()
    }
}

impl StsState {
    /// The credential store (long-term keys and issued temporary credentials).
    pub fn store(&self) -> &Arc<CredentialStore> {
        &self.store
    }

    /// Now, by the clock (the system clock unless [`set_clock`](Self::set_clock) replaced it).
    pub fn now(&self) -> Timestamp {
        let clock = self.clock.read().unwrap_or_else(PoisonError::into_inner).clone();
        clock.map_or_else(Timestamp::now, |c| c())
    }

    /// Replaces the clock (tests).
    pub fn set_clock(&self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) {
        *self.clock.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(clock));
    }

    /// Drops the temporary credentials expired longer ago than the store's retention, by the
    /// clock; how many. `iamspect serve` calls it every minute (issuing credentials drops them too).
    pub fn sweep(&self) -> usize {
        self.store.sweep(self.now())
    }

    /// Adds the signing keys of an OIDC issuer (a JWKS document's text) for
    /// `AssumeRoleWithWebIdentity` (`iamspect serve --oidc-jwks ISSUER=JWKS.json`); how many.
    ///
    /// # Errors
    /// When the text is not a JWKS of signing keys AWS STS accepts.
    pub fn add_oidc_jwks(&self, issuer: &str, jwks: &str) -> Result<usize, String> {
        self.oidc.write().unwrap_or_else(PoisonError::into_inner).add_jwks(issuer, jwks)
    }

    /// Runs `f` with the OIDC issuers' keys.
    pub(crate) fn with_oidc<T>(&self, f: impl FnOnce(&OidcKeys) -> T) -> T {
        f(&self.oidc.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds long-term keys to the store.
    ///
    /// # Errors
    /// The first key the store refuses, with why.
    pub fn add_credentials(&self, credentials: Vec<Credential>) -> Result<(), String> {
        for c in credentials {
            let id = c.access_key_id.clone();
            self.store.add(c).map_err(|e| format!("credential `{id}`: {e}"))?;
        }
        Ok(())
    }
}

/// Reads a JWKS file (`iamspect serve --oidc-jwks ISSUER=FILE`) into the STS's OIDC keys; how many.
///
/// # Errors
/// When the file cannot be read or is not a JWKS of signing keys AWS STS accepts (named with the
/// file and the key).
pub fn load_oidc_jwks(sts: &StsState, issuer: &str, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--oidc-jwks {issuer}={}: cannot read the file: {e}", path.display()))?;
    sts.add_oidc_jwks(issuer, &text).map_err(|e| format!("--oidc-jwks {issuer}={}: {e}", path.display()))
}

/// One entry of a `--credentials` file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyEntry {
    access_key_id: String,
    secret_access_key: String,
    principal: String,
}

/// Reads a `--credentials` file: a JSON list of `{accessKeyId, secretAccessKey, principal}`
/// long-term keys (`principal` an IAM user ARN or an account root ARN).
///
/// # Errors
/// When the file cannot be read or is not such a list.
pub fn load_credentials(path: &Path) -> Result<Vec<Credential>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_credentials(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses the text of a `--credentials` file (see [`load_credentials`]).
///
/// # Errors
/// When the text is not a JSON list of keys, or a key's principal is not an IAM user or root ARN.
pub fn parse_credentials(text: &str) -> Result<Vec<Credential>, String> {
    let entries: Vec<KeyEntry> = serde_json::from_str(text).map_err(|e| format!("not a list of keys: {e}"))?;
    entries
        .into_iter()
        .map(|e| {
            let arn = iamspect_core::Arn::parse(&e.principal);
            let ok =
                arn.is_some_and(|a| a.service == "iam" && (a.resource.starts_with("user/") || a.resource == "root"));
            if !ok {
                return Err(format!(
                    "key `{}`: principal `{}` is not an IAM user or root ARN",
                    e.access_key_id, e.principal
                ));
            }
            Ok(Credential::long_term(e.access_key_id, e.secret_access_key, e.principal))
        })
        .collect()
}

/// An STS error in the Query protocol's shape.
pub(crate) fn error(code: &'static str, status: u16, message: impl Into<String>) -> AwsError {
    AwsError { code, status, message: message.into(), extra: Vec::new() }
}

/// Escapes text for XML content.
pub(crate) use iamspect_auth::xml_escape as xml;
