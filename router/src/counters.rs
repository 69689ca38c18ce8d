//! Per-worker counters: a flat array of `u64`s only the worker writes,
//! mirrored to a shared array of atomics every few loops for readers.
//!
//! The worker bumps plain integers in its own memory (no atomics, no
//! shared cache lines); every [`PUBLISH_EVERY`] loop iterations, and when
//! it stops, it copies them to its [`SharedCounters`] with relaxed stores
//! (plain `mov`s on x86). Readers (metrics, summaries) load the shared copy
//! and sum across workers themselves, so no value is ever written by two
//! threads.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::forward::reason::{DropReason, PuntReason};
use crate::BURST_SIZE;

/// Loop iterations between two publications of a worker's counters:
/// ~1024 iterations is well under a millisecond when busy, and the copy of
/// a few hundred words is noise at that rate.
pub const PUBLISH_EVERY: u64 = 1024;

const RX_PACKETS: usize = 0;
const RX_BYTES: usize = 1;
const TX_PACKETS: usize = 2;
const TX_BYTES: usize = 3;
const INJECTED: usize = 4;
const DROPS: usize = 5;
const PUNTS: usize = DROPS + DropReason::COUNT;
const PORT_STRIDE: usize = PUNTS + PuntReason::COUNT;

const BUSY_LOOPS: usize = 0;
const IDLE_LOOPS: usize = 1;
const FIB_GENERATION: usize = 2;
const BURST_HIST: usize = 3;
const WORKER_FIELDS: usize = BURST_HIST + BURST_SIZE + 1;

/// Counters of one worker, as plain integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCounters {
    ports: usize,
    values: Vec<u64>,
}

/// Counters of one port as seen by one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortCounters {
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes received (frame bytes).
    pub rx_bytes: u64,
    /// Frames transmitted (accepted by the port).
    pub tx_packets: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Of the transmitted frames, those injected by the control plane.
    pub injected: u64,
    /// Drops by reason.
    pub drops: [u64; DropReason::COUNT],
    /// Punts by reason (successfully enqueued to the control plane).
    pub punts: [u64; PuntReason::COUNT],
}

impl Default for PortCounters {
    fn default() -> Self {
        Self {
            rx_packets: 0,
            rx_bytes: 0,
            tx_packets: 0,
            tx_bytes: 0,
            injected: 0,
            drops: [0; DropReason::COUNT],
            punts: [0; PuntReason::COUNT],
        }
    }
}

impl PortCounters {
    /// Sum of all drops.
    pub fn total_drops(&self) -> u64 {
        self.drops.iter().sum()
    }
    /// Sum of all punts.
    pub fn total_punts(&self) -> u64 {
        self.punts.iter().sum()
    }
    /// Adds `other` into `self` (for totals across workers).
    pub fn add(&mut self, other: &PortCounters) {
        self.rx_packets += other.rx_packets;
        self.rx_bytes += other.rx_bytes;
        self.tx_packets += other.tx_packets;
        self.tx_bytes += other.tx_bytes;
        self.injected += other.injected;
        for (a, b) in self.drops.iter_mut().zip(other.drops.iter()) {
            *a += b;
        }
        for (a, b) in self.punts.iter_mut().zip(other.punts.iter()) {
            *a += b;
        }
    }
}

impl WorkerCounters {
    /// Zeroed counters for `ports` ports.
    pub fn new(ports: usize) -> Self {
        Self {
            ports,
            values: vec![0; (ports + 1) * PORT_STRIDE + WORKER_FIELDS],
        }
    }

    /// Number of ports covered.
    pub fn ports(&self) -> usize {
        self.ports
    }

    #[inline]
    fn bump(&mut self, idx: usize, by: u64) {
        if let Some(v) = self.values.get_mut(idx) {
            *v = v.wrapping_add(by);
        }
    }

    /// Index of `field` of `port`; a port id beyond the configured ones
    /// (a control-plane bug, never input) lands in one extra
    /// "unattributed" row, so nothing is lost.
    #[inline]
    fn port_idx(&self, port: u16, field: usize) -> usize {
        usize::from(port).min(self.ports) * PORT_STRIDE + field
    }

    #[inline]
    fn worker_idx(&self, field: usize) -> usize {
        (self.ports + 1) * PORT_STRIDE + field
    }

    /// One frame of `bytes` received on `port`.
    #[inline]
    pub fn rx(&mut self, port: u16, bytes: usize) {
        self.bump(self.port_idx(port, RX_PACKETS), 1);
        self.bump(self.port_idx(port, RX_BYTES), bytes as u64);
    }

    /// `packets` frames totalling `bytes` sent on `port`.
    #[inline]
    pub fn tx(&mut self, port: u16, packets: u64, bytes: u64) {
        self.bump(self.port_idx(port, TX_PACKETS), packets);
        self.bump(self.port_idx(port, TX_BYTES), bytes);
    }

    /// One control-plane packet queued for `port`.
    #[inline]
    pub fn injected(&mut self, port: u16) {
        self.bump(self.port_idx(port, INJECTED), 1);
    }

    /// One drop on `port`.
    #[inline]
    pub fn drop(&mut self, port: u16, reason: DropReason) {
        self.bump(self.port_idx(port, DROPS + reason as usize), 1);
    }

    /// `n` drops on `port`.
    #[inline]
    pub fn drop_n(&mut self, port: u16, reason: DropReason, n: u64) {
        self.bump(self.port_idx(port, DROPS + reason as usize), n);
    }

    /// One punt from `port`.
    #[inline]
    pub fn punt(&mut self, port: u16, reason: PuntReason) {
        self.bump(self.port_idx(port, PUNTS + reason as usize), 1);
    }

    /// One loop iteration that received `n` packets in total.
    #[inline]
    pub fn loop_done(&mut self, n: usize) {
        let f = if n == 0 { IDLE_LOOPS } else { BUSY_LOOPS };
        let i = self.worker_idx(f);
        self.bump(i, 1);
        let h = self.worker_idx(BURST_HIST + n.min(BURST_SIZE));
        self.bump(h, 1);
    }

    /// Records the generation of the FIB snapshot in use.
    pub fn set_fib_generation(&mut self, generation: u64) {
        let i = self.worker_idx(FIB_GENERATION);
        if let Some(v) = self.values.get_mut(i) {
            *v = generation;
        }
    }

    /// The counters of `port`; ids beyond the configured ports give the
    /// unattributed row.
    pub fn port(&self, port: u16) -> PortCounters {
        let base = self.port_idx(port, 0);
        let get = |f: usize| self.values.get(base + f).copied().unwrap_or(0);
        let mut pc = PortCounters {
            rx_packets: get(RX_PACKETS),
            rx_bytes: get(RX_BYTES),
            tx_packets: get(TX_PACKETS),
            tx_bytes: get(TX_BYTES),
            injected: get(INJECTED),
            ..PortCounters::default()
        };
        for (i, d) in pc.drops.iter_mut().enumerate() {
            *d = get(DROPS + i);
        }
        for (i, p) in pc.punts.iter_mut().enumerate() {
            *p = get(PUNTS + i);
        }
        pc
    }

    fn worker_field(&self, f: usize) -> u64 {
        self.values.get(self.worker_idx(f)).copied().unwrap_or(0)
    }

    /// Loop iterations that received at least one packet.
    pub fn busy_loops(&self) -> u64 {
        self.worker_field(BUSY_LOOPS)
    }

    /// Loop iterations that received nothing.
    pub fn idle_loops(&self) -> u64 {
        self.worker_field(IDLE_LOOPS)
    }

    /// Generation of the FIB the worker last adopted.
    pub fn fib_generation(&self) -> u64 {
        self.worker_field(FIB_GENERATION)
    }

    /// Histogram of packets received per loop iteration: index n counts
    /// iterations that received n packets (0..=BURST_SIZE).
    pub fn burst_histogram(&self) -> [u64; BURST_SIZE + 1] {
        let mut h = [0; BURST_SIZE + 1];
        for (i, v) in h.iter_mut().enumerate() {
            *v = self.worker_field(BURST_HIST + i);
        }
        h
    }
}

/// The shared mirror of a worker's counters.
#[derive(Debug)]
pub struct SharedCounters {
    ports: usize,
    values: Box<[AtomicU64]>,
}

impl SharedCounters {
    /// Zeroed shared counters for `ports` ports.
    pub fn new(ports: usize) -> Self {
        let n = (ports + 1) * PORT_STRIDE + WORKER_FIELDS;
        Self {
            ports,
            values: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Copies the worker's values in (called by the worker only).
    pub fn publish(&self, local: &WorkerCounters) {
        for (a, v) in self.values.iter().zip(local.values.iter()) {
            a.store(*v, Ordering::Relaxed);
        }
    }

    /// A consistent-enough snapshot (each value is exact; values may be
    /// from publications a few microseconds apart).
    pub fn snapshot(&self) -> WorkerCounters {
        WorkerCounters {
            ports: self.ports,
            values: self
                .values
                .iter()
                .map(|a| a.load(Ordering::Relaxed))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_do_not_overlap() {
        let mut c = WorkerCounters::new(3);
        c.rx(2, 100);
        c.tx(1, 2, 200);
        c.drop(2, DropReason::TxQueueFull);
        c.punt(0, PuntReason::TooBig);
        c.loop_done(0);
        c.loop_done(32);
        c.set_fib_generation(7);
        let s = SharedCounters::new(3);
        s.publish(&c);
        let c = s.snapshot();
        let p2 = c.port(2);
        assert_eq!((p2.rx_packets, p2.rx_bytes), (1, 100));
        assert_eq!(p2.drops[DropReason::TxQueueFull as usize], 1);
        assert_eq!(c.port(1).tx_bytes, 200);
        assert_eq!(c.port(0).punts[PuntReason::TooBig as usize], 1);
        assert_eq!(
            (c.busy_loops(), c.idle_loops(), c.fib_generation()),
            (1, 1, 7)
        );
        assert_eq!(c.burst_histogram()[32], 1);
        assert_eq!(c.port(3), PortCounters::default());
        let mut c = c;
        c.drop(9, DropReason::InjectBadPort);
        assert_eq!(c.port(200).drops[DropReason::InjectBadPort as usize], 1);
        assert_eq!(c.port(2).drops[DropReason::InjectBadPort as usize], 0);
    }
}
