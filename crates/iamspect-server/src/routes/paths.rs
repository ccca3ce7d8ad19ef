//! `POST /v1/paths`: one principal's shortest path to admin (or to another principal) over the
//! server's account data, what `iamspect paths --from ARN --format json` prints (issue 18).
//!
//! Body: `{"from": ARN, "to": "admin" | ARN, "maxHops": N, "context": {KEY: VALUE | [VALUES]}}`
//! (`to`, `maxHops`, `context` optional). Only the principals `from` can reach have their edges
//! decided; the work runs on the bounded pool under the request's deadline and stops when it
//! passes (408).

use std::collections::BTreeMap;

use axum::extract::{Request, State};
use axum::response::Response;
use iamspect_account::paths::json::{answer_json, principal_json};
use iamspect_account::paths::{Graph, Options, Path, shortest_to, shortest_to_admin};
use iamspect_account::query::Index;
use serde::Deserialize;
use serde_json::Value;

use super::Work;
use crate::error::AppError;
use crate::state::AppState;

/// The longest path a request may ask for (as the CLI).
const MAX_HOPS: usize = 64;
/// The CLI's default.
const DEFAULT_HOPS: usize = 6;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PathsRequest {
    from: String,
    to: Option<String>,
    max_hops: Option<usize>,
    #[serde(default)]
    context: BTreeMap<String, Value>,
}

pub(crate) async fn paths(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        // Read strictly: a key given twice (in `context` too, where a map would keep the last) is
        // refused with its name, as the other routes refuse it.
        let text = std::str::from_utf8(&bytes).map_err(|e| AppError::MalformedJson(e.to_string()))?;
        let value = iamspect_case::check::strict_json(text).map_err(AppError::MalformedJson)?;
        let body: PathsRequest = serde_json::from_value(value).map_err(|e| AppError::InvalidInput(e.to_string()))?;
        let Some(account) = state.account() else {
            return Err(AppError::Conflict(
                "paths need account data: start the server with --account-data".to_string(),
            ));
        };
        let hops = body.max_hops.unwrap_or(DEFAULT_HOPS);
        if !(1..=MAX_HOPS).contains(&hops) {
            return Err(AppError::InvalidInput(format!("`maxHops` must be from 1 to {MAX_HOPS}, not {hops}")));
        }
        let mut context = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (key, value) in &body.context {
            if !seen.insert(key.to_ascii_lowercase()) {
                return Err(AppError::InvalidInput(format!(
                    "context: duplicate key `{key}` (keys are case-insensitive)"
                )));
            }
            let values = match value {
                Value::String(s) => vec![s.clone()],
                Value::Array(list) => {
                    list.iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| AppError::InvalidInput(format!("context key `{key}`: values must be strings")))?
                }
                _ => return Err(AppError::InvalidInput(format!("context key `{key}`: a string or a list of strings"))),
            };
            iamspect_case::check::context(key, &values)
                .map_err(|e| AppError::InvalidInput(format!("context: {}", e.message)))?;
            context.push((key.clone(), values));
        }
        let (time, _) = iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
        let to = body.to.as_deref().filter(|t| !t.eq_ignore_ascii_case("admin"));
        let data = &account.data;
        let index = Index::build(data);
        let find = iamspect_explain::fix::conditional_grant_values;
        let options = Options { context: &context, conditional: Some(&find), admin_only: to.is_none() };
        let graph = Graph::build_from(data, &index, &options, &body.from, hops, cancel)
            .map_err(|_| AppError::Timeout)?
            .ok_or_else(|| {
                AppError::InvalidInput(format!("`from`: `{}` is not a principal of the loaded accounts", body.from))
            })?;
        let target = match to {
            Some(arn) => Some(graph.node(arn).ok_or_else(|| {
                AppError::InvalidInput(format!(
                    "`to`: `{arn}` is neither `admin` nor a principal of the loaded accounts"
                ))
            })?),
            None => None,
        };
        let from = graph.node(&body.from).ok_or_else(|| AppError::Internal("the start left the graph".to_string()))?;
        let path = match target {
            None => shortest_to_admin(&graph, from, hops),
            Some(t) if t == from => Some(Path { steps: Vec::new() }),
            Some(t) => shortest_to(&graph, from, t, hops),
        };
        let mut principal = principal_json(&graph, from, path.as_ref(), target, &[]);
        // Who signs in to it, for a role of IAM Identity Center (decision D96).
        if let (Some(ic), Some(obj)) =
            (iamspect_account::identity_center::describe(data, &body.from), principal.as_object_mut())
        {
            obj.insert("identityCenter".into(), ic);
        }
        let mut answer = answer_json(&graph, vec![principal], target, &time, hops);
        // Files left out at load (`--allow-partial`) may hold what a path needs: said.
        if let Some(left) = answer["leftOut"].as_array_mut() {
            for e in &account.errors {
                left.push(Value::String(format!("account data file {}: {}", e.path.display(), e.message)));
            }
        }
        super::json_response(&answer)
    })
    .await
}
