//! The residual of `POST /v1/explain` when the body names `unknownKeys` (decision D120): the
//! condition on those context keys under which the case's request is allowed, as `iamspect explain
//! --unknown` gives it (`allowedIf`: a list of `Condition` blocks, `[]` never, `[{}]` always).

use std::sync::atomic::{AtomicBool, Ordering};

use iamspect_core::{Policies, Request};
use iamspect_symbolic::residual::{self, ResidualError, Values};
use serde_json::{Map, Value, json};

use crate::error::AppError;

/// The most keys one request may name.
const MAX_KEYS: usize = 16;

/// Takes `unknownKeys` out of a case body: the keys, and the case without them. `None` when the
/// body names none (the body is then used as it is).
pub(crate) fn split(text: &str) -> Result<Option<(Vec<String>, String)>, AppError> {
    if !text.contains("unknownKeys") {
        return Ok(None);
    }
    let mut obj: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| AppError::InvalidInput(format!("the case: {e}")))?;
    let Some(keys) = obj.remove("unknownKeys") else { return Ok(None) };
    let keys: Vec<String> = serde_json::from_value(keys)
        .map_err(|_| AppError::InvalidInput("`unknownKeys` is a list of condition key names".into()))?;
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(AppError::InvalidInput(format!("`unknownKeys` takes 1 to {MAX_KEYS} keys")));
    }
    if let Some(bad) = keys.iter().find(|k| k.trim().is_empty() || !k.contains(':') || k.contains(['*', '?', '$'])) {
        return Err(AppError::InvalidInput(format!("`unknownKeys`: `{bad}` is not a condition key")));
    }
    let rest = serde_json::to_string(&obj).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Some((keys, rest)))
}

/// How AWS's catalogue says a key takes values (decision D120): its `ArrayOf*` types, and keys
/// it does not list, any set; its single-valued typed keys one value (more is refused); its
/// single-valued string keys one value in AWS's requests, though a request may be given several.
fn values_of(key: &str) -> Values {
    use iamspect_catalog::ConditionKeyType as T;
    match iamspect_catalog::Catalog::get().condition_key(key).map(|k| k.value_type()) {
        Some(t) if t.is_multivalued() || t == T::Unknown => Values::Multi,
        // A single-valued typed key takes one value (a request with more is refused).
        Some(t) if matches!(t.element(), T::Numeric | T::Bool | T::Date | T::IpAddress | T::Binary) => Values::Single,
        Some(_) => Values::SingleInAws,
        None => Values::Multi,
    }
}

/// The fields added to the answer: `unknownKeys`, `allowedIf` (or `null` with `unknown`), and
/// `unknownKeysNotRead`. A key the request fixes is a 400.
pub(crate) fn fields(
    request: &Request,
    policies: &Policies,
    keys: &[String],
    cancel: &AtomicBool,
) -> Result<Map<String, Value>, AppError> {
    let mut m = Map::new();
    m.insert("unknownKeys".into(), json!(keys));
    let r = residual::residual_cancellable(request, policies, keys, &values_of, cancel);
    // Cancelled means the request's deadline passed (or its client left): nobody reads this.
    if cancel.load(Ordering::Relaxed) {
        return Err(AppError::Timeout);
    }
    match r {
        Ok(r) => {
            let blocks: Vec<Value> = r
                .alternatives
                .iter()
                .map(|a| serde_json::from_str(&residual::block_json(a)).unwrap_or_else(|_| json!({})))
                .collect();
            m.insert("allowedIf".into(), Value::Array(blocks));
            if !r.not_read.is_empty() {
                m.insert("unknownKeysNotRead".into(), json!(r.not_read));
            }
            if !r.single_valued.is_empty() {
                m.insert("singleValuedKeys".into(), json!(r.single_valued));
            }
        }
        Err(ResidualError::Unknown(u)) => {
            m.insert("allowedIf".into(), Value::Null);
            m.insert("unknown".into(), iamspect_symbolic::checks::unknown_json(&u));
        }
        Err(ResidualError::BadInput(e)) => return Err(AppError::InvalidInput(format!("`unknownKeys`: {e}"))),
    }
    Ok(m)
}
