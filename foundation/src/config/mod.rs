//! Typed configuration: layered sources, access by path, validated runtime updates that persist.
//!
//! Layers, lowest first: defaults ([`FoundationConfig::default`]) < TOML file < environment
//! variables < runtime updates persisted in the data directory.
//!
//! ## Environment variables
//! `ELIXIR_SCOPE_<SECTION>__<KEY>` sets `section.key`: the prefix `ELIXIR_SCOPE_` is removed,
//! `__` separates path segments, and names are lower-cased. For example
//! `ELIXIR_SCOPE_CAPTURE__BATCH_SIZE=500` sets `capture.batch_size` and
//! `ELIXIR_SCOPE_EVENT_STORE__BACKEND=postgres` sets `event_store.backend`. A value is read as
//! JSON when it parses as JSON (numbers, booleans, `null`), else as a string. A variable with a
//! `__` that names no configuration value is an error, so typos do not pass silently; variables
//! without `__` (e.g. `ELIXIR_SCOPE_DATA_DIR`, `ELIXIR_SCOPE_TOKEN`) are left to the application.

mod rules;
mod schema;

pub use rules::{rule_for, Rule, LOG_LEVELS, UPDATABLE};
pub use schema::{
    ApiConfig, BackendKind, CaptureConfig, DebugConfig, EventStoreConfig, FoundationConfig,
    QueryConfig,
};

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "ELIXIR_SCOPE_";
/// File in the data directory holding persisted runtime updates.
pub const OVERRIDES_FILE: &str = "config-overrides.json";

/// Configuration errors; each names the path, variable or file concerned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// No configuration value has this path.
    #[error("unknown configuration path `{path}`")]
    UnknownPath {
        /// The path asked for.
        path: String,
    },
    /// The path exists but may not be changed at run time.
    #[error("configuration path `{path}` is not updatable at run time")]
    NotUpdatable {
        /// The path.
        path: String,
    },
    /// The value breaks the path's rule.
    #[error("invalid value {value} for `{path}`: must be {rule}")]
    InvalidValue {
        /// The path.
        path: String,
        /// The rule broken.
        rule: Rule,
        /// The value refused.
        value: Value,
    },
    /// The TOML file could not be read or does not match the schema.
    #[error("configuration file {file}: {reason}")]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An environment variable names no path or has a value of the wrong type.
    #[error("environment variable {var}: {reason}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        reason: String,
    },
    /// Persisted runtime updates could not be read or written.
    #[error("persisted configuration {file}: {reason}")]
    Persist {
        /// The overrides file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The configuration service is unavailable and the request could not be served.
    #[error("configuration service unavailable: {0}")]
    Unavailable(String),
}

impl ConfigError {
    /// Whether the caller's input caused the error (an HTTP layer answers 4xx), as opposed to
    /// a broken source file or an unavailable server.
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            ConfigError::UnknownPath { .. }
                | ConfigError::NotUpdatable { .. }
                | ConfigError::InvalidValue { .. }
        )
    }
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(root);
    }
    path.split('.')
        .try_fold(root, |v, seg| v.as_object()?.get(seg))
}

fn lookup_mut<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.')
        .try_fold(root, |v, seg| v.as_object_mut()?.get_mut(seg))
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn to_value(config: &FoundationConfig) -> Value {
    // Serializing plain structs of numbers, strings and options cannot fail.
    serde_json::to_value(config).unwrap_or(Value::Null)
}

/// Loads the base configuration: defaults < TOML file (when given) < `env` variables with the
/// [`ENV_PREFIX`]. Pass `std::env::vars()` for the process environment.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<FoundationConfig, ConfigError> {
    let mut value = to_value(&FoundationConfig::default());
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError::File {
            file: file.to_path_buf(),
            reason: e.to_string(),
        })?;
        let parsed: toml::Value = toml::from_str(&text).map_err(|e| ConfigError::File {
            file: file.to_path_buf(),
            reason: e.to_string(),
        })?;
        let as_json = serde_json::to_value(parsed).map_err(|e| ConfigError::File {
            file: file.to_path_buf(),
            reason: e.to_string(),
        })?;
        merge(&mut value, as_json);
        serde_json::from_value::<FoundationConfig>(value.clone()).map_err(|e| {
            ConfigError::File {
                file: file.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
    }
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k[ENV_PREFIX.len()..].contains("__"))
        .collect();
    vars.sort();
    for (var, raw) in vars {
        let path = var[ENV_PREFIX.len()..].to_lowercase().replace("__", ".");
        let parsed = serde_json::from_str::<Value>(&raw).unwrap_or(Value::String(raw.clone()));
        let mut candidate = value.clone();
        match lookup_mut(&mut candidate, &path) {
            Some(slot) if !slot.is_object() => *slot = parsed,
            _ => {
                return Err(ConfigError::Env {
                    var,
                    reason: format!("`{path}` is not a configuration value"),
                })
            }
        }
        serde_json::from_value::<FoundationConfig>(candidate.clone()).map_err(|e| {
            ConfigError::Env {
                var: var.clone(),
                reason: e.to_string(),
            }
        })?;
        value = candidate;
    }
    serde_json::from_value(value).map_err(|e| ConfigError::Env {
        var: "*".into(),
        reason: e.to_string(),
    })
}

/// A change made by an update or reset.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConfigChange {
    /// The path changed.
    pub path: String,
    /// Value before.
    pub old: Value,
    /// Value after.
    pub new: Value,
}

/// The configuration state: base layers plus validated runtime overrides. Pure logic; the
/// `ConfigServer` service wraps it.
#[derive(Debug, Clone)]
pub struct ConfigState {
    base: FoundationConfig,
    overrides: BTreeMap<String, Value>,
    effective: FoundationConfig,
    effective_value: Value,
}

impl ConfigState {
    /// A state over `base` with no overrides.
    pub fn new(base: FoundationConfig) -> Self {
        let effective_value = to_value(&base);
        ConfigState {
            effective: base.clone(),
            base,
            overrides: BTreeMap::new(),
            effective_value,
        }
    }

    /// The effective configuration.
    pub fn config(&self) -> &FoundationConfig {
        &self.effective
    }

    /// The effective configuration as JSON.
    pub fn as_value(&self) -> &Value {
        &self.effective_value
    }

    /// Runtime overrides in force (path → value).
    pub fn overrides(&self) -> &BTreeMap<String, Value> {
        &self.overrides
    }

    /// The value at a dotted path (`""` is the whole configuration).
    pub fn get(&self, path: &str) -> Result<Value, ConfigError> {
        lookup(&self.effective_value, path)
            .cloned()
            .ok_or_else(|| ConfigError::UnknownPath {
                path: path.to_string(),
            })
    }

    /// Checks an update without applying it.
    pub fn validate(&self, path: &str, value: &Value) -> Result<(), ConfigError> {
        if lookup(&self.effective_value, path).is_none() {
            return Err(ConfigError::UnknownPath {
                path: path.to_string(),
            });
        }
        let rule = rule_for(path).ok_or_else(|| ConfigError::NotUpdatable {
            path: path.to_string(),
        })?;
        if !rule.accepts(value) {
            return Err(ConfigError::InvalidValue {
                path: path.to_string(),
                rule: rule.clone(),
                value: value.clone(),
            });
        }
        Ok(())
    }

    /// Validates and applies an update; nothing changes when it is refused.
    pub fn update(&mut self, path: &str, value: Value) -> Result<ConfigChange, ConfigError> {
        self.validate(path, &value)?;
        let old = self.get(path)?;
        let mut overrides = self.overrides.clone();
        overrides.insert(path.to_string(), value);
        self.rebuild(overrides)?;
        Ok(ConfigChange {
            path: path.to_string(),
            old,
            new: self.get(path)?,
        })
    }

    /// Removes the runtime override of `path` (back to the base layers).
    pub fn reset(&mut self, path: &str) -> Result<ConfigChange, ConfigError> {
        let old = self.get(path)?;
        if rule_for(path).is_none() {
            return Err(ConfigError::NotUpdatable {
                path: path.to_string(),
            });
        }
        let mut overrides = self.overrides.clone();
        overrides.remove(path);
        self.rebuild(overrides)?;
        Ok(ConfigChange {
            path: path.to_string(),
            old,
            new: self.get(path)?,
        })
    }

    /// Removes every runtime override; returns the paths whose value changed.
    pub fn reset_all(&mut self) -> Vec<ConfigChange> {
        let paths: Vec<String> = self.overrides.keys().cloned().collect();
        paths
            .iter()
            .filter_map(|p| self.reset(p).ok())
            .filter(|c| c.old != c.new)
            .collect()
    }

    /// Applies persisted overrides; any that are no longer valid are skipped and returned.
    pub fn restore(&mut self, saved: BTreeMap<String, Value>) -> Vec<ConfigError> {
        let mut rejected = Vec::new();
        for (path, value) in saved {
            if let Err(e) = self.update(&path, value) {
                rejected.push(e);
            }
        }
        rejected
    }

    fn rebuild(&mut self, overrides: BTreeMap<String, Value>) -> Result<(), ConfigError> {
        let mut value = to_value(&self.base);
        for (path, v) in &overrides {
            let slot = lookup_mut(&mut value, path)
                .ok_or_else(|| ConfigError::UnknownPath { path: path.clone() })?;
            *slot = v.clone();
        }
        let effective: FoundationConfig = serde_json::from_value(value).map_err(|e| {
            let path = overrides.keys().last().cloned().unwrap_or_default();
            let rule = rule_for(&path).cloned().unwrap_or(Rule::Bool);
            ConfigError::InvalidValue {
                path,
                rule,
                value: Value::String(e.to_string()),
            }
        })?;
        self.effective_value = to_value(&effective);
        self.effective = effective;
        self.overrides = overrides;
        Ok(())
    }
}

/// Reads persisted runtime overrides from `data_dir` (empty when there are none).
pub fn read_overrides(data_dir: &Path) -> Result<BTreeMap<String, Value>, ConfigError> {
    let file = data_dir.join(OVERRIDES_FILE);
    match std::fs::read(&file) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ConfigError::Persist {
            file,
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(ConfigError::Persist {
            file,
            reason: e.to_string(),
        }),
    }
}

/// Writes runtime overrides to `data_dir` durably: a temporary file is written and synced, then
/// renamed over the old one, so a crash leaves either the old or the new set, never half.
pub fn write_overrides(
    data_dir: &Path,
    overrides: &BTreeMap<String, Value>,
) -> Result<(), ConfigError> {
    let file = data_dir.join(OVERRIDES_FILE);
    let err = |e: std::io::Error| ConfigError::Persist {
        file: file.clone(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(data_dir).map_err(err)?;
    let tmp = data_dir.join(format!("{OVERRIDES_FILE}.tmp"));
    let body = serde_json::to_vec_pretty(overrides).map_err(|e| ConfigError::Persist {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(&body).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, &file).map_err(err)?;
    if let Ok(dir) = std::fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("es.toml");
        std::fs::write(
            &file,
            "[capture]\nbatch_size = 250\nflush_interval_ms = 7\n",
        )
        .expect("write");
        let cfg = load(
            Some(&file),
            env(&[
                ("ELIXIR_SCOPE_CAPTURE__BATCH_SIZE", "500"),
                ("OTHER", "x"),
                ("ELIXIR_SCOPE_TOKEN", "left to the application"),
                ("ELIXIR_SCOPE_DEBUG__LOG_LEVEL", "warn"),
            ]),
        )
        .expect("load");
        assert_eq!(cfg.capture.batch_size, 500, "env beats file");
        assert_eq!(cfg.capture.flush_interval_ms, 7, "file beats defaults");
        assert_eq!(cfg.capture.sampling_rate, 1.0, "defaults remain");
        assert_eq!(cfg.debug.log_level, "warn");
    }

    #[test]
    fn bad_sources_are_typed_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("es.toml");
        std::fs::write(&file, "[capture]\nbatch_sise = 1\n").expect("write");
        assert!(matches!(
            load(Some(&file), env(&[])),
            Err(ConfigError::File { .. })
        ));
        std::fs::write(&file, "not = [toml").expect("write");
        assert!(matches!(
            load(Some(&file), env(&[])),
            Err(ConfigError::File { .. })
        ));
        let e = load(None, env(&[("ELIXIR_SCOPE_CAPTURE__NOPE", "1")])).expect_err("unknown");
        assert!(
            matches!(e, ConfigError::Env { ref var, .. } if var == "ELIXIR_SCOPE_CAPTURE__NOPE")
        );
        let e = load(None, env(&[("ELIXIR_SCOPE_CAPTURE__BATCH_SIZE", "many")])).expect_err("type");
        assert!(matches!(e, ConfigError::Env { .. }));
    }

    #[test]
    fn updates_are_validated_and_reset() {
        let mut s = ConfigState::new(FoundationConfig::default());
        assert_eq!(s.get("capture.batch_size"), Ok(json!(100)));
        assert!(matches!(
            s.get("capture.nope"),
            Err(ConfigError::UnknownPath { .. })
        ));
        let c = s.update("capture.batch_size", json!(42)).expect("update");
        assert_eq!((c.old, c.new), (json!(100), json!(42)));
        assert_eq!(s.config().capture.batch_size, 42);
        match s.update("capture.batch_size", json!(0)) {
            Err(ConfigError::InvalidValue { path, rule, .. }) => {
                assert_eq!(path, "capture.batch_size");
                assert_eq!(
                    rule,
                    Rule::IntRange {
                        min: 1,
                        max: 100_000
                    }
                );
            }
            other => panic!("expected InvalidValue, got {other:?}"),
        }
        assert!(matches!(
            s.update("api.port", json!(80)),
            Err(ConfigError::NotUpdatable { .. })
        ));
        assert!(matches!(
            s.update("no.such", json!(1)),
            Err(ConfigError::UnknownPath { .. })
        ));
        assert!(matches!(
            s.update("debug.log_level", json!("loud")),
            Err(ConfigError::InvalidValue { .. })
        ));
        assert_eq!(
            s.config().capture.batch_size,
            42,
            "refused updates change nothing"
        );
        s.reset("capture.batch_size").expect("reset");
        assert_eq!(s.config().capture.batch_size, 100);
        s.update("debug.enabled", json!(true)).expect("update");
        assert_eq!(s.reset_all().len(), 1);
        assert!(!s.config().debug.enabled);
    }

    #[test]
    fn overrides_persist_and_restore() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = ConfigState::new(FoundationConfig::default());
        s.update("capture.sampling_rate", json!(0.25))
            .expect("update");
        write_overrides(dir.path(), s.overrides()).expect("write");
        let mut fresh = ConfigState::new(FoundationConfig::default());
        let mut saved = read_overrides(dir.path()).expect("read");
        saved.insert("api.port".into(), json!(1));
        let rejected = fresh.restore(saved);
        assert_eq!(rejected.len(), 1, "a no longer updatable path is skipped");
        assert_eq!(fresh.config().capture.sampling_rate, 0.25);
        std::fs::write(dir.path().join(OVERRIDES_FILE), b"{bad").expect("corrupt");
        assert!(matches!(
            read_overrides(dir.path()),
            Err(ConfigError::Persist { .. })
        ));
    }
}
