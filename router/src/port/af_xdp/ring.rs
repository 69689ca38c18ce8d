//! The four single-producer/single-consumer rings an AF_XDP socket shares
//! with the kernel (fill, completion, rx, tx), mapped from the socket.
//!
//! Each ring is a power-of-two array of entries plus a producer and a
//! consumer index (free-running `u32`s) and a flags word. User space is
//! the producer of the fill and tx rings and the consumer of the rx and
//! completion rings. Indices are cached so that the shared cache lines are
//! read once per burst, not per entry; the kernel side pairs our
//! `Release` stores with its acquire loads (`smp_load_acquire` in
//! `net/xdp/xsk_queue.h`) and the other way round.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// One mmap'ed ring; unmapped on drop.
#[derive(Debug)]
pub(super) struct Ring<T: Copy> {
    map: NonNull<u8>,
    map_len: usize,
    producer: NonNull<AtomicU32>,
    consumer: NonNull<AtomicU32>,
    flags: NonNull<AtomicU32>,
    entries: NonNull<T>,
    mask: u32,
    /// Our copy of the index we own (producer for fill/tx, consumer for
    /// rx/completion).
    local: u32,
    /// Last seen value of the index the kernel owns.
    cached_remote: u32,
}

// SAFETY: the ring's memory is owned by this value (unmapped on drop) and
// only accessed through `&mut self`; the kernel side is synchronised with
// atomics. Moving it to another thread is sound.
unsafe impl<T: Copy> Send for Ring<T> {}

impl<T: Copy> Ring<T> {
    /// Maps `entries` entries of ring `pgoff` of socket `fd`, whose
    /// offsets the kernel gave in `off`.
    pub(super) fn map(
        fd: &OwnedFd,
        pgoff: u64,
        off: &libc::xdp_ring_offset,
        entries: u32,
    ) -> io::Result<Self> {
        let map_len = off.desc as usize + entries as usize * std::mem::size_of::<T>();
        // SAFETY: a fresh shared mapping of the socket's ring at the
        // kernel-defined page offset; we check the result before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                pgoff as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = p.cast::<u8>();
        let at = |o: u64| -> NonNull<u8> {
            // SAFETY: the kernel's offsets lie inside the mapping of
            // `map_len` bytes; mmap never returns null on success.
            unsafe { NonNull::new_unchecked(base.add(o as usize)) }
        };
        Ok(Self {
            // SAFETY: mmap succeeded, so `base` is not null.
            map: unsafe { NonNull::new_unchecked(base) },
            map_len,
            producer: at(off.producer).cast(),
            consumer: at(off.consumer).cast(),
            flags: at(off.flags).cast(),
            entries: at(off.desc).cast(),
            mask: entries - 1,
            local: 0,
            cached_remote: 0,
        })
    }

    fn producer(&self) -> &AtomicU32 {
        // SAFETY: points into our live mapping at the kernel's offset,
        // 4-byte aligned; shared with the kernel only through atomics.
        unsafe { self.producer.as_ref() }
    }

    fn consumer(&self) -> &AtomicU32 {
        // SAFETY: as for `producer`.
        unsafe { self.consumer.as_ref() }
    }

    /// The ring's size.
    pub(super) fn size(&self) -> u32 {
        self.mask + 1
    }

    /// True when the kernel asks for a wakeup (`XDP_RING_NEED_WAKEUP`).
    #[inline]
    pub(super) fn needs_wakeup(&self) -> bool {
        // SAFETY: as for `producer`.
        let flags = unsafe { self.flags.as_ref() };
        flags.load(Ordering::Relaxed) & libc::XDP_RING_NEED_WAKEUP != 0
    }

    #[inline]
    fn slot(&mut self, index: u32) -> *mut T {
        // SAFETY: `index & mask` is below the ring's entry count, all
        // inside the mapping.
        unsafe { self.entries.as_ptr().add((index & self.mask) as usize) }
    }

    // ------------------------------------------------- producer side

    /// Free entries we may produce (fill, tx), refreshing the kernel's
    /// consumer index only when the cached one says the ring is short.
    #[inline]
    pub(super) fn free(&mut self, want: u32) -> u32 {
        let size = self.size();
        let mut free = size - self.local.wrapping_sub(self.cached_remote);
        if free < want {
            self.cached_remote = self.consumer().load(Ordering::Acquire);
            free = size - self.local.wrapping_sub(self.cached_remote);
        }
        free
    }

    /// Writes `value` into the next producer slot (the caller checked
    /// [`Ring::free`]); published by [`Ring::submit`].
    #[inline]
    pub(super) fn push(&mut self, value: T) {
        let i = self.local;
        // SAFETY: the slot is ours (between the kernel's consumer index and
        // our producer index plus the free count the caller checked).
        unsafe { self.slot(i).write(value) };
        self.local = i.wrapping_add(1);
    }

    /// Publishes every entry pushed so far.
    #[inline]
    pub(super) fn submit(&mut self) {
        self.producer().store(self.local, Ordering::Release);
    }

    /// Entries produced that the kernel has not consumed yet.
    pub(super) fn outstanding(&mut self) -> u32 {
        self.cached_remote = self.consumer().load(Ordering::Acquire);
        self.local.wrapping_sub(self.cached_remote)
    }

    // ------------------------------------------------- consumer side

    /// Entries ready to consume (rx, completion), at most `max`.
    #[inline]
    pub(super) fn ready(&mut self, max: u32) -> u32 {
        let mut n = self.cached_remote.wrapping_sub(self.local);
        if n < max {
            self.cached_remote = self.producer().load(Ordering::Acquire);
            n = self.cached_remote.wrapping_sub(self.local);
        }
        n.min(max)
    }

    /// The `k`-th ready entry (k below what [`Ring::ready`] returned).
    #[inline]
    pub(super) fn peek(&mut self, k: u32) -> T {
        let i = self.local.wrapping_add(k);
        // SAFETY: the kernel produced this entry (it is below the producer
        // index we acquired) and will not touch it until we release it.
        unsafe { self.slot(i).read() }
    }

    /// Gives `n` consumed entries back to the kernel.
    #[inline]
    pub(super) fn release(&mut self, n: u32) {
        self.local = self.local.wrapping_add(n);
        self.consumer().store(self.local, Ordering::Release);
    }
}

impl<T: Copy> Drop for Ring<T> {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`; nothing
        // refers to it after this.
        unsafe {
            libc::munmap(self.map.as_ptr().cast(), self.map_len);
        }
    }
}
