//! AF_XDP ports: the [`Xdp`] backend, whose buffers are UMEM frames.
//!
//! Layout, per port and per worker:
//! - **Port** ([`XdpPort`]): an XSKMAP and the XDP program redirecting
//!   each queue's frames to the socket in its map entry, attached by
//!   silkroute in native (driver) mode where the driver supports it, else
//!   in SKB (generic) mode; detached when the port is dropped or the
//!   process exits (a BPF link). See `prog.rs`.
//! - **Worker** ([`open_worker`]): one UMEM ([`umem::FRAME_SIZE`]-byte
//!   frames) shared by all the worker's sockets, one socket per polled
//!   queue, each with its own fill and completion rings
//!   (`XDP_SHARED_UMEM` across devices, Linux 5.10+). A frame received on
//!   one port is transmitted on another by passing its address: no copy
//!   in forwarding. The worker transmits on a port through the socket of
//!   the queue it polls there (the config guarantees there is one).
//! - **Buffers**: an [`XdpBuf`] is (UMEM base, frame address, length);
//!   the pool ([`XdpPool`]) is the worker's free list of frames:
//!   `alloc` hands one out (for injected packets), `free` and completed
//!   transmissions give them back, and each receive burst tops the fill
//!   ring up from it in one batch.
//! - **Kicks**: one `sendto(MSG_DONTWAIT)` per transmit burst, only when
//!   the ring says `XDP_RING_NEED_WAKEUP` (always in copy mode, where the
//!   kernel sends during that call); one `recvfrom` when a receive poll
//!   finds nothing and the fill ring asks for a wakeup.
//!
//! Link state: the sockets and the program stay bound while the link
//! goes down and up; receive returns nothing meanwhile and a failed kick
//! counts the burst's frames as `tx_errors` (they leave when the link is
//! back, or the ring fills and later bursts are refused).

pub mod bpf;
mod prog;
mod queue;
mod ring;
mod socket;
mod umem;

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

pub use queue::{XdpRx, XdpTx};
pub use umem::{XdpBuf, XdpPool, FRAME_SIZE};

use crate::port::af_packet::{link_info, LinkInfo};
use crate::port::{Backend, DriverCounters, RxQueue, RxStatus, TxQueue};

/// Entries per ring (rx, tx, fill, completion): 2048 frames is ~1.4 ms
/// of a 1.5 Mpps stream, room for a worker's scheduling hiccup.
pub const RING_SIZE: u32 = 2048;

/// UMEM frames per socket: enough to fill its fill ring and its tx ring
/// at once (4 MiB per socket at 2 KiB a frame).
pub const FRAMES_PER_SOCKET: u32 = 2 * RING_SIZE;

/// The AF_XDP backend.
#[derive(Debug)]
pub enum Xdp {}

impl Backend for Xdp {
    type Buf = XdpBuf;
    type Pool = XdpPool;
    type Rx = XdpRx;
    type Tx = XdpTx;
}

impl RxQueue<Xdp> for XdpRx {
    #[inline]
    fn rx_burst(&mut self, pool: &mut XdpPool, out: &mut crate::port::Burst<XdpBuf>) -> RxStatus {
        XdpRx::rx_burst(self, pool, out)
    }
}

impl TxQueue<Xdp> for XdpTx {
    #[inline]
    fn tx_burst(&mut self, pool: &mut XdpPool, pkts: &mut crate::port::Burst<XdpBuf>) -> usize {
        XdpTx::tx_burst(self, pool, pkts)
    }

    fn flush(&mut self) {
        XdpTx::flush(self);
    }
}

/// Where the XDP program should run (`af_xdp.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttachMode {
    /// Native where the driver supports it, else SKB.
    #[default]
    Auto,
    /// Native (driver) mode only.
    Native,
    /// SKB (generic) mode.
    Skb,
}

/// Whether sockets bind in zero-copy mode (`af_xdp.zero_copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroCopy {
    /// Zero-copy where the driver supports it, else copy.
    #[default]
    Auto,
    /// Zero-copy only.
    On,
    /// Copy mode.
    Off,
}

/// What a port asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdpPortConfig {
    /// Linux interface name.
    pub interface: String,
    /// Queues 0..queues get a socket each.
    pub queues: u16,
    /// Program attach mode.
    pub mode: AttachMode,
    /// `Some(router MAC)`: frames for other unicast MACs go to the kernel.
    pub pass_to_kernel: Option<[u8; 6]>,
}

/// Why an AF_XDP port or queue could not be opened; every variant names
/// the interface, the OS error is the source.
#[derive(Debug, thiserror::Error)]
pub enum AfXdpError {
    /// No interface of that name (or its state could not be read).
    #[error("af_xdp {interface}: no such interface")]
    NoSuchInterface {
        /// The interface.
        interface: String,
        /// What the OS said.
        source: io::Error,
    },
    /// The XDP program could not be set up in the mode asked for.
    #[error("af_xdp {interface}: {step} ({mode} mode)")]
    Program {
        /// The interface.
        interface: String,
        /// `native` or `skb`.
        mode: &'static str,
        /// What failed.
        step: &'static str,
        /// What the OS said.
        source: io::Error,
    },
    /// The UMEM could not be mapped.
    #[error("af_xdp: mapping a {bytes}-byte UMEM")]
    Umem {
        /// Its size.
        bytes: u64,
        /// What the OS said.
        source: io::Error,
    },
    /// A socket could not be set up.
    #[error("af_xdp {interface} queue {queue}: {step}")]
    Socket {
        /// The interface.
        interface: String,
        /// The queue.
        queue: u16,
        /// What failed.
        step: &'static str,
        /// What the OS said.
        source: io::Error,
    },
}

/// An interface with silkroute's XDP program attached.
#[derive(Debug)]
pub struct XdpPort {
    config: XdpPortConfig,
    link: LinkInfo,
    native: bool,
    program: prog::XdpProgram,
}

impl XdpPort {
    /// Attaches the program to the interface (native first in `Auto`).
    pub fn open(config: XdpPortConfig) -> Result<Self, AfXdpError> {
        let interface = config.interface.clone();
        let link = link_info(&interface).map_err(|source| AfXdpError::NoSuchInterface {
            interface: interface.clone(),
            source,
        })?;
        let tries: &[(bool, u32)] = match config.mode {
            AttachMode::Auto => &[
                (true, prog::XDP_FLAGS_DRV_MODE),
                (false, prog::XDP_FLAGS_SKB_MODE),
            ],
            AttachMode::Native => &[(true, prog::XDP_FLAGS_DRV_MODE)],
            AttachMode::Skb => &[(false, prog::XDP_FLAGS_SKB_MODE)],
        };
        let mut last = None;
        for &(native, flags) in tries {
            match prog::XdpProgram::attach(
                link.ifindex,
                u32::from(config.queues),
                flags,
                config.pass_to_kernel,
            ) {
                Ok(program) => {
                    return Ok(Self {
                        config,
                        link,
                        native,
                        program,
                    })
                }
                Err((step, source)) => {
                    if config.mode == AttachMode::Auto && native {
                        tracing::info!(
                            interface = %interface,
                            "native XDP unavailable ({source}); trying SKB mode"
                        );
                    }
                    last = Some(AfXdpError::Program {
                        interface: interface.clone(),
                        mode: if native { "native" } else { "skb" },
                        step,
                        source,
                    });
                }
            }
        }
        Err(last.unwrap_or(AfXdpError::NoSuchInterface {
            interface,
            source: io::Error::from(io::ErrorKind::Unsupported),
        }))
    }

    /// `native` or `skb`: where the program runs.
    pub fn mode(&self) -> &'static str {
        if self.native {
            "native"
        } else {
            "skb"
        }
    }

    /// The interface name.
    pub fn interface(&self) -> &str {
        &self.config.interface
    }

    /// The interface's state when the port was opened.
    pub fn link_at_open(&self) -> LinkInfo {
        self.link
    }

    /// The interface's state now.
    pub fn link_info(&self) -> io::Result<LinkInfo> {
        link_info(&self.config.interface)
    }
}

/// One worker's sockets: its pool and its queues, ready for a
/// [`crate::worker::Worker<Xdp>`].
#[derive(Debug)]
pub struct XdpWorkerQueues {
    /// The pool over the worker's UMEM.
    pub pool: XdpPool,
    /// (port id, queue id, queue) for every polled queue.
    pub rx: Vec<(u16, u16, XdpRx)>,
    /// Transmit queue per port id.
    pub tx: Vec<Option<XdpTx>>,
    /// True when the sockets run in zero-copy mode.
    pub zero_copy: bool,
}

/// Opens one socket per `(port id, queue)` of `polled` on one UMEM,
/// registers each in its port's map and returns the worker's queues.
/// `ports[i]` and `counters[i]` belong to port id `i`.
pub fn open_worker(
    ports: &[Arc<XdpPort>],
    counters: &[Arc<DriverCounters>],
    polled: &[(u16, u16)],
    zero_copy: ZeroCopy,
) -> Result<XdpWorkerQueues, AfXdpError> {
    let all_native = polled
        .iter()
        .all(|&(p, _)| ports.get(usize::from(p)).is_some_and(|x| x.native));
    match zero_copy {
        ZeroCopy::Off => open_worker_with(ports, counters, polled, false),
        ZeroCopy::On => open_worker_with(ports, counters, polled, true),
        ZeroCopy::Auto if !all_native => open_worker_with(ports, counters, polled, false),
        ZeroCopy::Auto => open_worker_with(ports, counters, polled, true).or_else(|e| {
            tracing::info!("zero-copy unavailable ({e}); using copy mode");
            open_worker_with(ports, counters, polled, false)
        }),
    }
}

fn open_worker_with(
    ports: &[Arc<XdpPort>],
    counters: &[Arc<DriverCounters>],
    polled: &[(u16, u16)],
    zero_copy: bool,
) -> Result<XdpWorkerQueues, AfXdpError> {
    let frames = FRAMES_PER_SOCKET * polled.len().max(1) as u32;
    let umem = umem::Umem::new(frames).map_err(|source| AfXdpError::Umem {
        bytes: u64::from(frames) * u64::from(FRAME_SIZE),
        source,
    })?;
    let flags = libc::XDP_USE_NEED_WAKEUP
        | if zero_copy {
            libc::XDP_ZEROCOPY
        } else {
            libc::XDP_COPY
        };
    let mut first: Option<Arc<OwnedFd>> = None;
    let mut rx = Vec::new();
    let mut tx: Vec<Option<XdpTx>> = (0..ports.len()).map(|_| None).collect();
    let mut got_zero_copy = false;
    for &(p, q) in polled {
        let (Some(port), Some(counters)) =
            (ports.get(usize::from(p)), counters.get(usize::from(p)))
        else {
            continue;
        };
        let sock_err = |step, source| AfXdpError::Socket {
            interface: port.config.interface.clone(),
            queue: q,
            step,
            source,
        };
        let xsk = socket::Xsk::open(
            &umem,
            first.as_deref(),
            port.link.ifindex,
            u32::from(q),
            RING_SIZE,
            flags,
        )
        .map_err(|(step, e)| sock_err(step, e))?;
        let fd = Arc::new(xsk.fd);
        if first.is_none() {
            got_zero_copy = socket::is_zero_copy(&fd);
            first = Some(Arc::clone(&fd));
        }
        port.program
            .register(u32::from(q), std::os::fd::AsRawFd::as_raw_fd(&*fd))
            .map_err(|e| sock_err("registering the socket in the XSKMAP", e))?;
        rx.push((
            p,
            q,
            XdpRx {
                fd: Arc::clone(&fd),
                rx: xsk.rx,
                fill: xsk.fill,
                umem: Arc::clone(&umem),
                counters: Arc::clone(counters),
                bursts: 0,
                dropped_seen: 0,
                _port: Arc::clone(port),
            },
        ));
        if let Some(slot @ None) = tx.get_mut(usize::from(p)) {
            *slot = Some(XdpTx {
                fd,
                tx: xsk.tx,
                comp: xsk.comp,
                counters: Arc::clone(counters),
            });
        }
    }
    Ok(XdpWorkerQueues {
        pool: XdpPool::new(umem),
        rx,
        tx,
        zero_copy: got_zero_copy,
    })
}
