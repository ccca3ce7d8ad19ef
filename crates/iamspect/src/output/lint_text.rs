//! `iamspect lint` for people: `CODE severity: message`, `--> file:line:col`, an excerpt with a
//! marker under the span (annotate-snippets, as rustc and ruff do), then a summary line.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use iamspect_lint::Severity;

use crate::command::lint::{Located, Report, uncertain_note};
use crate::input::Origin as DocOrigin;

fn level(severity: Severity) -> (Level<'static>, &'static str) {
    match severity {
        Severity::Error => (Level::ERROR, "error"),
        Severity::SecurityWarning => (Level::ERROR, "security warning"),
        Severity::Warning => (Level::WARNING, "warning"),
        Severity::Suggestion => (Level::HELP, "suggestion"),
    }
}

/// The whole report.
pub(crate) fn render(report: &Report) -> String {
    let renderer = Renderer::styled();
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&renderer.render(&[finding(report, f)]));
        out.push_str("\n\n");
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn finding<'a>(report: &'a Report, f: &'a Located) -> Group<'a> {
    let (lvl, word) = level(f.finding.severity);
    let title = lvl.with_name(format!("{} {word}", f.finding.code)).primary_title(f.finding.message.as_str());
    let Some(doc) = report.document(f) else { return Group::with_title(title) };
    let file = report.path(f);
    let shown = doc.shown_text(&report.sources);
    let path = match (&doc.origin, &doc.resource) {
        (DocOrigin::Detached, Some(r)) => format!("{file} > {}.{}", r.name, r.attribute),
        _ => file,
    };
    let mut group = if f.finding.span.is_none() && matches!(doc.origin, DocOrigin::File) {
        title.element(Origin::path(path))
    } else {
        let range = f.mapped.range.clone();
        // An empty span still gets a marker, on the character it is before.
        let range = if range.is_empty() {
            let next = shown.get(range.start..).and_then(|s| s.chars().next()).map_or(0, char::len_utf8);
            range.start..range.start + next
        } else {
            range
        };
        // Only the lines the span covers are handed over: files may be large.
        let first = shown.get(..range.start).and_then(|h| h.rfind('\n')).map_or(0, |i| i + 1);
        let last = shown.get(range.end..).and_then(|t| t.find('\n')).map_or(shown.len(), |i| range.end + i);
        let excerpt = shown.get(first..last).unwrap_or("");
        let line = shown.get(..first).map_or(0, |h| h.bytes().filter(|&b| b == b'\n').count()) + 1;
        let span = range.start - first..range.end - first;
        title.element(
            Snippet::source(excerpt)
                .line_start(line)
                .path(path)
                .annotation(AnnotationKind::Primary.span(span).label(f.finding.name)),
        )
    };
    if let Some(r) = &doc.resource {
        group = group.element(Level::NOTE.message(format!("in `{}` ({}), `{}`", r.name, r.kind, r.attribute)));
    }
    if let Some(note) = uncertain_note(f) {
        group = group.element(Level::NOTE.message(note));
    }
    if !f.mapped.exact {
        group = group.element(Level::NOTE.message(
            "the position is that of the template node that holds the finding; it cannot be mapped more closely",
        ));
    }
    if matches!(doc.origin, DocOrigin::Detached) {
        group = group.element(
            Level::NOTE.message("positions are in the policy document, which the plan holds as a JSON string"),
        );
    }
    group
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `Found 3 findings (1 error, 2 warnings) in 2 policies from 1 file.`
pub(crate) fn summary(report: &Report) -> String {
    let policies = plural(report.documents.len(), "policy", "policies");
    let files = plural(report.sources.len(), "file", "files");
    if report.findings.is_empty() {
        return format!("No findings in {policies} from {files}.");
    }
    let count = |s: Severity| report.findings.iter().filter(|f| f.finding.severity == s).count();
    let parts: Vec<String> = [
        (Severity::Error, "error", "errors"),
        (Severity::SecurityWarning, "security warning", "security warnings"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Suggestion, "suggestion", "suggestions"),
    ]
    .into_iter()
    .filter(|(s, _, _)| count(*s) > 0)
    .map(|(s, one, many)| plural(count(s), one, many))
    .collect();
    format!(
        "Found {} ({}) in {policies} from {files}.",
        plural(report.findings.len(), "finding", "findings"),
        parts.join(", ")
    )
}
