//! `iamspect replay --summary [--baseline EVENTS]`: denial trends over many CloudTrail files
//! (decision D89): denials counted by principal, action, the policy type AWS names, error code and
//! hour, the top causes once each, and the denial patterns that are new against a baseline window.

use std::collections::{BTreeMap, BTreeSet};

use iamspect_replay::EventReport;
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
fn counts<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// The summary of `reports`, and the patterns (principal, action, error code) not in `baseline`.
pub(crate) fn summarize(reports: &[EventReport], baseline: Option<&[EventReport]>) -> Value {
    let denials: Vec<Denial> = reports.iter().map(denial).collect();
    let table = |f: fn(&Denial) -> &str| -> Vec<Value> {
        counts(denials.iter().map(f)).into_iter().map(|(k, n)| json!({"key": k, "count": n})).collect()
    };
    // The top causes, once each: the same principal, action and reason.
    let mut causes: BTreeMap<(String, String, String), (usize, Option<String>)> = BTreeMap::new();
    for (d, r) in denials.iter().zip(reports) {
        let e = causes.entry((d.principal.clone(), d.action.clone(), d.policy_type.clone())).or_insert((0, None));
        e.0 += 1;
        if e.1.is_none() {
            e.1 = r.error_message.clone();
        }
    }
    let mut top: Vec<_> = causes.into_iter().collect();
    top.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    let top: Vec<Value> = top
        .into_iter()
        .take(10)
        .map(|((p, a, t), (n, m))| json!({"principal": p, "action": a, "reason": t, "count": n, "message": m}))
        .collect();
    let mut v = json!({
        "denials": denials.len(),
        "byPrincipal": table(|d| &d.principal),
        "byAction": table(|d| &d.action),
        "byPolicyType": table(|d| &d.policy_type),
        "byErrorCode": table(|d| &d.error_code),
        "byHour": table(|d| &d.hour),
        "topCauses": top,
    });
    if let (Some(base), Some(obj)) = (baseline, v.as_object_mut()) {
        let key = |d: &Denial| (d.principal.clone(), d.action.clone(), d.error_code.clone());
        let seen: BTreeSet<_> = base.iter().map(denial).map(|d| key(&d)).collect();
        let mut new: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for d in &denials {
            let k = key(d);
            if !seen.contains(&k) {
                *new.entry(k).or_default() += 1;
            }
        }
        let new: Vec<Value> = new
            .into_iter()
            .map(|((p, a, c), n)| json!({"principal": p, "action": a, "errorCode": c, "count": n}))
            .collect();
        obj.insert("baselineDenials".into(), json!(base.len()));
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
