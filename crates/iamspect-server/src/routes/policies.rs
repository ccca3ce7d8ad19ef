//! `POST /v1/policies` and `GET /v1/policies/{id}`: policies sent once and then named in cases
//! by their content-derived id (see [`crate::policy_store`]).

use axum::extract::{Path, Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::Work;
use crate::error::AppError;
use crate::policy_store::{StoreError, check_text};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Register<'a> {
    #[serde(borrow)]
    policies: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    policy: Option<&'a RawValue>,
}

/// Stores each policy and answers its id: `{"ids": [...]}` for `policies`, `{"id"}` for `policy`.
/// Checking the texts runs on the bounded pool, under the request's deadline.
pub(crate) async fn register(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |_| {
        let axum::Json(body) = axum::Json::<Box<RawValue>>::from_bytes(&bytes)?;
        register_body(&state, body.get())
    })
    .await
}

fn register_body(state: &AppState, body: &str) -> Result<Response, AppError> {
    let req: Register<'_> =
        serde_json::from_str(body).map_err(|e| AppError::InvalidInput(format!("the request: {e}")))?;
    let (raws, one) = match (req.policies, req.policy) {
        (Some(list), None) => (list, false),
        (None, Some(policy)) => (vec![policy], true),
        _ => {
            return Err(AppError::InvalidInput("give exactly one of `policies` (an array) and `policy`".to_string()));
        }
    };
    let mut texts = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let field = if one { "policy".to_string() } else { format!("policies[{i}]") };
        let text = raw.get().trim();
        let text: std::borrow::Cow<'_, str> = if text.starts_with('"') {
            let s: String =
                serde_json::from_str(text).map_err(|e| AppError::InvalidInput(format!("`{field}`: {e}")))?;
            s.into()
        } else {
            text.into()
        };
        check_text(&text).map_err(|m| AppError::InvalidInput(format!("`{field}`: {m}")))?;
        texts.push(text);
    }
    let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
    let registered = state.policies().register(&refs).map_err(|e| match e {
        StoreError::TooMany(m) => AppError::Case(iamspect_case::CaseError { code: "LimitExceeded", message: m }),
    })?;
    if registered.evicted > 0 {
        // Bodies remembered with an evicted policy would still decide with it: forget them.
        state.cases().clear();
    }
    let mut ids = registered.ids;
    let answer = match (one, ids.pop()) {
        (true, Some(id)) => json!({"id": id}),
        (_, last) => {
            ids.extend(last);
            json!({"ids": ids})
        }
    };
    super::json_response(&answer)
}

/// The exact text of a stored policy.
pub(crate) async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let text = state.policies().text(&id).ok_or_else(|| {
        AppError::NotFound(format!("no stored policy has the id `{id}` (register its text with `POST /v1/policies`)"))
    })?;
    Ok(([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], text.to_string()).into_response())
}
