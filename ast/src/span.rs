//! Source locations shared by every model item: byte ranges, and the per-file line index that
//! turns a byte offset into a line and column.

use serde::{Deserialize, Serialize};

/// A point in a source file. `line` and `column` are 1-based; `column` counts bytes, as
/// tree-sitter does, so it is exact for ASCII and points at the first byte of a multi-byte
/// character otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A byte range in the file; `end_byte` is exclusive. Offsets are `u32`: files over 4 GiB are
/// rejected before parsing. Lines and columns come from the file's [`LineIndex`]
/// ([`crate::FileModel::start`] / [`crate::FileModel::end`]): storing them in every span
/// tripled its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start_byte: u32,
    pub end_byte: u32,
}

impl Span {
    pub fn new(start_byte: u32, end_byte: u32) -> Self {
        Span {
            start_byte,
            end_byte,
        }
    }

    /// The span of a tree-sitter node.
    pub fn of(node: &tree_sitter::Node<'_>) -> Self {
        Span {
            start_byte: to_u32(node.start_byte()),
            end_byte: to_u32(node.end_byte()),
        }
    }

    /// The smallest span covering both.
    pub fn cover(&self, other: &Span) -> Span {
        Span {
            start_byte: self.start_byte.min(other.start_byte),
            end_byte: self.end_byte.max(other.end_byte),
        }
    }

    /// True when the byte ranges share at least one byte, or when `other` is an empty range
    /// (a missing token) lying inside or at the edge of this span.
    pub fn touches(&self, other: &Span) -> bool {
        if other.start_byte == other.end_byte {
            return other.start_byte >= self.start_byte && other.start_byte <= self.end_byte;
        }
        other.start_byte < self.end_byte && other.end_byte > self.start_byte
    }

    /// The byte range, for slicing the source.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start_byte as usize..self.end_byte as usize
    }

    /// Number of bytes covered.
    pub fn len(&self) -> u32 {
        self.end_byte.saturating_sub(self.start_byte)
    }

    /// True for a zero-length span.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Every `CHECKPOINT`-th line's start offset is stored in full; the lines between are found
/// by adding up their lengths, so a lookup reads at most this many lengths.
const CHECKPOINT: usize = 64;

/// Stored in [`LineIndex::lengths`] for a line of this many bytes or more; its real length is
/// in [`LineIndex::long`].
const LONG_LINE: u8 = u8::MAX;

/// Where each line of a file starts, compactly: one byte per line (its length) plus a full
/// offset every 64 lines, about 1.06 bytes per line instead of 4 for a plain
/// offset table. Lines end at `\n`, as tree-sitter counts rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineIndex {
    /// Start offset of lines 0, CHECKPOINT, 2·CHECKPOINT, ...
    checkpoints: Box<[u32]>,
    /// Length of every line, its `\n` included; [`LONG_LINE`] when 255 bytes or longer.
    lengths: Box<[u8]>,
    /// `(line, length)` of the long lines, by line.
    long: Box<[(u32, u32)]>,
}

impl LineIndex {
    /// The index of `text`'s lines.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut checkpoints = Vec::with_capacity(bytes.len() / (40 * CHECKPOINT) + 1);
        let mut lengths = Vec::with_capacity(bytes.len() / 30 + 1);
        let mut long = Vec::new();
        let mut start = 0usize;
        loop {
            if lengths.len() % CHECKPOINT == 0 {
                checkpoints.push(to_u32(start));
            }
            let end = match bytes[start..].iter().position(|&b| b == b'\n') {
                Some(i) => start + i + 1,
                None => bytes.len(),
            };
            let len = end - start;
            if len >= LONG_LINE as usize {
                long.push((to_u32(lengths.len()), to_u32(len)));
                lengths.push(LONG_LINE);
            } else {
                lengths.push(len as u8);
            }
            if end >= bytes.len() {
                // A final `\n` starts one more, empty, line (tree-sitter's last row).
                if bytes.last() == Some(&b'\n') {
                    if lengths.len() % CHECKPOINT == 0 {
                        checkpoints.push(to_u32(end));
                    }
                    lengths.push(0);
                }
                break;
            }
            start = end;
        }
        LineIndex {
            checkpoints: checkpoints.into_boxed_slice(),
            lengths: lengths.into_boxed_slice(),
            long: long.into_boxed_slice(),
        }
    }

    /// Number of lines (a final `\n` starts one more, empty line).
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// True for the index of a file that was not parsed.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Line and column of a byte offset. An offset past the end lands on the last line; an
    /// empty index (file not parsed) gives line 1.
    pub fn position(&self, byte: u32) -> Position {
        let block = self
            .checkpoints
            .partition_point(|&c| c <= byte)
            .saturating_sub(1);
        let mut line = block * CHECKPOINT;
        let mut start = self.checkpoints.get(block).copied().unwrap_or(0);
        while line + 1 < self.lengths.len() {
            let next = start.saturating_add(self.length(line));
            if next > byte {
                break;
            }
            start = next;
            line += 1;
        }
        Position {
            line: to_u32(line) + 1,
            column: byte.saturating_sub(start) + 1,
        }
    }

    fn length(&self, line: usize) -> u32 {
        match self.lengths[line] {
            LONG_LINE => {
                let line = to_u32(line);
                self.long
                    .binary_search_by_key(&line, |&(l, _)| l)
                    .map_or(u32::from(LONG_LINE), |i| self.long[i].1)
            }
            n => u32::from(n),
        }
    }

    /// Heap bytes held (see [`crate::HeapSize`]).
    pub(crate) fn allocated_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.checkpoints)
            + std::mem::size_of_val(&*self.lengths)
            + std::mem::size_of_val(&*self.long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line/column by scanning the text, the way tree-sitter counts rows and byte columns.
    fn naive(text: &str, byte: usize) -> Position {
        let before = &text.as_bytes()[..byte];
        let line = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Position {
            line: line as u32 + 1,
            column: (byte - line_start) as u32 + 1,
        }
    }

    fn check_all(text: &str) {
        let index = LineIndex::new(text);
        for byte in 0..=text.len() {
            assert_eq!(
                index.position(byte as u32),
                naive(text, byte),
                "byte {byte}"
            );
        }
    }

    #[test]
    fn positions_match_a_scan_of_the_text() {
        check_all("");
        check_all("a");
        check_all("\n");
        check_all("ab\ncd\n\nef");
        check_all("ab\ncd\n\nef\n");
        let mut many = String::new();
        for i in 0..500 {
            many.push_str(&"x".repeat(i % 7));
            many.push('\n');
        }
        check_all(&many);
    }

    #[test]
    fn long_lines_and_checkpoint_boundaries() {
        let mut text = String::new();
        for i in 0..300 {
            let len = [0, 254, 255, 256, 1000, 70_000][i % 6];
            text.push_str(&"y".repeat(len));
            text.push('\n');
        }
        let index = LineIndex::new(&text);
        assert_eq!(index.len(), 301);
        let mut byte = 0usize;
        for line in text.split_inclusive('\n') {
            for probe in [byte, byte + line.len() / 2, byte + line.len() - 1] {
                assert_eq!(index.position(probe as u32), naive(&text, probe));
            }
            byte += line.len();
        }
        assert_eq!(index.position(text.len() as u32), naive(&text, text.len()));
    }

    #[test]
    fn one_byte_per_line_plus_checkpoints() {
        let text = "short line\n".repeat(6400);
        let index = LineIndex::new(&text);
        assert_eq!(index.len(), 6401);
        assert!(index.allocated_bytes() < 6401 + 6401 / 64 * 4 + 8);
    }
}
