//! The routes, and what `/v1/authorize` and `/v1/explain` share: reading the body into a case.

pub(crate) mod authorize;
pub(crate) mod explain;
pub(crate) mod gateway;
pub(crate) mod health;
pub(crate) mod lint;
pub(crate) mod policies;
pub(crate) mod sts;

use std::path::Path;

use iamspect_case::{Case, Compiler};
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

/// Reads the body (a case, or with account data a request without policies) into a case;
/// policies named by id are looked up in `refs`.
pub(crate) fn case(text: &str, state: &AppState, compiler: &mut Compiler, refs: &Lookup) -> Result<Case, AppError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AppError::MalformedJson(e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(AppError::InvalidInput("the body must be a JSON object: one case".to_string()));
    };
    let has_policies = POLICY_FIELDS.iter().chain(&["s3", "kms"]).any(|f| obj.contains_key(*f));
    if let (false, Some(account)) = (has_policies, state.account()) {
        // Read strictly by the case reader: keys given twice are refused, the clock keys set.
        return iamspect_case::account_case(&account.data, text, compiler).map_err(AppError::Case);
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

/// Runs blocking work (explanations, lint, reloads) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(format!("task failed: {e}")))?
}
