//! The timing loop and the correctness guard, the same for every structure.

use std::hint::black_box;
use std::time::Instant;

use crate::structures::BatchLookup;

/// How a structure is measured.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Passes over the whole key set; the median rate is reported.
    pub passes: usize,
    /// Keys per batch call (the router's burst size by default).
    pub batch: usize,
    /// Every `sample_stride`-th key is compared across structures.
    pub sample_stride: usize,
}

/// Million lookups per second: the median of `plan.passes` passes, each
/// looking up every key in batches of `plan.batch`.
pub fn rate<K, S: BatchLookup<K>>(table: &S, keys: &[K], plan: &Plan) -> f64 {
    let mut out = vec![S::Out::default(); plan.batch];
    let mut rates: Vec<f64> = (0..plan.passes.max(1))
        .map(|_| {
            let start = Instant::now();
            for chunk in keys.chunks(plan.batch) {
                table.lookup_batch(chunk, &mut out);
                black_box(&mut out);
            }
            keys.len() as f64 / start.elapsed().as_secs_f64() / 1e6
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// The decoded answers for every `plan.sample_stride`-th key.
pub fn sample<K: Copy, S: BatchLookup<K>>(table: &S, keys: &[K], plan: &Plan) -> Vec<Option<u32>> {
    let picked: Vec<K> = keys.iter().step_by(plan.sample_stride).copied().collect();
    let mut out = vec![S::Out::default(); picked.len()];
    for (k, o) in picked.chunks(plan.batch).zip(out.chunks_mut(plan.batch)) {
        table.lookup_batch(k, o);
    }
    out.into_iter().map(|o| table.decode(o)).collect()
}

/// Compares a structure's sampled answers with ours: the first difference,
/// if any, as `(sample index, ours, theirs, differing count)`.
pub fn first_mismatch(
    ours: &[Option<u32>],
    theirs: &[Option<u32>],
) -> Option<(usize, Option<u32>, Option<u32>, usize)> {
    let differing = ours.iter().zip(theirs).filter(|(a, b)| a != b).count();
    ours.iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .map(|i| (i, ours[i], theirs[i], differing))
}
