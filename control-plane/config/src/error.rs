//! Errors: every one carries the file, line and column it is about.
//!
//! Lines and columns are 1-based. Columns in the YAML file count characters (as
//! serde-saphyr does); columns in route files count bytes (route files are ASCII).
//! Line 0 means "the whole file" (e.g. it could not be opened).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One problem found while loading a configuration or a route file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in (the config file or a route file).
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column; 0 when the problem concerns the whole file.
    pub column: usize,
    /// What is wrong.
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    /// An error at `line:column` of `file`.
    pub fn new(file: &Path, line: usize, column: usize, kind: ConfigErrorKind) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            kind,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.kind
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// What is wrong, one variant per failed check.
///
/// Values are kept as text where the input could not be parsed (so the message can quote it)
/// and as domain types where it could.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    // ---- files and YAML ----
    /// The file could not be opened or read.
    #[error("cannot read file: {0}")]
    ReadFile(String),
    /// Reading (or decompressing) stopped part-way through the file.
    #[error("reading failed here: {0}")]
    ReadTruncated(String),
    /// YAML syntax error, type mismatch, unknown or missing key, as reported by the YAML parser.
    #[error("{0}")]
    Yaml(String),

    // ---- control, metrics ----
    /// `control.socket_mode` is not 0600 or 0660 written in octal.
    #[error("invalid socket mode {0:?}: use \"0600\" (owner only) or \"0660\" (owner and group)")]
    InvalidSocketMode(String),
    /// `metrics.listen` is not `ADDRESS:PORT`.
    #[error("invalid listen address {0:?}: expected ADDRESS:PORT, e.g. 127.0.0.1:9430")]
    InvalidListen(String),
    /// `control.socket_group` without mode 0660.
    #[error("socket_group needs socket_mode \"0660\"")]
    GroupWithoutGroupMode,

    // ---- names ----
    /// A port or interface name does not match `[a-z0-9_-]{1,15}`.
    #[error("invalid name {0:?}: use 1 to 15 characters from a-z, 0-9, '_' and '-'")]
    InvalidName(String),
    /// Two ports have the same name.
    #[error("duplicate port name {name} (first defined at line {first_line})")]
    DuplicatePort { name: String, first_line: usize },
    /// Two interfaces have the same name.
    #[error("duplicate interface name {name} (first defined at line {first_line})")]
    DuplicateInterface { name: String, first_line: usize },
    /// A reference to a port that is not defined.
    #[error("unknown port {0}")]
    UnknownPort(String),
    /// A reference to an interface that is not defined.
    #[error("unknown interface {0}")]
    UnknownInterface(String),
    /// A second interface on the same port (VLAN subinterfaces are not supported yet).
    #[error("port {port} already has interface {other}; one interface per port")]
    PortAlreadyUsed { port: String, other: String },

    // ---- ports ----
    /// A pcap port with neither `rx` nor `tx`.
    #[error("pcap port needs at least one of rx and tx")]
    PcapWithoutFiles,
    /// A memory port's `ring_size` is not a power of two in range.
    #[error("ring_size {value} must be a power of two in {min}..={max}")]
    RingSize { value: u64, min: u64, max: u64 },
    /// A memory port's `queues` is out of range.
    #[error("queues {value} out of range 1..={max}")]
    Queues { value: u64, max: u64 },
    /// An af_packet port's `interface` is not a Linux interface name.
    #[error(
        "invalid Linux interface name {0:?}: use 1 to 15 bytes without '/', ':', whitespace or NUL"
    )]
    InvalidLinuxInterface(String),
    /// An af_packet port's `ring_frames` is not a power of two in range.
    #[error("ring_frames {value} must be a power of two in {min}..={max}")]
    RingFrames { value: u64, min: u64, max: u64 },
    /// An af_packet port's `frame_size` is not a power of two in range.
    #[error("frame_size {value} must be a power of two in {min}..={max}")]
    FrameSize { value: u64, min: u64, max: u64 },

    /// An af_xdp or dpdk port next to ports of another driver: a worker is
    /// built over one buffer type (UMEM frames for af_xdp, mbufs for dpdk),
    /// so a config using one of them uses it for every port.
    #[error("port {port} uses {driver} but port {other_port} uses {other_driver}: {other_driver} ports cannot be mixed with other drivers in one config")]
    DriverMixed {
        port: String,
        driver: &'static str,
        other_port: String,
        other_driver: &'static str,
    },
    /// A worker that polls no queue of an af_xdp port: it could not
    /// transmit there (AF_XDP sends through the socket of a polled queue).
    #[error("worker on core {core} polls no queue of af_xdp port {port}: an af_xdp worker transmits through the socket of a queue it polls, so it must poll one queue of every port (give the port `queues: N`, one per worker)")]
    AfXdpWorkerWithoutQueue { core: u64, port: String },

    /// A dpdk port's descriptor count is not a power of two in range.
    #[error("{key} {value} must be a power of two in {min}..={max}")]
    DpdkDescriptors {
        key: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    /// A dpdk port's `mbufs` is out of range.
    #[error("mbufs {value} out of range {min}..={max}")]
    DpdkMbufs { value: u64, min: u64, max: u64 },
    /// A dpdk port with fewer transmit queues than there are workers.
    #[error("tx_queues {value} is below the number of workers ({workers}): each worker transmits through its own queue of every dpdk port")]
    DpdkTxQueuesBelowWorkers { value: u64, workers: usize },
    /// A dpdk device that is neither a declared vdev nor a PCI address.
    #[error("unknown DPDK device {0:?}: name a vdev from dpdk.vdevs (e.g. net_pcap0) or give a PCI address such as 0000:03:00.0")]
    DpdkUnknownDevice(String),
    /// Two dpdk ports on one device.
    #[error("DPDK device {device} is already used by port {other}")]
    DpdkDeviceUsedTwice { device: String, other: String },
    /// Not a PCI address.
    #[error("invalid PCI address {0:?}: expected DOMAIN:BUS:DEVICE.FUNCTION such as 0000:03:00.0")]
    InvalidPciAddress(String),
    /// A vdev spec without a valid device name.
    #[error("invalid vdev {0:?}: expected NAME[,KEY=VALUE...] with NAME like net_pcap0 (letters, digits, '_')")]
    InvalidVdev(String),
    /// The same vdev name declared twice.
    #[error("duplicate vdev {name} (first declared at line {first_line})")]
    DuplicateVdev { name: String, first_line: usize },
    /// `dpdk.memory_mb` out of range.
    #[error("memory_mb {value} out of range {min}..={max}")]
    DpdkMemory { value: u64, min: u64, max: u64 },
    /// `dpdk.file_prefix` not usable as a file name part.
    #[error("invalid file_prefix {0:?}: use 1 to 32 characters from a-z, A-Z, 0-9, '_' and '-'")]
    InvalidFilePrefix(String),

    // ---- interfaces ----
    /// Not a MAC address `xx:xx:xx:xx:xx:xx`.
    #[error("invalid MAC address {0:?}: expected six hex bytes like 02:00:00:00:00:01")]
    InvalidMac(String),
    /// The all-zero MAC.
    #[error("MAC address 00:00:00:00:00:00 is not a valid interface or neighbor address")]
    MacZero,
    /// A multicast or broadcast MAC where a unicast one is needed.
    #[error("MAC address {0} is not unicast (its first octet has the group bit set)")]
    MacNotUnicast(String),
    /// MTU out of range.
    #[error("mtu {value} out of range {min}..={max}")]
    Mtu { value: u64, min: u64, max: u64 },
    /// An interface with IPv6 addresses and an MTU below 1280 (RFC 8200 §5).
    #[error("mtu {0} is below 1280, the IPv6 minimum (RFC 8200 section 5), but the interface has IPv6 addresses")]
    MtuTooSmallForIpv6(u16),
    /// Not an `ADDRESS/LEN` interface address.
    #[error("invalid interface address {value:?}: {reason}")]
    InvalidInterfaceAddress { value: String, reason: String },
    /// The same address configured twice.
    #[error("duplicate address {address} (also on interface {other})")]
    DuplicateAddress { address: IpAddr, other: String },
    /// Subnets of two interfaces overlap.
    #[error("subnet {subnet} overlaps subnet {other_subnet} of interface {other}")]
    OverlappingSubnet {
        subnet: String,
        other_subnet: String,
        other: String,
    },

    // ---- addresses and prefixes ----
    /// Not an IP address.
    #[error("invalid IP address {0:?}")]
    InvalidAddress(String),
    /// Not a `PREFIX/LEN`.
    #[error("invalid prefix {value:?}: {reason}")]
    InvalidPrefix { value: String, reason: String },
    /// The prefix length is larger than the address family allows.
    #[error("prefix length {len} out of range 0..={max}")]
    PrefixLength { len: u32, max: u8 },
    /// The address has bits set beyond the prefix length.
    #[error("host bits set in {value}: the canonical form is {canonical}")]
    HostBitsSet { value: String, canonical: String },

    // ---- neighbours ----
    /// A neighbour address on no interface subnet.
    #[error("neighbor {0} is not on any interface subnet")]
    NeighborNotConnected(IpAddr),
    /// A neighbour address not on the subnet of the interface given for it.
    #[error("neighbor {address} is not on a subnet of interface {interface}")]
    NeighborNotOnInterface { address: IpAddr, interface: String },
    /// A neighbour address that is one of ours.
    #[error("neighbor {0} is one of this router's own addresses")]
    NeighborIsOwnAddress(IpAddr),
    /// The same neighbour twice.
    #[error("duplicate neighbor {address} (first defined at line {first_line})")]
    DuplicateNeighbor { address: IpAddr, first_line: usize },

    // ---- routes and next hops ----
    /// A next hop of the other address family than the prefix.
    #[error("next hop {next_hop} is not of the same address family as {prefix}")]
    NextHopFamily { next_hop: IpAddr, prefix: String },
    /// A next hop on no interface subnet.
    #[error("next hop {0} is not on any interface subnet")]
    NextHopNotConnected(IpAddr),
    /// A next hop that is one of our own addresses.
    #[error("next hop {0} is one of this router's own addresses")]
    NextHopIsOwnAddress(IpAddr),
    /// `via: []`.
    #[error("empty next-hop set: give at least one next hop")]
    EmptyNextHopSet,
    /// The same next hop twice in one set.
    #[error("duplicate next hop {0} in the same set")]
    DuplicateNextHop(IpAddr),
    /// More next hops than an ECMP set can hold.
    #[error("{count} next hops, more than the ECMP maximum of {max}")]
    TooManyNextHops { count: usize, max: usize },
    /// The same static prefix twice in `routes`.
    #[error("duplicate route {prefix} (first defined at line {first_line})")]
    DuplicateRoute { prefix: String, first_line: usize },
    /// A route file with routes of a family for which its `via` has no next hop.
    #[error("{family} route {prefix} but the route file's via has no {family} next hop")]
    RouteFileFamily {
        family: &'static str,
        prefix: String,
    },
    /// Too many errors in one route file; the rest are not reported.
    #[error("too many errors in this route file, stopped reporting")]
    TooManyErrors,

    // ---- workers ----
    /// No worker configured.
    #[error("at least one worker is required")]
    NoWorkers,
    /// A worker `rx` entry that is not `PORT` or `PORT/QUEUE`.
    #[error("invalid rx queue {0:?}: expected PORT or PORT/QUEUE")]
    InvalidRxQueue(String),
    /// A queue number beyond what the port has.
    #[error("port {port} has {queues} rx queue(s); queue {queue} does not exist")]
    UnknownRxQueue {
        port: String,
        queue: u64,
        queues: u16,
    },
    /// A worker polls a port that receives nothing (a pcap port without `rx`).
    #[error("port {0} has no rx (tx-only) and cannot be polled")]
    PortHasNoRx(String),
    /// The same queue polled twice.
    #[error("queue {port}/{queue} is already polled (at line {first_line})")]
    QueuePolledTwice {
        port: String,
        queue: u16,
        first_line: usize,
    },
    /// An rx queue no worker polls.
    #[error("queue {port}/{queue} is not polled by any worker")]
    QueueNotPolled { port: String, queue: u16 },
    /// Two workers on the same core.
    #[error("duplicate worker core {core} (first used at line {first_line})")]
    DuplicateCore { core: u64, first_line: usize },
    /// A core this machine does not have.
    #[error("core {core} does not exist: this machine has {cpus} CPU(s), cores 0..={last}", last = cpus.saturating_sub(1))]
    CoreOutOfRange { core: u64, cpus: usize },
}

/// All errors found in one load, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The errors.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none (a loader never returns an empty `ConfigErrors`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
