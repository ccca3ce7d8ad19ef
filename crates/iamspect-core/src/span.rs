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

/// Lines and columns of many offsets in one text, each found in logarithmic time: the text is
/// read once. Gives exactly what [`Span::line_column`] gives for every offset (which reads the
/// text up to the offset on every call, so asking it for every statement of a large document
/// costs the square of its size).
#[derive(Clone, Debug)]
pub struct LineIndex<'t> {
    text: &'t str,
    /// The byte offset where each line starts (the first is 0).
    line_starts: Vec<usize>,
    /// For a text that is not all ASCII: the number of characters before each block of
    /// [`LineIndex::BLOCK`] bytes. Empty for ASCII text, where characters are bytes.
    chars_before_block: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    const BLOCK: usize = 256;

    /// Reads `text` once.
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        let chars_before_block = if text.is_ascii() {
            Vec::new()
        } else {
            let mut count = 0;
            text.as_bytes()
                .chunks(Self::BLOCK)
                .map(|block| {
                    let before = count;
                    count += block.iter().filter(|&&b| !is_continuation(b)).count();
                    before
                })
                .collect()
        };
        LineIndex { text, line_starts, chars_before_block }
    }

    /// The number of characters that start before byte `offset` (a char boundary).
    fn chars_before(&self, offset: usize) -> usize {
        if self.chars_before_block.is_empty() {
            return offset;
        }
        let block = offset / Self::BLOCK;
        let start = block * Self::BLOCK;
        let within =
            self.text.as_bytes().get(start..offset).map_or(0, |b| b.iter().filter(|&&c| !is_continuation(c)).count());
        self.chars_before_block.get(block).copied().unwrap_or(0) + within
    }

    /// The line and column of `offset`, as [`Span::line_column`] counts them.
    pub fn line_column(&self, offset: usize) -> LineColumn {
        let len = self.text.len();
        // `Span::line_column` counts in the whole text when `offset` is inside a character.
        let offset = match offset.min(len) {
            o if self.text.is_char_boundary(o) => o,
            _ => len,
        };
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let line_start = self.line_starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        LineColumn { line, column: self.chars_before(offset) - self.chars_before(line_start) + 1 }
    }
}

/// True for the bytes that continue a UTF-8 character.
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_line_column() {
        let long: String = "é".repeat(300) + "\n" + &"ab\u{1F600}c\n".repeat(100);
        for text in ["", "\n", "{\n  \"a\": 1\n}", "a\r\nb\n\nc", "é\nüx\n", long.as_str()] {
            let index = LineIndex::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(index.line_column(offset), Span::line_column(text, offset), "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn line_and_column() {
        let t = "{\n  \"a\": 1\n}";
        assert_eq!(Span::line_column(t, 0), LineColumn { line: 1, column: 1 });
        assert_eq!(Span::line_column(t, 4), LineColumn { line: 2, column: 3 });
    }
}
