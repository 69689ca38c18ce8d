//! [`Mbuf`]: one owned, single-segment packet buffer from a DPDK mempool.
//!
//! The accessors read `rte_mbuf` fields directly (`buf_addr`, `data_off`,
//! `data_len`, `buf_len`, `nb_segs`), so the per-packet path makes no FFI
//! call; only freeing goes through DPDK (`rte_pktmbuf_free`).

use std::ptr::NonNull;

use silkroute_dpdk_sys as sys;

/// An mbuf this handle owns alone: freed to its mempool on drop, or given
/// to a transmit queue (which frees it after sending).
///
/// Only the first segment is addressed: [`Mbuf::data`] is the first
/// segment's bytes. Receive paths check [`Mbuf::is_contiguous`] and drop
/// chained mbufs (silkroute configures no scatter and sizes mbufs for the
/// MTU, so a chain is a device's oversize frame).
#[derive(Debug)]
pub struct Mbuf(NonNull<sys::rte_mbuf>);

// SAFETY: an Mbuf is the only handle on its mbuf (created from a fresh
// allocation or a receive burst, consumed by a transmit burst or freed on
// drop), and mempool put/get are safe from any thread (without an lcore
// cache they go straight to the pool's lock-free ring).
unsafe impl Send for Mbuf {}

impl Mbuf {
    /// Takes ownership of `m`.
    ///
    /// # Safety
    /// `m` is a valid mbuf that nothing else owns or frees.
    #[inline]
    pub(crate) unsafe fn from_raw(m: NonNull<sys::rte_mbuf>) -> Mbuf {
        Mbuf(m)
    }

    /// Gives up ownership (to a transmit queue).
    #[inline]
    pub(crate) fn into_raw(self) -> *mut sys::rte_mbuf {
        let p = self.0.as_ptr();
        std::mem::forget(self);
        p
    }

    /// The mbuf, still owned by this handle.
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut sys::rte_mbuf {
        self.0.as_ptr()
    }

    #[inline]
    fn header(&self) -> &sys::rte_mbuf {
        // SAFETY: self.0 is a valid mbuf we own (type invariant); the
        // header is only written through &mut self.
        unsafe { self.0.as_ref() }
    }

    /// Start of the data (`rte_pktmbuf_mtod`).
    #[inline]
    fn data_ptr(&self) -> *mut u8 {
        let h = self.header();
        // SAFETY: data_off <= buf_len, so the result stays inside the
        // buffer of buf_len bytes at buf_addr.
        unsafe { h.buf_addr.cast::<u8>().add(usize::from(h.data_off)) }
    }

    /// Bytes from the data start to the end of the buffer.
    #[inline]
    pub fn capacity(&self) -> usize {
        let h = self.header();
        usize::from(h.buf_len.saturating_sub(h.data_off))
    }

    /// Length of the (first segment's) data.
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.header().data_len).min(self.capacity())
    }

    /// True when there is no data.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the packet is in one segment.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.header().nb_segs == 1
    }

    /// The frame bytes.
    #[inline]
    pub fn data(&self) -> &[u8] {
        // SAFETY: len() <= capacity(): the bytes lie in the mbuf's buffer,
        // which we own; the borrow of self keeps them alive and unaliased.
        unsafe { std::slice::from_raw_parts(self.data_ptr(), self.len()) }
    }

    /// The frame bytes, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and &mut self makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.data_ptr(), self.len()) }
    }

    /// Everything from the data start to the end of the buffer, for
    /// writing a frame before [`Mbuf::set_len`].
    #[inline]
    pub fn raw_mut(&mut self) -> &mut [u8] {
        // SAFETY: the capacity() bytes after data_off lie inside the buffer
        // (data_off <= buf_len); &mut self makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.data_ptr(), self.capacity()) }
    }

    /// Sets the data length (and the packet length: one segment), clamped
    /// to the capacity.
    #[inline]
    pub fn set_len(&mut self, len: usize) {
        let len = len.min(self.capacity()) as u16;
        // SAFETY: we own the mbuf; &mut self makes this the only access.
        let h = unsafe { self.0.as_mut() };
        h.data_len = len;
        h.pkt_len = u32::from(len);
    }
}

impl Drop for Mbuf {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: we own the mbuf (type invariant) and never use it again.
        unsafe { sys::silkroute_shim_rte_pktmbuf_free(self.0.as_ptr()) }
    }
}
