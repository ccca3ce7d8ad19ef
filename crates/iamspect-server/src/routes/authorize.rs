//! `POST /v1/authorize`: one case in, `{decision, deniedBy}` out (and `pass` when the case has
//! `expect`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use iamspect_case::{Actual, Case};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::error::{AppError, AppJson};
use crate::state::AppState;

pub(crate) async fn authorize(
    State(state): State<AppState>,
    AppJson(body): AppJson<Box<RawValue>>,
) -> Result<Json<Value>, AppError> {
    let case = cached_case(body.get(), &state)?;
    let (actual, pass) = iamspect_case::run(&case);
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
    Ok(Json(out))
}

/// The case of `text`, built with the shared policy compilers, or (without account data, where
/// the case depends on the body alone) taken from the cases built from earlier identical bodies.
fn cached_case(text: &str, state: &AppState) -> Result<Arc<Case>, AppError> {
    let build = || state.compilers().with(|compiler| super::case(text, state, compiler)).map(Arc::new);
    if !state.account_paths().is_empty() {
        return build();
    }
    if let Some(case) = state.cases().get(text) {
        return Ok(case);
    }
    let case = build()?;
    state.cases().insert(text, Arc::clone(&case));
    Ok(case)
}
