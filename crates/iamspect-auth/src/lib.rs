//! The authentication gate of iamspect: AWS Signature Version 4 verification against a store of
//! credentials, failing with exactly the codes, HTTP statuses and messages AWS uses (spec §8.4,
//! §9).
//!
//! ```
//! use iamspect_auth::{Credential, CredentialStore, HttpRequestParts, Protocol, verify};
//!
//! let store = CredentialStore::new();
//! store
//!     .add(Credential::long_term(
//!         "AKIAIOSFODNN7EXAMPLE",
//!         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
//!         "arn:aws:iam::123456789012:user/alice",
//!     ))
//!     .ok();
//! let request = HttpRequestParts::new("GET", "/?Action=GetCallerIdentity", b"")
//!     .header("host", "sts.amazonaws.com");
//! let error = verify(&request, &store, jiff::Timestamp::UNIX_EPOCH).err();
//! let aws = error.map(|e| e.to_aws(Protocol::Query));
//! assert_eq!(aws.map(|a| (a.code, a.status)), Some(("MissingAuthenticationToken", 403)));
//! ```
//!
//! The crate verifies; it does not sign. Tests sign with AWS's own `aws-sigv4`.

mod error;
mod request;
mod sigv4;
mod store;
mod streaming;

pub use error::{AuthError, AuthErrorKind, AwsError, Protocol, ScopeError, xml_escape};
pub use request::HttpRequestParts;
pub use sigv4::{
    ALGORITHM, Authenticated, EMPTY_SHA256, Expected, MAX_CLOCK_SKEW, MAX_PRESIGNED_EXPIRES, SignatureLocation,
    UNSIGNED_PAYLOAD, signing_key, verify, verify_with,
};
pub use store::{Credential, CredentialStore, Session, StoreError};
pub use streaming::{StreamingMode, StreamingPayload, TRAILER_SIGNATURE};
