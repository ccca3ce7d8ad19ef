//! The one reading of a gateway request (decision D50).
//!
//! The gateway and the upstream each parse the raw request; any place where the two readings can
//! differ is a way to have one operation authorized and another executed. So the gateway reads
//! every request once, here, into the parts the decision uses (the signed service and region,
//! the protocol, the bucket and key, every parameter from the one place its protocol puts it),
//! and refuses every request whose reading is not unique: an absolute-form target, a repeated
//! header, a header value that is not visible ASCII, a header the gateway does not know, a host
//! that is not one of the endpoint forms, an `Authorization` header that is not exactly
//! `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, a credential scope for another
//! region, a `User-Agent` or URL naming another region, parameters in two places or twice, a
//! path that is not canonical for S3 (`//`, dot segments, escapes that do not decode), a bucket
//! name that is not a valid lower-case name, a compressed body the gateway cannot read, and a
//! JSON body with a key twice. What is accepted is forwarded as it came, so the upstream sees
//! exactly the request the decision saw.
//!
//! The rules come from how AWS's SDKs write requests (the only forms accepted) and from where an
//! emulator's reading can part from AWS's: moto routes a signed request on the first
//! comma-separated part of `Authorization`, takes its region from any `.REGION.amazonaws.com` in
//! the URL or `region/REGION` in the `User-Agent` before the credential scope, reads parameters
//! from the form body, else the URL query, else the headers, decompresses `gzip` bodies, routes an
//! unsigned request on its form body's `Action` and on paths such as `/service_region/`, and
//! treats a host with a dot as `bucket.anything`. `docs/security.md` lists each rule with its test.

use axum::http::request::Parts;
use serde_json::Value;

use super::{Gateway, Unmapped};

/// The code of every refusal made here (HTTP 400).
pub(crate) const NON_CANONICAL: &str = "IamspectNonCanonicalRequest";

/// The code of a request signed in a way the gateway does not verify (HTTP 501), as AWS
/// answers what it does not implement.
pub(crate) const NOT_IMPLEMENTED: &str = "NotImplemented";

/// The HTTP status of a refusal made while reading or mapping a request.
pub(crate) fn status(code: &str) -> u16 {
    match code {
        NON_CANONICAL => 400,
        NOT_IMPLEMENTED => 501,
        _ => 403,
    }
}

/// The code of a request for an emulator's own control paths (HTTP 403).
pub(crate) const CONTROL_PATH: &str = "IamspectEmulatorControlPath";

fn refuse(message: impl Into<String>) -> Unmapped {
    Unmapped { code: NON_CANONICAL, message: message.into() }
}

/// How the request's service reads its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// S3's REST API: bucket and key from the host and path, subresource from the query.
    S3,
    /// AWS Query: `Action=` and its parameters, all in the form body (POST) or all in the query
    /// (GET).
    Query,
    /// AWS JSON: the operation in `X-Amz-Target`, the parameters in the JSON body.
    Json {
        /// The operation named by the target.
        operation: String,
    },
    /// Lambda's REST routes.
    RestJson,
}

/// A request read once.
#[derive(Clone, Debug)]
pub(crate) struct Wire {
    /// True when the request carries a signature (header or presigned query).
    pub(crate) signed: bool,
    /// The credential scope's service (signing name), lower case; `s3` for unsigned requests.
    pub(crate) service: String,
    pub(crate) protocol: Protocol,
    /// S3: the bucket and the key (both empty for the service, key empty for the bucket).
    pub(crate) bucket: String,
    pub(crate) key: String,
    /// The query parameters, decoded, each name once.
    pub(crate) query: Vec<(String, String)>,
    /// The Query protocol's parameters (from the form body or the query), each name once.
    pub(crate) params: Vec<(String, String)>,
    /// The JSON protocol's body.
    pub(crate) json: Option<Value>,
    /// The decoded path (Lambda's routes, SQS's queue path).
    pub(crate) path: String,
}

/// The JSON protocol's `X-Amz-Target` prefix of each service the gateway maps.
const JSON_TARGETS: &[(&str, &str)] = &[
    ("dynamodb", "DynamoDB_20120810"),
    ("sqs", "AmazonSQS"),
    ("kms", "TrentService"),
    ("secretsmanager", "secretsmanager"),
    ("ssm", "AmazonSSM"),
    ("kinesis", "Kinesis_20131202"),
    ("firehose", "Firehose_20150804"),
    ("ecr", "AmazonEC2ContainerRegistry_V20150921"),
    ("events", "AWSEvents"),
    ("logs", "Logs_20140328"),
];

/// Services that speak AWS Query (`Action=`).
const QUERY_SERVICES: &[&str] = &[
    "sqs",
    "sns",
    "iam",
    "ec2",
    "monitoring",
    "autoscaling",
    "elasticloadbalancing",
    "cloudformation",
    "rds",
    "elasticache",
    "email",
    "redshift",
];

/// Headers any request may carry (lower case). Every other header is refused: an emulator may
/// read any header as a parameter (moto takes the headers as the parameters of a request with
/// neither form body nor query).
const GENERAL_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "connection",
    "content-type",
    "content-length",
    "content-md5",
    "expect",
    "date",
    "transfer-encoding",
    "authorization",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amz-user-agent",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "x-amz-target",
    "x-amzn-query-mode",
    "x-amz-api-version",
];

/// Headers of S3 requests (lower case), besides the `x-amz-meta-` and `x-amz-checksum-` families.
/// The ones that need an authorization of their own are checked by `s3.rs`.
const S3_HEADERS: &[&str] = &[
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-expected-bucket-owner",
    "x-amz-source-expected-bucket-owner",
    "x-amz-request-payer",
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-copy-source",
    "x-amz-copy-source-range",
    "x-amz-copy-source-if-match",
    "x-amz-copy-source-if-none-match",
    "x-amz-copy-source-if-modified-since",
    "x-amz-copy-source-if-unmodified-since",
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
    "x-amz-metadata-directive",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-bypass-governance-retention",
    "x-amz-object-ownership",
    "x-amz-bucket-object-lock-enabled",
    "x-amz-object-attributes",
    "x-amz-max-parts",
    "x-amz-part-number-marker",
    "x-amz-optional-object-attributes",
    "x-amz-mfa",
];

/// Query parameters of S3 requests that start with `x-amz-`/`X-Amz-` and are allowed: the
/// presigned URL's own, and botocore's `x-id`. Any other `x-amz-*` query parameter is refused,
/// since S3 reads request headers from the query of a presigned URL.
const S3_PRESIGN_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// Lambda's query parameters.
const LAMBDA_PARAMS: &[&str] = &["Qualifier", "Marker", "MaxItems", "FunctionVersion", "MasterRegion"];

/// Paths that emulators serve themselves (moto's `/moto-api`, instance metadata, LocalStack's
/// `/_localstack` and `/_aws`): never an AWS API call, refused unless the operator opts in.
pub(crate) fn is_control_path(raw_path: &str) -> bool {
    let path = decode_lossy(raw_path);
    let lower = path.to_ascii_lowercase();
    ["/moto-api", "/_localstack", "/_aws", "/_extension", "/latest/meta-data", "/latest/api", "/favicon.ico"]
        .iter()
        .any(|p| lower.starts_with(p))
}

fn decode_lossy(s: &str) -> String {
    super::s3::percent_decode(s)
}

/// Reads `parts` and `body` once, or refuses.
pub(crate) fn read(parts: &Parts, body: &[u8], gateway: &Gateway) -> Result<Wire, Unmapped> {
    if parts.uri.scheme().is_some() || parts.uri.authority().is_some() {
        return Err(refuse(
            "the request target is in absolute form; the gateway takes only origin-form targets (`/path?query`) with a Host header",
        ));
    }
    let headers = headers(parts)?;
    let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let host = header("host").ok_or_else(|| refuse("the request has no Host header"))?;
    let virtual_bucket = host_form(host, gateway)?;
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let query = pairs(raw_query, "query")?;
    let query_get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());

    // The signature: where it is, and the scope it claims.
    let authorization = header("authorization");
    let presigned = query.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("x-amz-algorithm")
            || k.eq_ignore_ascii_case("x-amz-credential")
            || k.eq_ignore_ascii_case("x-amz-signature")
    });
    if query.iter().any(|(k, _)| k == "AWSAccessKeyId" || k == "Signature") {
        return Err(Unmapped {
            code: NOT_IMPLEMENTED,
            message: "A header or query you provided requested a function that is not implemented: Signature Version 2 presigned URLs (`AWSAccessKeyId`, `Signature`); the gateway verifies Signature Version 4 only (in boto3, `Config(signature_version=\"s3v4\")`)".to_string(),
        });
    }
    if authorization.is_some() && presigned {
        return Err(refuse("the request is signed both in the Authorization header and in the query"));
    }
    let credential = match authorization {
        Some(value) => Some(authorization_credential(value)?),
        None if presigned => Some(
            query_get("X-Amz-Credential")
                .ok_or_else(|| refuse("a presigned request needs `X-Amz-Credential`, spelt so"))?
                .to_string(),
        ),
        None => None,
    };
    if header("x-amz-security-token").is_some() && query_get("X-Amz-Security-Token").is_some() {
        return Err(refuse("`X-Amz-Security-Token` is both a header and a query parameter"));
    }
    let service = match &credential {
        Some(c) => scope_service(c, gateway)?,
        None => "s3".to_string(),
    };
    let signed = credential.is_some();
    if let Some(agent) = header("user-agent") {
        region_in_user_agent(agent, gateway)?;
    }
    regions_in_url(host, raw_path, raw_query, gateway)?;
    if !signed || presigned {
        unsigned_routing(&service, &headers, &query, raw_path)?;
    }

    // Headers by protocol.
    let s3 = service == "s3";
    for (name, _) in &headers {
        if *name == "x-forwarded-proto" && gateway.trust_forwarded_proto {
            if !matches!(header("x-forwarded-proto"), Some("http" | "https")) {
                return Err(refuse("`X-Forwarded-Proto` is neither `http` nor `https`"));
            }
            continue;
        }
        let known = GENERAL_HEADERS.contains(name)
            || (s3
                && (S3_HEADERS.contains(name)
                    || name.starts_with("x-amz-meta-")
                    || name.starts_with("x-amz-checksum-")));
        if !known {
            return Err(refuse(format!(
                "header `{name}` is not one the gateway reads for {service}; it is refused rather than passed unseen to the upstream"
            )));
        }
    }
    if !s3 && let Some(encoding) = header("content-encoding") {
        return Err(refuse(format!(
            "`Content-Encoding: {encoding}`: the gateway reads {service} bodies as sent, so it takes no encoded body"
        )));
    }

    let path = strict_decode(raw_path, "path")?;
    let content_type = header("content-type").unwrap_or("");
    let target = header("x-amz-target");
    let mut wire = Wire {
        signed,
        service: service.clone(),
        protocol: Protocol::S3,
        bucket: String::new(),
        key: String::new(),
        query: query.clone(),
        params: Vec::new(),
        json: None,
        path,
    };
    if s3 {
        if target.is_some() {
            return Err(refuse("an S3 request with `X-Amz-Target`"));
        }
        for (name, _) in &query {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("x-amz-") && !S3_PRESIGN_PARAMS.contains(&name.as_str()) {
                return Err(refuse(format!(
                    "query parameter `{name}`: S3 reads it as a request header, and the gateway takes headers only as headers"
                )));
            }
        }
        let (bucket, key) = s3_path(raw_path, virtual_bucket)?;
        wire.bucket = bucket;
        wire.key = key;
        return Ok(wire);
    }
    if virtual_bucket.is_some() {
        return Err(refuse(format!("a {service} request to the S3 virtual host `{host}`")));
    }
    if service == "lambda" {
        if target.is_some() {
            return Err(refuse("a Lambda request with `X-Amz-Target`"));
        }
        for (name, _) in &query {
            if !LAMBDA_PARAMS.contains(&name.as_str()) {
                return Err(refuse(format!("Lambda query parameter `{name}` is not one the gateway reads")));
            }
        }
        if wire.path.contains("//") || wire.path.split('/').any(|s| s == "." || s == "..") {
            return Err(refuse("the path has an empty or dot segment"));
        }
        wire.protocol = Protocol::RestJson;
        return Ok(wire);
    }
    let action_in_form = content_type_is_form(content_type);
    match target {
        Some(target) => {
            let Some((_, prefix)) = JSON_TARGETS.iter().find(|(s, _)| *s == service) else {
                return Err(Unmapped {
                    code: "IamspectUnsupportedProtocol",
                    message: format!("iamspect's gateway does not map the JSON protocol of {service}"),
                });
            };
            let operation = target
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'))
                .filter(|op| !op.is_empty() && op.bytes().all(|b| b.is_ascii_alphanumeric()))
                .ok_or_else(|| {
                    refuse(format!("`X-Amz-Target: {target}` is not `{prefix}.<Operation>` for {service}"))
                })?;
            if raw_path != "/" {
                return Err(refuse(format!("a JSON-protocol request goes to `/`, not `{raw_path}`")));
            }
            if !raw_query.is_empty() || parts.uri.query().is_some() {
                return Err(refuse(
                    "a JSON-protocol request has its parameters in the body only; this one has a URL query",
                ));
            }
            if !(content_type.starts_with("application/x-amz-json-1.0")
                || content_type.starts_with("application/x-amz-json-1.1"))
            {
                return Err(refuse(format!(
                    "a JSON-protocol request needs `Content-Type: application/x-amz-json-1.0` or `1.1`, not `{content_type}`"
                )));
            }
            let json = if body.is_empty() { Value::Object(serde_json::Map::new()) } else { strict_json(body)? };
            if !json.is_object() {
                return Err(refuse("the JSON body is not an object"));
            }
            wire.protocol = Protocol::Json { operation: operation.to_string() };
            wire.json = Some(json);
            Ok(wire)
        }
        None => {
            if !QUERY_SERVICES.contains(&service.as_str()) {
                return Err(Unmapped {
                    code: "IamspectUnsupportedProtocol",
                    message: format!(
                        "iamspect's gateway maps S3 REST, AWS Query (`Action=`), AWS JSON (`X-Amz-Target`) and Lambda's REST routes; a {service} request without `X-Amz-Target` is none of them"
                    ),
                });
            }
            let params = match parts.method.as_str() {
                "POST" => {
                    if !action_in_form {
                        return Err(refuse(format!(
                            "a Query-protocol POST needs `Content-Type: application/x-www-form-urlencoded`, not `{content_type}`"
                        )));
                    }
                    if parts.uri.query().is_some() {
                        return Err(refuse(
                            "a Query-protocol POST has its parameters in the form body only; this one also has a URL query",
                        ));
                    }
                    pairs(std::str::from_utf8(body).map_err(|_| refuse("the form body is not UTF-8"))?, "form body")?
                }
                "GET" => {
                    if !body.is_empty() {
                        return Err(refuse("a Query-protocol GET has no body"));
                    }
                    query.clone()
                }
                other => return Err(refuse(format!("a Query-protocol request is a POST or a GET, not {other}"))),
            };
            if !params.iter().any(|(k, _)| k == "Action") {
                return Err(Unmapped {
                    code: "IamspectUnmappedOperation",
                    message: format!("the {service} request names no operation (`Action=`)"),
                });
            }
            if wire.path != "/" {
                // Older SQS clients post to the queue URL; the path is then the queue.
                let queue_path = service == "sqs" && {
                    let segments: Vec<&str> = wire.path.trim_start_matches('/').split('/').collect();
                    segments.len() == 2
                        && segments[0].len() == 12
                        && segments[0].bytes().all(|b| b.is_ascii_digit())
                        && !segments[1].is_empty()
                };
                if !queue_path {
                    return Err(refuse(format!("a Query-protocol request goes to `/`, not `{raw_path}`")));
                }
                if let Some((_, url)) = params.iter().find(|(k, _)| k == "QueueUrl") {
                    let url_path =
                        url.split_once("://").map_or(url.as_str(), |(_, r)| r.split_once('/').map_or("", |(_, p)| p));
                    if format!("/{}", url_path.trim_end_matches('/')) != wire.path {
                        return Err(refuse(format!(
                            "the request is posted to the queue path `{}` but names `QueueUrl={url}`",
                            wire.path
                        )));
                    }
                }
            }
            wire.protocol = Protocol::Query;
            wire.params = params;
            Ok(wire)
        }
    }
}

fn content_type_is_form(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
}

/// The headers, lower-case names, each once, values visible ASCII.
fn headers(parts: &Parts) -> Result<Vec<(&str, &str)>, Unmapped> {
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        let name = name.as_str();
        if out.iter().any(|(n, _)| *n == name) {
            return Err(refuse(format!("header `{name}` is sent more than once")));
        }
        let bytes = value.as_bytes();
        if !bytes.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)) {
            return Err(refuse(format!(
                "header `{name}` has a byte that is not visible ASCII; AWS's headers are ASCII"
            )));
        }
        // Checked above: ASCII.
        let text = std::str::from_utf8(bytes).map_err(|_| refuse(format!("header `{name}` is not text")))?;
        out.push((name, text));
    }
    Ok(out)
}

/// The host forms the gateway serves: a loopback address or `localhost` (and the names given
/// with `--endpoint-host`), path-style; or `BUCKET.s3.localhost.localstack.cloud` and
/// `BUCKET.s3.REGION.localhost.localstack.cloud`, virtual-hosted. Returns the virtual bucket.
fn host_form(host: &str, gateway: &Gateway) -> Result<Option<String>, Unmapped> {
    let name = match host.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(':') && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ if host.starts_with('[') && host.ends_with(']') => host,
        Some(_) if !host.starts_with('[') => return Err(refuse(format!("Host `{host}` has a malformed port"))),
        _ => host,
    };
    if name.is_empty() {
        return Err(refuse("the Host header is empty"));
    }
    let lower = name.to_ascii_lowercase();
    if lower.contains("s3-accesspoint") || lower.contains("s3-object-lambda") {
        return Err(refuse(format!("Host `{host}` is an S3 {ACCESS_POINTS_UNMAPPED}")));
    }
    let loopback_ip =
        name.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback_ip
        || lower == "localhost"
        || lower == "localhost.localstack.cloud"
        || gateway.endpoint_hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    {
        return Ok(None);
    }
    let suffixes =
        ["s3.localhost.localstack.cloud".to_string(), format!("s3.{}.localhost.localstack.cloud", gateway.region)];
    for suffix in &suffixes {
        if let Some(label) = name.strip_suffix(suffix.as_str()).and_then(|l| l.strip_suffix('.')) {
            if label.contains('.') {
                return Err(refuse(format!(
                    "Host `{host}`: a virtual-hosted bucket name with a dot is read differently by emulators; use path-style requests for `{label}`"
                )));
            }
            if label != label.to_ascii_lowercase() {
                return Err(refuse(format!("Host `{host}`: bucket names are lower case")));
            }
            if ["localhost", "localstack", "www", "host"].iter().any(|p| label.starts_with(p)) {
                return Err(refuse(format!(
                    "Host `{host}`: a bucket named `{label}` is read as a path-style host by emulators; use path-style requests"
                )));
            }
            valid_bucket(label)?;
            return Ok(Some(label.to_string()));
        }
    }
    Err(refuse(format!(
        "Host `{host}` is not one of the gateway's endpoint forms (localhost, a loopback address, a name given with --endpoint-host, or BUCKET.s3[.{}].localhost.localstack.cloud)",
        gateway.region
    )))
}

/// The credential of an `Authorization` header written exactly as AWS's SDKs write it.
fn authorization_credential(value: &str) -> Result<String, Unmapped> {
    let bad = |why: &str| {
        refuse(format!(
            "the Authorization header is not `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` ({why})"
        ))
    };
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| bad("the algorithm"))?;
    let parts: Vec<&str> =
        rest.split(',').enumerate().map(|(i, p)| if i > 0 { p.strip_prefix(' ').unwrap_or(p) } else { p }).collect();
    let [credential, signed_headers, signature] = parts.as_slice() else {
        return Err(bad("it must have exactly three parts"));
    };
    let credential = credential.strip_prefix("Credential=").ok_or_else(|| bad("the first part is not Credential="))?;
    let signed_headers =
        signed_headers.strip_prefix("SignedHeaders=").ok_or_else(|| bad("the second part is not SignedHeaders="))?;
    let signature = signature.strip_prefix("Signature=").ok_or_else(|| bad("the third part is not Signature="))?;
    if credential.is_empty() || !credential.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b)) {
        return Err(bad("the credential"));
    }
    if signed_headers.is_empty()
        || !signed_headers.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-;".contains(&b))
    {
        return Err(bad("the signed headers"));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(bad("the signature is not 64 lower-case hex digits"));
    }
    Ok(credential.to_string())
}

/// The scope's service, after checking the scope's form and that its region is the gateway's.
fn scope_service(credential: &str, gateway: &Gateway) -> Result<String, Unmapped> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(refuse(format!("the credential `{credential}` is not KEY/DATE/REGION/SERVICE/aws4_request")));
    };
    if key.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) || *terminator != "aws4_request" {
        return Err(refuse(format!("the credential `{credential}` is not KEY/DATE/REGION/SERVICE/aws4_request")));
    }
    if *region != gateway.region {
        return Err(refuse(format!(
            "the request is signed for region `{region}`; this gateway serves `{}` (--region)",
            gateway.region
        )));
    }
    if service.is_empty() || !service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(refuse(format!("the credential scope's service `{service}` is not a lower-case signing name")));
    }
    Ok((*service).to_string())
}

/// `region/REGION` in a User-Agent (moto takes the request's region from it before the scope).
fn region_in_user_agent(agent: &str, gateway: &Gateway) -> Result<(), Unmapped> {
    let mut rest = agent;
    while let Some(at) = rest.find("region/") {
        let after = &rest[at + "region/".len()..];
        let region: String =
            after.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-').collect();
        if !region.is_empty() && region != gateway.region {
            return Err(refuse(format!(
                "the User-Agent names region `{region}`; this gateway serves `{}` and the request must not name another",
                gateway.region
            )));
        }
        rest = after;
    }
    Ok(())
}

/// `.REGION.amazonaws.com` in the host must name the gateway's region, and the path and query
/// name no `….amazonaws.com` at all: moto takes the request's region from the first such text
/// in the URL, before the credential scope (and S3's own pattern spans the path).
fn regions_in_url(host: &str, path: &str, query: &str, gateway: &Gateway) -> Result<(), Unmapped> {
    let mut from = 0;
    while let Some(at) = host[from..].find(".amazonaws.com") {
        let end = from + at;
        if let Some(start) = host[..end].rfind('.').map(|i| i + 1) {
            let label = &host[start..end];
            if label != gateway.region {
                return Err(refuse(format!(
                    "the Host names `{label}.amazonaws.com`, which emulators read as region `{label}`; this gateway serves `{}`",
                    gateway.region
                )));
            }
        }
        from = end + 1;
    }
    for text in [path.to_string(), query.to_string(), decode_lossy(path), decode_lossy(query)] {
        if text.to_ascii_lowercase().contains(".amazonaws.com") {
            return Err(refuse(
                "the URL's path or query names `….amazonaws.com`, from which emulators read a region; the gateway refuses it",
            ));
        }
    }
    Ok(())
}

/// What an emulator routes an unsigned (or presigned) request on, which an S3 request must not
/// carry.
fn unsigned_routing(
    service: &str,
    headers: &[(&str, &str)],
    query: &[(String, String)],
    raw_path: &str,
) -> Result<(), Unmapped> {
    if service != "s3" {
        return Err(refuse(format!("a presigned URL for {service}: the gateway takes presigned URLs for S3 only")));
    }
    if headers.iter().any(|(n, _)| *n == "x-amz-target") {
        return Err(refuse("an unsigned request with `X-Amz-Target`"));
    }
    if headers.iter().any(|(n, v)| *n == "content-type" && content_type_is_form(v)) {
        return Err(refuse("an unsigned S3 request with a form body, which emulators read as another service's call"));
    }
    if query.iter().any(|(k, _)| k == "Action" || k == "Version") {
        return Err(refuse("an unsigned S3 request with `Action` or `Version` parameters"));
    }
    let first_segment = raw_path.get(1..).and_then(|p| p.split_once('/')).map(|(s, _)| s);
    if first_segment.is_some_and(|s| s.contains('_')) {
        return Err(refuse(
            "an unsigned request whose path starts with a segment holding `_`, which emulators route as `/service_region/`",
        ));
    }
    if decode_lossy(raw_path).trim_end_matches('/').ends_with("/.well-known/jwks.json") {
        return Err(refuse("an unsigned request for `…/.well-known/jwks.json`, which emulators route to Cognito"));
    }
    Ok(())
}

/// Query or form pairs: `&`-separated, `name=value`, strictly percent-decoded (`+` a space),
/// UTF-8, each name once.
fn pairs(text: &str, place: &str) -> Result<Vec<(String, String)>, Unmapped> {
    let mut out: Vec<(String, String)> = Vec::new();
    if text.is_empty() {
        return Ok(out);
    }
    for piece in text.split('&') {
        if piece.is_empty() {
            return Err(refuse(format!("the {place} has an empty parameter (`&&` or a trailing `&`)")));
        }
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        let name = strict_decode(&k.replace('+', " "), place)?;
        let value = strict_decode(&v.replace('+', " "), place)?;
        if name.is_empty() {
            return Err(refuse(format!("the {place} has a parameter without a name")));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(refuse(format!("parameter `{name}` appears more than once in the {place}")));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// `%XX` decoding that refuses malformed escapes, text that is not UTF-8, and control characters.
pub(crate) fn strict_decode(s: &str, place: &str) -> Result<String, Unmapped> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let (Some(h), Some(l)) = (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
            else {
                return Err(refuse(format!("the {place} has a `%` that is not followed by two hex digits")));
            };
            out.push(u8::try_from(h * 16 + l).unwrap_or(0));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).map_err(|_| refuse(format!("the {place} does not decode to UTF-8")))?;
    if text.chars().any(char::is_control) {
        return Err(refuse(format!("the {place} has a control character")));
    }
    Ok(text)
}

/// The bucket and key of an S3 path, refusing what is not canonical.
fn s3_path(raw_path: &str, virtual_bucket: Option<String>) -> Result<(String, String), Unmapped> {
    if !raw_path.starts_with('/') {
        return Err(refuse("the path does not start with `/`"));
    }
    if raw_path.starts_with("//") {
        return Err(refuse("the path starts with `//`; emulators and S3 read such paths differently"));
    }
    if raw_path.contains(';') {
        // URL parsers split `;params` off the last segment; S3 keeps it in the key.
        return Err(refuse("the path has a literal `;`; write it as `%3B`"));
    }
    let decoded = strict_decode(raw_path, "path")?;
    let (bucket, key) = match virtual_bucket {
        Some(bucket) => (bucket, decoded[1..].to_string()),
        None => {
            let rest = &raw_path[1..];
            let (raw_bucket, _) = rest.split_once('/').unwrap_or((rest, ""));
            if raw_bucket.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("arn:"))
                || raw_bucket.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("arn%3a"))
            {
                return Err(refuse(format!(
                    "the path names an ARN (`{raw_bucket}`) where the bucket goes: an S3 {ACCESS_POINTS_UNMAPPED}"
                )));
            }
            if raw_bucket.contains('%') {
                return Err(refuse("the bucket in the path is percent-encoded; bucket names never need it"));
            }
            let rest = &decoded[1..];
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if !bucket.is_empty() {
                valid_bucket(bucket)?;
            }
            (bucket.to_string(), key.to_string())
        }
    };
    if !key.is_empty() && key.split('/').any(|s| s == "." || s == "..") {
        return Err(refuse("the object key has a `.` or `..` segment, which HTTP stacks may normalise away"));
    }
    if key.contains("//") || key.starts_with('/') {
        return Err(refuse("the object key has an empty segment (`//`), which HTTP stacks may normalise away"));
    }
    Ok((bucket, key))
}

/// Why a request through an S3 access point is refused (decision D139): the gateway decides
/// requests on buckets, and does not map access point hosts, ARNs or aliases.
const ACCESS_POINTS_UNMAPPED: &str = "access point request, which the gateway does not map (it decides requests on buckets; send the request to the bucket, or decide it with `iamspect eval` and a case's `accessPoint`)";

/// S3's bucket naming rules: 3 to 63 characters of lower-case letters, digits, dots and hyphens,
/// beginning and ending with a letter or digit, no two dots in a row, not an IP address.
pub(crate) fn valid_bucket(name: &str) -> Result<(), Unmapped> {
    // S3 reserves these suffixes for access point aliases, which read as bucket names.
    if name.ends_with("-s3alias") || name.ends_with("--ol-s3") {
        return Err(refuse(format!("`{name}` is an S3 access point alias: {ACCESS_POINTS_UNMAPPED}")));
    }
    let ok = (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && name.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err();
    if ok {
        Ok(())
    } else {
        Err(refuse(format!(
            "`{name}` is not a valid bucket name (3 to 63 lower-case letters, digits, dots and hyphens)"
        )))
    }
}

/// A JSON body, refusing a key that appears twice in any object.
pub(crate) fn strict_json(body: &[u8]) -> Result<Value, Unmapped> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde::de::DeserializeSeed::deserialize(NoDuplicates, &mut de)
        .map_err(|e| refuse(format!("the JSON body: {e}")))?;
    de.end().map_err(|e| refuse(format!("the JSON body: {e}")))?;
    Ok(value)
}

/// Builds a [`Value`] like serde_json does, but fails on a repeated key.
#[derive(Clone, Copy)]
struct NoDuplicates;

impl<'de> serde::de::DeserializeSeed<'de> for NoDuplicates {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicates {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(NoDuplicates)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("key `{key}` appears twice in one object")));
            }
            let value = map.next_value_seed(NoDuplicates)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
