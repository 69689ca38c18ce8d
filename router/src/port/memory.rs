//! In-process ports for tests and benches: frames travel between a worker
//! and another thread over SPSC rings of heap buffers.
//!
//! [`MemoryPort::create`] returns the worker's queues ([`RingRx`], [`RingTx`])
//! and the [`MemoryPeer`] the other thread drives: it injects frames the
//! worker will receive and collects the frames the worker transmitted.

use std::sync::Arc;

use crate::buf::{HeapBuf, HeapPool, PoolCache};
use crate::port::{Burst, PacketBuf, RxStatus};
use crate::ring::{self, Consumer, Producer};

/// The worker's receive side of a memory port.
#[derive(Debug)]
pub struct RingRx {
    ring: Consumer<Option<HeapBuf>>,
}

/// The worker's transmit side of a memory port.
#[derive(Debug)]
pub struct RingTx {
    ring: Producer<Option<HeapBuf>>,
}

/// The other thread's end of a memory port: one ring into each receive
/// queue, one ring out of each transmit queue (one per worker).
#[derive(Debug)]
pub struct MemoryPeer {
    to_worker: Vec<Producer<Option<HeapBuf>>>,
    from_worker: Vec<Consumer<Option<HeapBuf>>>,
    next_collect: usize,
    cache: PoolCache,
}

/// Constructor namespace for memory ports.
#[derive(Debug)]
pub enum MemoryPort {}

impl MemoryPort {
    /// A memory port with `rx_queues` receive and `tx_queues` transmit
    /// queues whose rings hold `ring_size` frames each; the peer's buffers
    /// come from `pool`.
    pub fn create(
        ring_size: usize,
        rx_queues: usize,
        tx_queues: usize,
        pool: &Arc<HeapPool>,
    ) -> (Vec<RingRx>, Vec<RingTx>, MemoryPeer) {
        let mut rx = Vec::new();
        let mut to_worker = Vec::new();
        for _ in 0..rx_queues {
            let (p, c) = ring::ring(ring_size, || None);
            to_worker.push(p);
            rx.push(RingRx { ring: c });
        }
        let mut tx = Vec::new();
        let mut from_worker = Vec::new();
        for _ in 0..tx_queues {
            let (p, c) = ring::ring(ring_size, || None);
            tx.push(RingTx { ring: p });
            from_worker.push(c);
        }
        (
            rx,
            tx,
            MemoryPeer {
                to_worker,
                from_worker,
                next_collect: 0,
                cache: pool.cache(),
            },
        )
    }
}

impl RingRx {
    pub(crate) fn rx_burst(&mut self, out: &mut Burst<HeapBuf>) -> RxStatus {
        // One head store per burst: a peer polling a full ring pulls the
        // index's cache line once per burst, not once per frame (per frame,
        // the worker stalled on that line and a full ring stayed full).
        self.ring.pop_many(out.remaining_capacity(), |slot| {
            if let Some(b) = slot.take() {
                out.push(b);
            }
        });
        RxStatus::Active
    }
}

impl RingTx {
    pub(crate) fn tx_burst(&mut self, pkts: &mut Burst<HeapBuf>) -> usize {
        // What does not fit stays in `pkts` (refused), in order.
        let n = self.ring.free_slots(pkts.len()).min(pkts.len());
        let mut sent = pkts.drain(..n);
        self.ring.push_many(n, |slot| *slot = sent.next())
    }
}

impl MemoryPeer {
    /// Copies `frame` into a buffer and offers it to receive queue 0.
    /// Returns `false` when the ring is full or the pool is exhausted.
    pub fn inject(&mut self, frame: &[u8]) -> bool {
        self.inject_to(0, frame)
    }

    /// Like [`Self::inject`], into receive queue `queue`. A frame larger
    /// than a buffer is refused (`false`), never truncated.
    pub fn inject_to(&mut self, queue: usize, frame: &[u8]) -> bool {
        let Some(ring) = self.to_worker.get_mut(queue) else {
            return false;
        };
        if frame.len() > crate::buf::HEAP_BUF_SIZE {
            return false;
        }
        let Some(mut b) = self.cache.alloc() else {
            return false;
        };
        b.fill_from(frame);
        match ring.push(Some(b)) {
            Ok(()) => true,
            Err(Some(b)) => {
                self.cache.free(b);
                false
            }
            Err(None) => false,
        }
    }

    /// Takes one frame the workers transmitted (visiting the transmit
    /// queues in turn), passing its bytes to `f`.
    pub fn collect_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let n = self.from_worker.len();
        for k in 0..n {
            let q = (self.next_collect + k) % n;
            if let Some(Some(b)) = self.from_worker[q].pop_with(Option::take) {
                self.next_collect = (q + 1) % n;
                let r = f(b.data());
                self.cache.free(b);
                return Some(r);
            }
        }
        None
    }

    /// Takes one frame the workers transmitted, as an owned copy.
    pub fn collect(&mut self) -> Option<Vec<u8>> {
        self.collect_with(<[u8]>::to_vec)
    }
}
