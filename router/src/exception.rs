//! The exception path between a worker and the control plane.
//!
//! A worker copies a punted packet into a slot of its exception ring (the
//! packet's buffer goes straight back to the worker's pool, so the control
//! plane never holds data-plane buffers of any backend); the control plane
//! answers through the worker's inject ring, whose slots the worker copies
//! into fresh buffers of its own backend and transmits. Copying is the
//! price of backend independence; it is paid only by exception packets,
//! which are few and rate-limited.

use crate::forward::reason::PuntReason;
use crate::ring::{self, Consumer, Producer};

/// Bytes of a packet kept in an exception or inject slot. ICMP errors need
/// at most 576 (IPv4) or 1280 (IPv6) bytes of the original; ARP and NDP
/// are small; a larger echo request is answered only if it fits.
pub const SLOT_BYTES: usize = 2048;

/// Default exception ring size per worker: ~2 ms of a 10 Gbit/s flood of
/// minimum-size exception packets, far more than legitimate control
/// traffic, small enough (2 MiB) to stay cheap.
pub const EXCEPTION_RING_SLOTS: usize = 1024;

/// Default inject ring size per worker.
pub const INJECT_RING_SLOTS: usize = 256;

/// Slots of the per-worker priority ring that carries ARP and NDP only,
/// so a flood of other exceptions (TTL expiry, no route, packets to the
/// router) can never starve neighbour resolution.
pub const PRIORITY_RING_SLOTS: usize = 256;

/// Exceptions a worker punts per second at most on its general ring
/// (ARP/NDP have their own limits, in [`crate::limit`]): far above what
/// legitimate control traffic needs, well below a port's line rate, so a
/// flood costs the worker a counter bump per packet instead of a slot
/// copy. `benches/exception-flood.sh` measures what a flood costs transit
/// forwarding and whether a real neighbour's ARP/NDP still gets answered
/// (docs/performance.md, "Exception flood").
pub const EXCEPTION_RATE_PER_WORKER: u64 = 200_000;

/// Burst the exception limiter allows above its rate.
pub const EXCEPTION_BURST: u64 = 4096;

/// Facts the worker learned that the control plane needs to act on a punt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PuntInfo {
    /// Offset of the L3 header in the frame.
    pub l3_offset: u16,
    /// Egress port chosen by the lookup (for unresolved / too big).
    pub out_port: u16,
    /// Egress IP MTU (for too big).
    pub mtu: u16,
    /// Next-hop index for an unresolved next hop, or [`PuntInfo::DIRECT`]
    /// when the destination itself is the neighbour (attached subnet).
    pub next_hop: u32,
}

impl PuntInfo {
    /// `next_hop` value meaning "the packet's destination is the neighbour".
    pub const DIRECT: u32 = u32::MAX;
}

/// One punted packet.
#[derive(Debug, Clone)]
pub struct ExceptionSlot {
    /// Why it was punted.
    pub reason: PuntReason,
    /// Receiving port.
    pub in_port: u16,
    /// Details from the lookup.
    pub info: PuntInfo,
    /// FIB generation used for the decision.
    pub fib_generation: u64,
    /// Original frame length (may exceed `len` when truncated).
    pub orig_len: u32,
    /// Bytes valid in `data`.
    pub len: u16,
    /// Frame bytes (the first `len`).
    pub data: Box<[u8; SLOT_BYTES]>,
}

impl Default for ExceptionSlot {
    fn default() -> Self {
        Self {
            reason: PuntReason::Local,
            in_port: 0,
            info: PuntInfo::default(),
            fib_generation: 0,
            orig_len: 0,
            len: 0,
            data: Box::new([0; SLOT_BYTES]),
        }
    }
}

impl ExceptionSlot {
    /// The frame bytes (possibly truncated to [`SLOT_BYTES`]).
    pub fn frame(&self) -> &[u8] {
        &self.data[..usize::from(self.len).min(SLOT_BYTES)]
    }

    /// True when the frame did not fit the slot whole.
    pub fn truncated(&self) -> bool {
        self.orig_len as usize > usize::from(self.len)
    }
}

/// One packet for a worker to transmit.
#[derive(Debug, Clone)]
pub struct InjectSlot {
    /// Egress port.
    pub port: u16,
    /// Bytes valid in `data`.
    pub len: u16,
    /// Frame bytes.
    pub data: Box<[u8; SLOT_BYTES]>,
}

impl Default for InjectSlot {
    fn default() -> Self {
        Self {
            port: 0,
            len: 0,
            data: Box::new([0; SLOT_BYTES]),
        }
    }
}

impl InjectSlot {
    /// The frame bytes.
    pub fn frame(&self) -> &[u8] {
        &self.data[..usize::from(self.len).min(SLOT_BYTES)]
    }
}

/// The worker's ends of its rings.
#[derive(Debug)]
pub struct WorkerRings {
    /// Punts to the control plane.
    pub exceptions: Producer<ExceptionSlot>,
    /// ARP and NDP punts to the control plane (served first).
    pub priority: Producer<ExceptionSlot>,
    /// Packets from the control plane.
    pub inject: Consumer<InjectSlot>,
}

/// The control plane's ends of one worker's rings.
#[derive(Debug)]
pub struct ControlRings {
    /// Punts from the worker.
    pub exceptions: Consumer<ExceptionSlot>,
    /// ARP and NDP punts from the worker.
    pub priority: Consumer<ExceptionSlot>,
    /// Packets to the worker.
    pub inject: Producer<InjectSlot>,
}

/// Creates the ring pair for one worker.
pub fn rings(exception_slots: usize, inject_slots: usize) -> (WorkerRings, ControlRings) {
    let (ep, ec) = ring::ring(exception_slots, ExceptionSlot::default);
    let (pp, pc) = ring::ring(PRIORITY_RING_SLOTS, ExceptionSlot::default);
    let (ip, ic) = ring::ring(inject_slots, InjectSlot::default);
    (
        WorkerRings {
            exceptions: ep,
            priority: pp,
            inject: ic,
        },
        ControlRings {
            exceptions: ec,
            priority: pc,
            inject: ip,
        },
    )
}

impl ControlRings {
    /// Queues `frame` for transmission on `port`; false when the ring is
    /// full or the frame is larger than a slot.
    pub fn inject(&mut self, port: u16, frame: &[u8]) -> bool {
        if frame.len() > SLOT_BYTES {
            return false;
        }
        self.inject.push_with(|slot| {
            slot.port = port;
            slot.len = frame.len() as u16;
            slot.data[..frame.len()].copy_from_slice(frame);
        })
    }
}
