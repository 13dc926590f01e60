//! Task supervisors: crashes as values, timeouts, restartable children, bounded streams.

use elixir_scope_runtime_core::{Restart, SupervisorSpec, TaskError, TaskSupervisor};
use futures::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_panicking_task_is_an_error_value_for_the_caller() {
    let tasks = TaskSupervisor::start("tasks").await.unwrap();
    let handle = tasks
        .async_nolink(async { panic!("parse failed") as u8 })
        .unwrap();
    assert_eq!(
        handle.join().await,
        Err(TaskError::Panicked("parse failed".into()))
    );
    let ok = tasks.async_nolink(async { 1 }).unwrap();
    assert_eq!(ok.join().await, Ok(1));
    tasks.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn await_with_timeout_kills_the_slow_task() {
    let tasks = TaskSupervisor::start("tasks").await.unwrap();
    let slow = tasks
        .async_nolink(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            1
        })
        .unwrap();
    assert_eq!(
        slow.join_timeout(Duration::from_millis(50)).await,
        Err(TaskError::Timeout(Duration::from_millis(50)))
    );
    tokio::time::timeout(Duration::from_secs(1), async {
        while !tasks.is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the timed-out task is killed and untracked");
    tasks.shutdown().await;
}

#[tokio::test]
async fn stopping_the_task_supervisor_kills_its_tasks() {
    let (spec, tasks) = TaskSupervisor::child_spec("tasks");
    let sup = SupervisorSpec::new("sup")
        .child(spec)
        .start()
        .await
        .unwrap();
    let stuck = tasks.async_nolink(std::future::pending::<()>()).unwrap();
    assert_eq!(tasks.len(), 1);
    sup.shutdown().await;
    assert_eq!(stuck.join().await, Err(TaskError::Killed));
    assert!(matches!(
        tasks.async_nolink(async {}),
        Err(TaskError::NotRunning(_))
    ));
}

#[tokio::test]
async fn transient_children_are_restarted_after_a_panic_only() {
    let tasks = TaskSupervisor::start("tasks").await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    tasks
        .start_child(
            move || {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                        panic!("flaky");
                    }
                }
            },
            Restart::Transient,
        )
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while runs.load(Ordering::SeqCst) < 3 || !tasks.is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("two panics, then a normal run");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    tasks.shutdown().await;
}

#[tokio::test]
async fn temporary_children_are_not_restarted() {
    let tasks = TaskSupervisor::start("tasks").await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    tasks
        .start_child(
            move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    panic!("once");
                }
            },
            Restart::Temporary,
        )
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while runs.load(Ordering::SeqCst) < 1 || !tasks.is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    tasks.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_stream_bounds_concurrency_and_keeps_input_order() {
    let tasks = TaskSupervisor::start("tasks").await.unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (f, p) = (in_flight.clone(), peak.clone());
    let results: Vec<_> = tasks
        .async_stream(0..40u64, 3, move |n| {
            let (f, p) = (f.clone(), p.clone());
            async move {
                let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                f.fetch_sub(1, Ordering::SeqCst);
                if n == 7 {
                    panic!("bad input 7");
                }
                n * 2
            }
        })
        .collect()
        .await;
    assert!(
        peak.load(Ordering::SeqCst) <= 3,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert_eq!(results.len(), 40);
    for (n, r) in results.iter().enumerate() {
        if n == 7 {
            assert_eq!(r, &Err(TaskError::Panicked("bad input 7".into())));
        } else {
            assert_eq!(r, &Ok(n as u64 * 2));
        }
    }
    tasks.shutdown().await;
}
