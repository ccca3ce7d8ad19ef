//! Authentication failures and their AWS wire shapes (spec §8.4).

use std::fmt;

/// The wire protocol whose error shape a failure is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// AWS Query protocol services answering in XML (IAM, STS, EC2, SQS-query, SNS ...):
    /// `<ErrorResponse><Error><Type>Sender</Type><Code>..`.
    Query,
    /// JSON services (`awsJson1_0`/`awsJson1_1`/`restJson1`: DynamoDB, KMS, Lambda ...):
    /// `{"__type": "...", "message": "..."}` plus the `x-amzn-ErrorType` header.
    Json,
    /// Amazon S3 (REST/XML): `<Error><Code>..</Code><Message>..</Message>..</Error>`.
    S3,
}

/// What went wrong while authenticating a request. The wire code, HTTP status and message depend
/// on the protocol; see [`AuthError::to_aws`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// Neither an `Authorization` header nor presigned query parameters.
    /// Query `MissingAuthenticationToken` (403); JSON `MissingAuthenticationTokenException` (400);
    /// S3 treats the request as anonymous, rendered as `AccessDenied` (403) if refused.
    MissingAuthentication,
    /// The `Authorization` header or the presigned query parameters are malformed or incomplete.
    /// Query `IncompleteSignature` (400); JSON `IncompleteSignatureException` (400);
    /// S3 `AuthorizationHeaderMalformed` / `AuthorizationQueryParametersError` (400).
    IncompleteSignature,
    /// Both an `Authorization` header and presigned query parameters.
    /// S3 `InvalidArgument` (400); elsewhere `IncompleteSignature` (400).
    MultipleAuthMechanisms,
    /// The access key id is not in the store. Query `InvalidClientTokenId` (403);
    /// JSON `UnrecognizedClientException` (400); S3 `InvalidAccessKeyId` (403).
    UnknownAccessKey,
    /// Temporary credentials without their session token, with the wrong one, or a session token
    /// sent with a long-term key. Query `InvalidClientTokenId` (403); JSON
    /// `UnrecognizedClientException` (400); S3 `InvalidToken` (400).
    InvalidSessionToken,
    /// The signature does not match. Query `SignatureDoesNotMatch` (403); JSON
    /// `InvalidSignatureException` (400); S3 `SignatureDoesNotMatch` (403).
    SignatureDoesNotMatch,
    /// The credential scope names the wrong region, service, date or terminator.
    /// Query `SignatureDoesNotMatch` (403); JSON `InvalidSignatureException` (400);
    /// S3 `AuthorizationHeaderMalformed` / `AuthorizationQueryParametersError` (400) for region
    /// and service, `SignatureDoesNotMatch` (403) otherwise.
    CredentialScope(ScopeError),
    /// The request time is more than 15 minutes away from the server's clock.
    /// Query `RequestExpired` (400); JSON `InvalidSignatureException` (400, the text
    /// "Signature expired: ..." seen from DynamoDB, Kinesis, ECR); S3 `RequestTimeTooSkewed` (403).
    RequestTimeTooSkewed,
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    /// Query `RequestExpired` (400); JSON `InvalidSignatureException` (400);
    /// S3 `AccessDenied` (403) "Request has expired".
    PresignedUrlExpired,
    /// Temporary credentials used at or after their expiry. Query `ExpiredToken` (403);
    /// JSON `ExpiredTokenException` (400); S3 `ExpiredToken` (400).
    ExpiredToken,
    /// `x-amz-content-sha256` names a hash that is not the body's.
    /// S3 `XAmzContentSHA256Mismatch` (400); elsewhere as [`SignatureDoesNotMatch`](Self::SignatureDoesNotMatch).
    ContentSha256Mismatch,
    /// A payload mode this gate does not verify (SigV4a `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`,
    /// streaming outside S3 or in a presigned URL), or a signature algorithm other than
    /// `AWS4-HMAC-SHA256` (SigV4a, SigV2). S3 `NotImplemented` (501); elsewhere
    /// `IncompleteSignature` (400).
    Unsupported,
    /// A streaming (`aws-chunked`) body that is not well formed: a chunk size that is not hex, a
    /// missing CRLF, data shorter than its chunk size, no final empty chunk, bytes after the end.
    /// S3 `IncompleteBody` (400) "The request body terminated unexpectedly".
    IncompleteBody,
    /// A streaming body whose chunks carry another number of bytes than
    /// `x-amz-decoded-content-length`. S3 `IncompleteBody` (400) "You did not provide the number
    /// of bytes specified by the Content-Length HTTP header", with `NumberBytesExpected` and
    /// `NumberBytesProvided`.
    DecodedLengthMismatch,
    /// The trailers of a streaming body are not `name:value` lines, or not the ones `x-amz-trailer`
    /// names, or come where the mode has none. S3 `MalformedTrailerError` (400).
    MalformedTrailer,
    /// A streaming upload without a numeric `x-amz-decoded-content-length`. S3
    /// `MissingContentLength` (411).
    MissingContentLength,
}

/// Which part of the credential scope is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// The scope's date is not the date of `X-Amz-Date`.
    Date,
    /// The scope's region is not the one the endpoint serves (`expected` when known).
    Region {
        /// The region in the scope.
        found: String,
        /// The region the endpoint expects.
        expected: String,
    },
    /// The scope's service is not the one the endpoint serves.
    Service {
        /// The service in the scope.
        found: String,
        /// The service the endpoint expects.
        expected: String,
    },
    /// The scope does not end in `aws4_request`.
    Terminator,
}

/// A failed authentication: a kind plus the detail message AWS would send. One pointer wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: AuthErrorKind,
    message: String,
    access_key_id: Option<String>,
    presigned: bool,
    extra: Vec<(&'static str, String)>,
}

/// An error as it goes on the wire: code, HTTP status, message, and (S3 only) extra elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The error code, e.g. `SignatureDoesNotMatch`.
    pub code: &'static str,
    /// The HTTP status, e.g. 403.
    pub status: u16,
    /// The message text.
    pub message: String,
    /// Extra elements S3 adds to `<Error>` (e.g. `AWSAccessKeyId`, `StringToSign`,
    /// `RequestTime`, `ServerTime`, `MaxAllowedSkewMilliseconds`), in order. Empty for the
    /// other protocols.
    pub extra: Vec<(&'static str, String)>,
}

pub(crate) const SIGNATURE_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const S3_SIGNATURE_MESSAGE: &str =
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const INVALID_TOKEN_MESSAGE: &str = "The security token included in the request is invalid.";
const EXPIRED_TOKEN_MESSAGE: &str = "The security token included in the request is expired";

impl AuthError {
    pub(crate) fn new(kind: AuthErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: message.into(),
            access_key_id: None,
            presigned: false,
            extra: Vec::new(),
        }))
    }

    /// Valid credentials used in an opt-in Region their account has not enabled (decision D98):
    /// there the account's credentials do not exist, so AWS answers as for an unknown access key
    /// (Query `InvalidClientTokenId`, JSON `UnrecognizedClientException`, S3 `InvalidAccessKeyId`).
    pub fn region_not_enabled(access_key_id: &str) -> Self {
        AuthError::new(AuthErrorKind::UnknownAccessKey, INVALID_TOKEN_MESSAGE).with_key(access_key_id)
    }

    pub(crate) fn presigned(mut self, presigned: bool) -> Self {
        self.0.presigned = presigned;
        self
    }

    pub(crate) fn with_key(mut self, access_key_id: &str) -> Self {
        self.0.access_key_id = Some(access_key_id.to_owned());
        self
    }

    pub(crate) fn with_extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.extra.push((name, value.into()));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &AuthErrorKind {
        &self.0.kind
    }

    /// The detail message in the Query protocol's words (e.g. `Signature expired: ...`).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The access key id of the request, when it got far enough to name one.
    pub fn access_key_id(&self) -> Option<&str> {
        self.0.access_key_id.as_deref()
    }

    /// The code, status and message AWS answers with in `protocol`.
    pub fn to_aws(&self, protocol: Protocol) -> AwsError {
        use AuthErrorKind as K;
        let msg = self.0.message.clone();
        let (code, status, message) = match (protocol, &self.0.kind) {
            (Protocol::Query, K::MissingAuthentication) => ("MissingAuthenticationToken", 403, msg),
            (Protocol::Json, K::MissingAuthentication) => ("MissingAuthenticationTokenException", 403, msg),
            (Protocol::S3, K::MissingAuthentication) => ("AccessDenied", 403, "Access Denied".into()),

            (Protocol::Query, K::IncompleteSignature | K::MultipleAuthMechanisms) => ("IncompleteSignature", 400, msg),
            (Protocol::Json, K::IncompleteSignature | K::MultipleAuthMechanisms) => {
                ("IncompleteSignatureException", 400, msg)
            }
            (Protocol::S3, K::IncompleteSignature) => (self.s3_malformed_code(), 400, msg),
            (Protocol::S3, K::MultipleAuthMechanisms) => ("InvalidArgument", 400, msg),

            (Protocol::Query, K::UnknownAccessKey | K::InvalidSessionToken) => {
                ("InvalidClientTokenId", 403, INVALID_TOKEN_MESSAGE.into())
            }
            (Protocol::Json, K::UnknownAccessKey | K::InvalidSessionToken) => {
                ("UnrecognizedClientException", 403, INVALID_TOKEN_MESSAGE.into())
            }
            (Protocol::S3, K::UnknownAccessKey) => {
                ("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.".into())
            }
            (Protocol::S3, K::InvalidSessionToken) => {
                ("InvalidToken", 400, "The provided token is malformed or otherwise invalid.".into())
            }

            (Protocol::Query, K::SignatureDoesNotMatch | K::ContentSha256Mismatch) => {
                ("SignatureDoesNotMatch", 403, SIGNATURE_MESSAGE.into())
            }
            (Protocol::Json, K::SignatureDoesNotMatch | K::ContentSha256Mismatch) => {
                ("InvalidSignatureException", 403, SIGNATURE_MESSAGE.into())
            }
            (Protocol::S3, K::SignatureDoesNotMatch) => ("SignatureDoesNotMatch", 403, S3_SIGNATURE_MESSAGE.into()),
            (Protocol::S3, K::ContentSha256Mismatch) => (
                "XAmzContentSHA256Mismatch",
                400,
                "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
            ),

            (Protocol::Query, K::CredentialScope(_)) => ("SignatureDoesNotMatch", 403, msg),
            (Protocol::Json, K::CredentialScope(_)) => ("InvalidSignatureException", 403, msg),
            (Protocol::S3, K::CredentialScope(scope)) => match scope {
                ScopeError::Region { found, expected } => (
                    self.s3_malformed_code(),
                    400,
                    format!("{}the region '{found}' is wrong; expecting '{expected}'", self.s3_malformed_prefix()),
                ),
                ScopeError::Service { found, expected } => (
                    self.s3_malformed_code(),
                    400,
                    format!(
                        "{}incorrect service '{found}'. This endpoint belongs to '{expected}'.",
                        self.s3_malformed_prefix()
                    ),
                ),
                ScopeError::Date | ScopeError::Terminator => {
                    (self.s3_malformed_code(), 400, format!("{}{msg}", self.s3_malformed_prefix()))
                }
            },

            (Protocol::Query, K::RequestTimeTooSkewed | K::PresignedUrlExpired) => ("RequestExpired", 400, msg),
            (Protocol::Json, K::RequestTimeTooSkewed | K::PresignedUrlExpired) => {
                ("InvalidSignatureException", 400, msg)
            }
            (Protocol::S3, K::RequestTimeTooSkewed) => (
                "RequestTimeTooSkewed",
                403,
                "The difference between the request time and the current time is too large.".into(),
            ),
            (Protocol::S3, K::PresignedUrlExpired) => ("AccessDenied", 403, "Request has expired".into()),

            (Protocol::Query, K::ExpiredToken) => ("ExpiredToken", 403, EXPIRED_TOKEN_MESSAGE.into()),
            (Protocol::Json, K::ExpiredToken) => ("ExpiredTokenException", 403, EXPIRED_TOKEN_MESSAGE.into()),
            (Protocol::S3, K::ExpiredToken) => ("ExpiredToken", 400, "The provided token has expired.".into()),

            (Protocol::Query, K::Unsupported) => ("IncompleteSignature", 400, msg),
            (Protocol::Json, K::Unsupported) => ("IncompleteSignatureException", 400, msg),
            (Protocol::S3, K::Unsupported) => {
                ("NotImplemented", 501, "A header you provided implies functionality that is not implemented".into())
            }

            (Protocol::Query, K::IncompleteBody | K::DecodedLengthMismatch | K::MalformedTrailer | K::MissingContentLength) => {
                ("IncompleteSignature", 400, msg)
            }
            (Protocol::Json, K::IncompleteBody | K::DecodedLengthMismatch | K::MalformedTrailer | K::MissingContentLength) => {
                ("IncompleteSignatureException", 400, msg)
            }
            (Protocol::S3, K::IncompleteBody) => ("IncompleteBody", 400, "The request body terminated unexpectedly".into()),
            (Protocol::S3, K::DecodedLengthMismatch) => (
                "IncompleteBody",
                400,
                "You did not provide the number of bytes specified by the Content-Length HTTP header".into(),
            ),
            (Protocol::S3, K::MalformedTrailer) => (
                "MalformedTrailerError",
                400,
                "The request contained trailing data that was not well-formed or did not conform to our published schema.".into(),
            ),
            (Protocol::S3, K::MissingContentLength) => {
                ("MissingContentLength", 411, "You must provide the Content-Length HTTP header.".into())
            }
        };
        // The AWS JSON protocol answers every client error with HTTP 400, authentication errors
        // included (DynamoDB's "Error handling": `MissingAuthenticationTokenException`,
        // `UnrecognizedClientException`, `InvalidSignatureException` are 400 errors).
        let status = if protocol == Protocol::Json && status == 403 { 400 } else { status };
        let mut extra = Vec::new();
        if protocol == Protocol::S3 {
            if let Some(key) = &self.0.access_key_id
                && matches!(self.0.kind, K::UnknownAccessKey | K::SignatureDoesNotMatch | K::InvalidSessionToken)
            {
                extra.push(("AWSAccessKeyId", key.clone()));
            }
            extra.extend(self.0.extra.iter().cloned());
        }
        AwsError { code, status, message, extra }
    }

    /// [`to_aws`](Self::to_aws) for a Query-protocol service whose signing name is `service`: STS
    /// and IAM answer a request signed outside the allowed clock skew with
    /// `SignatureDoesNotMatch` (403, "Signature expired: …") where EC2, SQS and the other Query
    /// services answer `RequestExpired` (400).
    pub fn to_aws_for(&self, protocol: Protocol, service: &str) -> AwsError {
        let mut aws = self.to_aws(protocol);
        if protocol == Protocol::Query
            && matches!(self.0.kind, AuthErrorKind::RequestTimeTooSkewed)
            && matches!(service, "sts" | "iam")
        {
            aws.code = "SignatureDoesNotMatch";
            aws.status = 403;
        }
        aws
    }

    /// Whether the failure came from presigned query parameters (S3 names those errors
    /// differently from `Authorization` header errors).
    pub fn is_presigned(&self) -> bool {
        self.0.presigned
    }

    fn s3_malformed_code(&self) -> &'static str {
        if self.0.presigned { "AuthorizationQueryParametersError" } else { "AuthorizationHeaderMalformed" }
    }

    fn s3_malformed_prefix(&self) -> &'static str {
        if self.0.presigned {
            "Error parsing the X-Amz-Credential parameter; "
        } else {
            "The authorization header is malformed; "
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let aws = self.to_aws(Protocol::Query);
        write!(f, "{}: {}", aws.code, aws.message)
    }
}

impl std::error::Error for AuthError {}

impl AwsError {
    /// The Query protocol body:
    /// `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`.
    /// Content type `text/xml`.
    pub fn to_query_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            xml_escape(self.code),
            xml_escape(&self.message),
            xml_escape(request_id)
        )
    }

    /// The JSON protocol body `{"__type":"com.amazon.coral.service#<Code>","message":"..."}`.
    /// Content type `application/x-amz-json-1.1` (or `application/json` for restJson
    /// services); send [`json_error_type`](Self::json_error_type) as `x-amzn-ErrorType`.
    pub fn to_json(&self) -> String {
        let message = serde_json::to_string(&self.message).unwrap_or_else(|_| "\"\"".to_string());
        format!("{{\"__type\":\"com.amazon.coral.service#{}\",\"message\":{message}}}", self.code)
    }

    /// The value of the `x-amzn-ErrorType` response header for the JSON protocol (the code).
    pub fn json_error_type(&self) -> &'static str {
        self.code
    }

    /// The S3 body:
    /// `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>..</Code><Message>..</Message>...<RequestId>..</RequestId><HostId>..</HostId></Error>`.
    /// Content type `application/xml`.
    pub fn to_s3_xml(&self, request_id: &str, host_id: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        out.push_str(&xml_escape(self.code));
        out.push_str("</Code><Message>");
        out.push_str(&xml_escape(&self.message));
        out.push_str("</Message>");
        for (name, value) in &self.extra {
            out.push('<');
            out.push_str(name);
            out.push('>');
            out.push_str(&xml_escape(value));
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        out.push_str("<RequestId>");
        out.push_str(&xml_escape(request_id));
        out.push_str("</RequestId><HostId>");
        out.push_str(&xml_escape(host_id));
        out.push_str("</HostId></Error>");
        out
    }

    /// The body in the shape of `protocol` (see the three `to_*` methods; S3's `HostId` is
    /// left empty).
    pub fn body(&self, protocol: Protocol, request_id: &str) -> String {
        match protocol {
            Protocol::Query => self.to_query_xml(request_id),
            Protocol::Json => self.to_json(),
            Protocol::S3 => self.to_s3_xml(request_id, ""),
        }
    }

    /// The `Content-Type` to send with [`body`](Self::body).
    pub fn content_type(protocol: Protocol) -> &'static str {
        match protocol {
            Protocol::Query => "text/xml",
            Protocol::Json => "application/x-amz-json-1.1",
            Protocol::S3 => "application/xml",
        }
    }
}

/// Escapes text for XML content (error bodies here, and the STS responses the server writes).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
