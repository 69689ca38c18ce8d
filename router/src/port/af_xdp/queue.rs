//! The receive and transmit halves of one AF_XDP socket.

use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::ring::Ring;
use super::socket;
use super::umem::{Umem, XdpBuf, XdpPool};
use crate::port::{Burst, DriverCounters, PacketBuf, RxStatus};
use crate::BURST_SIZE;

/// Frames the fill-ring top-up leaves in the pool, for packets the
/// control plane injects: two bursts.
const POOL_RESERVE: usize = 2 * BURST_SIZE;

/// Receive bursts between two reads of the socket's drop statistics (a
/// `getsockopt`): ~30 µs of a busy worker, negligible cost.
const STATS_EVERY: u32 = 1024;

/// The receive half: the rx ring and the fill ring.
#[derive(Debug)]
pub struct XdpRx {
    pub(super) fd: Arc<OwnedFd>,
    pub(super) rx: Ring<libc::xdp_desc>,
    pub(super) fill: Ring<u64>,
    pub(super) umem: Arc<Umem>,
    pub(super) counters: Arc<DriverCounters>,
    pub(super) bursts: u32,
    pub(super) dropped_seen: u64,
    /// Keeps the port's XDP program attached while the queue lives.
    pub(super) _port: Arc<super::XdpPort>,
}

impl XdpRx {
    /// Tops up the fill ring from the pool (once per burst, in one
    /// batch), then takes up to `out.remaining_capacity()` frames.
    #[inline]
    pub(crate) fn rx_burst(&mut self, pool: &mut XdpPool, out: &mut Burst<XdpBuf>) -> RxStatus {
        let free = self.fill.free(BURST_SIZE as u32) as usize;
        if free >= BURST_SIZE {
            let n = free.min(pool.available().saturating_sub(POOL_RESERVE));
            for _ in 0..n {
                if let Some(addr) = pool.take() {
                    self.fill.push(addr);
                }
            }
            if n > 0 {
                self.fill.submit();
            }
        }
        let n = self.rx.ready(out.remaining_capacity() as u32);
        for k in 0..n {
            let d = self.rx.peek(k);
            // `n` is at most the remaining capacity: never refused.
            let _ = out.try_push(XdpBuf::new(&self.umem, d.addr, d.len));
        }
        if n > 0 {
            self.rx.release(n);
        } else if self.fill.needs_wakeup() {
            socket::kick_rx(&self.fd);
        }
        self.bursts = self.bursts.wrapping_add(1);
        if self.bursts % STATS_EVERY == 0 {
            self.read_drops();
        }
        RxStatus::Active
    }

    #[cold]
    fn read_drops(&mut self) {
        let now = socket::dropped(&self.fd);
        let delta = now.saturating_sub(self.dropped_seen);
        self.dropped_seen = now;
        if delta > 0 {
            self.counters.rx_dropped.fetch_add(delta, Relaxed);
        }
    }
}

/// The transmit half: the tx ring and the completion ring.
#[derive(Debug)]
pub struct XdpTx {
    pub(super) fd: Arc<OwnedFd>,
    pub(super) tx: Ring<libc::xdp_desc>,
    pub(super) comp: Ring<u64>,
    pub(super) counters: Arc<DriverCounters>,
}

impl XdpTx {
    /// Returns completed frames to the pool, queues as many of `pkts` as
    /// the tx ring takes, and kicks the kernel once if it asks for it.
    #[inline]
    pub(crate) fn tx_burst(&mut self, pool: &mut XdpPool, pkts: &mut Burst<XdpBuf>) -> usize {
        self.reap(pool);
        let n = (self.tx.free(pkts.len() as u32) as usize).min(pkts.len());
        for b in pkts.drain(..n) {
            self.tx.push(libc::xdp_desc {
                addr: b.addr(),
                len: b.data().len() as u32,
                options: 0,
            });
        }
        if n > 0 {
            self.tx.submit();
        }
        if n > 0 && !self.kick() {
            // The link is down (ENETDOWN) or gone: the frames stay in the
            // ring and leave when it is back; count them as errors now.
            self.counters.tx_errors.fetch_add(n as u64, Relaxed);
        }
        n
    }

    /// Completed transmissions: their frames go back to the pool.
    #[inline]
    fn reap(&mut self, pool: &mut XdpPool) {
        let done = self.comp.ready(self.comp.size());
        for k in 0..done {
            pool.put(self.comp.peek(k));
        }
        if done > 0 {
            self.comp.release(done);
        }
    }

    /// One `sendto` when the kernel asks for a wakeup; false when it
    /// failed.
    #[inline]
    fn kick(&mut self) -> bool {
        !self.tx.needs_wakeup() || socket::kick_tx(&self.fd).is_ok()
    }

    /// Kicks the kernel if frames wait in the tx ring (copy mode sends a
    /// bounded number per kick).
    pub(crate) fn flush(&mut self) {
        if self.tx.outstanding() > 0 {
            self.kick();
        }
    }
}
