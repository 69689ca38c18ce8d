//! Replaying frames held in memory: the receive side of pcap ports and of
//! looping memory ports. Each `rx_burst` copies frames into pool buffers,
//! the way a NIC DMAs into descriptors' buffers.

use std::sync::Arc;

use crate::buf::{HeapBuf, PoolCache, HEAP_BUF_SIZE};
use crate::port::{Burst, DriverCounters, RxStatus};

/// Frames to replay once or in a loop.
#[derive(Debug)]
pub struct FrameSource {
    frames: Vec<Vec<u8>>,
    next: usize,
    looped: bool,
    /// Frames skipped because they are larger than a buffer count as
    /// `rx_dropped` here.
    counters: Arc<DriverCounters>,
}

impl FrameSource {
    /// A source over `frames`; with `looped` it starts over at the end.
    pub fn new(frames: Vec<Vec<u8>>, looped: bool, counters: Arc<DriverCounters>) -> Self {
        Self {
            frames,
            next: 0,
            looped,
            counters,
        }
    }

    /// Number of frames in one pass.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when the source has no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub(crate) fn rx_burst(&mut self, pool: &mut PoolCache, out: &mut Burst<HeapBuf>) -> RxStatus {
        // A burst skips at most one pass worth of oversize frames, so a
        // looped capture whose frames are all oversize cannot spin here.
        let mut skipped = 0;
        while !out.is_full() && skipped <= self.frames.len() {
            if self.next >= self.frames.len() {
                if self.looped && !self.frames.is_empty() {
                    self.next = 0;
                } else {
                    return if out.is_empty() {
                        RxStatus::Exhausted
                    } else {
                        RxStatus::Active
                    };
                }
            }
            let frame = &self.frames[self.next];
            if frame.len() > HEAP_BUF_SIZE {
                DriverCounters::bump(&self.counters.rx_dropped);
                skipped += 1;
                self.next += 1;
                continue;
            }
            // An empty pool means buffers are in flight; the frame stays
            // due and is replayed on a later burst (a NIC would drop it,
            // but a replayed capture is more useful lossless).
            let Some(mut b) = pool.alloc() else {
                break;
            };
            b.fill_from(frame);
            self.next += 1;
            out.push(b);
        }
        RxStatus::Active
    }
}
