//! `iamspect eval CASE.json` prints each case's decision and trace; `iamspect eval --batch
//! CASES.jsonl` decides one case per line and prints one JSON object per line, compiling each
//! distinct policy once.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use iamspect_case::{Actual, Compiler};
use iamspect_core::Decision;
use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};
use crate::output;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A case file (or, with `--batch`, a file of one case per line; `-` reads standard input).
    #[arg(required_unless_present = "account_data")]
    path: Option<PathBuf>,
    /// Account data (dumps, an organization file, resource policies; files or folders) to take the
    /// principal's and the resource's policies from, instead of a case file.
    #[arg(long = "account-data", value_name = "PATH", num_args = 1.., requires_all = ["principal", "action", "resource"])]
    account_data: Vec<PathBuf>,
    /// With `--account-data`: the caller's ARN.
    #[arg(long)]
    principal: Option<String>,
    /// With `--account-data`: the action.
    #[arg(long)]
    action: Option<String>,
    /// With `--account-data`: the resource ARN or `*`.
    #[arg(long)]
    resource: Option<String>,
    /// With `--account-data`: the resource's account (S3 ARNs carry none).
    #[arg(long)]
    resource_account: Option<String>,
    /// With `--account-data`: a context key and value, `key=value`.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Read one JSON case per line and print one JSON result per line.
    #[arg(long)]
    batch: bool,
    /// Output format (`--batch` always prints JSON lines).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: Args) -> u8 {
    let mut compiler = Compiler::new();
    let Some(path) = &args.path else {
        return from_account_data(&args, &mut compiler);
    };
    if args.batch {
        return batch(path);
    }
    let file = match iamspect_case::load_file(path, &mut compiler) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let mut all_allowed = true;
    let mut outputs = Vec::new();
    for case in &file.cases {
        match &case.built {
            Ok(built) => {
                let response = iamspect_core::authorize_traced(&built.request, &built.policies);
                all_allowed &= response.outcome.decision == Decision::Allowed;
                match args.format {
                    Format::Text => {
                        if file.cases.len() > 1 {
                            crate::output::println(&format!(
                                "case {}{}",
                                case.index,
                                case.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                            ));
                        }
                        crate::output::print(&output::text::response(&built.request, &response));
                    }
                    Format::Json => outputs.push(iamspect_explain::wire::trace(&built.request, &response)),
                }
            }
            Err(e) => {
                eprintln!("error: {}#{}: {e}", path.display(), case.index);
                return BAD_INPUT;
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

fn from_account_data(args: &Args, compiler: &mut Compiler) -> u8 {
    let built = match crate::command::account::build(
        &args.account_data,
        args.principal.as_deref().unwrap_or_default(),
        args.action.as_deref().unwrap_or_default(),
        args.resource.as_deref().unwrap_or_default(),
        args.resource_account.as_deref(),
        &args.context,
        compiler,
    ) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let response = iamspect_core::authorize_traced(&built.request, &built.policies);
    match args.format {
        Format::Text => crate::output::print(&output::text::response(&built.request, &response)),
        Format::Json => crate::output::println(
            &serde_json::to_string_pretty(&iamspect_explain::wire::trace(&built.request, &response))
                .unwrap_or_default(),
        ),
    }
    if response.outcome.decision == Decision::Allowed { SUCCESS } else { FAILURE }
}
