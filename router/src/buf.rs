//! Heap packet buffers and their pool, for the backends that own their
//! memory (pcap and memory ports).
//!
//! A [`HeapBuf`] is one fixed-size, pre-allocated buffer; a [`HeapPool`]
//! holds them all, allocated once at start-up. Each thread that allocates or
//! frees takes a [`PoolCache`] that moves buffers to and from the shared
//! pool in batches, so the per-packet cost is a `Vec` push/pop on the
//! thread's own memory (the DPDK mempool-cache scheme). Nothing on the
//! packet path allocates: when the pool is empty, `alloc` returns `None` and
//! the caller counts the drop.

use std::fmt;
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::port::PacketBuf;

/// Bytes in one heap buffer: a 1500-byte MTU frame with two VLAN tags fits
/// with room to spare; pcap/memory ports are for tests, demos and benches,
/// jumbo frames are the DPDK/AF_XDP ports' business.
pub const HEAP_BUF_SIZE: usize = 2048;

/// How many buffers a [`PoolCache`] moves to or from the shared pool at a
/// time: one burst, so a refill costs one pass per burst, not per packet.
const CACHE_BATCH: usize = crate::BURST_SIZE;

/// One packet buffer.
pub struct HeapBuf {
    data: Box<[u8; HEAP_BUF_SIZE]>,
    len: usize,
}

impl fmt::Debug for HeapBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapBuf").field("len", &self.len).finish()
    }
}

impl HeapBuf {
    fn new() -> Self {
        Self {
            data: Box::new([0; HEAP_BUF_SIZE]),
            len: 0,
        }
    }

    /// Replaces the content with `bytes`, truncated to the buffer size.
    /// Returns the number of bytes copied.
    pub fn fill_from(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(HEAP_BUF_SIZE);
        self.data[..n].copy_from_slice(&bytes[..n]);
        self.len = n;
        n
    }
}

impl PacketBuf for HeapBuf {
    #[inline]
    fn data(&self) -> &[u8] {
        &self.data[..self.len]
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data[..self.len]
    }
    #[inline]
    fn set_len(&mut self, len: usize) {
        self.len = len.min(HEAP_BUF_SIZE);
    }
    #[inline]
    fn capacity(&self) -> usize {
        HEAP_BUF_SIZE
    }
    #[inline]
    fn raw_mut(&mut self) -> &mut [u8] {
        &mut self.data[..]
    }
}

/// The shared pool of heap buffers.
#[derive(Debug)]
pub struct HeapPool {
    free: ArrayQueue<HeapBuf>,
}

impl HeapPool {
    /// Allocates `count` buffers up front.
    pub fn new(count: usize) -> Arc<Self> {
        let free = ArrayQueue::new(count.max(1));
        for _ in 0..count {
            let _ = free.push(HeapBuf::new());
        }
        Arc::new(Self { free })
    }

    /// Buffers currently in the shared pool (not in caches or in flight).
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// Total number of buffers the pool was created with.
    pub fn capacity(&self) -> usize {
        self.free.capacity()
    }

    /// A per-thread cache over this pool.
    pub fn cache(self: &Arc<Self>) -> PoolCache {
        PoolCache {
            pool: Arc::clone(self),
            local: Vec::with_capacity(2 * CACHE_BATCH),
        }
    }
}

/// A thread's cache of buffers over a [`HeapPool`].
#[derive(Debug)]
pub struct PoolCache {
    pool: Arc<HeapPool>,
    local: Vec<HeapBuf>,
}

impl PoolCache {
    /// Takes a buffer (length 0), or `None` when the pool is exhausted.
    #[inline]
    pub fn alloc(&mut self) -> Option<HeapBuf> {
        if self.local.is_empty() {
            self.refill();
        }
        let mut b = self.local.pop()?;
        b.len = 0;
        Some(b)
    }

    #[cold]
    fn refill(&mut self) {
        for _ in 0..CACHE_BATCH {
            match self.pool.free.pop() {
                Some(b) => self.local.push(b),
                None => break,
            }
        }
    }

    /// Returns a buffer.
    #[inline]
    pub fn free(&mut self, buf: HeapBuf) {
        if self.local.len() >= 2 * CACHE_BATCH {
            self.spill();
        }
        self.local.push(buf);
    }

    #[cold]
    fn spill(&mut self) {
        for _ in 0..CACHE_BATCH {
            if let Some(b) = self.local.pop() {
                // The pool was sized for every buffer, so this cannot fail.
                let _ = self.pool.free.push(b);
            }
        }
    }

    /// The pool behind this cache.
    pub fn pool(&self) -> &Arc<HeapPool> {
        &self.pool
    }
}

impl Drop for PoolCache {
    fn drop(&mut self) {
        for b in self.local.drain(..) {
            let _ = self.pool.free.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_free_round_trip_keeps_every_buffer() {
        let pool = HeapPool::new(100);
        let mut c = pool.cache();
        let mut held = Vec::new();
        while let Some(b) = c.alloc() {
            held.push(b);
        }
        assert_eq!(held.len(), 100);
        for b in held {
            c.free(b);
        }
        drop(c);
        assert_eq!(pool.available(), 100);
    }

    #[test]
    fn fill_truncates_to_capacity() {
        let pool = HeapPool::new(1);
        let mut c = pool.cache();
        let mut b = c.alloc().unwrap();
        assert_eq!(b.fill_from(&[7u8; 5000]), HEAP_BUF_SIZE);
        assert_eq!(b.data().len(), HEAP_BUF_SIZE);
    }
}
