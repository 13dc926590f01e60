//! The persistent analysis cache: per source file, what parsing and measuring it gave (its
//! model, with its diagnostics, and its metrics), so the next `analyze` of the project only
//! parses files whose bytes changed.
//!
//! One directory per project (named after the project root's canonical path) under a base
//! directory outside the project; one entry per source file, named after the file's relative
//! path, so an edited file overwrites its entry. An entry is used only when everything it was
//! computed from matches: the file's content hash, its relative path and language (the Rust
//! module path comes from the file path), the tool version and the entry format. An entry is
//! checksummed: a corrupt, truncated or foreign entry is ignored (and rewritten after the
//! file is parsed), never trusted. Writes go to a temporary file renamed into place, so a
//! reader never sees half an entry. The cache is an optimisation only: with or without it,
//! the report is the same.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use elixir_scope_ast::{FileModel, Language};
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::metrics::FileMetrics;

/// Bumped whenever what an entry holds changes meaning: the model's or the metrics' types or
/// their counting rules. Entries of another format are ignored.
const FORMAT: u32 = 1;

/// The tool version: entries written by another version are ignored.
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Length of the blake3 checksum that starts every entry.
const CHECKSUM_BYTES: usize = 32;

/// What an entry is keyed on and holds, as written.
#[derive(Serialize)]
struct EntryOut<'a> {
    format: u32,
    tool: &'a str,
    path: &'a str,
    language: Language,
    content_hash: &'a str,
    model: &'a FileModel,
    metrics: Option<&'a FileMetrics>,
}

/// An entry as read back.
#[derive(Deserialize)]
struct EntryIn {
    format: u32,
    tool: String,
    path: String,
    language: Language,
    content_hash: String,
    model: FileModel,
    metrics: Option<FileMetrics>,
}

/// A file's stored result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CachedFile {
    pub model: FileModel,
    pub metrics: Option<FileMetrics>,
}

/// Makes temporary file names unique within the process (the process id, across processes).
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// The cache directory of one project.
#[derive(Debug)]
pub(crate) struct AnalysisCache {
    dir: PathBuf,
}

/// Where `analyze` keeps its cache by default: `$XDG_CACHE_HOME/elixir-scope`, else
/// `$HOME/.cache/elixir-scope`; `None` when neither variable is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .map(|base| base.join("elixir-scope"))
}

impl AnalysisCache {
    /// The cache of the project at `root` under `base`, created if missing. `None` (with a
    /// warning) when the directory cannot be created: the run goes on without a cache.
    pub fn open(base: &Path, root: &Path) -> Option<Arc<AnalysisCache>> {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let key = blake3::hash(canonical.to_string_lossy().as_bytes()).to_hex();
        let name: String = canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let dir = base
            .join("projects")
            .join(format!("{name}-{}", &key.as_str()[..16]));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            warn!(dir = %dir.display(), error = %e, "analysis cache unavailable; running without it");
            return None;
        }
        Some(Arc::new(AnalysisCache { dir }))
    }

    fn entry_path(&self, relative: &str) -> PathBuf {
        let key = blake3::hash(relative.as_bytes()).to_hex();
        self.dir.join(format!("{}.entry", &key.as_str()[..32]))
    }

    /// The stored result for `relative` if it was computed from exactly these bytes (`hash`),
    /// as this language, by this tool version and entry format.
    pub fn load(&self, relative: &str, language: Language, hash: &str) -> Option<CachedFile> {
        let bytes = std::fs::read(self.entry_path(relative)).ok()?;
        let decoded = decode(&bytes);
        let entry = match decoded {
            Some(e) => e,
            None => {
                debug!(file = relative, "analysis cache entry unreadable; parsing");
                return None;
            }
        };
        let matches = entry.format == FORMAT
            && entry.tool == TOOL_VERSION
            && entry.path == relative
            && entry.language == language
            && entry.content_hash == hash
            && entry.model.path == relative
            && entry.model.content_hash == hash
            && entry.metrics.as_ref().is_none_or(|m| m.path == relative);
        matches.then_some(CachedFile {
            model: entry.model,
            metrics: entry.metrics,
        })
    }

    /// Stores a file's result. Best effort: a failed write only means a parse next time.
    pub fn store(&self, model: &FileModel, metrics: Option<&FileMetrics>) {
        let entry = EntryOut {
            format: FORMAT,
            tool: TOOL_VERSION,
            path: &model.path,
            language: model.language,
            content_hash: &model.content_hash,
            model,
            metrics,
        };
        let Some(bytes) = encode(&entry) else {
            warn!(file = %model.path, "analysis cache entry could not be encoded");
            return;
        };
        let target = self.entry_path(&model.path);
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!(".tmp-{}-{n}", std::process::id()));
        let written = std::fs::write(&temp, &bytes).and_then(|_| std::fs::rename(&temp, &target));
        if let Err(e) = written {
            debug!(file = %model.path, error = %e, "analysis cache entry not written");
            let _ = std::fs::remove_file(&temp);
        }
    }
}

/// Checksum, then the entry as MessagePack (compact: structs as arrays). MessagePack rather
/// than JSON: a quarter of the bytes, about three times faster to decode on the models, and
/// floats come back bit for bit (serde_json's default float parsing does not round-trip
/// every f64, and the cache must not change a report).
fn encode(entry: &EntryOut<'_>) -> Option<Vec<u8>> {
    let mut out = vec![0u8; CHECKSUM_BYTES];
    rmp_serde::encode::write(&mut out, entry).ok()?;
    let sum = blake3::hash(&out[CHECKSUM_BYTES..]);
    out[..CHECKSUM_BYTES].copy_from_slice(sum.as_bytes());
    Some(out)
}

/// The entry, if its checksum holds and it deserialises.
fn decode(bytes: &[u8]) -> Option<EntryIn> {
    if bytes.len() < CHECKSUM_BYTES {
        return None;
    }
    let (sum, payload) = bytes.split_at(CHECKSUM_BYTES);
    if blake3::hash(payload).as_bytes() != sum {
        return None;
    }
    rmp_serde::from_slice(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_path, AnalyzeOptions};

    /// Every model and metrics shape comes back equal, bit for bit (floats included): Elixir,
    /// Rust, a file with a syntax error, an empty file.
    #[test]
    fn entries_round_trip_exactly() -> Result<(), Box<dyn std::error::Error>> {
        let project = tempfile::tempdir()?;
        let base = tempfile::tempdir()?;
        elixir_scope_ast::generate_elixir_corpus(project.path(), 2000, 3)?;
        let mut files: Vec<(String, Language, Vec<u8>)> =
            elixir_scope_ast::discover_files(project.path())?
                .into_iter()
                .map(|f| Ok((f.relative, f.language, std::fs::read(&f.path)?)))
                .collect::<Result<_, std::io::Error>>()?;
        let fixture = |p: &str| std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(p));
        files.push((
            "src/metrics.rs".into(),
            Language::Rust,
            fixture("tests/fixtures/metrics.rs")?,
        ));
        files.push((
            "lib/metrics.ex".into(),
            Language::Elixir,
            fixture("tests/fixtures/metrics.ex")?,
        ));
        files.push((
            "lib/broken.ex".into(),
            Language::Elixir,
            b"defmodule B do\n  def f(x do\n".to_vec(),
        ));
        files.push(("lib/empty.ex".into(), Language::Elixir, Vec::new()));
        let cache = AnalysisCache::open(base.path(), project.path()).ok_or("no cache")?;
        let options = elixir_scope_ast::ParseOptions::default();
        for (path, language, bytes) in &files {
            let parsed = elixir_scope_ast::parse_source(path, *language, bytes, &options);
            let metrics = crate::file_metrics(&parsed);
            cache.store(&parsed.model, metrics.as_ref());
            let loaded = cache
                .load(path, *language, &parsed.model.content_hash)
                .ok_or_else(|| format!("{path} not loaded back"))?;
            assert_eq!(loaded.model, parsed.model, "{path}");
            assert_eq!(loaded.metrics, metrics, "{path}");
        }
        Ok(())
    }

    /// A stored entry is used instead of parsing: an entry whose model was tampered with (a
    /// renamed function) but whose key matches the file shows up in the report.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_matching_entry_is_used_instead_of_parsing() -> Result<(), Box<dyn std::error::Error>>
    {
        let project = tempfile::tempdir()?;
        let base = tempfile::tempdir()?;
        let source = b"defmodule Shop do\n  def price(x), do: x\nend\n";
        std::fs::create_dir_all(project.path().join("lib"))?;
        std::fs::write(project.path().join("lib/shop.ex"), source)?;
        let parsed = elixir_scope_ast::parse_source(
            "lib/shop.ex",
            Language::Elixir,
            source,
            &elixir_scope_ast::ParseOptions::default(),
        );
        let mut model = parsed.model.clone();
        model.functions[0].name = elixir_scope_ast::Name::new("from_the_cache");
        let mut metrics = crate::file_metrics(&parsed).ok_or("no metrics")?;
        metrics.functions[0].name = "from_the_cache".to_owned();
        let cache = AnalysisCache::open(base.path(), project.path()).ok_or("no cache")?;
        cache.store(&model, Some(&metrics));
        let loaded = cache.load("lib/shop.ex", Language::Elixir, &model.content_hash);
        assert_eq!(
            loaded.as_ref().map(|c| c.model.functions[0].name.as_str()),
            Some("from_the_cache")
        );
        // Another language, path or content is not a match.
        assert!(cache
            .load("lib/shop.ex", Language::Rust, &model.content_hash)
            .is_none());
        assert!(cache
            .load("lib/other.ex", Language::Elixir, &model.content_hash)
            .is_none());
        assert!(cache
            .load("lib/shop.ex", Language::Elixir, "0000")
            .is_none());

        let options = AnalyzeOptions {
            cache_dir: Some(base.path().to_path_buf()),
            ..AnalyzeOptions::default()
        };
        let report = analyze_path(project.path(), options.clone(), |_| {}).await?;
        assert_eq!(report.functions[0].name, "from_the_cache");

        // After an edit the entry no longer matches: the file is parsed again.
        std::fs::write(
            project.path().join("lib/shop.ex"),
            b"defmodule Shop do\n  def price(y), do: y\nend\n",
        )?;
        let report = analyze_path(project.path(), options, |_| {}).await?;
        assert_eq!(report.functions[0].name, "price");
        Ok(())
    }
}
