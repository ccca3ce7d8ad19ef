//! Byte spans into policy source text, and their line and column.

/// A byte range `start..end` into the policy text it came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineColumn {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl LineColumn {
    /// The first position of a document.
    pub const START: LineColumn = LineColumn { line: 1, column: 1 };

    /// This position, counted in a fragment that starts at `origin` of a larger document.
    pub fn shifted(self, origin: LineColumn) -> LineColumn {
        if self.line == 1 {
            LineColumn { line: origin.line, column: origin.column + self.column - 1 }
        } else {
            LineColumn { line: origin.line + self.line - 1, column: self.column }
        }
    }
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The line and column of `offset` in `text`.
    pub fn line_column(text: &str, offset: usize) -> LineColumn {
        let head = text.get(..offset.min(text.len())).unwrap_or(text);
        let line = head.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = head.rfind('\n').map_or(0, |i| i + 1);
        let column = head.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        LineColumn { line, column }
    }

    /// Where the span starts in `text`.
    pub fn start_in(&self, text: &str) -> LineColumn {
        Span::line_column(text, self.start)
    }

    /// Where the span ends in `text`.
    pub fn end_in(&self, text: &str) -> LineColumn {
        Span::line_column(text, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let t = "{\n  \"a\": 1\n}";
        assert_eq!(Span::line_column(t, 0), LineColumn { line: 1, column: 1 });
        assert_eq!(Span::line_column(t, 4), LineColumn { line: 2, column: 3 });
    }
}
