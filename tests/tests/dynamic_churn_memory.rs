//! No leak: live heap returns to its baseline after 100k start/terminate cycles of dynamic
//! children. A counting global allocator measures live bytes in this test binary only.

use elixir_scope_runtime_core::{ChildSpec, Context, DynamicSupervisorSpec, Service};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Session(u64);

impl Service for Session {
    type Call = ();
    type Reply = u64;
    type Cast = ();
    type Info = ();
    async fn handle_call(&mut self, _: (), _: &mut Context<Self>) -> u64 {
        self.0
    }
}

async fn churn(dynsup: &elixir_scope_runtime_core::DynamicSupervisorRef, cycles: usize) {
    for n in 0..cycles {
        let (spec, handle) = ChildSpec::service("session", move || Session(n as u64));
        let pid = dynsup.start_child(spec).await.expect("start");
        if n % 1000 == 0 {
            assert_eq!(handle.call(()).await.expect("call"), n as u64);
        }
        dynsup.terminate_child(pid).await.expect("terminate");
    }
}

#[test]
fn live_memory_returns_to_baseline_after_100k_churn_cycles() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dynsup = DynamicSupervisorSpec::new("sessions")
            .start()
            .await
            .unwrap();
        // Warm up so lazily grown runtime structures reach their steady size.
        churn(&dynsup, 2_000).await;
        let baseline = LIVE.load(Ordering::Relaxed);
        churn(&dynsup, 100_000).await;
        let after = LIVE.load(Ordering::Relaxed);
        let growth = after - baseline;
        assert!(
            growth < 64 * 1024,
            "live heap grew by {growth} bytes over 100k cycles (baseline {baseline}, after {after})"
        );
        assert_eq!(dynsup.count_children().await.unwrap().specs, 0);
        dynsup.shutdown().await;
    });
}
