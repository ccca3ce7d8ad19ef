//! `POST /v1/lint`: `{"policy": <document or string>, "type": "identity", "resourceType":
//! "AWS::S3::Bucket"}` in, Access Analyzer's `ValidatePolicy` findings out. Positions are in the
//! policy's text: the document as written in the body, or the string's contents.

use axum::Json;
use iamspect_core::{PolicyType, Span};
use iamspect_lint::{PolicyPaths, Target};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::error::{AppError, AppJson};

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

pub(crate) async fn lint(AppJson(body): AppJson<LintRequest>) -> Result<Json<Value>, AppError> {
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
    let resource_type = body.resource_type;
    super::blocking(move || {
        let target = Target { policy_type, resource_type: resource_type.as_deref() };
        let findings = iamspect_lint::lint(&text, target);
        let paths = PolicyPaths::new(&text);
        let out: Vec<Value> = findings.iter().map(|f| finding(&text, &paths, f, policy_type)).collect();
        Ok(Json(json!({ "findings": out })))
    })
    .await
}

fn finding(text: &str, paths: &PolicyPaths<'_>, f: &iamspect_lint::Finding, policy_type: PolicyType) -> Value {
    let path = paths.path(f.span);
    let range = f.span.map(|s| (s.start, s.end)).unwrap_or((0, text.len()));
    let pos = |offset: usize| {
        let lc = Span::line_column(text, offset);
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
