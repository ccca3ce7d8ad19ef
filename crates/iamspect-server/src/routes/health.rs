//! `GET /healthz`, `GET /openapi.json`, `POST /v1/reload`, and the JSON answers for unknown
//! routes and methods.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use iamspect_account::LoadError;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::{AccountSnapshot, AppState, LoadFailure};

/// The OpenAPI 3 document of the service, written by hand.
pub(crate) const OPENAPI: &str = include_str!("../openapi.json");

fn errors_json(errors: &[LoadError]) -> Value {
    errors.iter().map(|e| json!({"path": e.path.display().to_string(), "message": e.message})).collect()
}

/// `accountData` of `/healthz` and of the reload's answers: what is served, and what the latest
/// load did (`lastReload`, the load at start included).
fn account_json(state: &AppState, snapshot: Option<&AccountSnapshot>) -> Value {
    let mut out = match snapshot {
        None => json!({"configured": !state.account_paths().is_empty(), "loaded": false}),
        Some(s) => json!({
            "configured": true,
            "loaded": true,
            "generation": s.generation,
            "loadedAt": s.loaded_at,
            "files": s.files.len(),
            "partial": s.partial,
            "errors": errors_json(&s.errors),
            "accounts": s.data.accounts.len(),
        }),
    };
    if let (Some(last), Value::Object(map)) = (state.last_load(), &mut out) {
        map.insert(
            "lastReload".to_string(),
            json!({
                "ok": last.ok,
                "at": last.at,
                "partial": last.partial,
                "generation": last.generation,
                "errors": errors_json(&last.errors),
            }),
        );
    }
    out
}

pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.account();
    // Degraded: the latest load failed (older data is served) or files were left out.
    let degraded = snapshot.as_ref().is_some_and(|s| s.partial) || state.last_load().is_some_and(|l| !l.ok);
    Json(json!({
        "status": if degraded { "degraded" } else { "ok" },
        "version": env!("CARGO_PKG_VERSION"),
        "accountData": account_json(&state, snapshot.as_deref()),
    }))
}

pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// `POST /v1/reload`: 200 with the new data; 422 `AccountDataInvalid` (every failed file named,
/// the previous data kept) when a file fails (D35); 409 without account data.
pub(crate) async fn reload(State(state): State<AppState>) -> Result<Response, AppError> {
    if state.account_paths().is_empty() {
        return Err(AppError::Conflict(LoadFailure::NotConfigured.to_string()));
    }
    let worker = state.clone();
    let result = super::blocking(move || Ok(worker.reload())).await?;
    match result {
        Ok(snapshot) => {
            if snapshot.partial {
                tracing::error!(
                    generation = snapshot.generation,
                    files = snapshot.files.len(),
                    left_out = snapshot.errors.len(),
                    "account data reloaded PARTIALLY (--allow-partial)"
                );
            } else {
                tracing::info!(generation = snapshot.generation, files = snapshot.files.len(), "account data reloaded");
            }
            let body = json!({"reloaded": true, "accountData": account_json(&state, Some(&snapshot))});
            Ok(Json(body).into_response())
        }
        Err(LoadFailure::NotConfigured) => Err(AppError::Conflict(LoadFailure::NotConfigured.to_string())),
        Err(failure) => {
            tracing::error!(error = %failure, "reload refused");
            let code =
                if matches!(failure, LoadFailure::Empty { .. }) { "AccountDataEmpty" } else { "AccountDataInvalid" };
            let body = json!({
                "code": code,
                "message": failure.to_string(),
                "reloaded": false,
                "errors": errors_json(failure.errors()),
                "accountData": account_json(&state, state.account().as_deref()),
            });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
        }
    }
}

pub(crate) async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no route for `{}`; see GET /openapi.json", uri.path()))
}

pub(crate) async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
