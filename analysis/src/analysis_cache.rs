//! The persistent analysis cache: per source file, what parsing and measuring it gave (its
//! model, with its diagnostics, and its metrics), so the next `analyze` of the project only
//! parses files whose bytes changed.
//!
//! One pack file per project (named after the project root's canonical path) under a base
//! directory outside the project, holding one record per source file. A record is used only
//! when everything it was computed from matches: the file's content hash, its relative path
//! and language (the Rust module path comes from the file path), the extractor's model
//! version (`elixir_scope_ast::MODEL_VERSION`), the tool version and the record format. Every record is checksummed: a corrupt, truncated or foreign record is
//! ignored (the file is parsed and its record rewritten), never trusted. The pack is written
//! once per run, only when something changed, to a temporary file renamed into place, so a
//! reader never sees half a pack; records of unchanged files are copied as they were, not
//! encoded again; records of deleted files are dropped. One file rather than one per source
//! file: creating and renaming thousands of small files cost more than parsing them. The
//! cache is an optimisation only: with or without it, the report is the same.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use elixir_scope_ast::{FileModel, Language};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::metrics::FileMetrics;

/// Bumped whenever what a record holds changes meaning: the model's or the metrics' types or
/// their counting rules. A pack of another format is ignored as a whole.
const FORMAT: u32 = 3;

/// The tool version: a pack written by another version is ignored as a whole.
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Makes temporary file names unique within the process (the process id, across processes).
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// First bytes of a pack.
const MAGIC: &[u8; 8] = b"ESCACHE\0";

/// Length of the blake3 checksum that starts every record.
const CHECKSUM_BYTES: usize = 32;

/// What a record is keyed on and holds, as written.
#[derive(Serialize)]
struct EntryOut<'a> {
    path: &'a str,
    language: Language,
    content_hash: &'a str,
    model: &'a FileModel,
    metrics: Option<&'a FileMetrics>,
}

/// A record as read back.
#[derive(Deserialize)]
struct EntryIn {
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

/// A record of the pack this run writes.
enum Record {
    /// Unchanged: these bytes of the pack read at the start.
    Kept(Range<usize>),
    /// Parsed in this run.
    New(Vec<u8>),
}

/// The cache of one project for one run: the pack as read at the start, and the records of
/// the pack to write at the end.
pub(crate) struct AnalysisCache {
    pack: PathBuf,
    old: Vec<u8>,
    /// Relative path -> its record's bytes in `old`.
    index: HashMap<String, Range<usize>>,
    next: Mutex<BTreeMap<String, Record>>,
    changed: AtomicBool,
}

impl std::fmt::Debug for AnalysisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisCache")
            .field("pack", &self.pack)
            .field("records", &self.index.len())
            .finish_non_exhaustive()
    }
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

/// The header every pack starts with: magic, format, model version, tool version. A pack
/// written by another extractor (`MODEL_VERSION`) holds models that may miss what this one
/// finds, so its header does not match and it is ignored.
fn header() -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&FORMAT.to_le_bytes());
    h.extend_from_slice(&elixir_scope_ast::MODEL_VERSION.to_le_bytes());
    h.extend_from_slice(&(TOOL_VERSION.len() as u32).to_le_bytes());
    h.extend_from_slice(TOOL_VERSION.as_bytes());
    h
}

/// The records of a pack: relative path -> the record's byte range. Stops at the first
/// record that does not fit (a truncated pack keeps the records before the cut). A pack with
/// another header has none.
fn index(pack: &[u8]) -> HashMap<String, Range<usize>> {
    let mut out = HashMap::new();
    let header = header();
    if !pack.starts_with(&header) {
        return out;
    }
    let mut at = header.len();
    // Each record: u32 length, then checksum, u32 path length, path, entry.
    while let Some(len) = read_u32(pack, at) {
        let start = at + 4;
        let end = start.saturating_add(len as usize);
        if end > pack.len() {
            break;
        }
        let record = &pack[start..end];
        let path = record
            .get(CHECKSUM_BYTES..)
            .and_then(|r| read_u32(r, 0).map(|n| (r, n as usize)))
            .and_then(|(r, n)| r.get(4..4 + n))
            .and_then(|p| std::str::from_utf8(p).ok());
        if let Some(path) = path {
            out.insert(path.to_owned(), start..end);
        }
        at = end;
    }
    out
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A record: checksum of the rest, path length, path, the entry as MessagePack (compact:
/// structs as arrays). MessagePack rather than JSON: a quarter of the bytes, about three
/// times faster to decode on the models, and floats come back bit for bit (serde_json's
/// default float parsing does not round-trip every f64, and the cache must not change a
/// report).
fn encode(entry: &EntryOut<'_>) -> Option<Vec<u8>> {
    let mut out = vec![0u8; CHECKSUM_BYTES];
    out.extend_from_slice(&(entry.path.len() as u32).to_le_bytes());
    out.extend_from_slice(entry.path.as_bytes());
    rmp_serde::encode::write(&mut out, entry).ok()?;
    let sum = blake3::hash(&out[CHECKSUM_BYTES..]);
    out[..CHECKSUM_BYTES].copy_from_slice(sum.as_bytes());
    Some(out)
}

/// The record's entry, if its checksum holds and it deserialises.
fn decode(record: &[u8]) -> Option<EntryIn> {
    let sum = record.get(..CHECKSUM_BYTES)?;
    let rest = record.get(CHECKSUM_BYTES..)?;
    if blake3::hash(rest).as_bytes() != sum {
        return None;
    }
    let path_len = read_u32(rest, 0)? as usize;
    rmp_serde::from_slice(rest.get(4usize.checked_add(path_len)?..)?).ok()
}

impl AnalysisCache {
    /// The cache of the project at `root` under `base`, its directory created if missing and
    /// its pack read. `None` (with a warning) when the directory cannot be created: the run
    /// goes on without a cache.
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
        let dir = base.join("projects");
        if let Err(e) = std::fs::create_dir_all(&dir) {
            warn!(dir = %dir.display(), error = %e, "analysis cache unavailable; running without it");
            return None;
        }
        let pack = dir.join(format!("{name}-{}.pack", &key.as_str()[..16]));
        // A missing or unreadable pack is an empty cache.
        let old = std::fs::read(&pack).unwrap_or_default();
        let index = index(&old);
        debug!(pack = %pack.display(), records = index.len(), "analysis cache opened");
        Some(Arc::new(AnalysisCache {
            pack,
            old,
            index,
            next: Mutex::new(BTreeMap::new()),
            changed: AtomicBool::new(false),
        }))
    }

    /// The stored result for `relative` if it was computed from exactly these bytes (`hash`),
    /// as this language, by this tool version and record format. A hit is kept for the next
    /// pack as it is.
    pub fn load(&self, relative: &str, language: Language, hash: &str) -> Option<CachedFile> {
        let range = self.index.get(relative)?.clone();
        let Some(entry) = self.old.get(range.clone()).and_then(decode) else {
            debug!(file = relative, "analysis cache record unreadable; parsing");
            return None;
        };
        let matches = entry.path == relative
            && entry.language == language
            && entry.content_hash == hash
            && entry.model.path == relative
            && entry.model.content_hash == hash
            && entry.metrics.as_ref().is_none_or(|m| m.path == relative);
        if !matches {
            return None;
        }
        self.next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(relative.to_owned(), Record::Kept(range));
        Some(CachedFile {
            model: entry.model,
            metrics: entry.metrics,
        })
    }

    /// Records a file's result for the next pack.
    pub fn store(&self, model: &FileModel, metrics: Option<&FileMetrics>) {
        let entry = EntryOut {
            path: &model.path,
            language: model.language,
            content_hash: &model.content_hash,
            model,
            metrics,
        };
        let Some(record) = encode(&entry) else {
            warn!(file = %model.path, "analysis cache record could not be encoded");
            return;
        };
        self.changed.store(true, Ordering::Relaxed);
        self.next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(model.path.clone(), Record::New(record));
    }

    /// Writes the pack of this run's records (sorted by path) if it differs from the one
    /// read: a file was parsed, or a file of the old pack was not seen (deleted). Best
    /// effort: a failed write only means parsing next time.
    pub fn save(&self) {
        let next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.changed.load(Ordering::Relaxed) && next.len() == self.index.len() {
            return;
        }
        let mut out = header();
        for record in next.values() {
            let bytes = match record {
                Record::Kept(range) => self.old.get(range.clone()).unwrap_or_default(),
                Record::New(bytes) => bytes.as_slice(),
            };
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        let temp = self.pack.with_extension(format!(
            "tmp-{}-{}",
            std::process::id(),
            NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create(&temp)
            .and_then(|mut f| f.write_all(&out))
            .and_then(|_| std::fs::rename(&temp, &self.pack));
        match written {
            Ok(()) => {
                info!(pack = %self.pack.display(), records = next.len(), bytes = out.len(), "analysis cache written")
            }
            Err(e) => {
                warn!(pack = %self.pack.display(), error = %e, "analysis cache not written");
                let _ = std::fs::remove_file(&temp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_path, AnalyzeOptions};

    /// Packs are keyed by the extractor's model version: after an extractor change, models
    /// that might miss what it now finds are never served.
    #[test]
    fn the_header_names_the_model_version() {
        let h = header();
        assert_eq!(&h[..8], MAGIC);
        assert_eq!(h[12..16], elixir_scope_ast::MODEL_VERSION.to_le_bytes());
    }

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
        let parsed: Vec<_> = files
            .iter()
            .map(|(path, language, bytes)| {
                let parsed = elixir_scope_ast::parse_source(path, *language, bytes, &options);
                let metrics = crate::file_metrics(&parsed);
                cache.store(&parsed.model, metrics.as_ref());
                (parsed.model, metrics)
            })
            .collect();
        cache.save();
        let reopened = AnalysisCache::open(base.path(), project.path()).ok_or("no cache")?;
        assert_eq!(reopened.index.len(), files.len());
        for (model, metrics) in &parsed {
            let path = &model.path;
            let loaded = reopened
                .load(path, model.language, &model.content_hash)
                .ok_or_else(|| format!("{path} not loaded back"))?;
            assert_eq!(&loaded.model, model, "{path}");
            assert_eq!(&loaded.metrics, metrics, "{path}");
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
        AnalysisCache::open(base.path(), project.path())
            .ok_or("no cache")?
            .store(&model, Some(&metrics));
        // Nothing is written before `save`.
        let cache = AnalysisCache::open(base.path(), project.path()).ok_or("no cache")?;
        assert!(cache.index.is_empty());
        cache.store(&model, Some(&metrics));
        cache.save();
        let cache = AnalysisCache::open(base.path(), project.path()).ok_or("no cache")?;
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
