//! DPDK ports: the [`Dpdk`] backend, whose buffers are mbufs.
//!
//! - **Buffers**: a [`Mbuf`] received on one port is rewritten in place
//!   and handed to another port's transmit queue as is: no copy. The
//!   device frees it to its mempool once sent.
//! - **Pool** ([`DpdkPool`]): a worker's handle on one mempool, used only
//!   for packets the control plane injects (receive queues allocate from
//!   their port's own pool inside the driver). Freeing an mbuf returns it
//!   to the pool it came from, whichever handle frees it.
//! - **Queues**: each receive queue is polled by one worker; each worker
//!   owns one transmit queue per port (queue id = worker index), so no
//!   queue is shared between threads.
//! - **Segmented frames**: workers address one contiguous segment; a
//!   chained mbuf (a device's frame larger than the mbuf, which the sizing
//!   from the MTU should prevent) is freed on receive and counted as the
//!   port's `rx_dropped`.
//!
//! Everything `unsafe` is in `silkroute-dpdk`; this module only adapts its
//! types to the port contract.

use std::sync::Arc;

pub use silkroute_dpdk::{EthRxQueue, EthTxQueue, Mbuf, Mempool};

use crate::port::{Backend, BufPool, Burst, DriverCounters, PacketBuf, RxQueue, RxStatus, TxQueue};

/// The DPDK backend.
#[derive(Debug)]
pub enum Dpdk {}

impl Backend for Dpdk {
    type Buf = Mbuf;
    type Pool = DpdkPool;
    type Rx = DpdkRx;
    type Tx = DpdkTx;
}

impl PacketBuf for Mbuf {
    #[inline]
    fn data(&self) -> &[u8] {
        Mbuf::data(self)
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        Mbuf::data_mut(self)
    }
    #[inline]
    fn set_len(&mut self, len: usize) {
        Mbuf::set_len(self, len)
    }
    #[inline]
    fn capacity(&self) -> usize {
        Mbuf::capacity(self)
    }
    #[inline]
    fn raw_mut(&mut self) -> &mut [u8] {
        Mbuf::raw_mut(self)
    }
}

/// A worker's handle on the mempool it allocates injected packets from.
#[derive(Debug)]
pub struct DpdkPool {
    pool: Arc<Mempool>,
}

impl DpdkPool {
    /// A handle on `pool`.
    pub fn new(pool: Arc<Mempool>) -> Self {
        Self { pool }
    }
}

impl BufPool for DpdkPool {
    type Buf = Mbuf;
    #[inline]
    fn alloc(&mut self) -> Option<Mbuf> {
        self.pool.alloc()
    }
    #[inline]
    fn free(&mut self, buf: Mbuf) {
        // To the mempool the mbuf came from.
        drop(buf);
    }
}

/// One receive queue of a DPDK port.
#[derive(Debug)]
pub struct DpdkRx {
    queue: EthRxQueue,
    counters: Arc<DriverCounters>,
}

impl DpdkRx {
    /// Wraps `queue`; frames it cannot hand over are counted in `counters`.
    pub fn new(queue: EthRxQueue, counters: Arc<DriverCounters>) -> Self {
        Self { queue, counters }
    }
}

impl RxQueue<Dpdk> for DpdkRx {
    #[inline]
    fn rx_burst(&mut self, _pool: &mut DpdkPool, out: &mut Burst<Mbuf>) -> RxStatus {
        let first = out.len();
        if self.queue.rx_burst(out) > 0 && !out[first..].iter().all(Mbuf::is_contiguous) {
            self.drop_segmented(first, out);
        }
        RxStatus::Active
    }
}

impl DpdkRx {
    /// Frees and counts the chained mbufs of the burst (from `first` on).
    #[cold]
    fn drop_segmented(&self, first: usize, out: &mut Burst<Mbuf>) {
        let mut k = 0;
        out.retain(|m| {
            k += 1;
            if k <= first || m.is_contiguous() {
                return true;
            }
            DriverCounters::bump(&self.counters.rx_dropped);
            false
        });
    }
}

/// One transmit queue of a DPDK port.
#[derive(Debug)]
pub struct DpdkTx {
    queue: EthTxQueue,
}

impl DpdkTx {
    /// Wraps `queue`.
    pub fn new(queue: EthTxQueue) -> Self {
        Self { queue }
    }
}

impl TxQueue<Dpdk> for DpdkTx {
    #[inline]
    fn tx_burst(&mut self, _pool: &mut DpdkPool, pkts: &mut Burst<Mbuf>) -> usize {
        self.queue.tx_burst(pkts)
    }
}
