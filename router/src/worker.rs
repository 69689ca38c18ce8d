//! The poll-mode worker: one thread per dedicated core.
//!
//! Each loop iteration:
//! 1. adopt a newer FIB snapshot if one was published (once per iteration,
//!    i.e. between bursts; see [`crate::fib::FibReader`]);
//! 2. send what the control plane injected (a bounded number);
//! 3. for each receive queue: receive a burst, classify every packet,
//!    look the destinations up in two batches (IPv4, IPv6), finish each
//!    packet (punt, drop or rewrite), and group forwarded packets per
//!    egress port; punts pass the exception limits first, and a queue
//!    whose full burst was mostly over them waits until the other queues
//!    have delivered [`crate::limit::FLOODED_QUEUE_YIELD`] packets or come
//!    up empty (see [`crate::limit`]);
//! 4. transmit each port's batch (one `tx_burst` per port per iteration,
//!    or earlier when a batch fills up);
//! 5. every [`PUBLISH_EVERY`] iterations: publish counters, check the stop
//!    flag.
//!
//! The worker never allocates, locks, logs or makes a syscall on this
//! path beyond the ports' own I/O; an idle worker sleeps briefly after a
//! long run of empty polls (only when there is nothing to do).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::counters::{SharedCounters, WorkerCounters, PUBLISH_EVERY};
use crate::exception::{WorkerRings, SLOT_BYTES};
use crate::fib::FibReader;
use crate::forward::reason::{DropReason, PuntReason};
use crate::forward::{classify, finish, forwarded_len, Classified, Pending, Verdict};
use crate::limit::{ExceptionLimits, Limiters, QueueYield, LIMITER_REFILL_EVERY};
use crate::port::{Backend, BufPool, Burst, PacketBuf, RxQueue, RxStatus, TxQueue};
use crate::prefetch::prefetch;
use crate::BURST_SIZE;

/// Injected packets sent per iteration at most, so a control-plane burst
/// cannot starve forwarding.
const INJECT_PER_ITERATION: usize = BURST_SIZE;

/// Consecutive empty iterations after which an idle worker sleeps: ~100 µs
/// of spinning keeps latency at poll-mode levels while letting tests and
/// the control plane share small machines.
const IDLE_SLEEP_AFTER: u32 = 4096;

/// How long an idle worker sleeps between two polls. It must leave the
/// core, not yield it: the kernel thread that fills the worker's sockets
/// (a NAPI thread on veth, generic XDP, AF_PACKET) may share the core,
/// and a worker calling `sched_yield` in a loop kept one off it for
/// seconds (measured on Linux 6.18: 1.06 M yields/s, 6 k context
/// switches/s, the NAPI thread runnable and not run; see
/// docs/performance.md, netns forwarding). 50 µs is the default timer
/// slack, so shorter asks are not kept anyway; the rings hold ~1.4 ms
/// of a 1.5 Mpps stream.
const IDLE_SLEEP: std::time::Duration = std::time::Duration::from_micros(50);

/// What a worker does once its queues have been empty for
/// [`IDLE_SLEEP_AFTER`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdlePolicy {
    /// Sleep [`IDLE_SLEEP`] between polls until a packet comes: the core
    /// is free for whatever shares it.
    #[default]
    Sleep,
    /// Keep polling without pause: for a core reserved to the worker.
    Spin,
}

/// Everything a worker thread owns.
pub struct Worker<B: Backend> {
    /// Worker index (for logs and metrics).
    pub id: usize,
    /// Receive queues: (port id, queue id, queue).
    pub rx: Vec<(u16, u16, B::Rx)>,
    /// Transmit queue per port id (`None`: this worker cannot send there).
    pub tx: Vec<Option<B::Tx>>,
    /// Buffer pool handle.
    pub pool: B::Pool,
    /// FIB snapshot reader.
    pub fib: FibReader,
    /// Exception and inject rings.
    pub rings: WorkerRings,
    /// Limits in front of the exception rings.
    pub limits: ExceptionLimits,
    /// What to do when idle.
    pub idle: IdlePolicy,
    /// Where counters are published.
    pub shared: Arc<SharedCounters>,
    /// Set by the control plane to stop the worker.
    pub stop: Arc<AtomicBool>,
    /// Set by the worker when all its receive queues are exhausted.
    pub input_done: Arc<AtomicBool>,
}

impl<B: Backend> std::fmt::Debug for Worker<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("rx_queues", &self.rx.len())
            .field("ports", &self.tx.len())
            .finish()
    }
}

/// Per-port transmit batches.
struct TxBatches<B: Backend> {
    batches: Vec<Burst<B::Buf>>,
}

impl<B: Backend> Worker<B> {
    /// Runs the loop until the stop flag is set; returns the final
    /// counters (also published).
    pub fn run(mut self) -> WorkerCounters {
        let ports = self.tx.len();
        let mut counters = WorkerCounters::new(ports);
        let mut txb = TxBatches::<B> {
            batches: (0..ports).map(|_| Burst::new()).collect(),
        };
        let mut exhausted = vec![false; self.rx.len()];
        let mut flooded = QueueYield::new(self.rx.len());
        let mut burst: Burst<B::Buf> = Burst::new();
        let mut iteration: u64 = 0;
        let mut idle_run: u32 = 0;
        let mut limiter = Limiters::new(ports, self.limits);
        counters.set_fib_generation(self.fib.fib().generation);
        loop {
            iteration = iteration.wrapping_add(1);
            if iteration % LIMITER_REFILL_EVERY == 0 {
                limiter.tick();
            }
            if self.fib.refresh() {
                counters.set_fib_generation(self.fib.fib().generation);
            }
            self.inject(&mut counters, &mut txb);
            let mut received = 0;
            for (qi, (port, _queue, rxq)) in self.rx.iter_mut().enumerate() {
                if exhausted[qi] {
                    continue;
                }
                if flooded.waiting(qi) {
                    continue;
                }
                if rxq.rx_burst(&mut self.pool, &mut burst) == RxStatus::Exhausted {
                    exhausted[qi] = true;
                }
                received += burst.len();
                if !burst.is_empty() {
                    let len = burst.len();
                    let limited = process_burst::<B>(
                        *port,
                        &mut burst,
                        &self.fib,
                        &mut self.pool,
                        &mut self.tx,
                        &mut txb,
                        &mut self.rings,
                        &mut limiter,
                        &mut counters,
                    );
                    flooded.burst_done(qi, len, limited);
                }
            }
            for port in 0..ports {
                flush_port::<B>(
                    port as u16,
                    &mut self.tx,
                    &mut txb,
                    &mut self.pool,
                    &mut counters,
                );
            }
            flooded.iteration_done(received);
            counters.loop_done(received);
            // Idle: once the queues have been empty for a while, flush
            // what transmit queues hold and publish the counters, then
            // sleep between polls (or keep spinning, by policy).
            let mut sleeping = false;
            if received == 0 {
                idle_run = idle_run.saturating_add(1);
                if idle_run == IDLE_SLEEP_AFTER {
                    for q in self.tx.iter_mut().flatten() {
                        q.flush();
                    }
                }
                if idle_run >= IDLE_SLEEP_AFTER && self.idle == IdlePolicy::Sleep {
                    std::thread::sleep(IDLE_SLEEP);
                    sleeping = true;
                }
            } else {
                idle_run = 0;
            }
            if iteration % PUBLISH_EVERY == 0 || idle_run == IDLE_SLEEP_AFTER || sleeping {
                self.shared.publish(&counters);
                if !self.rx.is_empty() && exhausted.iter().all(|e| *e) {
                    self.input_done.store(true, Ordering::Release);
                }
                if self.stop.load(Ordering::Acquire) {
                    break;
                }
            }
        }
        // Last injected packets (replies to the final punts), then drain.
        loop {
            self.inject(&mut counters, &mut txb);
            for port in 0..ports {
                flush_port::<B>(
                    port as u16,
                    &mut self.tx,
                    &mut txb,
                    &mut self.pool,
                    &mut counters,
                );
            }
            if self.rings.inject.is_empty() {
                break;
            }
        }
        for q in self.tx.iter_mut().flatten() {
            q.flush();
        }
        self.shared.publish(&counters);
        counters
    }

    fn inject(&mut self, counters: &mut WorkerCounters, txb: &mut TxBatches<B>) {
        for _ in 0..INJECT_PER_ITERATION {
            let pool = &mut self.pool;
            let tx = &self.tx;
            let got = self.rings.inject.pop_with(|slot| {
                let port = slot.port;
                let frame = slot.frame();
                if tx.get(usize::from(port)).and_then(Option::as_ref).is_none() {
                    return Err((port, DropReason::InjectBadPort));
                }
                let Some(mut b) = pool.alloc() else {
                    return Err((port, DropReason::InjectNoBuffer));
                };
                let n = frame.len().min(b.capacity());
                b.raw_mut()[..n].copy_from_slice(&frame[..n]);
                b.set_len(n);
                Ok((port, b))
            });
            match got {
                None => break,
                Some(Err((port, reason))) => counters.drop(port, reason),
                Some(Ok((port, b))) => {
                    counters.injected(port);
                    enqueue_tx::<B>(port, b, &mut self.tx, txb, &mut self.pool, counters);
                }
            }
        }
    }
}

/// One burst from `in_port`: classify, batch lookups, finish, dispatch.
/// Returns how many packets were dropped over the exception limits.
#[allow(clippy::too_many_arguments)]
#[inline]
fn process_burst<B: Backend>(
    in_port: u16,
    burst: &mut Burst<B::Buf>,
    fib: &FibReader,
    pool: &mut B::Pool,
    tx: &mut [Option<B::Tx>],
    txb: &mut TxBatches<B>,
    rings: &mut WorkerRings,
    limiter: &mut Limiters,
    counters: &mut WorkerCounters,
) -> usize {
    let fib = fib.fib();
    let mut limited = 0;
    let port_mac = fib.ports.get(usize::from(in_port)).map(|p| p.mac);
    let n = burst.len();
    // Stage 1: classify; gather destination keys per family.
    let mut stage = [Classified::Done(Verdict::Drop(DropReason::L2OtherHost)); BURST_SIZE];
    let mut keys4 = [0u32; BURST_SIZE];
    let mut keys6 = [0u128; BURST_SIZE];
    let mut idx4 = [0u8; BURST_SIZE];
    let mut idx6 = [0u8; BURST_SIZE];
    let (mut n4, mut n6) = (0, 0);
    // Ask for every packet's headers before touching any: the burst's
    // cache misses (data a NIC or another core just wrote) overlap.
    for b in burst.iter() {
        prefetch(b.data());
    }
    for (i, b) in burst.iter().enumerate() {
        counters.rx(in_port, b.data().len());
        let c = match &port_mac {
            Some(mac) => classify(b.data(), mac),
            None => Classified::Done(Verdict::Drop(DropReason::L2OtherHost)),
        };
        match c {
            Classified::Lookup(Pending::V4 { dst, .. }) => {
                keys4[n4] = dst;
                idx4[n4] = i as u8;
                n4 += 1;
            }
            Classified::Lookup(Pending::V6 { dst, .. }) => {
                keys6[n6] = dst;
                idx6[n6] = i as u8;
                n6 += 1;
            }
            Classified::Done(_) => {}
        }
        stage[i] = c;
    }
    // Stage 2: the lookups, batched per family.
    let mut values = [silkroute_lpm::NO_ROUTE; BURST_SIZE];
    if n4 > 0 {
        let mut out = [0u32; BURST_SIZE];
        fib.v4.lookup_batch(&keys4[..n4], &mut out[..n4]);
        for k in 0..n4 {
            values[usize::from(idx4[k])] = out[k];
        }
    }
    if n6 > 0 {
        let mut out = [0u32; BURST_SIZE];
        fib.v6.lookup_batch(&keys6[..n6], &mut out[..n6]);
        for k in 0..n6 {
            values[usize::from(idx6[k])] = out[k];
        }
    }
    // Stage 3: finish and dispatch, in arrival order.
    for (i, mut b) in burst.drain(..n).enumerate() {
        let verdict = match stage[i] {
            Classified::Done(v) => v,
            Classified::Lookup(p) => finish(b.data_mut(), p, values[i], fib),
        };
        match verdict {
            Verdict::Forward(out) => {
                if let Classified::Lookup(p) = stage[i] {
                    let len = forwarded_len(b.data(), p);
                    if len < b.data().len() {
                        b.set_len(len);
                    }
                }
                enqueue_tx::<B>(out, b, tx, txb, pool, counters)
            }
            Verdict::Drop(reason) => {
                counters.drop(in_port, reason);
                pool.free(b);
            }
            Verdict::Punt(reason, info) => {
                let frame = b.data();
                let generation = fib.generation;
                // Neighbour resolution has its own ring and limits (per
                // port and source MAC); everything else shares the
                // general limit. Over a limit, a packet costs a counter
                // bump, not a slot copy, and ARP/NDP from real neighbours
                // keep their ring slots whatever else floods.
                let priority = matches!(reason, PuntReason::Arp | PuntReason::Ndp);
                let admitted = if priority {
                    limiter.take_neighbor(in_port, frame.get(6..12).unwrap_or(&[]))
                } else {
                    limiter.take_general()
                };
                if !admitted {
                    counters.drop(in_port, DropReason::ExceptionRateLimited);
                    pool.free(b);
                    limited += 1;
                    continue;
                }
                let ring = if priority {
                    &mut rings.priority
                } else {
                    &mut rings.exceptions
                };
                let queued = ring.push_with(|slot| {
                    let len = frame.len().min(SLOT_BYTES);
                    slot.reason = reason;
                    slot.in_port = in_port;
                    slot.info = info;
                    slot.fib_generation = generation;
                    slot.orig_len = frame.len() as u32;
                    slot.len = len as u16;
                    slot.data[..len].copy_from_slice(&frame[..len]);
                });
                if queued {
                    counters.punt(in_port, reason);
                } else {
                    counters.drop(in_port, DropReason::ExceptionRingFull);
                }
                pool.free(b);
            }
        }
    }
    limited
}

#[inline]
fn enqueue_tx<B: Backend>(
    port: u16,
    b: B::Buf,
    tx: &mut [Option<B::Tx>],
    txb: &mut TxBatches<B>,
    pool: &mut B::Pool,
    counters: &mut WorkerCounters,
) {
    let Some(batch) = txb.batches.get_mut(usize::from(port)) else {
        counters.drop(port, DropReason::TxQueueFull);
        pool.free(b);
        return;
    };
    if batch.is_full() {
        flush_port::<B>(port, tx, txb, pool, counters);
    }
    match txb.batches.get_mut(usize::from(port)) {
        Some(batch) if !batch.is_full() => batch.push(b),
        _ => {
            counters.drop(port, DropReason::TxQueueFull);
            pool.free(b);
        }
    }
}

#[inline]
fn flush_port<B: Backend>(
    port: u16,
    tx: &mut [Option<B::Tx>],
    txb: &mut TxBatches<B>,
    pool: &mut B::Pool,
    counters: &mut WorkerCounters,
) {
    let Some(batch) = txb.batches.get_mut(usize::from(port)) else {
        return;
    };
    if batch.is_empty() {
        return;
    }
    let bytes_before: usize = batch.iter().map(|b| b.data().len()).sum();
    let sent = match tx.get_mut(usize::from(port)).and_then(Option::as_mut) {
        Some(q) => q.tx_burst(pool, batch),
        None => 0,
    };
    let bytes_left: usize = batch.iter().map(|b| b.data().len()).sum();
    counters.tx(port, sent as u64, (bytes_before - bytes_left) as u64);
    if !batch.is_empty() {
        counters.drop_n(port, DropReason::TxQueueFull, batch.len() as u64);
        for b in batch.drain(..) {
            pool.free(b);
        }
    }
}

/// Pins the calling thread to `core`; false when the OS refused.
pub fn pin_to_core(core: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: core })
}
