//! The forwarding information base as the workers see it: an immutable
//! snapshot of the LPM tables, the route targets they point to, next hops
//! and ECMP groups, and per-port egress facts (MAC, MTU).
//!
//! An LPM value is an index into [`Fib::targets`]. A target says what to
//! do with a match: send to one next hop, hash over an ECMP group, deliver
//! locally (one of our addresses), resolve the destination itself (an
//! attached subnet), or drop. A real FIB has hundreds of next hops, so the
//! target, next-hop and member tables stay in L1/L2 while the LPM takes the
//! cache misses.

mod publish;

pub use publish::{FibPublisher, FibReader};

use silkroute_lpm::{Lpm4, Lpm6, NO_ROUTE};

/// A 48-bit MAC address as raw bytes.
pub type Mac = [u8; 6];

/// What a route resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One next hop: index into [`Fib::next_hops`].
    NextHop(u32),
    /// An ECMP group: members `ecmp_members[first..first + count]`, each a
    /// next-hop index; a flow hash picks one.
    Ecmp {
        /// First member.
        first: u32,
        /// Number of members (at least 1).
        count: u32,
    },
    /// One of the router's own addresses: punt to the control plane.
    Local,
    /// A directly attached subnet on `port`: the destination itself is the
    /// next hop; with no host route for it, punt for neighbour resolution.
    Attached {
        /// Egress port.
        port: u16,
    },
    /// A directed broadcast address of one of our subnets: not forwarded
    /// (RFC 2644).
    Broadcast,
    /// Discard.
    Blackhole,
}

/// A next hop: egress port and the neighbour's MAC when resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHop {
    /// Egress port index.
    pub port: u16,
    /// The neighbour's MAC; `None` while unresolved.
    pub mac: Option<Mac>,
    /// The next hop's address (for resolution and diagnostics).
    pub addr: std::net::IpAddr,
}

/// Egress facts of one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortInfo {
    /// The port's (interface's) MAC, used as source MAC and to accept
    /// unicast frames.
    pub mac: Mac,
    /// IP MTU: the largest L3 packet sent without fragmentation.
    pub mtu: u16,
}

/// One immutable FIB snapshot.
#[derive(Debug, Clone)]
pub struct Fib {
    /// Set by the publisher; strictly increasing.
    pub generation: u64,
    /// IPv4 routes → target index.
    pub v4: Lpm4,
    /// IPv6 routes → target index.
    pub v6: Lpm6,
    /// Route targets.
    pub targets: Vec<Target>,
    /// Next hops.
    pub next_hops: Vec<NextHop>,
    /// ECMP members (next-hop indices), grouped per [`Target::Ecmp`].
    pub ecmp_members: Vec<u32>,
    /// Per-port egress facts, indexed by port id.
    pub ports: Vec<PortInfo>,
}

/// The outcome of a FIB lookup for one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// Send out of `port` to `mac`.
    Forward {
        /// Egress port.
        port: u16,
        /// Destination MAC.
        mac: Mac,
    },
    /// The next hop (or attached destination) has no MAC yet.
    Unresolved,
    /// For the router itself.
    Local,
    /// No route.
    NoRoute,
    /// Directed broadcast.
    Broadcast,
    /// Discard route.
    Blackhole,
}

impl Fib {
    /// An empty FIB for `ports`.
    pub fn empty(ports: Vec<PortInfo>) -> Self {
        Self {
            generation: 0,
            v4: Lpm4::new(),
            v6: Lpm6::new(),
            targets: Vec::new(),
            next_hops: Vec::new(),
            ecmp_members: Vec::new(),
            ports,
        }
    }

    /// Turns an LPM value into a forwarding decision. `flow_hash` picks the
    /// ECMP member; it must be stable per flow.
    #[inline]
    pub fn resolve(&self, value: u32, flow_hash: u32) -> Resolved {
        if value == NO_ROUTE {
            return Resolved::NoRoute;
        }
        let Some(target) = self.targets.get(value as usize) else {
            return Resolved::NoRoute;
        };
        let nh = match *target {
            Target::NextHop(nh) => nh,
            Target::Ecmp { first, count } => {
                // Lemire's multiply-shift maps the hash onto 0..count
                // without a division.
                let pick = ((u64::from(flow_hash) * u64::from(count)) >> 32) as u32;
                match self.ecmp_members.get((first + pick) as usize) {
                    Some(&nh) => nh,
                    None => return Resolved::NoRoute,
                }
            }
            Target::Local => return Resolved::Local,
            Target::Attached { .. } => return Resolved::Unresolved,
            Target::Broadcast => return Resolved::Broadcast,
            Target::Blackhole => return Resolved::Blackhole,
        };
        match self.next_hops.get(nh as usize) {
            Some(NextHop {
                port,
                mac: Some(mac),
                ..
            }) => Resolved::Forward {
                port: *port,
                mac: *mac,
            },
            Some(_) => Resolved::Unresolved,
            None => Resolved::NoRoute,
        }
    }

    /// Bytes held by the snapshot's tables.
    pub fn mem_bytes(&self) -> usize {
        self.v4.mem_bytes()
            + self.v6.mem_bytes()
            + self.targets.capacity() * std::mem::size_of::<Target>()
            + self.next_hops.capacity() * std::mem::size_of::<NextHop>()
            + self.ecmp_members.capacity() * 4
    }
}
