//! A counting global allocator: live heap bytes, to show whether churn leaks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Live heap blocks (allocations not yet freed), next to `LIVE` so counting both touches one
/// cache line.
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

/// Wraps the system allocator and keeps a running total of live bytes.
pub struct Counting;

// SAFETY: every method forwards to `System` with the caller's layout unchanged; the counter is
// bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

/// Live heap bytes right now.
pub fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Live heap bytes and blocks at one moment, to report what each spawned service keeps.
#[derive(Clone, Copy)]
pub struct HeapMark {
    pub bytes: isize,
    pub blocks: isize,
}

/// The live heap now.
pub fn heap_mark() -> HeapMark {
    HeapMark {
        bytes: LIVE.load(Ordering::Relaxed),
        blocks: BLOCKS.load(Ordering::Relaxed),
    }
}
