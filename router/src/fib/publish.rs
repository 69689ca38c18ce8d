//! RCU-style publication of FIB snapshots.
//!
//! The control plane owns a [`FibPublisher`]; each worker owns a
//! [`FibReader`]. Publishing is one atomic pointer swap plus a generation
//! bump. A reader checks the generation once per burst (one relaxed-cost
//! load of a line that only changes on publish) and, when it moved, takes
//! the new snapshot and acknowledges its generation. The publisher keeps
//! every snapshot it replaced until all readers have acknowledged a newer
//! one, so a worker never frees a table (freeing 10 MiB is not a data-path
//! job) and never sees a half-built one: a snapshot is complete before it
//! is published and never mutated while any reader may hold it.
//!
//! Once retired and unreferenced, a snapshot can be taken back for reuse
//! ([`FibPublisher::reclaim`]): the control plane applies the same delta to
//! it and publishes it again (left-right), so small updates never copy or
//! rebuild a whole table.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;

use super::Fib;

/// A reader that has gone away acknowledges everything.
const GONE: u64 = u64::MAX;

#[derive(Debug)]
struct Shared {
    current: ArcSwap<Fib>,
    generation: CachePadded<AtomicU64>,
}

/// The control plane's end: publishes snapshots, tracks who adopted them.
#[derive(Debug)]
pub struct FibPublisher {
    shared: Arc<Shared>,
    acks: Vec<Arc<CachePadded<AtomicU64>>>,
    retired: Vec<Arc<Fib>>,
    generation: u64,
}

/// A worker's end: the snapshot in use.
#[derive(Debug)]
pub struct FibReader {
    shared: Arc<Shared>,
    current: Arc<Fib>,
    ack: Arc<CachePadded<AtomicU64>>,
}

impl FibPublisher {
    /// Starts with `initial` as generation 1.
    pub fn new(mut initial: Fib) -> Self {
        initial.generation = 1;
        Self {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(initial),
                generation: CachePadded::new(AtomicU64::new(1)),
            }),
            acks: Vec::new(),
            retired: Vec::new(),
            generation: 1,
        }
    }

    /// A new reader, starting on the current snapshot.
    pub fn reader(&mut self) -> FibReader {
        let current = self.shared.current.load_full();
        let ack = Arc::new(CachePadded::new(AtomicU64::new(current.generation)));
        self.acks.push(Arc::clone(&ack));
        FibReader {
            shared: Arc::clone(&self.shared),
            current,
            ack,
        }
    }

    /// The snapshot readers are being moved to.
    pub fn current(&self) -> Arc<Fib> {
        self.shared.current.load_full()
    }

    /// Generation of the current snapshot.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Publishes `fib` as the next generation and returns that generation.
    pub fn publish(&mut self, mut fib: Fib) -> u64 {
        self.generation += 1;
        fib.generation = self.generation;
        let old = self.shared.current.swap(Arc::new(fib));
        self.shared
            .generation
            .store(self.generation, Ordering::Release);
        self.retired.push(old);
        self.generation
    }

    /// The oldest generation any live reader still uses.
    pub fn oldest_in_use(&self) -> u64 {
        self.acks
            .iter()
            .map(|a| a.load(Ordering::Acquire))
            .min()
            .unwrap_or(GONE)
    }

    /// True when every live reader has adopted `generation` or later.
    pub fn adopted(&self, generation: u64) -> bool {
        self.oldest_in_use() >= generation
    }

    /// Waits (spinning, then sleeping briefly) until every reader adopted
    /// `generation`; false on timeout.
    pub fn wait_adopted(&self, generation: u64, timeout: Duration) -> bool {
        let start = Instant::now();
        let mut spins = 0u32;
        while !self.adopted(generation) {
            if start.elapsed() >= timeout {
                return false;
            }
            if spins < 1000 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::sleep(Duration::from_micros(20));
            }
        }
        true
    }

    /// Frees retired snapshots no reader uses any more; returns how many
    /// are still waiting.
    pub fn collect(&mut self) -> usize {
        let oldest = self.oldest_in_use();
        self.retired
            .retain(|f| f.generation >= oldest || Arc::strong_count(f) > 1);
        self.retired.len()
    }

    /// Takes back the newest retired snapshot once no reader can reach it,
    /// for the control plane to update in place and publish again.
    pub fn reclaim(&mut self) -> Option<Fib> {
        let oldest = self.oldest_in_use();
        let idx = self
            .retired
            .iter()
            .rposition(|f| f.generation < oldest && Arc::strong_count(f) == 1)?;
        let arc = self.retired.remove(idx);
        Arc::try_unwrap(arc).ok()
    }
}

impl FibReader {
    /// Adopts the newest snapshot if one was published; call once per
    /// burst, between bursts. Returns true when it switched.
    #[inline]
    pub fn refresh(&mut self) -> bool {
        if self.shared.generation.load(Ordering::Acquire) == self.current.generation {
            return false;
        }
        self.switch();
        true
    }

    #[cold]
    fn switch(&mut self) {
        // The publisher still holds the old snapshot in its retired list,
        // so this drop only decrements a count; nothing is freed here.
        self.current = self.shared.current.load_full();
        self.ack.store(self.current.generation, Ordering::Release);
    }

    /// The snapshot in use.
    #[inline]
    pub fn fib(&self) -> &Fib {
        &self.current
    }
}

impl Drop for FibReader {
    fn drop(&mut self) {
        self.ack.store(GONE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fib::Target;

    fn fib_with(marker: usize) -> Fib {
        let mut f = Fib::empty(Vec::new());
        f.targets = vec![Target::Blackhole; marker];
        f
    }

    #[test]
    fn readers_switch_between_bursts_and_old_snapshots_are_reclaimed() {
        let mut p = FibPublisher::new(fib_with(1));
        let mut r = p.reader();
        assert_eq!(r.fib().targets.len(), 1);
        let g = p.publish(fib_with(2));
        assert!(!p.adopted(g));
        assert!(p.reclaim().is_none(), "reader still on generation 1");
        assert!(r.refresh());
        assert_eq!(r.fib().targets.len(), 2);
        assert!(p.adopted(g));
        let back = p.reclaim().expect("generation 1 is free");
        assert_eq!(back.targets.len(), 1);
        assert!(!r.refresh());
        drop(r);
        assert!(p.adopted(u64::MAX));
    }

    #[test]
    fn concurrent_reader_never_sees_torn_snapshot() {
        // Each snapshot is internally consistent: targets.len() equals
        // next_hops.len(). A reader checks that on every refresh while the
        // publisher keeps publishing.
        fn consistent(n: usize) -> Fib {
            let mut f = Fib::empty(Vec::new());
            f.targets = vec![Target::Local; n];
            f.next_hops = (0..n)
                .map(|_| crate::fib::NextHop {
                    port: 0,
                    mac: None,
                    addr: std::net::Ipv4Addr::UNSPECIFIED.into(),
                })
                .collect();
            f
        }
        let mut p = FibPublisher::new(consistent(1));
        let mut r = p.reader();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = Arc::clone(&stop);
        let t = std::thread::spawn(move || {
            let mut seen = 0u64;
            let mut last_gen = 0;
            while !s2.load(Ordering::Relaxed) {
                r.refresh();
                let f = r.fib();
                assert_eq!(f.targets.len(), f.next_hops.len());
                assert!(f.generation >= last_gen, "generations go forward");
                last_gen = f.generation;
                seen += 1;
            }
            seen
        });
        let rounds = if cfg!(miri) { 20 } else { 2000 };
        for i in 0..rounds {
            let g = p.publish(consistent(i % 7 + 1));
            assert!(p.wait_adopted(g, Duration::from_secs(10)));
            p.collect();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(t.join().unwrap() > 0);
    }
}
