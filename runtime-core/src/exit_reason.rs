//! Why a process stopped, as OTP distinguishes it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The reason a process (service, supervisor or task) exited.
///
/// Mirrors OTP's exit reasons: `normal`, `shutdown` / `{shutdown, Term}`, an error term, a caught
/// panic (OTP's exception exit) and `killed` (the task was aborted without running `terminate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum ExitReason {
    /// The process finished its work.
    Normal,
    /// The process was asked to stop (by its supervisor or explicitly), optionally with a reason.
    Shutdown(Option<Arc<str>>),
    /// The process stopped because of an error it reported.
    Error(Arc<str>),
    /// The process panicked; the panic was caught and its message kept.
    Panic(Arc<str>),
    /// The process was killed: aborted without a chance to run `terminate`.
    Killed,
}

impl ExitReason {
    /// An `Error` exit with the given message.
    pub fn error(message: impl fmt::Display) -> Self {
        ExitReason::Error(message.to_string().into())
    }

    /// A `Shutdown` exit carrying a reason.
    pub fn shutdown_with(reason: impl fmt::Display) -> Self {
        ExitReason::Shutdown(Some(reason.to_string().into()))
    }

    /// True for `normal` and `shutdown` exits: the ones a transient child is not restarted after.
    pub fn is_orderly(&self) -> bool {
        matches!(self, ExitReason::Normal | ExitReason::Shutdown(_))
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown(None) => f.write_str("shutdown"),
            ExitReason::Shutdown(Some(r)) => write!(f, "shutdown: {r}"),
            ExitReason::Error(e) => write!(f, "error: {e}"),
            ExitReason::Panic(m) => write!(f, "panic: {m}"),
            ExitReason::Killed => f.write_str("killed"),
        }
    }
}

/// Turns a caught panic payload into its message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Arc<str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Arc::from(*s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Arc::from(s.as_str())
    } else {
        Arc::from("non-string panic payload")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orderly_exits_are_normal_and_shutdown_only() {
        assert!(ExitReason::Normal.is_orderly());
        assert!(ExitReason::Shutdown(None).is_orderly());
        assert!(ExitReason::shutdown_with("bye").is_orderly());
        assert!(!ExitReason::error("x").is_orderly());
        assert!(!ExitReason::Panic("p".into()).is_orderly());
        assert!(!ExitReason::Killed.is_orderly());
    }

    #[test]
    fn panic_payloads_become_messages() {
        let owned: Box<dyn std::any::Any + Send> = Box::new(String::from("boom"));
        assert_eq!(&*panic_message(owned.as_ref()), "boom");
        let fixed: Box<dyn std::any::Any + Send> = Box::new("static boom");
        assert_eq!(&*panic_message(fixed.as_ref()), "static boom");
        let other: Box<dyn std::any::Any + Send> = Box::new(7_u32);
        assert_eq!(&*panic_message(other.as_ref()), "non-string panic payload");
    }

    #[test]
    fn exit_reasons_round_trip_through_json() {
        let r = ExitReason::shutdown_with("max intensity");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ExitReason>(&json).unwrap(), r);
    }
}
