//! `eval --unknown KEY[,KEY]` and `explain --unknown`: the request with those context keys left
//! unknown, and the condition on them under which it is allowed (decision D120), computed by
//! `iamspect_symbolic::residual`. JSON `"allowedIf"`: a list of `Condition` blocks, one per
//! alternative (`[]` never, `[{}]` always).

use iamspect_core::Request;
use iamspect_symbolic::residual::{self, Entry, Residual, ResidualError, Values};
use serde_json::{Value, json};

use super::request::Item;

/// The clock keys the CLI fills in with the current time when not given: named unknown, they are
/// left out instead.
const CLOCK: [&str; 2] = ["aws:CurrentTime", "aws:EpochTime"];

/// How AWS's catalogue says a key takes values (decision D120): its `ArrayOf*` types, and keys
/// it does not list, any set; its single-valued typed keys one value (more is refused); its
/// single-valued string keys one value in AWS's requests, though a request may be given several.
pub(crate) fn values_of(key: &str) -> Values {
    use iamspect_catalog::ConditionKeyType as T;
    match iamspect_catalog::Catalog::get().condition_key(key).map(|k| k.value_type()) {
        Some(t) if t.is_multivalued() || t == T::Unknown => Values::Multi,
        // A single-valued typed key takes one value (a request with more is refused).
        Some(t) if matches!(t.element(), T::Numeric | T::Bool | T::Date | T::IpAddress | T::Binary) => Values::Single,
        Some(_) => Values::SingleInAws,
        None => Values::Multi,
    }
}

/// The request of `item` as the residual reads it: the clock keys the CLI filled in are dropped
/// when named unknown.
fn request_for(item: &Item, unknown: &[String]) -> Result<Request, String> {
    let req = &item.built.request;
    let filled_clock = item.clock.as_ref().is_some_and(|c| !c.given);
    let drop: Vec<&str> =
        CLOCK.iter().copied().filter(|c| filled_clock && unknown.iter().any(|u| u.eq_ignore_ascii_case(c))).collect();
    if drop.is_empty() {
        return Ok(req.clone());
    }
    let mut ctx = iamspect_core::Context::new();
    for (k, vs) in req.context().iter() {
        if !drop.iter().any(|d| d.eq_ignore_ascii_case(k)) {
            ctx.insert(k, vs.iter().map(|v| v.to_string()).collect());
        }
    }
    Request::new(req.principal().clone(), req.action(), req.resource(), req.resource_account(), ctx)
        .map_err(|e| e.to_string())
}

/// The residual of one item.
pub(crate) fn compute(item: &Item, unknown: &[String]) -> Result<Residual, ResidualError> {
    let req = request_for(item, unknown).map_err(ResidualError::BadInput)?;
    residual::residual(&req, &item.built.policies, unknown, &values_of)
}

/// The residuals of every item (none without unknown keys). A key a request fixes is bad input,
/// said before anything is printed: `Err` with the message.
pub(crate) fn compute_all(items: &[Item], unknown: &[String]) -> Result<Vec<Result<Residual, ResidualError>>, String> {
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let residuals: Vec<_> = items.iter().map(|item| compute(item, unknown)).collect();
    for r in &residuals {
        if let Err(ResidualError::BadInput(e)) = r {
            return Err(e.clone());
        }
    }
    Ok(residuals)
}

/// The residual of item `n` of [`compute_all`], making `code` the worse of itself and the
/// residual's exit code.
pub(crate) fn of_item(
    residuals: &[Result<Residual, ResidualError>],
    n: usize,
    code: &mut u8,
) -> Result<Residual, ResidualError> {
    let r = residuals.get(n).cloned().unwrap_or(Err(ResidualError::BadInput("no residual".into())));
    *code = worst(*code, self::code(&r));
    r
}

/// One `Condition` block as JSON.
pub(crate) fn block(entries: &[Entry]) -> Value {
    serde_json::from_str(&residual::block_json(entries)).unwrap_or_else(|_| json!({}))
}

/// The JSON fields: `allowedIf`, `unknownKeys`, and `unknownKeysNotRead` when some key no policy
/// reads; or `allowedIf: null` with `unknown` naming what could not be decided.
pub(crate) fn to_json(unknown: &[String], r: &Result<Residual, ResidualError>) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("unknownKeys".into(), json!(unknown));
    match r {
        Ok(r) => {
            m.insert("allowedIf".into(), Value::Array(r.alternatives.iter().map(|a| block(a)).collect()));
            if !r.not_read.is_empty() {
                m.insert("unknownKeysNotRead".into(), json!(r.not_read));
            }
            if !r.single_valued.is_empty() {
                m.insert("singleValuedKeys".into(), json!(r.single_valued));
            }
        }
        Err(ResidualError::Unknown(u)) => {
            m.insert("allowedIf".into(), Value::Null);
            m.insert(
                "unknown".into(),
                json!({
                    "construct": u.construct,
                    "policy": u.statement.as_ref().map(|s| s.0.clone()),
                    "statementIndex": u.statement.as_ref().map(|s| s.1),
                    "statementId": u.statement.as_ref().and_then(|s| s.2.clone()),
                }),
            );
        }
        Err(ResidualError::BadInput(e)) => {
            m.insert("allowedIf".into(), Value::Null);
            m.insert("error".into(), json!(e));
        }
    }
    m
}

fn entry_text(e: &Entry) -> String {
    let values = if e.values.len() == 1 {
        format!("\"{}\"", e.values.first().map_or("", String::as_str))
    } else {
        format!("[{}]", e.values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", "))
    };
    format!("{} {} {values}", e.operator, e.key)
}

/// The text lines.
pub(crate) fn to_text(unknown: &[String], r: &Result<Residual, ResidualError>) -> Vec<String> {
    let keys = unknown.join(", ");
    let mut out = Vec::new();
    match r {
        Ok(r) => {
            match r.alternatives.as_slice() {
                [] => out.push(format!("allowed if: never, whatever the values of {keys}")),
                [only] if only.is_empty() => out.push(format!("allowed if: always, whatever the values of {keys}")),
                alts => {
                    out.push(format!("allowed if ({keys} unknown), one of:"));
                    for (i, a) in alts.iter().enumerate() {
                        let parts: Vec<String> = a.iter().map(entry_text).collect();
                        out.push(format!("  {}. {}", i + 1, parts.join(" and ")));
                        out.push(format!("     Condition: {}", residual::block_json(a)));
                    }
                }
            }
            if !r.not_read.is_empty() {
                out.push(format!("  note: no policy reads {}", r.not_read.join(", ")));
            }
            if !r.single_valued.is_empty() {
                out.push(format!(
                    "  note: decided for one value of {} (single-valued in AWS's requests; too many classes to decide every set)",
                    r.single_valued.join(", ")
                ));
            }
        }
        Err(ResidualError::Unknown(u)) => out.push(format!("allowed if: UNKNOWN: not decided exactly: {u}")),
        Err(ResidualError::BadInput(e)) => out.push(format!("error: {e}")),
    }
    out
}

/// The exit code: 0 allowed for some values, 1 never, 2 bad input, 3 not decided.
pub(crate) fn code(r: &Result<Residual, ResidualError>) -> u8 {
    match r {
        Ok(r) if r.alternatives.is_empty() => super::FAILURE,
        Ok(_) => super::SUCCESS,
        Err(ResidualError::Unknown(_)) => super::check::UNKNOWN,
        Err(ResidualError::BadInput(_)) => super::BAD_INPUT,
    }
}

/// Checks the key names of `--unknown`.
pub(crate) fn check_names(unknown: &[String]) -> Result<(), String> {
    for k in unknown {
        if k.trim().is_empty() || !k.contains(':') || k.contains(['*', '?', '$', '=']) {
            return Err(format!("--unknown `{k}`: not a condition key (`aws:SourceIp`, `s3:prefix`, ...)"));
        }
    }
    Ok(())
}

/// The exit code that says more: bad input, then not decided, then never allowed.
pub(crate) fn worst(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        super::BAD_INPUT => 3,
        super::check::UNKNOWN => 2,
        super::FAILURE => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}
