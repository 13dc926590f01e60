//! Per-project build supervision and storage faults during builds: two projects build at
//! the same time, a panicking build of one project leaves the other alone, CpgStorage
//! crashing (a real panic) while builds run loses neither the persisted graphs nor the
//! builds, and the incremental state survives restarts of the builder and of the layer.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use elixir_scope_cpg::{
    build_file, CpgClient, CpgConfig, CpgError, CpgLayer, FileBuilder, OrchestratorCall,
    OrchestratorReply, ProjectBuildCast, StorageCall, StorageReply, BUILD_DATABASE, GRAPH_DATABASE,
};
use elixir_scope_runtime_core::CallError;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Every wait in these tests is for an event; this only bounds a broken run.
const LIMIT: Duration = Duration::from_secs(20);

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project `name` (a lowercase word) with a module calling into a second, "slow" file.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let module = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
    write(
        dir.path(),
        &format!("lib/{name}.ex"),
        &format!("defmodule {module} do\n  def run(x), do: {module}.Slow.work(x)\nend\n"),
    );
    write(
        dir.path(),
        &format!("lib/{name}_slow.ex"),
        &format!("defmodule {module}.Slow do\n  def work(x), do: x + 1\nend\n"),
    );
    dir
}

/// A latch the file builder blocks on (file tasks run on runtime threads, so the tests
/// use enough worker threads for the blocked ones).
#[derive(Default)]
struct Latch {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Latch {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }

    /// Whether it opened within the limit.
    fn wait(&self) -> bool {
        let guard = self.open.lock().unwrap();
        let (_guard, waited) = self
            .changed
            .wait_timeout_while(guard, LIMIT, |open| !*open)
            .unwrap();
        !waited.timed_out()
    }
}

/// A file builder that, while armed, reports each `*_slow.ex` file it starts on `entered`
/// and then waits for `latch`.
struct Gated {
    armed: Arc<AtomicBool>,
    latch: Arc<Latch>,
    entered: mpsc::UnboundedReceiver<String>,
    builder: FileBuilder,
}

fn gated() -> Gated {
    let armed = Arc::new(AtomicBool::new(false));
    let latch = Arc::new(Latch::default());
    let (tx, entered) = mpsc::unbounded_channel();
    let builder: FileBuilder = {
        let (armed, latch) = (armed.clone(), latch.clone());
        Arc::new(move |parsed, options| {
            let path = &parsed.model.path;
            if path.ends_with("_slow.ex") && armed.load(Ordering::SeqCst) {
                let _ = tx.send(path.clone());
                assert!(latch.wait(), "latch for {path} never opened");
            }
            build_file(parsed, options)
        })
    };
    Gated {
        armed,
        latch,
        entered,
        builder,
    }
}

async fn next_entered(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    timeout(LIMIT, rx.recv())
        .await
        .expect("a gated file build started")
        .expect("builder alive")
}

fn persistent(data: &Path) -> CpgConfig {
    CpgConfig {
        data_dir: Some(data.to_path_buf()),
        ..CpgConfig::default()
    }
}

async fn method_names(cpg: &CpgClient, project: &str) -> Vec<String> {
    let p = cpg.project(project).await.unwrap();
    let mut names: Vec<String> = p
        .call_graph
        .methods
        .iter()
        .map(|m| m.display_name())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storage_crashing_during_builds_comes_back_with_persisted_graphs_and_builds_finish() {
    let (a, b, data) = (
        project("alpha"),
        project("beta"),
        tempfile::tempdir().unwrap(),
    );
    let mut gate = gated();
    let (sup, cpg) = CpgLayer::start_with_builder(persistent(data.path()), gate.builder.clone())
        .await
        .unwrap();
    cpg.build("alpha", a.path()).await.unwrap();
    let persisted = method_names(&cpg, "alpha").await;
    assert_eq!(persisted, vec!["Alpha.Slow.work/1", "Alpha.run/1"]);

    // A's slow file changes, so its rebuild parses it again and blocks on the latch; B is
    // new and blocks the same way. Both builds are in flight when storage crashes.
    write(
        a.path(),
        "lib/alpha_slow.ex",
        "defmodule Alpha.Slow do\n  def work(x), do: x + 1\n  def more(x), do: work(x)\nend\n",
    );
    gate.armed.store(true, Ordering::SeqCst);
    let build_a = tokio::spawn({
        let (cpg, root) = (cpg.clone(), a.path().to_path_buf());
        async move { cpg.build("alpha", &root).await }
    });
    let build_b = tokio::spawn({
        let (cpg, root) = (cpg.clone(), b.path().to_path_buf());
        async move { cpg.build("beta", &root).await }
    });
    let mut started = vec![
        next_entered(&mut gate.entered).await,
        next_entered(&mut gate.entered).await,
    ];
    started.sort();
    assert_eq!(started, vec!["lib/alpha_slow.ex", "lib/beta_slow.ex"]);

    let old_pid = cpg.storage().pid().unwrap();
    let crash = cpg.storage().call(StorageCall::Crash).await;
    assert!(matches!(crash, Err(CallError::Crashed { .. })), "{crash:?}");
    // The next incarnation loaded A's persisted graph; A's rebuild is still running.
    assert_eq!(method_names(&cpg, "alpha").await, persisted);
    assert_ne!(cpg.storage().pid(), Some(old_pid));
    assert!(!build_a.is_finished() && !build_b.is_finished());

    gate.latch.open();
    let report_a = timeout(LIMIT, build_a).await.unwrap().unwrap().unwrap();
    let report_b = timeout(LIMIT, build_b).await.unwrap().unwrap().unwrap();
    assert_eq!((report_a.rebuilt, report_a.reused), (1, 1));
    assert_eq!((report_b.files, report_b.methods), (2, 2));
    assert!(report_a.failures.is_empty() && report_b.failures.is_empty());
    assert_eq!(
        method_names(&cpg, "alpha").await,
        vec!["Alpha.Slow.more/1", "Alpha.Slow.work/1", "Alpha.run/1"]
    );

    // Both builds reached the disk through the new incarnation: a second crash loses none.
    let crash = cpg.storage().call(StorageCall::Crash).await;
    assert!(crash.is_err());
    assert_eq!(
        method_names(&cpg, "beta").await,
        vec!["Beta.Slow.work/1", "Beta.run/1"]
    );
    assert_eq!(method_names(&cpg, "alpha").await.len(), 3);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_lost_to_a_storage_crash_is_retried_on_the_next_incarnation() {
    let (a, data) = (project("alpha"), tempfile::tempdir().unwrap());
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    let old_pid = cpg.storage().pid().unwrap();
    let armed = cpg.storage().call(StorageCall::CrashOnNextPut).await;
    assert!(matches!(armed, Ok(Ok(StorageReply::Stored))));

    // Storage panics handling the build's Put; the builder sends it again and succeeds.
    let report = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!(report.files, 2);
    assert_ne!(cpg.storage().pid(), Some(old_pid));
    assert_eq!(method_names(&cpg, "alpha").await.len(), 2);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_projects_build_at_the_same_time() {
    let (a, b) = (project("alpha"), project("beta"));
    // Each project's slow file waits until the other project's has started: a run that
    // built one project after the other would time out here and fail both files.
    let (alpha_started, beta_started) = (Arc::new(Latch::default()), Arc::new(Latch::default()));
    let builder: FileBuilder = {
        let (alpha_started, beta_started) = (alpha_started.clone(), beta_started.clone());
        Arc::new(move |parsed, options| {
            match parsed.model.path.as_str() {
                "lib/alpha_slow.ex" => {
                    alpha_started.open();
                    assert!(beta_started.wait(), "beta never started while alpha ran");
                }
                "lib/beta_slow.ex" => {
                    beta_started.open();
                    assert!(alpha_started.wait(), "alpha never started while beta ran");
                }
                _ => {}
            }
            build_file(parsed, options)
        })
    };
    let (sup, cpg) = CpgLayer::start_with_builder(CpgConfig::default(), builder)
        .await
        .unwrap();
    let (ra, rb) = tokio::join!(cpg.build("alpha", a.path()), cpg.build("beta", b.path()));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.failures.is_empty(), "{:?}", ra.failures);
    assert!(rb.failures.is_empty(), "{:?}", rb.failures);
    assert_eq!((ra.methods, rb.methods), (2, 2));

    // One build supervisor per project.
    let children = cpg.project_builds().which_children().await.unwrap();
    let mut ids: Vec<String> = children.iter().map(|c| c.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, vec!["project:alpha", "project:beta"]);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_build_of_one_project_leaves_the_other_alone() {
    let (a, b) = (project("alpha"), project("beta"));
    let mut gate = gated();
    let (sup, cpg) = CpgLayer::start_with_builder(CpgConfig::default(), gate.builder.clone())
        .await
        .unwrap();
    cpg.build("alpha", a.path()).await.unwrap();
    cpg.build("beta", b.path()).await.unwrap();
    let alpha = cpg.project_builder("alpha").await.unwrap();
    let beta = cpg.project_builder("beta").await.unwrap();
    let (alpha_pid, beta_pid) = (alpha.pid().unwrap(), beta.pid().unwrap());

    // B rebuilds (blocked in its file task) while A's build panics.
    write(
        b.path(),
        "lib/beta_slow.ex",
        "defmodule Beta.Slow do\n  def work(x), do: x\nend\n",
    );
    gate.armed.store(true, Ordering::SeqCst);
    let build_b = tokio::spawn({
        let (cpg, root) = (cpg.clone(), b.path().to_path_buf());
        async move { cpg.build("beta", &root).await }
    });
    assert_eq!(next_entered(&mut gate.entered).await, "lib/beta_slow.ex");
    gate.armed.store(false, Ordering::SeqCst);
    alpha.cast(ProjectBuildCast::PanicNextBuild).unwrap();
    let failed = cpg.build("alpha", a.path()).await.unwrap_err();
    assert!(
        matches!(failed, CpgError::Unavailable("cpg_project_builder", _)),
        "{failed:?}"
    );

    gate.latch.open();
    let report_b = timeout(LIMIT, build_b).await.unwrap().unwrap().unwrap();
    assert_eq!((report_b.rebuilt, report_b.reused), (1, 1));
    assert_eq!(
        beta.pid(),
        Some(beta_pid),
        "beta's builder was not restarted"
    );

    // A's builder came back (a new incarnation, same handle) and its state survived the
    // crash: nothing changed, so nothing is rebuilt.
    let again = cpg.build("alpha", a.path()).await.unwrap();
    assert_ne!(alpha.pid(), Some(alpha_pid));
    assert_eq!((again.rebuilt, again.reused), (0, 2));
    assert_eq!(method_names(&cpg, "alpha").await.len(), 2);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_layer_rebuilds_only_files_changed_since_the_last_build() {
    let (a, data) = (project("alpha"), tempfile::tempdir().unwrap());
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    let first = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!((first.rebuilt, first.reused), (2, 0));
    sup.shutdown().await;

    // A new layer (as after a process restart) over the same data directory.
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    let same = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!((same.rebuilt, same.reused, same.methods), (0, 2, 2));
    sup.shutdown().await;

    write(
        a.path(),
        "lib/alpha.ex",
        "defmodule Alpha do\n  def run(x), do: Alpha.Slow.work(x)\n  def twice(x), do: run(run(x))\nend\n",
    );
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    let changed = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!(
        (changed.rebuilt, changed.reused, changed.methods),
        (1, 1, 3)
    );
    let p = cpg.project("alpha").await.unwrap();
    let twice = p.find_methods("Alpha.twice/1")[0].id;
    let run = p.find_methods("Alpha.run/1")[0].id;
    assert_eq!(p.call_graph.callees(twice), vec![run]);
    sup.shutdown().await;
    // One row per file: the changed file's graph and model were replaced, not added.
    let (graphs, builds) = (
        data.path().join(GRAPH_DATABASE),
        data.path().join(BUILD_DATABASE),
    );
    let files = "SELECT count(*) FROM file_graphs WHERE project = 'alpha'";
    assert_eq!(common::count_rows(&graphs, files), 2);
    let models = "SELECT count(*) FROM models WHERE project = 'alpha'";
    assert_eq!(common::count_rows(&builds, models), 2);

    // A corrupt state costs one full rebuild, not an error.
    common::damage_rows(
        &builds,
        "UPDATE builds SET value = substr(value, 1, length(value) / 2) WHERE project = 'alpha'",
    );
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    let full = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!((full.rebuilt, full.reused, full.methods), (2, 0, 3));
    assert!(full.failures.is_empty());
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_whose_builds_keep_crashing_is_restarted_whole_and_others_go_on() {
    let (a, b) = (project("alpha"), project("beta"));
    let (sup, cpg) = CpgLayer::start(CpgConfig::default()).await.unwrap();
    cpg.build("beta", b.path()).await.unwrap();
    let beta = cpg.project_builder("beta").await.unwrap();
    let beta_pid = beta.pid().unwrap();

    // More crashes than the project supervisor's intensity (3 in 5 s): it gives up, and
    // project_builds starts it again.
    cpg.build("alpha", a.path()).await.unwrap();
    for _ in 0..4 {
        cpg.project_builder("alpha")
            .await
            .unwrap()
            .cast(ProjectBuildCast::PanicNextBuild)
            .unwrap();
        assert!(cpg.build("alpha", a.path()).await.is_err());
    }
    // The next build is served by the new project supervisor, whose state started empty
    // (in memory only here): everything is built again. Beta's builder was never touched.
    let report = timeout(LIMIT, cpg.build("alpha", a.path()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.methods, report.rebuilt, report.reused), (2, 2, 0));
    assert_eq!(beta.pid(), Some(beta_pid));
    assert_eq!(cpg.build("beta", b.path()).await.unwrap().reused, 2);
    let children = cpg.project_builds().which_children().await.unwrap();
    assert_eq!(children.len(), 2);
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_graph_row_costs_that_project_a_rebuild() {
    let (a, b, data) = (
        project("alpha"),
        project("beta"),
        tempfile::tempdir().unwrap(),
    );
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    cpg.build("alpha", a.path()).await.unwrap();
    cpg.build("beta", b.path()).await.unwrap();
    sup.shutdown().await;

    common::damage_rows(
        &data.path().join(GRAPH_DATABASE),
        "UPDATE file_graphs SET value = CAST('{\"path\": truncated' AS BLOB) \
         WHERE project = 'alpha' AND path = 'lib/alpha_slow.ex'",
    );

    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert_eq!(
        cpg.project("alpha").await.unwrap_err(),
        CpgError::UnknownProject("alpha".into())
    );
    assert_eq!(method_names(&cpg, "beta").await.len(), 2);
    // The state still knows alpha's hashes, but without stored graphs nothing is reused.
    let rebuilt = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!(
        (rebuilt.rebuilt, rebuilt.reused, rebuilt.methods),
        (2, 0, 2)
    );
    sup.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_orchestrator_stops_its_predecessors_builds_and_starts_afresh() {
    let (a, b, data) = (
        project("alpha"),
        project("beta"),
        tempfile::tempdir().unwrap(),
    );
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    cpg.build("alpha", a.path()).await.unwrap();
    cpg.build("beta", b.path()).await.unwrap();
    assert_eq!(
        cpg.project_builds().which_children().await.unwrap().len(),
        2
    );
    let storage_pid = cpg.storage().pid();

    let crash = cpg.orchestrator().call(OrchestratorCall::Crash).await;
    assert!(matches!(crash, Err(CallError::Crashed { .. })), "{crash:?}");
    // Served once the new incarnation has started: it knows no project, and the project
    // supervisors of the old one are gone.
    let projects = cpg.orchestrator().call(OrchestratorCall::Projects).await;
    assert!(matches!(projects, Ok(Ok(OrchestratorReply::Projects(p))) if p.is_empty()));
    assert!(cpg
        .project_builds()
        .which_children()
        .await
        .unwrap()
        .is_empty());

    // Storage was not touched; the persisted build state makes the next build incremental.
    assert_eq!(cpg.storage().pid(), storage_pid);
    let again = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!((again.rebuilt, again.reused), (0, 2));
    sup.shutdown().await;
}

/// Sets the modification time of the project's files to one fixed instant in 2020, as for a
/// checkout made well before the build.
fn age(root: &Path) {
    let past = std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    for rel in ["lib/alpha.ex", "lib/alpha_slow.ex"] {
        let file = std::fs::File::options()
            .write(true)
            .open(root.join(rel))
            .unwrap();
        file.set_modified(past).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_with_an_old_unchanged_stamp_are_reused_without_reading_and_edits_are_seen() {
    let (a, data) = (project("alpha"), tempfile::tempdir().unwrap());
    age(a.path());
    let (sup, cpg) = CpgLayer::start(persistent(data.path())).await.unwrap();
    assert_eq!(cpg.build("alpha", a.path()).await.unwrap().rebuilt, 2);

    // An edit of the same size: the modification time moves, so the file is read again.
    let slow = a.path().join("lib/alpha_slow.ex");
    let text = std::fs::read_to_string(&slow).unwrap();
    std::fs::write(&slow, text.replace("x + 1", "x + 2")).unwrap();
    let edited = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!((edited.rebuilt, edited.reused), (1, 1));

    // The stamp alone decides for old files: same size and a restored modification time
    // are taken as unchanged without reading (as make does), which shows no read happened.
    age(a.path());
    cpg.build("alpha", a.path()).await.unwrap();
    std::fs::write(&slow, text.replace("x + 1", "x + 3")).unwrap();
    age(a.path());
    let stamped = cpg.build("alpha", a.path()).await.unwrap();
    assert_eq!((stamped.rebuilt, stamped.reused), (0, 2));
    sup.shutdown().await;
}
