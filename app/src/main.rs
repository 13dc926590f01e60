//! The `elixir-scope` binary.

use anyhow::Context as _;
use clap::Parser;
use elixir_scope::cli::{Cli, Command, ServeArgs, TreeArgs};
use elixir_scope::{Scope, ScopeOptions};
use elixir_scope_runtime_core::TreeSnapshot;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `analyze` is a report tool: only problems are logged unless RUST_LOG asks for more.
    let default_level = match cli.command {
        Some(Command::Analyze(_)) => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Command::Serve(ref args)) => serve(&cli, args.clone()).await,
            None => serve(&cli, ServeArgs::default()).await,
            Some(Command::Tree(ref args)) => tree(&cli, args).await,
            Some(Command::Analyze(ref args)) => Ok(elixir_scope::analyze::run(args).await),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: &Cli, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut options = ScopeOptions::new(&cli.data_dir, args.listen);
    options.config_file = cli.config.clone();
    options.token = args.token;
    options.max_body_bytes = args.max_body_bytes;
    let scope = Scope::start(options)
        .await
        .context("cannot start elixir-scope")?;
    println!("elixir-scope listening on http://{}", scope.local_addr());
    let root_down = scope
        .root
        .monitor()
        .context("root supervisor exited during start")?;
    tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down");
            let reason = scope.shutdown().await;
            tracing::info!(?reason, "stopped");
            Ok(ExitCode::SUCCESS)
        }
        down = root_down.down() => {
            tracing::error!(reason = %down.reason, "the supervision tree gave up");
            eprintln!("error: the supervision tree exited: {}", down.reason);
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}

async fn tree(cli: &Cli, args: &TreeArgs) -> anyhow::Result<ExitCode> {
    let live = if args.offline {
        None
    } else {
        fetch_live_tree(args).await?
    };
    let (snapshot, origin) = match live {
        Some(snapshot) => (snapshot, format!("live from http://{}", args.addr)),
        None => {
            let options = ScopeOptions::new(&cli.data_dir, args.addr);
            (
                Scope::describe(&options)?,
                "static shape (no server running)".to_string(),
            )
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&snapshot)?);
    } else {
        println!("# {origin}");
        print!("{}", snapshot.render_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// The live tree, or `None` when nothing listens at the address.
async fn fetch_live_tree(args: &TreeArgs) -> anyhow::Result<Option<TreeSnapshot>> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    let mut request = client.get(format!("http://{}/api/tree", args.addr));
    if let Some(token) = &args.token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(Some(response.json().await?)),
        Ok(response) => anyhow::bail!("server at {} answered {}", args.addr, response.status()),
        Err(error) if error.is_connect() => Ok(None),
        Err(error) => Err(error.into()),
    }
}
