//! The transmit side: a TPACKET_V2 ring of fixed-size frame slots. A burst
//! copies each frame into the next free slot, marks it
//! `TP_STATUS_SEND_REQUEST`, and one zero-length `send` per burst asks the
//! kernel to transmit every marked slot; the kernel marks each slot
//! `TP_STATUS_AVAILABLE` again once the frame has left.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::sys::{self, Mmap};
use crate::buf::{HeapBuf, PoolCache};
use crate::port::{Burst, DriverCounters, PacketBuf};

/// Where the frame starts in a V2 TX slot: `TPACKET2_HDRLEN -
/// sizeof(sockaddr_ll)`, i.e. the 32-byte `tpacket2_hdr` rounded to
/// `TPACKET_ALIGNMENT` (the kernel's offset when `PACKET_TX_HAS_OFF` is
/// off).
pub(super) const TX_DATA_OFFSET: usize = 32;
/// Offset of `tp_len` in `tpacket2_hdr` (after `tp_status`).
const TP_LEN: usize = 4;

/// One transmit queue on an interface: one socket and ring per worker.
pub struct AfPacketTx {
    /// Dropped before `fd` (field order): unmap, then close.
    ring: Mmap,
    fd: OwnedFd,
    frame_size: usize,
    frames: usize,
    /// Next slot to fill.
    head: usize,
    /// Frames were marked but the last kick could not hand them all to
    /// the kernel (EAGAIN/ENOBUFS/EINTR): kick again on `flush`.
    unsent: bool,
    interface: String,
    counters: Arc<DriverCounters>,
}

impl std::fmt::Debug for AfPacketTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfPacketTx")
            .field("interface", &self.interface)
            .field("frames", &self.frames)
            .field("frame_size", &self.frame_size)
            .finish()
    }
}

impl AfPacketTx {
    pub(super) fn new(
        fd: OwnedFd,
        ring: Mmap,
        frame_size: usize,
        frames: usize,
        interface: String,
        counters: Arc<DriverCounters>,
    ) -> Self {
        debug_assert!(ring.len() >= frame_size * frames);
        Self {
            ring,
            fd,
            frame_size,
            frames,
            head: 0,
            unsent: false,
            interface,
            counters,
        }
    }

    /// The interface this queue transmits on.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// Largest frame a slot holds.
    pub fn max_frame(&self) -> usize {
        self.frame_size - TX_DATA_OFFSET
    }

    /// The status word of slot `i`, shared with the kernel.
    #[inline]
    fn status(&self, i: usize) -> &AtomicU32 {
        // SAFETY: `i < frames`, so the word is inside the mapping; slots
        // start at multiples of `frame_size` (a multiple of 16) from a
        // page-aligned base, so it is aligned; the kernel writes it
        // concurrently, hence only atomic access.
        unsafe {
            &*self
                .ring
                .as_ptr()
                .add(i * self.frame_size)
                .cast::<AtomicU32>()
        }
    }

    /// Copies `frame` into slot `i` and sets its length. The slot must be
    /// user space's (status AVAILABLE observed) and `frame` must fit.
    #[inline]
    fn fill(&mut self, i: usize, frame: &[u8]) {
        debug_assert!(i < self.frames && frame.len() <= self.max_frame());
        let slot = i * self.frame_size;
        // SAFETY: slot `i` lies inside the mapping and `TX_DATA_OFFSET +
        // frame.len() <= frame_size` (checked by the caller), so both
        // writes stay inside it; the kernel does not touch a slot whose
        // status is AVAILABLE until we set SEND_REQUEST (after this);
        // `frame` is a heap buffer, not part of the mapping.
        unsafe {
            let base = self.ring.as_ptr().add(slot);
            std::ptr::copy_nonoverlapping(frame.as_ptr(), base.add(TX_DATA_OFFSET), frame.len());
            base.add(TP_LEN)
                .cast::<u32>()
                .write_unaligned(frame.len() as u32);
        }
    }

    pub(crate) fn tx_burst(&mut self, pool: &mut PoolCache, pkts: &mut Burst<HeapBuf>) -> usize {
        let max = self.max_frame();
        let mut taken = 0;
        let mut queued = 0;
        for b in pkts.iter() {
            let frame = b.data();
            if frame.len() > max {
                // Never fits: taken, counted, freed below.
                DriverCounters::bump(&self.counters.tx_errors);
                taken += 1;
                continue;
            }
            let status = self.status(self.head).load(Ordering::Acquire);
            if status == libc::TP_STATUS_WRONG_FORMAT {
                // A frame the kernel refused earlier (PACKET_LOSS makes
                // that rare): count it and reuse the slot.
                DriverCounters::bump(&self.counters.tx_errors);
            } else if status != libc::TP_STATUS_AVAILABLE {
                break; // ring full: the rest stay in `pkts`
            }
            self.fill(self.head, frame);
            self.status(self.head)
                .store(libc::TP_STATUS_SEND_REQUEST, Ordering::Release);
            self.head = (self.head + 1) % self.frames;
            taken += 1;
            queued += 1;
        }
        for b in pkts.drain(..taken) {
            pool.free(b);
        }
        if queued > 0 || self.unsent {
            self.kick();
        }
        taken
    }

    /// Pushes out frames a previous kick left in the ring.
    pub(crate) fn flush(&mut self) {
        if self.unsent {
            self.kick();
        }
    }

    /// One `send` for everything marked. Transient refusals leave the
    /// frames marked for the next kick; any other error (the interface is
    /// down: ENETDOWN; gone: ENXIO) takes the marked frames back and
    /// counts them as `tx_errors`, so a link flap loses what was in
    /// flight, never the queue.
    #[inline]
    fn kick(&mut self) {
        self.unsent = false;
        let Err(e) = sys::kick(&self.fd) else {
            return;
        };
        match e.raw_os_error() {
            Some(libc::EAGAIN | libc::EINTR) => self.unsent = true,
            Some(libc::ENOBUFS) => {
                // The driver or qdisc dropped a frame; others may remain.
                DriverCounters::bump(&self.counters.tx_errors);
                self.unsent = true;
            }
            _ => self.reclaim(),
        }
    }

    /// Takes back the frames marked since the kernel last sent: they form
    /// the run of SEND_REQUEST slots just before `head` (the kernel sends
    /// in ring order and stops at the first unmarked slot). `head` moves
    /// back to the first of them, which is where the kernel's own ring
    /// position still is, so the two stay in step.
    #[cold]
    fn reclaim(&mut self) {
        let mut lost = 0u64;
        let mut i = self.head;
        while lost < self.frames as u64 {
            let prev = (i + self.frames - 1) % self.frames;
            // Only this thread sends on the socket, so no SEND_REQUEST
            // slot is being read by the kernel now; the CAS leaves alone a
            // slot whose earlier transmission is still completing.
            let taken = self
                .status(prev)
                .compare_exchange(
                    libc::TP_STATUS_SEND_REQUEST,
                    libc::TP_STATUS_AVAILABLE,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok();
            if !taken {
                break;
            }
            i = prev;
            lost += 1;
        }
        self.head = i;
        self.counters
            .tx_errors
            .fetch_add(lost.max(1), Ordering::Relaxed);
    }
}
