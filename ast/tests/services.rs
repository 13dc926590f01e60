//! The layer's services: repository queries, incremental updates, several projects, progress,
//! failure isolation with a real panic in a parse task, hostile files.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use elixir_scope_ast::{
    AstClient, AstConfig, AstError, AstLayer, DiagnosticKind, FaultInjection, FileStatus,
    ParseProgress, ParsingConfig,
};
use elixir_scope_runtime_core::SupervisorRef;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).expect("copy");
        }
    }
}

async fn start(parsing: ParsingConfig) -> (SupervisorRef, AstClient) {
    AstLayer::start(AstConfig {
        parsing,
        ..AstConfig::default()
    })
    .await
    .expect("ast layer starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_and_query_a_project() {
    let (sup, ast) = start(ParsingConfig::default()).await;
    let report = ast
        .parse_project("shop", &fixture("elixir_project"))
        .await
        .expect("parse");
    assert_eq!(report.files, 5);
    assert_eq!(report.parsed, 5);
    assert!(report.failed.is_empty());
    let mut with_errors = report.files_with_errors.clone();
    with_errors.sort();
    assert_eq!(
        with_errors,
        ["lib/shop/broken_missing_end.ex", "lib/shop/broken_stray.ex"]
    );

    let cart = ast.file("shop", "lib/shop/cart.ex").await.expect("file");
    assert_eq!(cart.modules[0].name, "Shop.Cart");
    let modules = ast.modules("shop", "Shop.Worker").await.expect("modules");
    assert_eq!(modules.len(), 1);
    assert_eq!(modules[0].path, "lib/shop/worker.ex");
    let hc = ast
        .functions("shop", Some("Shop.Worker"), "handle_call", Some(3))
        .await
        .expect("functions");
    assert_eq!(hc.len(), 1);
    assert_eq!(hc[0].function.clauses.len(), 2);
    // Query results carry line/column positions (the model's spans are byte ranges).
    assert_eq!((hc[0].start.line, hc[0].start.column), (14, 3));
    assert_eq!(hc[0].end.line, 15);
    assert!(ast
        .functions("shop", Some("Shop.Cart"), "handle_call", None)
        .await
        .expect("q")
        .is_empty());
    let describe = ast
        .functions("shop", None, "describe", Some(1))
        .await
        .expect("q");
    assert_eq!(describe.len(), 2, "protocol declaration and implementation");

    let stats = ast.stats("shop").await.expect("stats");
    assert_eq!(stats.files, 5);
    assert_eq!(stats.per_file.len(), 5);
    assert!(stats
        .per_file
        .iter()
        .all(|f| f.model_bytes > 0 && f.source_bytes > 0));
    assert_eq!(
        stats.model_bytes,
        stats.per_file.iter().map(|f| f.model_bytes).sum::<u64>()
    );
    assert!(stats.functions > 20);

    assert!(matches!(
        ast.file("nope", "x").await,
        Err(AstError::UnknownProject(_))
    ));
    assert!(matches!(
        ast.file("shop", "x.ex").await,
        Err(AstError::UnknownFile(_))
    ));
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_tree_for_the_cpg_layer() {
    let (sup, ast) = start(ParsingConfig::default()).await;
    ast.parse_project("shop", &fixture("elixir_project"))
        .await
        .expect("parse");
    let parsed = ast
        .parsed_file("shop", "lib/shop/cart.ex")
        .await
        .expect("parsed file");
    let total = parsed
        .model
        .functions
        .iter()
        .find(|f| f.name == "total")
        .expect("total");
    let body = parsed.body_node(total.id, 0).expect("body");
    assert_eq!(body.kind(), "do_block");
    assert!(parsed.text(&body).contains("|> Tax.apply(C.rate())"));
    let clause = parsed.clause_node(total.id, 1).expect("second clause");
    assert_eq!(parsed.text(&clause), "def total(_), do: 0");
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_update_reparses_only_changed_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("rust_project"), dir.path());
    let (sup, ast) = start(ParsingConfig::default()).await;
    let first = ast
        .parse_project("shapes", dir.path())
        .await
        .expect("parse");
    assert_eq!((first.files, first.parsed, first.unchanged), (4, 4, 0));

    let again = ast
        .parse_project("shapes", dir.path())
        .await
        .expect("reparse");
    assert_eq!((again.parsed, again.unchanged, again.removed), (0, 4, 0));
    assert_eq!(ast.stats("shapes").await.expect("stats").parses, 4);

    fs::write(
        dir.path().join("src/net/tcp.rs"),
        "pub fn connect2(a: u8, b: u8) {}\n",
    )
    .expect("edit");
    fs::write(dir.path().join("src/extra.rs"), "fn extra() {}\n").expect("add");
    fs::remove_file(dir.path().join("src/broken.rs")).expect("delete");
    let third = ast
        .parse_project("shapes", dir.path())
        .await
        .expect("update");
    assert_eq!(
        (third.files, third.parsed, third.unchanged, third.removed),
        (4, 2, 2, 1)
    );
    assert_eq!(ast.stats("shapes").await.expect("stats").parses, 6);
    let tcp = ast.file("shapes", "src/net/tcp.rs").await.expect("tcp");
    assert_eq!(tcp.functions[0].name, "connect2");
    assert!(matches!(
        ast.file("shapes", "src/broken.rs").await,
        Err(AstError::UnknownFile(_))
    ));
    assert_eq!(
        ast.functions("shapes", None, "connect", None)
            .await
            .expect("q")
            .len(),
        0
    );
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_projects_at_once() {
    let (sup, ast) = start(ParsingConfig::default()).await;
    let (ex_root, rs_root) = (fixture("elixir_project"), fixture("rust_project"));
    let (a, b) = tokio::join!(
        ast.parse_project("elixir", &ex_root),
        ast.parse_project("rust", &rs_root),
    );
    assert_eq!(a.expect("elixir").files, 5);
    assert_eq!(b.expect("rust").files, 4);
    assert_eq!(ast.projects().await.expect("projects"), ["elixir", "rust"]);
    assert_eq!(
        ast.modules("rust", "crate::net::tcp")
            .await
            .expect("q")
            .len(),
        1
    );
    assert!(ast
        .modules("elixir", "crate::net::tcp")
        .await
        .expect("q")
        .is_empty());
    assert!(ast.remove_project("rust").await.expect("remove"));
    assert_eq!(ast.projects().await.expect("projects"), ["elixir"]);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_events_cover_every_file() {
    let (sup, ast) = start(ParsingConfig::default()).await;
    let mut rx = ast.subscribe_progress();
    ast.parse_project("shop", &fixture("elixir_project"))
        .await
        .expect("parse");
    let mut files = Vec::new();
    let finished = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await.expect("event") {
                ParseProgress::Started { total, .. } => assert_eq!(total, 5),
                ParseProgress::File {
                    done,
                    total,
                    status,
                    path,
                    ..
                } => {
                    assert_eq!(total, 5);
                    files.push((done, path, status));
                }
                ParseProgress::Finished { parsed, failed, .. } => return (parsed, failed),
            }
        }
    })
    .await
    .expect("finished event");
    assert_eq!(finished, (5, 0));
    assert_eq!(
        files.iter().map(|f| f.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.2 == FileStatus::ParsedWithErrors)
            .count(),
        2
    );
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_parse_task_affects_only_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("elixir_project"), dir.path());
    fs::write(
        dir.path().join("lib/boom_inject.ex"),
        "defmodule Boom do\nend\n",
    )
    .expect("write");
    let (sup, ast) = start(ParsingConfig {
        fault_injection: Some(FaultInjection {
            panic_when_path_contains: "boom_inject".to_owned(),
        }),
        max_concurrency: 2,
        ..ParsingConfig::default()
    })
    .await;
    let report = ast
        .parse_project("shop", dir.path())
        .await
        .expect("parse completes");
    assert_eq!(report.files, 6);
    assert_eq!(report.parsed, 5);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].path, "lib/boom_inject.ex");
    assert!(
        report.failed[0].error.contains("fault injection"),
        "{}",
        report.failed[0].error
    );
    // The repository keeps serving, the failed file carries its diagnostic.
    let boom = ast
        .file("shop", "lib/boom_inject.ex")
        .await
        .expect("failed file is listed");
    assert!(matches!(
        boom.diagnostics[0].kind,
        DiagnosticKind::ParseTaskFailed { .. }
    ));
    assert_eq!(ast.modules("shop", "Shop.Cart").await.expect("q").len(), 1);
    // The next update retries the failed file (it has no stored hash) and only it.
    let again = ast
        .parse_project("shop", dir.path())
        .await
        .expect("reparse");
    assert_eq!(
        (again.parsed, again.unchanged, again.failed.len()),
        (0, 5, 1)
    );
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_get_diagnostics_and_the_rest_parses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::create_dir_all(root.join("lib")).expect("mkdir");
    fs::write(
        root.join("lib/ok.ex"),
        "defmodule Ok do\n  def f, do: 1\nend\n",
    )
    .expect("w");
    fs::write(root.join("lib/empty.ex"), "").expect("w");
    fs::write(root.join("lib/binary.ex"), [0u8, 159, 146, 150, 0, 1, 2]).expect("w");
    fs::write(
        root.join("lib/latin1.ex"),
        b"defmodule L do\n  @doc \"caf\xe9\"\nend\n",
    )
    .expect("w");
    fs::write(
        root.join("lib/unclosed.ex"),
        "defmodule U do\n  def f(x) do\n    x\n",
    )
    .expect("w");
    let big = fs::File::create(root.join("lib/huge.ex")).expect("create");
    big.set_len(50 * 1024 * 1024).expect("sparse 50 MB");
    drop(big);
    let (sup, ast) = start(ParsingConfig::default()).await;
    let report = ast.parse_project("hostile", root).await.expect("parse");
    assert_eq!((report.files, report.parsed), (6, 6));
    assert!(report.failed.is_empty());
    let kind = |m: &elixir_scope_ast::FileModel| m.diagnostics[0].kind.clone();
    assert_eq!(
        kind(&ast.file("hostile", "lib/empty.ex").await.expect("f")),
        DiagnosticKind::Empty
    );
    assert_eq!(
        kind(&ast.file("hostile", "lib/binary.ex").await.expect("f")),
        DiagnosticKind::Binary
    );
    assert!(matches!(
        kind(&ast.file("hostile", "lib/latin1.ex").await.expect("f")),
        DiagnosticKind::InvalidUtf8 { byte_offset: 26 }
    ));
    assert!(matches!(
        kind(&ast.file("hostile", "lib/huge.ex").await.expect("f")),
        DiagnosticKind::TooLarge { .. }
    ));
    let unclosed = ast.file("hostile", "lib/unclosed.ex").await.expect("f");
    assert!(unclosed.has_errors());
    assert!(unclosed.functions.iter().any(|f| f.name == "f"));
    assert_eq!(
        ast.functions("hostile", Some("Ok"), "f", Some(0))
            .await
            .expect("q")
            .len(),
        1
    );
    sup.shutdown().await;
}
