//! What makes a child's handle refuse messages once it is stopped for good.
//!
//! A supervisor cannot tell on its own whether stopping its children is final: when it gives up
//! (restart intensity) or is shut down, its parent may restart it, and then messages queued for
//! its children should be served by their next incarnations. So a supervisor makes a child's
//! stop final itself only when nobody above it can restart it (it is a root, or the child was
//! terminated on request / not restarted by its restart type); otherwise its parent decides,
//! through this table, when it stops the supervisor for good.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// Marks one child stopped for good (its mailbox refuses messages and fails queued calls).
pub(crate) type OnStopped = Arc<dyn Fn() + Send + Sync>;

/// The children's stop hooks of one supervisor, by child key, shared with its parent's hook.
pub(crate) struct ChildStoppers<K> {
    hooks: Mutex<HashMap<K, OnStopped>>,
}

impl<K: Eq + Hash> ChildStoppers<K> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ChildStoppers {
            hooks: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn set(&self, key: K, hook: Option<OnStopped>) {
        let mut hooks = self.hooks.lock();
        match hook {
            Some(hook) => {
                hooks.insert(key, hook);
            }
            None => {
                hooks.remove(&key);
            }
        }
    }

    pub(crate) fn remove(&self, key: &K) {
        self.hooks.lock().remove(key);
    }

    /// Runs every child's hook (outside the lock: a hook may cascade into a nested table).
    pub(crate) fn stop_all(&self) {
        let hooks: Vec<OnStopped> = self.hooks.lock().values().cloned().collect();
        for hook in hooks {
            hook();
        }
    }
}
