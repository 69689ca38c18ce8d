//! Turns the raw YAML structs into the validated [`Config`], collecting every error.
//!
//! Order: ports, interfaces, neighbours, static routes, route files, workers. Later checks use
//! what earlier ones established (indices, subnets) and skip what depends on an entry that
//! already failed, so one mistake yields one error, not a cascade.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde_saphyr::{Location, Spanned};

use crate::error::{ConfigError, ConfigErrorKind as K, ConfigErrors};
use crate::model::*;
use crate::raw::*;
use crate::types::{MacAddr, Name};

mod dpdk;
mod ports;
mod routes;
mod workers;

pub use dpdk::{
    DEFAULT_DESCRIPTORS, DEFAULT_FILE_PREFIX, DEFAULT_NO_HUGE_MEMORY_MB, MAX_DESCRIPTORS,
    MAX_MBUFS, MAX_MEMORY_MB, MIN_DESCRIPTORS, MIN_MBUFS, MIN_MEMORY_MB,
};

use crate::table::RouteTable;

/// Smallest MTU: every IPv4 host must accept a 68-byte datagram (RFC 791).
pub const MIN_MTU: u64 = 68;
/// Largest MTU: the common jumbo-frame limit of switches and NICs.
pub const MAX_MTU: u64 = 9216;
/// Default MTU: Ethernet.
pub const DEFAULT_MTU: u16 = 1500;
/// IPv6 minimum link MTU (RFC 8200 §5).
pub const IPV6_MIN_MTU: u16 = 1280;
/// Largest ECMP set: the FIB stores a member index in 6 bits.
pub const MAX_ECMP: usize = 64;
/// Memory-port ring size bounds and default (entries per queue).
pub const MIN_RING_SIZE: u64 = 16;
/// Largest memory-port ring (entries per queue).
pub const MAX_RING_SIZE: u64 = 1 << 20;
/// Default memory-port ring size.
pub const DEFAULT_RING_SIZE: u32 = 1024;
/// Most rx queues a memory port may have.
pub const MAX_QUEUES: u64 = 64;
/// af_packet ring bounds and default (frames per ring); the port driver
/// (`silkroute_router::port::af_packet`) enforces the same.
pub const MIN_RING_FRAMES: u64 = 16;
/// Largest af_packet ring (frames).
pub const MAX_RING_FRAMES: u64 = 1 << 20;
/// Default af_packet ring: 4096 x 2 KiB = 8 MiB per ring.
pub const DEFAULT_RING_FRAMES: u32 = 4096;
/// af_packet frame slot bounds and default (bytes): a 1500-byte MTU frame
/// and the ring's header fit in 2048, which is also the largest frame the
/// heap buffers hold.
pub const MIN_FRAME_SIZE: u64 = 2048;
/// Largest af_packet frame slot.
pub const MAX_FRAME_SIZE: u64 = 65536;
/// Default af_packet frame slot.
pub const DEFAULT_FRAME_SIZE: u32 = 2048;

/// Options for a load that are facts about the machine rather than the file.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Number of CPUs; worker cores must be below it. Default: [`cpu_count`].
    pub cpu_count: usize,
    /// Reuse route files unchanged since the last load through this cache (a running router
    /// keeps one across reloads). Default: none, every load reads every file.
    pub route_cache: Option<std::sync::Arc<crate::table::RouteFileCache>>,
    /// Read the route files the config names (default). Without, their routes are left out
    /// and nothing but the config text is read: for a check of a text someone else sent
    /// (`silkctl check`), so the daemon opens no file a client named.
    pub read_route_files: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            cpu_count: cpu_count(),
            route_cache: None,
            read_route_files: true,
        }
    }
}

impl LoadOptions {
    /// Options for a machine with `cpus` CPUs and no route-file cache.
    pub fn with_cpu_count(cpus: usize) -> Self {
        LoadOptions {
            cpu_count: cpus,
            ..LoadOptions::default()
        }
    }
}

/// Number of CPUs of this machine: the highest online CPU + 1 from
/// `/sys/devices/system/cpu/online` (e.g. `0-3,8-11` gives 12), falling back to
/// `std::thread::available_parallelism` (which may be lower under an affinity mask).
pub fn cpu_count() -> usize {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|s| parse_cpu_list(&s))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

/// Highest CPU + 1 of a kernel CPU list such as `0-3,8-11` (→ 12) or `0` (→ 1).
fn parse_cpu_list(s: &str) -> Option<usize> {
    s.trim()
        .split(',')
        .map(|r| r.rsplit('-').next()?.trim().parse::<usize>().ok())
        .collect::<Option<Vec<usize>>>()?
        .into_iter()
        .max()
        .map(|m| m + 1)
}

fn pos(loc: &Location) -> (usize, usize) {
    (loc.line() as usize, loc.column() as usize)
}

/// Parses and validates `text` as the config file `path`.
pub(crate) fn load_text(
    text: &str,
    path: &Path,
    opts: &LoadOptions,
) -> Result<Config, ConfigErrors> {
    let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let mut v = Validator {
        file: path,
        route_cache: opts.route_cache.as_deref(),
        read_route_files: opts.read_route_files,
        text,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        errors: Vec::new(),
        file_errors: Vec::new(),
        cpus: opts.cpu_count,
        port_names: HashMap::new(),
        iface_names: HashMap::new(),
        ports: Vec::new(),
        interfaces: Vec::new(),
        sets: HashMap::new(),
        next_hop_sets: Vec::new(),
        dpdk_vdevs: HashMap::new(),
        dpdk_devices: HashMap::new(),
    };
    let config = v.run(raw);
    let Validator {
        mut errors,
        file_errors,
        ..
    } = v;
    if errors.is_empty() && file_errors.is_empty() {
        return Ok(config);
    }
    errors.sort_by_key(|e| (e.line, e.column));
    errors.extend(file_errors);
    Err(ConfigErrors(errors))
}

fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> ConfigError {
    use serde_saphyr::MessageFormatter;
    let (line, column) = e.location().map_or((0, 0), |l| pos(&l));
    let msg = serde_saphyr::UserMessageFormatter.format_message(e.without_snippet());
    // The parser's terse wording for the most common mistakes, said for a config author.
    let msg = match &*msg {
        "invalid u64" => "expected a whole number from 0 to 18446744073709551615".into(),
        "expected sequence start" => "expected a list".into(),
        "expected mapping start" => "expected a mapping (key: value)".into(),
        other => other.to_string(),
    };
    let msg: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    ConfigError::new(path, line, column, K::Yaml(msg))
}

struct Validator<'a> {
    file: &'a Path,
    route_cache: Option<&'a crate::table::RouteFileCache>,
    read_route_files: bool,
    text: &'a str,
    dir: PathBuf,
    /// Errors in the config file (sorted by position at the end).
    errors: Vec<ConfigError>,
    /// Errors inside route files (kept in file order, after the config's).
    file_errors: Vec<ConfigError>,
    cpus: usize,
    /// Port name → (index, line of definition).
    port_names: HashMap<String, (usize, usize)>,
    iface_names: HashMap<String, (usize, usize)>,
    ports: Vec<PortConfig>,
    interfaces: Vec<InterfaceConfig>,
    sets: HashMap<Vec<NextHop>, u32>,
    next_hop_sets: Vec<NextHopSet>,
    /// `dpdk.vdevs` names → line of declaration.
    dpdk_vdevs: HashMap<String, usize>,
    /// dpdk device → the port using it.
    dpdk_devices: HashMap<String, String>,
}

impl Validator<'_> {
    fn err(&mut self, loc: &Location, kind: K) {
        let (line, column) = pos(loc);
        self.errors
            .push(ConfigError::new(self.file, line, column, kind));
    }

    fn run(&mut self, raw: RawConfig) -> Config {
        let mut dpdk = self.dpdk_section(raw.dpdk.as_ref());
        for p in &raw.ports {
            self.port(p);
        }
        self.drivers_not_mixed(&raw.ports);
        for i in &raw.interfaces {
            self.interface(i);
        }
        self.cross_interface_checks(&raw.interfaces);
        let neighbors = self.neighbors(&raw.neighbors);
        let mut static_v4: Vec<(Ipv4Net, u32)> = Vec::new();
        let mut static_v6: Vec<(Ipv6Net, u32)> = Vec::new();
        self.static_routes(&raw.routes, &mut static_v4, &mut static_v6);
        let stats_static = static_v4.len() + static_v6.len();
        let (files, sets4, sets6) = self.route_files(&raw.route_files);
        let file_routes: usize = files.facts.iter().map(|f| f.count_v4 + f.count_v6).sum();
        let routes_v4 = RouteTable::new(static_v4, files.v4, sets4);
        let routes_v6 = RouteTable::new(static_v6, files.v6, sets6);
        let shadowed = stats_static + file_routes - routes_v4.len() - routes_v6.len();
        let workers = self.workers(raw.workers.as_ref(), &raw.ports);
        self.dpdk_finish(&mut dpdk, &raw.ports, &workers);
        let control = self.control(raw.control.as_ref());
        let metrics = self.metrics(raw.metrics.as_ref());
        let route_files = raw
            .route_files
            .iter()
            .map(|rf| self.resolve(&rf.path.value))
            .collect();
        Config {
            path: self.file.to_path_buf(),
            log_level: raw.log_level.unwrap_or_default(),
            ports: std::mem::take(&mut self.ports),
            interfaces: std::mem::take(&mut self.interfaces),
            neighbors,
            next_hop_sets: std::mem::take(&mut self.next_hop_sets),
            routes_v4,
            routes_v6,
            workers,
            route_stats: RouteStats {
                static_routes: stats_static,
                file_routes,
                shadowed,
            },
            control,
            metrics,
            reload: ReloadConfig {
                watch: raw.reload.as_ref().is_some_and(|r| r.watch),
            },
            route_files,
            dpdk,
        }
    }

    fn control(&mut self, raw: Option<&crate::raw::RawControl>) -> ControlConfig {
        let mut c = ControlConfig::default();
        let Some(raw) = raw else {
            return c;
        };
        c.socket = raw.socket.as_ref().map(|s| self.resolve(&s.value));
        if let Some(m) = &raw.socket_mode {
            match m.value.trim_start_matches("0o") {
                "0600" | "600" => c.socket_mode = 0o600,
                "0660" | "660" => c.socket_mode = 0o660,
                _ => self.err(&m.referenced, K::InvalidSocketMode(m.value.clone())),
            }
        }
        if let Some(g) = &raw.socket_group {
            if c.socket_mode != 0o660 {
                self.err(&g.referenced, K::GroupWithoutGroupMode);
            }
            c.socket_group = Some(g.value.clone());
        }
        c
    }

    fn metrics(&mut self, raw: Option<&crate::raw::RawMetrics>) -> MetricsConfig {
        let mut m = MetricsConfig::default();
        let Some(raw) = raw else {
            return m;
        };
        if let Some(l) = &raw.listen {
            match l.value.parse::<std::net::SocketAddr>() {
                Ok(a) => m.listen = Some(a),
                Err(_) => self.err(&l.referenced, K::InvalidListen(l.value.clone())),
            }
        }
        if raw.enabled == Some(false) {
            m.listen = None;
        }
        m
    }

    /// Line and column of the character `offset` bytes into a scalar value that starts at
    /// `loc`, skipping an opening quote (values here are ASCII, so bytes are characters).
    fn inside(&self, loc: &Location, offset: usize) -> (usize, usize) {
        let (line, column) = pos(loc);
        let quoted = loc
            .span()
            .byte_offset()
            .and_then(|b| self.text.as_bytes().get(usize::try_from(b).ok()?))
            .is_some_and(|&c| c == b'"' || c == b'\'');
        let skip = usize::from(quoted && offset > 0);
        (line, column + offset + skip)
    }

    fn name(&mut self, s: &Spanned<String>) -> Name {
        Name::new(&s.value).unwrap_or_else(|| {
            self.err(&s.referenced, K::InvalidName(s.value.clone()));
            Name::new_unchecked(&s.value)
        })
    }

    fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    // ----------------------------------------------------------- interfaces

    fn mac(&mut self, s: &Spanned<String>) -> MacAddr {
        match s.value.parse::<MacAddr>() {
            Err(_) => {
                self.err(&s.referenced, K::InvalidMac(s.value.clone()));
                MacAddr::default()
            }
            Ok(m) if m == MacAddr::default() => {
                self.err(&s.referenced, K::MacZero);
                m
            }
            Ok(m) if !m.is_unicast() => {
                self.err(&s.referenced, K::MacNotUnicast(m.to_string()));
                m
            }
            Ok(m) => m,
        }
    }

    fn interface(&mut self, i: &RawInterface) {
        let index = self.interfaces.len();
        let name = self.name(&i.name);
        let (line, _) = pos(&i.name.referenced);
        if let Some(&(_, first_line)) = self.iface_names.get(&i.name.value) {
            self.err(
                &i.name.referenced,
                K::DuplicateInterface {
                    name: i.name.value.clone(),
                    first_line,
                },
            );
        } else {
            self.iface_names.insert(i.name.value.clone(), (index, line));
        }
        let port = match self.port_names.get(&i.port.value) {
            None => {
                self.err(&i.port.referenced, K::UnknownPort(i.port.value.clone()));
                usize::MAX
            }
            Some(&(p, _)) => {
                if let Some(other) = self.interfaces.iter().find(|o| o.port == p) {
                    let other = other.name.to_string();
                    self.err(
                        &i.port.referenced,
                        K::PortAlreadyUsed {
                            port: i.port.value.clone(),
                            other,
                        },
                    );
                }
                p
            }
        };
        let mac = self.mac(&i.mac);
        let mtu = match &i.mtu {
            None => DEFAULT_MTU,
            Some(m) => {
                if !(MIN_MTU..=MAX_MTU).contains(&m.value) {
                    self.err(
                        &m.referenced,
                        K::Mtu {
                            value: m.value,
                            min: MIN_MTU,
                            max: MAX_MTU,
                        },
                    );
                }
                u16::try_from(m.value).unwrap_or(DEFAULT_MTU)
            }
        };
        let mut ipv4 = Vec::new();
        let mut ipv6 = Vec::new();
        for a in &i.addresses {
            match parse_interface_address(&a.value) {
                Ok(IpNet::V4(n)) => ipv4.push(n),
                Ok(IpNet::V6(n)) => ipv6.push(n),
                Err(reason) => self.err(
                    &a.referenced,
                    K::InvalidInterfaceAddress {
                        value: a.value.clone(),
                        reason,
                    },
                ),
            }
        }
        if !ipv6.is_empty() && mtu < IPV6_MIN_MTU {
            if let Some(m) = &i.mtu {
                self.err(&m.referenced, K::MtuTooSmallForIpv6(mtu));
            }
        }
        self.interfaces.push(InterfaceConfig {
            name,
            port,
            mac,
            mtu,
            ipv4,
            ipv6,
        });
    }

    /// Duplicate addresses and overlapping subnets, across all interfaces.
    fn cross_interface_checks(&mut self, raw: &[RawInterface]) {
        // (address, interface index, location), in file order; only those that parsed.
        let mut seen: Vec<(IpNet, usize, Location)> = Vec::new();
        for (idx, ri) in raw.iter().enumerate() {
            for a in &ri.addresses {
                let Ok(net) = parse_interface_address(&a.value) else {
                    continue;
                };
                if let Some((_, other, _)) = seen.iter().find(|(n, _, _)| n.addr() == net.addr()) {
                    let other = self.iface_name(*other);
                    self.err(
                        &a.referenced,
                        K::DuplicateAddress {
                            address: net.addr(),
                            other,
                        },
                    );
                } else if let Some((n, other, _)) = seen
                    .iter()
                    .find(|(n, other, _)| *other != idx && overlaps(n, &net))
                {
                    let (n, other) = (*n, *other);
                    let other = self.iface_name(other);
                    self.err(
                        &a.referenced,
                        K::OverlappingSubnet {
                            subnet: net.trunc().to_string(),
                            other_subnet: n.trunc().to_string(),
                            other,
                        },
                    );
                }
                seen.push((net, idx, a.referenced));
            }
        }
    }

    fn iface_name(&self, idx: usize) -> String {
        self.interfaces
            .get(idx)
            .map_or_else(String::new, |i| i.name.to_string())
    }

    /// Interfaces whose subnets hold `addr`, and whether `addr` is one of ours.
    fn connected(&self, addr: IpAddr) -> (Vec<usize>, bool) {
        let own = self.interfaces.iter().any(|i| i.has_address(addr));
        let on = self
            .interfaces
            .iter()
            .enumerate()
            .filter(|(_, i)| i.is_connected(addr))
            .map(|(n, _)| n)
            .collect();
        (on, own)
    }

    // ------------------------------------------------------------ neighbours

    fn neighbors(&mut self, raw: &[RawNeighbor]) -> Vec<NeighborConfig> {
        let mut out = Vec::new();
        let mut seen: HashMap<IpAddr, usize> = HashMap::new();
        for n in raw {
            let mac = self.mac(&n.mac);
            let explicit = n.interface.as_ref().and_then(|s| {
                let found = self.iface_names.get(&s.value).map(|&(i, _)| i);
                if found.is_none() {
                    self.err(&s.referenced, K::UnknownInterface(s.value.clone()));
                }
                found
            });
            let Ok(address) = n.address.value.parse::<IpAddr>() else {
                self.err(
                    &n.address.referenced,
                    K::InvalidAddress(n.address.value.clone()),
                );
                continue;
            };
            let (line, _) = pos(&n.address.referenced);
            if let Some(&first_line) = seen.get(&address) {
                self.err(
                    &n.address.referenced,
                    K::DuplicateNeighbor {
                        address,
                        first_line,
                    },
                );
                continue;
            }
            seen.insert(address, line);
            let (on, own) = self.connected(address);
            let interface = if own {
                self.err(&n.address.referenced, K::NeighborIsOwnAddress(address));
                continue;
            } else if let Some(e) = explicit {
                if !on.contains(&e) {
                    let interface = self.iface_name(e);
                    self.err(
                        &n.address.referenced,
                        K::NeighborNotOnInterface { address, interface },
                    );
                    continue;
                }
                e
            } else if let Some(&first) = on.first() {
                first
            } else {
                if n.interface.is_none() {
                    self.err(&n.address.referenced, K::NeighborNotConnected(address));
                }
                continue;
            };
            out.push(NeighborConfig {
                address,
                mac,
                interface,
            });
        }
        out
    }
}

/// `ADDRESS/LEN` for an interface: host bits are the address, so they are expected.
pub(crate) fn parse_interface_address(s: &str) -> Result<IpNet, String> {
    let Some((addr, len)) = s.split_once('/') else {
        return Err("expected ADDRESS/LEN, e.g. 192.0.2.1/24".into());
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u8 = len
        .parse()
        .ok()
        .filter(|l| *l <= max)
        .ok_or_else(|| format!("prefix length must be a number in 1..={max}"))?;
    if len == 0 {
        return Err("prefix length 0 is not a subnet".into());
    }
    if addr.is_unspecified() || addr.is_loopback() || addr.is_multicast() {
        return Err(format!("{addr} is not a unicast host address"));
    }
    let net = IpNet::new(addr, len).map_err(|e| e.to_string())?;
    if let IpNet::V4(n) = net {
        // /31 (RFC 3021) and /32 have no network or broadcast address.
        if len <= 30 && n.addr() == n.network() {
            return Err(format!("{addr} is the network address of {}", n.trunc()));
        }
        if len <= 30 && n.addr() == n.broadcast() {
            return Err(format!("{addr} is the broadcast address of {}", n.trunc()));
        }
        if n.addr().is_broadcast() {
            return Err(format!("{addr} is not a unicast host address"));
        }
    }
    Ok(net)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    let (a, b) = (a.trunc(), b.trunc());
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1\n"), Some(2));
        assert_eq!(parse_cpu_list("0"), Some(1));
        assert_eq!(parse_cpu_list("0-3,8-11"), Some(12));
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("x"), None);
        assert!(cpu_count() >= 1);
    }

    #[test]
    fn interface_addresses() {
        assert!(parse_interface_address("192.0.2.1/24").is_ok());
        assert!(parse_interface_address("192.0.2.0/31").is_ok());
        assert!(parse_interface_address("192.0.2.7/32").is_ok());
        assert!(parse_interface_address("2001:db8::/64").is_ok()); // anycast-style, allowed
        for bad in [
            "192.0.2.255/24",
            "192.0.2.0/24",
            "0.0.0.0/8",
            "127.0.0.1/8",
            "224.0.0.1/4",
            "10.0.0.1/0",
            "10.0.0.1",
            "::1/128",
            "ff02::1/16",
            "x/24",
        ] {
            assert!(parse_interface_address(bad).is_err(), "{bad}");
        }
    }
}
