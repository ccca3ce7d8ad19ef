//! `iamspect test PATH...`: runs case files (folders are searched for `*.json`, skipping folders
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
    let mut compiler = Compiler::new();
    compiler.catalog_check = !args.no_catalog_check;
    if args.no_catalog_check && args.format == Format::Text {
        eprintln!("note: {}", iamspect_case::CATALOG_CHECK_OFF);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut results = Vec::new();
    let mut bad_input = false;
    for file in &files {
        let case_file = match iamspect_case::load_file(file, &mut compiler) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                bad_input = true;
                continue;
            }
        };
        for case in &case_file.cases {
            let (actual, pass) = iamspect_case::run(case);
            if pass {
                passed += 1;
            } else {
                failed += 1;
                if args.format == Format::Text {
                    crate::output::println(&failure_line(file, case, &actual));
                }
            }
            let notes: Vec<&String> = match &case.built {
                Ok(b) if !args.no_catalog_check => b.notes.iter().collect(),
                _ => Vec::new(),
            };
            if args.format == Format::Text {
                for note in &notes {
                    eprintln!("warning: {}#{}: {note}", file.display(), case.index);
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
                results.push(result);
            }
        }
    }
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
