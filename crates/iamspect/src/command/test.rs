//! `iamspect test PATH...`: runs case files on every core (folders are searched for `*.json`, skipping folders
//! named `policies`), prints a line per failure and then `N passed, N failed`.

use std::path::{Path, PathBuf};

use iamspect_case::{Actual, Compiler};
use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Case files and folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Do not check the cases' requests against AWS's catalogue (for emulators and research):
    /// unknown actions, resources of other types and context keys the action never carries are
    /// then decided as given. The summary says the check was off.
    #[arg(long)]
    no_catalog_check: bool,
}

pub(crate) fn run(args: Args) -> u8 {
    let files = match iamspect_case::case_files(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    if args.no_catalog_check && args.format == Format::Text {
        eprintln!("note: {}", iamspect_case::CATALOG_CHECK_OFF);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut results = Vec::new();
    let mut bad_input = false;
    let mut progress = Progress::new("testing {bar:40} {pos}/{len} files", Some(files.len() as u64));
    // Files are run on every core, each worker with its own compiler; what each file prints is
    // kept and printed in the order of the files, as it comes.
    for_each_file_in_order(&files, &args, |file_run| {
        progress.advance(1);
        passed += file_run.passed;
        failed += file_run.failed;
        bad_input |= file_run.bad_input;
        progress.suspend(|| {
            for line in file_run.lines {
                match line {
                    Line::Out(l) => crate::output::println(&l),
                    Line::Err(l) => eprintln!("{l}"),
                }
            }
        });
        results.extend(file_run.results);
    });
    progress.finish();
    if passed + failed == 0 {
        // Nothing ran: no summary that could read as a pass.
        if !bad_input {
            eprintln!("error: no case was found in the files given");
        }
        return BAD_INPUT;
    }
    match args.format {
        Format::Text => crate::output::println(&format!("{passed} passed, {failed} failed")),
        Format::Json => {
            let mut out = json!({"passed": passed, "failed": failed, "results": results});
            if let (true, Some(obj)) = (args.no_catalog_check, out.as_object_mut()) {
                obj.insert("catalogCheck".into(), json!(false));
                obj.insert("note".into(), json!(iamspect_case::CATALOG_CHECK_OFF));
            }
            crate::output::println(&serde_json::to_string_pretty(&out).unwrap_or_default());
        }
    }
    if bad_input {
        BAD_INPUT
    } else if failed > 0 {
        FAILURE
    } else {
        SUCCESS
    }
}

/// A line a file's run prints, on standard output or standard error.
enum Line {
    Out(String),
    Err(String),
}

/// What one file gave.
#[derive(Default)]
struct FileRun {
    passed: usize,
    failed: usize,
    bad_input: bool,
    lines: Vec<Line>,
    results: Vec<serde_json::Value>,
}

/// Runs every file on a pool of workers (one per core, each with its own compiler) and hands
/// each file's run to `take` in the order of `files`, as soon as it and those before it are done.
fn for_each_file_in_order(files: &[PathBuf], args: &Args, mut take: impl FnMut(FileRun)) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 64).min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (send, receive) = std::sync::mpsc::channel::<(usize, FileRun)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let send = send.clone();
            let next = &next;
            scope.spawn(move || {
                let mut compiler = Compiler::new();
                compiler.catalog_check = !args.no_catalog_check;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    if send.send((i, run_file(file, args, &mut compiler))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let mut pending = std::collections::BTreeMap::new();
        let mut expected = 0;
        for (i, run) in receive.iter() {
            pending.insert(i, run);
            while let Some(run) = pending.remove(&expected) {
                take(run);
                expected += 1;
            }
        }
        // A worker that stopped early leaves files unrun: each is reported, never skipped silently.
        for (i, file) in files.iter().enumerate().skip(expected) {
            match pending.remove(&i) {
                Some(run) => take(run),
                None => take(FileRun {
                    bad_input: true,
                    lines: vec![Line::Err(format!("error: {}: internal error: the file was not run", file.display()))],
                    ..FileRun::default()
                }),
            }
        }
    });
}

/// One file's cases, with what the run prints for them.
fn run_file(file: &Path, args: &Args, compiler: &mut Compiler) -> FileRun {
    let mut run = FileRun::default();
    let case_file = match iamspect_case::load_file(file, compiler) {
        Ok(f) => f,
        Err(e) => {
            run.lines.push(Line::Err(format!("error: {e}")));
            run.bad_input = true;
            return run;
        }
    };
    for case in &case_file.cases {
        let (actual, pass) = iamspect_case::run(case);
        if pass {
            run.passed += 1;
        } else {
            run.failed += 1;
            if args.format == Format::Text {
                run.lines.push(Line::Out(failure_line(file, case, &actual)));
            }
        }
        let notes: Vec<&String> = match &case.built {
            Ok(b) if !args.no_catalog_check => b.notes.iter().collect(),
            _ => Vec::new(),
        };
        if args.format == Format::Text {
            for note in &notes {
                run.lines.push(Line::Err(format!("warning: {}#{}: {note}", file.display(), case.index)));
            }
        }
        if args.format == Format::Json {
            let mut result = json!({
                "file": file.display().to_string(),
                "index": case.index,
                "description": case.description,
                "expected": case.expect.as_ref().map(expect_json),
                "actual": actual_json(&actual),
                "pass": pass,
            });
            if let (false, Some(obj)) = (notes.is_empty(), result.as_object_mut()) {
                obj.insert("warnings".into(), json!(notes));
            }
            run.results.push(result);
        }
    }
    run
}

/// A progress bar on standard error for long runs (`test` and `eval --batch`): shown once the
/// run has taken a second, and only on a terminal (indicatif draws nothing otherwise).
pub(crate) struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    shown: bool,
}

impl Progress {
    /// A bar of `len` units (unknown length: `None`), drawn with indicatif's `template`.
    pub(crate) fn new(template: &str, len: Option<u64>) -> Progress {
        let bar = indicatif::ProgressBar::hidden();
        if let Some(len) = len {
            bar.set_length(len);
        }
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress { bar, started: std::time::Instant::now(), shown: false }
    }

    /// `n` more units done.
    pub(crate) fn advance(&mut self, n: u64) {
        self.bar.inc(n);
        if !self.shown && self.started.elapsed() > std::time::Duration::from_secs(1) {
            self.shown = true;
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    /// Runs `f` (which prints) with the bar out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn expect_json(e: &iamspect_case::Expect) -> serde_json::Value {
    let mut v = serde_json::Map::new();
    if let Some(d) = &e.decision {
        v.insert("decision".into(), json!(d));
    }
    if let Some(d) = &e.denied_by {
        v.insert("deniedBy".into(), json!(d));
    }
    if let Some(d) = &e.error {
        v.insert("error".into(), json!(d));
    }
    serde_json::Value::Object(v)
}

pub(crate) fn actual_json(actual: &Actual) -> serde_json::Value {
    match actual {
        Actual::Decision(o) => {
            json!({"decision": o.decision.as_str(), "deniedBy": actual.denied_by_names()})
        }
        Actual::Error(e) => json!({"error": e.to_string()}),
    }
}

fn failure_line(file: &Path, case: &iamspect_case::Case, actual: &Actual) -> String {
    let expected = match &case.expect {
        Some(e) => match (&e.error, &e.decision) {
            (Some(err), _) => format!("error containing `{err}`"),
            (None, Some(d)) => match &e.denied_by {
                Some(by) => format!("{d} by [{}]", by.join(", ")),
                None => d.clone(),
            },
            (None, None) => "nothing (no `decision` or `error` in `expect`)".to_string(),
        },
        None => "nothing (the case has no `expect`)".to_string(),
    };
    let got = match actual {
        Actual::Decision(o) => {
            let by = actual.denied_by_names();
            if by.is_empty() {
                o.decision.as_str().to_string()
            } else {
                format!("{} by [{}]", o.decision.as_str(), by.join(", "))
            }
        }
        Actual::Error(e) => format!("error `{e}`"),
    };
    let desc = case.description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
    format!("FAIL {}#{}{desc}: expected {expected}, got {got}", file.display(), case.index)
}
