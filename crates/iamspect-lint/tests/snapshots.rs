//! Snapshots of each rule's findings on its `test_data/<code>-<name>/fires*.json` fixtures,
//! rendered as text: code, severity, name, issue code and message, then the line and column and
//! the source line with a marker under the span. One snapshot per rule folder, in
//! `tests/snapshots/`.
//!
//! A folder without a snapshot (a rule being added) is skipped with a note unless
//! `INSTA_UPDATE` asks for snapshots to be written:
//! `INSTA_UPDATE=always cargo test -p iamspect-lint --test snapshots`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::fmt::Write as _;
use std::path::Path;

use iamspect_core::{PolicyType, Span};
use iamspect_lint::{Finding, Target, lint};

/// The line and column (1-based, columns in characters) of `offset`, the text of its line, and
/// how many characters of the span lie on that line.
fn excerpt(text: &str, span: Span) -> String {
    let start = span.start.min(text.len());
    let lc = Span::line_column(text, start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let end = span.end.clamp(start, line_end);
    let width = text[start..end].chars().count().max(1);
    let indent = text[line_start..start].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect::<String>();
    let more = if span.end > line_end { " ..." } else { "" };
    format!("  --> {}:{}\n   | {line}\n   | {indent}{}{more}\n", lc.line, lc.column, "^".repeat(width))
}

fn render(text: &str, findings: &[&Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        writeln!(out, "{} {} {} [{}]: {}", f.code, f.severity.as_str(), f.name, f.issue_code, f.message).unwrap();
        match f.span {
            Some(span) => out.push_str(&excerpt(text, span)),
            None => out.push_str("  --> (the whole document)\n"),
        }
    }
    out
}

fn updating() -> bool {
    std::env::var("INSTA_UPDATE").is_ok_and(|v| matches!(v.as_str(), "always" | "new" | "unseen"))
}

#[test]
fn rendered_findings_of_every_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let mut checked = 0;
    for dir in dirs {
        let folder = dir.file_name().unwrap().to_string_lossy().to_string();
        let code = folder.split('-').next().unwrap().to_string();
        let snapshot = snapshots.join(format!("snapshots__{folder}.snap"));
        if !snapshot.exists() && !updating() {
            eprintln!("note: no snapshot for {folder} yet; run with INSTA_UPDATE=always to write it");
            continue;
        }
        let resource_type = std::fs::read_to_string(dir.join("resource-type.txt")).ok().map(|s| s.trim().to_string());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("fires"))
            })
            .collect();
        files.sort();
        let mut rendered = String::new();
        for path in files {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let policy_type =
                stem.split_once('.').map_or(PolicyType::Identity, |(_, t)| PolicyType::from_cli_name(t).unwrap());
            let text = std::fs::read_to_string(&path).unwrap();
            let findings = lint(&text, Target { policy_type, resource_type: resource_type.as_deref() });
            let mine: Vec<_> = findings.iter().filter(|f| f.code == code).collect();
            writeln!(rendered, "== {} ({}) ==", path.file_name().unwrap().to_string_lossy(), policy_type.cli_name())
                .unwrap();
            rendered.push_str(&render(&text, &mine));
        }
        insta::assert_snapshot!(folder.as_str(), rendered);
        checked += 1;
    }
    assert!(checked > 0, "no snapshot was checked");
}
