//! `iamspect replay`: rebuild the requests of denied CloudTrail events and decide them against
//! account data, to see whether iamspect reproduces each denial and why.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anstyle::{AnsiColor, Style};
use iamspect_core::Decision;
use iamspect_replay::{EventReport, Replayer, ServiceReference, Summary, Verdict};
use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

/// Where the service reference is looked for when neither the flag nor the variable names one.
const DEFAULT_SERVICE_REFERENCE: &str = "../shared/corpora/service-reference";
/// The variable naming the service reference folder.
const SERVICE_REFERENCE_VAR: &str = "IAMSPECT_SERVICE_REFERENCE";

#[derive(clap::Args)]
pub(crate) struct Args {
    /// CloudTrail files or folders: log files (`{"Records": [...]}`), `aws cloudtrail
    /// lookup-events` output, or arrays of records. Only authorization denials are replayed.
    #[arg(value_name = "EVENTS")]
    events: Vec<PathBuf>,
    /// Account data (get-account-authorization-details dumps, an organization file, resource
    /// policies; files or folders). One path per flag: repeat the flag or separate paths with
    /// commas. CloudTrail files are events, not account data: give them as EVENTS.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// AWS's service reference (one JSON file per service, with `Operations`), to map API
    /// operations to IAM actions. Default: $IAMSPECT_SERVICE_REFERENCE, else
    /// `../shared/corpora/service-reference` if it exists; without one the action is assumed to be
    /// `service:EventName`.
    #[arg(long, value_name = "DIR")]
    service_reference: Option<PathBuf>,
    /// Denial trends instead of one block per event: counts by principal, action, policy type,
    /// error code and hour, and the top causes once each.
    #[arg(long)]
    summary: bool,
    /// With `--summary`: CloudTrail files of an earlier window; the denial patterns (principal,
    /// action, error code) not seen in it are listed as new.
    #[arg(long, value_name = "EVENTS", num_args = 1.., requires = "summary")]
    baseline: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Colour: auto, always or never.
    #[arg(long, value_enum, default_value = "auto")]
    color: super::Color,
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// The service reference to use, and a note on where it came from (or why there is none).
pub(crate) fn service_reference(flag: Option<&Path>) -> Result<(Option<ServiceReference>, String), String> {
    let (dir, origin) = match (flag, std::env::var_os(SERVICE_REFERENCE_VAR)) {
        (Some(d), _) => (d.to_path_buf(), "--service-reference"),
        (None, Some(v)) if !v.is_empty() => (PathBuf::from(v), SERVICE_REFERENCE_VAR),
        _ => {
            let d = PathBuf::from(DEFAULT_SERVICE_REFERENCE);
            if !d.is_dir() {
                return Ok((
                    None,
                    "no service reference (give --service-reference DIR or set IAMSPECT_SERVICE_REFERENCE): each action is assumed to be `service:EventName`".to_string(),
                ));
            }
            (d, "default location")
        }
    };
    let sref = ServiceReference::load(&dir)?;
    let note = format!("service reference: {} ({origin}, {} services)", dir.display(), sref.len());
    Ok((Some(sref), note))
}

pub(crate) fn run(args: Args) -> u8 {
    args.color.apply();
    if let Some(p) = args.account_data.iter().find(|p| iamspect_replay::is_events_path(p)) {
        eprintln!(
            "error: `--account-data {}` holds CloudTrail events, not account data: give it as EVENTS",
            p.display()
        );
        return BAD_INPUT;
    }
    let (event_paths, account_data) = (args.events.clone(), args.account_data.clone());
    if event_paths.is_empty() {
        eprintln!("error: give CloudTrail files or folders to replay (EVENTS)");
        return BAD_INPUT;
    }
    let data = match crate::command::account::load(&account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let (sref, sref_note) = match service_reference(args.service_reference.as_deref()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let read = iamspect_replay::read_paths(&event_paths);
    for e in &read.skipped {
        eprintln!("warning: skipped {e}");
    }
    for e in &read.errors {
        eprintln!("error: {e}");
    }
    if !read.errors.is_empty() {
        return BAD_INPUT;
    }
    if read.files.is_empty() {
        eprintln!("error: no CloudTrail files found in the given folders");
        return BAD_INPUT;
    }
    let mut replayer = Replayer::new(sref.as_ref(), Some(&data));
    let (reports, summary) = iamspect_replay::replay_all(&mut replayer, &read.events);
    let accounts: Vec<&str> = data.accounts.keys().map(String::as_str).collect();
    if args.summary {
        let baseline = if args.baseline.is_empty() {
            None
        } else {
            let base = iamspect_replay::read_paths(&args.baseline);
            for e in &base.skipped {
                eprintln!("warning: --baseline: skipped {e}");
            }
            if let Some(e) = base.errors.first() {
                eprintln!("error: --baseline: {e}");
                return BAD_INPUT;
            }
            if base.files.is_empty() {
                eprintln!("error: --baseline: no CloudTrail files found");
                return BAD_INPUT;
            }
            let mut base_replayer = Replayer::new(sref.as_ref(), Some(&data));
            Some(iamspect_replay::replay_all(&mut base_replayer, &base.events).0)
        };
        let v = super::replay_summary::summarize(&reports, baseline.as_deref());
        match args.format {
            Format::Text => crate::output::print(&super::replay_summary::render(&v)),
            Format::Json => crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default()),
        }
        return exit_code(&summary);
    }
    match args.format {
        Format::Text => {
            let mut out = String::new();
            let _ = writeln!(out, "{}", paint(DIM, &sref_note));
            let _ = writeln!(
                out,
                "{}",
                paint(
                    DIM,
                    &format!(
                        "account data: {}",
                        if accounts.is_empty() { "no accounts".to_string() } else { accounts.join(", ") }
                    )
                )
            );
            for r in &reports {
                out.push('\n');
                out.push_str(&render(r));
            }
            out.push('\n');
            out.push_str(&paint(BOLD, &summary.line()));
            out.push('\n');
            crate::output::print(&out);
        }
        Format::Json => {
            let v = json!({
                "serviceReference": sref.as_ref().map(|s| s.dir.display().to_string()),
                "serviceReferenceNote": sref_note,
                "accounts": accounts,
                "files": read.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                "events": reports.iter().map(EventReport::json).collect::<Vec<_>>(),
                "summary": summary.json(),
            });
            crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    exit_code(&summary)
}

fn exit_code(summary: &Summary) -> u8 {
    if summary.allowed == 0 { SUCCESS } else { FAILURE }
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {} {value}", paint(DIM, &format!("{label:<10}")));
}

/// One block per event.
fn render(r: &EventReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {} {}",
        paint(
            BOLD,
            &format!("{} {}", r.event_source.as_deref().unwrap_or("?"), r.event_name.as_deref().unwrap_or("?"))
        ),
        r.event_time.as_deref().unwrap_or("(no time)"),
        r.error_code,
        paint(DIM, &format!("{} {}", r.event_id.as_deref().map(|i| format!("id {i}")).unwrap_or_default(), r.source)),
    );
    if let Some(m) = &r.error_message {
        let shown: String = m.chars().take(200).collect();
        let more = if m.chars().count() > 200 { "..." } else { "" };
        row(&mut out, "AWS said", &format!("{shown}{more}"));
    }
    if let Some(b) = &r.rebuilt {
        row(&mut out, "principal", &format!("{} ({})", b.caller.principal, b.caller.identity_type));
        for t in &b.targets {
            row(&mut out, "action", &t.action);
            let how = if t.resource_determined {
                paint(DIM, &format!("(from {})", t.resource_how))
            } else {
                paint(YELLOW, &format!("(not determined: {})", t.resource_how))
            };
            row(&mut out, "resource", &format!("{} {how}", t.resource));
        }
        row(&mut out, "actions", &paint(DIM, &b.actions_how));
        if !b.other_actions.is_empty() {
            row(
                &mut out,
                "others",
                &paint(DIM, &format!("the operation may also need {} (not evaluated)", b.other_actions.join(", "))),
            );
        }
        let ctx: Vec<String> = b.context.iter().map(|(k, vs)| format!("{k}={}", vs.join(","))).collect();
        row(&mut out, "context", &ctx.join(" "));
    }
    match &r.verdict {
        Verdict::Reproduced => {
            row(&mut out, "result", &paint(GREEN, "reproduced"));
        }
        Verdict::AllowedByIamspect => {
            row(&mut out, "result", &paint(RED, "allowed by iamspect (AWS denied it)"));
        }
        Verdict::NotRebuilt(n) => {
            row(&mut out, "result", &format!("{}: {}", paint(YELLOW, "not rebuilt"), n.reason()));
        }
    }
    for e in &r.evaluations {
        let by: Vec<&str> = e.denied_by.iter().map(|d| d.as_str()).collect();
        let decision = if e.decision == Decision::Allowed {
            paint(GREEN, e.decision.as_str())
        } else {
            paint(RED, e.decision.as_str())
        };
        let by = if by.is_empty() { String::new() } else { format!(" (denied by {})", by.join(", ")) };
        row(&mut out, "iamspect", &format!("{}: {decision}{by}", e.action));
        if let Some(m) = &e.message {
            row(&mut out, "message", &m.render());
        }
    }
    match r.same_reason {
        Some(true) => row(&mut out, "reason", "the same policy type and kind of deny as AWS's message"),
        Some(false) => row(&mut out, "reason", &paint(YELLOW, "differs from AWS's message")),
        None => {}
    }
    for n in r.all_notes() {
        row(&mut out, "note", &paint(DIM, &n));
    }
    out
}

/// Reads CloudTrail files streaming and in parallel (one thread per core), with a progress bar
/// on stderr (drawn only on a terminal), handing each record to `each` with its thread's state.
/// A file named on the command line that cannot be read is an error naming it; no record at all
/// is an error too (no events is no evidence).
pub(crate) fn stream_events<S: Send>(
    paths: &[PathBuf],
    flag: &str,
    init: &(dyn Fn() -> S + Sync),
    each: &(dyn Fn(&mut S, iamspect_replay::Event) + Sync),
) -> Result<(Vec<S>, iamspect_replay::StreamReport), String> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("reading events {bar:40} {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let (states, report) = iamspect_replay::stream_paths(paths, threads, &progress, init, each);
    bar.finish_and_clear();
    if let Some(e) = report.errors.first() {
        return Err(format!("{}: {}", e.path.display(), e.message));
    }
    if report.events == 0 {
        return Err(format!("{flag}: no CloudTrail event was read, so there is nothing to go on"));
    }
    Ok((states, report))
}
