//! [`Mempool`]: a packet-buffer pool (`rte_pktmbuf_pool_create`).

use std::ptr::NonNull;
use std::sync::Arc;

use silkroute_dpdk_sys as sys;

use crate::eal::{unique_name, Eal};
use crate::error::{last_errno, strerror, DpdkError};
use crate::mbuf::Mbuf;

/// Bytes every mbuf reserves before the data (`RTE_PKTMBUF_HEADROOM`).
pub const HEADROOM: u16 = sys::RTE_PKTMBUF_HEADROOM as u16;

/// Largest per-lcore cache DPDK allows.
const CACHE_MAX: u32 = sys::RTE_MEMPOOL_CACHE_MAX_SIZE;

/// Per-lcore cache wanted: 256 mbufs (eight bursts) lets a worker receive,
/// forward and free several bursts without touching the shared ring.
const CACHE_WANTED: u32 = 256;

/// What a pool is created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Number of mbufs (DPDK's ring is fastest at 2^k - 1).
    pub mbufs: u32,
    /// Data room per mbuf, headroom included.
    pub data_room: u16,
    /// NUMA socket (`-1`: any).
    pub socket: i32,
}

/// The per-lcore cache for a pool of `mbufs`: [`CACHE_WANTED`], at most
/// what DPDK accepts (`cache * 1.5 <= n`, `cache <= RTE_MEMPOOL_CACHE_MAX_SIZE`).
pub fn cache_size(mbufs: u32) -> u32 {
    CACHE_WANTED.min(CACHE_MAX).min(mbufs / 3 * 2)
}

/// Data room (headroom included) for frames of an IP `mtu`: the Ethernet
/// header, two VLAN tags and the CRC on top, and never below DPDK's
/// default 2048-byte room (what most drivers expect).
pub fn data_room_for_mtu(mtu: u16) -> u16 {
    const L2_OVERHEAD: u32 = 14 + 2 * 4 + 4;
    let frame = (u32::from(mtu) + L2_OVERHEAD).max(2048);
    u16::try_from(frame + u32::from(HEADROOM)).unwrap_or(u16::MAX)
}

/// A pool of packet mbufs; freed (`rte_mempool_free`) when the last
/// handle goes, which is after every port that receives into it.
#[derive(Debug)]
pub struct Mempool {
    mp: NonNull<sys::rte_mempool>,
    mbufs: u32,
    _eal: Arc<Eal>,
}

// SAFETY: rte_mempool get/put are thread-safe (per-lcore caches are used
// only by the lcore owning them, the shared ring is multi-producer and
// multi-consumer); the pointer is only freed on drop, when no handle is left.
unsafe impl Send for Mempool {}
// SAFETY: as above; &Mempool only allocates and reads counts.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// Creates a pool of `cfg.mbufs` mbufs with `cfg.data_room` bytes each.
    pub fn create(eal: &Arc<Eal>, cfg: MempoolConfig) -> Result<Arc<Mempool>, DpdkError> {
        let name = unique_name("mb");
        // SAFETY: name is NUL-terminated and only read during the call; the
        // EAL is initialised (we hold it).
        let raw = unsafe {
            sys::rte_pktmbuf_pool_create(
                name.as_ptr(),
                cfg.mbufs,
                cache_size(cfg.mbufs),
                0,
                cfg.data_room,
                cfg.socket,
            )
        };
        let mp = NonNull::new(raw).ok_or_else(|| {
            let errno = last_errno();
            DpdkError::MempoolCreate {
                mbufs: cfg.mbufs,
                data_room: cfg.data_room,
                errno,
                reason: strerror(errno),
            }
        })?;
        Ok(Arc::new(Mempool {
            mp,
            mbufs: cfg.mbufs,
            _eal: Arc::clone(eal),
        }))
    }

    /// An empty mbuf (data length 0, headroom reserved), or `None` when
    /// the pool is exhausted.
    #[inline]
    pub fn alloc(&self) -> Option<Mbuf> {
        // SAFETY: mp is a valid pool for as long as self lives.
        let m = unsafe { sys::silkroute_shim_rte_pktmbuf_alloc(self.mp.as_ptr()) };
        // SAFETY: a non-NULL result is a fresh mbuf nobody else owns.
        NonNull::new(m).map(|m| unsafe { Mbuf::from_raw(m) })
    }

    /// The pool, for `rte_eth_rx_queue_setup`.
    pub(crate) fn as_ptr(&self) -> *mut sys::rte_mempool {
        self.mp.as_ptr()
    }

    /// Mbufs the pool was created with.
    pub fn size(&self) -> u32 {
        self.mbufs
    }

    /// Mbufs in the pool now (caches included): a gauge for leaks and
    /// sizing.
    pub fn available(&self) -> u32 {
        // SAFETY: mp is valid; the call only reads counters.
        unsafe { sys::rte_mempool_avail_count(self.mp.as_ptr()) }
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        // SAFETY: the last handle is going; ports that received into this
        // pool hold a handle, so they were closed before.
        unsafe { sys::rte_mempool_free(self.mp.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_fits_dpdk_limits() {
        assert_eq!(cache_size(8191), 256);
        assert_eq!(cache_size(300), 200);
        assert!(cache_size(300) as f64 * 1.5 <= 300.0);
    }

    #[test]
    fn data_room_grows_with_jumbo_mtu() {
        assert_eq!(data_room_for_mtu(1500), 2048 + 128);
        assert_eq!(data_room_for_mtu(9000), 9000 + 26 + 128);
        assert_eq!(data_room_for_mtu(u16::MAX), u16::MAX);
    }
}
