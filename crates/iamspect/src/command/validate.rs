//! `iamspect validate POLICY.json --type TYPE`: reports every problem with its line and column.

use std::path::PathBuf;

use iamspect_core::policy::MAX_POLICY_BYTES;
use iamspect_core::{Policy, PolicyType};
use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Policy documents.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The policy type: identity, resource, trust, boundary, session, scp, rcp, vpc-endpoint.
    #[arg(long = "type", short = 't', default_value = "identity", value_parser = parse_type)]
    policy_type: PolicyType,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

fn parse_type(s: &str) -> Result<PolicyType, String> {
    PolicyType::from_cli_name(s)
        .ok_or_else(|| "expected identity, resource, trust, boundary, session, scp, rcp or vpc-endpoint".to_string())
}

pub(crate) fn run(args: Args) -> u8 {
    let mut code = SUCCESS;
    let mut reports = Vec::new();
    for path in &args.paths {
        let name = path.display().to_string();
        let text = match read(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {name}: {e}");
                code = BAD_INPUT;
                continue;
            }
        };
        let (errors, warnings) = match Policy::parse(&name, &text, args.policy_type) {
            Ok(p) => (Vec::new(), p.warnings().to_vec()),
            Err(errs) => (errs.errors, Vec::new()),
        };
        if !errors.is_empty() && code == SUCCESS {
            code = FAILURE;
        }
        match args.format {
            Format::Text => {
                for e in &errors {
                    crate::output::println(&format!("{name}:{e}"));
                }
                for w in &warnings {
                    crate::output::println(&format!(
                        "{name}:{}:{}: warning: {}",
                        w.line_column().line,
                        w.line_column().column,
                        w.message()
                    ));
                }
                if errors.is_empty() {
                    crate::output::println(&format!("{name}: valid {}", args.policy_type.description()));
                }
            }
            Format::Json => {
                let item = |e: &iamspect_core::PolicyError| json!({"line": e.line_column().line, "column": e.line_column().column, "offset": e.span().start, "message": e.message()});
                reports.push(json!({
                    "file": name,
                    "type": args.policy_type.cli_name(),
                    "valid": errors.is_empty(),
                    "errors": errors.iter().map(item).collect::<Vec<_>>(),
                    "warnings": warnings.iter().map(item).collect::<Vec<_>>(),
                }));
            }
        }
    }
    if args.format == Format::Json {
        let out = if reports.len() == 1 { reports.remove(0) } else { json!(reports) };
        crate::output::println(&serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    code
}

fn read(path: &PathBuf) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_POLICY_BYTES as u64 {
        return Err(format!("the file is {} bytes; at most {MAX_POLICY_BYTES} are read", meta.len()));
    }
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}
