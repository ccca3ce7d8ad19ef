//! `POST /v1/lint`: `{"policy": <document or string>, "type": "identity", "resourceType":
//! "AWS::S3::Bucket"}` in, Access Analyzer's `ValidatePolicy` findings out. Positions are in the
//! policy's text: the document as written in the body, or the string's contents.

use axum::Json;
use iamspect_core::{PolicyType, Span};
use iamspect_lint::Target;
use jsonc_parser::common::Ranged;
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
        let ast = parse(&text);
        let out: Vec<Value> = findings.iter().map(|f| finding(&text, ast.as_ref(), f, policy_type)).collect();
        Ok(Json(json!({ "findings": out })))
    })
    .await
}

fn finding(
    text: &str,
    ast: Option<&jsonc_parser::ast::Value<'_>>,
    f: &iamspect_lint::Finding,
    policy_type: PolicyType,
) -> Value {
    let mut path = Vec::new();
    if let (Some(ast), Some(span)) = (ast, f.span) {
        walk(ast, span, &mut path);
    }
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

fn parse(text: &str) -> Option<jsonc_parser::ast::Value<'_>> {
    let options = jsonc_parser::ParseOptions::default();
    jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options).ok()?.value
}

/// Access Analyzer's path to a span: `{"value": key}` enters an object member, `{"index": i}` an
/// array element, `{"key": k}` is the key itself, `{"substring": {"start", "length"}}` part of a
/// string (the same as `iamspect lint --format json`).
fn walk(value: &jsonc_parser::ast::Value<'_>, span: Span, path: &mut Vec<Value>) {
    use jsonc_parser::ast::{ObjectPropName, Value as J};
    let within = |r: jsonc_parser::common::Range| r.start <= span.start && span.end <= r.end;
    match value {
        J::Object(o) => {
            for p in &o.properties {
                let name_range = match &p.name {
                    ObjectPropName::String(s) => s.range(),
                    ObjectPropName::Word(w) => w.range(),
                };
                if within(name_range) {
                    path.push(json!({"key": p.name.as_str()}));
                    return;
                }
                if within(p.value.range()) {
                    path.push(json!({"value": p.name.as_str()}));
                    walk(&p.value, span, path);
                    return;
                }
            }
        }
        J::Array(a) => {
            for (i, el) in a.elements.iter().enumerate() {
                if within(el.range()) {
                    path.push(json!({"index": i}));
                    walk(el, span, path);
                    return;
                }
            }
        }
        J::StringLit(s) => {
            let r = s.range();
            if span.start > r.start && span.end < r.end {
                path.push(json!({"substring": {"start": span.start - r.start - 1, "length": span.end - span.start}}));
            }
        }
        _ => {}
    }
}
