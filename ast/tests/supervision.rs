//! The layer's supervisor: its shape in the tree, and recovery of the repository after it
//! exits with an error (handles stay valid; the state is rebuilt by parsing again).

use std::path::{Path, PathBuf};
use std::time::Duration;

use elixir_scope_ast::{AstConfig, AstError, AstLayer};
use elixir_scope_runtime_core::{ExitReason, Strategy, SupervisorSpec, TreeSnapshot};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn find<'a>(node: &'a TreeSnapshot, id: &str) -> Option<&'a TreeSnapshot> {
    if &*node.id == id {
        return Some(node);
    }
    node.children.iter().find_map(|c| find(c, id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layer_nests_under_the_application_supervisor() {
    let (ast_spec, ast) = AstLayer::child_spec(AstConfig::default());
    let app = SupervisorSpec::new("elixir-scope")
        .strategy(Strategy::OneForOne)
        .child(ast_spec)
        .start()
        .await
        .expect("app starts");
    let snapshot = app.snapshot().await.expect("snapshot");
    let layer = find(&snapshot, "ast").expect("ast supervisor in the tree");
    assert_eq!(layer.strategy, Some(Strategy::OneForOne));
    let ids: Vec<&str> = layer.children.iter().map(|c| &*c.id).collect();
    assert_eq!(ids, ["ast_repository", "parsing_tasks"]);
    let report = ast
        .parse_project("shop", &fixture("elixir_project"))
        .await
        .expect("parse through the nested layer");
    assert_eq!(report.files, 5);
    app.shutdown().await;
    assert!(matches!(
        ast.projects().await,
        Err(AstError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_restarts_after_an_error_exit_and_the_client_keeps_working() {
    let (sup, ast) = AstLayer::start(AstConfig::default()).await.expect("start");
    ast.parse_project("shop", &fixture("elixir_project"))
        .await
        .expect("parse");
    let before = ast.repository().pid().expect("running");
    let monitor = ast.repository().monitor().expect("monitor");
    let exit = ast
        .repository()
        .stop(ExitReason::error("injected repository failure"))
        .await;
    assert!(matches!(exit, Some(ExitReason::Error(_))));
    let down = tokio::time::timeout(Duration::from_secs(5), monitor.down())
        .await
        .expect("down notice");
    assert_eq!(down.pid, before);
    // The supervisor restarts it with fresh state; the same handle reaches the new incarnation.
    let projects = tokio::time::timeout(Duration::from_secs(5), ast.projects())
        .await
        .expect("answer after restart")
        .expect("projects");
    assert!(projects.is_empty(), "a restarted repository starts empty");
    assert_ne!(ast.repository().pid(), Some(before));
    let again = ast
        .parse_project("shop", &fixture("elixir_project"))
        .await
        .expect("re-parse");
    assert_eq!(again.parsed, 5);
    assert_eq!(
        ast.modules("shop", "Shop.Cart").await.expect("query").len(),
        1
    );
    sup.shutdown().await;
}
