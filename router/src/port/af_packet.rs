//! AF_PACKET ports: the portable Linux backend (any interface, any
//! driver, no XDP support needed), as variants of the heap backend.
//!
//! - Receive: one raw socket per port with a TPACKET_V3 memory-mapped ring
//!   (`PACKET_RX_RING`). The kernel packs frames into blocks; a burst copies
//!   each frame into a pool buffer (one `memcpy`) and returns every block
//!   it has emptied to the kernel at once. No syscall per packet or per
//!   burst; one `getsockopt` per 1024 bursts reads the kernel's drop count.
//! - Transmit: one raw socket per worker with a TPACKET_V2 ring
//!   (`PACKET_TX_RING`); a burst copies frames into slots and kicks the
//!   kernel with one `send(fd, NULL, 0, MSG_DONTWAIT)`.
//!
//! Why copy rather than hand ring memory to the worker: the heap backend's
//! buffers outlive a burst (they sit in TX batches, on rings, in the
//! exception path), while a V3 block must go back to the kernel whole and
//! soon, or the ring stalls; a 1500-byte `memcpy` from a cache-warm block
//! costs less than the syscall-free ring saves. Zero-copy is the AF_XDP
//! backend's job.
//!
//! Contract with the interface:
//! - The socket is bound to the interface (by name → ifindex) and puts it
//!   in promiscuous mode (`PACKET_MR_PROMISC`, undone when the socket
//!   closes), so frames for the router's configured MAC arrive even when it
//!   differs from the interface's own.
//! - `PACKET_IGNORE_OUTGOING` keeps our own transmissions out of the
//!   receive ring; `PACKET_QDISC_BYPASS` sends straight to the driver.
//! - The interface going down and up again does not close anything: while
//!   down, receive returns nothing and a transmit kick fails with ENETDOWN;
//!   the frames of that burst are counted in `tx_errors` and the queue
//!   carries on when the link comes back.
//! - Offloads that merge frames (GRO, LRO, and on veth the peer's TSO) and
//!   checksum offload on a veth peer must be off (`ethtool -K IF gro off
//!   lro off`; `tx off` on a local veth peer): merged frames larger than a
//!   buffer are dropped as `rx_dropped`, and a peer's partial checksums
//!   would be forwarded unfinished.
#![allow(unsafe_code)]

mod rx;
mod sys;
mod tx;

use std::io;
use std::sync::Arc;

pub use rx::AfPacketRx;
pub use tx::AfPacketTx;

use crate::port::{DriverCounters, LinkStatus};

/// Default frames per ring: 4096 x 2 KiB = 8 MiB per ring, ~5 ms of
/// line-rate 10 GbE at 1500 bytes, enough to absorb a worker's
/// scheduling hiccup on a shared machine.
pub const DEFAULT_RING_FRAMES: u32 = 4096;
/// Smallest ring: one V3 block of 16 frames.
pub const MIN_RING_FRAMES: u32 = 16;
/// Largest ring (frames): 1 Mi x 2 KiB = 2 GiB, far beyond any use.
pub const MAX_RING_FRAMES: u32 = 1 << 20;
/// Default frame slot: a 1500-byte MTU frame plus headers fits; also the
/// heap buffer size, the largest frame this backend can forward.
pub const DEFAULT_FRAME_SIZE: u32 = 2048;
/// Smallest frame slot (a full Ethernet frame and the ring header).
pub const MIN_FRAME_SIZE: u32 = 2048;
/// Largest frame slot.
pub const MAX_FRAME_SIZE: u32 = 65536;

/// Bytes per receive block. Blocks reach user space when full or after
/// [`RX_BLOCK_TIMEOUT_MS`]; 64 KiB fills in 0.5 ms at 1 Gbit/s, so a
/// block's first frame waits at most that long under load.
const RX_BLOCK_BYTES: usize = 64 * 1024;
/// Retire timeout of a partly filled block (ms, the kernel's unit): the
/// added latency when traffic is light (rounded up to a jiffy).
const RX_BLOCK_TIMEOUT_MS: u32 = 1;
/// `ARPHRD_ETHER`: the only link type the router forwards.
const ARPHRD_ETHER: u16 = 1;

/// Sizes of a port's rings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingConfig {
    /// Frames per ring (power of two, [`MIN_RING_FRAMES`]..=[`MAX_RING_FRAMES`]).
    pub ring_frames: u32,
    /// Bytes per frame slot (power of two, [`MIN_FRAME_SIZE`]..=[`MAX_FRAME_SIZE`]).
    pub frame_size: u32,
}

impl Default for RingConfig {
    fn default() -> Self {
        Self {
            ring_frames: DEFAULT_RING_FRAMES,
            frame_size: DEFAULT_FRAME_SIZE,
        }
    }
}

impl RingConfig {
    fn check(&self, interface: &str) -> Result<(), AfPacketError> {
        let ok = self.ring_frames.is_power_of_two()
            && (MIN_RING_FRAMES..=MAX_RING_FRAMES).contains(&self.ring_frames)
            && self.frame_size.is_power_of_two()
            && (MIN_FRAME_SIZE..=MAX_FRAME_SIZE).contains(&self.frame_size);
        if ok {
            Ok(())
        } else {
            Err(AfPacketError::Geometry {
                interface: interface.to_owned(),
                ring_frames: self.ring_frames,
                frame_size: self.frame_size,
            })
        }
    }

    /// (block size, block count) of a ring of this size: blocks of
    /// [`RX_BLOCK_BYTES`] (at least a page and a frame; all powers of two,
    /// so each is a multiple of the others).
    fn blocks(&self) -> (usize, usize) {
        let total = self.ring_frames as usize * self.frame_size as usize;
        let block = RX_BLOCK_BYTES
            .min(total)
            .max(sys::page_size())
            .max(self.frame_size as usize);
        (block, (total / block).max(1))
    }
}

/// State, MTU and MAC of an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo {
    /// Interface index.
    pub ifindex: u32,
    /// Administratively up (`IFF_UP`).
    pub admin_up: bool,
    /// Up and able to pass traffic (`IFF_UP` and `IFF_RUNNING`: carrier
    /// present, operational state up).
    pub up: bool,
    /// MTU (IP packet size, without the Ethernet header).
    pub mtu: u32,
    /// The interface's own MAC.
    pub mac: [u8; 6],
}

impl LinkInfo {
    /// As the port contract reports it (speed is not queried: 0).
    pub fn status(&self) -> LinkStatus {
        LinkStatus {
            up: self.up,
            speed_mbps: 0,
        }
    }
}

/// Queries `interface` (in the calling thread's network namespace) with
/// `SIOCGIFFLAGS`, `SIOCGIFMTU` and `SIOCGIFHWADDR`.
pub fn link_info(interface: &str) -> io::Result<LinkInfo> {
    let name = if_name(interface)?;
    let ifindex = sys::if_index(&name)?;
    Ok(LinkInfo::from_state(ifindex, &sys::if_state(&name)?))
}

fn if_name(interface: &str) -> io::Result<sys::IfName> {
    sys::IfName::new(interface)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid interface name"))
}

impl LinkInfo {
    fn from_state(ifindex: u32, st: &sys::IfState) -> Self {
        let admin_up = st.flags & libc::IFF_UP as u32 != 0;
        LinkInfo {
            ifindex,
            admin_up,
            up: admin_up && st.flags & libc::IFF_RUNNING as u32 != 0,
            mtu: st.mtu,
            mac: st.mac,
        }
    }
}

/// Why an AF_PACKET queue could not be opened. Every variant names the
/// interface; the OS error is the source.
#[derive(Debug, thiserror::Error)]
pub enum AfPacketError {
    /// Not a Linux interface name.
    #[error("af_packet {interface:?}: invalid interface name (1 to 15 bytes)")]
    InterfaceName {
        /// The name given.
        interface: String,
    },
    /// No interface of that name in this network namespace.
    #[error("af_packet {interface}: no such interface")]
    NoSuchInterface {
        /// The interface.
        interface: String,
        /// What the OS said.
        source: io::Error,
    },
    /// The interface's flags, MTU or MAC could not be read.
    #[error("af_packet {interface}: reading the interface's state")]
    LinkInfo {
        /// The interface.
        interface: String,
        /// What the OS said.
        source: io::Error,
    },
    /// The interface does not carry Ethernet frames.
    #[error("af_packet {interface}: not an Ethernet interface (link type {link_type})")]
    NotEthernet {
        /// The interface.
        interface: String,
        /// Its `ARPHRD_*` type.
        link_type: u16,
    },
    /// Ring sizes out of range.
    #[error("af_packet {interface}: ring_frames {ring_frames} and frame_size {frame_size} must be powers of two in {MIN_RING_FRAMES}..={MAX_RING_FRAMES} and {MIN_FRAME_SIZE}..={MAX_FRAME_SIZE}")]
    Geometry {
        /// The interface.
        interface: String,
        /// Requested frames per ring.
        ring_frames: u32,
        /// Requested frame size.
        frame_size: u32,
    },
    /// `socket(AF_PACKET, SOCK_RAW)` failed.
    #[error("af_packet {interface}: opening a packet socket{}", needs_privilege(.source))]
    Socket {
        /// The interface.
        interface: String,
        /// What the OS said.
        source: io::Error,
    },
    /// A socket option was refused.
    #[error("af_packet {interface}: setting {option}{}", needs_privilege(.source))]
    SetOption {
        /// The interface.
        interface: String,
        /// The option (`PACKET_RX_RING`, ...).
        option: &'static str,
        /// What the OS said.
        source: io::Error,
    },
    /// Mapping a ring failed.
    #[error("af_packet {interface}: mapping the {ring} ring ({bytes} bytes)")]
    Mmap {
        /// The interface.
        interface: String,
        /// `RX` or `TX`.
        ring: &'static str,
        /// Its size.
        bytes: usize,
        /// What the OS said.
        source: io::Error,
    },
    /// Binding the socket to the interface failed.
    #[error("af_packet {interface}: binding to the interface")]
    Bind {
        /// The interface.
        interface: String,
        /// What the OS said.
        source: io::Error,
    },
}

fn needs_privilege(e: &io::Error) -> &'static str {
    if e.kind() == io::ErrorKind::PermissionDenied {
        " (needs root or CAP_NET_RAW)"
    } else {
        ""
    }
}

/// Name → index, after checking the interface is Ethernet.
fn resolve(interface: &str) -> Result<u32, AfPacketError> {
    let name = sys::IfName::new(interface).ok_or_else(|| AfPacketError::InterfaceName {
        interface: interface.to_owned(),
    })?;
    let ifindex = sys::if_index(&name).map_err(|source| AfPacketError::NoSuchInterface {
        interface: interface.to_owned(),
        source,
    })?;
    let st = sys::if_state(&name).map_err(|source| AfPacketError::LinkInfo {
        interface: interface.to_owned(),
        source,
    })?;
    if st.hw_type != ARPHRD_ETHER {
        return Err(AfPacketError::NotEthernet {
            interface: interface.to_owned(),
            link_type: st.hw_type,
        });
    }
    Ok(ifindex)
}

/// Sets an option, turning a failure into [`AfPacketError::SetOption`].
/// Checks `ring`, resolves `interface` and opens a packet socket that
/// speaks TPACKET `version`: the first steps of both queue kinds.
fn open_socket(
    interface: &str,
    ring: &RingConfig,
    version: libc::tpacket_versions,
) -> Result<(u32, std::os::fd::OwnedFd), AfPacketError> {
    ring.check(interface)?;
    let ifindex = resolve(interface)?;
    let fd = sys::packet_socket().map_err(|source| AfPacketError::Socket {
        interface: interface.to_owned(),
        source,
    })?;
    set(
        &fd,
        interface,
        libc::PACKET_VERSION,
        "PACKET_VERSION",
        &(version as libc::c_int),
    )?;
    Ok((ifindex, fd))
}

fn set<T: Copy>(
    fd: &std::os::fd::OwnedFd,
    interface: &str,
    name: libc::c_int,
    option: &'static str,
    value: &T,
) -> Result<(), AfPacketError> {
    sys::set_packet_option(fd, name, value).map_err(|source| AfPacketError::SetOption {
        interface: interface.to_owned(),
        option,
        source,
    })
}

/// Sets an option the kernel may not know (older kernels), warning when
/// it is refused.
fn set_optional(
    fd: &std::os::fd::OwnedFd,
    interface: &str,
    name: libc::c_int,
    option: &'static str,
) {
    if let Err(e) = sys::set_packet_option(fd, name, &1 as &libc::c_int) {
        tracing::warn!(interface, option, "af_packet: option not available: {e}");
    }
}

impl AfPacketRx {
    /// Opens the receive queue of `interface`: a TPACKET_V3 ring of
    /// `ring.ring_frames` x `ring.frame_size` bytes, promiscuous, not
    /// seeing our own transmissions. `counters` gets frames the queue
    /// cannot deliver (`rx_dropped`).
    pub fn open(
        interface: &str,
        ring: RingConfig,
        counters: Arc<DriverCounters>,
    ) -> Result<Self, AfPacketError> {
        let (ifindex, fd) = open_socket(interface, &ring, libc::tpacket_versions::TPACKET_V3)?;
        let (block_size, blocks) = ring.blocks();
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as u32,
            tp_block_nr: blocks as u32,
            tp_frame_size: ring.frame_size,
            tp_frame_nr: (block_size / ring.frame_size as usize * blocks) as u32,
            tp_retire_blk_tov: RX_BLOCK_TIMEOUT_MS,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        set(&fd, interface, libc::PACKET_RX_RING, "PACKET_RX_RING", &req)?;
        let bytes = block_size * blocks;
        let map = sys::Mmap::ring(&fd, bytes).map_err(|source| AfPacketError::Mmap {
            interface: interface.to_owned(),
            ring: "RX",
            bytes,
            source,
        })?;
        set_optional(
            &fd,
            interface,
            libc::PACKET_IGNORE_OUTGOING,
            "PACKET_IGNORE_OUTGOING",
        );
        let mreq = libc::packet_mreq {
            mr_ifindex: ifindex as libc::c_int,
            mr_type: libc::PACKET_MR_PROMISC as u16,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        set(
            &fd,
            interface,
            libc::PACKET_ADD_MEMBERSHIP,
            "PACKET_ADD_MEMBERSHIP (promiscuous)",
            &mreq,
        )?;
        sys::bind(&fd, ifindex, sys::ETH_P_ALL).map_err(|source| AfPacketError::Bind {
            interface: interface.to_owned(),
            source,
        })?;
        Ok(AfPacketRx::new(
            fd,
            map,
            block_size,
            blocks,
            (interface.to_owned(), ifindex),
            counters,
        ))
    }

    /// State, MTU and MAC of the interface now, asked through the queue's
    /// own socket (so from any thread, whatever its network namespace).
    pub fn link_info(&self) -> io::Result<LinkInfo> {
        let name = if_name(self.interface())?;
        let st = sys::if_state_via(self.fd(), &name)?;
        Ok(LinkInfo::from_state(self.ifindex(), &st))
    }
}

impl AfPacketTx {
    /// Opens a transmit queue on `interface` (one per worker): a
    /// TPACKET_V2 ring of `ring.ring_frames` slots of `ring.frame_size`
    /// bytes, bypassing the qdisc. `counters` gets frames that could not
    /// be sent (`tx_errors`).
    pub fn open(
        interface: &str,
        ring: RingConfig,
        counters: Arc<DriverCounters>,
    ) -> Result<Self, AfPacketError> {
        let (ifindex, fd) = open_socket(interface, &ring, libc::tpacket_versions::TPACKET_V2)?;
        // A frame the kernel refuses is skipped (and its slot freed)
        // instead of stopping the ring.
        set(
            &fd,
            interface,
            libc::PACKET_LOSS,
            "PACKET_LOSS",
            &(1 as libc::c_int),
        )?;
        set_optional(
            &fd,
            interface,
            libc::PACKET_QDISC_BYPASS,
            "PACKET_QDISC_BYPASS",
        );
        let (block_size, blocks) = ring.blocks();
        let frames = block_size / ring.frame_size as usize * blocks;
        let req = libc::tpacket_req {
            tp_block_size: block_size as u32,
            tp_block_nr: blocks as u32,
            tp_frame_size: ring.frame_size,
            tp_frame_nr: frames as u32,
        };
        set(&fd, interface, libc::PACKET_TX_RING, "PACKET_TX_RING", &req)?;
        let bytes = block_size * blocks;
        let map = sys::Mmap::ring(&fd, bytes).map_err(|source| AfPacketError::Mmap {
            interface: interface.to_owned(),
            ring: "TX",
            bytes,
            source,
        })?;
        // Protocol 0: this socket sends only; the kernel takes each frame's
        // protocol from its Ethernet header.
        sys::bind(&fd, ifindex, 0).map_err(|source| AfPacketError::Bind {
            interface: interface.to_owned(),
            source,
        })?;
        Ok(AfPacketTx::new(
            fd,
            map,
            ring.frame_size as usize,
            frames,
            interface.to_owned(),
            counters,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_geometry() {
        let (block, n) = RingConfig::default().blocks();
        assert_eq!(block * n, 4096 * 2048);
        assert_eq!(block % sys::page_size(), 0);
        let small = RingConfig {
            ring_frames: 16,
            frame_size: 2048,
        };
        let (block, n) = small.blocks();
        assert!(block >= 32 * 1024 && n >= 1);
        let big = RingConfig {
            ring_frames: 16,
            frame_size: 65536,
        };
        assert_eq!(big.blocks(), (65536, 16));
        assert!(RingConfig {
            ring_frames: 100,
            frame_size: 2048
        }
        .check("x")
        .is_err());
    }

    #[test]
    fn bad_names_are_refused_with_the_name() {
        let e = AfPacketRx::open("", RingConfig::default(), Arc::default()).unwrap_err();
        assert!(matches!(e, AfPacketError::InterfaceName { .. }));
        let e =
            AfPacketRx::open("sr-no-such-if0", RingConfig::default(), Arc::default()).unwrap_err();
        assert!(e.to_string().contains("sr-no-such-if0"), "{e}");
        assert!(matches!(e, AfPacketError::NoSuchInterface { .. }));
        assert!(link_info("sr-no-such-if0").is_err());
    }
}
