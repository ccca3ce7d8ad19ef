//! `iamspect lint --format github`: one workflow command per finding,
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE name::message`
//! (`::warning` for WARNING, `::notice` for SUGGESTION; SECURITY_WARNING is an error).

use iamspect_lint::Severity;

use crate::command::lint::{Located, Report, uncertain_note};
use crate::input::Origin;

/// Escapes a workflow command's data.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&line(report, f));
        out.push('\n');
    }
    out
}

fn line(report: &Report, f: &Located) -> String {
    let command = match f.finding.severity {
        Severity::Error | Severity::SecurityWarning => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "notice",
    };
    let doc = report.document(f);
    let mut message = f.finding.message.clone();
    let mut props = vec![format!("file={}", property(&report.path(f)))];
    match doc.map(|d| (&d.origin, d.resource.as_ref())) {
        Some((Origin::Detached, Some(r))) => {
            // The plan is one generated line: the position is given in the policy, in the message.
            message =
                format!("{} `{}` line {}, column {}: {message}", r.name, r.attribute, f.start.line, f.start.column);
        }
        _ => {
            props.push(format!("line={}", f.start.line));
            props.push(format!("col={}", f.start.column));
            props.push(format!("endLine={}", f.end.line));
            props.push(format!("endColumn={}", f.end.column));
            if let Some(r) = doc.and_then(|d| d.resource.as_ref()) {
                message = format!("{} ({}) `{}`: {message}", r.name, r.kind, r.attribute);
            }
        }
    }
    if let Some(note) = uncertain_note(f) {
        message = format!("{message} ({note})");
    }
    props.push(format!("title={}", property(&format!("{} {}", f.finding.code, f.finding.name))));
    format!("::{command} {}::{}", props.join(","), data(&message))
}
