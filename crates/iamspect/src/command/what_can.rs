//! `iamspect what-can --account-data PATH... --principal P [--resource R]`: the actions a principal
//! may perform, from AWS's catalogue, grouped by service and access level.

use std::collections::BTreeMap;
use std::path::PathBuf;

use iamspect_account::query::{Grant, IndexedPrincipal, what_can};
use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data: dumps, an organization file, resource policies (files or folders). One path
    /// per flag: repeat the flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// The principal's ARN.
    #[arg(long)]
    principal: String,
    /// Only on this resource (otherwise: on any resource the policies name).
    #[arg(long)]
    resource: Option<String>,
    /// The resource's account (S3 ARNs carry none).
    #[arg(long)]
    resource_account: Option<String>,
    /// Only these services, comma-separated (`s3,ec2,iam`).
    #[arg(long, value_delimiter = ',')]
    service: Vec<String>,
    /// A context key and value, `key=value`.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Counts by service and access level instead of every action.
    #[arg(long)]
    summary: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: Args) -> u8 {
    let mut clock = (String::new(), false);
    let mut run = || -> Result<Vec<iamspect_account::query::ActionAccess>, String> {
        iamspect_case::check::principal(&args.principal).map_err(|e| e.message)?;
        for service in &args.service {
            super::request::known_service(service)?;
        }
        let mut context = super::account::context_flags(&args.context)?;
        super::request::check_values(args.resource.as_deref(), args.resource_account.as_deref(), &context)?;
        clock = iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
        let data = super::account::load(&args.account_data)?;
        let principal = IndexedPrincipal::resolve(&data, &args.principal)?;
        what_can(&data, &principal, &args.service, args.resource.as_deref(), args.resource_account.as_deref(), &context)
    };
    let access = match run() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let mut grouped: BTreeMap<(String, &str), Vec<&iamspect_account::query::ActionAccess>> = BTreeMap::new();
    for a in &access {
        let service = a.action.split(':').next().unwrap_or("").to_string();
        grouped.entry((service, a.access_level)).or_default().push(a);
    }
    if args.summary {
        let count = |list: &[&iamspect_account::query::ActionAccess], conditional: bool| {
            list.iter().filter(|a| matches!(a.grant, Grant::IfConditions(_)) == conditional).count()
        };
        match args.format {
            Format::Text => {
                let mut out = format!(
                    "{}: actions by service and access level (allowed, and if conditions hold)\n",
                    args.principal
                );
                for ((service, level), list) in &grouped {
                    out.push_str(&format!(
                        "  {service:<24} {level:<24} {:>5} {:>5}\n",
                        count(list, false),
                        count(list, true)
                    ));
                }
                crate::output::print(&out);
            }
            Format::Json => {
                let rows: Vec<_> = grouped
                    .iter()
                    .map(|((service, level), list)| {
                        json!({"service": service, "accessLevel": level, "allowed": count(list, false), "conditional": count(list, true)})
                    })
                    .collect();
                crate::output::println(
                    &serde_json::to_string_pretty(&json!({"principal": args.principal, "summary": rows, "time": {"value": clock.0, "given": clock.1}}))
                        .unwrap_or_default(),
                );
            }
        }
        return if access.is_empty() { FAILURE } else { SUCCESS };
    }
    match args.format {
        Format::Text => {
            let allowed = access.iter().filter(|a| a.grant == Grant::Allowed).count();
            let mut out = format!(
                "{} may perform {allowed} actions, and {} more if conditions hold\n",
                args.principal,
                access.len() - allowed
            );
            out.push_str(&format!(
                "time {} ({})\n",
                clock.0,
                if clock.1 { "given" } else { "now; `--context aws:CurrentTime=...` sets another" }
            ));
            for ((service, level), list) in &grouped {
                out.push_str(&format!("{service} ({level}):\n"));
                for a in list {
                    match &a.grant {
                        Grant::Allowed => out.push_str(&format!("  {} on {}\n", a.action, a.resource)),
                        Grant::IfConditions(c) => {
                            out.push_str(&format!("  {} on {} if {}\n", a.action, a.resource, c.join(" and ")))
                        }
                    }
                }
            }
            crate::output::print(&out);
        }
        Format::Json => {
            let services: Vec<_> = grouped
                .iter()
                .map(|((service, level), list)| {
                    json!({
                        "service": service,
                        "accessLevel": level,
                        "actions": list.iter().map(|a| json!({
                            "action": a.action,
                            "resource": a.resource,
                            "conditions": match &a.grant { Grant::Allowed => json!(null), Grant::IfConditions(c) => json!(c) },
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            crate::output::println(
                &serde_json::to_string_pretty(&json!({"principal": args.principal, "groups": services, "time": {"value": clock.0, "given": clock.1}}))
                    .unwrap_or_default(),
            );
        }
    }
    if access.is_empty() { FAILURE } else { SUCCESS }
}
