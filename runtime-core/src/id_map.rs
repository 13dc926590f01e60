//! Hash maps keyed by this crate's own sequential ids (pids, task and child keys).
//!
//! The keys are generated here, never taken from input, so the DoS resistance of the default
//! SipHash buys nothing; a multiplicative hash is a few instructions instead of a hundred per
//! lookup, and a dynamic supervisor does four lookups per child start/terminate cycle.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Fibonacci hashing of a `u64` id; spreads sequential ids over the table's high bits, which
/// hashbrown uses for its control bytes.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_get_distinct_spread_hashes() {
        let hashes: std::collections::HashSet<u64> = (0..10_000u64)
            .map(|id| {
                let mut h = IdHasher::default();
                h.write_u64(id);
                h.finish() >> 57
            })
            .collect();
        // All 128 control-byte values are used, not just one.
        assert_eq!(hashes.len(), 128);
    }
}
