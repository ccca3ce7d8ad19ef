//! One module per subcommand.

pub(crate) mod eval;
pub(crate) mod test;
pub(crate) mod validate;

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
