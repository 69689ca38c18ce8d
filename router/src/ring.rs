//! A bounded single-producer single-consumer ring of fixed slots.
//!
//! The exception path (worker → control plane) and the inject path (control
//! plane → worker) use one ring each per worker. Slots are written in place
//! ([`Producer::push_with`]) so a 2 KiB packet slot is never moved through
//! the stack, and neither side allocates or locks.
//!
//! Contract: exactly one [`Producer`] and one [`Consumer`] exist per ring
//! (enforced by construction: [`ring`] hands out the only pair and neither is
//! `Clone`). Head and tail live on separate 128-byte lines (two lines, so the
//! adjacent-line prefetcher does not pull the other side's index), and each
//! side caches the other's index so the shared line is read only when the
//! ring looks full (producer) or empty (consumer).
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// 128-byte aligned wrapper so head and tail never share a cache line pair.
#[repr(align(128))]
#[derive(Debug, Default)]
struct Padded<T>(T);

struct Shared<T> {
    /// Next slot the consumer reads (written only by the consumer).
    head: Padded<AtomicUsize>,
    /// Next slot the producer writes (written only by the producer).
    tail: Padded<AtomicUsize>,
    mask: usize,
    slots: Box<[UnsafeCell<T>]>,
}

// SAFETY: a slot is accessed by the producer only while `tail - head <
// capacity` proves the consumer is not reading it, and by the consumer only
// after the producer's Release store of `tail` published it (Acquire load),
// so no slot is ever accessed from two threads at once. `T: Send` is needed
// because values cross from the producer's thread to the consumer's.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; the ring owns its `T`s, which are `Send`.
unsafe impl<T: Send> Send for Shared<T> {}

/// The writing end of a ring.
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    tail: usize,
    cached_head: usize,
}

/// The reading end of a ring.
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    head: usize,
    cached_tail: usize,
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.shared.slots.len())
            .field("tail", &self.tail)
            .finish()
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.shared.slots.len())
            .field("head", &self.head)
            .finish()
    }
}

/// Creates a ring with room for `capacity` slots (rounded up to a power of
/// two, at least 2), each initialised with `init()`. Slots are reused: a
/// push overwrites a previously consumed value in place.
pub fn ring<T: Send>(capacity: usize, mut init: impl FnMut() -> T) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.max(2).next_power_of_two();
    let slots: Box<[UnsafeCell<T>]> = (0..cap).map(|_| UnsafeCell::new(init())).collect();
    let shared = Arc::new(Shared {
        head: Padded(AtomicUsize::new(0)),
        tail: Padded(AtomicUsize::new(0)),
        mask: cap - 1,
        slots,
    });
    (
        Producer {
            shared: Arc::clone(&shared),
            tail: 0,
            cached_head: 0,
        },
        Consumer {
            shared,
            head: 0,
            cached_tail: 0,
        },
    )
}

impl<T: Send> Producer<T> {
    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.shared.slots.len()
    }

    fn has_room(&mut self) -> bool {
        if self.tail.wrapping_sub(self.cached_head) < self.capacity() {
            return true;
        }
        self.cached_head = self.shared.head.0.load(Ordering::Acquire);
        self.tail.wrapping_sub(self.cached_head) < self.capacity()
    }

    /// Fills the next free slot in place with `fill` and publishes it.
    /// Returns `false` (and does not call `fill`) when the ring is full.
    #[inline]
    pub fn push_with(&mut self, fill: impl FnOnce(&mut T)) -> bool {
        if !self.has_room() {
            return false;
        }
        let cell = &self.shared.slots[self.tail & self.shared.mask];
        // SAFETY: `has_room` proved `tail - head < capacity`, so the consumer
        // has finished with this slot (it advanced `head` past it with a
        // Release store we observed with Acquire) and will not touch it again
        // until we publish `tail + 1` below. We are the only producer.
        fill(unsafe { &mut *cell.get() });
        self.tail = self.tail.wrapping_add(1);
        self.shared.tail.0.store(self.tail, Ordering::Release);
        true
    }

    /// Free slots, refreshing the view of the consumer's progress when
    /// fewer than `want` are known to be free.
    pub fn free_slots(&mut self, want: usize) -> usize {
        let free = self.capacity() - self.tail.wrapping_sub(self.cached_head);
        if free >= want {
            return free;
        }
        self.cached_head = self.shared.head.0.load(Ordering::Acquire);
        self.capacity() - self.tail.wrapping_sub(self.cached_head)
    }

    /// Fills up to `max` free slots in order, calling `fill` once per slot,
    /// and publishes them with one store: a burst costs the consumer one
    /// cache-line transfer, not one per item. Returns how many were filled
    /// (fewer than `max` when the ring has less room).
    #[inline]
    pub fn push_many(&mut self, max: usize, mut fill: impl FnMut(&mut T)) -> usize {
        let n = self.free_slots(max).min(max);
        for k in 0..n {
            let cell = &self.shared.slots[self.tail.wrapping_add(k) & self.shared.mask];
            // SAFETY: `free_slots` proved `tail + n - head <= capacity`, so
            // the consumer has finished with these `n` slots (it advanced
            // `head` past them with a Release store we observed with
            // Acquire) and will not touch them until we publish the new
            // `tail` below. We are the only producer.
            fill(unsafe { &mut *cell.get() });
        }
        if n > 0 {
            self.tail = self.tail.wrapping_add(n);
            self.shared.tail.0.store(self.tail, Ordering::Release);
        }
        n
    }

    /// Moves `value` into the next free slot; gives it back when full.
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if !self.has_room() {
            return Err(value);
        }
        let mut value = Some(value);
        self.push_with(|slot| {
            if let Some(v) = value.take() {
                *slot = v;
            }
        });
        Ok(())
    }
}

impl<T: Send> Consumer<T> {
    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.shared.slots.len()
    }

    fn has_item(&mut self) -> bool {
        if self.cached_tail != self.head {
            return true;
        }
        self.cached_tail = self.shared.tail.0.load(Ordering::Acquire);
        self.cached_tail != self.head
    }

    /// Number of slots ready to be consumed (a snapshot).
    pub fn len(&mut self) -> usize {
        self.cached_tail = self.shared.tail.0.load(Ordering::Acquire);
        self.cached_tail.wrapping_sub(self.head)
    }

    /// True when nothing is waiting.
    pub fn is_empty(&mut self) -> bool {
        !self.has_item()
    }

    /// Reads the oldest slot in place with `read` and releases it to the
    /// producer. Returns `None` when the ring is empty.
    #[inline]
    pub fn pop_with<R>(&mut self, read: impl FnOnce(&mut T) -> R) -> Option<R> {
        if !self.has_item() {
            return None;
        }
        let cell = &self.shared.slots[self.head & self.shared.mask];
        // SAFETY: `has_item` observed (Acquire) a `tail` beyond `head`, so the
        // producer finished writing this slot before its Release store, and
        // it will not write it again until we publish `head + 1` below. We
        // are the only consumer.
        let r = read(unsafe { &mut *cell.get() });
        self.head = self.head.wrapping_add(1);
        self.shared.head.0.store(self.head, Ordering::Release);
        Some(r)
    }
}

impl<T: Send> Consumer<T> {
    /// Reads up to `max` of the oldest slots in order, calling `read` once
    /// per slot, and releases them to the producer with one store (one
    /// cache-line transfer per burst for a producer polling a full ring).
    /// Returns how many were read.
    #[inline]
    pub fn pop_many(&mut self, max: usize, mut read: impl FnMut(&mut T)) -> usize {
        let mut ready = self.cached_tail.wrapping_sub(self.head);
        if ready < max {
            self.cached_tail = self.shared.tail.0.load(Ordering::Acquire);
            ready = self.cached_tail.wrapping_sub(self.head);
        }
        let n = ready.min(max);
        for k in 0..n {
            let cell = &self.shared.slots[self.head.wrapping_add(k) & self.shared.mask];
            // SAFETY: we observed (Acquire) a `tail` at least `head + n`, so
            // the producer finished writing these slots before its Release
            // store, and it will not write them again until we publish the
            // new `head` below. We are the only consumer.
            read(unsafe { &mut *cell.get() });
        }
        if n > 0 {
            self.head = self.head.wrapping_add(n);
            self.shared.head.0.store(self.head, Ordering::Release);
        }
        n
    }
}

impl<T: Send + Default> Consumer<T> {
    /// Takes the oldest value out, leaving `T::default()` in its slot.
    pub fn pop(&mut self) -> Option<T> {
        self.pop_with(std::mem::take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_capacity() {
        let (mut p, mut c) = ring::<u64>(3, || 0);
        assert_eq!(p.capacity(), 4);
        for i in 0..4 {
            assert!(p.push(i).is_ok());
        }
        assert_eq!(p.push(99), Err(99));
        assert_eq!(c.len(), 4);
        for i in 0..4 {
            assert_eq!(c.pop(), Some(i));
        }
        assert_eq!(c.pop(), None);
        assert!(c.is_empty());
    }

    #[test]
    fn in_place_slots_are_reused() {
        let (mut p, mut c) = ring::<Vec<u8>>(2, || Vec::with_capacity(16));
        assert!(p.push_with(|s| {
            s.clear();
            s.extend_from_slice(b"abc");
        }));
        assert_eq!(c.pop_with(|s| s.clone()), Some(b"abc".to_vec()));
    }

    #[test]
    fn two_threads_transfer_every_item_in_order() {
        let n: u64 = if cfg!(miri) { 2_000 } else { 1_000_000 };
        let (mut p, mut c) = ring::<u64>(64, || 0);
        let t = std::thread::spawn(move || {
            let mut i = 0;
            while i < n {
                if p.push(i).is_ok() {
                    i += 1;
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        let mut expect = 0;
        while expect < n {
            if let Some(v) = c.pop() {
                assert_eq!(v, expect);
                expect += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        t.join().unwrap();
    }

    #[test]
    fn bursts_stop_at_the_ring_edges_and_wrap() {
        let (mut p, mut c) = ring::<u64>(8, || 0);
        let mut next = 0;
        // More than fits: exactly the capacity is filled.
        assert_eq!(
            p.push_many(10, |s| {
                *s = next;
                next += 1;
            }),
            8
        );
        assert_eq!(p.push_many(1, |_| unreachable!("full ring")), 0);
        let mut got = Vec::new();
        assert_eq!(c.pop_many(5, |s| got.push(*s)), 5);
        assert_eq!(got, [0, 1, 2, 3, 4]);
        // The producer sees the freed slots and wraps around the end.
        assert_eq!(p.free_slots(5), 5);
        assert_eq!(
            p.push_many(5, |s| {
                *s = next;
                next += 1;
            }),
            5
        );
        got.clear();
        assert_eq!(c.pop_many(100, |s| got.push(*s)), 8);
        assert_eq!(got, (5..13).collect::<Vec<_>>());
        assert_eq!(c.pop_many(4, |_| unreachable!("empty ring")), 0);
        // Single-item and burst operations mix.
        assert!(p.push(13).is_ok());
        assert_eq!(c.pop_many(4, |s| assert_eq!(*s, 13)), 1);
    }

    #[test]
    fn two_threads_transfer_every_item_in_order_in_bursts() {
        let n: u64 = if cfg!(miri) { 2_000 } else { 1_000_000 };
        let (mut p, mut c) = ring::<u64>(64, || 0);
        let t = std::thread::spawn(move || {
            let mut i = 0;
            while i < n {
                // Odd burst sizes so bursts straddle the wrap point.
                let want = (n - i).min(1 + i % 37) as usize;
                let pushed = p.push_many(want, |s| {
                    *s = i;
                    i += 1;
                });
                if pushed == 0 {
                    std::hint::spin_loop();
                }
            }
        });
        let mut expect = 0;
        while expect < n {
            let got = c.pop_many(32, |s| {
                assert_eq!(*s, expect);
                expect += 1;
            });
            if got == 0 {
                std::hint::spin_loop();
            }
        }
        t.join().unwrap();
    }
}
