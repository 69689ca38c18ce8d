//! The control-socket protocol between `silkctl` and the daemon: one JSON
//! request per line, one JSON response per line.
//!
//! A request is an object tagged by `command` (`{"command":"lookup",
//! "address":"192.0.2.7"}`); a response is `{"ok":true,"data":{...}}` or
//! `{"ok":false,"error":"..."}`. Every `data` payload is one of the typed
//! structs below, so the daemon serialises and `silkctl` renders the same
//! types. Addresses, prefixes and MACs travel as text (`192.0.2.0/24`,
//! `02:00:00:00:00:01`): the protocol is for people and scripts as much as
//! for `silkctl`.

use serde::{Deserialize, Serialize};

/// Longest request line accepted (a request is a few dozen bytes, but
/// `check` carries a configuration file; this bounds what a misbehaving
/// client can make the daemon buffer).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Routes `show routes` lists when the request gives no limit: enough to
/// eyeball a table, far from the 900k of a full one.
pub const DEFAULT_ROUTE_LIMIT: usize = 100;

/// An operator request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Daemon status ([`StatusInfo`]).
    Status,
    /// Interfaces and their ports ([`InterfacesInfo`]).
    ShowInterfaces,
    /// Without `prefix`: a count and the first `limit` configured routes;
    /// with it: the exact entry and the longest match ([`RoutesInfo`]).
    ShowRoutes {
        /// `ADDRESS` or `ADDRESS/LEN`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        /// Routes to list (default [`DEFAULT_ROUTE_LIMIT`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// Static and learned neighbours ([`NeighborsInfo`]).
    ShowNeighbors,
    /// Counters per port, per worker, drops and punts by reason
    /// ([`StatsInfo`]).
    ShowStats,
    /// What the live FIB does with one destination ([`LookupInfo`]).
    Lookup {
        /// An IPv4 or IPv6 address.
        address: String,
    },
    /// Reload the configuration file ([`ReloadInfo`]).
    Reload,
    /// Say whether a configuration could replace the running one without
    /// a restart ([`CheckInfo`]). The client sends the file's text: the
    /// daemon reads no file a client names (not the config, not the route
    /// files it lists), so the socket gives no one the daemon's access to
    /// files. The client validates the file itself, route files included.
    Check {
        /// The file's path (for messages and relative paths in it).
        path: String,
        /// The file's content.
        text: String,
    },
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// True when the request succeeded.
    pub ok: bool,
    /// What went wrong, when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The result.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Response {
    /// A success carrying `data`.
    pub fn ok(data: impl Serialize) -> Self {
        match serde_json::to_value(data) {
            Ok(data) => Self {
                ok: true,
                error: None,
                data,
            },
            Err(e) => Self::error(format!("encoding the answer: {e}")),
        }
    }

    /// A failure.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            error: Some(message.into()),
            data: serde_json::Value::Null,
        }
    }

    /// The payload as `T` (what `silkctl` renders).
    pub fn data_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }
}

/// Why a request line was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Longer than [`MAX_REQUEST_BYTES`].
    #[error("request longer than {MAX_REQUEST_BYTES} bytes")]
    TooLong,
    /// Not a valid request.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// Decodes one request line.
pub fn decode_request(line: &[u8]) -> Result<Request, DecodeError> {
    if line.len() > MAX_REQUEST_BYTES {
        return Err(DecodeError::TooLong);
    }
    serde_json::from_slice(line).map_err(|e| DecodeError::Invalid(e.to_string()))
}

/// `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusInfo {
    /// Configuration file the daemon runs from.
    pub config: String,
    /// Daemon version.
    pub version: String,
    /// Seconds since the router started.
    pub uptime_seconds: u64,
    /// Generation of the published FIB snapshot.
    pub fib_generation: u64,
    /// Successful configuration loads (1 after start).
    pub config_generation: u64,
    /// IPv4 prefixes in the FIB (connected and local included).
    pub routes_v4: usize,
    /// IPv6 prefixes in the FIB (connected and local included).
    pub routes_v6: usize,
    /// Next-hop entries.
    pub next_hops: usize,
    /// ECMP groups.
    pub ecmp_groups: usize,
    /// Bytes the FIB's tables hold.
    pub fib_bytes: usize,
    /// Ports.
    pub ports: usize,
    /// Workers.
    pub workers: usize,
    /// Result of the last reload (`success`, `invalid`, ...), if any.
    pub last_reload: Option<String>,
    /// Error of the last failed reload.
    pub last_reload_error: Option<String>,
}

/// `show interfaces`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterfacesInfo {
    /// One entry per port, in configuration order.
    pub interfaces: Vec<InterfaceInfo>,
}

/// One port and the interface on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterfaceInfo {
    /// Interface name (`None`: a port without an interface).
    pub name: Option<String>,
    /// Port name.
    pub port: String,
    /// Port driver (`pcap`, `memory`, ...).
    pub driver: String,
    /// Receive queues.
    pub rx_queues: u16,
    /// Interface MAC.
    pub mac: Option<String>,
    /// IP MTU.
    pub mtu: Option<u16>,
    /// Configured addresses with their subnet length.
    pub addresses: Vec<String>,
    /// The IPv6 link-local address derived from the MAC.
    pub link_local: Option<String>,
    /// Frames received (all workers).
    pub rx_packets: u64,
    /// Frames transmitted (all workers).
    pub tx_packets: u64,
    /// Frames dropped, any reason.
    pub dropped: u64,
}

/// `show routes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RoutesInfo {
    /// No prefix given: counts and the first routes.
    List(RouteList),
    /// A prefix given.
    Match(RouteMatch),
}

/// The routes listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteList {
    /// Configured IPv4 routes (static and route files).
    pub configured_v4: usize,
    /// Configured IPv6 routes.
    pub configured_v6: usize,
    /// IPv4 prefixes in the FIB (connected, local and neighbours too).
    pub fib_v4: usize,
    /// IPv6 prefixes in the FIB.
    pub fib_v6: usize,
    /// The first routes: connected subnets, then configured routes (IPv4,
    /// then IPv6, in address order), at most `limit`.
    pub routes: Vec<RouteInfo>,
    /// The limit applied.
    pub limit: usize,
}

/// `show routes PREFIX`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteMatch {
    /// The prefix asked about (an address means a host prefix).
    pub query: String,
    /// The FIB entry for exactly that prefix.
    pub exact: Option<RouteInfo>,
    /// The longest FIB entry covering the whole prefix (may be `exact`).
    pub longest: Option<RouteInfo>,
}

/// One route and what it resolves to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteInfo {
    /// `NETWORK/LEN`.
    pub prefix: String,
    /// What the route does.
    pub target: TargetInfo,
}

/// What a route resolves to (mirrors the FIB's target kinds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetInfo {
    /// Forward to one next hop.
    NextHop {
        /// The next hop.
        hop: HopInfo,
    },
    /// Forward to one of several next hops by flow hash.
    Ecmp {
        /// Every member.
        members: Vec<HopInfo>,
    },
    /// One of the router's own addresses.
    Local,
    /// A connected subnet: the destination itself is the next hop.
    Attached {
        /// Egress port name.
        port: String,
        /// Interface on that port.
        interface: Option<String>,
    },
    /// A subnet broadcast address of ours: not forwarded.
    Broadcast,
    /// Discarded.
    Blackhole,
}

impl TargetInfo {
    /// The kind as a word (`next_hop`, `ecmp`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            TargetInfo::NextHop { .. } => "next_hop",
            TargetInfo::Ecmp { .. } => "ecmp",
            TargetInfo::Local => "local",
            TargetInfo::Attached { .. } => "attached",
            TargetInfo::Broadcast => "broadcast",
            TargetInfo::Blackhole => "blackhole",
        }
    }
}

/// One next hop as the FIB has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HopInfo {
    /// Next-hop address.
    pub address: String,
    /// Egress port name.
    pub port: String,
    /// Interface on that port.
    pub interface: Option<String>,
    /// The neighbour's MAC; `None` while unresolved.
    pub mac: Option<String>,
}

/// `lookup ADDRESS`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LookupInfo {
    /// The address looked up.
    pub address: String,
    /// The FIB generation answered from.
    pub fib_generation: u64,
    /// What a packet to it becomes: `forward`, `unresolved` (punted for
    /// ARP/NDP), `local`, `broadcast`, `blackhole` or `no_route`.
    pub action: String,
    /// The route that matched (`None`: no route).
    pub route: Option<RouteInfo>,
}

/// `show neighbors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighborsInfo {
    /// Static neighbours first (configuration order), then learned ones
    /// by address.
    pub neighbors: Vec<NeighborInfo>,
}

/// One neighbour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighborInfo {
    /// Its IP address.
    pub address: String,
    /// Its MAC; `None` while resolution is incomplete.
    pub mac: Option<String>,
    /// Port name.
    pub port: String,
    /// Interface on that port.
    pub interface: Option<String>,
    /// `static`, `reachable`, `stale`, `probe` or `incomplete`.
    pub state: String,
    /// Seconds since the last confirmation or solicitation (learned only).
    pub age_seconds: Option<u64>,
}

/// `show stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsInfo {
    /// Per port, summed over workers.
    pub ports: Vec<PortStats>,
    /// Per worker, summed over ports.
    pub workers: Vec<WorkerStats>,
    /// Drops by reason and port (non-zero only).
    pub drops: Vec<ReasonCount>,
    /// Punts to the control plane by reason and port (non-zero only).
    pub punts: Vec<ReasonCount>,
    /// What the control plane did with punts (non-zero only).
    pub control: Vec<ReasonCount>,
}

/// One port's counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortStats {
    /// Port name.
    pub port: String,
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Frames transmitted.
    pub tx_packets: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Of the transmitted frames, those the control plane injected.
    pub injected: u64,
    /// Frames dropped, any reason.
    pub dropped: u64,
    /// Frames punted to the control plane.
    pub punted: u64,
    /// Frames the driver could not hand to a worker.
    pub driver_rx_dropped: u64,
    /// Frames the driver failed to send.
    pub driver_tx_errors: u64,
}

/// One worker's counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerStats {
    /// Worker index.
    pub worker: usize,
    /// Its configured core.
    pub core: usize,
    /// Frames received.
    pub rx_packets: u64,
    /// Frames transmitted.
    pub tx_packets: u64,
    /// Frames dropped.
    pub dropped: u64,
    /// Loop iterations that received something.
    pub busy_loops: u64,
    /// Loop iterations that received nothing.
    pub idle_loops: u64,
    /// Generation of the FIB it forwards with.
    pub fib_generation: u64,
}

/// A counter by reason (and port, for data-path counters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    /// The reason's label (`ipv4_ttl_expired`, ...).
    pub reason: String,
    /// Port name, for data-path counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The count.
    pub count: u64,
}

/// `reload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadInfo {
    /// FIB generation published.
    pub generation: u64,
    /// Prefixes added.
    pub added: usize,
    /// Prefixes removed.
    pub removed: usize,
    /// Prefixes whose target changed.
    pub changed: usize,
    /// True when the LPM tables were rebuilt rather than patched.
    pub rebuilt: bool,
    /// Microseconds to read and validate the configuration.
    pub load_us: u64,
    /// Microseconds from the request to the snapshot being published.
    pub publish_us: u64,
    /// Microseconds from the request to every worker using it.
    pub adopted_us: u64,
}

/// `check FILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInfo {
    /// The file checked.
    pub path: String,
    /// The configuration summary (what `silkroute check` prints).
    pub summary: String,
    /// Configured IPv4 routes.
    pub routes_v4: usize,
    /// Configured IPv6 routes.
    pub routes_v6: usize,
    /// Why this file could not replace the running one without a restart
    /// (`None`: a reload would apply it).
    pub restart_needed: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let all = [
            Request::Status,
            Request::ShowInterfaces,
            Request::ShowRoutes {
                prefix: Some("10.0.0.0/8".into()),
                limit: Some(5),
            },
            Request::ShowRoutes {
                prefix: None,
                limit: None,
            },
            Request::ShowNeighbors,
            Request::ShowStats,
            Request::Lookup {
                address: "2001:db8::1".into(),
            },
            Request::Reload,
            Request::Check {
                path: "/etc/silkroute.yaml".into(),
                text: "log_level: info\n".into(),
            },
        ];
        for r in all {
            let line = serde_json::to_vec(&r).unwrap();
            assert_eq!(decode_request(&line).unwrap(), r);
        }
    }

    #[test]
    fn wire_form_is_tagged_by_command() {
        assert_eq!(
            decode_request(br#"{"command":"lookup","address":"192.0.2.1"}"#).unwrap(),
            Request::Lookup {
                address: "192.0.2.1".into()
            }
        );
        assert_eq!(
            decode_request(br#"{"command":"show_routes"}"#).unwrap(),
            Request::ShowRoutes {
                prefix: None,
                limit: None
            }
        );
    }

    #[test]
    fn bad_requests_are_refused() {
        for bad in [
            &b"not json"[..],
            br#"{"command":"format_disk"}"#,
            br#"{"command":"lookup","address":"192.0.2.1","extra":1}"#,
            br#"{"command":"lookup"}"#,
            b"",
        ] {
            assert!(matches!(decode_request(bad), Err(DecodeError::Invalid(_))));
        }
        let long = vec![b' '; MAX_REQUEST_BYTES + 1];
        assert!(matches!(decode_request(&long), Err(DecodeError::TooLong)));
    }
}
