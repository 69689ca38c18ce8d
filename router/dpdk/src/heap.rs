//! How many bytes the DPDK heap has handed out, summed over its sockets.

/// Bytes allocated from DPDK's malloc heaps (memzones included), all sockets.
pub(crate) fn allocated_bytes() -> usize {
    // SAFETY: no arguments; valid once the EAL is initialised, which every
    // caller (table builders holding an `&Eal`) guarantees.
    let sockets = unsafe { silkroute_dpdk_sys::rte_socket_count() };
    let mut total = 0;
    for idx in 0..sockets {
        // SAFETY: idx < rte_socket_count(), as the call requires.
        let socket = unsafe { silkroute_dpdk_sys::rte_socket_id_by_idx(idx) };
        let mut stats = silkroute_dpdk_sys::rte_malloc_socket_stats::default();
        // SAFETY: `stats` is a valid, writable rte_malloc_socket_stats; an
        // unknown socket returns -1 without writing.
        if unsafe { silkroute_dpdk_sys::rte_malloc_get_socket_stats(socket, &mut stats) } == 0 {
            total += stats.heap_allocsz_bytes;
        }
    }
    total
}
