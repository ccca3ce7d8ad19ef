//! `--format sarif` of `trust-audit` and `credential-audit`: SARIF 2.1.0 with the levels of
//! `lint`'s writer (ERROR and SECURITY_WARNING `error`, the latter with a `security-severity`,
//! WARNING `warning`, SUGGESTION `note`). Findings are about roles and users, not lines of a
//! file, so each result's location is the input file and a logical location, the role's or the
//! user's ARN.

use iamspect_audit::Severity;
use serde_json::{Value, json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error | Severity::SecurityWarning => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

/// One result: the finding's code, severity and message, the ARN it is about, and its kind
/// (`role`, `user`).
pub(crate) struct AuditResult<'a> {
    pub(crate) code: &'a str,
    pub(crate) severity: Severity,
    pub(crate) message: &'a str,
    pub(crate) arn: &'a str,
    pub(crate) kind: &'a str,
}

/// `rules` are (code, description) of every check the command has, so the codes are listed even
/// when nothing is found; `file` is the input the results are about.
pub(crate) fn render(rules: &[(&str, Severity, &str)], results: &[AuditResult<'_>], file: &str) -> String {
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|(code, severity, doc)| {
            let mut properties = json!({"tags": ["iam", "security"]});
            if *severity == Severity::SecurityWarning {
                properties["security-severity"] = json!("7.5");
            }
            json!({
                "id": code,
                "name": code,
                "shortDescription": {"text": doc},
                "fullDescription": {"text": doc},
                "defaultConfiguration": {"level": level(*severity)},
                "properties": properties,
            })
        })
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "ruleId": r.code,
                "ruleIndex": rules.iter().position(|(c, _, _)| *c == r.code).unwrap_or(0),
                "level": level(r.severity),
                "message": {"text": r.message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"}},
                    "logicalLocations": [{"name": r.arn, "fullyQualifiedName": r.arn, "kind": r.kind}],
                }],
                "properties": {"findingType": r.severity.as_str()},
            })
        })
        .collect();
    let out = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iamspect",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/iamspect",
                "rules": rule_values,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}
