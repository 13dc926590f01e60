//! The layer's services: a build through the orchestrator's tasks, queries and exports
//! through CpgStorage, and a panicking file build that affects only that file.

mod common;

use std::path::Path;
use std::sync::Arc;

use elixir_scope_cpg::{
    build_file, CpgConfig, CpgError, CpgLayer, EdgeKind, FileBuilder, ProjectCpg, BUILD_DATABASE,
    GRAPH_DATABASE,
};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "lib/shop.ex",
        r#"
defmodule Shop do
  alias Shop.Repo
  def checkout(cart) do
    total = Repo.sum(cart)
    if total > 100, do: Repo.discount(total), else: total
  end
end
"#,
    );
    write(
        dir.path(),
        "lib/repo.ex",
        r#"
defmodule Shop.Repo do
  def sum(xs), do: Enum.sum(xs)
  def discount(t), do: t * 0.9
end
"#,
    );
    write(
        dir.path(),
        "lib/bad.ex",
        "defmodule Shop.Bad do\n  def boom(x), do: Shop.Repo.sum(x)\nend\n",
    );
    write(
        dir.path(),
        "native/src/lib.rs",
        "pub fn add(a: u32, b: u32) -> u32 { let c = a + b; c }\n",
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_a_project_and_answers_queries() {
    let dir = fixture();
    let (sup, cpg) = CpgLayer::start(CpgConfig::default()).await.unwrap();
    let report = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!(report.files, 4);
    assert!(report.failures.is_empty());
    assert_eq!(report.methods, 5);

    let project: Arc<ProjectCpg> = cpg.project("shop").await.unwrap();
    let id = |n: &str| project.find_methods(n)[0].id;
    let callers = cpg.callers("shop", id("Shop.Repo.sum/1")).await.unwrap();
    let names: Vec<String> = callers.iter().map(|m| m.display_name()).collect();
    // Files are discovered in path order: lib/bad.ex before lib/shop.ex.
    assert_eq!(names, vec!["Shop.Bad.boom/1", "Shop.checkout/1"]);
    let callees = cpg.callees("shop", id("Shop.checkout/1")).await.unwrap();
    assert_eq!(callees.len(), 2);
    let reach = cpg.reachable("shop", id("Shop.Bad.boom/1")).await.unwrap();
    assert_eq!(reach.len(), 1);
    let paths = cpg
        .paths("shop", id("Shop.checkout/1"), id("Shop.Repo.discount/1"), 5)
        .await
        .unwrap();
    assert_eq!(
        paths,
        vec![vec![id("Shop.checkout/1"), id("Shop.Repo.discount/1")]]
    );

    let graph = cpg
        .method_graph("shop", id("Shop.checkout/1"))
        .await
        .unwrap();
    assert!(graph.edges_of(EdgeKind::Cdg).count() > 0);
    let du = cpg.def_use("shop", id("Shop.checkout/1")).await.unwrap();
    assert!(du.iter().any(|d| d.name == "total"));
    let rust_du = cpg.def_use("shop", id("add")).await.unwrap();
    assert_eq!(rust_du.iter().filter(|d| d.name == "c").count(), 1);

    let dot = cpg.export_dot("shop", None).await.unwrap();
    assert!(dot.starts_with("digraph calls {") && dot.contains("Shop.Repo.sum/1"));
    let method_dot = cpg
        .export_dot("shop", Some(id("Shop.checkout/1")))
        .await
        .unwrap();
    assert!(method_dot.contains("label=\"True\"") && method_dot.contains("style=dashed"));
    let json = cpg.export_json("shop").await.unwrap();
    let mut back: ProjectCpg = serde_json::from_str(&json).unwrap();
    back.index();
    assert_eq!(back.call_graph.methods.len(), 5);
    assert_eq!(
        back.call_graph.callers(id("Shop.Repo.sum/1")),
        project.call_graph.callers(id("Shop.Repo.sum/1"))
    );

    assert_eq!(
        cpg.project("nope").await.unwrap_err(),
        CpgError::UnknownProject("nope".into())
    );
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_file_build_is_reported_and_the_rest_is_built() {
    let dir = fixture();
    let builder: FileBuilder = Arc::new(|parsed, options| {
        if parsed.model.path.ends_with("bad.ex") {
            panic!("injected fault building {}", parsed.model.path);
        }
        build_file(parsed, options)
    });
    let (sup, cpg) = CpgLayer::start_with_builder(CpgConfig::default(), builder)
        .await
        .unwrap();
    let report = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!(report.files, 3);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].path, "lib/bad.ex");
    assert!(
        report.failures[0].error.contains("injected fault"),
        "{:?}",
        report.failures
    );

    let project = cpg.project("shop").await.unwrap();
    assert!(project.file("lib/bad.ex").is_none());
    assert!(project.file("lib/shop.ex").is_some());
    let checkout = project.find_methods("Shop.checkout/1")[0].id;
    assert!(project.method_graph(checkout).is_some());
    assert_eq!(cpg.callees("shop", checkout).await.unwrap().len(), 2);

    // The orchestrator is still serving: a second build works the same way.
    let again = cpg.build("shop2", dir.path()).await.unwrap();
    assert_eq!((again.files, again.failures.len()), (3, 1));
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_restarted_after_a_crash_comes_back_with_persisted_graphs() {
    let dir = fixture();
    let data = tempfile::tempdir().unwrap();
    let config = CpgConfig {
        data_dir: Some(data.path().to_path_buf()),
        ..CpgConfig::default()
    };
    let (sup, cpg) = CpgLayer::start(config).await.unwrap();
    cpg.build("shop", dir.path()).await.unwrap();
    let before = cpg.project("shop").await.unwrap();
    let old_pid = cpg.storage().pid();

    // Crash the storage: it terminates abnormally and its supervisor restarts it.
    let reason = cpg
        .storage()
        .stop(elixir_scope_runtime_core::ExitReason::error(
            "injected crash",
        ))
        .await;
    assert!(reason.is_some());
    // Served by the next incarnation, which loaded the graph from disk.
    let after = cpg.project("shop").await.unwrap();
    assert_ne!(cpg.storage().pid(), old_pid);
    assert_eq!(after.call_graph.methods, before.call_graph.methods);
    let id = after.find_methods("Shop.Repo.sum/1")[0].id;
    assert_eq!(cpg.callers("shop", id).await.unwrap().len(), 2);

    // The orchestrator keeps building other projects meanwhile.
    assert_eq!(cpg.build("other", dir.path()).await.unwrap().files, 4);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_persisted_graph_is_skipped_and_the_others_load() {
    let dir = fixture();
    let data = tempfile::tempdir().unwrap();
    let config = CpgConfig {
        data_dir: Some(data.path().to_path_buf()),
        ..CpgConfig::default()
    };
    let (sup, cpg) = CpgLayer::start(config.clone()).await.unwrap();
    cpg.build("good", dir.path()).await.unwrap();
    cpg.build("bad", dir.path()).await.unwrap();
    cpg.build("odd", dir.path()).await.unwrap();
    sup.shutdown().await;

    // The project row of `odd` holds text where its encoded value was.
    common::damage_rows(
        &data.path().join(GRAPH_DATABASE),
        "UPDATE projects SET value = 'not a graph' WHERE name = 'odd'",
    );

    // The project row of `bad` cut in half.
    common::damage_rows(
        &data.path().join(GRAPH_DATABASE),
        "UPDATE projects SET value = substr(value, 1, length(value) / 2) WHERE name = 'bad'",
    );

    let (sup, cpg) = CpgLayer::start(config).await.unwrap();
    assert!(cpg.project("good").await.is_ok());
    for skipped in ["bad", "odd"] {
        assert_eq!(
            cpg.project(skipped).await.unwrap_err(),
            CpgError::UnknownProject(skipped.into())
        );
    }
    // The next build of `bad` builds every file again (its build state is intact, but
    // without a stored graph nothing can be reused) and stores it whole.
    let rebuilt = cpg.build("bad", dir.path()).await.unwrap();
    assert_eq!((rebuilt.rebuilt, rebuilt.reused), (4, 0));
    sup.shutdown().await;
    let (sup, cpg) = CpgLayer::start(config_of(data.path())).await.unwrap();
    let (good, bad) = (
        cpg.project("good").await.unwrap(),
        cpg.project("bad").await.unwrap(),
    );
    assert_eq!(bad.call_graph.methods, good.call_graph.methods);
    assert_eq!(cpg.build("bad", dir.path()).await.unwrap().reused, 4);
    sup.shutdown().await;
}

fn config_of(data: &Path) -> CpgConfig {
    CpgConfig {
        data_dir: Some(data.to_path_buf()),
        ..CpgConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_of_garbage_are_moved_aside_and_the_project_is_rebuilt() {
    let dir = fixture();
    let data = tempfile::tempdir().unwrap();
    let (sup, cpg) = CpgLayer::start(config_of(data.path())).await.unwrap();
    cpg.build("shop", dir.path()).await.unwrap();
    let before = cpg.project("shop").await.unwrap();
    sup.shutdown().await;

    // Both databases overwritten with bytes that are no SQLite file (the layer was shut
    // down, so their WAL was checkpointed and removed).
    let garbage: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7919 % 251) as u8).collect();
    for name in [GRAPH_DATABASE, BUILD_DATABASE] {
        assert!(!data.path().join(format!("{name}-wal")).exists());
        std::fs::write(data.path().join(name), &garbage).unwrap();
    }

    let (sup, cpg) = CpgLayer::start(config_of(data.path())).await.unwrap();
    for name in [GRAPH_DATABASE, BUILD_DATABASE] {
        let aside = std::fs::read(data.path().join(format!("{name}.corrupt"))).unwrap();
        assert_eq!(aside, garbage, "{name}");
    }
    assert_eq!(
        cpg.project("shop").await.unwrap_err(),
        CpgError::UnknownProject("shop".into())
    );
    let rebuilt = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!((rebuilt.rebuilt, rebuilt.reused), (4, 0));
    let after = cpg.project("shop").await.unwrap();
    assert_eq!(after.call_graph.methods, before.call_graph.methods);
    let sum = after.find_methods("Shop.Repo.sum/1")[0].id;
    assert_eq!(cpg.callers("shop", sum).await.unwrap().len(), 2);
    sup.shutdown().await;

    // The new databases are in use: the next layer reuses everything.
    let (sup, cpg) = CpgLayer::start(config_of(data.path())).await.unwrap();
    assert!(cpg.project("shop").await.is_ok());
    let again = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!((again.rebuilt, again.reused), (0, 4));
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_the_earlier_blob_format_are_removed_at_start() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    // What an earlier version left: graph manifests (one half-written), blob directories,
    // and build states with their model blobs.
    let earlier_files = [
        "shop.cpg.json",
        "shop.cpg.json.tmp",
        "shop.files/0123abcd.json",
        "shop.links/4567ef01.json",
        "builds/shop.build.json",
        "builds/shop.build.tmp",
        "builds/shop.models/89abcdef.json",
    ];
    for rel in earlier_files {
        write(d, rel, "{}");
    }
    // Not this layer's earlier format: left alone (a `.files` directory without its
    // manifest is not ours; the data directory may be shared).
    write(d, "notes.txt", "keep");
    write(d, "shop.json", "keep");
    write(d, "photos.files/cat.json", "keep");

    let (sup, cpg) = CpgLayer::start(config_of(d)).await.unwrap();
    for rel in earlier_files {
        assert!(!d.join(rel).exists(), "{rel} is still there");
    }
    for gone in ["shop.files", "shop.links", "builds"] {
        assert!(!d.join(gone).exists(), "{gone} is still there");
    }
    assert_eq!(
        std::fs::read_to_string(d.join("notes.txt")).unwrap(),
        "keep"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("shop.json")).unwrap(),
        "keep"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("photos.files/cat.json")).unwrap(),
        "keep"
    );
    assert!(d.join(GRAPH_DATABASE).exists() && d.join(BUILD_DATABASE).exists());
    // And the layer works from the databases.
    let dir = fixture();
    assert_eq!(cpg.build("shop", dir.path()).await.unwrap().files, 4);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_reparses_only_changed_files_and_relinks() {
    let dir = fixture();
    let (sup, cpg) = CpgLayer::start(CpgConfig::default()).await.unwrap();
    let first = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!((first.rebuilt, first.reused), (4, 0));

    // Unchanged project: nothing is parsed again, the graph is the same.
    let same = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!((same.rebuilt, same.reused, same.methods), (0, 4, 5));

    // One file changes: a new function calling into an unchanged file.
    write(
        dir.path(),
        "lib/repo.ex",
        r#"
defmodule Shop.Repo do
  def sum(xs), do: Enum.sum(xs)
  def discount(t), do: t * 0.9
  def audit(t), do: Shop.checkout(t)
end
"#,
    );
    let changed = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!(
        (changed.rebuilt, changed.reused, changed.methods),
        (1, 3, 6)
    );
    let project = cpg.project("shop").await.unwrap();
    let audit = project.find_methods("Shop.Repo.audit/1")[0].id;
    let checkout = project.find_methods("Shop.checkout/1")[0].id;
    assert_eq!(project.call_graph.callees(audit), vec![checkout]);
    assert!(project.method_graph(checkout).is_some());
    sup.shutdown().await;
}
