//! `iamspect who-can --account-data PATH... --action A --resource R`: every principal of the loaded
//! accounts that may do it, with the conditions its access depends on.

use std::path::PathBuf;

use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data: dumps, an organization file, resource policies (files or folders). One path
    /// per flag: repeat the flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// The action, `service:Action`.
    #[arg(long)]
    action: String,
    /// The resource ARN, or `*`.
    #[arg(long)]
    resource: String,
    /// The account that owns the resource (S3 ARNs carry none).
    #[arg(long)]
    resource_account: Option<String>,
    /// A context key and value, `key=value`, assumed for every principal.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: Args) -> u8 {
    let checked = super::request::known_action(&args.action).and_then(|()| {
        let context = super::account::context_flags(&args.context)?;
        super::request::check_values(Some(&args.resource), args.resource_account.as_deref(), &context)
    });
    if let Err(e) = checked {
        eprintln!("error: {e}");
        return BAD_INPUT;
    }
    let data = match super::account::load(&args.account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let mut context = match super::account::context_flags(&args.context) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let (time, time_given) = iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
    // A progress bar on standard error, drawn only on a terminal (indicatif hides it otherwise).
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} principals")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("compiling policies");
    let index = iamspect_account::query::Index::build_with_progress(&data, &mut |done, total| {
        if done % 256 == 0 || done == total {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    });
    bar.finish_and_clear();
    for s in &index.skipped {
        eprintln!("warning: left out {s}");
    }
    let (access, evaluated) = match iamspect_account::query::who_can(
        &data,
        &index,
        &args.action,
        &args.resource,
        args.resource_account.as_deref(),
        &context,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    match args.format {
        Format::Text => {
            let mut out = format!(
                "{} of {} principals may perform {} on {} ({} evaluated)\n",
                access.len(),
                index.principals.len(),
                args.action,
                args.resource,
                evaluated
            );
            out.push_str(&format!(
                "  time {time} ({})\n",
                if time_given { "given" } else { "now; `--context aws:CurrentTime=...` sets another" }
            ));
            for a in &access {
                out.push_str(&format!("  {}\n", a.principal));
                for g in &a.granted_by {
                    out.push_str(&format!("      granted by {g}\n"));
                }
                for c in &a.conditions {
                    out.push_str(&format!("      if {c}\n"));
                }
            }
            crate::output::print(&out);
        }
        Format::Json => {
            let v = json!({
                "action": args.action,
                "resource": args.resource,
                "principals": index.principals.len(),
                "evaluated": evaluated,
                "allowed": access.iter().map(|a| json!({
                    "principal": a.principal,
                    "grantedBy": a.granted_by,
                    "conditions": a.conditions,
                })).collect::<Vec<_>>(),
                "leftOut": index.skipped,
                "time": {"value": time, "given": time_given},
            });
            crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    if access.is_empty() { FAILURE } else { SUCCESS }
}
