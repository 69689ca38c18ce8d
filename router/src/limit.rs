//! The worker's control-plane protection: token buckets in front of the
//! exception rings, and the back-off of receive queues that deliver
//! little but exceptions over those limits ([`FLOODED_QUEUE_YIELD`]).
//!
//! Runs on the worker's core, on the packet path: plain integers, no
//! allocation after construction, the clock read once per
//! [`LIMITER_REFILL_EVERY`] loop iterations, not per packet.
//!
//! - General exceptions (TTL expiry, no route, unresolved next hop,
//!   packets to the router, too big) share one bucket per worker,
//!   [`EXCEPTION_RATE_PER_WORKER`].
//! - ARP and NDP go to their own ring and are limited per receiving port
//!   and, within a port, per source MAC (hashed into
//!   [`NEIGHBOR_SOURCE_BUCKETS`] buckets), so a flood of ARP requests on
//!   one port, or from one station, cannot take the ring slots a real
//!   neighbour's request needs.
//! - Every packet over a limit is dropped as `exception_rate_limited`.

use crate::exception::{EXCEPTION_BURST, EXCEPTION_RATE_PER_WORKER, PRIORITY_RING_SLOTS};

/// Loop iterations between two clock reads of the limiters: the clock is
/// read per batch of bursts, not per packet.
pub(crate) const LIMITER_REFILL_EVERY: u64 = 64;

/// ARP/NDP punts a second one receiving port may send to the control
/// plane: a /16 of hosts each re-resolving the router every 4 s (Linux's
/// base reachable time is 30 s) is 16k/s; the control plane answers
/// several hundred thousand a second.
pub const NEIGHBOR_RATE_PER_PORT: u64 = 20_000;

/// Burst of [`NEIGHBOR_RATE_PER_PORT`]: half the priority ring, so one
/// port's burst leaves room for the others'.
pub const NEIGHBOR_BURST_PER_PORT: u64 = (PRIORITY_RING_SLOTS / 2) as u64;

/// ARP/NDP punts a second from one source MAC bucket of a port: a host
/// resolves the router's few addresses, not thousands a second. (A
/// proxy-ARP box answering for many next hops with one MAC is resolved
/// at this rate at most.)
pub const NEIGHBOR_RATE_PER_SOURCE: u64 = 2_000;

/// Burst of [`NEIGHBOR_RATE_PER_SOURCE`].
pub const NEIGHBOR_BURST_PER_SOURCE: u64 = 64;

/// Source-MAC buckets per port. A flood from one station empties one
/// bucket; a real neighbour shares it with probability 1/64. A flood from
/// random MACs empties them all, and then the port's own limit is what
/// is left (no per-source state survives spoofing).
pub const NEIGHBOR_SOURCE_BUCKETS: usize = 64;

/// Packets the worker's other queues must deliver before a queue whose
/// last full burst was mostly exceptions over the limits is polled again:
/// 31 bursts, so while other ports keep the worker busy a port flooded at
/// full rate gets about 1/32 of the packets it handles. Measured with
/// `benches/exception-flood.sh` (full IPv4 table, one worker): with 15
/// bursts a flooded second port still took 7.5-9.6% of a saturated
/// worker's transit rate, too close to the 10% budget, because the
/// exceptions admitted under the limits (200k/s, a slot copy each) cost
/// ~3% on their own. The moment the other queues come up empty the
/// flooded queue is polled again, so an otherwise idle worker spends its
/// spare time on it and nothing else waits. What a NIC delivers meanwhile
/// stays in its ring or is dropped (and counted) by the NIC, the cheapest
/// place to drop a flood.
pub const FLOODED_QUEUE_YIELD: u32 = 31 * crate::BURST_SIZE as u32;

/// Per receive queue: how many packets other queues still have to
/// deliver before it is polled again (0: poll it).
#[derive(Debug)]
pub(crate) struct QueueYield {
    owed: Vec<u32>,
}

/// Marks a queue flooded during the iteration (set to
/// [`FLOODED_QUEUE_YIELD`] once the iteration's count is known).
const JUST_FLOODED: u32 = u32::MAX;

impl QueueYield {
    /// For `queues` receive queues (allocated here, never again).
    pub(crate) fn new(queues: usize) -> Self {
        Self {
            owed: vec![0; queues],
        }
    }

    /// True when queue `q` sits out this iteration.
    #[inline]
    pub(crate) fn waiting(&self, q: usize) -> bool {
        self.owed.get(q).is_some_and(|o| *o > 0)
    }

    /// Queue `q` just delivered a burst of `len` packets of which
    /// `rate_limited` were dropped over the exception limits.
    #[inline]
    pub(crate) fn burst_done(&mut self, q: usize, len: usize, rate_limited: usize) {
        if burst_is_flood(len, rate_limited) {
            if let Some(o) = self.owed.get_mut(q) {
                *o = JUST_FLOODED;
            }
        }
    }

    /// End of an iteration in which the polled queues delivered
    /// `received` packets: waiting queues are owed that many fewer, or
    /// nothing when the polled queues were empty.
    #[inline]
    pub(crate) fn iteration_done(&mut self, received: usize) {
        for o in &mut self.owed {
            *o = match *o {
                0 => 0,
                JUST_FLOODED => FLOODED_QUEUE_YIELD,
                _ if received == 0 => 0,
                n => n.saturating_sub(received as u32),
            };
        }
    }
}

/// A full burst with at least this share of packets dropped over the
/// exception limits marks its queue as flooded (3/4: a queue that still
/// carries a quarter of transit is polled at full rate).
fn burst_is_flood(burst_len: usize, rate_limited: usize) -> bool {
    burst_len == crate::BURST_SIZE && rate_limited * 4 >= burst_len * 3
}

/// A rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Tokens earned per second.
    pub per_second: u64,
    /// Tokens held at most (and at start).
    pub burst: u64,
}

/// The limits a worker applies in front of its exception rings; the
/// defaults are the constants above. Tests lower them to make the
/// outcome of a flood exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExceptionLimits {
    /// General exceptions, per worker.
    pub general: RateLimit,
    /// ARP/NDP, per receiving port.
    pub neighbor_port: RateLimit,
    /// ARP/NDP, per source-MAC bucket of a port.
    pub neighbor_source: RateLimit,
}

impl Default for ExceptionLimits {
    fn default() -> Self {
        Self {
            general: RateLimit {
                per_second: EXCEPTION_RATE_PER_WORKER,
                burst: EXCEPTION_BURST,
            },
            neighbor_port: RateLimit {
                per_second: NEIGHBOR_RATE_PER_PORT,
                burst: NEIGHBOR_BURST_PER_PORT,
            },
            neighbor_source: RateLimit {
                per_second: NEIGHBOR_RATE_PER_SOURCE,
                burst: NEIGHBOR_BURST_PER_SOURCE,
            },
        }
    }
}

/// A token bucket over a coarse clock in microseconds.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u64,
    last_us: u64,
}

impl Bucket {
    const fn full(burst: u64) -> Self {
        Self {
            tokens: burst,
            last_us: 0,
        }
    }

    /// Adds what `rate` earned since the last refill (whole tokens; the
    /// remainder keeps accruing), then takes a token.
    #[inline]
    fn take(&mut self, now_us: u64, limit: RateLimit) -> bool {
        let RateLimit {
            per_second: rate,
            burst,
        } = limit;
        let add = now_us.saturating_sub(self.last_us).saturating_mul(rate) / 1_000_000;
        if add > 0 {
            if self.tokens.saturating_add(add) >= burst {
                self.tokens = burst;
                self.last_us = now_us;
            } else {
                // Advance by exactly the time those tokens took.
                self.tokens += add;
                self.last_us += add * 1_000_000 / rate;
            }
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

/// The worker's exception limiters.
#[derive(Debug)]
pub(crate) struct Limiters {
    limits: ExceptionLimits,
    start: std::time::Instant,
    now_us: u64,
    general: Bucket,
    neighbor_port: Vec<Bucket>,
    neighbor_source: Vec<Bucket>,
}

impl Limiters {
    /// Full buckets for `ports` ports (allocated here, never again).
    pub(crate) fn new(ports: usize, limits: ExceptionLimits) -> Self {
        Self {
            limits,
            start: std::time::Instant::now(),
            now_us: 0,
            general: Bucket::full(limits.general.burst),
            neighbor_port: vec![Bucket::full(limits.neighbor_port.burst); ports],
            neighbor_source: vec![
                Bucket::full(limits.neighbor_source.burst);
                ports * NEIGHBOR_SOURCE_BUCKETS
            ],
        }
    }

    /// Reads the clock; called every [`LIMITER_REFILL_EVERY`] iterations.
    #[cold]
    pub(crate) fn tick(&mut self) {
        self.now_us = self.start.elapsed().as_micros() as u64;
    }

    /// May a general exception be punted?
    #[inline]
    pub(crate) fn take_general(&mut self) -> bool {
        self.general.take(self.now_us, self.limits.general)
    }

    /// May an ARP/NDP packet from `src_mac` on `port` be punted? The
    /// source's bucket is charged first, so a flooding station is turned
    /// away before it spends its port's allowance.
    #[inline]
    pub(crate) fn take_neighbor(&mut self, port: u16, src_mac: &[u8]) -> bool {
        let p = usize::from(port);
        let h = source_bucket(src_mac);
        let now = self.now_us;
        let Some(src) = self
            .neighbor_source
            .get_mut(p * NEIGHBOR_SOURCE_BUCKETS + h)
        else {
            return false;
        };
        if !src.take(now, self.limits.neighbor_source) {
            return false;
        }
        let port_limit = self.limits.neighbor_port;
        self.neighbor_port
            .get_mut(p)
            .is_some_and(|b| b.take(now, port_limit))
    }
}

/// The bucket of a source MAC: FNV-1a over its six bytes, folded.
#[inline]
fn source_bucket(mac: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in mac.iter().take(6) {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    ((h ^ (h >> 16)) as usize) % NEIGHBOR_SOURCE_BUCKETS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_gives_its_burst_then_its_rate() {
        let l = RateLimit {
            per_second: 1000,
            burst: 4,
        };
        let mut b = Bucket::full(4);
        for _ in 0..4 {
            assert!(b.take(0, l));
        }
        assert!(!b.take(0, l));
        assert!(!b.take(999, l), "less than one token earned");
        assert!(b.take(1000, l), "1 ms at 1000/s earns one");
        assert!(!b.take(1000, l));
        assert!(!b.take(1999, l), "the remainder keeps accruing");
        assert!(b.take(2000, l));
        assert!(b.take(1_000_000, l), "a long pause refills");
        for _ in 0..3 {
            assert!(b.take(1_000_000, l));
        }
        assert!(!b.take(1_000_000, l), "capped at the burst");
    }

    #[test]
    fn flooding_source_does_not_use_up_the_port() {
        let mut l = Limiters::new(2, ExceptionLimits::default());
        let flooder = [2, 0xcc, 0, 0, 0, 0x20];
        let neighbour = [2, 0xaa, 0, 0, 0, 0x0a];
        assert_ne!(source_bucket(&flooder), source_bucket(&neighbour));
        let admitted = (0..10_000).filter(|_| l.take_neighbor(0, &flooder)).count();
        // The clock is not read in this test: the burst is all there is.
        assert_eq!(admitted as u64, NEIGHBOR_BURST_PER_SOURCE);
        assert!(l.take_neighbor(0, &neighbour), "the port still has room");
        assert!(
            l.take_neighbor(1, &flooder),
            "another port has its own buckets"
        );
        assert!(!l.take_neighbor(9, &neighbour), "unknown port: refused");
    }

    #[test]
    fn flooded_queue_waits_for_the_others_packets_or_their_idleness() {
        let mut y = QueueYield::new(2);
        y.burst_done(1, crate::BURST_SIZE, crate::BURST_SIZE);
        y.iteration_done(crate::BURST_SIZE + 3);
        assert!(y.waiting(1), "its own burst does not count");
        assert!(!y.waiting(0));
        y.iteration_done(FLOODED_QUEUE_YIELD as usize - 1);
        assert!(y.waiting(1));
        y.iteration_done(1);
        assert!(!y.waiting(1), "the others delivered enough");
        y.burst_done(1, crate::BURST_SIZE, crate::BURST_SIZE);
        y.iteration_done(crate::BURST_SIZE);
        y.iteration_done(0);
        assert!(!y.waiting(1), "the others came up empty");
        y.burst_done(0, crate::BURST_SIZE, 8);
        y.iteration_done(crate::BURST_SIZE);
        assert!(!y.waiting(0), "a quarter of transit keeps a queue polled");
    }

    #[test]
    fn full_burst_mostly_over_the_limit_is_a_flood() {
        assert!(burst_is_flood(crate::BURST_SIZE, 24));
        assert!(!burst_is_flood(crate::BURST_SIZE, 23));
        assert!(!burst_is_flood(crate::BURST_SIZE - 1, 31));
    }
}
