//! # elixir-scope
//!
//! The top of ElixirScope: the top-level supervision tree that wires every layer's supervisor
//! (layers start in order and stop in reverse), the HTTP API over the layers' typed handles, and
//! the `elixir-scope` command (`serve`, `tree`, `analyze`).
//!
//! ```no_run
//! use elixir_scope::{ScopeOptions, Scope};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! let options = ScopeOptions::new("./.elixir-scope", "127.0.0.1:0".parse()?);
//! let scope = Scope::start(options).await?;
//! println!("API on http://{}", scope.local_addr());
//! println!("{}", scope.root.snapshot().await?.render_text());
//! scope.shutdown().await;
//! # Ok(()) }
//! ```

pub mod analyze;
pub mod api;
pub mod cli;
mod scope;

pub use scope::{ApiSecurity, Scope, ScopeError, ScopeOptions, ROOT_NAME};
