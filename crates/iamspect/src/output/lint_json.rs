//! `iamspect lint --format json`: Access Analyzer's `ValidatePolicy` response shape, one combined
//! list for every input: `{"findings": [{"findingDetails", "findingType", "issueCode",
//! "learnMoreLink", "locations": [{"path", "span"}]}]}`, plus iamspect's `code`, `name`, `file`,
//! `resource`, `policyType` and, when a value comes from a CloudFormation intrinsic function,
//! `uncertain`.
//!
//! `path` is the place in the policy document (`Statement`, 0, `Action`, 1). `span` is in the
//! file named by `file` (line from 1, column from 0 and offset from 0, as Access Analyzer counts;
//! `end` is one past); for a policy held as a string by a Terraform plan, it is in that policy
//! document, and `positionIn` says which.

use iamspect_lint::PolicyPaths;
use serde_json::{Value, json};

use crate::command::lint::{Located, Report, uncertain_note};
use crate::input::Origin;

/// Access Analyzer's page about its checks.
pub(crate) const LEARN_MORE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";

pub(crate) fn render(report: &Report) -> String {
    // Findings come grouped by document: each document is parsed once for the paths.
    let mut parsed: Option<(usize, Option<PolicyPaths<'_>>)> = None;
    let mut findings = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        if parsed.as_ref().is_none_or(|(d, _)| *d != f.document) {
            parsed = Some((f.document, report.document(f).map(|d| PolicyPaths::new(&d.text))));
        }
        let paths = parsed.as_ref().and_then(|(_, a)| a.as_ref());
        findings.push(finding(report, f, paths));
    }
    let out = json!({ "findings": findings });
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

fn finding(report: &Report, f: &Located, paths: Option<&PolicyPaths<'_>>) -> Value {
    let doc = report.document(f);
    let details = match uncertain_note(f) {
        Some(note) => format!("{} ({note})", f.finding.message),
        None => f.finding.message.clone(),
    };
    let path = paths.map(|p| p.path(f.finding.span)).unwrap_or_default();
    let pos = |lc: iamspect_core::LineColumn, offset: usize| json!({"line": lc.line, "column": lc.column - 1, "offset": offset});
    let mut v = json!({
        "findingDetails": details,
        "findingType": f.finding.severity.as_str(),
        "issueCode": f.finding.issue_code,
        "learnMoreLink": LEARN_MORE,
        "locations": [{
            "path": path,
            "span": {"start": pos(f.start, f.mapped.range.start), "end": pos(f.end, f.mapped.range.end)},
        }],
        "code": f.finding.code,
        "name": f.finding.name,
        "file": report.path(f),
        "resource": doc.and_then(|d| d.resource.as_ref()).map(|r| json!({"name": r.name, "type": r.kind, "attribute": r.attribute})),
        "policyType": doc.map(|d| d.policy_type.cli_name()),
        "positionIn": match doc.map(|d| &d.origin) { Some(Origin::Detached) => "policy", _ => "file" },
        "exactPosition": f.mapped.exact,
    });
    if let (Some(name), Some(obj)) = (&f.mapped.intrinsic, v.as_object_mut()) {
        obj.insert("uncertain".to_string(), json!({"intrinsicFunction": name}));
    }
    v
}
