//! # elixir-scope-runtime-core
//!
//! Erlang/OTP supervision on tokio: the one crate every ElixirScope layer builds its services
//! and supervisors from. It sits at the bottom of the tree; no layer invents its own primitive.
//!
//! * [`Service`] — a GenServer: `init`, `handle_call`, `handle_cast`, `handle_info`,
//!   `terminate`, typed messages; [`ServiceRef`] handles that survive restarts.
//! * [`SupervisorSpec`] — OTP `supervisor`: one_for_one / one_for_all / rest_for_one,
//!   permanent / transient / temporary children, sliding-window restart intensity with
//!   escalation, synchronous start with rollback, ordered shutdown (graceful, timeout, kill),
//!   significant children and auto_shutdown, and the management API.
//! * [`DynamicSupervisorSpec`] — children started at run time, `max_children`, concurrent
//!   shutdown.
//! * [`TaskSupervisor`] — tasks whose panic is a value for the caller, `async_stream` with
//!   bounded concurrency, restartable fire-and-forget children.
//! * [`Registry`], monitors ([`ServiceRef::monitor`], [`Context::monitor`]), the
//!   [`SupervisionEvent`] stream and serialisable [`TreeSnapshot`]s.
//!
//! ## Example
//!
//! ```
//! use elixir_scope_runtime_core::{ChildSpec, Context, Service, Strategy, SupervisorSpec};
//! use std::time::Duration;
//!
//! struct Counter(u64);
//!
//! impl Service for Counter {
//!     type Call = ();
//!     type Reply = u64;
//!     type Cast = u64;
//!     type Info = ();
//!
//!     async fn handle_call(&mut self, _: (), _: &mut Context<Self>) -> u64 {
//!         self.0
//!     }
//!
//!     async fn handle_cast(&mut self, n: u64, _: &mut Context<Self>) {
//!         if n == 0 {
//!             panic!("zero is a bug");
//!         }
//!         self.0 += n;
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (spec, counter) = ChildSpec::service("counter", || Counter(0));
//! let root = SupervisorSpec::new("app")
//!     .strategy(Strategy::OneForOne)
//!     .intensity(3, Duration::from_secs(5))
//!     .child(spec)
//!     .start()
//!     .await
//!     .unwrap();
//!
//! counter.cast(2).unwrap();
//! assert_eq!(counter.call(()).await.unwrap(), 2);
//!
//! // A crash: the supervisor restarts the counter with fresh state; the handle still works.
//! counter.cast(0).unwrap();
//! assert_eq!(counter.call(()).await.unwrap(), 0);
//!
//! root.shutdown().await;
//! # }
//! ```
//!
//! ## OTP, feature by feature
//!
//! | OTP feature | here | difference and why |
//! |---|---|---|
//! | `gen_server` init/call/cast/info/terminate | [`Service`] | native async fns; one message at a time, as OTP |
//! | `gen_server:call` timeout | [`ServiceRef::call_timeout`], typed [`CallError`] | errors are values, not exits of the caller |
//! | call to a name during a restart | queued for the next incarnation | OTP fails with `noproc`; handles here are bound to a mailbox that outlives incarnations |
//! | exit reasons normal/shutdown/{shutdown,R}/error/killed | [`ExitReason`] | panics are caught and kept with their message |
//! | `one_for_one`, `one_for_all`, `rest_for_one` | [`Strategy`] | same; `simple_one_for_one` is [`DynamicSupervisorSpec`] |
//! | permanent / transient / temporary | [`Restart`] | same, including temporary specs removed when a sibling's restart stops them |
//! | `intensity` / `period` | [`SupervisorSpec::intensity`] | same sliding window, inclusive boundary; default 3 in 5 s (Elixir's) |
//! | shutdown `brutal_kill` / timeout / `infinity` | [`Shutdown`] | kill = task abort, effective at the child's next `.await` (a CPU loop that never yields cannot be killed) |
//! | synchronous start with rollback | [`SupervisorSpec::start`] | same; the typed child error is returned |
//! | `significant`, `auto_shutdown` | [`ChildSpec::significant`], [`AutoShutdown`] | same validation rules |
//! | which/count/start/terminate/restart/delete_child, get_childspec | [`SupervisorRef`] | same error cases as typed [`SupervisorError`] |
//! | `try_again` after a failed restart | internal retry message | same; every retry counts against the intensity |
//! | links | children die with a killed supervisor | no general `link/1`; supervision is the only link |
//! | monitors, `'DOWN'` | [`ServiceRef::monitor`], [`Info::Down`] | a monitor on a dead process reports its real reason, not `noproc` |
//! | registered names | [`Registry`] | names map to typed handles |
//! | `sys`/observer | [`SupervisorRef::snapshot`], [`EventBus`] | serialisable tree with restart counts, uptime and mailbox lengths |
//! | `Task.Supervisor.async_nolink` / `async_stream` | [`TaskSupervisor`] | a task's panic is a [`TaskError`] value |

#![warn(missing_docs)]

mod child_path;
mod child_spec;
mod child_stoppers;
mod dynamic_supervisor;
mod error;
mod events;
mod exit_reason;
mod id_map;
mod lazy_timeout;
mod mailbox;
mod process;
mod registry;
mod restart_intensity;
mod service;
mod service_ref;
mod service_runner;
mod snapshot;
mod supervisor;
mod task_supervisor;

pub use child_spec::{ChildKind, ChildSpec, ChildSpecInfo, Restart, Shutdown};
pub use dynamic_supervisor::{DynamicSupervisorRef, DynamicSupervisorSpec};
pub use error::{CallError, InitError, SpecError, StartError, SupervisorError};
pub use events::{EventBus, SupervisionEvent};
pub use exit_reason::ExitReason;
pub use process::{DownNotice, Pid, ShutdownSignal};
pub use registry::{Registry, RegistryError};
pub use restart_intensity::Intensity;
pub use service::{Context, Info, Service, TimerRef};
pub use service_ref::{Monitor, ServiceRef, DEFAULT_CALL_TIMEOUT};
pub use snapshot::{ChildStatus, NodeKind, TreeSnapshot};
pub use supervisor::{
    AutoShutdown, ChildCounts, ChildInfo, Strategy, SupervisorRef, SupervisorSpec,
};
pub use task_supervisor::{TaskError, TaskHandle, TaskSupervisor};
