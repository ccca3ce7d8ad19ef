//! The human explanation: the two gates, AWS's words, each layer's verdict, the deciding
//! statements with a marked source excerpt, near misses, missing keys, counterfactuals and the
//! proved fix. Colour comes from anstream, which strips it when the output is not a terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use iamspect_case::Built;
use iamspect_core::{Decision, Effect, Layer, LayerVerdict, Policy, StatementOutcome, StatementTrace};
use iamspect_explain::message::{AccessDeniedMessage, DenyKind};
use iamspect_explain::wire::{describe, layer_words, verdict_name};

use iamspect_explain::fix::{FixKind, Fixes};
use iamspect_explain::report::Report;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn decision_style(d: Decision) -> Style {
    if d == Decision::Allowed { GREEN } else { RED }
}

/// Where a policy's text is: its own file, the case file it sits in, or (for a policy read from
/// account data, whose text is a JSON string inside a dump) its name or ARN and the statement's
/// index.
fn location(file: &str, policy: &Policy, offset: usize, from_data: &[String]) -> String {
    let at = policy.position(offset);
    let name = policy.name();
    if name == "FullAWSAccess" || name == "RCPFullAWSAccess" {
        format!("{name} (AWS managed):{}:{}", at.line, at.column)
    } else if from_data.iter().any(|n| n == name) {
        // The loader re-formats the policy it decodes, so a line of that text is in no file:
        // the statement is named by its index instead.
        match policy.statements().iter().position(|s| s.span().start <= offset && offset < s.span().end) {
            Some(i) => format!("statement {i} of `{name}` (account data)"),
            None => format!("`{name}` (account data)"),
        }
    } else if name.ends_with(".json") || file == "request" {
        format!("{name}:{}:{}", at.line, at.column)
    } else {
        format!("{file}:{}:{} ({name})", at.line, at.column)
    }
}

/// The statement's source lines, numbered as in its file, the first one marked.
fn excerpt(policy: &Policy, s: &StatementTrace) -> String {
    let source = policy.source();
    let start = source.get(..s.span.start).and_then(|h| h.rfind('\n')).map_or(0, |i| i + 1);
    let end = source.get(s.span.end..).and_then(|t| t.find('\n')).map_or(source.len(), |i| s.span.end + i);
    let text = source.get(start..end).unwrap_or("");
    let first_line = policy.position(start).line;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let shown = lines.len().min(12);
    for (i, line) in lines.iter().take(shown).enumerate() {
        let marker = if i == 0 { paint(YELLOW, ">") } else { " ".to_string() };
        let _ = writeln!(out, "    {marker} {} {line}", paint(DIM, &format!("{:>4} |", first_line + i)));
    }
    if lines.len() > shown {
        let _ = writeln!(out, "      {}", paint(DIM, &format!("     | ... {} more lines", lines.len() - shown)));
    }
    out
}

fn statement_name(s: &StatementTrace) -> String {
    let effect = if s.effect == Effect::Allow { "Allow" } else { "Deny" };
    match &s.sid {
        Some(sid) => format!("statement {} {sid:?} ({effect})", s.index),
        None => format!("statement {} ({effect})", s.index),
    }
}

pub(crate) fn render(
    heading: &str,
    built: &Built,
    report: &Report,
    notes: &[String],
    located: &[crate::command::fix_files::Located],
) -> String {
    let file = heading.split('#').next().unwrap_or(heading);
    let from_data: Vec<String> =
        built.sources.iter().filter(|s| s.from == "account data").flat_map(|s| s.policies.iter().cloned()).collect();
    let req = &built.request;
    let res = &report.response;
    let decision = res.outcome.decision;
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint(BOLD, heading));
    let _ = writeln!(out, "  principal  {}", req.principal().arn());
    let _ = writeln!(out, "  action     {}", req.action());
    let account = req.resource_account().map(|a| format!("  (account {a})")).unwrap_or_default();
    let _ = writeln!(out, "  resource   {}{account}", req.resource());
    for note in notes {
        let _ = writeln!(out, "  inputs     {note}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} passed (assumed: iamspect evaluates the request as signed)",
        paint(BOLD, "Gate 1, authentication:")
    );
    let disagree = report.aws.as_ref().filter(|a| !a.agrees(&res.outcome));
    let _ = writeln!(
        out,
        "{} {}{}",
        paint(BOLD, "Gate 2, authorization: "),
        paint(decision_style(decision), decision.as_str()),
        disagree.map(|a| format!(" with the policies given; AWS saw {}", a.decision_words())).unwrap_or_default()
    );
    let by: Vec<_> = res.outcome.denied_by.iter().map(|d| d.as_str()).collect();
    if !by.is_empty() {
        let _ = writeln!(out, "  denied by: {}", by.join(", "));
    }

    if let Some(m) = &report.message {
        let _ = writeln!(out);
        let heading =
            if disagree.is_some() { "With only the policies given, AWS would answer:" } else { "AWS would answer:" };
        let _ = writeln!(out, "{}", paint(BOLD, heading));
        let _ = writeln!(out, "  {} (HTTP {})", report.error_code.code, report.error_code.status);
        let _ = writeln!(out, "  {}", m.render());
    }

    if let Some(aws) = &report.aws {
        let _ = writeln!(out);
        let agrees = aws.agrees(&res.outcome);
        let mark = if agrees { paint(GREEN, "agrees") } else { paint(RED, "DISAGREES") };
        let _ = writeln!(out, "{} {} ({mark})", paint(BOLD, "AWS's own verdict, from its"), aws.source);
        let style = decision_style(aws.decision.unwrap_or(Decision::ImplicitDeny));
        let _ = writeln!(out, "  AWS decided: {}", paint(style, &aws.decision_words()));
        for m in &aws.matched {
            let _ = writeln!(out, "  AWS matched: {m}");
        }
        let _ = writeln!(out, "  {}", aws.explanation(&res.outcome));
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "{}", paint(BOLD, "Layers, in evaluation order:"));
    let verdict_line = |out: &mut String, words: &str, verdict: Option<LayerVerdict>| {
        let (style, text) = match verdict {
            Some(LayerVerdict::Denies) => (RED, verdict_name(LayerVerdict::Denies)),
            Some(LayerVerdict::NoAllow) => (YELLOW, verdict_name(LayerVerdict::NoAllow)),
            Some(LayerVerdict::Allows) => (GREEN, verdict_name(LayerVerdict::Allows)),
            Some(LayerVerdict::NotApplicable) => (DIM, verdict_name(LayerVerdict::NotApplicable)),
            None => (DIM, "not applicable (none given)"),
        };
        let _ = writeln!(out, "  {words:<44} {}", paint(style, text));
    };
    let find = |layer: Layer| res.trace.layers.iter().find(|l| l.layer == layer).map(|l| l.verdict);
    let levels =
        |make: fn(usize) -> Layer| res.trace.layers.iter().filter(|l| (0..64).any(|i| l.layer == make(i))).count();
    let (n_rcp, n_scp) = (levels(Layer::Rcp), levels(Layer::Scp));
    if n_rcp == 0 {
        verdict_line(&mut out, "resource control policies", None);
    }
    for i in 0..n_rcp {
        verdict_line(&mut out, &layer_words(Layer::Rcp(i)), find(Layer::Rcp(i)));
    }
    if n_scp == 0 {
        verdict_line(&mut out, "service control policies", None);
    }
    for i in 0..n_scp {
        verdict_line(&mut out, &layer_words(Layer::Scp(i)), find(Layer::Scp(i)));
    }
    for layer in [Layer::VpcEndpoint, Layer::Resource, Layer::Identity, Layer::PermissionsBoundary, Layer::Session] {
        verdict_line(&mut out, &layer_words(layer), find(layer));
    }
    // Decision D138: through an access point, the bucket's own evaluation.
    if let Some(ap) = &res.trace.access_point {
        let o = ap.bucket_outcome;
        let by: Vec<&str> = o.denied_by.iter().map(|d| d.as_str()).collect();
        let text = if by.is_empty() {
            o.decision.as_str().to_string()
        } else {
            format!("{} ({})", o.decision.as_str(), by.join(", "))
        };
        let style = if o.decision == Decision::Allowed { GREEN } else { RED };
        let _ = writeln!(out, "  {:<44} {}", "the bucket beneath the access point", paint(style, &text));
        if ap.outside_vpc {
            let _ = writeln!(
                out,
                "  {:<44} {}",
                "access point network origin",
                paint(RED, "VPC only: the request is not from its VPC")
            );
        }
    }
    // Decision D135: the KMS grant that allows, named.
    if let Some((i, grant)) = res.trace.kms_grant.and_then(|i| report.policies.kms_grants.get(i).map(|g| (i, g))) {
        let _ = writeln!(out, "  {:<44} {}", "KMS grants", paint(GREEN, &format!("allow: {}", grant.describe(i))));
    }

    let deciding: Vec<_> = match decision {
        Decision::ExplicitDeny => res.trace.applied(Effect::Deny).collect(),
        // Gates (SCPs, RCPs, endpoint, boundary, session) only let a grant through; the grant is
        // what decides.
        Decision::Allowed => res
            .trace
            .applied(Effect::Allow)
            .filter(|(l, _, _)| matches!(l.layer, Layer::Identity | Layer::Resource))
            .collect(),
        Decision::ImplicitDeny => Vec::new(),
    };
    let _ = writeln!(out);
    if deciding.is_empty() && decision == Decision::ImplicitDeny {
        let _ = writeln!(
            out,
            "{}",
            paint(BOLD, "No statement decides: an implicit deny is the absence of a needed allow.")
        );
        let missing: Vec<String> = res.outcome.denied_by.iter().map(|d| d.as_str().to_string()).collect();
        let _ = writeln!(out, "  layers without the allow they need: {}", missing.join(", "));
        for level in &report.levels_without_allow {
            let _ = writeln!(out, "  {}", level.explanation());
        }
    } else {
        let _ = writeln!(out, "{}", paint(BOLD, "Deciding statements:"));
        for (layer, p, s) in &deciding {
            let _ = writeln!(
                out,
                "  {} {} in {}, at {}",
                paint(CYAN, p.policy.name()),
                statement_name(s),
                layer_words(layer.layer),
                location(file, &p.policy, s.span.start, &from_data)
            );
            out.push_str(&excerpt(&p.policy, s));
        }
    }

    // Near misses: statements whose action matched but which failed later.
    let near: Vec<_> = res
        .trace
        .layers
        .iter()
        .flat_map(|l| l.policies.iter().flat_map(move |p| p.statements.iter().map(move |s| (l, p, s))))
        .filter(|(_, _, s)| {
            !s.applied
                && matches!(
                    s.outcome,
                    StatementOutcome::ResourceNotMatched
                        | StatementOutcome::PrincipalNotMatched
                        | StatementOutcome::ConditionFailed(_)
                        | StatementOutcome::ConditionTypeError(_)
                )
        })
        .collect();
    if !near.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(BOLD, "Almost applied:"));
        for (_, p, s) in near {
            let _ = writeln!(
                out,
                "  {} {}: {}  {}",
                paint(CYAN, p.policy.name()),
                statement_name(s),
                describe(s),
                paint(DIM, &format!("({})", location(file, &p.policy, s.span.start, &from_data)))
            );
        }
    }

    if !res.trace.missing_context_keys.is_empty() {
        let _ = writeln!(out);
        let _ =
            writeln!(out, "{}", paint(BOLD, "Condition keys the policies look at that the request does not carry:"));
        for key in &res.trace.missing_context_keys {
            let users: Vec<String> = res
                .trace
                .layers
                .iter()
                .flat_map(|l| l.policies.iter().flat_map(move |p| p.statements.iter().map(move |s| (p, s))))
                .filter(|(_, s)| s.condition.as_ref().is_some_and(|c| c.key.eq_ignore_ascii_case(key)))
                .map(|(p, s)| {
                    let effect = if s.effect == Effect::Allow {
                        "with a matching value it could allow through"
                    } else {
                        "with a matching value it could trigger the deny in"
                    };
                    format!("{effect} {} {}", p.policy.name(), statement_name(s))
                })
                .collect();
            if users.is_empty() {
                let _ = writeln!(out, "  {key}");
            } else {
                let _ = writeln!(out, "  {key}: {}", users.join("; "));
            }
        }
    }

    if !report.causes.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(BOLD, "Common causes:"));
        for c in &report.causes {
            let _ = writeln!(out, "  - {c}");
        }
    }

    if !report.without_denies.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(BOLD, "Without each deny:"));
        for w in &report.without_denies {
            let sid = w.sid.as_deref().map(|s| format!(" {s:?}")).unwrap_or_default();
            let d = w.outcome.decision;
            let by: Vec<_> = w.outcome.denied_by.iter().map(|d| d.as_str()).collect();
            let by = if by.is_empty() { String::new() } else { format!(" (by {})", by.join(", ")) };
            let _ = writeln!(
                out,
                "  without {} statement {}{sid}: {}{by}",
                w.policy,
                w.statement,
                paint(decision_style(d), d.as_str())
            );
        }
    }

    if !report.context_changes.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(BOLD, "The same request with one context key changed:"));
        for c in &report.context_changes {
            let change = match &c.value {
                Some(v) => format!("{} = {v:?}", c.key),
                None => format!("without {}", c.key),
            };
            let d = c.outcome.decision;
            let _ = writeln!(out, "  {change}: {}", paint(decision_style(d), d.as_str()));
        }
    }

    if let Some(fixes) = &report.fixes {
        render_fixes(&mut out, fixes, located);
    }
    out.push('\n');
    out
}

/// The ranked fixes: request changes, then grants, then weakenings (labelled), each with what
/// was proved and, for edits, the patch of the user's files.
fn render_fixes(out: &mut String, fixes: &Fixes, located: &[crate::command::fix_files::Located]) {
    let _ = writeln!(out);
    if fixes.fixes.is_empty() {
        let _ = writeln!(out, "{}", paint(BOLD, "No fix is proposed."));
    } else {
        let _ = writeln!(out, "{}", paint(BOLD, "Fixes, the least loss of protection first:"));
    }
    for (i, fix) in fixes.fixes.iter().enumerate() {
        let label = match fix.kind {
            FixKind::Request => paint(GREEN, "[change the request]"),
            FixKind::Grant => paint(YELLOW, "[grant]"),
            FixKind::Weakening => paint(RED, "[weakening: removes protection]"),
        };
        let _ = writeln!(out, "  {}. {label} {}", i + 1, fix.summary);
        let proof = if fix.is_proved() { paint(GREEN, "proved") } else { paint(YELLOW, "not proved") };
        let detail = fix.proof();
        let detail = detail.strip_prefix("not proved: ").unwrap_or(&detail);
        let _ = writeln!(out, "     {proof}: {detail}");
        if let Some(p) = &fix.principal {
            let _ = writeln!(out, "     principal: {p}");
        }
        for c in &fix.context {
            let _ = writeln!(out, "     context: {} = {}", c.key, c.value);
        }
        for w in &fix.weakens {
            let _ = writeln!(out, "     weakens: {w}");
        }
        for p in fix.changes() {
            let _ = writeln!(
                out,
                "     {} {} on {}: {} before, {} after",
                paint(RED, "also changes:"),
                p.action,
                p.resource,
                p.before.as_str(),
                p.after.as_str()
            );
        }
        for p in fix.probes.iter().filter(|p| p.before == p.after) {
            let _ = writeln!(out, "     unchanged: {} on {}: {}", p.action, p.resource, p.before.as_str());
        }
        for note in &fix.notes {
            let _ = writeln!(out, "     note: {note}");
        }
        let here = located.get(i);
        for e in &fix.edits {
            let _ = writeln!(out, "     {}: {} ({})", paint(CYAN, &e.policy), e.summary, layer_words(e.slot.layer));
        }
        let diffs: Vec<String> = match here {
            Some(l) => l.files.iter().map(|f| f.diff()).chain(l.unplaced.iter().map(|e| e.diff())).collect(),
            None => fix.edits.iter().map(|e| e.diff()).collect(),
        };
        for diff in diffs {
            for line in diff.lines() {
                let styled = if line.starts_with('+') && !line.starts_with("+++") {
                    paint(GREEN, line)
                } else if line.starts_with('-') && !line.starts_with("---") {
                    paint(RED, line)
                } else {
                    line.to_string()
                };
                let _ = writeln!(out, "       {styled}");
            }
        }
        if let Some(l) = here {
            for note in &l.notes {
                let _ = writeln!(out, "     note: {note}");
            }
            if !l.unplaced.is_empty() {
                let _ = writeln!(
                    out,
                    "     note: {} edited polic{} came from account data or AWS, not from a file given here: the diff is of the policy document itself",
                    l.unplaced.len(),
                    if l.unplaced.len() == 1 { "y" } else { "ies" }
                );
            }
        }
    }
    for note in &fixes.notes {
        let _ = writeln!(out, "  note: {note}");
    }
}

pub(crate) fn render_message(m: &AccessDeniedMessage, steps: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint(BOLD, "AccessDenied message"));
    let _ = writeln!(out, "  principal    {}", m.principal);
    let _ = writeln!(out, "  action       {}", m.action);
    let _ = writeln!(out, "  resource     {}", m.resource.as_deref().unwrap_or("(not given)"));
    let kind = match m.deny {
        DenyKind::Explicit => "explicit deny",
        DenyKind::Implicit => "implicit deny (no allow)",
        DenyKind::Unspecified => "not said",
    };
    let _ = writeln!(out, "  deny         {kind}");
    let _ = writeln!(out, "  policy type  {}", m.policy_type.map_or("(not said)", |t| t.words()));
    if let Some(arn) = &m.policy_arn {
        let _ = writeln!(out, "  policy       {arn}");
    }
    if !steps.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(BOLD, "What to check next:"));
        for s in steps {
            let _ = writeln!(out, "  - {s}");
        }
    }
    out
}
