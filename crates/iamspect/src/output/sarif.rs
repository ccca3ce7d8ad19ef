//! `iamspect lint --format sarif`: SARIF 2.1.0 for code scanning (GitHub's upload action and
//! others). One run; the rules are every rule of `iamspect_lint::rules::RULES` (plus any code a
//! finding carries that the registry lacks); `ruleId` is the stable code. Levels: ERROR and
//! SECURITY_WARNING are `error` (the latter with a `security-severity`), WARNING `warning`,
//! SUGGESTION `note`. Columns count Unicode code points (`columnKind`), from 1; `endColumn` is
//! one past the last character.

use iamspect_lint::Severity;
use iamspect_lint::rules::RULES;
use serde_json::{Value, json};

use super::lint_json::LEARN_MORE;
use crate::command::lint::{Located, Report, uncertain_note};
use crate::input::Origin;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error | Severity::SecurityWarning => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

/// The first line of prose of a rule's documentation.
fn short(doc: &str, name: &str) -> String {
    doc.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map_or_else(|| name.to_string(), str::to_string)
}

/// The first paragraph of prose.
fn full(doc: &str, name: &str) -> String {
    let mut para = Vec::new();
    for line in doc.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        para.push(line);
    }
    if para.is_empty() { name.to_string() } else { para.join(" ") }
}

fn rule(code: &str, name: &str, severity: Severity, doc: &str) -> Value {
    let mut properties = json!({"tags": ["iam", "security"], "issueCode": Value::Null});
    if severity == Severity::SecurityWarning
        && let Some(obj) = properties.as_object_mut()
    {
        obj.insert("security-severity".to_string(), json!("7.5"));
    }
    json!({
        "id": code,
        "name": name,
        "shortDescription": {"text": short(doc, name)},
        "fullDescription": {"text": full(doc, name)},
        "help": {"text": if doc.is_empty() { name } else { doc }, "markdown": if doc.is_empty() { name } else { doc }},
        "helpUri": LEARN_MORE,
        "defaultConfiguration": {"level": level(severity)},
        "properties": properties,
    })
}

pub(crate) fn render(report: &Report) -> String {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let mut v = rule(r.code, r.name, r.severity, r.doc);
            v["properties"]["issueCode"] = json!(r.issue_code);
            v
        })
        .collect();
    for f in &report.findings {
        if !ids.contains(&f.finding.code) {
            ids.push(f.finding.code);
            let mut v = rule(f.finding.code, f.finding.name, f.finding.severity, "");
            v["properties"]["issueCode"] = json!(f.finding.issue_code);
            rules.push(v);
        }
    }
    let results: Vec<Value> = report.findings.iter().map(|f| result(report, f, &ids)).collect();
    let out = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iamspect",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/iamspect",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

fn result(report: &Report, f: &Located, ids: &[&str]) -> Value {
    let doc = report.document(f);
    let mut text = f.finding.message.clone();
    let mut physical = json!({"artifactLocation": {"uri": report.path(f), "uriBaseId": "%SRCROOT%"}});
    let detached = matches!(doc.map(|d| &d.origin), Some(Origin::Detached));
    if detached {
        if let Some(r) = doc.and_then(|d| d.resource.as_ref()) {
            text = format!("{} `{}` line {}, column {}: {text}", r.name, r.attribute, f.start.line, f.start.column);
        }
    } else {
        physical["region"] = json!({
            "startLine": f.start.line,
            "startColumn": f.start.column,
            "endLine": f.end.line,
            "endColumn": f.end.column.max(if f.end.line == f.start.line { f.start.column + 1 } else { 1 }),
        });
    }
    if let Some(note) = uncertain_note(f) {
        text = format!("{text} ({note})");
    }
    let mut location = json!({"physicalLocation": physical});
    if let Some(r) = doc.and_then(|d| d.resource.as_ref()) {
        location["logicalLocations"] =
            json!([{"name": r.name, "fullyQualifiedName": format!("{}.{}", r.name, r.attribute), "kind": "resource"}]);
    }
    let mut properties = json!({"issueCode": f.finding.issue_code, "findingType": f.finding.severity.as_str()});
    if let Some(name) = &f.mapped.intrinsic {
        properties["uncertain"] = json!({"intrinsicFunction": name});
    }
    json!({
        "ruleId": f.finding.code,
        "ruleIndex": ids.iter().position(|c| *c == f.finding.code).unwrap_or(0),
        "level": level(f.finding.severity),
        "message": {"text": text},
        "locations": [location],
        "properties": properties,
    })
}
