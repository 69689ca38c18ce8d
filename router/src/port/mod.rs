//! The port contract every backend meets, and the backends that need no
//! privileges (pcap files and in-memory rings).
//!
//! A *backend* is a family of ports sharing one buffer type (heap buffers
//! for pcap/memory/AF_PACKET, mbufs for DPDK, UMEM frames for AF_XDP). A worker is
//! generic over one backend, so the per-packet path has no `dyn` call; the
//! backend's queues are polled in bursts of [`crate::BURST_SIZE`].
//!
//! Contract for implementations:
//! - `rx_burst` appends at most `out.remaining_capacity()` packets and never
//!   blocks; it may return none. Each returned buffer is owned by the caller.
//! - `tx_burst` sends packets from the front of `pkts`, removes the ones it
//!   took (the queue now owns or has freed them) and leaves the refused
//!   ones in `pkts`, in order; the caller frees and counts those.
//! - Buffers are allocated from and freed to the backend's pool; neither
//!   call allocates heap memory, locks, or makes a syscall other than the
//!   port's own I/O.

#[cfg(target_os = "linux")]
pub mod af_packet;
#[cfg(target_os = "linux")]
pub mod af_xdp;
#[cfg(feature = "dpdk")]
pub mod dpdk;
pub mod memory;
pub mod pcap;
mod source;

pub use source::FrameSource;

use arrayvec::ArrayVec;

use crate::buf::{HeapBuf, PoolCache};
use crate::BURST_SIZE;

/// A burst of packets: a fixed-capacity array, never heap-allocated.
pub type Burst<B> = ArrayVec<B, BURST_SIZE>;

/// A packet buffer owned by some backend.
pub trait PacketBuf: Send {
    /// The frame bytes.
    fn data(&self) -> &[u8];
    /// The frame bytes, writable.
    fn data_mut(&mut self) -> &mut [u8];
    /// Sets the frame length (clamped to the capacity).
    fn set_len(&mut self, len: usize);
    /// Largest frame the buffer holds.
    fn capacity(&self) -> usize;
    /// The whole buffer, for writing a new frame before `set_len`.
    fn raw_mut(&mut self) -> &mut [u8];
}

/// Allocation of a backend's buffers.
pub trait BufPool: Send {
    /// The buffer type.
    type Buf: PacketBuf;
    /// An empty buffer, or `None` when the pool is exhausted.
    fn alloc(&mut self) -> Option<Self::Buf>;
    /// Gives a buffer back.
    fn free(&mut self, buf: Self::Buf);
}

/// A family of ports sharing one buffer type.
pub trait Backend: 'static {
    /// Packet buffer.
    type Buf: PacketBuf;
    /// A worker's handle on the buffer pool.
    type Pool: BufPool<Buf = Self::Buf>;
    /// One receive queue.
    type Rx: RxQueue<Self> + Send;
    /// One transmit queue.
    type Tx: TxQueue<Self> + Send;
}

/// What a receive queue reports besides packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxStatus {
    /// More packets may come.
    Active,
    /// The input has ended for good (a capture read to its end without
    /// looping); the worker may stop polling this queue.
    Exhausted,
}

/// One receive queue of a port.
pub trait RxQueue<B: Backend + ?Sized> {
    /// Receives up to `out.remaining_capacity()` packets into `out`.
    fn rx_burst(&mut self, pool: &mut B::Pool, out: &mut Burst<B::Buf>) -> RxStatus;
}

/// One transmit queue of a port.
pub trait TxQueue<B: Backend + ?Sized> {
    /// Sends from the front of `pkts`; refused packets stay in `pkts`.
    /// Returns how many were taken.
    fn tx_burst(&mut self, pool: &mut B::Pool, pkts: &mut Burst<B::Buf>) -> usize;
    /// Pushes out anything the queue buffers internally (called when the
    /// worker goes idle and before it stops).
    fn flush(&mut self) {}
}

/// Link state as a port reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStatus {
    /// Carrier up.
    pub up: bool,
    /// Speed in Mbit/s, 0 when unknown.
    pub speed_mbps: u32,
}

/// Driver-level counters, shared between a port's queues (which bump them
/// on rare events only: oversize frames, write errors) and the control
/// plane, which reads them.
#[derive(Debug, Default)]
pub struct DriverCounters {
    /// See [`DriverStats::rx_dropped`].
    pub rx_dropped: std::sync::atomic::AtomicU64,
    /// See [`DriverStats::tx_errors`].
    pub tx_errors: std::sync::atomic::AtomicU64,
}

impl DriverCounters {
    /// A snapshot.
    pub fn snapshot(&self) -> DriverStats {
        use std::sync::atomic::Ordering::Relaxed;
        DriverStats {
            rx_dropped: self.rx_dropped.load(Relaxed),
            tx_errors: self.tx_errors.load(Relaxed),
        }
    }

    pub(crate) fn bump(counter: &std::sync::atomic::AtomicU64) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Driver-level counters a port keeps besides the workers' own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Frames the driver could not hand to a worker (no buffer, ring full,
    /// frame larger than a buffer).
    pub rx_dropped: u64,
    /// Frames the driver failed to transmit after accepting them.
    pub tx_errors: u64,
}

impl BufPool for PoolCache {
    type Buf = HeapBuf;
    #[inline]
    fn alloc(&mut self) -> Option<HeapBuf> {
        PoolCache::alloc(self)
    }
    #[inline]
    fn free(&mut self, buf: HeapBuf) {
        PoolCache::free(self, buf)
    }
}

/// The heap-buffer backend: pcap, memory and AF_PACKET ports.
#[derive(Debug)]
pub enum Heap {}

impl Backend for Heap {
    type Buf = HeapBuf;
    type Pool = PoolCache;
    type Rx = HeapRx;
    type Tx = HeapTx;
}

/// A receive queue of the heap backend.
#[derive(Debug)]
pub enum HeapRx {
    /// Frames replayed from memory (a capture file or test templates).
    Source(FrameSource),
    /// Frames pushed by another thread (tests, benches).
    Ring(memory::RingRx),
    /// Frames copied out of an AF_PACKET receive ring.
    #[cfg(target_os = "linux")]
    AfPacket(af_packet::AfPacketRx),
}

/// A transmit queue of the heap backend.
#[derive(Debug)]
pub enum HeapTx {
    /// Written to a capture file.
    Pcap(pcap::PcapTx),
    /// Handed to another thread.
    Ring(memory::RingTx),
    /// Counted and freed (a port with no output configured).
    Discard,
    /// Copied into an AF_PACKET transmit ring.
    #[cfg(target_os = "linux")]
    AfPacket(af_packet::AfPacketTx),
}

impl RxQueue<Heap> for HeapRx {
    #[inline]
    fn rx_burst(&mut self, pool: &mut PoolCache, out: &mut Burst<HeapBuf>) -> RxStatus {
        match self {
            HeapRx::Source(s) => s.rx_burst(pool, out),
            HeapRx::Ring(r) => r.rx_burst(out),
            #[cfg(target_os = "linux")]
            HeapRx::AfPacket(a) => a.rx_burst(pool, out),
        }
    }
}

impl TxQueue<Heap> for HeapTx {
    #[inline]
    fn tx_burst(&mut self, pool: &mut PoolCache, pkts: &mut Burst<HeapBuf>) -> usize {
        match self {
            HeapTx::Pcap(p) => p.tx_burst(pool, pkts),
            HeapTx::Ring(r) => r.tx_burst(pkts),
            #[cfg(target_os = "linux")]
            HeapTx::AfPacket(a) => a.tx_burst(pool, pkts),
            HeapTx::Discard => {
                let n = pkts.len();
                for b in pkts.drain(..) {
                    pool.free(b);
                }
                n
            }
        }
    }

    fn flush(&mut self) {
        match self {
            HeapTx::Pcap(p) => p.flush(),
            #[cfg(target_os = "linux")]
            HeapTx::AfPacket(a) => a.flush(),
            _ => {}
        }
    }
}
