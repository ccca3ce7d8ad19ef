//! `GET /healthz`, `GET /openapi.json`, `POST /v1/reload`, and the JSON answers for unknown
//! routes and methods.

use axum::Json;
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::{AccountSnapshot, AppState};

/// The OpenAPI 3 document of the service, written by hand.
pub(crate) const OPENAPI: &str = include_str!("../openapi.json");

fn account_json(state: &AppState, snapshot: Option<&AccountSnapshot>) -> Value {
    match snapshot {
        None => json!({"configured": !state.account_paths().is_empty(), "loaded": false}),
        Some(s) => json!({
            "configured": true,
            "loaded": true,
            "generation": s.generation,
            "loadedAt": s.loaded_at,
            "files": s.files.len(),
            "errors": s.errors,
            "accounts": s.data.accounts.len(),
        }),
    }
}

pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.account();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "accountData": account_json(&state, snapshot.as_deref()),
    }))
}

pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub(crate) async fn reload(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    if state.account_paths().is_empty() {
        return Err(AppError::Conflict(
            "the server was started without `--account-data`; there is nothing to reload".to_string(),
        ));
    }
    let worker = state.clone();
    let snapshot = super::blocking(move || worker.reload().map_err(AppError::Conflict)).await?;
    tracing::info!(generation = snapshot.generation, files = snapshot.files.len(), "account data reloaded");
    Ok(Json(json!({"reloaded": true, "accountData": account_json(&state, Some(&snapshot))})))
}

pub(crate) async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no route for `{}`; see GET /openapi.json", uri.path()))
}

pub(crate) async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
