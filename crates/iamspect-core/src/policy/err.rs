//! Policy errors: what is wrong and where (byte span, line and column).

use crate::span::{LineColumn, Span};

/// One problem in a policy document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {message}", start.line, start.column)]
pub struct PolicyError {
    message: String,
    span: Span,
    start: LineColumn,
}

impl PolicyError {
    pub(crate) fn new(text: &str, span: Span, message: String) -> PolicyError {
        PolicyError { message, span, start: span.start_in(text) }
    }

    /// An error whose start was found in a [`crate::LineIndex`] of the text.
    pub(crate) fn at(span: Span, start: LineColumn, message: String) -> PolicyError {
        PolicyError { message, span, start }
    }

    pub(crate) fn shift(mut self, origin: LineColumn) -> PolicyError {
        self.start = self.start.shifted(origin);
        self
    }

    /// What is wrong (lower case, no final period).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The bytes at fault.
    pub fn span(&self) -> Span {
        self.span
    }

    /// Where the fault starts.
    pub fn line_column(&self) -> LineColumn {
        self.start
    }
}

/// Every problem found in one policy document (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyErrors {
    /// The policy's name.
    pub name: String,
    /// The problems, in document order.
    pub errors: Vec<PolicyError>,
}

impl std::fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}:{e}", self.name)?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}
