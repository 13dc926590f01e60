//! The languages we parse, chosen by file extension.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A source language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Elixir,
    Rust,
}

impl Language {
    /// `.ex`/`.exs` are Elixir, `.rs` is Rust; anything else is not ours.
    pub fn from_path(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "ex" | "exs" => Some(Language::Elixir),
            "rs" => Some(Language::Rust),
            _ => None,
        }
    }

    /// The tree-sitter grammar.
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Elixir => tree_sitter_elixir::LANGUAGE.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        }
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Language::Elixir => "elixir",
            Language::Rust => "rust",
        }
    }
}
