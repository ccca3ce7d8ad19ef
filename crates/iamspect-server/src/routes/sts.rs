//! `POST /` and `GET /`: AWS STS in the Query protocol (`Action=...&Version=2011-06-15`), signed
//! with SigV4. Authentication failures answer with AWS's Query XML error and status.

use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iamspect_auth::{AwsError, Expected, HttpRequestParts, Protocol};

use crate::state::AppState;
use crate::sts::{self, Call, Params};

/// The STS handler, for a body already read (or the status and text of why it could not be);
/// called by [`super::gateway::root`] for `/` and by the gateway's fallback for STS-scoped requests.
pub(crate) async fn sts_with_body(
    state: AppState,
    parts: Parts,
    body: Result<Bytes, (StatusCode, String)>,
) -> Response {
    let request_id = sts::request_id();
    let body = match body {
        Ok(b) => b,
        Err((status, text)) => {
            let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
                ("RequestEntityTooLarge", "The request body is larger than the server's limit.".to_string())
            } else {
                ("InvalidRequest", text)
            };
            return answer(Err(sts::error(code, status.as_u16(), message)), &request_id);
        }
    };
    let result =
        tokio::task::spawn_blocking(move || handle(&state, &parts, &body, &request_id).map(|x| (x, request_id))).await;
    match result {
        Ok(Ok((xml, id))) => answer(Ok(xml), &id),
        Ok(Err((e, id))) => answer(Err(e), &id),
        Err(e) => {
            tracing::error!(error = %e, "STS task failed");
            answer(Err(sts::error("InternalFailure", 500, "An internal error occurred.")), &sts::request_id())
        }
    }
}

#[allow(clippy::type_complexity, reason = "the request id travels with the error")]
fn handle(state: &AppState, parts: &Parts, body: &[u8], request_id: &str) -> Result<String, (AwsError, String)> {
    let fail = |e: AwsError| (e, request_id.to_string());
    let sts_state = state.sts();
    let now = sts_state.now();
    let request = HttpRequestParts::from_http(parts, body);
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let mut params = Params::default();
    if form {
        params.0.extend(form_urlencoded::parse(body).into_owned());
    }
    params.0.extend(request.query_params());
    let account = state.account();
    let action = params.0.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str());
    if sts::is_unsigned(action) {
        // AWS STS takes these without a signature: the token or assertion is the credential.
        let out = sts_state.with_oidc(|oidc| {
            sts::dispatch_unsigned(&sts::Unsigned {
                params: &params,
                data: account.as_deref().map(|a| &a.data),
                store: sts_state.store(),
                oidc,
                now,
                request_id,
            })
        });
        tracing::info!(action, "sts (unsigned)");
        return out.map_err(fail);
    }
    let expected = Expected { service: Some("sts"), region: None };
    let caller = iamspect_auth::verify_with(&request, sts_state.store(), now, &expected)
        .map_err(|e| fail(e.to_aws_for(Protocol::Query, "sts")))?;
    let call = Call {
        params: &params,
        caller: &caller,
        data: account.as_deref().map(|a| &a.data),
        store: sts_state.store(),
        message_key: state.message_key(),
        now,
        request_id,
    };
    let out = sts::dispatch(&call).map_err(fail)?;
    tracing::info!(
        action = params.0.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str()),
        caller = caller.principal_arn(),
        "sts"
    );
    Ok(out)
}

fn answer(result: Result<String, AwsError>, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(xml) => (StatusCode::OK, xml),
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            let body = e.to_query_xml(request_id).replacen(
                "<ErrorResponse>",
                &format!("<ErrorResponse xmlns=\"{}\">", sts::XMLNS),
                1,
            );
            (status, body)
        }
    };
    let mut response = (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}
