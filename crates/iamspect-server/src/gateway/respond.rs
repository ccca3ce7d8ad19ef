//! The gateway's answers in each protocol's shape (spec §8.4): S3's `<Error>` XML, the Query
//! protocol's `<ErrorResponse>`, EC2's `<Response><Errors>`, and the JSON protocols'
//! `{"__type", "message"}` with `x-amzn-ErrorType`. Every deny also carries the encoded
//! authorization message in the [`MESSAGE_HEADER`] header.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use iamspect_auth::{AwsError, Protocol, xml_escape};

/// The response header that carries iamspect's encoded authorization message on every deny.
pub(crate) const MESSAGE_HEADER: &str = "x-iamspect-authorization-message";

/// The shape of a service's answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// S3's REST-XML.
    S3,
    /// The AWS Query protocol (SQS, SNS, IAM, ...).
    Query,
    /// EC2's query dialect.
    Ec2,
    /// AWS JSON (`X-Amz-Target`): the request's content type is echoed.
    Json { content_type: String },
    /// REST-JSON (Lambda).
    RestJson,
    /// A protocol iamspect does not map: errors in Query XML (`query`) or JSON.
    Other { query: bool },
}

impl Shape {
    /// The protocol whose authentication errors this shape uses.
    pub(crate) fn auth_protocol(&self) -> Protocol {
        match self {
            Shape::S3 => Protocol::S3,
            Shape::Query | Shape::Ec2 | Shape::Other { query: true } => Protocol::Query,
            Shape::Json { .. } | Shape::RestJson | Shape::Other { query: false } => Protocol::Json,
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// An error answer in the shape.
pub(crate) fn error(shape: &Shape, e: &AwsError, request_id: &str, encoded: Option<&str>) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::FORBIDDEN);
    let (content_type, body) = match shape {
        Shape::S3 => ("application/xml".to_string(), e.to_s3_xml(request_id, &host_id(request_id))),
        Shape::Query | Shape::Other { query: true } => ("text/xml".to_string(), e.to_query_xml(request_id)),
        Shape::Ec2 => (
            "text/xml;charset=UTF-8".to_string(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
                xml_escape(e.code),
                xml_escape(&e.message),
                xml_escape(request_id)
            ),
        ),
        Shape::Json { content_type } => (
            if content_type.starts_with("application/x-amz-json") {
                content_type.clone()
            } else {
                "application/x-amz-json-1.1".to_string()
            },
            format!("{{\"__type\":{},\"message\":{}}}", json_string(e.code), json_string(&e.message)),
        ),
        Shape::RestJson | Shape::Other { query: false } => (
            "application/json".to_string(),
            format!("{{\"__type\":{},\"message\":{}}}", json_string(e.code), json_string(&e.message)),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        let name = if *shape == Shape::S3 { "x-amz-request-id" } else { "x-amzn-requestid" };
        headers.insert(name, v);
    }
    if *shape == Shape::S3
        && let Ok(v) = HeaderValue::from_str(&host_id(request_id))
    {
        headers.insert("x-amz-id-2", v);
    }
    if matches!(shape, Shape::Json { .. } | Shape::RestJson | Shape::Other { query: false })
        && let Ok(v) = HeaderValue::from_str(e.code)
    {
        headers.insert("x-amzn-errortype", v);
    }
    if let Some(token) = encoded
        && let Ok(v) = HeaderValue::from_str(token)
    {
        headers.insert(MESSAGE_HEADER, v);
    }
    response
}

/// S3's `HostId` (and `x-amz-id-2`): here derived from the request id.
fn host_id(request_id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("iamspect/{request_id}"))
}

/// The code and status of an authorization failure in a shape (decision D28).
pub(crate) fn deny_code(shape: &Shape) -> (&'static str, u16) {
    match shape {
        Shape::S3 | Shape::Query | Shape::Other { .. } => ("AccessDenied", 403),
        Shape::Ec2 => ("UnauthorizedOperation", 403),
        Shape::Json { .. } => ("AccessDeniedException", 400),
        Shape::RestJson => ("AccessDeniedException", 403),
    }
}

/// The AccessDenied answer: `message` is AWS's text for the decision; `encoded` the token.
pub(crate) fn denied(shape: &Shape, message: &str, encoded: Option<&str>, request_id: &str) -> Response {
    let (code, status) = deny_code(shape);
    let message = match (shape, encoded) {
        (Shape::Ec2, Some(token)) => format!(
            "You are not authorized to perform this operation. {message}. Encoded authorization failure message: {token}"
        ),
        (Shape::Ec2, None) => format!("You are not authorized to perform this operation. {message}"),
        _ => message.to_string(),
    };
    error(shape, &AwsError { code, status, message, extra: Vec::new() }, request_id, encoded)
}
