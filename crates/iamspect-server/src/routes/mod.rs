//! The routes, and what `/v1/authorize` and `/v1/explain` share: reading the body into a case.

pub(crate) mod authorize;
pub(crate) mod explain;
pub(crate) mod gateway;
pub(crate) mod health;
pub(crate) mod lint;
pub(crate) mod policies;
pub(crate) mod sts;

use std::collections::BTreeMap;
use std::path::Path;

use iamspect_case::{Case, Compiler, Expect};
use serde::Deserialize;
use serde_json::Value;

use crate::error::AppError;
use crate::policy_store::Lookup;
use crate::state::AppState;

/// The fields of a case that hold policies (or, in a case file, policy paths).
const POLICY_FIELDS: [&str; 7] = [
    "identityPolicies",
    "resourcePolicy",
    "permissionsBoundary",
    "sessionPolicies",
    "scps",
    "rcps",
    "vpcEndpointPolicy",
];

/// Where policy paths would be resolved if one got past [`inline_only`]: nowhere.
const NO_BASE: &str = "/nonexistent/iamspect-server/reads-no-files";

/// A request whose policies come from the loaded account data.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AccountRequest {
    description: Option<String>,
    principal: String,
    action: String,
    resource: String,
    resource_account: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, Value>,
    expect: Option<Expect>,
}

/// Reads the body (a case, or with account data a request without policies) into a case;
/// policies named by id are looked up in `refs`.
pub(crate) fn case(text: &str, state: &AppState, compiler: &mut Compiler, refs: &Lookup) -> Result<Case, AppError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AppError::MalformedJson(e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(AppError::InvalidInput("the body must be a JSON object: one case".to_string()));
    };
    let has_policies = POLICY_FIELDS.iter().chain(&["s3", "kms"]).any(|f| obj.contains_key(*f));
    if let (false, Some(account)) = (has_policies, state.account()) {
        let req: AccountRequest =
            serde_json::from_value(value).map_err(|e| AppError::InvalidInput(format!("the request: {e}")))?;
        let context = context(&req.context)?;
        let built = iamspect_case::from_account_data(
            &account.data,
            &req.principal,
            &req.action,
            &req.resource,
            req.resource_account.as_deref(),
            &context,
            compiler,
        );
        return Ok(Case { index: 0, description: req.description, expect: req.expect, built });
    }
    inline_only(obj)?;
    iamspect_case::case_from_str_with_refs(0, text, Path::new(NO_BASE), compiler, refs).map_err(AppError::InvalidInput)
}

/// The server reads no file a client names: policies must be inline documents, ids of stored
/// policies (`policy:sha256:<hex>`), or AWS's built-in `FullAWSAccess`/`RCPFullAWSAccess`.
fn inline_only(obj: &serde_json::Map<String, Value>) -> Result<(), AppError> {
    fn check(field: &str, v: &Value) -> Result<(), AppError> {
        match v {
            Value::String(s) if s == "FullAWSAccess" || s == "RCPFullAWSAccess" => Ok(()),
            Value::String(s) if s.starts_with(iamspect_case::POLICY_ID_PREFIX) => Ok(()),
            Value::String(s) => Err(AppError::InvalidInput(format!(
                "`{field}`: `{s}` names a policy; the server reads no files, so give the policy document inline, \
                 the id of a policy registered with `POST /v1/policies`, or `FullAWSAccess`/`RCPFullAWSAccess`"
            ))),
            _ => Ok(()),
        }
    }
    for field in POLICY_FIELDS {
        match (field, obj.get(field)) {
            (_, None) => {}
            ("identityPolicies" | "sessionPolicies", Some(Value::Array(items))) => {
                for (i, v) in items.iter().enumerate() {
                    check(&format!("{field}[{i}]"), v)?;
                }
            }
            ("scps" | "rcps", Some(Value::Array(levels))) => {
                for (l, level) in levels.iter().enumerate() {
                    for (i, v) in level.as_array().into_iter().flatten().enumerate() {
                        check(&format!("{field}[{l}][{i}]"), v)?;
                    }
                }
            }
            (_, Some(v)) => check(field, v)?,
        }
    }
    Ok(())
}

/// The request's context: each key to a scalar or an array of scalars.
fn context(raw: &BTreeMap<String, Value>) -> Result<Vec<(String, Vec<String>)>, AppError> {
    let scalar = |key: &str, v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(AppError::InvalidInput(format!(
            "context key `{key}`: a value must be a string, number or boolean, or an array of them"
        ))),
    };
    raw.iter()
        .map(|(k, v)| {
            let values = match v {
                Value::Array(items) => items.iter().map(|i| scalar(k, i)).collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar(k, other)?],
            };
            Ok((k.clone(), values))
        })
        .collect()
}

/// Runs blocking work (explanations, lint, reloads) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(format!("task failed: {e}")))?
}
