//! Cache prefetch hint, the only `unsafe` in the crate.
//!
//! The batch lookup issues the memory reads of one stage for a whole burst
//! before it uses any of them; a prefetch starts each miss without waiting
//! for it (see the measured gain in the `lpm4` module docs).

#![allow(unsafe_code)]

/// Hints the CPU to pull the cache line holding `r` into L1.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only needs SSE, which every x86_64 CPU has; a
    // prefetch never faults nor changes memory, and the pointer comes
    // from a live reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (r as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
