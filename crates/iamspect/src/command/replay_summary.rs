//! `iamspect replay --summary [--baseline EVENTS]`: denial trends over many CloudTrail files
//! (decision D89): denials counted by principal, action, the policy type AWS names, error code and
//! hour, the top causes once each, and the denial patterns that are new against a baseline window.
//! The events stream past; only counters and the distinct causes and patterns are kept (D158).

use std::collections::{BTreeMap, HashMap, HashSet};

use iamspect_replay::{EventReport, Position};
use serde_json::{Value, json};

/// One denial, as the summary counts it.
struct Denial {
    principal: String,
    action: String,
    policy_type: String,
    error_code: String,
    hour: String,
}

fn denial(r: &EventReport) -> Denial {
    let principal =
        r.rebuilt.as_ref().map(|b| b.caller.principal.clone()).unwrap_or_else(|| "(caller not rebuilt)".to_string());
    let action = match (&r.rebuilt, &r.event_source, &r.event_name) {
        (Some(b), _, _) if !b.targets.is_empty() => {
            b.targets.iter().map(|t| t.action.as_str()).collect::<Vec<_>>().join("+")
        }
        (_, Some(s), Some(n)) => format!("{} {n}", s.trim_end_matches(".amazonaws.com")),
        _ => "(unknown)".to_string(),
    };
    // The policy type AWS's own message names; otherwise the kind of deny it says; otherwise none.
    let policy_type = r
        .rebuilt
        .as_ref()
        .and_then(|b| b.aws_message.as_ref())
        .map(|m| match (m.deny, m.policy_type) {
            (_, Some(t)) => format!("{} {}", deny_words(m.deny), t.words()),
            (d, None) => deny_words(d).to_string(),
        })
        .unwrap_or_else(|| "(AWS's message names no policy type)".to_string());
    let hour =
        r.event_time.as_deref().and_then(|t| t.get(..13)).map_or("(no time)".to_string(), |h| format!("{h}:00Z"));
    Denial { principal, action, policy_type, error_code: r.error_code.clone(), hour }
}

fn deny_words(d: iamspect_explain::message::DenyKind) -> &'static str {
    match d {
        iamspect_explain::message::DenyKind::Explicit => "explicit deny in a",
        iamspect_explain::message::DenyKind::Implicit => "no allow in a",
        iamspect_explain::message::DenyKind::Unspecified => "denied",
    }
}

/// Counts by key, most first (ties by key).
fn counts(m: &HashMap<String, usize>) -> Vec<Value> {
    let mut v: Vec<(&String, &usize)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    v.into_iter().map(|(k, n)| json!({"key": k, "count": n})).collect()
}

/// A denial pattern: principal, action, and the policy type (a cause) or error code (a pattern).
type Key = (String, String, String);

/// A cause's count, and the position and message of its first event that has a message.
type Cause = (usize, Option<(Position, String)>);

/// What a summary keeps while the events stream past (decision D158): counters by key and the
/// distinct causes and patterns, never the events.
#[derive(Default)]
pub(crate) struct Tally {
    denials: usize,
    by_principal: HashMap<String, usize>,
    by_action: HashMap<String, usize>,
    by_policy_type: HashMap<String, usize>,
    by_error_code: HashMap<String, usize>,
    by_hour: HashMap<String, usize>,
    /// Per cause: its count, and the message of the first of its events (in the order of the
    /// files and records) that has one.
    causes: HashMap<Key, Cause>,
    /// Per pattern (principal, action, error code): its count.
    patterns: HashMap<Key, usize>,
}

fn bump(m: &mut HashMap<String, usize>, k: &str, n: usize) {
    match m.get_mut(k) {
        Some(c) => *c += n,
        None => {
            m.insert(k.to_string(), n);
        }
    }
}

/// The earlier of two first messages.
fn earlier(a: Option<(Position, String)>, b: Option<(Position, String)>) -> Option<(Position, String)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.0 < x.0 { y } else { x }),
        (x, y) => x.or(y),
    }
}

impl Tally {
    /// Adds a denial read at `at`. A copy of a record counted already (`counted` false) is not
    /// counted again, but its position still competes for its cause's first message: its cause
    /// is the same as the copy's, and the copy that comes first in the input is the one a
    /// sequential read counts.
    pub(crate) fn add(&mut self, r: &EventReport, at: Position, counted: bool) {
        let d = denial(r);
        let first = r.error_message.clone().map(|m| (at, m));
        let cause = self.causes.entry((d.principal.clone(), d.action.clone(), d.policy_type.clone())).or_default();
        cause.1 = earlier(cause.1.take(), first);
        if !counted {
            return;
        }
        cause.0 += 1;
        self.denials += 1;
        bump(&mut self.by_principal, &d.principal, 1);
        bump(&mut self.by_action, &d.action, 1);
        bump(&mut self.by_policy_type, &d.policy_type, 1);
        bump(&mut self.by_error_code, &d.error_code, 1);
        bump(&mut self.by_hour, &d.hour, 1);
        *self.patterns.entry((d.principal, d.action, d.error_code)).or_default() += 1;
    }

    /// Adds another thread's tally.
    pub(crate) fn merge(&mut self, other: Tally) {
        self.denials += other.denials;
        for (mine, theirs) in [
            (&mut self.by_principal, other.by_principal),
            (&mut self.by_action, other.by_action),
            (&mut self.by_policy_type, other.by_policy_type),
            (&mut self.by_error_code, other.by_error_code),
            (&mut self.by_hour, other.by_hour),
        ] {
            for (k, n) in theirs {
                *mine.entry(k).or_default() += n;
            }
        }
        for (k, (n, first)) in other.causes {
            let c = self.causes.entry(k).or_default();
            c.0 += n;
            c.1 = earlier(c.1.take(), first);
        }
        for (k, n) in other.patterns {
            *self.patterns.entry(k).or_default() += n;
        }
    }
}

/// What a summary keeps of the baseline window: its denial count and patterns.
#[derive(Default)]
pub(crate) struct Baseline {
    denials: usize,
    patterns: HashSet<Key>,
}

impl Baseline {
    /// Adds a denial of the baseline window (counted once per distinct record by the caller).
    pub(crate) fn add(&mut self, r: &EventReport) {
        let d = denial(r);
        self.denials += 1;
        self.patterns.insert((d.principal, d.action, d.error_code));
    }

    /// Adds another thread's baseline.
    pub(crate) fn merge(&mut self, other: Baseline) {
        self.denials += other.denials;
        self.patterns.extend(other.patterns);
    }
}

/// The summary of a tally, and the patterns (principal, action, error code) not in `baseline`.
pub(crate) fn summarize(t: &Tally, baseline: Option<&Baseline>) -> Value {
    // The top causes, once each: the same principal, action and reason.
    let mut top: Vec<(&Key, &Cause)> = t.causes.iter().filter(|(_, (n, _))| *n > 0).collect();
    top.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
    let top: Vec<Value> = top
        .into_iter()
        .take(10)
        .map(|((p, a, t), (n, m))| {
            json!({"principal": p, "action": a, "reason": t, "count": n, "message": m.as_ref().map(|(_, m)| m)})
        })
        .collect();
    let mut v = json!({
        "denials": t.denials,
        "byPrincipal": counts(&t.by_principal),
        "byAction": counts(&t.by_action),
        "byPolicyType": counts(&t.by_policy_type),
        "byErrorCode": counts(&t.by_error_code),
        "byHour": counts(&t.by_hour),
        "topCauses": top,
    });
    if let (Some(base), Some(obj)) = (baseline, v.as_object_mut()) {
        let new: BTreeMap<&Key, &usize> = t.patterns.iter().filter(|(k, _)| !base.patterns.contains(*k)).collect();
        let new: Vec<Value> = new
            .into_iter()
            .map(|((p, a, c), n)| json!({"principal": p, "action": a, "errorCode": c, "count": n}))
            .collect();
        obj.insert("baselineDenials".into(), json!(base.denials));
        obj.insert("newPatterns".into(), Value::Array(new));
    }
    v
}

/// The summary as text.
pub(crate) fn render(v: &Value) -> String {
    let mut out = format!("{} denied events\n", v["denials"]);
    for (field, title) in [
        ("byPrincipal", "by principal"),
        ("byAction", "by action"),
        ("byPolicyType", "by policy type (AWS's message)"),
        ("byErrorCode", "by error code"),
        ("byHour", "by hour"),
    ] {
        out.push_str(&format!("\n{title}:\n"));
        for row in v[field].as_array().into_iter().flatten().take(10) {
            out.push_str(&format!(
                "  {:>6}  {}\n",
                row["count"].as_u64().unwrap_or(0),
                row["key"].as_str().unwrap_or("")
            ));
        }
    }
    out.push_str("\ntop causes (each once):\n");
    for c in v["topCauses"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:>6}  {} {} ({})\n",
            c["count"],
            c["principal"].as_str().unwrap_or(""),
            c["action"].as_str().unwrap_or(""),
            c["reason"].as_str().unwrap_or("")
        ));
    }
    if let Some(new) = v["newPatterns"].as_array() {
        out.push_str(&format!(
            "\nnew against the baseline ({} denials): {} pattern(s)\n",
            v["baselineDenials"],
            new.len()
        ));
        for n in new {
            out.push_str(&format!(
                "  {:>6}  {} {} {}\n",
                n["count"].as_u64().unwrap_or(0),
                n["principal"].as_str().unwrap_or(""),
                n["action"].as_str().unwrap_or(""),
                n["errorCode"].as_str().unwrap_or("")
            ));
        }
    }
    out
}
