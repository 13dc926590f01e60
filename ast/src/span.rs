//! Source locations shared by every model item.

use serde::{Deserialize, Serialize};

/// A point in a source file. `line` and `column` are 1-based; `column` counts bytes, as
/// tree-sitter does, so it is exact for ASCII and points at the first byte of a multi-byte
/// character otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A byte range plus its line/column form. `end_byte` is exclusive; `end` is the position just
/// past the last byte. Offsets are `u32`: files over 4 GiB are rejected before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start_byte: u32,
    pub end_byte: u32,
    pub start: Position,
    pub end: Position,
}

impl Span {
    /// The span of a tree-sitter node.
    pub fn of(node: &tree_sitter::Node<'_>) -> Self {
        let s = node.start_position();
        let e = node.end_position();
        Span {
            start_byte: to_u32(node.start_byte()),
            end_byte: to_u32(node.end_byte()),
            start: Position {
                line: to_u32(s.row) + 1,
                column: to_u32(s.column) + 1,
            },
            end: Position {
                line: to_u32(e.row) + 1,
                column: to_u32(e.column) + 1,
            },
        }
    }

    /// The smallest span covering both.
    pub fn cover(&self, other: &Span) -> Span {
        let (start_byte, start) = if other.start_byte < self.start_byte {
            (other.start_byte, other.start)
        } else {
            (self.start_byte, self.start)
        };
        let (end_byte, end) = if other.end_byte > self.end_byte {
            (other.end_byte, other.end)
        } else {
            (self.end_byte, self.end)
        };
        Span {
            start_byte,
            end_byte,
            start,
            end,
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
