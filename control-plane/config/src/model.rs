//! The validated configuration: what the rest of the router consumes.
//!
//! Everything here has passed every check in `validate`: names are unique, references are
//! indices that are in range, prefixes are canonical, next hops are connected. Cross references
//! are indices into the vectors of [`Config`] so that a FIB builder needs no name lookups.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::Deserialize;

use crate::table::RouteTable;
use crate::types::{MacAddr, Name};

/// Log verbosity (`log_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Everything.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation (default).
    #[default]
    Info,
    /// Something is off.
    Warn,
    /// Something failed.
    Error,
}

impl LogLevel {
    /// The level as written in the config (and as `tracing`/`EnvFilter` spell it).
    pub fn as_str(&self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

impl From<LogLevel> for tracing::Level {
    fn from(l: LogLevel) -> Self {
        match l {
            LogLevel::Trace => tracing::Level::TRACE,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Error => tracing::Level::ERROR,
        }
    }
}

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was loaded from (as given to `load`).
    pub path: PathBuf,
    /// `log_level`.
    pub log_level: LogLevel,
    /// Ports, in file order.
    pub ports: Vec<PortConfig>,
    /// Interfaces, in file order.
    pub interfaces: Vec<InterfaceConfig>,
    /// Static neighbours, in file order.
    pub neighbors: Vec<NeighborConfig>,
    /// Interned next-hop sets; routes refer to them by index. Each set is sorted and has no
    /// duplicates, and all its members are of one address family.
    pub next_hop_sets: Vec<NextHopSet>,
    /// IPv4 routes: static routes and route files, one per prefix ([`RouteTable::iter`] yields
    /// them merged, sorted by (network, length)). A static route wins over a route-file route
    /// for the same prefix; between route files the first listed file wins.
    pub routes_v4: RouteTable<Ipv4Net>,
    /// IPv6 routes, same rules as `routes_v4`.
    pub routes_v6: RouteTable<Ipv6Net>,
    /// Workers, in file order.
    pub workers: Vec<WorkerConfig>,
    /// Where the routes came from.
    pub route_stats: RouteStats,
    /// The control socket.
    pub control: ControlConfig,
    /// The metrics endpoint.
    pub metrics: MetricsConfig,
    /// Automatic reloads.
    pub reload: ReloadConfig,
    /// The route files, resolved (watched when `reload.watch` is on).
    pub route_files: Vec<PathBuf>,
    /// EAL options for the dpdk ports (defaults when the section is absent).
    pub dpdk: DpdkConfig,
}

/// `dpdk:` — how the DPDK EAL is initialised (once per process, before any
/// dpdk port opens), with every default resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DpdkConfig {
    /// Lcores the EAL knows (`-l`); default: the workers' cores, sorted.
    pub cores: Vec<usize>,
    /// Megabytes reserved (`-m`); default 512 with `no_huge`, else DPDK's.
    pub memory_mb: Option<u32>,
    /// Anonymous memory instead of hugepages (`--no-huge`).
    pub no_huge: bool,
    /// PCI devices to probe (`-a`): as configured, or else the PCI
    /// addresses the ports use; empty means no PCI probing (`--no-pci`).
    pub allow: Vec<String>,
    /// Virtual devices (`--vdev`), as written.
    pub vdevs: Vec<String>,
    /// Appended verbatim to the EAL command line.
    pub extra_args: Vec<String>,
    /// `--file-prefix` (default `silkroute`).
    pub file_prefix: String,
}

/// Default metrics address: loopback only, so nothing listens on a
/// routed address unless the config says so.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9430";

/// Default control-socket mode: owner only.
pub const DEFAULT_SOCKET_MODE: u32 = 0o600;

/// `control:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlConfig {
    /// Socket path; `None`: the default (`$XDG_RUNTIME_DIR/silkroute.sock`,
    /// else `/tmp/silkroute.sock`), which `silkctl` also uses.
    pub socket: Option<PathBuf>,
    /// File mode of the socket (0600 or 0660).
    pub socket_mode: u32,
    /// Group owning the socket (with mode 0660).
    pub socket_group: Option<String>,
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            socket: None,
            socket_mode: DEFAULT_SOCKET_MODE,
            socket_group: None,
        }
    }
}

/// `metrics:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Where the endpoint listens; `None`: disabled.
    pub listen: Option<std::net::SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_METRICS_LISTEN.parse().ok(),
        }
    }
}

/// `reload:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReloadConfig {
    /// Reload when the config file or a route file changes on disk.
    pub watch: bool,
}

/// The control socket path used when the config names none; `silkctl`
/// uses the same rule.
pub fn default_socket_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("silkroute.sock"),
        _ => PathBuf::from("/tmp/silkroute.sock"),
    }
}

/// A port: where packets come from and go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortConfig {
    /// Unique name.
    pub name: Name,
    /// The backend and its options.
    pub driver: Driver,
}

/// Port backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    /// Read packets from a pcap file, write sent packets to another.
    Pcap {
        /// Capture to read (resolved against the config file's directory); `None`: tx-only port.
        rx: Option<PathBuf>,
        /// Capture to write; `None`: sent packets are dropped (and counted).
        tx: Option<PathBuf>,
        /// Start over at the end of `rx`.
        looped: bool,
    },
    /// In-process rings, for tests and benches.
    Memory {
        /// Ring size per queue (power of two).
        ring_size: u32,
        /// Number of rx queues.
        queues: u16,
    },
    /// A Linux interface through AF_PACKET sockets with memory-mapped
    /// rings: one rx queue, one tx socket per worker.
    AfPacket {
        /// The Linux interface (`ip link` name), in silkroute's network
        /// namespace.
        interface: String,
        /// Frames per ring (power of two).
        ring_frames: u32,
        /// Bytes per ring frame slot (power of two).
        frame_size: u32,
    },
    /// A Linux interface through AF_XDP sockets: one socket per queue,
    /// an XDP program (loaded by silkroute) redirecting to them.
    AfXdp {
        /// The Linux interface (`ip link` name), in silkroute's network
        /// namespace.
        interface: String,
        /// Rx queues used (queue ids 0..queues); each is one AF_XDP socket.
        queues: u16,
        /// Where the XDP program runs.
        mode: XdpMode,
        /// Whether frames are DMA'd straight into the UMEM.
        zero_copy: XdpZeroCopy,
        /// Frames not addressed to the router's MAC (nor to a group
        /// address) go to the kernel's stack instead of the router.
        pass_to_kernel: bool,
    },
    /// A device driven by DPDK (a vdev such as `net_pcap0` or a PCI NIC
    /// bound to vfio-pci): poll-mode queues, mbufs used in place.
    Dpdk {
        /// The device: a vdev name from `dpdk.vdevs` or a PCI address
        /// (`0000:03:00.0`, always in that long form here).
        device: String,
        /// Receive queues (each polled by one worker).
        rx_queues: u16,
        /// Transmit queues (at least one per worker).
        tx_queues: u16,
        /// Descriptors per receive queue.
        rx_descriptors: u16,
        /// Descriptors per transmit queue.
        tx_descriptors: u16,
        /// RSS over IPv4/IPv6 TCP/UDP 5-tuples when `rx_queues > 1`.
        rss: bool,
        /// Promiscuous mode.
        promiscuous: bool,
        /// Mempool size; `None`: sized from the queues and descriptors.
        mbufs: Option<u32>,
    },
}

/// `af_xdp.mode`: where the XDP program is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum XdpMode {
    /// Native (driver) mode where the driver supports it, else SKB mode.
    #[default]
    Auto,
    /// Native (driver) mode, or fail.
    Native,
    /// Generic (SKB) mode: any driver, slower.
    Skb,
}

/// `af_xdp.zero_copy`: whether the NIC writes frames into the UMEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum XdpZeroCopy {
    /// Zero-copy where the driver supports it, else copy mode.
    #[default]
    Auto,
    /// Zero-copy, or fail.
    On,
    /// Copy mode.
    Off,
}

impl Driver {
    /// Number of rx queues the port has (0 for a tx-only pcap port).
    pub fn rx_queues(&self) -> u16 {
        match self {
            Driver::Pcap { rx, .. } => u16::from(rx.is_some()),
            Driver::Memory { queues, .. } => *queues,
            Driver::AfPacket { .. } => 1,
            Driver::AfXdp { queues, .. } => *queues,
            Driver::Dpdk { rx_queues, .. } => *rx_queues,
        }
    }

    /// The driver's key in the config (`pcap`, `memory`, `af_packet`,
    /// `af_xdp`).
    pub fn kind(&self) -> &'static str {
        match self {
            Driver::Pcap { .. } => "pcap",
            Driver::Memory { .. } => "memory",
            Driver::AfPacket { .. } => "af_packet",
            Driver::AfXdp { .. } => "af_xdp",
            Driver::Dpdk { .. } => "dpdk",
        }
    }
}

/// A layer-3 interface on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Unique name.
    pub name: Name,
    /// Index into [`Config::ports`].
    pub port: usize,
    /// Unicast MAC.
    pub mac: MacAddr,
    /// MTU in bytes (IP packet size, without the Ethernet header).
    pub mtu: u16,
    /// IPv4 addresses with their subnet length (host bits are the address).
    pub ipv4: Vec<Ipv4Net>,
    /// IPv6 addresses with their subnet length.
    pub ipv6: Vec<Ipv6Net>,
}

impl InterfaceConfig {
    /// True when `addr` is inside one of this interface's subnets.
    pub fn is_connected(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.ipv4.iter().any(|n| n.contains(&a)),
            IpAddr::V6(a) => self.ipv6.iter().any(|n| n.contains(&a)),
        }
    }

    /// True when `addr` is one of this interface's own addresses.
    pub fn has_address(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.ipv4.iter().any(|n| n.addr() == a),
            IpAddr::V6(a) => self.ipv6.iter().any(|n| n.addr() == a),
        }
    }
}

/// A static neighbour (no ARP/NDP needed for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighborConfig {
    /// Its IP address.
    pub address: IpAddr,
    /// Its MAC.
    pub mac: MacAddr,
    /// Index into [`Config::interfaces`]: the interface whose subnet holds `address`.
    pub interface: usize,
}

/// One next hop: a connected address and the interface it is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NextHop {
    /// Next-hop address.
    pub address: IpAddr,
    /// Index into [`Config::interfaces`].
    pub interface: usize,
}

/// An ECMP set (one member for a plain route), sorted, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NextHopSet {
    /// The members.
    pub hops: Vec<NextHop>,
}

/// A worker thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// CPU core it is pinned to.
    pub core: usize,
    /// Queues it polls.
    pub rx: Vec<RxQueue>,
    /// What it does when its queues come up empty.
    pub idle: WorkerIdle,
}

/// `workers[].idle`: what a worker does once its queues have been empty
/// for a while (~100 µs of polls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerIdle {
    /// Sleep 50 µs between polls until traffic comes back (default): the
    /// core is free for the kernel threads and processes that share it;
    /// the first packet after a quiet spell waits up to ~100 µs.
    #[default]
    Sleep,
    /// Never leave the core: poll without pause (the core shows 100% busy
    /// at all times). For cores reserved to the worker (`isolcpus`,
    /// `nohz_full`), where nothing else needs them.
    Spin,
}

/// One rx queue of one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RxQueue {
    /// Index into [`Config::ports`].
    pub port: usize,
    /// Queue number.
    pub queue: u16,
}

/// Route counts, for the summary and for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RouteStats {
    /// Entries in `routes`.
    pub static_routes: usize,
    /// Prefixes read from route files (before merging).
    pub file_routes: usize,
    /// Route-file prefixes dropped because a static route or an earlier file had the same prefix.
    pub shadowed: usize,
}

impl Config {
    /// A few lines for the log and the CLI: counts of everything.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "config {}", self.path.display());
        let _ = writeln!(s, "  log_level: {}", self.log_level.as_str());
        for p in &self.ports {
            let _ = writeln!(
                s,
                "  port {} ({}, {} rx queue(s))",
                p.name,
                p.driver.kind(),
                p.driver.rx_queues()
            );
        }
        for i in &self.interfaces {
            let port = self.ports.get(i.port).map_or("?", |p| p.name.as_str());
            let addrs: Vec<String> = i
                .ipv4
                .iter()
                .map(ToString::to_string)
                .chain(i.ipv6.iter().map(ToString::to_string))
                .collect();
            let _ = writeln!(
                s,
                "  interface {} on {port}: mac {} mtu {} [{}]",
                i.name,
                i.mac,
                i.mtu,
                addrs.join(", ")
            );
        }
        let _ = writeln!(s, "  neighbors: {}", self.neighbors.len());
        let _ = writeln!(
            s,
            "  routes: {} IPv4, {} IPv6 ({} static, {} from files, {} shadowed), {} next-hop set(s)",
            self.routes_v4.len(),
            self.routes_v6.len(),
            self.route_stats.static_routes,
            self.route_stats.file_routes,
            self.route_stats.shadowed,
            self.next_hop_sets.len()
        );
        for w in &self.workers {
            let rx: Vec<String> =
                w.rx.iter()
                    .map(|q| {
                        let port = self.ports.get(q.port).map_or("?", |p| p.name.as_str());
                        format!("{port}/{}", q.queue)
                    })
                    .collect();
            let idle = match w.idle {
                WorkerIdle::Sleep => "",
                WorkerIdle::Spin => ", idle spin",
            };
            let _ = writeln!(s, "  worker core {}: rx [{}]{idle}", w.core, rx.join(", "));
        }
        s
    }
}
