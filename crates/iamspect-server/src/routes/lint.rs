//! `POST /v1/lint`: `{"policy": <document or string>, "type": "identity", "resourceType":
//! "AWS::S3::Bucket"}` in, Access Analyzer's `ValidatePolicy` findings out. Positions are in the
//! policy's text: the document as written in the body, or the string's contents.
//!
//! Everything past reading the body runs on the bounded pool under the request's deadline, and
//! lint stops when it passes.

use axum::extract::{Request, State};
use axum::response::Response;
use iamspect_core::{LineIndex, PolicyType};
use iamspect_lint::{PolicyPaths, Target};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::Work;
use crate::error::AppError;
use crate::state::AppState;

/// Access Analyzer's page about its checks.
const LEARN_MORE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct LintRequest {
    policy: Box<RawValue>,
    #[serde(rename = "type")]
    policy_type: Option<String>,
    resource_type: Option<String>,
}

pub(crate) async fn lint(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let work = Work::of(req.extensions(), &state);
    let bytes = super::json_bytes(req, &state).await?;
    super::offload(&work, move |cancel| {
        let axum::Json(body) = axum::Json::<LintRequest>::from_bytes(&bytes)?;
        let policy_type = match body.policy_type.as_deref() {
            None => PolicyType::Identity,
            Some(name) => PolicyType::from_cli_name(name).ok_or_else(|| {
                AppError::InvalidInput(format!(
                    "`type`: `{name}` is not identity, resource, trust, boundary, session, scp, rcp or vpc-endpoint"
                ))
            })?,
        };
        let raw = body.policy.get().trim();
        let text = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw).map_err(|e| AppError::InvalidInput(format!("`policy`: {e}")))?
        } else {
            raw.to_string()
        };
        let target = Target { policy_type, resource_type: body.resource_type.as_deref() };
        // Cancelled means the request's deadline passed (or its client left): nobody reads this.
        let findings = iamspect_lint::lint_cancellable(&text, target, cancel).map_err(|_| AppError::Timeout)?;
        let paths = PolicyPaths::new(&text);
        let lines = LineIndex::new(&text);
        let out: Vec<Value> = findings.iter().map(|f| finding(&text, &paths, &lines, f, policy_type)).collect();
        super::json_response(&json!({ "findings": out }))
    })
    .await
}

fn finding(
    text: &str,
    paths: &PolicyPaths<'_>,
    lines: &LineIndex<'_>,
    f: &iamspect_lint::Finding,
    policy_type: PolicyType,
) -> Value {
    let path = paths.path(f.span);
    let range = f.span.map(|s| (s.start, s.end)).unwrap_or((0, text.len()));
    let pos = |offset: usize| {
        let lc = lines.line_column(offset);
        json!({"line": lc.line, "column": lc.column.saturating_sub(1), "offset": offset})
    };
    json!({
        "findingDetails": f.message,
        "findingType": f.severity.as_str(),
        "issueCode": f.issue_code,
        "learnMoreLink": LEARN_MORE,
        "locations": [{"path": path, "span": {"start": pos(range.0), "end": pos(range.1)}}],
        "code": f.code,
        "name": f.name,
        "policyType": policy_type.cli_name(),
        "exactPosition": f.span.is_some(),
    })
}
