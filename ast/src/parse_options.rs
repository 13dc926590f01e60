//! Options for parsing one file.

use serde::{Deserialize, Serialize};

/// Files larger than this are not parsed by default (10 MiB). Hand-written Elixir and Rust
/// files stay far below it; generated files above it (bindings, tables) would cost seconds
/// and hundreds of MB of syntax tree for little analysis value. Raise it per project with
/// [`ParseOptions::max_file_bytes`].
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// How one file is parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseOptions {
    /// Larger files get a [`crate::DiagnosticKind::TooLarge`] diagnostic and no model.
    pub max_file_bytes: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}
