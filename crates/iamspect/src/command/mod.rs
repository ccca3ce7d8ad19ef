//! One module per subcommand.

pub(crate) mod account;
pub(crate) mod allowed_if;
pub(crate) mod audit_format;
pub(crate) mod catalog;
pub(crate) mod check;
pub(crate) mod check_input;
pub(crate) mod conditional;
pub(crate) mod credential_audit;
pub(crate) mod eval;
pub(crate) mod explain;
pub(crate) mod explain_event;
pub(crate) mod export;
pub(crate) mod fix_files;
pub(crate) mod generate_policy;
pub(crate) mod lint;
pub(crate) mod paths;
pub(crate) mod query;
pub(crate) mod replay;
pub(crate) mod replay_summary;
pub(crate) mod request;
pub(crate) mod scp_impact;
pub(crate) mod serve;
pub(crate) mod shell;
pub(crate) mod test;
pub(crate) mod trust_audit;
pub(crate) mod unused;
pub(crate) mod validate;
pub(crate) mod what_can;
pub(crate) mod who_can;
pub(crate) mod whoami;

/// The exit codes.
pub(crate) const SUCCESS: u8 = 0;
pub(crate) const FAILURE: u8 = 1;
pub(crate) const BAD_INPUT: u8 = 2;

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Color {
    /// Colour when writing to a terminal that supports it.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl Color {
    pub(crate) fn apply(self) {
        let choice = match self {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}
