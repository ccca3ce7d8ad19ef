//! `iamspect scp-impact --account-data D (--scp NEW.json | --rcp NEW.json) --target ou-...|r-...|ACCOUNT`:
//! what breaks if the SCP or RCP is attached there (decisions D121, D152), answered by
//! `iamspect_symbolic::impact` (which the server's `POST /v1/scp-impact` shares).
//! Exit 0 nothing breaks, 1 something breaks, 2 bad input, 3 not decided for some principal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::impact::{self, Change, ImpactError};

use super::check::UNKNOWN;
use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data with the organization (files or folders; repeat or separate with commas).
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// The SCP document to attach.
    #[arg(long, value_name = "FILE", required_unless_present = "rcp")]
    scp: Option<PathBuf>,
    /// The RCP document to attach (with `--scp`: both attached at the target).
    #[arg(long, value_name = "FILE")]
    rcp: Option<PathBuf>,
    /// Where it is attached: the root (`r-...`), an OU (`ou-...`) or an account (12 digits).
    #[arg(long)]
    target: String,
    /// At most this many counterexamples per principal, each with a different action where
    /// possible.
    #[arg(long, default_value_t = 3)]
    max_counterexamples: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: Args) -> u8 {
    let data = match super::account::load(&args.account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let read = |path: &Option<PathBuf>, flag: &str, t: PolicyType| -> Result<Option<Arc<Policy>>, String> {
        path.as_deref().map(|p| load_policy(p, flag, t)).transpose()
    };
    let (scp, rcp) = match (read(&args.scp, "--scp", PolicyType::Scp), read(&args.rcp, "--rcp", PolicyType::Rcp)) {
        (Ok(s), Ok(r)) => (s, r),
        (s, r) => {
            for e in [s.err(), r.err()].into_iter().flatten() {
                eprintln!("error: {e}");
            }
            return BAD_INPUT;
        }
    };
    let change = Change { scp, rcp, target: args.target.clone(), max_counterexamples: args.max_counterexamples };
    let report = match impact::impact(&data, &change, &AtomicBool::new(false)) {
        Ok(r) => r,
        Err(ImpactError::BadInput(e)) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
        Err(ImpactError::Cancelled) => {
            eprintln!("error: cancelled");
            return UNKNOWN;
        }
    };
    match args.format {
        Format::Json => crate::output::println(&serde_json::to_string_pretty(&report.json).unwrap_or_default()),
        Format::Text => {
            for l in &report.lines {
                crate::output::println(l);
            }
        }
    }
    match report.result {
        "FAIL" => FAILURE,
        "PASS" => SUCCESS,
        _ => UNKNOWN,
    }
}

fn load_policy(path: &Path, flag: &str, t: PolicyType) -> Result<Arc<Policy>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    let name = path.display().to_string();
    Policy::parse(&name, &text, t)
        .map(Arc::new)
        .map_err(|errs| errs.errors.iter().map(|e| format!("{name}:{e}")).collect::<Vec<_>>().join("\n"))
}
