//! Static supervisors with OTP's `supervisor` semantics.

mod handle;
mod server;
mod spec;

pub use handle::{ChildCounts, ChildInfo, SupervisorRef};
pub use spec::{AutoShutdown, Strategy, SupervisorSpec};

pub(crate) use handle::expand;
pub(crate) use server::{ChildEntry, MAX_INTENSITY_REASON};
