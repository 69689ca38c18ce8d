//! The receive side: a TPACKET_V3 ring of blocks the kernel fills with
//! frames; each burst copies frames out into pool buffers and gives every
//! block it has emptied back to the kernel.
//!
//! Ring protocol (Documentation/networking/packet_mmap.rst, TPACKET_V3):
//! blocks are used in order; the kernel owns a block while its
//! `block_status` lacks `TP_STATUS_USER`, fills it with packets (each a
//! `tpacket3_hdr`, the frame at `tp_mac`, the next at `tp_next_offset`),
//! and hands it over when it is full or its retire timer fires. User space
//! reads the block and stores `TP_STATUS_KERNEL` to return it.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::sys::{self, Mmap};
use crate::buf::{HeapBuf, PoolCache, HEAP_BUF_SIZE};
use crate::port::{Burst, DriverCounters, RxStatus};

/// Offset of `hdr.bh1.block_status` in `tpacket_block_desc` (after
/// `version` and `offset_to_priv`, two u32).
const BLOCK_STATUS: usize = 8;
/// Offset of `hdr.bh1.num_pkts`.
const BLOCK_NUM_PKTS: usize = 12;
/// Offset of `hdr.bh1.offset_to_first_pkt`.
const BLOCK_FIRST_PKT: usize = 16;

/// Bursts between two reads of the kernel's drop counter
/// (`PACKET_STATISTICS`): one syscall per 1024 bursts costs nothing
/// measurable and keeps `rx_dropped` current to within milliseconds.
const STATS_EVERY: u32 = 1024;

/// One receive queue on an interface (the whole interface: AF_PACKET has
/// one queue per socket; fan-out over several sockets would be
/// `PACKET_FANOUT`, not needed at the rates this backend is for).
pub struct AfPacketRx {
    /// Dropped after `ring` (field order): the mapping goes first.
    ring: Mmap,
    fd: OwnedFd,
    block_size: usize,
    blocks: usize,
    /// Block being read (or next to be handed over).
    current: usize,
    /// Packets of `current` not yet read; 0: the block is not open.
    left: u32,
    /// Offset in `current` of the next packet to read.
    offset: usize,
    bursts: u32,
    interface: String,
    ifindex: u32,
    counters: Arc<DriverCounters>,
}

impl std::fmt::Debug for AfPacketRx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfPacketRx")
            .field("interface", &self.interface)
            .field("blocks", &self.blocks)
            .field("block_size", &self.block_size)
            .finish()
    }
}

impl AfPacketRx {
    pub(super) fn new(
        fd: OwnedFd,
        ring: Mmap,
        block_size: usize,
        blocks: usize,
        (interface, ifindex): (String, u32),
        counters: Arc<DriverCounters>,
    ) -> Self {
        debug_assert!(ring.len() >= block_size * blocks);
        Self {
            ring,
            fd,
            block_size,
            blocks,
            current: 0,
            left: 0,
            offset: 0,
            bursts: 0,
            interface,
            ifindex,
            counters,
        }
    }

    /// The interface this queue receives from.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The interface's index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The socket (for interface ioctls in its namespace).
    pub(super) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// The status word of block `i`, shared with the kernel.
    #[inline]
    fn status(&self, i: usize) -> &AtomicU32 {
        // SAFETY: `i < blocks`, so the word lies inside the mapping; blocks
        // start at multiples of the page size, so it is 4-byte aligned; the
        // kernel writes it concurrently, which is why it is only ever
        // accessed as an atomic here.
        unsafe {
            &*self
                .ring
                .as_ptr()
                .add(i * self.block_size + BLOCK_STATUS)
                .cast::<AtomicU32>()
        }
    }

    /// A u32 of the current block's header or of a packet header, read
    /// after the block was handed over (Acquire on its status).
    #[inline]
    fn read_u32(&self, offset_in_block: usize) -> u32 {
        debug_assert!(offset_in_block + 4 <= self.block_size);
        // SAFETY: callers keep `offset_in_block + 4 <= block_size`, so the
        // read is inside block `current` of the mapping; the block belongs
        // to user space (TP_STATUS_USER observed with Acquire), so the
        // kernel does not write it; read_unaligned needs no alignment.
        unsafe {
            self.ring
                .as_ptr()
                .add(self.current * self.block_size + offset_in_block)
                .cast::<u32>()
                .read_unaligned()
        }
    }

    /// A u16 of a packet header (same conditions as [`Self::read_u32`]).
    #[inline]
    fn read_u16(&self, offset_in_block: usize) -> u16 {
        let b = self.bytes(offset_in_block, 2);
        u16::from_ne_bytes([b[0], b[1]])
    }

    /// Bytes `[start, start + len)` of the current block.
    #[inline]
    fn bytes(&self, start: usize, len: usize) -> &[u8] {
        debug_assert!(start + len <= self.block_size);
        // SAFETY: callers check `start + len <= block_size`; the block is
        // user space's until `release`, which needs `&mut self` and so
        // cannot run while this borrow lives.
        unsafe {
            std::slice::from_raw_parts(
                self.ring
                    .as_ptr()
                    .add(self.current * self.block_size + start),
                len,
            )
        }
    }

    /// Gives the current block back to the kernel and moves to the next.
    #[inline]
    fn release(&mut self) {
        self.status(self.current)
            .store(libc::TP_STATUS_KERNEL, Ordering::Release);
        self.current = (self.current + 1) % self.blocks;
        self.left = 0;
        self.offset = 0;
    }

    pub(crate) fn rx_burst(&mut self, pool: &mut PoolCache, out: &mut Burst<HeapBuf>) -> RxStatus {
        self.bursts = self.bursts.wrapping_add(1);
        if self.bursts % STATS_EVERY == 0 {
            self.read_kernel_drops();
        }
        while !out.is_full() {
            if self.left == 0 {
                let status = self.status(self.current).load(Ordering::Acquire);
                if status & libc::TP_STATUS_USER == 0 {
                    break;
                }
                self.left = self.read_u32(BLOCK_NUM_PKTS);
                self.offset = self.read_u32(BLOCK_FIRST_PKT) as usize;
                if self.left == 0 {
                    self.release();
                    continue;
                }
            }
            // The packet header: tp_next_offset at 0, tp_snaplen at 12,
            // tp_len at 16, tp_mac (u16) at 24 (struct tpacket3_hdr).
            const HDR: usize = 28;
            if self.offset + HDR > self.block_size {
                self.corrupt_block();
                continue;
            }
            let next = self.read_u32(self.offset) as usize;
            let snaplen = self.read_u32(self.offset + 12) as usize;
            let len = self.read_u32(self.offset + 16) as usize;
            let mac = self.read_u16(self.offset + 24) as usize;
            let start = self.offset + mac;
            if start + snaplen > self.block_size {
                self.corrupt_block();
                continue;
            }
            if snaplen != len || len > HEAP_BUF_SIZE {
                // Larger than a buffer (jumbo frame, or a GRO/GSO
                // aggregate: turn those offloads off on the interface).
                DriverCounters::bump(&self.counters.rx_dropped);
            } else {
                // An empty pool means buffers are in flight: the frame
                // stays in the ring for a later burst; if the ring fills
                // meanwhile, the kernel drops and counts.
                let Some(mut b) = pool.alloc() else {
                    break;
                };
                b.fill_from(self.bytes(start, len));
                out.push(b);
            }
            self.left -= 1;
            if self.left == 0 {
                self.release();
            } else {
                self.offset += next;
            }
        }
        RxStatus::Active
    }

    /// A block whose offsets point outside it: count its remaining frames
    /// as dropped and return it (never seen from a correct kernel; the
    /// check keeps the reads above in bounds regardless).
    #[cold]
    fn corrupt_block(&mut self) {
        self.counters
            .rx_dropped
            .fetch_add(u64::from(self.left), Ordering::Relaxed);
        self.release();
    }

    /// Adds the kernel's ring-full drops since the last read (the counter
    /// resets on read) to `rx_dropped`.
    #[cold]
    fn read_kernel_drops(&mut self) {
        if let Ok(stats) =
            sys::get_packet_option::<libc::tpacket_stats_v3>(&self.fd, libc::PACKET_STATISTICS)
        {
            if stats.tp_drops > 0 {
                self.counters
                    .rx_dropped
                    .fetch_add(u64::from(stats.tp_drops), Ordering::Relaxed);
            }
        }
    }
}

impl Drop for AfPacketRx {
    fn drop(&mut self) {
        self.read_kernel_drops();
    }
}
