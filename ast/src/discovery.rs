//! Finding a project's source files: `.gitignore`-aware, skipping build output.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::error::AstError;
use crate::language::Language;

/// Directory names never descended into: Mix build output and dependencies, Cargo's target,
/// VCS metadata. Skipped even without a `.gitignore` saying so.
pub const SKIPPED_DIRS: &[&str] = &[
    "_build",
    "deps",
    "target",
    ".git",
    ".elixir_ls",
    "node_modules",
];

/// A source file found in a project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// Absolute (or root-joined) path for reading.
    pub path: PathBuf,
    /// Path relative to the project root, `/`-separated, as recorded in models.
    pub relative: String,
    pub language: Language,
}

/// All `.ex`, `.exs` and `.rs` files under `root`, sorted by relative path. Honours
/// `.gitignore`, `.ignore` and git's global excludes even outside a git repository; hidden
/// files are skipped, and so are entries that cannot be read (logged as warnings).
pub fn discover_files(root: &Path) -> Result<Vec<SourceFile>, AstError> {
    if !root.is_dir() {
        return Err(AstError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let walker = WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && e.depth() > 0
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        })
        .build();
    let mut out = Vec::new();
    for entry in walker {
        // One unreadable entry (permissions, a file vanishing mid-walk) must not hide the
        // rest of the project: it is logged and skipped.
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(root = %root.display(), error = %e, "skipping unreadable entry");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.into_path();
        let Some(language) = Language::from_path(&path) else {
            continue;
        };
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        out.push(SourceFile {
            path,
            relative,
            language,
        });
    }
    out.sort();
    Ok(out)
}
