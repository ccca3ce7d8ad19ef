//! `/` and every path outside the API: STS-scoped requests go to the STS handler; in gateway mode
//! every other signed request (and anonymous S3 request) goes to [`crate::gateway`]; `GET /`
//! without a signature and without `Action=` redirects to the web page at `/ui/`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iamspect_auth::{AwsError, HttpRequestParts};
use serde_json::json;

use crate::gateway::{self, Shape, respond};
use crate::state::AppState;

/// Paths that belong to the API and are never gateway requests.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/v1/")
        || path == "/v1"
        || path == "/healthz"
        || path == "/openapi.json"
        || path == "/ui"
        || path.starts_with("/ui/")
}

async fn read_body(state: &AppState, body: axum::body::Body) -> Result<Bytes, (StatusCode, String)> {
    let limit = state.settings().body_limit;
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = e.to_string().contains("length limit");
        if too_large {
            (StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is over the server's limit of {limit} bytes"))
        } else {
            (StatusCode::BAD_REQUEST, format!("cannot read the request body: {e}"))
        }
    })
}

/// `GET /` and `POST /` (and any other method on `/`).
pub(crate) async fn root(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (claimed, action_in_query, target, virtual_host) = {
        let peek = HttpRequestParts::from_http(&parts, b"");
        let action = peek.query_params().iter().any(|(k, _)| k == "Action");
        // `bucket.s3.…localhost.localstack.cloud`: an S3 request for the bucket, not the web page.
        let virtual_host = peek.header_str("host").is_some_and(|h| {
            let h = h.rsplit_once(':').map_or(h, |(name, _)| name).to_ascii_lowercase();
            h.ends_with(".localhost.localstack.cloud") && h.contains(".s3.")
        });
        (gateway::scope::claimed(&peek), action, peek.header_str("x-amz-target").is_some(), virtual_host)
    };
    let gateway_on = state.gateway().is_some();
    let anonymous_bucket = gateway_on && virtual_host;
    if !claimed.signed && parts.method == Method::GET && !action_in_query && !anonymous_bucket {
        let mut response = StatusCode::SEE_OTHER.into_response();
        response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/ui/"));
        return response;
    }
    let to_gateway = gateway_on
        && if claimed.signed {
            claimed.service.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("sts"))
        } else {
            target || (virtual_host && !action_in_query)
        };
    let body = read_body(&state, body).await;
    if to_gateway {
        return handle(state, parts, body).await;
    }
    crate::routes::sts::sts_with_body(state, parts, body).await
}

/// In gateway mode, a request for one of the API's paths that is an AWS call (SigV4- or
/// SigV2-signed, or addressed to an S3 virtual host) belongs to the gateway, never to the API: a
/// bucket may be named `healthz` (issue 15). Runs before routing.
pub(crate) async fn aws_calls_first(
    State(state): State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let aws_call = state.gateway().is_some() && is_api_path(request.uri().path()) && {
        let headers = request.headers();
        let signed_header = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("AWS4-") || v.starts_with("AWS "));
        let query = request.uri().query().unwrap_or("");
        let presigned = query.split('&').any(|p| {
            let name = p.split('=').next().unwrap_or("");
            matches!(name, "X-Amz-Credential" | "X-Amz-Signature" | "X-Amz-Algorithm" | "AWSAccessKeyId")
        });
        let virtual_host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).is_some_and(|h| {
            let h = h.rsplit_once(':').map_or(h, |(name, _)| name).to_ascii_lowercase();
            h.ends_with(".localhost.localstack.cloud") && h.contains(".s3.")
        });
        signed_header || presigned || virtual_host || headers.contains_key("x-amz-target")
    };
    if !aws_call {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let body = read_body(&state, body).await;
    handle(state, parts, body).await
}

/// Every path no route matched: the gateway in gateway mode, else 404.
pub(crate) async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if state.gateway().is_none() || is_api_path(&path) {
        return crate::routes::health::not_found(request.uri().clone()).await.into_response();
    }
    let (parts, body) = request.into_parts();
    let claimed = gateway::scope::claimed(&HttpRequestParts::from_http(&parts, b""));
    let body = read_body(&state, body).await;
    if claimed.signed && claimed.service.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("sts")) {
        return crate::routes::sts::sts_with_body(state, parts, body).await;
    }
    handle(state, parts, body).await
}

/// One gateway request: decided, then answered, forwarded or refused.
async fn handle(state: AppState, parts: Parts, body: Result<Bytes, (StatusCode, String)>) -> Response {
    let request_id = crate::sts::request_id();
    let body = match body {
        Ok(b) => b,
        Err((status, message)) => {
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "RequestEntityTooLarge" } else { "InvalidRequest" };
            let e = AwsError { code, status: status.as_u16(), message, extra: Vec::new() };
            // The body is not there to read an `Action` from: the scope and headers tell the shape.
            let peek = HttpRequestParts::from_http(&parts, b"");
            let service = gateway::scope::claimed(&peek).service;
            let shape = if peek.header_str("x-amz-target").is_some() {
                Shape::Json { content_type: peek.header_str("content-type").unwrap_or_default().to_string() }
            } else if service.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("s3")) {
                Shape::S3
            } else {
                Shape::Other { query: true }
            };
            return respond::error(&shape, &e, &request_id, None);
        }
    };
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    // The protocol's shape for the gateway's own errors (502, control paths): S3 clients read
    // S3's XML, Query clients Query's XML, JSON clients JSON.
    let shape = gateway::shape_before_reading(&HttpRequestParts::from_http(&parts, &body));
    let upstream = state.gateway().and_then(|g| g.upstream.clone());
    if gateway::wire::is_control_path(parts.uri.path()) {
        // An emulator's own paths are no AWS call: refused unless the operator opted in (D50).
        let opted_in = state.gateway().is_some_and(|g| g.allow_emulator_control);
        return match (opted_in, upstream) {
            (true, Some(upstream)) => {
                tracing::warn!(
                    path = parts.uri.path(),
                    "gateway: emulator control path forwarded unauthorized (--allow-emulator-control)"
                );
                match gateway::proxy::forward(&upstream, parts, body).await {
                    Ok(response) => response,
                    Err(e) => {
                        let e = AwsError {
                            code: "IamspectUpstreamUnavailable",
                            status: 502,
                            message: e,
                            extra: Vec::new(),
                        };
                        respond::error(&shape, &e, &request_id, None)
                    }
                }
            }
            _ => {
                let e = AwsError {
                    code: gateway::wire::CONTROL_PATH,
                    status: 403,
                    message: format!(
                        "`{}` is an emulator's control path, not an AWS API call; the gateway forwards it only with --allow-emulator-control",
                        parts.uri.path()
                    ),
                    extra: Vec::new(),
                };
                respond::error(&shape, &e, &request_id, None)
            }
        };
    }
    // A cheap request is decided where it arrived, as /v1/authorize decides small bodies (D38,
    // D72); the others run on the bounded pool, under the request's deadline.
    let decided = if gateway::decides_inline(&parts, &body) {
        let decided = gateway::decide(&state, &parts, &body, peer, &request_id);
        Ok((parts, body, request_id, decided))
    } else {
        let work = crate::routes::Work::of(&parts.extensions, &state);
        let worker = state.clone();
        work.run(move |_cancel| {
            let decided = gateway::decide(&worker, &parts, &body, peer, &request_id);
            (parts, body, request_id, decided)
        })
        .await
    };
    let (parts, body, request_id, decided) = match decided {
        Ok(x) => x,
        Err(refused) => {
            let (code, status, message) = match refused {
                crate::routes::Refused::Deadline => {
                    ("RequestTimeout", 408, "the gateway could not decide the request within the server's --timeout")
                }
                crate::routes::Refused::Busy => {
                    let code = if shape == Shape::S3 { "SlowDown" } else { "ServiceUnavailable" };
                    (code, 503, "the gateway is busy; retry")
                }
                crate::routes::Refused::Failed(e) => {
                    tracing::error!(error = %e, "gateway: decision failed");
                    ("InternalError", 500, "the gateway could not decide the request")
                }
            };
            let e = AwsError { code, status, message: message.to_string(), extra: Vec::new() };
            return respond::error(&shape, &e, &crate::sts::request_id(), None);
        }
    };
    let allowed = match decided {
        Ok(a) => a,
        Err(response) => return response,
    };
    if let (Some(plan), Some(upstream)) = (&allowed.partial_delete, &upstream) {
        return gateway::delete::answer(upstream, &parts, plan, &request_id).await;
    }
    match upstream {
        Some(upstream) => match gateway::forward_allowed(&state, &upstream, parts, body, &allowed, &request_id).await {
            Ok(response) => response,
            Err(e) => {
                tracing::warn!(error = %e, "gateway: upstream failed");
                let e = AwsError { code: "IamspectUpstreamUnavailable", status: 502, message: e, extra: Vec::new() };
                respond::error(&shape, &e, &request_id, None)
            }
        },
        None => {
            let body = json!({
                "allowed": true,
                "operation": allowed.operation,
                "principal": allowed.principal,
                "actions": allowed.checks.iter().map(|c| c.action.as_str()).collect::<Vec<_>>(),
                "resources": allowed.checks.iter().map(|c| c.resource.as_str()).collect::<Vec<_>>(),
            });
            let mut body = body;
            if let Some(plan) = &allowed.partial_delete {
                let denied: Vec<&str> = plan.objects.iter().filter(|o| o.denied).map(|o| o.key.as_str()).collect();
                body["deniedKeys"] = json!(denied);
            }
            let mut response = axum::Json(body).into_response();
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("x-amzn-requestid", v);
            }
            response
        }
    }
}
