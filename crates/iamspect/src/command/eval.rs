//! `iamspect eval CASE.json` (or a request by flags, either with `--account-data`) prints each
//! case's decision and trace; `iamspect eval --batch
//! CASES.jsonl` decides one case per line and prints one JSON object per line, compiling each
//! distinct policy once.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use iamspect_case::{Actual, Compiler};
use iamspect_core::Decision;
use serde_json::Value;
use serde_json::json;

use super::request::{self, RequestArgs};
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
    let mut all_allowed = true;
    let mut outputs = Vec::new();
    let many = loaded.items.len() > 1;
    for item in &loaded.items {
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
            }
            Format::Json => {
                let mut v = iamspect_explain::wire::trace(&built.request, &response);
                if let (Some(obj), Value::Object(notes)) = (v.as_object_mut(), request::notes_json(item)) {
                    for (k, n) in notes {
                        obj.insert(k, n);
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
    if all_allowed { SUCCESS } else { FAILURE }
}

fn batch(path: &PathBuf) -> u8 {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return BAD_INPUT;
            }
        }
    };
    let base = path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let mut compiler = Compiler::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut code = SUCCESS;
    for (index, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {}: line {}: {e}", path.display(), index + 1);
                return BAD_INPUT;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let result = match iamspect_case::case_from_str(index, &line, &base, &mut compiler) {
            Err(e) => {
                code = BAD_INPUT;
                json!({"line": index + 1, "error": e})
            }
            Ok(case) => {
                let (actual, pass) = iamspect_case::run(&case);
                let mut v = crate::command::test::actual_json(&actual);
                match &actual {
                    Actual::Decision(o) if o.decision != Decision::Allowed && code == SUCCESS => code = FAILURE,
                    Actual::Error(_) => code = BAD_INPUT,
                    _ => {}
                }
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("line".into(), json!(index + 1));
                    if case.expect.is_some() {
                        obj.insert("pass".into(), json!(pass));
                    }
                }
                v
            }
        };
        if writeln!(out, "{result}").is_err() {
            // A closed pipe (`| head`) is not an error.
            return code;
        }
    }
    let _ = out.flush();
    code
}
