//! A cache prefetch hint for packet data: the worker asks for the first
//! line of every packet of a burst before it parses any of them, so the
//! burst's cache misses overlap instead of being paid one after another
//! (DPDK's l3fwd does the same with `rte_prefetch0`).
#![allow(unsafe_code)]

/// Asks the CPU to bring the cache line holding `bytes[0]` into L1.
/// A hint only: it never faults, never changes memory, and does nothing
/// for an empty slice or on targets without a prefetch instruction.
#[inline(always)]
pub fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has (it
        // is in the target's baseline features). A prefetch is a hint: it
        // does not dereference the pointer in the language's sense, cannot
        // fault even on an invalid address, and writes nothing; here the
        // pointer comes from a live slice anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(bytes.as_ptr().cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}
