//! `iamspect lint PATH...`: Access Analyzer-style checks on policy files, the policies of
//! Terraform plans and of CloudFormation templates, rendered as text, JSON, SARIF or GitHub
//! annotations.
//!
//! Exit codes: 0 no finding at or above `--fail-on`; 1 some; 2 bad input (a file that cannot be
//! read, a bad flag, an unknown rule).

use std::path::PathBuf;

use iamspect_core::{LineColumn, PolicyType, Span};
use iamspect_lint::rules::{RULES, RuleInfo};
use iamspect_lint::{Finding, Severity, Target};

use super::{BAD_INPUT, FAILURE, SUCCESS};
use crate::input::{self, Document, Mapped, Source};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Policy files and folders (searched for `*.json`, and for CloudFormation templates in
    /// `*.yaml`/`*.yml`), Terraform plans (`terraform show -json`), CloudFormation templates.
    #[arg(required_unless_present = "explain")]
    paths: Vec<PathBuf>,
    /// The type of plain policy files: identity, resource, trust, boundary, session, scp, rcp,
    /// vpc-endpoint. Without it, each file's type is read from its content and said on standard
    /// error (a `Principal` makes a resource policy, one with only `sts:AssumeRole*` actions a
    /// trust policy, otherwise identity); templates and case files say it for each policy.
    #[arg(long = "type", short = 't', value_parser = parse_type)]
    policy_type: Option<PolicyType>,
    /// For resource policies, the resource type they are attached to (`AWS::S3::Bucket`).
    #[arg(long)]
    resource_type: Option<String>,
    /// Output format: text (rustc-style excerpts), json (Access Analyzer's `ValidatePolicy`
    /// findings), sarif (SARIF 2.1.0), github (workflow annotation lines).
    #[arg(long, value_enum, default_value = "text")]
    format: LintFormat,
    /// Exit 1 when a finding is at least this severe: ERROR, SECURITY_WARNING, WARNING, SUGGESTION.
    #[arg(long, default_value = "ERROR", value_parser = parse_severity)]
    fail_on: Severity,
    /// Only these rules (codes, names or code prefixes, comma-separated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Not these rules (codes, names or code prefixes, comma-separated).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Print a rule's documentation (by code or name) and exit.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
}

/// `--format` for lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LintFormat {
    /// For people: rustc-style excerpts.
    Text,
    /// Access Analyzer's `ValidatePolicy` findings.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

fn parse_type(s: &str) -> Result<PolicyType, String> {
    PolicyType::from_cli_name(s)
        .ok_or_else(|| "expected identity, resource, trust, boundary, session, scp, rcp or vpc-endpoint".to_string())
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::from_name(&s.replace('-', "_"))
        .ok_or_else(|| "expected ERROR, SECURITY_WARNING, WARNING or SUGGESTION".to_string())
}

/// Everything that was linted and found.
pub(crate) struct Report {
    pub(crate) sources: Vec<Source>,
    pub(crate) documents: Vec<Document>,
    pub(crate) findings: Vec<Located>,
}

/// A finding and where it is.
pub(crate) struct Located {
    pub(crate) finding: Finding,
    /// Index into [`Report::documents`].
    pub(crate) document: usize,
    /// Where it is in the text shown (the file, or a detached document's text).
    pub(crate) mapped: Mapped,
    /// 1-based line and column (in characters) of the start, and of the end (one past).
    pub(crate) start: LineColumn,
    pub(crate) end: LineColumn,
}

impl Report {
    pub(crate) fn document(&self, f: &Located) -> Option<&Document> {
        self.documents.get(f.document)
    }

    pub(crate) fn source(&self, f: &Located) -> Option<&Source> {
        self.document(f).and_then(|d| self.sources.get(d.source))
    }

    /// The file's path as shown, with `/` separators and relative to the current directory when
    /// it is under it.
    pub(crate) fn path(&self, f: &Located) -> String {
        self.source(f).map(|s| display_path(&s.path)).unwrap_or_default()
    }
}

/// A path relative to the current directory where possible, with `/` separators.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Why a finding's position is uncertain, to add to its message.
pub(crate) fn uncertain_note(f: &Located) -> Option<String> {
    f.mapped.intrinsic.as_ref().map(|name| format!("uncertain: the value comes from {name}"))
}

/// A rule by code or name (any case).
pub(crate) fn find_rule(name: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(name) || r.name.eq_ignore_ascii_case(name))
}

/// Whether a `--select`/`--ignore` entry names this finding: its code, its name, or a prefix of
/// its code (`IAM1`).
fn matches(entry: &str, code: &str, name: &str) -> bool {
    code.eq_ignore_ascii_case(entry)
        || name.eq_ignore_ascii_case(entry)
        || (entry.len() >= 3
            && code.len() >= entry.len()
            && code.get(..entry.len()).is_some_and(|p| p.eq_ignore_ascii_case(entry)))
}

pub(crate) fn run(args: Args) -> u8 {
    if let Some(code) = &args.explain {
        return explain(code);
    }
    // The catalogue checks are only as new as the catalogue: say when it is stale.
    if let Some(warning) = super::catalog::staleness_warning() {
        eprintln!("warning: {warning}");
    }
    for entry in args.select.iter().chain(&args.ignore) {
        if !RULES.is_empty() && !RULES.iter().any(|r| matches(entry, r.code, r.name)) {
            eprintln!(
                "error: no rule is called `{entry}` (see the codes and names in the output, or `--explain CODE`)"
            );
            return BAD_INPUT;
        }
    }
    let loaded = input::load(&args.paths, args.policy_type, args.resource_type.as_deref());
    for note in &loaded.notes {
        eprintln!("note: {note}");
    }
    // Unreadable files first, before any summary; and no summary at all when nothing was linted.
    for e in &loaded.errors {
        eprintln!("error: {e}");
    }
    if loaded.documents.is_empty() {
        if loaded.errors.is_empty() {
            eprintln!("error: no policy was found in the paths given");
        }
        return BAD_INPUT;
    }
    let mut findings = Vec::new();
    for (index, doc) in loaded.documents.iter().enumerate() {
        let target = Target { policy_type: doc.policy_type, resource_type: doc.resource_type.as_deref() };
        for finding in iamspect_lint::lint(&doc.text, target) {
            let wanted = (args.select.is_empty() || args.select.iter().any(|e| matches(e, finding.code, finding.name)))
                && !args.ignore.iter().any(|e| matches(e, finding.code, finding.name));
            if !wanted {
                continue;
            }
            let mapped = doc.map(finding.span);
            let shown = doc.shown_text(&loaded.sources);
            let start = Span::line_column(shown, mapped.range.start);
            let end = Span::line_column(shown, mapped.range.end);
            findings.push(Located { finding, document: index, mapped, start, end });
        }
    }
    let failed = findings.iter().any(|f| f.finding.severity <= args.fail_on);
    let report = Report { sources: loaded.sources, documents: loaded.documents, findings };
    let out = match args.format {
        LintFormat::Text => crate::output::lint_text::render(&report),
        LintFormat::Json => crate::output::lint_json::render(&report),
        LintFormat::Sarif => crate::output::sarif::render(&report),
        LintFormat::Github => crate::output::github::render(&report),
    };
    crate::output::print(&out);
    if !loaded.errors.is_empty() {
        BAD_INPUT
    } else if failed {
        FAILURE
    } else {
        SUCCESS
    }
}

fn explain(code: &str) -> u8 {
    let Some(rule) = find_rule(code) else {
        eprintln!("error: no rule is called `{code}`");
        return BAD_INPUT;
    };
    crate::output::println(&format!(
        "# {} ({})\n\nSeverity: {}. Access Analyzer issue code: {}.\n\n{}",
        rule.code,
        rule.name,
        rule.severity.as_str(),
        rule.issue_code,
        rule.doc.trim_end()
    ));
    SUCCESS
}
