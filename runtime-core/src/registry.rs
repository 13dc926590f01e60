//! A registry of names: find a service (or any handle) by name, as OTP's registered names.

use parking_lot::RwLock;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Registry errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The name is taken by a live handle.
    #[error("name {0:?} is already registered")]
    AlreadyRegistered(String),
}

trait Entry: Send + Sync {
    fn alive(&self) -> bool;
    fn as_any(&self) -> &dyn Any;
}

struct Handle<H> {
    handle: H,
    alive: fn(&H) -> bool,
}

impl<H: Send + Sync + 'static> Entry for Handle<H> {
    fn alive(&self) -> bool {
        (self.alive)(&self.handle)
    }
    fn as_any(&self) -> &dyn Any {
        &self.handle
    }
}

/// Names to typed handles. Entries whose handle reports it is gone are treated as absent and
/// may be replaced.
///
/// ```
/// use elixir_scope_runtime_core::Registry;
/// let registry = Registry::new();
/// registry.register("answer", 42_u32, |_| true).unwrap();
/// assert_eq!(registry.whereis::<u32>("answer"), Some(42));
/// assert_eq!(registry.whereis::<String>("answer"), None);
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    entries: Arc<RwLock<HashMap<String, Arc<dyn Entry>>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The process-wide registry.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }

    /// Registers `handle` under `name`; `alive` tells whether the handle still reaches
    /// something (e.g. `|s: &ServiceRef<S>| s.is_accepting()`).
    pub fn register<H>(
        &self,
        name: impl Into<String>,
        handle: H,
        alive: fn(&H) -> bool,
    ) -> Result<(), RegistryError>
    where
        H: Clone + Send + Sync + 'static,
    {
        let name = name.into();
        let mut entries = self.entries.write();
        if entries.get(&name).is_some_and(|e| e.alive()) {
            return Err(RegistryError::AlreadyRegistered(name));
        }
        entries.insert(name, Arc::new(Handle { handle, alive }));
        Ok(())
    }

    /// The handle registered under `name`, if it is alive and of type `H`.
    pub fn whereis<H: Clone + 'static>(&self, name: &str) -> Option<H> {
        let entries = self.entries.read();
        let entry = entries.get(name)?;
        if !entry.alive() {
            return None;
        }
        entry.as_any().downcast_ref::<H>().cloned()
    }

    /// Removes a name. Returns whether it was present.
    pub fn unregister(&self, name: &str) -> bool {
        self.entries.write().remove(name).is_some()
    }

    /// Live registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .entries
            .read()
            .iter()
            .filter(|(_, e)| e.alive())
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn dead_entries_are_absent_and_replaceable() {
        let registry = Registry::new();
        let flag = Arc::new(AtomicBool::new(true));
        registry
            .register("svc", flag.clone(), |f| f.load(Ordering::SeqCst))
            .unwrap();
        assert!(matches!(
            registry.register("svc", flag.clone(), |f| f.load(Ordering::SeqCst)),
            Err(RegistryError::AlreadyRegistered(_))
        ));
        flag.store(false, Ordering::SeqCst);
        assert!(registry.whereis::<Arc<AtomicBool>>("svc").is_none());
        assert!(registry.names().is_empty());
        registry.register("svc", 1_u8, |_| true).unwrap();
        assert_eq!(registry.whereis::<u8>("svc"), Some(1));
        assert!(registry.unregister("svc"));
    }
}
