//! `iamspect replay`: rebuild the requests of denied CloudTrail events and decide them against
//! account data, to see whether iamspect reproduces each denial and why.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anstyle::{AnsiColor, Style};
use iamspect_core::Decision;
use iamspect_replay::{Event, EventReport, Position, Replayer, ServiceReference, StreamReport, Summary, Verdict};
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
    let accounts: Vec<&str> = data.accounts.keys().map(String::as_str).collect();
    let new_replayer = || Replayer::new(sref.as_ref(), Some(&data));
    if args.summary {
        return run_summary(&args, &event_paths, &new_replayer);
    }
    let format = args.format;
    // Each record becomes its hash (duplicates are told apart in file order, as a sequential
    // read would) and, for a denial, its counts and its rendering, made on the reading threads.
    let each = |replayer: &mut Replayer<'_>, _at: Position, e: Event| {
        let hash = iamspect_replay::record_hash(&e.record);
        let done = replayer.replay(&e).map(|r| {
            let mut one = Summary::default();
            one.add(&r);
            let text = match format {
                Format::Text => render(&r),
                // One element of the `events` array, indented as `to_string_pretty` indents it
                // there (JSON strings hold no raw newline, so every newline is the printer's).
                Format::Json => serde_json::to_string_pretty(&r.json()).unwrap_or_default().replace('\n', "\n    "),
            };
            (one, text)
        });
        Some((hash, done))
    };
    let mut spill = match Spill::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot make a temporary file for the report: {e}");
            return BAD_INPUT;
        }
    };
    let mut summary = Summary::default();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut written = 0usize;
    let mut deliver = |_: &Path, items: Vec<(u128, Option<(Summary, String)>)>| {
        for (hash, done) in items {
            if !seen.insert(hash) {
                summary.duplicates += 1;
                continue;
            }
            let Some((one, text)) = done else {
                summary.other_records += 1;
                continue;
            };
            summary.merge(&one);
            let sep = match (format, written) {
                (Format::Text, _) => "\n",
                (Format::Json, 0) => "\n    ",
                (Format::Json, _) => ",\n    ",
            };
            spill.write(sep);
            spill.write(&text);
            written += 1;
        }
    };
    let progress = Progress::new();
    let (_, read) = iamspect_replay::stream_paths_ordered(
        &event_paths,
        threads(),
        &|d, t| progress.update(d, t),
        &new_replayer,
        &each,
        &mut deliver,
    );
    progress.finish();
    if let Some(code) = refuse(&read, "", "no CloudTrail files found in the given folders") {
        return code;
    }
    let (head, tail) = match format {
        Format::Text => {
            let account_line = format!(
                "account data: {}",
                if accounts.is_empty() { "no accounts".to_string() } else { accounts.join(", ") }
            );
            (
                format!("{}\n{}\n", paint(DIM, &sref_note), paint(DIM, &account_line)),
                format!("\n{}\n", paint(BOLD, &summary.line())),
            )
        }
        Format::Json => {
            let v = json!({
                "serviceReference": sref.as_ref().map(|s| s.dir.display().to_string()),
                "serviceReferenceNote": sref_note,
                "accounts": accounts,
                "files": read.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                "events": [],
                "summary": summary.json(),
            });
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
            const EMPTY: &str = "\n  \"events\": []";
            let Some(at) = pretty.find(EMPTY) else {
                eprintln!("error: the JSON report could not be laid out");
                return BAD_INPUT;
            };
            let close = if written == 0 { "]" } else { "\n  ]" };
            (format!("{}\n  \"events\": [", &pretty[..at]), format!("{close}{}\n", &pretty[at + EMPTY.len()..]))
        }
    };
    if let Err(e) = spill.print(&head, &tail) {
        eprintln!("error: cannot write output: {e}");
        return BAD_INPUT;
    }
    exit_code(&summary)
}

/// One reading thread per core.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Prints the skipped files as warnings and the files that could not be read as errors;
/// `Some(exit code)` when the input is refused (a named file unreadable, or no file at all).
fn refuse(read: &StreamReport, flag: &str, none: &str) -> Option<u8> {
    for e in &read.skipped {
        eprintln!("warning: {flag}skipped {e}");
    }
    for e in &read.errors {
        eprintln!("error: {flag}{e}");
    }
    if !read.errors.is_empty() {
        return Some(BAD_INPUT);
    }
    if read.files.is_empty() {
        eprintln!("error: {flag}{none}");
        return Some(BAD_INPUT);
    }
    None
}

/// `replay --summary`: the events stream past the counters (D158); nothing of an event is kept
/// but its counts, its cause and its pattern.
fn run_summary<'a>(args: &Args, event_paths: &[PathBuf], new_replayer: &(dyn Fn() -> Replayer<'a> + Sync)) -> u8 {
    use super::replay_summary::{Baseline, Tally};
    type Seen = Mutex<HashSet<u128>>;
    // Identical denials count once (only denials are hashed: a denial is identical only to a denial).
    fn first_time(seen: &Seen, e: &Event) -> bool {
        seen.lock().unwrap_or_else(PoisonError::into_inner).insert(iamspect_replay::record_hash(&e.record))
    }
    let seen = Seen::default();
    let init = || (new_replayer(), Tally::default(), Summary::default());
    let each = |st: &mut (Replayer<'a>, Tally, Summary), at: Position, e: Event| -> Option<()> {
        let r = st.0.replay(&e)?;
        let counted = first_time(&seen, &e);
        st.1.add(&r, at, counted);
        if counted {
            st.2.add(&r);
        }
        None
    };
    let progress = Progress::new();
    let (states, read) = iamspect_replay::stream_paths_ordered(
        event_paths,
        threads(),
        &|d, t| progress.update(d, t),
        &init,
        &each,
        &mut |_, _| {},
    );
    progress.finish();
    if let Some(code) = refuse(&read, "", "no CloudTrail files found in the given folders") {
        return code;
    }
    let (mut tally, mut summary) = (Tally::default(), Summary::default());
    for (_, t, s) in states {
        tally.merge(t);
        summary.merge(&s);
    }
    let baseline = if args.baseline.is_empty() {
        None
    } else {
        let seen = Seen::default();
        let init = || (new_replayer(), Baseline::default());
        let each = |st: &mut (Replayer<'a>, Baseline), _: Position, e: Event| -> Option<()> {
            let r = st.0.replay(&e)?;
            if first_time(&seen, &e) {
                st.1.add(&r);
            }
            None
        };
        let progress = Progress::new();
        let (states, read) = iamspect_replay::stream_paths_ordered(
            &args.baseline,
            threads(),
            &|d, t| progress.update(d, t),
            &init,
            &each,
            &mut |_, _| {},
        );
        progress.finish();
        for e in &read.skipped {
            eprintln!("warning: --baseline: skipped {e}");
        }
        if let Some(e) = read.errors.first() {
            eprintln!("error: --baseline: {e}");
            return BAD_INPUT;
        }
        if read.files.is_empty() {
            eprintln!("error: --baseline: no CloudTrail files found");
            return BAD_INPUT;
        }
        let mut base = Baseline::default();
        for (_, b) in states {
            base.merge(b);
        }
        Some(base)
    };
    let v = super::replay_summary::summarize(&tally, baseline.as_ref());
    match args.format {
        Format::Text => crate::output::print(&super::replay_summary::render(&v)),
        Format::Json => crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default()),
    }
    exit_code(&summary)
}

/// The per-event report, written to a temporary file while the events are read, and printed
/// once every file was read: a file that fails half-way then prints nothing but the error, as
/// when the events were held in memory, and memory holds no report (D157).
struct Spill {
    path: PathBuf,
    out: Option<std::io::BufWriter<std::fs::File>>,
    error: Option<std::io::Error>,
}

impl Spill {
    fn new() -> std::io::Result<Spill> {
        let dir = std::env::temp_dir();
        let mut n = 0u32;
        loop {
            let path = dir.join(format!("iamspect-replay-{}-{n}.txt", std::process::id()));
            match std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
                Ok(f) => return Ok(Spill { path, out: Some(std::io::BufWriter::new(f)), error: None }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => return Err(e),
            }
        }
    }

    fn write(&mut self, text: &str) {
        if self.error.is_some() {
            return;
        }
        if let Some(out) = &mut self.out
            && let Err(e) = out.write_all(text.as_bytes())
        {
            self.error = Some(e);
        }
    }

    /// Prints `head`, the spilled text, and `tail`, line by line (so that colour codes, which
    /// never span lines, are stripped whole when stdout takes none). A closed pipe ends the
    /// program quietly, as [`crate::output::print`] does.
    fn print(&mut self, head: &str, tail: &str) -> std::io::Result<()> {
        use std::io::{BufRead as _, Seek as _};
        if let Some(e) = self.error.take() {
            return Err(std::io::Error::other(format!("writing the temporary file {}: {e}", self.path.display())));
        }
        let Some(out) = self.out.take() else { return Ok(()) };
        let mut file = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.seek(std::io::SeekFrom::Start(0))?;
        let mut stdout = anstream::stdout().lock();
        let result = (|| {
            stdout.write_all(head.as_bytes())?;
            let mut reader = std::io::BufReader::new(file);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line)? > 0 {
                stdout.write_all(&line)?;
                line.clear();
            }
            stdout.write_all(tail.as_bytes())?;
            stdout.flush()
        })();
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                let _ = std::fs::remove_file(&self.path);
                std::process::exit(0)
            }
            r => r,
        }
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.out = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The progress bar of a read (bytes read of the total), on stderr, drawn only on a terminal
/// and only once the read has taken a second, so that short runs show nothing.
struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn new() -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::hidden())
            .with_style(
                indicatif::ProgressStyle::with_template("reading events {bar:40} {bytes}/{total_bytes} {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
        Progress { bar, start: std::time::Instant::now(), shown: std::sync::atomic::AtomicBool::new(false) }
    }

    fn update(&self, done: u64, total: u64) {
        use std::sync::atomic::Ordering;
        self.bar.set_length(total);
        self.bar.set_position(done);
        if self.start.elapsed() >= std::time::Duration::from_secs(1) && !self.shown.swap(true, Ordering::Relaxed) {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
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
/// on stderr (drawn only on a terminal, after a second), handing each record to `each` with its thread's state.
/// A file named on the command line that cannot be read is an error naming it; no record at all
/// is an error too (no events is no evidence).
pub(crate) fn stream_events<S: Send>(
    paths: &[PathBuf],
    flag: &str,
    init: &(dyn Fn() -> S + Sync),
    each: &(dyn Fn(&mut S, iamspect_replay::Event) + Sync),
) -> Result<(Vec<S>, iamspect_replay::StreamReport), String> {
    let progress = Progress::new();
    let (states, report) = iamspect_replay::stream_paths(paths, threads(), &|d, t| progress.update(d, t), init, each);
    progress.finish();
    if let Some(e) = report.errors.first() {
        return Err(format!("{}: {}", e.path.display(), e.message));
    }
    if report.events == 0 {
        return Err(format!("{flag}: no CloudTrail event was read, so there is nothing to go on"));
    }
    Ok((states, report))
}
