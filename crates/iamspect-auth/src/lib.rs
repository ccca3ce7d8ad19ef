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
//! S3 streaming uploads signed in the `Authorization` header are verified whole, as AWS's S3
//! documentation describes them: `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (the headers' seed
//! signature, then the `aws-chunked` framing, the trailers `x-amz-trailer` names and
//! `x-amz-decoded-content-length`), `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` and
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (also every chunk signature, chained from the
//! seed, the final empty chunk and the trailer signature). [`Authenticated::streaming`] tells
//! what the body held; the body itself is not decoded or changed. SigV4a streaming
//! (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`) is [`AuthErrorKind::Unsupported`].
//!
//! The crate verifies; it does not sign. Tests sign with AWS's own `aws-sigv4` (its `sign_chunk`
//! and `sign_trailer` for streaming bodies) and pin AWS's published chunked-upload examples.

#![deny(missing_docs)]

mod error;
pub mod oidc;
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
pub use store::{Credential, CredentialStore, DEFAULT_EXPIRED_RETENTION, DEFAULT_MAX_TEMPORARY, Session, StoreError};
pub use streaming::{StreamingMode, StreamingPayload, TRAILER_SIGNATURE};
