//! The `elixir-scope` command line.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// ElixirScope: code intelligence and execution debugging for Elixir and Rust projects.
#[derive(Debug, Parser)]
#[command(name = "elixir-scope", version, about, propagate_version = true)]
pub struct Cli {
    /// Data directory (event store, persisted configuration).
    #[arg(
        long,
        global = true,
        env = "ELIXIR_SCOPE_DATA_DIR",
        default_value = ".elixir-scope"
    )]
    pub data_dir: PathBuf,

    /// TOML configuration file (layered over the defaults; ELIXIR_SCOPE_* variables override it).
    #[arg(long, global = true, env = "ELIXIR_SCOPE_CONFIG")]
    pub config: Option<PathBuf>,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the supervision tree and the HTTP API (the default).
    Serve(ServeArgs),
    /// Print the supervision tree: live from a running server, or its static shape.
    Tree(TreeArgs),
    /// Parse a project, build its graphs and run the analyses; print a report.
    Analyze(AnalyzeArgs),
}

/// `analyze` options.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Project directory (Elixir `.ex`/`.exs` and Rust `.rs` files; `.gitignore` is honoured).
    pub path: PathBuf,

    /// Report format: text, json or sarif (SARIF 2.1.0, for GitHub code scanning).
    #[arg(long, default_value = "text")]
    pub format: String,

    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Exit with status 1 when a finding at this level or above exists: never, note, warning,
    /// error.
    #[arg(long, default_value = "never")]
    pub fail_on: String,

    /// Also exit with status 1 when an analysis itself failed (the report is partial).
    #[arg(long)]
    pub fail_on_partial: bool,

    /// Analyses to run, comma-separated (metrics, smells, dead_code, cycles); all by default.
    #[arg(long, value_delimiter = ',')]
    pub analyses: Vec<String>,

    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// Do not read or write the analysis cache: parse every file.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,

    /// Base directory of the analysis cache (one subdirectory per project). Default:
    /// `$XDG_CACHE_HOME/elixir-scope`, else `~/.cache/elixir-scope`. The cache only saves
    /// parsing unchanged files; it never changes the report.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// `serve` options.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address of the HTTP API. A non-loopback address requires --token.
    #[arg(long, env = "ELIXIR_SCOPE_LISTEN", default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,

    /// Bearer token required on every API request (at least 16 characters).
    #[arg(long, env = "ELIXIR_SCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            token: None,
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

/// `tree` options.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Address of a running server to ask.
    #[arg(long, env = "ELIXIR_SCOPE_LISTEN", default_value = "127.0.0.1:4000")]
    pub addr: SocketAddr,

    /// Bearer token for the server.
    #[arg(long, env = "ELIXIR_SCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Print JSON instead of the indented tree.
    #[arg(long)]
    pub json: bool,

    /// Do not contact a server; print the static shape.
    #[arg(long)]
    pub offline: bool,
}
