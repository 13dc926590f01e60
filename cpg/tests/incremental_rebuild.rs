//! An incremental rebuild (only changed files parsed, only affected files' calls resolved
//! again) gives the same answers as a full build of the same tree: call graph, callers,
//! callees, reachability, paths, control flow, def-use and exports, after files and modules
//! are added, edited, renamed and removed. Persisted, the incremental graph restores after a
//! restart, and a crash between writing blobs and the manifest leaves the previous graph.

use std::path::Path;

use elixir_scope_cpg::{CpgClient, CpgConfig, CpgLayer, MethodId};

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

/// Copies the tree `from` into `to`, replacing files of the same name and keeping others.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_manifest_is_renamed_leaves_the_previous_graph() {
    let dir = fixture();
    let data = tempfile::tempdir().unwrap();
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    cpg.build("shop", dir.path()).await.unwrap();
    let old = answers(&cpg, "shop").await;
    sup.shutdown().await;
    // What is on disk after the first build.
    let saved = tempfile::tempdir().unwrap();
    copy_tree(data.path(), saved.path());

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
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    cpg.build("shop", dir.path()).await.unwrap();
    let new = answers(&cpg, "shop").await;
    assert_ne!(old, new);
    sup.shutdown().await;

    // The state a crash after the new blobs but before the manifest's rename leaves: every
    // blob of both builds, the previous manifests (the build state is committed after the
    // graphs), and a half-written temporary manifest.
    copy_tree(saved.path(), data.path());
    let manifest = std::fs::read(data.path().join("shop.cpg.json")).unwrap();
    std::fs::write(
        data.path().join("shop.cpg.json.tmp"),
        &manifest[..manifest.len() / 3],
    )
    .unwrap();
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert_eq!(answers(&cpg, "shop").await, old);
    // Blobs no manifest names were collected.
    let links = std::fs::read_dir(data.path().join("shop.links"))
        .unwrap()
        .count();
    assert_eq!(links, 6);
    sup.shutdown().await;

    // A corrupt call graph part costs the project a rebuild, which gives the new graph.
    let part = std::fs::read_dir(data.path().join("shop.links"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&part, b"{\"path\": trunc").unwrap();
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert!(cpg.project("shop").await.is_err());
    let rebuilt = cpg.build("shop", dir.path()).await.unwrap();
    assert_eq!(rebuilt.relinked, rebuilt.files);
    assert_eq!(answers(&cpg, "shop").await, new);
    sup.shutdown().await;
}
