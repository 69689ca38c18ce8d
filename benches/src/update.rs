//! Incremental updates while a reader keeps looking up, the way the router
//! runs them: the FIB is left-right, so the control plane updates a copy
//! that no worker reads and then publishes it (one atomic pointer store,
//! `ArcSwap`); workers keep reading the published `Arc` snapshot meanwhile.
//! So the writer here works on its own copy while a reader thread, on the
//! other core, looks up in the published snapshot without pause.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use arc_swap::ArcSwap;
use silkroute_lpm::{Lpm4, Lpm6, LpmError};

use crate::keys::Rng;
use crate::structures::BatchLookup;

/// Batches between two publications of the reader's progress (and checks of
/// the stop flag and the snapshot pointer).
const READER_BATCHES_PER_CHECK: u64 = 256;
/// The reader's batch size (the router's burst).
const READER_BATCH: usize = 32;

/// A table that takes single-route updates.
pub trait Updatable<K>: BatchLookup<K, Out = u32> + Clone + Send + Sync + 'static {
    fn insert(&mut self, addr: K, len: u8, value: u32) -> Result<Option<u32>, LpmError>;
    fn remove(&mut self, addr: K, len: u8) -> Result<Option<u32>, LpmError>;
}

impl Updatable<u32> for Lpm4 {
    fn insert(&mut self, addr: u32, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        Lpm4::insert(self, addr, len, value)
    }
    fn remove(&mut self, addr: u32, len: u8) -> Result<Option<u32>, LpmError> {
        Lpm4::remove(self, addr, len)
    }
}

impl Updatable<u128> for Lpm6 {
    fn insert(&mut self, addr: u128, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        Lpm6::insert(self, addr, len, value)
    }
    fn remove(&mut self, addr: u128, len: u8) -> Result<Option<u32>, LpmError> {
        Lpm6::remove(self, addr, len)
    }
}

/// What one update run measured.
#[derive(Debug, Clone, Copy)]
pub struct UpdateReport {
    /// Route changes applied (removes + inserts).
    pub changes: usize,
    pub secs: f64,
    /// The reader's lookups per second during the writer's run, millions.
    pub reader_mlps: f64,
    /// The copy answers like the original after remove + re-insert, on the
    /// reader's keys.
    pub consistent: bool,
}

impl UpdateReport {
    pub fn changes_per_s(&self) -> f64 {
        self.changes as f64 / self.secs
    }
}

/// Cores for the two threads.
#[derive(Debug, Clone, Copy)]
pub struct Cores {
    pub writer: Option<core_affinity::CoreId>,
    pub reader: Option<core_affinity::CoreId>,
}

/// Removes a random `fraction` of `routes` from a copy of `table`, then
/// re-inserts them in another random order, while a reader thread looks
/// `keys` up in the published snapshot; the copy is published at the end.
pub fn run<K, T>(
    table: T,
    routes: &[(K, u8, u32)],
    keys: Arc<Vec<K>>,
    fraction: f64,
    seed: u64,
    cores: Cores,
) -> anyhow::Result<UpdateReport>
where
    K: Copy + Send + Sync + 'static,
    T: Updatable<K>,
{
    let published = Arc::new(ArcSwap::from_pointee(table));
    let stop = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    let started = Arc::new(Barrier::new(2));
    let reader = {
        let (published, stop, progress, started, keys) = (
            Arc::clone(&published),
            Arc::clone(&stop),
            Arc::clone(&progress),
            Arc::clone(&started),
            Arc::clone(&keys),
        );
        std::thread::spawn(move || {
            if let Some(core) = cores.reader {
                core_affinity::set_for_current(core);
            }
            let mut out = [0u32; READER_BATCH];
            let mut batches = 0u64;
            let mut snapshot = published.load_full();
            started.wait();
            'run: loop {
                for chunk in keys.chunks(READER_BATCH) {
                    snapshot.lookup_batch(chunk, &mut out);
                    std::hint::black_box(&mut out);
                    batches += 1;
                    if batches % READER_BATCHES_PER_CHECK == 0 {
                        progress.store(batches * READER_BATCH as u64, Ordering::Relaxed);
                        if stop.load(Ordering::Relaxed) {
                            break 'run;
                        }
                        // Between bursts, as a worker adopts a new FIB.
                        snapshot = published.load_full();
                    }
                }
            }
        })
    };
    if let Some(core) = cores.writer {
        core_affinity::set_for_current(core);
    }

    let original = published.load_full();
    let mut copy: T = (*original).clone();
    let mut rng = Rng(seed);
    let mut order: Vec<usize> = (0..routes.len()).collect();
    rng.shuffle(&mut order);
    let n = ((routes.len() as f64 * fraction) as usize).min(routes.len());
    let picked = &mut order[..n];

    started.wait();
    let read_before = progress.load(Ordering::Relaxed);
    let start = Instant::now();
    for &i in picked.iter() {
        let (a, l, _) = routes[i];
        copy.remove(a, l)?;
    }
    rng.shuffle(picked);
    for &i in picked.iter() {
        let (a, l, v) = routes[i];
        copy.insert(a, l, v)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let read_after = progress.load(Ordering::Relaxed);
    published.store(Arc::new(copy));
    stop.store(true, Ordering::Relaxed);
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader thread panicked"))?;

    let now = published.load_full();
    let sample: Vec<K> = keys.iter().step_by(97).copied().collect();
    let mut a = vec![0u32; sample.len()];
    let mut b = vec![0u32; sample.len()];
    original.lookup_batch(&sample, &mut a);
    now.lookup_batch(&sample, &mut b);
    Ok(UpdateReport {
        changes: 2 * n,
        secs,
        reader_mlps: read_after.saturating_sub(read_before) as f64 / secs / 1e6,
        consistent: a == b,
    })
}
