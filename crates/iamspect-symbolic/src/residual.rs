//! "Allowed if ...": one request with some context keys left unknown, and the condition on those
//! keys under which the engine allows it (decision D120).
//!
//! The policies' conditions on the unknown keys split each key's values into finitely many
//! classes (the classes and regions of D65): two values of one class satisfy the same conditions,
//! so the engine decides them alike. A key is absent, or holds one class (a single-valued key) or a
//! non-empty set of classes (a multivalued key). Every combination is decided by `iamspect-core`
//! itself, which makes the set of allowed combinations exact by construction.
//!
//! That set is then written as IAM `Condition` blocks, built only from the policies' own
//! conditions on those keys (as written, negated, with and without set qualifiers and `IfExists`,
//! with fewer values) and `Null`: what each such entry says about each class is again asked of the
//! engine, through an `Allow` statement holding only that entry. A block is the conjunction of its
//! entries; one block per alternative, grown from one allowed combination by dropping entries while
//! it still allows nothing the engine denies. The blocks together must cover exactly the allowed
//! combinations, which is checked before anything is returned; where no such blocks exist the
//! answer is [`Unknown`], naming what could not be written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use iamspect_core::condition::{BaseOperator, Family, Operator, SetQualifier};
use iamspect_core::{Context, Decision, Policies, Policy, PolicyType, Principal, Request, authorize};

use crate::Unknown;
use crate::compile::{Builder, Domain};
use crate::glob;
use crate::typed;

/// One entry of a `Condition` block: `{"OPERATOR": {"KEY": [VALUES]}}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    /// The operator as a policy writes it (`StringEquals`, `ForAnyValue:StringLike`,
    /// `NumericLessThanIfExists`, `Null`).
    pub operator: String,
    /// The condition key, as the policies first wrote it.
    pub key: String,
    /// The values (one or more).
    pub values: Vec<String>,
}

/// The residual condition of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Residual {
    /// One `Condition` block per alternative: the request is allowed exactly when the unknown keys
    /// satisfy one of them. Empty: never allowed; one empty block: always allowed.
    pub alternatives: Vec<Vec<Entry>>,
    /// Unknown keys no policy reads: they cannot change the decision.
    pub not_read: Vec<String>,
    /// How many combinations of classes were decided by the engine.
    pub combinations: usize,
    /// Keys decided with one value only (AWS's single-valued keys with too many classes or
    /// combinations to decide every set): the residual holds for requests that give them one
    /// value, as every request AWS makes does.
    pub single_valued: Vec<String>,
}

/// Why no residual was computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResidualError {
    /// The question itself is wrong (a key that the request fixes), in words naming the input.
    BadInput(String),
    /// The residual cannot be computed or written exactly.
    Unknown(Unknown),
}

impl From<Unknown> for ResidualError {
    fn from(u: Unknown) -> ResidualError {
        ResidualError::Unknown(u)
    }
}

/// How a key may be given values in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Exactly one value when present (single-valued typed keys: a request with more is refused).
    Single,
    /// One value in every request AWS makes, though a request may be given several (AWS's
    /// single-valued string keys): every set of classes is decided when there are few enough,
    /// otherwise one class at a time, and the residual names the key in
    /// [`Residual::single_valued`].
    SingleInAws,
    /// Any non-empty set of values (AWS's `ArrayOf*` keys).
    Multi,
}

/// The most combinations of classes decided for one residual.
pub const MAX_COMBINATIONS: usize = 1 << 16;
/// The most classes of a multivalued key (its sets of classes are enumerated).
pub const MAX_MULTI_CLASSES: usize = 10;

/// A key's possible values: `None` is absent, otherwise the classes it holds.
type Choice = Option<Vec<usize>>;

struct KeyInfo {
    name: String,
    /// Each class's representative text.
    texts: Vec<String>,
    options: Vec<Choice>,
}

/// Every policy of a request, with its type, for reading their conditions.
pub fn all_policies(p: &Policies) -> Vec<&Arc<Policy>> {
    let mut out: Vec<&Arc<Policy>> = p.identity.iter().collect();
    out.extend(p.resource.iter());
    out.extend(p.permissions_boundary.iter());
    out.extend(p.session.iter());
    for levels in [&p.scps, &p.rcps].into_iter().flatten() {
        for level in levels {
            out.extend(level.iter());
        }
    }
    out.extend(p.vpc_endpoint.iter());
    out
}

/// The request with `ctx` in place of its context.
fn with_context(base: &Request, ctx: Context) -> Result<Request, String> {
    Request::new(base.principal().clone(), base.action(), base.resource(), base.resource_account(), ctx)
        .map_err(|e| e.to_string())
}

/// The condition on the `unknown` keys under which `policies` allow `request`. `values` says how
/// each key may be given values (single or multivalued); a key read with a set qualifier is taken
/// as multivalued whatever it says.
pub fn residual(
    request: &Request,
    policies: &Policies,
    unknown: &[String],
    values: &dyn Fn(&str) -> Values,
) -> Result<Residual, ResidualError> {
    residual_cancellable(request, policies, unknown, values, &AtomicBool::new(false))
}

/// The construct named when the caller gave up waiting.
pub const CANCELLED: &str = "cancelled: the request's deadline passed";

/// [`residual`], stopping with [`CANCELLED`] soon after `cancel` is set (the server's deadline).
pub fn residual_cancellable(
    request: &Request,
    policies: &Policies,
    unknown: &[String],
    values: &dyn Fn(&str) -> Values,
    cancel: &AtomicBool,
) -> Result<Residual, ResidualError> {
    let stop = || -> Result<(), ResidualError> {
        if cancel.load(Ordering::Relaxed) { Err(Unknown::new(CANCELLED.to_string()).into()) } else { Ok(()) }
    };
    let mut lowers: Vec<String> = Vec::new();
    for k in unknown {
        let lower = k.to_ascii_lowercase();
        if k.trim().is_empty() || k.contains(['*', '?', '$']) {
            return Err(ResidualError::BadInput(format!("`--unknown {k}`: not a condition key name")));
        }
        if !lowers.contains(&lower) {
            lowers.push(lower);
        }
    }
    // The request without the unknown keys: a key still there follows from the caller or the
    // resource (the engine fills it in), or was given a value.
    let mut base_ctx = Context::new();
    for (k, vs) in request.context().iter() {
        if !lowers.contains(&k.to_ascii_lowercase()) {
            base_ctx.insert(k, vs.iter().map(|v| v.to_string()).collect());
        } else {
            let stripped = {
                let mut c = Context::new();
                for (k2, vs2) in request.context().iter() {
                    if !k2.eq_ignore_ascii_case(k) {
                        c.insert(k2, vs2.iter().map(|v| v.to_string()).collect());
                    }
                }
                c
            };
            let rebuilt = with_context(request, stripped).map_err(ResidualError::BadInput)?;
            let filled = rebuilt.context().contains(k);
            return Err(ResidualError::BadInput(if filled {
                format!("`--unknown {k}`: the engine sets this key from the caller or the resource, so it is known")
            } else {
                format!(
                    "`--unknown {k}`: the request gives this key a value; give a value or name it unknown, not both"
                )
            }));
        }
    }
    let base = with_context(request, base_ctx.clone()).map_err(ResidualError::BadInput)?;
    for k in &lowers {
        if base.context().contains(k) {
            return Err(ResidualError::BadInput(format!(
                "`--unknown {k}`: the engine sets this key from the caller or the resource, so it is known"
            )));
        }
    }
    // Read every condition on the unknown keys; a policy variable that names one of them ties it
    // to another value, which this does not decide.
    let mut b = Builder::default();
    let mut multi_by_qualifier: Vec<String> = Vec::new();
    // Every condition entry on an unknown key, with its values as the engine reads them.
    let mut entries: Vec<(String, Operator, Vec<String>)> = Vec::new();
    for policy in all_policies(policies) {
        let variables = policy.version() == Some(iamspect_core::Version::V2012_10_17);
        for stmt in policy.statements() {
            let at = |u: Unknown| u.at(stmt).in_policy(policy.name());
            let mut texts: Vec<&str> = Vec::new();
            if let Some((_, _, items)) = stmt.resource_entries() {
                texts.extend(items.iter().map(|(t, _)| *t));
            }
            for c in stmt.conditions() {
                texts.push(c.key());
                texts.extend(c.values().iter().map(String::as_str));
            }
            if variables {
                for t in texts {
                    let lower = t.to_ascii_lowercase();
                    if let Some(k) = lowers.iter().find(|k| lower.contains(&format!("${{{k}}}"))) {
                        return Err(at(Unknown::new(format!(
                            "policy variable `${{{k}}}` in `{t}` (the unknown key's value is tied to another)"
                        )))
                        .into());
                    }
                }
            }
            for c in stmt.conditions() {
                let lower = c.key().to_ascii_lowercase();
                if !lowers.contains(&lower) {
                    continue;
                }
                if c.operator().qualifier.is_some() && !multi_by_qualifier.contains(&lower) {
                    multi_by_qualifier.push(lower.clone());
                }
                // A variable naming a known key is the request's value, as the engine reads it.
                let values = if variables {
                    substitute(c.operator().base, c.values(), &base_ctx).map_err(at)?
                } else {
                    c.values().to_vec()
                };
                b.condition_values(c.operator(), c.key(), &values, variables).map_err(at)?;
                if c.operator().base != BaseOperator::Null {
                    entries.push((lower, c.operator(), values));
                }
            }
        }
    }
    let mut keys: Vec<KeyInfo> = Vec::new();
    let mut kinds: Vec<Values> = Vec::new();
    let mut single_valued: Vec<String> = Vec::new();
    let mut not_read = Vec::new();
    for (k, lower) in unknown.iter().zip(&lowers) {
        let Some(key) = b.keys.iter().find(|kk| kk.name.to_ascii_lowercase() == *lower) else {
            not_read.push(k.clone());
            continue;
        };
        let texts = match key.domain {
            None | Some(Domain::String) => {
                if key.patterns.globs.is_empty() {
                    vec!["example".to_string()]
                } else {
                    glob::classes(&key.patterns.globs, &[], &format!("condition key `{}`", key.name))?.witnesses
                }
            }
            Some(_) => {
                let refs: Vec<&typed::Typed> = key.typed.iter().collect();
                let mut reps = typed::representatives(&refs);
                // A value no comparison can read (a type error, decision D8).
                reps.push("junk".to_string());
                reps
            }
        };
        let kind = if multi_by_qualifier.contains(lower) { Values::Multi } else { values(&key.name) };
        if kind == Values::Multi && texts.len() > MAX_MULTI_CLASSES {
            return Err(Unknown::new(format!(
                "multivalued condition key `{}` with {} classes of values (at most {MAX_MULTI_CLASSES} are enumerated)",
                key.name,
                texts.len()
            ))
            .into());
        }
        let mut singles: Vec<Choice> = vec![None];
        singles.extend((0..texts.len()).map(|i| Some(vec![i])));
        let mut sets: Vec<Choice> = vec![None];
        if texts.len() <= MAX_MULTI_CLASSES {
            for set in 1u32..(1 << texts.len()) {
                sets.push(Some((0..texts.len()).filter(|i| set & (1 << i) != 0).collect()));
            }
        }
        let options = match kind {
            Values::Single => singles,
            Values::Multi => sets,
            Values::SingleInAws if texts.len() <= MAX_MULTI_CLASSES => sets,
            Values::SingleInAws => {
                single_valued.push(key.name.clone());
                singles
            }
        };
        kinds.push(kind);
        keys.push(KeyInfo { name: key.name.clone(), texts, options });
    }
    let count_all = |keys: &[KeyInfo]| keys.iter().fold(1usize, |t, k| t.saturating_mul(k.options.len()));
    // Too many sets: AWS's single-valued keys one value at a time, largest first.
    while count_all(&keys) > MAX_COMBINATIONS {
        let Some(i) = (0..keys.len())
            .filter(|&i| {
                kinds.get(i) == Some(&Values::SingleInAws)
                    && keys.get(i).is_some_and(|k| k.options.len() > k.texts.len() + 1)
            })
            .max_by_key(|&i| keys.get(i).map_or(0, |k| k.options.len()))
        else {
            break;
        };
        if let Some(k) = keys.get_mut(i) {
            k.options = std::iter::once(None).chain((0..k.texts.len()).map(|c| Some(vec![c]))).collect();
            single_valued.push(k.name.clone());
        }
    }
    let total = count_all(&keys);
    if total > MAX_COMBINATIONS {
        let names: Vec<String> = keys.iter().map(|k| format!("`{}` ({})", k.name, k.options.len())).collect();
        return Err(Unknown::new(format!(
            "{total} combinations of values of {} (at most {MAX_COMBINATIONS} are decided)",
            names.join(", ")
        ))
        .into());
    }
    let space = Space::new(keys);
    // The engine decides every combination.
    let mut allowed = vec![0u64; total.div_ceil(64).max(1)];
    for p in 0..total {
        if p % 256 == 0 {
            stop()?;
        }
        let mut ctx = base_ctx.clone();
        for (ki, k) in space.keys.iter().enumerate() {
            if let Some(vs) = space.values_of(ki, space.digit(p, ki)) {
                ctx.insert(&k.name, vs);
            }
        }
        let req = with_context(request, ctx).map_err(ResidualError::BadInput)?;
        if authorize(&req, policies).decision == Decision::Allowed {
            set(&mut allowed, p);
        }
    }
    let alternatives = if count(&allowed, total) == total {
        vec![Vec::new()]
    } else if count(&allowed, total) == 0 {
        Vec::new()
    } else {
        let literals = literals(&space, &entries)?;
        stop()?;
        cover(&space, &literals, &allowed, total)?
    };
    single_valued.sort();
    single_valued.dedup();
    Ok(Residual { alternatives, not_read, combinations: total, single_valued })
}

/// The combinations: mixed-radix numbers, one digit per key.
struct Space {
    keys: Vec<KeyInfo>,
    /// Product of the earlier keys' option counts.
    strides: Vec<usize>,
}

impl Space {
    fn new(keys: Vec<KeyInfo>) -> Space {
        let mut strides = Vec::with_capacity(keys.len());
        let mut s = 1;
        for k in &keys {
            strides.push(s);
            s *= k.options.len().max(1);
        }
        Space { keys, strides }
    }

    fn digit(&self, p: usize, k: usize) -> usize {
        let stride = self.strides.get(k).copied().unwrap_or(1);
        let n = self.keys.get(k).map_or(1, |k| k.options.len().max(1));
        (p / stride) % n
    }

    fn values_of(&self, k: usize, option: usize) -> Option<Vec<String>> {
        let key = self.keys.get(k)?;
        let classes = key.options.get(option)?.as_ref()?;
        Some(classes.iter().filter_map(|&c| key.texts.get(c).cloned()).collect())
    }
}

fn set(b: &mut [u64], i: usize) {
    if let Some(w) = b.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn get(b: &[u64], i: usize) -> bool {
    b.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn count(b: &[u64], total: usize) -> usize {
    (0..total).filter(|&i| get(b, i)).count()
}

/// A candidate entry and what it says on each combination.
struct Literal {
    entry: Entry,
    key: usize,
    /// Larger is less plain; plainer entries are kept when either would do.
    cost: u32,
    /// Over the key's options.
    truth: Vec<bool>,
    /// Over all combinations.
    bits: Vec<u64>,
}

/// The operator that holds exactly where `base` does not, among readable values, with the values
/// it then takes.
fn complement(base: BaseOperator, values: &[String]) -> Option<(BaseOperator, Vec<String>)> {
    use BaseOperator::*;
    let op = match base {
        StringEquals => StringNotEquals,
        StringNotEquals => StringEquals,
        StringEqualsIgnoreCase => StringNotEqualsIgnoreCase,
        StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
        StringLike => StringNotLike,
        StringNotLike => StringLike,
        NumericEquals => NumericNotEquals,
        NumericNotEquals => NumericEquals,
        NumericLessThan => NumericGreaterThanEquals,
        NumericGreaterThanEquals => NumericLessThan,
        NumericLessThanEquals => NumericGreaterThan,
        NumericGreaterThan => NumericLessThanEquals,
        DateEquals => DateNotEquals,
        DateNotEquals => DateEquals,
        DateLessThan => DateGreaterThanEquals,
        DateGreaterThanEquals => DateLessThan,
        DateLessThanEquals => DateGreaterThan,
        DateGreaterThan => DateLessThanEquals,
        IpAddress => NotIpAddress,
        NotIpAddress => IpAddress,
        ArnEquals => ArnNotEquals,
        ArnNotEquals => ArnEquals,
        ArnLike => ArnNotLike,
        ArnNotLike => ArnLike,
        Bool => {
            let flipped: Vec<String> = values
                .iter()
                .map(|v| match iamspect_core::condition::bool_value(v) {
                    Some(true) => "false".to_string(),
                    Some(false) => "true".to_string(),
                    None => v.clone(),
                })
                .collect();
            return Some((Bool, flipped));
        }
        BinaryEquals | Null => return None,
    };
    Some((op, values.to_vec()))
}

fn operator_text(q: Option<SetQualifier>, base: BaseOperator, if_exists: bool) -> String {
    let prefix = match q {
        Some(SetQualifier::ForAllValues) => "ForAllValues:",
        Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
        None => "",
    };
    format!("{prefix}{}{}", base.name(), if if_exists { "IfExists" } else { "" })
}

/// The candidate entries: the policies' own conditions on the unknown keys in their variants, and
/// `Null`, each with its truth on every option of its key asked of the engine.
fn literals(space: &Space, entries: &[(String, Operator, Vec<String>)]) -> Result<Vec<Literal>, ResidualError> {
    let mut candidates: Vec<(usize, Entry, u32)> = Vec::new();
    for (ki, k) in space.keys.iter().enumerate() {
        let lower = k.name.to_ascii_lowercase();
        candidates.push((ki, Entry { operator: "Null".into(), key: k.name.clone(), values: vec!["true".into()] }, 6));
        candidates.push((ki, Entry { operator: "Null".into(), key: k.name.clone(), values: vec!["false".into()] }, 6));
        let multi = k.options.iter().any(|o| o.as_ref().is_some_and(|v| v.len() > 1));
        {
            {
                for (key, op, values) in entries {
                    // A condition whose every value names a variable the request cannot resolve
                    // matches nothing: no entry to write.
                    if *key != lower || values.is_empty() {
                        continue;
                    }
                    let op = *op;
                    let mut value_sets: Vec<(Vec<String>, u32)> = vec![(values.clone(), 0)];
                    if values.len() > 1 {
                        value_sets.extend(values.iter().map(|v| (vec![v.clone()], 1)));
                    }
                    for (vs, vcost) in value_sets {
                        let mut bases = vec![(op.base, vs.clone(), 0u32)];
                        if let Some((cb, cv)) = complement(op.base, &vs) {
                            bases.push((cb, cv, 2));
                        }
                        for (base, values, bcost) in bases {
                            let qualifiers: &[(Option<SetQualifier>, u32)] = if multi {
                                &[
                                    (None, 0),
                                    (Some(SetQualifier::ForAnyValue), 3),
                                    (Some(SetQualifier::ForAllValues), 3),
                                ]
                            } else {
                                &[(None, 0)]
                            };
                            for &(q, qcost) in qualifiers {
                                for if_exists in [false, true] {
                                    let same = q == op.qualifier && if_exists == op.if_exists && bcost == 0;
                                    let cost = vcost + bcost + qcost + u32::from(if_exists) + u32::from(!same);
                                    let entry = Entry {
                                        operator: operator_text(q, base, if_exists),
                                        key: k.name.clone(),
                                        values: values.clone(),
                                    };
                                    candidates.push((ki, entry, cost));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    candidates.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)).then(a.2.cmp(&b.2)));
    candidates.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let total = space.keys.iter().map(|k| k.options.len().max(1)).product::<usize>();
    let mut out: Vec<Literal> = Vec::new();
    for (ki, entry, cost) in candidates {
        let truth = entry_truth(space, ki, &entry)?;
        if truth.iter().all(|t| *t) || truth.iter().all(|t| !*t) {
            continue;
        }
        // Two entries that say the same thing: the plainer one.
        if let Some(same) = out.iter_mut().find(|l| l.key == ki && l.truth == truth) {
            if cost < same.cost {
                same.entry = entry;
                same.cost = cost;
            }
            continue;
        }
        let mut bits = vec![0u64; total.div_ceil(64).max(1)];
        for p in 0..total {
            if truth.get(space.digit(p, ki)).copied().unwrap_or(false) {
                set(&mut bits, p);
            }
        }
        out.push(Literal { entry, key: ki, cost, truth, bits });
    }
    Ok(out)
}

/// What one entry, alone in an `Allow` statement's `Condition`, says on each option of its key.
fn entry_truth(space: &Space, ki: usize, entry: &Entry) -> Result<Vec<bool>, ResidualError> {
    let Some(k) = space.keys.get(ki) else { return Ok(Vec::new()) };
    let policy = probe_policy(std::slice::from_ref(entry))
        .map_err(|e| Unknown::new(format!("the entry `{}` on `{}` does not parse: {e}", entry.operator, entry.key)))?;
    let mut out = Vec::with_capacity(k.options.len());
    for o in 0..k.options.len() {
        let values = space.values_of(ki, o);
        let holds =
            block_holds(&policy, &[(k.name.as_str(), values)]).map_err(|e| Unknown::new(format!("probe: {e}")))?;
        out.push(holds);
    }
    Ok(out)
}

/// The JSON text of a `Condition` block.
pub fn block_json(entries: &[Entry]) -> String {
    let mut ops: Vec<(&str, Vec<&Entry>)> = Vec::new();
    for e in entries {
        match ops.iter_mut().find(|(o, _)| *o == e.operator) {
            Some((_, v)) => v.push(e),
            None => ops.push((&e.operator, vec![e])),
        }
    }
    let mut s = String::from("{");
    for (i, (op, es)) in ops.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&json_string(op));
        s.push_str(":{");
        for (j, e) in es.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push_str(&json_string(&e.key));
            s.push(':');
            match e.values.as_slice() {
                [one] => s.push_str(&json_string(one)),
                vs => {
                    let vs: Vec<String> = vs.iter().map(|v| json_string(v)).collect();
                    s.push('[');
                    s.push_str(&vs.join(","));
                    s.push(']');
                }
            }
        }
        s.push('}');
    }
    s.push('}');
    s
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An identity policy that allows everything under the `Condition` block `entries`.
pub fn probe_policy(entries: &[Entry]) -> Result<Arc<Policy>, String> {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}]}}"#,
        block_json(entries)
    );
    Policy::parse("allowedIf", &text, PolicyType::Identity).map(Arc::new).map_err(|e| e.to_string())
}

/// The callers a probe may be made by: one whose filled-in keys do not include the keys asked.
const PROBE_CALLERS: [&str; 2] =
    ["arn:aws:sts::111122223333:assumed-role/ResidualProbe/probe", "arn:aws:iam::111122223333:user/residual-probe"];

/// Does the `Condition` block of `policy` (from [`probe_policy`]) hold when the keys have these
/// values (`None`: absent) and no other key is set? Decided by the engine.
pub fn block_holds(policy: &Arc<Policy>, keys: &[(&str, Option<Vec<String>>)]) -> Result<bool, String> {
    for caller in PROBE_CALLERS {
        let principal = Principal::parse(caller).map_err(|e| e.to_string())?;
        let mut ctx = Context::new();
        for (k, v) in keys {
            if let Some(vs) = v {
                ctx.insert(k, vs.clone());
            }
        }
        let req =
            Request::new(principal, "s3:GetObject", "arn:aws:s3:::residual-probe/object", Some("111122223333"), ctx)
                .map_err(|e| e.to_string())?;
        // The caller must not fill in a key the block reads.
        let clash = keys.iter().any(|(k, v)| v.is_none() && req.context().contains(k));
        if clash {
            continue;
        }
        let p = Policies { identity: vec![policy.clone()], ..Policies::default() };
        return Ok(authorize(&req, &p).decision == Decision::Allowed);
    }
    Err("every probe caller sets one of the keys".into())
}

/// Blocks, one per alternative, that hold together on exactly the allowed combinations.
fn cover(space: &Space, lits: &[Literal], allowed: &[u64], total: usize) -> Result<Vec<Vec<Entry>>, ResidualError> {
    let words = total.div_ceil(64).max(1);
    let and_of = |ids: &[usize]| -> Vec<u64> {
        let mut acc = vec![u64::MAX; words];
        for &i in ids {
            if let Some(l) = lits.get(i) {
                for (a, b) in acc.iter_mut().zip(&l.bits) {
                    *a &= *b;
                }
            }
        }
        // Only the combinations that exist.
        for p in total..words * 64 {
            if let Some(w) = acc.get_mut(p / 64) {
                *w &= !(1 << (p % 64));
            }
        }
        acc
    };
    let inside = |cube: &[u64]| cube.iter().zip(allowed).all(|(c, a)| c & !a == 0);
    let mut covered = vec![0u64; words];
    let mut cubes: Vec<(Vec<usize>, Vec<u64>)> = Vec::new();
    for p in 0..total {
        if !get(allowed, p) || get(&covered, p) {
            continue;
        }
        let mut ids: Vec<usize> = (0..lits.len())
            .filter(|&i| lits.get(i).is_some_and(|l| l.truth.get(space.digit(p, l.key)).copied().unwrap_or(false)))
            .collect();
        if !inside(&and_of(&ids)) {
            return Err(Unknown::new(format!(
                "the conditions of the policies on {} cannot tell apart values the engine decides differently",
                names(space)
            ))
            .into());
        }
        // Drop the least plain entries first while the block still allows only what is allowed.
        let minimize = |mut ids: Vec<usize>| -> Vec<usize> {
            let mut order = ids.clone();
            order.sort_by_key(|&i| std::cmp::Reverse(lits.get(i).map_or(0, |l| l.cost)));
            for i in order {
                let rest: Vec<usize> = ids.iter().copied().filter(|&j| j != i).collect();
                if inside(&and_of(&rest)) {
                    ids = rest;
                }
            }
            ids
        };
        let start = ids.clone();
        ids = minimize(ids);
        // Two entries with one operator on one key do not fit one block: try without either.
        let mut tries = 0;
        while let Some(pair) = clash(&ids, lits) {
            tries += 1;
            if tries > 8 {
                break;
            }
            let mut next = None;
            for drop in [pair.0, pair.1] {
                let without: Vec<usize> = start.iter().copied().filter(|&j| j != drop).collect();
                if inside(&and_of(&without)) {
                    let m = minimize(without);
                    if clash(&m, lits).is_none() {
                        next = Some(m);
                        break;
                    }
                }
            }
            match next {
                Some(m) => ids = m,
                None => break,
            }
        }
        let cube = and_of(&ids);
        for (c, w) in covered.iter_mut().zip(&cube) {
            *c |= w;
        }
        cubes.push((ids, cube));
    }
    // An alternative the others already cover is left out.
    let mut i = cubes.len();
    while i > 0 {
        i -= 1;
        let mut others = vec![0u64; words];
        for (j, (_, c)) in cubes.iter().enumerate() {
            if j != i {
                for (o, w) in others.iter_mut().zip(c) {
                    *o |= w;
                }
            }
        }
        if others.iter().zip(allowed).all(|(o, a)| o & a == *a) {
            cubes.remove(i);
        }
    }
    let mut union = vec![0u64; words];
    let mut out = Vec::new();
    for (ids, cube) in &cubes {
        for (u, w) in union.iter_mut().zip(cube) {
            *u |= w;
        }
        let mut entries: Vec<Entry> = ids.iter().filter_map(|&i| lits.get(i).map(|l| l.entry.clone())).collect();
        entries.sort();
        entries = merge(space, entries)?;
        out.push(entries);
    }
    if union != allowed {
        return Err(Unknown::new("internal: the alternatives do not cover exactly the allowed values".into()).into());
    }
    Ok(out)
}

/// Two entries of `ids` with the same operator on the same key, if any.
fn clash(ids: &[usize], lits: &[Literal]) -> Option<(usize, usize)> {
    for (n, &a) in ids.iter().enumerate() {
        for &b in ids.iter().skip(n + 1) {
            if let (Some(x), Some(y)) = (lits.get(a), lits.get(b))
                && x.key == y.key
                && x.entry.operator == y.entry.operator
            {
                return Some((a, b));
            }
        }
    }
    None
}

/// A block holds one entry per operator and key: two entries with the same operator on one key
/// become one with both entries' values when that says the same (negated operators without a
/// qualifier), otherwise the residual cannot be written.
fn merge(space: &Space, entries: Vec<Entry>) -> Result<Vec<Entry>, ResidualError> {
    let mut out: Vec<Entry> = Vec::new();
    for e in entries {
        let lower = e.key.to_ascii_lowercase();
        match out.iter_mut().find(|o| o.operator == e.operator && o.key.to_ascii_lowercase() == lower) {
            None => out.push(e),
            Some(o) => {
                let ki = space.keys.iter().position(|k| k.name.to_ascii_lowercase() == lower).unwrap_or(usize::MAX);
                let a = entry_truth(space, ki, o)?;
                let b = entry_truth(space, ki, &e)?;
                let mut merged = o.clone();
                for v in &e.values {
                    if !merged.values.contains(v) {
                        merged.values.push(v.clone());
                    }
                }
                let m = entry_truth(space, ki, &merged)?;
                let both: Vec<bool> = a.iter().zip(&b).map(|(x, y)| *x && *y).collect();
                if m != both {
                    return Err(Unknown::new(format!(
                        "an alternative needs two `{}` conditions on `{}`, which one `Condition` block cannot hold",
                        e.operator, e.key
                    ))
                    .into());
                }
                *o = merged;
            }
        }
    }
    Ok(out)
}

fn names(space: &Space) -> String {
    space.keys.iter().map(|k| format!("`{}`", k.name)).collect::<Vec<_>>().join(", ")
}

/// The values with each policy variable replaced by the request's single value of its key (or
/// the variable's default), escaped so that it reads literally, as the engine substitutes it; a
/// value with a variable the request cannot resolve matches nothing, so it is left out. Only
/// string and ARN operators take variables here.
fn substitute(base: BaseOperator, values: &[String], ctx: &Context) -> Result<Vec<String>, Unknown> {
    if !values.iter().any(|v| v.contains("${")) {
        return Ok(values.to_vec());
    }
    if !matches!(base.family(), Family::String | Family::Arn) {
        return Err(Unknown::new(format!("policy variable in a `{}` value", base.name())));
    }
    let mut out = Vec::with_capacity(values.len());
    'values: for v in values {
        let mut text = String::with_capacity(v.len());
        let mut rest = v.as_str();
        while let Some(start) = rest.find("${") {
            text.push_str(rest.get(..start).unwrap_or(""));
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(close) = after.find('}') else {
                return Err(Unknown::new(format!("unclosed policy variable in `{v}`")));
            };
            let inner = after.get(..close).unwrap_or("");
            rest = after.get(close + 1..).unwrap_or("");
            if matches!(inner, "*" | "?" | "$") {
                text.push_str("${");
                text.push_str(inner);
                text.push('}');
                continue;
            }
            let (name, default) = match inner.split_once(',') {
                Some((n, d)) => {
                    let d = d.trim();
                    let Some(d) = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) else {
                        return Err(Unknown::new(format!("policy variable default in `{v}`")));
                    };
                    (n.trim(), Some(d.to_string()))
                }
                None => (inner.trim(), None),
            };
            let found: Option<String> = ctx
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, vs)| match vs {
                    [one] => Some(one.to_string()),
                    _ => None,
                })
                .or(default);
            let Some(value) = found else { continue 'values };
            for c in value.chars() {
                match c {
                    '*' | '?' | '$' => {
                        text.push_str("${");
                        text.push(c);
                        text.push('}');
                    }
                    c => text.push(c),
                }
            }
        }
        text.push_str(rest);
        out.push(text);
    }
    Ok(out)
}
