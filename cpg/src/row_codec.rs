//! How values are encoded in database rows: serde, as MessagePack with structs as arrays
//! (`rmp_serde::to_vec`). Measured against JSON and field-named MessagePack on a 60k-line
//! project's first store (BENCHMARKS.part.md): a third of JSON's bytes and the fastest to
//! store and load.
//!
//! Fields are identified by position, not by name, so any change to the fields of a
//! persisted type (`FileCpg`, `FileLink`, `FileModel`, `CallGraph` and what they hold) must
//! come with a new schema version of its database (`SCHEMA_VERSION` in `graph_db.rs` and
//! `build_db.rs`; `FileModel` changes bump `elixir_scope_ast::MODEL_VERSION`, which is part
//! of the same stamp): a file of another version is deleted and its projects rebuilt. A
//! row that fails to decode costs its project a rebuild.

use serde::de::DeserializeOwned;
use serde::Serialize;

pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    rmp_serde::to_vec(value).map_err(|e| e.to_string())
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    rmp_serde::from_slice(bytes).map_err(|e| e.to_string())
}
