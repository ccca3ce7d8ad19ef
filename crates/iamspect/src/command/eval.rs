//! `iamspect eval CASE.json` (or a request by flags, either with `--account-data`) prints each
//! case's decision and trace; `iamspect eval --batch
//! CASES.jsonl` decides one case per line and prints one JSON object per line, compiling each
//! distinct policy once.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use iamspect_case::{Actual, Compiler};
use iamspect_core::Decision;
use serde_json::Value;
use serde_json::json;

use super::request::{self, RequestArgs};
use super::test::Progress;
use super::{BAD_INPUT, FAILURE, Format, SUCCESS};
use crate::output;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A case file (`-` reads standard input; with `--batch`, a file of one case per line).
    path: Option<PathBuf>,
    /// Decide only the case at this index of the file.
    #[arg(long)]
    index: Option<usize>,
    #[command(flatten)]
    request: RequestArgs,
    /// Read one JSON case per line and print one JSON result per line.
    #[arg(long)]
    batch: bool,
    /// Context keys to leave unknown (comma-separated): the answer is the condition on them under
    /// which the request is allowed ("allowed if", JSON `allowedIf`). Exit 0 when some values
    /// allow it, 1 when none do, 3 when it cannot be decided exactly.
    #[arg(long, value_name = "KEY", value_delimiter = ',')]
    unknown: Vec<String>,
    /// Output format (`--batch` always prints JSON lines).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: Args) -> u8 {
    if args.batch {
        let checked = request::refuse(
            &args.request.all_flags(),
            "`--batch` reads whole cases, one per line, each with its own request and policies",
        )
        .and_then(|()| {
            if args.unknown.is_empty() {
                Ok(())
            } else {
                Err("`--unknown` answers for one request at a time, not with `--batch`".to_string())
            }
        })
        .and_then(|()| match args.index {
            Some(_) => Err("`--index` cannot be used with `--batch`, which decides every line".to_string()),
            None => Ok(()),
        });
        if let Err(e) = checked {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
        let Some(path) = &args.path else {
            eprintln!("error: `--batch` needs a file of cases, one per line (`-` for standard input)");
            return BAD_INPUT;
        };
        return batch(path);
    }
    if let Err(e) = super::allowed_if::check_names(&args.unknown) {
        eprintln!("error: {e}");
        return BAD_INPUT;
    }
    let loaded = match request::load(args.path.as_deref(), args.index, &args.request) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    for item in &loaded.items {
        if let Err(e) = request::known_action(item.built.request.action()) {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    }
    // The residuals first: a key the request fixes is bad input, said before anything is printed.
    let residuals = match super::allowed_if::compute_all(&loaded.items, &args.unknown) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let mut all_allowed = true;
    // With `--unknown`, the exit code is the residuals' (the worst of them).
    let mut residual_code = SUCCESS;
    let mut outputs = Vec::new();
    let many = loaded.items.len() > 1;
    for (item_no, item) in loaded.items.iter().enumerate() {
        let built = &item.built;
        let response = iamspect_core::authorize_traced(&built.request, &built.policies);
        all_allowed &= response.outcome.decision == Decision::Allowed;
        match args.format {
            Format::Text => {
                if many {
                    crate::output::println(&format!(
                        "case {}{}",
                        item.index,
                        item.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                    ));
                }
                for note in request::notes(item) {
                    crate::output::println(&note);
                }
                crate::output::print(&output::text::response(&built.request, &response));
                if !args.unknown.is_empty() {
                    let r = super::allowed_if::of_item(&residuals, item_no, &mut residual_code);
                    for l in super::allowed_if::to_text(&args.unknown, &r) {
                        crate::output::println(&l);
                    }
                }
            }
            Format::Json => {
                let mut v = iamspect_explain::wire::trace(&built.request, &response);
                if let (Some(obj), Value::Object(notes)) = (v.as_object_mut(), request::notes_json(item)) {
                    for (k, n) in notes {
                        obj.insert(k, n);
                    }
                }
                if !args.unknown.is_empty() {
                    let r = super::allowed_if::of_item(&residuals, item_no, &mut residual_code);
                    if let Some(obj) = v.as_object_mut() {
                        obj.extend(super::allowed_if::to_json(&args.unknown, &r));
                    }
                }
                outputs.push(v);
            }
        }
    }
    if args.format == Format::Json {
        let out = if outputs.len() == 1 { outputs.remove(0) } else { json!(outputs) };
        crate::output::println(&serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    if !args.unknown.is_empty() {
        return residual_code;
    }
    if all_allowed { SUCCESS } else { FAILURE }
}

/// Lines read and decided at a time: enough to keep every core busy, few enough that the first
/// answers come at once and memory stays flat on any input length.
const CHUNK_LINES: usize = 512;

/// One decided line: its JSON answer and the exit code it asks for (`FAILURE` for a deny,
/// `BAD_INPUT` for an invalid case).
type Answer = (Value, Option<u8>);

fn batch(path: &PathBuf) -> u8 {
    let (reader, total): (Box<dyn BufRead>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        match std::fs::File::open(path) {
            Ok(f) => {
                let len = f.metadata().ok().map(|m| m.len());
                (Box::new(std::io::BufReader::with_capacity(1 << 20, f)), len)
            }
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return BAD_INPUT;
            }
        }
    };
    let base = path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    // One compiler per worker, kept for the whole batch: each distinct policy is compiled once
    // per worker, and every later line finds it by its text.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 64);
    let mut compilers: Vec<Compiler> = (0..workers).map(|_| Compiler::new()).collect();
    let mut progress = Progress::new("deciding {bar:40} {bytes}/{total_bytes} ({bytes_per_sec})", total);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut code = SUCCESS;
    let mut lines = reader.lines().enumerate();
    let mut chunk: Vec<(usize, String)> = Vec::with_capacity(CHUNK_LINES);
    loop {
        chunk.clear();
        let mut read_error = None;
        for (index, line) in lines.by_ref() {
            match line {
                Ok(l) => {
                    progress.advance(l.len() as u64 + 1);
                    if !l.trim().is_empty() {
                        chunk.push((index, l));
                    }
                }
                Err(e) => {
                    read_error = Some(format!("error: {}: line {}: {e}", path.display(), index + 1));
                    break;
                }
            }
            if chunk.len() == CHUNK_LINES {
                break;
            }
        }
        let end = read_error.is_some() || chunk.len() < CHUNK_LINES;
        for (value, wants) in decide_chunk(&chunk, &base, &mut compilers) {
            match wants {
                Some(BAD_INPUT) => code = BAD_INPUT,
                Some(FAILURE) if code == SUCCESS => code = FAILURE,
                _ => {}
            }
            if writeln!(out, "{value}").is_err() {
                // A closed pipe (`| head`) is not an error.
                progress.finish();
                return code;
            }
        }
        if let Some(e) = read_error {
            let _ = out.flush();
            progress.finish();
            eprintln!("{e}");
            return BAD_INPUT;
        }
        if end {
            break;
        }
    }
    let _ = out.flush();
    progress.finish();
    code
}

/// Decides the lines of a chunk on every worker, each worker taking a contiguous share with its
/// own compiler; the answers come back in the order of the lines.
fn decide_chunk(chunk: &[(usize, String)], base: &Path, compilers: &mut [Compiler]) -> Vec<Answer> {
    let share = chunk.len().div_ceil(compilers.len().max(1)).max(1);
    let mut parts: Vec<Vec<Answer>> = Vec::new();
    std::thread::scope(|scope| {
        let mut shares = chunk.chunks(share).zip(compilers.iter_mut());
        let first = shares.next();
        let handles: Vec<_> = shares
            .map(|(lines, compiler)| {
                let handle = scope
                    .spawn(move || lines.iter().map(|(i, l)| decide_line(*i, l, base, compiler)).collect::<Vec<_>>());
                (lines, handle)
            })
            .collect();
        if let Some((lines, compiler)) = first {
            parts.push(lines.iter().map(|(i, l)| decide_line(*i, l, base, compiler)).collect());
        }
        for (lines, handle) in handles {
            // A worker that failed: its lines are answered with an error, never dropped.
            parts.push(handle.join().unwrap_or_else(|_| {
                let error = |i: usize| json!({"line": i + 1, "error": "internal error: this line was not decided"});
                lines.iter().map(|(i, _)| (error(*i), Some(BAD_INPUT))).collect()
            }));
        }
    });
    parts.into_iter().flatten().collect()
}

/// One line's answer, as `eval --batch` has always written it.
fn decide_line(index: usize, line: &str, base: &Path, compiler: &mut Compiler) -> Answer {
    match iamspect_case::batch_case(index, line, base, compiler) {
        Err(e) => (json!({"line": index + 1, "error": e}), Some(BAD_INPUT)),
        Ok(case) => {
            let (actual, pass) = iamspect_case::run(&case);
            let mut v = crate::command::test::actual_json(&actual);
            let wants = match &actual {
                Actual::Decision(o) if o.decision != Decision::Allowed => Some(FAILURE),
                Actual::Error(_) => Some(BAD_INPUT),
                _ => None,
            };
            if let Some(obj) = v.as_object_mut() {
                obj.insert("line".into(), json!(index + 1));
                if case.expect.is_some() {
                    obj.insert("pass".into(), json!(pass));
                }
            }
            (v, wants)
        }
    }
}
