//! `POST /v1/explain`: one case in, what `iamspect explain --format json` prints for it out:
//! AWS's `SimulatePrincipalPolicy` `EvaluationResult` with the trace, AWS's AccessDenied message
//! and error code, the decision without each denying statement, context changes that would
//! change it, and a fix proved by re-evaluation.
//!
//! Everything past reading the body (the JSON, the case, the explanation and its serialization)
//! runs on the bounded pool under the request's deadline, and stops when it passes.

use axum::extract::{Request, State};
use axum::response::Response;
use iamspect_case::Compiler;
use iamspect_explain::report::{Report, known_action};
use serde_json::value::RawValue;

use super::Work;
use crate::error::AppError;
use crate::state::AppState;

pub(crate) async fn explain(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        let axum::Json(body) = axum::Json::<Box<RawValue>>::from_bytes(&bytes)?;
        let mut compiler = Compiler::new();
        let refs = state.policies().lookup();
        // `unknownKeys` (decision D120) is not part of the case: taken out, answered beside it.
        let unknown = super::allowed_if::split(body.get())?;
        let text = unknown.as_ref().map_or(body.get(), |(_, rest)| rest.as_str());
        let case = super::case(text, &state, &mut compiler, &refs)?;
        let built = case.built?;
        known_action(built.request.action()).map_err(AppError::InvalidInput)?;
        let residual = match &unknown {
            Some((keys, _)) => Some(super::allowed_if::fields(&built.request, &built.policies, keys, cancel)?),
            None => None,
        };
        // Cancelled means the request's deadline passed (or its client left): nobody reads this.
        let report = Report::new_cancellable(&built.request, &built.policies, cancel).map_err(|_| AppError::Timeout)?;
        let mut json = report.to_json_cancellable(&built.request, cancel).map_err(|_| AppError::Timeout)?;
        if let (Some(fields), Some(obj)) = (residual, json.as_object_mut()) {
            obj.extend(fields);
        }
        super::json_response(&json)
    })
    .await
}
