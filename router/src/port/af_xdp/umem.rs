//! The UMEM (the packet memory a worker's AF_XDP sockets share with the
//! kernel), its frames as packet buffers, and the worker's free list.
//!
//! One UMEM per worker, registered on the worker's first socket and shared
//! by its others (`XDP_SHARED_UMEM`, each socket with its own fill and
//! completion rings), so a frame received on one port is transmitted on
//! another by passing its address: forwarding never copies.
//!
//! Ownership of a frame is always exactly one of: the worker's free list,
//! a fill ring, the kernel (between fill and rx, or between tx and
//! completion), or one [`XdpBuf`]. The kernel writes only to frames it
//! owns, so an `XdpBuf` is an exclusive view.
#![allow(unsafe_code)]

use std::io;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::port::{BufPool, PacketBuf};

/// Bytes per UMEM frame (chunk). 2048: two frames per page keeps the
/// UMEM small and TLB-friendly; in copy mode the kernel puts
/// `XDP_PACKET_HEADROOM` (256) bytes before a received frame, leaving 1792
/// bytes, enough for a 1500-byte MTU frame with VLAN tags.
pub const FRAME_SIZE: u32 = 2048;

/// The worker's packet memory: an anonymous mapping, unmapped on drop
/// (after every socket using it has closed: each holds an `Arc`).
#[derive(Debug)]
pub struct Umem {
    base: NonNull<u8>,
    len: usize,
    frames: u32,
}

// SAFETY: the mapping is plain memory owned by this value; access to
// frames is governed by the ownership rules in the module docs.
unsafe impl Send for Umem {}
// SAFETY: `Umem` itself exposes no access to the memory through `&self`
// except its address; see above.
unsafe impl Sync for Umem {}

impl Umem {
    /// Maps `frames` frames of [`FRAME_SIZE`] bytes.
    pub(super) fn new(frames: u32) -> io::Result<Arc<Self>> {
        let len = frames as usize * FRAME_SIZE as usize;
        // SAFETY: a fresh private anonymous mapping; checked before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Arc::new(Self {
            // SAFETY: mmap succeeded, so `p` is not null.
            base: unsafe { NonNull::new_unchecked(p.cast()) },
            len,
            frames,
        }))
    }

    /// Start address (for `XDP_UMEM_REG`).
    pub(super) fn addr(&self) -> u64 {
        self.base.as_ptr() as u64
    }

    /// Length in bytes.
    pub(super) fn len(&self) -> u64 {
        self.len as u64
    }

    /// Number of frames.
    pub(super) fn frames(&self) -> u32 {
        self.frames
    }
}

impl Drop for Umem {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`; every socket that registered
        // it holds an `Arc` and has closed, and no `XdpBuf` outlives its
        // worker (see `XdpBuf`).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

/// One UMEM frame as a packet buffer: the frame's address (offset in the
/// UMEM, where the packet starts), the packet length and the UMEM base.
///
/// No reference count: the UMEM outlives the buffer because buffers live
/// only inside their worker (bursts, TX batches), which holds the UMEM
/// through its pool and queues; dropping a buffer without freeing it
/// loses the frame, never memory safety.
pub struct XdpBuf {
    base: NonNull<u8>,
    addr: u64,
    len: u32,
}

impl std::fmt::Debug for XdpBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XdpBuf")
            .field("addr", &self.addr)
            .field("len", &self.len)
            .finish()
    }
}

// SAFETY: the buffer is an exclusive view of one frame (module docs).
unsafe impl Send for XdpBuf {}

impl XdpBuf {
    /// A buffer for the frame data at `addr` (`len` bytes) of `umem`.
    #[inline]
    pub(super) fn new(umem: &Umem, addr: u64, len: u32) -> Self {
        Self {
            base: umem.base,
            addr,
            len,
        }
    }

    /// Offset of the packet in the UMEM (what descriptors carry).
    #[inline]
    pub(super) fn addr(&self) -> u64 {
        self.addr
    }

    /// Bytes from the packet start to the end of its frame.
    #[inline]
    fn room(&self) -> usize {
        (FRAME_SIZE as u64 - (self.addr & (FRAME_SIZE as u64 - 1))) as usize
    }
}

impl PacketBuf for XdpBuf {
    #[inline]
    fn data(&self) -> &[u8] {
        // SAFETY: `addr + len` lies inside one frame of the live UMEM
        // (`len <= room`), and this buffer owns the frame exclusively.
        unsafe {
            std::slice::from_raw_parts(
                self.base.as_ptr().add(self.addr as usize),
                self.len as usize,
            )
        }
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `data`; `&mut self` makes the view unique.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.base.as_ptr().add(self.addr as usize),
                self.len as usize,
            )
        }
    }
    #[inline]
    fn set_len(&mut self, len: usize) {
        self.len = len.min(self.room()) as u32;
    }
    #[inline]
    fn capacity(&self) -> usize {
        self.room()
    }
    #[inline]
    fn raw_mut(&mut self) -> &mut [u8] {
        let room = self.room();
        // SAFETY: the rest of this buffer's frame, inside the live UMEM,
        // owned exclusively.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr().add(self.addr as usize), room) }
    }
}

/// A worker's free UMEM frames (frame start addresses): a stack, so the
/// most recently freed (cache-warm) frame is reused first.
#[derive(Debug)]
pub struct XdpPool {
    umem: Arc<Umem>,
    free: Vec<u64>,
}

impl XdpPool {
    /// Every frame of `umem`, free.
    pub(super) fn new(umem: Arc<Umem>) -> Self {
        let free = (0..u64::from(umem.frames()))
            .rev()
            .map(|i| i * u64::from(FRAME_SIZE))
            .collect();
        Self { umem, free }
    }

    /// Takes a free frame's address.
    #[inline]
    pub(super) fn take(&mut self) -> Option<u64> {
        self.free.pop()
    }

    /// Gives back the frame holding `addr` (any address inside it).
    #[inline]
    pub(super) fn put(&mut self, addr: u64) {
        // Capacity is the frame count: never reallocates.
        self.free.push(addr & !(u64::from(FRAME_SIZE) - 1));
    }

    /// Free frames.
    pub fn available(&self) -> usize {
        self.free.len()
    }
}

impl BufPool for XdpPool {
    type Buf = XdpBuf;
    #[inline]
    fn alloc(&mut self) -> Option<XdpBuf> {
        let addr = self.free.pop()?;
        Some(XdpBuf::new(&self.umem, addr, 0))
    }
    #[inline]
    fn free(&mut self, buf: XdpBuf) {
        self.put(buf.addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_headroom_is_masked() {
        let umem = Umem::new(4).unwrap();
        let mut pool = XdpPool::new(umem);
        let mut a = pool.alloc().unwrap();
        assert_eq!(a.addr(), 0);
        assert_eq!(a.capacity(), FRAME_SIZE as usize);
        a.raw_mut()[..3].copy_from_slice(&[1, 2, 3]);
        a.set_len(3);
        assert_eq!(a.data(), &[1, 2, 3]);
        let b = pool.alloc().unwrap();
        // As the kernel hands it back: 256 bytes of headroom in.
        let inner = XdpBuf::new(&pool.umem, b.addr() + 256, 60);
        assert_eq!(inner.capacity(), FRAME_SIZE as usize - 256);
        pool.free(inner);
        pool.free(a);
        assert_eq!(pool.available(), 4);
        assert!(pool.free.contains(&u64::from(FRAME_SIZE)));
    }
}
