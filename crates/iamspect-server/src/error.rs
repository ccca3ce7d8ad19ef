//! The one error type of the service: every failure becomes a status code and a JSON body
//! `{"code": "...", "message": "..."}`, including the extractor's rejections (malformed JSON,
//! oversized bodies, wrong content type), unknown routes and timeouts.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// The body is not JSON (400, `MalformedJSON`).
    MalformedJson(String),
    /// The body is JSON but not what the route takes (400, `InvalidInput`).
    InvalidInput(String),
    /// A case that cannot be decided: a policy that does not parse, a quota (400, the case's
    /// code: `MalformedPolicyDocument`, `LimitExceeded`, `InvalidInput`).
    Case(iamspect_case::CaseError),
    /// The body is larger than the limit (413, `PayloadTooLarge`).
    PayloadTooLarge(String),
    /// The body is not `application/json` (415, `UnsupportedMediaType`).
    UnsupportedMediaType(String),
    /// No such route (404, `NotFound`).
    NotFound(String),
    /// The route exists, the method does not (405, `MethodNotAllowed`).
    MethodNotAllowed,
    /// The service was started without what the request needs (409, `Conflict`).
    Conflict(String),
    /// The request took longer than the timeout (408, `RequestTimeout`).
    Timeout,
    /// The request's target is longer than the server reads (414, `URITooLong`).
    UriTooLong(String),
    /// The request's header fields are more or larger than the server reads (431,
    /// `RequestHeaderFieldsTooLarge`).
    HeadersTooLarge(String),
    /// Too many requests already wait for a worker (503, `ServiceUnavailable`); try again.
    Busy,
    /// A bug or a failed task: logged, and hidden from the client (500, `InternalError`).
    Internal(String),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MalformedJson(_) | AppError::InvalidInput(_) | AppError::Case(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            AppError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The short code of the body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::MalformedJson(_) => "MalformedJSON",
            AppError::InvalidInput(_) => "InvalidInput",
            AppError::Case(e) => e.code,
            AppError::PayloadTooLarge(_) => "PayloadTooLarge",
            AppError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            AppError::NotFound(_) => "NotFound",
            AppError::MethodNotAllowed => "MethodNotAllowed",
            AppError::Conflict(_) => "Conflict",
            AppError::Timeout => "RequestTimeout",
            AppError::UriTooLong(_) => "URITooLong",
            AppError::HeadersTooLarge(_) => "RequestHeaderFieldsTooLarge",
            AppError::Busy => "ServiceUnavailable",
            AppError::Internal(_) => "InternalError",
        }
    }

    /// The message of the body.
    pub fn message(&self) -> String {
        match self {
            AppError::MalformedJson(m)
            | AppError::InvalidInput(m)
            | AppError::PayloadTooLarge(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::NotFound(m)
            | AppError::UriTooLong(m)
            | AppError::HeadersTooLarge(m)
            | AppError::Conflict(m) => m.clone(),
            AppError::Case(e) => e.message.clone(),
            AppError::MethodNotAllowed => "the route does not take this method".to_string(),
            AppError::Timeout => "the request took longer than the server's timeout".to_string(),
            AppError::Busy => "the server has too many requests waiting for a worker; try again shortly".to_string(),
            AppError::Internal(_) => "internal error; see the server's log".to_string(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(detail = %detail, "internal error");
        }
        let body = json!({"code": self.code(), "message": self.message()});
        let mut response = (self.status(), axum::Json(body)).into_response();
        if matches!(self, AppError::Busy) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        match rejection {
            JsonRejection::JsonSyntaxError(e) => {
                AppError::MalformedJson(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => AppError::InvalidInput(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
                "the body must be JSON, with `Content-Type: application/json`".to_string(),
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge("the body is larger than the server's limit".to_string())
            }
            other => AppError::InvalidInput(other.body_text()),
        }
    }
}

impl From<iamspect_case::CaseError> for AppError {
    fn from(e: iamspect_case::CaseError) -> AppError {
        AppError::Case(e)
    }
}

/// `axum::Json`, with rejections in the app's error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(AppJson(value))
    }
}

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
