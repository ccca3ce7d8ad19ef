//! `iamspect export --account-data D --out DIR [--format parquet|jsonl] [--actions-from
//! catalog|used]`: the loaded accounts' principals, effective access, resource policies and what
//! was left out, as tables partitioned by account (`docs/export.md`).

use std::path::PathBuf;

use super::{BAD_INPUT, FAILURE, SUCCESS};

/// `--format` of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// JSON Lines: one object per row.
    Jsonl,
}

/// `--actions-from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ActionsFrom {
    /// Wildcard and `NotAction` entries expanded over AWS's catalogue of actions.
    Catalog,
    /// Only actions written out in full; the others are listed in `left_out`.
    Used,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data: dumps, an organization file, resource policies (files or folders). One path
    /// per flag: repeat the flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// The folder to write (new or empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value = "parquet")]
    format: ExportFormat,
    /// Where the actions of wildcard and `NotAction` entries come from.
    #[arg(long = "actions-from", value_enum, default_value = "catalog")]
    actions_from: ActionsFrom,
    /// A context key and value, `key=value`, assumed for every principal (as in `who-can`).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Accounts exported at once (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    jobs: Option<u32>,
    /// The longest path to admin the `paths` table looks for, in steps (as `iamspect paths`).
    #[arg(long = "max-hops", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=64))]
    max_hops: u32,
    /// Do not export the `paths` table (the escalation graph of the whole organization is its
    /// cost); the manifest says it was not exported.
    #[arg(long = "no-paths")]
    no_paths: bool,
    /// With `--no-paths`: compile every principal first, as `paths` needs, instead of one
    /// account at a time (the same rows; for tests that compare the two, decision D166).
    #[arg(long = "whole-index", hide = true)]
    whole_index: bool,
}

pub(crate) fn run(args: Args) -> u8 {
    let mut context = match super::account::context_flags(&args.context) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    if let Err(e) = super::request::check_values(None, None, &context) {
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
    if data.accounts.is_empty() {
        eprintln!("error: the account data holds no account (no dump was loaded): nothing to export");
        return BAD_INPUT;
    }
    // The clock is fixed once, as who-can fixes it, and written in the manifest.
    let (time, _) = iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
    let style = |t: &str| {
        indicatif::ProgressStyle::with_template(t).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    };
    // Progress bars on standard error, drawn only on a terminal (indicatif hides them otherwise).
    // The paths table needs every principal compiled first (the escalation graph is the
    // organization's); without it each account is compiled by its worker (decision D166).
    let index = (!args.no_paths || args.whole_index).then(|| {
        let bar = indicatif::ProgressBar::new(0).with_style(style("{msg} {bar:40} {pos}/{len} principals"));
        bar.set_message("compiling policies");
        let index = iamspect_account::query::Index::build_with_progress(&data, &mut |done, total| {
            if done % 256 == 0 || done == total {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        });
        bar.finish_and_clear();
        index
    });
    let graph_bar = indicatif::ProgressBar::new(0)
        .with_style(style("deciding escalation edges {bar:40} {pos}/{len} principals ({elapsed})"));
    let bar = indicatif::ProgressBar::new(data.accounts.len() as u64)
        .with_style(style("exporting {bar:40} {pos}/{len} accounts ({elapsed})"));
    let find = super::who_can::conditional_finder;
    let jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |j| j as usize);
    let tool = format!("iamspect {}", env!("CARGO_PKG_VERSION"));
    let options = iamspect_export::Options {
        format: match args.format {
            ExportFormat::Parquet => iamspect_export::Format::Parquet,
            ExportFormat::Jsonl => iamspect_export::Format::Jsonl,
        },
        actions_from: match args.actions_from {
            ActionsFrom::Catalog => iamspect_export::ActionsFrom::Catalog,
            ActionsFrom::Used => iamspect_export::ActionsFrom::Used,
        },
        context: &context,
        conditional: Some(&find),
        jobs,
        tool: &tool,
        paths_max_hops: (!args.no_paths).then_some(args.max_hops as usize),
        graph_progress: &|done, total| {
            if done % 256 == 0 || done == total {
                graph_bar.set_length(total as u64);
                graph_bar.set_position(done as u64);
            }
        },
    };
    let result = iamspect_export::export(&data, index.as_ref(), &args.out, &options, &|| {
        graph_bar.finish_and_clear();
        bar.inc(1)
    });
    graph_bar.finish_and_clear();
    bar.finish_and_clear();
    match result {
        Ok(summary) => {
            let mut out = format!(
                "exported {} account{} to {} (schema version {}, time {time})\n",
                summary.accounts,
                if summary.accounts == 1 { "" } else { "s" },
                args.out.display(),
                iamspect_export::SCHEMA_VERSION
            );
            for (table, rows) in &summary.rows {
                if *table == "paths" && args.no_paths {
                    out.push_str("  paths: not exported (--no-paths)\n");
                } else {
                    out.push_str(&format!("  {table}: {rows} rows\n"));
                }
            }
            if summary.rows.get("left_out").is_some_and(|n| *n > 0) {
                out.push_str("  see left_out for what was not decided, and why\n");
            }
            crate::output::print(&out);
            SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            if e.contains("not empty") { BAD_INPUT } else { FAILURE }
        }
    }
}

/// Exports `paths` as Parquet into `out` with the defaults of `export` and no progress bar
/// (for `query --account-data`).
#[cfg_attr(not(feature = "query"), allow(dead_code, reason = "used by `query` only"))]
pub(crate) fn to_folder(paths: &[PathBuf], out: &std::path::Path) -> Result<(), String> {
    let data = super::account::load(paths)?;
    if data.accounts.is_empty() {
        return Err("the account data holds no account (no dump was loaded): nothing to query".to_string());
    }
    let mut context = Vec::new();
    iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
    let index = iamspect_account::query::Index::build(&data);
    let find = super::who_can::conditional_finder;
    let tool = format!("iamspect {}", env!("CARGO_PKG_VERSION"));
    let options = iamspect_export::Options {
        format: iamspect_export::Format::Parquet,
        actions_from: iamspect_export::ActionsFrom::Catalog,
        context: &context,
        conditional: Some(&find),
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        tool: &tool,
        paths_max_hops: Some(6),
        graph_progress: &|_, _| {},
    };
    iamspect_export::export(&data, Some(&index), out, &options, &|| {}).map(|_| ())
}
