//! `POST /v1/explain`: one case in, what `iamspect explain --format json` prints for it out:
//! AWS's `SimulatePrincipalPolicy` `EvaluationResult` with the trace, AWS's AccessDenied message
//! and error code, the decision without each denying statement, context changes that would
//! change it, and a fix proved by re-evaluation.

use axum::Json;
use axum::extract::State;
use iamspect_case::{Built, Compiler};
use iamspect_explain::report::{Report, known_action};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{AppError, AppJson};
use crate::state::AppState;

pub(crate) async fn explain(
    State(state): State<AppState>,
    AppJson(body): AppJson<Box<RawValue>>,
) -> Result<Json<Value>, AppError> {
    super::blocking(move || {
        let mut compiler = Compiler::new();
        let refs = state.policies().lookup();
        let case = super::case(body.get(), &state, &mut compiler, &refs)?;
        let built = case.built?;
        known_action(built.request.action()).map_err(AppError::InvalidInput)?;
        Ok(Json(report(&built)))
    })
    .await
}

/// The same JSON as `iamspect explain --format json` for one request.
pub(crate) fn report(built: &Built) -> Value {
    Report::new(&built.request, &built.policies).to_json(&built.request)
}
