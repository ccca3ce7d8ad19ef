//! `AssumeRoleWithSAML`: refused (decision D103). Trusting a SAML response means verifying its XML
//! signature over the canonicalized assertion, and iamspect verifies signatures only with a
//! maintained, reviewed implementation; it does not canonicalize XML itself. Until such a crate is
//! measured and adopted, every call is answered with this error, so no session is ever issued on
//! an assertion nobody checked.

use iamspect_auth::AwsError;

use super::error;

/// The answer to every `AssumeRoleWithSAML` call.
pub(crate) fn refuse() -> AwsError {
    error(
        "InvalidAction",
        400,
        "iamspect does not serve AssumeRoleWithSAML: it cannot verify a SAML response's XML signature with a maintained XML-signature implementation, and it issues no session on an unverified assertion (docs/decisions.md, D103)",
    )
}
