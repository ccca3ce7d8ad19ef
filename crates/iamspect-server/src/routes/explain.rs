//! `POST /v1/explain`: one case in, what `iamspect explain --format json` prints for it out:
//! AWS's `SimulatePrincipalPolicy` `EvaluationResult` with the trace, AWS's AccessDenied message
//! and error code, the decision without each denying statement, context changes that would
//! change it, and a fix proved by re-evaluation.

use axum::Json;
use axum::extract::State;
use iamspect_case::{Built, Compiler};
use iamspect_explain::{counterfactual, fix, message};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::error::{AppError, AppJson};
use crate::state::AppState;

pub(crate) async fn explain(
    State(state): State<AppState>,
    AppJson(body): AppJson<Box<RawValue>>,
) -> Result<Json<Value>, AppError> {
    super::blocking(move || {
        let mut compiler = Compiler::new();
        let case = super::case(body.get(), &state, &mut compiler)?;
        let built = case.built?;
        known_action(built.request.action()).map_err(AppError::InvalidInput)?;
        Ok(Json(report(&built)))
    })
    .await
}

/// The same JSON as `iamspect explain --format json` for one request.
pub(crate) fn report(built: &Built) -> Value {
    let response = iamspect_core::authorize_traced(&built.request, &built.policies);
    let policy_arn = response
        .trace
        .applied(iamspect_core::Effect::Deny)
        .map(|(_, p, _)| p.policy.name())
        .find(|n| n.starts_with("arn:"))
        .map(str::to_string);
    let message = message::for_outcome(&built.request, &response.outcome, policy_arn.as_deref());
    let error_code = message::error_code(built.request.service());
    let without_denies = counterfactual::without_each_deny(&built.request, &built.policies, &response.trace);
    let context_changes = counterfactual::context_changes(&built.request, &built.policies, &response.trace);
    let fix = fix::suggest(&built.request, &built.policies);
    let extra = json!({
        "message": message.as_ref().map(|m| m.render()),
        "errorCode": message.as_ref().map(|_| json!({"code": error_code.code, "httpStatus": error_code.status})),
        "authentication": "assumed passed: iamspect evaluates signed requests",
        "withoutStatement": without_denies.iter().map(|w| json!({
            "layer": w.slot.layer.name(),
            "policy": w.policy,
            "statement": w.statement,
            "sid": w.sid,
            "decision": w.outcome.decision.as_str(),
        })).collect::<Vec<_>>(),
        "contextChanges": context_changes.iter().map(|c| json!({
            "key": c.key,
            "value": c.value,
            "decision": c.outcome.decision.as_str(),
        })).collect::<Vec<_>>(),
        "fix": fix.as_ref().map(|f| json!({
            "proved": f.is_proved(),
            "decisionAfter": f.outcome.decision.as_str(),
            "edits": f.edits.iter().map(|e| json!({
                "layer": e.slot.layer.name(),
                "policy": e.policy,
                "summary": e.summary,
                "policyAfter": e.after,
                "diff": e.diff(),
            })).collect::<Vec<_>>(),
            "probes": f.probes.iter().map(|p| json!({
                "action": p.action, "resource": p.resource,
                "before": p.before.as_str(), "after": p.after.as_str(),
            })).collect::<Vec<_>>(),
            "notes": f.notes,
        })),
    });
    iamspect_explain::wire::evaluation_result(&built.request, &response, extra)
}

/// As `iamspect explain`: an action missing from AWS's catalogue is a typo to report, not a
/// request to explain as an implicit deny.
fn known_action(action: &str) -> Result<(), String> {
    let catalog = iamspect_catalog::Catalog::get();
    if catalog.action(action).is_some() {
        return Ok(());
    }
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let Some(svc) = catalog.service(service) else {
        return Err(format!("unknown service `{service}` in action `{action}`"));
    };
    let lower = name.to_ascii_lowercase();
    let mut near: Vec<(usize, String)> = svc
        .actions()
        .map(|a| (distance(&lower, &a.name().to_ascii_lowercase()), format!("{}:{}", svc.prefix(), a.name())))
        .collect();
    near.sort();
    let hint = near.first().filter(|(d, _)| *d <= 3).map(|(_, a)| format!("; did you mean `{a}`?")).unwrap_or_default();
    Err(format!("unknown action `{action}`: {} has no action `{name}`{hint}", svc.name()))
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let left = row.get(j).copied().unwrap_or(0);
            let up = row.get(j + 1).copied().unwrap_or(0);
            let next = (prev + cost).min(left + 1).min(up + 1);
            prev = up;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = next;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}
