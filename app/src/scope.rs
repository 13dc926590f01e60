//! The top-level tree: `elixir-scope` (one_for_one) over the layer supervisors and the API.

use crate::api::{self, ApiState};
use elixir_scope_analysis::{AnalysisClient, AnalysisConfig, AnalysisLayer};
use elixir_scope_ast::{AstClient, AstConfig, AstLayer};
use elixir_scope_cpg::{CpgClient, CpgConfig, CpgLayer};
use elixir_scope_foundation::{Foundation, FoundationError, FoundationHandles, FoundationOptions};
use elixir_scope_runtime_core::{
    ChildSpec, EventBus, ExitReason, StartError, Strategy, SupervisorRef, SupervisorSpec,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The root supervisor's name.
pub const ROOT_NAME: &str = "elixir-scope";

/// Who may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiSecurity {
    /// Loopback only, no token.
    LoopbackOnly,
    /// Every request must carry `Authorization: Bearer <token>`.
    Token(String),
}

/// How to start ElixirScope.
#[derive(Debug, Clone)]
pub struct ScopeOptions {
    /// Data directory (event store, persisted config).
    pub data_dir: PathBuf,
    /// Optional TOML config file.
    pub config_file: Option<PathBuf>,
    /// Where the HTTP API listens.
    pub listen: SocketAddr,
    /// API access token; required when `listen` is not a loopback address.
    pub token: Option<String>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
}

impl ScopeOptions {
    /// Options with defaults: no config file, no token, 8 MiB bodies.
    pub fn new(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        ScopeOptions {
            data_dir: data_dir.into(),
            config_file: None,
            listen,
            token: None,
            max_body_bytes: 8 * 1024 * 1024,
        }
    }

    fn security(&self) -> Result<ApiSecurity, ScopeError> {
        match (&self.token, self.listen.ip().is_loopback()) {
            (Some(token), _) if token.len() < 16 => Err(ScopeError::WeakToken),
            (Some(token), _) => Ok(ApiSecurity::Token(token.clone())),
            (None, true) => Ok(ApiSecurity::LoopbackOnly),
            (None, false) => Err(ScopeError::TokenRequired(self.listen)),
        }
    }
}

/// Why ElixirScope could not start.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    /// A non-loopback listen address without a token.
    #[error(
        "listening on {0} (not loopback) requires an API token (--token or ELIXIR_SCOPE_TOKEN)"
    )]
    TokenRequired(SocketAddr),
    /// A token too short to be a secret.
    #[error("the API token must be at least 16 characters")]
    WeakToken,
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A layer could not be built.
    #[error(transparent)]
    Foundation(#[from] FoundationError),
    /// The tree failed to start.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// A running ElixirScope: the root supervisor and the layers' handles.
pub struct Scope {
    /// The root supervisor.
    pub root: SupervisorRef,
    /// The supervision event bus of the whole tree.
    pub events: EventBus,
    /// Foundation layer handles.
    pub foundation: FoundationHandles,
    /// AST layer client.
    pub ast: AstClient,
    /// CPG layer client.
    pub cpg: CpgClient,
    /// Analysis layer client.
    pub analysis: AnalysisClient,
    local_addr: SocketAddr,
}

impl Scope {
    /// Builds the whole tree without starting it (for `elixir-scope tree` without a server).
    pub fn describe(
        options: &ScopeOptions,
    ) -> Result<elixir_scope_runtime_core::TreeSnapshot, ScopeError> {
        let (spec, _) = Foundation::build(FoundationOptions::new(&options.data_dir))?;
        let api = ChildSpec::task("api", |mut s| async move { s.requested().await });
        let (ast_spec, ast) = AstLayer::child_spec(AstConfig::default());
        let (cpg_spec, _) = CpgLayer::child_spec(CpgConfig::default());
        let (analysis_spec, _) = AnalysisLayer::child_spec(AnalysisConfig::default(), ast);
        Ok(layers_spec(spec, vec![ast_spec, cpg_spec, analysis_spec])
            .child(api)
            .describe())
    }

    /// Starts the tree: layers left to right, then the API.
    pub async fn start(options: ScopeOptions) -> Result<Scope, ScopeError> {
        let security = options.security()?;
        std::fs::create_dir_all(&options.data_dir).map_err(|source| ScopeError::DataDir {
            path: options.data_dir.clone(),
            source,
        })?;
        // Bind before anything starts so a taken port is a clear error, not a restart loop; each
        // API incarnation serves on a clone of this socket.
        let listener =
            std::net::TcpListener::bind(options.listen).map_err(|source| ScopeError::Bind {
                addr: options.listen,
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| ScopeError::Bind {
                addr: options.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| ScopeError::Bind {
            addr: options.listen,
            source,
        })?;

        let mut foundation_options = FoundationOptions::new(&options.data_dir);
        if let Some(file) = &options.config_file {
            foundation_options = foundation_options.with_config_file(file);
        }
        let (foundation_spec, foundation) = Foundation::build(foundation_options)?;
        let events = EventBus::default();
        let (ast_spec, ast) = AstLayer::child_spec(AstConfig::default());
        let (cpg_spec, cpg) = CpgLayer::child_spec(CpgConfig {
            data_dir: Some(options.data_dir.join("cpg")),
            ..CpgConfig::default()
        });
        let (analysis_spec, analysis) =
            AnalysisLayer::child_spec(AnalysisConfig::default(), ast.clone());
        let layers = layers_spec(foundation_spec, vec![ast_spec, cpg_spec, analysis_spec]);
        let state = ApiState {
            foundation: foundation.clone(),
            ast: ast.clone(),
            cpg: cpg.clone(),
            analysis: analysis.clone(),
            root: layers.handle(),
            security,
        };
        let api_spec = api_child(Arc::new(listener), state, options.max_body_bytes);
        let root = layers
            .child(api_spec)
            .start_with_events(events.clone())
            .await?;
        tracing::info!(%local_addr, data_dir = %options.data_dir.display(), "elixir-scope started");
        Ok(Scope {
            root,
            events,
            foundation,
            ast,
            cpg,
            analysis,
            local_addr,
        })
    }

    /// The API's bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops everything in reverse start order; returns the root's exit reason.
    pub async fn shutdown(&self) -> Option<ExitReason> {
        self.root.shutdown().await
    }
}

/// The root with every layer, bottom to top; the API is added last so it starts after the
/// layers it serves and stops before them.
fn layers_spec(foundation: SupervisorSpec, upper_layers: Vec<ChildSpec>) -> SupervisorSpec {
    SupervisorSpec::new(ROOT_NAME)
        .strategy(Strategy::OneForOne)
        .intensity(3, Duration::from_secs(30))
        .child(foundation.into_child_spec())
        .children(upper_layers)
}

fn api_child(
    listener: Arc<std::net::TcpListener>,
    state: ApiState,
    max_body_bytes: usize,
) -> ChildSpec {
    ChildSpec::task("api", move |mut shutdown| {
        let listener = listener.clone();
        let state = state.clone();
        async move {
            let listener = match listener
                .try_clone()
                .and_then(tokio::net::TcpListener::from_std)
            {
                Ok(listener) => listener,
                Err(error) => {
                    return ExitReason::error(format!("cannot use the API socket: {error}"))
                }
            };
            let router = api::router(state, max_body_bytes);
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    shutdown.requested().await;
                })
                .await;
            match served {
                Ok(()) => ExitReason::Shutdown(None),
                Err(error) => ExitReason::error(format!("API server failed: {error}")),
            }
        }
    })
    .shutdown(elixir_scope_runtime_core::Shutdown::Timeout(
        Duration::from_secs(10),
    ))
}
