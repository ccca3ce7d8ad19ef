//! `POST /v1/check-no-new-access`, `/v1/check-access-not-granted`, `/v1/check-no-public-access`:
//! Access Analyzer's custom policy checks, offline and exact (decision D122). The bodies use
//! Access Analyzer's field names; the answers are what `iamspect check-* --format json` prints:
//! `result` (`PASS`, `FAIL`, `UNKNOWN`), `message`, `reasons`, `counterexamples` (complete cases the
//! engine decided as claimed) and, for `UNKNOWN`, `unknown` naming the construct.
//!
//! A policy document is a JSON object or a string holding one. Everything past reading the body
//! runs on the bounded pool under the request's deadline; the symbolic work checks the request's
//! cancel flag between solver runs and stops when the deadline passes (408).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Request, State};
use axum::response::Response;
use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::Unknown;
use iamspect_symbolic::checks::{self, Answer, Question};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::Work;
use crate::error::AppError;
use crate::state::AppState;

/// The most counterexamples one request may ask for (as the CLI).
const MAX_COUNTEREXAMPLES: usize = 100;
/// The most `access` entries of one `check-access-not-granted` request.
const MAX_ACCESS: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NoNewAccessRequest {
    new_policy_document: Box<RawValue>,
    existing_policy_document: Box<RawValue>,
    policy_type: String,
    max_counterexamples: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Access {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AccessNotGrantedRequest {
    policy_document: Box<RawValue>,
    access: Vec<Access>,
    policy_type: String,
    max_counterexamples: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NoPublicAccessRequest {
    policy_document: Box<RawValue>,
    resource_type: String,
    organization: Option<String>,
    max_counterexamples: Option<usize>,
}

/// Access Analyzer's policy type names, and the CLI's.
fn policy_type(name: &str) -> Result<PolicyType, AppError> {
    match name {
        "IDENTITY_POLICY" => Ok(PolicyType::Identity),
        "RESOURCE_POLICY" => Ok(PolicyType::Resource),
        _ => PolicyType::from_cli_name(name).ok_or_else(|| {
            AppError::InvalidInput(format!(
                "`policyType`: `{name}` is not IDENTITY_POLICY, RESOURCE_POLICY, identity, resource, trust, boundary, session, scp, rcp or vpc-endpoint"
            ))
        }),
    }
}

/// A document given as an object or as a string holding one, parsed as `t`.
pub(super) fn document(field: &str, raw: &RawValue, t: PolicyType) -> Result<Arc<Policy>, AppError> {
    let raw = raw.get().trim();
    let text = if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).map_err(|e| AppError::InvalidInput(format!("`{field}`: {e}")))?
    } else {
        raw.to_string()
    };
    if text.len() > iamspect_core::policy::MAX_POLICY_BYTES {
        return Err(AppError::InvalidInput(format!(
            "`{field}`: {} bytes; at most {} are read",
            text.len(),
            iamspect_core::policy::MAX_POLICY_BYTES
        )));
    }
    Policy::parse(field, &text, t).map(Arc::new).map_err(|errs| {
        AppError::InvalidInput(format!(
            "`{field}`: {}",
            errs.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
        ))
    })
}

fn max(n: Option<usize>) -> Result<usize, AppError> {
    match n.unwrap_or(5) {
        0 => Err(AppError::InvalidInput(format!("`maxCounterexamples` must be between 1 and {MAX_COUNTEREXAMPLES}"))),
        n if n > MAX_COUNTEREXAMPLES => {
            Err(AppError::InvalidInput(format!("`maxCounterexamples` must be between 1 and {MAX_COUNTEREXAMPLES}")))
        }
        n => Ok(n),
    }
}

/// Answers one question; the deadline passing while it ran is a 408, not an `UNKNOWN`.
fn answer(q: &Question, t: PolicyType, max: usize, cancel: &AtomicBool) -> Result<Result<Answer, Unknown>, AppError> {
    let outcome = checks::answer(q, t, max, cancel);
    if cancel.load(Ordering::Relaxed) {
        return Err(AppError::Timeout);
    }
    Ok(outcome)
}

pub(crate) async fn no_new_access(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        let axum::Json(body) = axum::Json::<NoNewAccessRequest>::from_bytes(&bytes)?;
        let t = policy_type(&body.policy_type)?;
        let new = document("newPolicyDocument", &body.new_policy_document, t)?;
        let existing = document("existingPolicyDocument", &body.existing_policy_document, t)?;
        let max = max(body.max_counterexamples)?;
        let q = Question::NoNewAccess { new, existing };
        let outcome = answer(&q, t, max, cancel)?;
        super::json_response(&checks::report(&q, t, &outcome).json)
    })
    .await
}

pub(crate) async fn access_not_granted(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        let axum::Json(body) = axum::Json::<AccessNotGrantedRequest>::from_bytes(&bytes)?;
        let t = policy_type(&body.policy_type)?;
        let policy = document("policyDocument", &body.policy_document, t)?;
        let max = max(body.max_counterexamples)?;
        if body.access.is_empty() || body.access.len() > MAX_ACCESS {
            return Err(AppError::InvalidInput(format!("`access` takes 1 to {MAX_ACCESS} entries")));
        }
        // Access Analyzer: the check fails when the policy grants any entry's access.
        let mut reports: Vec<(Result<Answer, Unknown>, Question)> = Vec::new();
        for (i, a) in body.access.into_iter().enumerate() {
            if a.actions.is_empty() {
                return Err(AppError::InvalidInput(format!("`access[{i}].actions` is empty")));
            }
            if let Some(bad) = a.actions.iter().find(|x| x.as_str() != "*" && !x.contains(':')) {
                return Err(AppError::InvalidInput(format!("`access[{i}].actions`: `{bad}` is not `service:Action`")));
            }
            if let Some(bad) = a.resources.iter().find(|r| r.as_str() != "*" && !r.starts_with("arn:")) {
                return Err(AppError::InvalidInput(format!("`access[{i}].resources`: `{bad}` is not an ARN or `*`")));
            }
            let q = Question::NotGranted { policy: policy.clone(), actions: a.actions, resources: a.resources };
            let outcome = answer(&q, t, max, cancel)?;
            let fail = matches!(outcome, Ok(Answer::Fail(_)));
            reports.push((outcome, q));
            if fail {
                break;
            }
        }
        // The first entry that fails, else the first not decided, else a pass.
        let pick = reports
            .iter()
            .position(|(o, _)| matches!(o, Ok(Answer::Fail(_))))
            .or_else(|| reports.iter().position(|(o, _)| !matches!(o, Ok(Answer::Pass))))
            .unwrap_or(0);
        let Some((outcome, q)) = reports.get(pick) else {
            return Err(AppError::Internal("no access entry answered".into()));
        };
        let mut v = checks::report(q, t, outcome).json;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("accessIndex".into(), json!(pick));
        }
        super::json_response(&v)
    })
    .await
}

pub(crate) async fn no_public_access(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        let axum::Json(body) = axum::Json::<NoPublicAccessRequest>::from_bytes(&bytes)?;
        let Some(kind) = checks::resource_kind(&body.resource_type) else {
            let names: Vec<&str> = checks::RESOURCE_TYPES.iter().map(|(n, _, _)| *n).collect();
            return Err(AppError::InvalidInput(format!(
                "`resourceType`: `{}` is not one of {}",
                body.resource_type,
                names.join(", ")
            )));
        };
        if let Some(org) = &body.organization
            && !(org.starts_with("o-") && org.len() > 2 && org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(AppError::InvalidInput(format!(
                "`organization`: `{org}` is not an organization id (`o-` and letters and digits)"
            )));
        }
        let t = kind.policy_type;
        let policy = document("policyDocument", &body.policy_document, t)?;
        let max = max(body.max_counterexamples)?;
        let q = Question::Public { policy, kind, organization: body.organization };
        let outcome = answer(&q, t, max, cancel)?;
        let v: Value = checks::report(&q, t, &outcome).json;
        super::json_response(&v)
    })
    .await
}
