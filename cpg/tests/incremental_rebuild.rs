//! An incremental rebuild (only changed files parsed, only affected files' calls resolved
//! again) gives the same answers as a full build of the same tree: call graph, callers,
//! callees, reachability, paths, control flow, def-use and exports, after files and modules
//! are added, edited, renamed and removed. Persisted, the incremental graph restores after a
//! restart, and a crash of storage in the middle of storing a graph leaves the previous one.

mod common;

use std::path::Path;

use elixir_scope_cpg::{
    CpgClient, CpgConfig, CpgLayer, MethodId, StorageCall, StorageReply, GRAPH_DATABASE,
};
use elixir_scope_runtime_core::CallError;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn persistent(data: &Path) -> CpgConfig {
    CpgConfig {
        data_dir: Some(data.to_path_buf()),
        ..CpgConfig::default()
    }
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "lib/shop.ex",
        "defmodule Shop do\n  alias Shop.Repo\n  def checkout(cart) do\n    total = Repo.sum(cart)\n    if total > 100, do: Repo.discount(total), else: total\n  end\nend\n",
    );
    write(
        dir.path(),
        "lib/repo.ex",
        "defmodule Shop.Repo do\n  def sum(xs), do: Enum.sum(xs)\n  def discount(t), do: t * 0.9\nend\n",
    );
    write(
        dir.path(),
        "lib/report.ex",
        "defmodule Shop.Report do\n  import Shop.Repo, only: [sum: 1]\n  def run(xs), do: sum(xs) |> Shop.checkout()\nend\n",
    );
    write(
        dir.path(),
        "lib/unrelated.ex",
        "defmodule Unrelated do\n  def alone(x), do: Enum.map(x, &to_string/1)\nend\n",
    );
    write(
        dir.path(),
        "native/src/lib.rs",
        "mod util;\npub fn add(a: u32, b: u32) -> u32 { let c = util::twice(a) + b; c }\n",
    );
    write(
        dir.path(),
        "native/src/util.rs",
        "pub fn twice(x: u32) -> u32 { x * 2 }\n",
    );
    dir
}

/// Every query's answer for every method of `project`, as comparable text.
async fn answers(cpg: &CpgClient, project: &str) -> Vec<String> {
    let p = cpg.project(project).await.unwrap();
    let ids: Vec<MethodId> = p.call_graph.methods.iter().map(|m| m.id).collect();
    let mut out = vec![
        format!("{:?}", p.call_graph),
        cpg.export_json(project).await.unwrap(),
        cpg.export_dot(project, None).await.unwrap(),
    ];
    for &id in &ids {
        out.push(format!("{:?}", cpg.callers(project, id).await.unwrap()));
        out.push(format!("{:?}", cpg.callees(project, id).await.unwrap()));
        out.push(format!("{:?}", cpg.reachable(project, id).await.unwrap()));
        out.push(format!("{:?}", cpg.method_graph(project, id).await.ok()));
        out.push(format!("{:?}", cpg.def_use(project, id).await.ok()));
        out.push(format!(
            "{:?}",
            cpg.export_dot(project, Some(id)).await.ok()
        ));
        for &to in &ids {
            out.push(format!(
                "{:?}",
                cpg.paths(project, id, to, 5).await.unwrap()
            ));
        }
    }
    out
}

/// Rebuilds `inc` incrementally and builds the same tree from scratch as `fresh`; both
/// must answer alike. Returns how many files the incremental link resolved again.
async fn check_against_full_build(cpg: &CpgClient, root: &Path, fresh: &str) -> usize {
    let report = cpg.build("inc", root).await.unwrap();
    let full = cpg.build(fresh, root).await.unwrap();
    assert_eq!(full.relinked, full.files);
    assert_eq!(
        (report.files, report.methods, report.call_sites),
        (full.files, full.methods, full.call_sites)
    );
    assert_eq!(
        answers(cpg, "inc").await,
        answers(cpg, fresh).await,
        "{fresh}"
    );
    report.relinked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_rebuilds_answer_like_full_builds_and_restore_after_a_restart() {
    let dir = fixture();
    let data = tempfile::tempdir().unwrap();
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    let first = cpg.build("inc", dir.path()).await.unwrap();
    assert_eq!((first.files, first.relinked), (6, 6));

    // A Rust-only edit: no Elixir file looks up a Rust name, so only the Rust file that
    // calls into it is resolved again with it.
    write(
        dir.path(),
        "native/src/util.rs",
        "pub fn twice(x: u32) -> u32 { x * 2 }\npub fn thrice(x: u32) -> u32 { twice(x) + x }\n",
    );
    assert_eq!(check_against_full_build(&cpg, dir.path(), "full1").await, 2);

    // A new module that an edited file starts calling.
    write(
        dir.path(),
        "lib/extra.ex",
        "defmodule Shop.Extra do\n  def fee(t), do: Shop.Repo.discount(t) + 1\nend\n",
    );
    write(
        dir.path(),
        "lib/unrelated.ex",
        "defmodule Unrelated do\n  def alone(x), do: Shop.Extra.fee(x)\nend\n",
    );
    let relinked = check_against_full_build(&cpg, dir.path(), "full2").await;
    assert!(relinked < 7, "{relinked}");

    // A module renamed: its callers' calls become unresolved, then a new file defines the
    // old name again, elsewhere.
    write(
        dir.path(),
        "lib/repo.ex",
        "defmodule Shop.Store do\n  def sum(xs), do: Enum.sum(xs)\n  def discount(t), do: t * 0.9\nend\n",
    );
    check_against_full_build(&cpg, dir.path(), "full3").await;
    write(
        dir.path(),
        "lib/a_repo.ex",
        "defmodule Shop.Repo do\n  def sum(xs), do: xs\n  def discount(t, _), do: t\nend\n",
    );
    check_against_full_build(&cpg, dir.path(), "full4").await;

    // A file removed, and one moved to another path (numbering of every later method
    // shifts).
    std::fs::remove_file(dir.path().join("lib/extra.ex")).unwrap();
    std::fs::rename(
        dir.path().join("lib/report.ex"),
        dir.path().join("lib/0_report.ex"),
    )
    .unwrap();
    check_against_full_build(&cpg, dir.path(), "full5").await;
    let before_restart = answers(&cpg, "inc").await;
    sup.shutdown().await;

    // A new layer over the same data directory: the graph restored from the per-file parts
    // answers the same, and an unchanged tree needs no parse and no resolution.
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert_eq!(answers(&cpg, "inc").await, before_restart);
    let again = cpg.build("inc", dir.path()).await.unwrap();
    assert_eq!((again.rebuilt, again.relinked), (0, 0));
    assert_eq!(answers(&cpg, "inc").await, before_restart);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_crash_in_the_middle_of_a_store_leaves_the_previous_graph() {
    let dir = fixture();
    let data = tempfile::tempdir().unwrap();
    let graphs = data.path().join(GRAPH_DATABASE);
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    cpg.build("shop", dir.path()).await.unwrap();
    let old = answers(&cpg, "shop").await;

    write(
        dir.path(),
        "lib/repo.ex",
        "defmodule Shop.Repo do\n  def sum(xs), do: Enum.sum(xs)\n  def discount(t), do: Shop.Extra.cut(t)\nend\n",
    );
    write(
        dir.path(),
        "lib/extra.ex",
        "defmodule Shop.Extra do\n  def cut(t), do: t\nend\n",
    );
    // The changed tree's graph, built under another name, then stored as `shop` by hand
    // (a build would send it again to the restarted storage).
    cpg.build("next", dir.path()).await.unwrap();
    let new = answers(&cpg, "next").await;
    assert_ne!(old, new);
    let next = cpg.project("next").await.unwrap();
    let reply = cpg.storage().call(StorageCall::CrashMidNextStore).await;
    assert!(matches!(reply, Ok(Ok(StorageReply::Stored))), "{reply:?}");
    let put = cpg
        .storage()
        .call(StorageCall::Put {
            project: "shop".into(),
            cpg: next,
        })
        .await;
    // The panic hit after the new file graphs were written, inside the transaction.
    assert!(matches!(put, Err(CallError::Crashed { .. })), "{put:?}");

    // The restarted storage loaded the previous graph: none of the new rows committed.
    assert_eq!(answers(&cpg, "shop").await, old);
    let extra = "SELECT count(*) FROM file_graphs WHERE project = 'shop' AND path = 'lib/extra.ex'";
    assert_eq!(common::count_rows(&graphs, extra), 0);

    // A build stores the new graph, which a new layer loads.
    cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!(answers(&cpg, "shop").await, new);
    sup.shutdown().await;
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert_eq!(answers(&cpg, "shop").await, new);
    assert_eq!(common::count_rows(&graphs, extra), 1);
    sup.shutdown().await;

    // A damaged call graph part costs the project a rebuild, which gives the new graph.
    common::damage_rows(
        &graphs,
        "UPDATE file_links SET value = CAST('{\"path\": trunc' AS BLOB) \
         WHERE project = 'shop' AND path = 'lib/repo.ex'",
    );
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert!(cpg.project("shop").await.is_err());
    assert_eq!(answers(&cpg, "next").await, new);
    let rebuilt = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!(rebuilt.relinked, rebuilt.files);
    assert_eq!(answers(&cpg, "shop").await, new);
    sup.shutdown().await;
}
