//! `POST /v1/authorize`: one case in, `{decision, deniedBy}` out (and `pass` when the case has
//! `expect`).
//!
//! Two ways in, with the same answers:
//!
//! - the fast way, for a body sent as exactly `Content-Type: application/json` that is a valid
//!   case with every policy inline: the body is read once, straight into the case
//!   ([`iamspect_case::inline_case`]: policies known from earlier requests are recognised by
//!   their first bytes and compared, not parsed again; see [`crate::cache`]), or named by the id
//!   of a policy registered with `POST /v1/policies` (looked up by its digest, see
//!   [`crate::policy_store`]);
//! - the exact way, for everything else (other content types, account-data requests, anything
//!   invalid): axum's JSON parser, then [`super::case`], which also writes every error.
//!
//! A body decided before is answered at once from the case cache; a new body up to
//! [`INLINE_BODY`] without account data is read and decided where it arrived; anything larger,
//! and every request about account data, on the bounded pool under the request's deadline.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use iamspect_case::{Actual, Case};
use iamspect_core::Outcome;
use serde_json::json;
use serde_json::value::RawValue;

use super::Work;
use crate::cache::{BodyKey, CaseCache};
use crate::error::AppError;
use crate::state::AppState;

/// Bodies up to this size are decided on the async worker that read them, without account data:
/// reading such a case and deciding it costs well under a millisecond (a 16 KiB body of 300
/// statements that all fail to parse: about 0.3 ms), less than a trip to the pool. Larger
/// bodies, and every request about account data, go to the bounded pool.
pub(crate) const INLINE_BODY: usize = 16 * 1024;

pub(crate) async fn authorize(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let plain_json = req.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes() == b"application/json");
    let bytes = if plain_json {
        Bytes::from_request(req, &state).await.map_err(|e| AppError::from(JsonRejection::from(e)))?
    } else {
        super::json_bytes(req, &state).await?
    };
    // A body decided before: microseconds, here. (Cases are remembered only without account data.)
    let key = (plain_json && state.account_paths().is_empty())
        .then(|| std::str::from_utf8(&bytes).ok().map(CaseCache::key))
        .flatten();
    if let (Some(key), Ok(text)) = (key, std::str::from_utf8(&bytes))
        && let Some(case) = state.cases().get_keyed(text, key)
    {
        return answer(&case);
    }
    if bytes.len() <= INLINE_BODY && state.account_paths().is_empty() {
        return decide(&bytes, plain_json, key, &state);
    }
    super::offload(&work, move |_| decide(&bytes, plain_json, key, &state)).await
}

/// Reads the body into a case (see the module's documentation) and decides it; `key` is the
/// body's cache key when it was looked up already.
fn decide(bytes: &[u8], plain_json: bool, key: Option<BodyKey>, state: &AppState) -> Result<Response, AppError> {
    if plain_json && let Some(case) = fast_case(bytes, key, state) {
        return answer(&case);
    }
    let axum::Json(body) = axum::Json::<Box<RawValue>>::from_bytes(bytes)?;
    let case = cached_case(body.get(), state)?;
    answer(&case)
}

/// The decision on `case`, as the route answers it.
fn answer(case: &Case) -> Result<Response, AppError> {
    let (actual, pass) = iamspect_case::run(case);
    if let Actual::Decision(outcome) = &actual
        && let Some(text) = decision_json(outcome, case.expect.is_some().then_some(pass))
    {
        return Ok(([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], text).into_response());
    }
    let mut out = match actual {
        Actual::Decision(outcome) => json!({
            "decision": outcome.decision.as_str(),
            "deniedBy": outcome.denied_by.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        }),
        // A case that expects an error gets it as its answer; any other gets a 400.
        Actual::Error(e) if case.expect.as_ref().is_some_and(|x| x.error.is_some()) => {
            json!({"error": {"code": e.code, "message": e.message}})
        }
        Actual::Error(e) => return Err(AppError::Case(e)),
    };
    if let (Some(_), Some(obj)) = (&case.expect, out.as_object_mut()) {
        obj.insert("pass".to_string(), json!(pass));
    }
    Ok(Json(out).into_response())
}

/// `{"decision":...,"deniedBy":[...]}` (and `"pass"`), byte for byte as serde_json writes it,
/// without building a `Value`; `None` if a name would need escaping (none does).
fn decision_json(outcome: &Outcome, pass: Option<bool>) -> Option<String> {
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let mut out = String::with_capacity(64);
    let decision = outcome.decision.as_str();
    plain(decision).then_some(())?;
    out.push_str(r#"{"decision":""#);
    out.push_str(decision);
    out.push_str(r#"","deniedBy":["#);
    for (i, d) in outcome.denied_by.iter().enumerate() {
        plain(d.as_str()).then_some(())?;
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(d.as_str());
        out.push('"');
    }
    out.push(']');
    match pass {
        Some(true) => out.push_str(r#","pass":true"#),
        Some(false) => out.push_str(r#","pass":false"#),
        None => {}
    }
    out.push('}');
    Some(out)
}

/// The case of a body read in one parse, or `None` when the exact way must decide (see the
/// module's documentation). Cases that depend on the body alone are remembered by it.
fn fast_case(bytes: &[u8], key: Option<BodyKey>, state: &AppState) -> Option<Arc<Case>> {
    let text = std::str::from_utf8(bytes).ok()?;
    // The caller looked the body up already (and found nothing) when it gives the key.
    let key = match key {
        Some(key) => Some(key),
        None => {
            let key = state.account_paths().is_empty().then(|| CaseCache::key(text));
            if let Some(key) = key
                && let Some(case) = state.cases().get_keyed(text, key)
            {
                return Some(case);
            }
            key
        }
    };
    let refs = state.policies().lookup();
    let read = state.compilers().with(|compiler| iamspect_case::inline_case_with_refs(text, compiler, &refs))?;
    // With account data, a body without policies is a request about the account's principals.
    if !read.has_policies && state.account().is_some() {
        return None;
    }
    let case = Arc::new(read.case);
    // A case that named an id the store lacks depends on the store, not the body alone.
    if let Some(key) = key.filter(|_| !refs.missed()) {
        state.cases().insert_if_seen(text, key, Arc::clone(&case));
    }
    Some(case)
}

/// The case of `text`, built with the shared policy compilers, or (without account data, where
/// the case depends on the body alone) taken from the cases built from earlier identical bodies.
fn cached_case(text: &str, state: &AppState) -> Result<Arc<Case>, AppError> {
    let refs = state.policies().lookup();
    let build = || state.compilers().with(|compiler| super::case(text, state, compiler, &refs)).map(Arc::new);
    if !state.account_paths().is_empty() {
        return build();
    }
    if let Some(case) = state.cases().get(text) {
        return Ok(case);
    }
    let case = build()?;
    // A case that named an id the store lacks depends on the store, not the body alone.
    if !refs.missed() {
        state.cases().insert(text, Arc::clone(&case));
    }
    Ok(case)
}
