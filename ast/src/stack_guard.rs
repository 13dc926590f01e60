//! Keeps recursive tree walks from overflowing the thread's stack on deeply nested input.
//!
//! The extractors recurse once per nesting level of the syntax tree. Real code nests a few
//! dozen levels, but a generated or hostile file can nest thousands (5,000 nested `if`s), and
//! parse tasks run on ordinary 2 MiB threads. Every recursion point goes through
//! [`grow_if_needed`], which switches to a fresh heap-allocated stack segment when the current
//! one is nearly used up, so depth is bounded by memory, not by the thread's stack size.

/// Nesting deeper than this is not walked (its calls are not extracted and a warning says so):
/// a bound on the work and stack memory one hostile file can cost, far above real code.
pub(crate) const MAX_WALK_DEPTH: usize = 50_000;

/// Stack that must remain before a recursion step runs on the current segment. One walker
/// frame is a few hundred bytes in release builds and a few KiB in debug builds.
const RED_ZONE: usize = 128 * 1024;

/// Size of each additional stack segment.
const SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f`, on a new stack segment when less than [`RED_ZONE`] is left on the current one.
/// Exported for the layers above that walk the same trees recursively (control flow, data flow).
#[inline]
pub fn grow_if_needed<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
