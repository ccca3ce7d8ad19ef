//! `POST /v1/scp-impact`: what attaching an SCP or an RCP at a target of the server's organization
//! breaks (decisions D121, D152), what `iamspect scp-impact --format json` prints, from the same
//! `iamspect_symbolic::impact`.
//!
//! Body: `{"scp": DOCUMENT, "rcp": DOCUMENT, "target": "r-..."|"ou-..."|ACCOUNT,
//! "maxCounterexamples": N}` (one of `scp` and `rcp` at least; a document is an object or a
//! string holding one). Needs account data with the organization (409 without), loaded whole:
//! data loaded partially may lack a `Deny`, so what it says breaks might not be allowed today
//! (409). The work runs on the bounded pool under the request's deadline (408 when it passes).

use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::response::Response;
use iamspect_core::PolicyType;
use iamspect_symbolic::impact::{self, Change, ImpactError};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::Work;
use super::checks::document;
use crate::error::AppError;
use crate::state::AppState;

/// The most counterexamples per principal one request may ask for (as the CLI).
const MAX_COUNTEREXAMPLES: usize = 100;
/// The CLI's default.
const DEFAULT_COUNTEREXAMPLES: usize = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImpactRequest {
    scp: Option<Box<RawValue>>,
    rcp: Option<Box<RawValue>>,
    target: String,
    max_counterexamples: Option<usize>,
}

pub(crate) async fn scp_impact(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        let axum::Json(body) = axum::Json::<ImpactRequest>::from_bytes(&bytes)?;
        let scp = body.scp.as_deref().map(|raw| document("scp", raw, PolicyType::Scp)).transpose()?;
        let rcp = body.rcp.as_deref().map(|raw| document("rcp", raw, PolicyType::Rcp)).transpose()?;
        if scp.is_none() && rcp.is_none() {
            return Err(AppError::InvalidInput("give `scp` or `rcp` (or both): the policy to attach".to_string()));
        }
        let max = body.max_counterexamples.unwrap_or(DEFAULT_COUNTEREXAMPLES);
        if !(1..=MAX_COUNTEREXAMPLES).contains(&max) {
            return Err(AppError::InvalidInput(format!(
                "`maxCounterexamples` must be between 1 and {MAX_COUNTEREXAMPLES}"
            )));
        }
        let Some(account) = state.account() else {
            return Err(AppError::Conflict(
                "scp-impact needs account data with the organization: start the server with --account-data".to_string(),
            ));
        };
        if account.partial {
            return Err(AppError::Conflict(format!(
                "scp-impact needs the account data whole: {} file(s) were left out at load, and a policy they hold (a Deny) could change what is allowed today",
                account.errors.len()
            )));
        }
        if account.data.organization.is_none() {
            return Err(AppError::Conflict(
                "scp-impact needs an organization in the account data: SCPs and RCPs apply through one".to_string(),
            ));
        }
        let change = Change { scp, rcp, target: body.target, max_counterexamples: max };
        let report = match impact::impact(&account.data, &change, cancel) {
            Ok(r) => r,
            Err(ImpactError::BadInput(e)) => return Err(AppError::InvalidInput(e)),
            Err(ImpactError::Cancelled) => return Err(AppError::Timeout),
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(AppError::Timeout);
        }
        super::json_response(&report.json)
    })
    .await
}
