//! Builds a data-plane [`Fib`] from a validated [`Config`].
//!
//! Layout of the targets table: target `i` for `i < next_hop_sets.len()` is
//! next-hop set `i` of the config, so a configured route's LPM value is
//! simply its set index; after them come one `Local`, one `Broadcast` and
//! one `Attached` per interface, and one `NextHop` per static neighbour
//! (its host route).
//!
//! Precedence on equal prefixes (longest match decides otherwise):
//! own addresses and subnet broadcasts, then static neighbours' host
//! routes, then connected subnets, then configured routes.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use silkroute_config::{Config, Ipv4Net, Ipv6Net};
use silkroute_lpm::{Lpm4, Lpm6, LpmError};
use silkroute_router::fib::{Fib, NextHop, PortInfo, Target};

/// Why a FIB could not be built from a (validated) config.
#[derive(Debug, thiserror::Error)]
pub enum FibBuildError {
    /// An LPM table refused a route.
    #[error("route {prefix}: {source}")]
    Lpm {
        /// The route.
        prefix: String,
        /// The table's reason.
        source: LpmError,
    },
    /// More ports than a port id can name.
    #[error("too many ports")]
    TooManyPorts,
}

/// The link-local address a router interface uses (modified EUI-64 from
/// the MAC, RFC 4291 appendix A).
pub fn link_local_from_mac(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ])
}

/// Ports' egress facts from the interfaces on them.
pub fn port_infos(cfg: &Config) -> Vec<PortInfo> {
    let mut ports: Vec<PortInfo> = cfg
        .ports
        .iter()
        .map(|_| PortInfo {
            mac: [0; 6],
            mtu: silkroute_config::DEFAULT_MTU,
        })
        .collect();
    for itf in &cfg.interfaces {
        if let Some(p) = ports.get_mut(itf.port) {
            p.mac = itf.mac.0;
            p.mtu = itf.mtu;
        }
    }
    ports
}

/// Builds the FIB for `cfg`.
pub fn build_fib(cfg: &Config) -> Result<Fib, FibBuildError> {
    if cfg.ports.len() > usize::from(u16::MAX) {
        return Err(FibBuildError::TooManyPorts);
    }
    let mut fib = Fib::empty(port_infos(cfg));
    let mut nh_index: HashMap<(IpAddr, usize), u32> = HashMap::new();
    let neighbor_mac: HashMap<(IpAddr, usize), [u8; 6]> = cfg
        .neighbors
        .iter()
        .map(|n| ((n.address, n.interface), n.mac.0))
        .collect();
    let mut next_hop = |fib: &mut Fib, addr: IpAddr, itf: usize| -> u32 {
        *nh_index.entry((addr, itf)).or_insert_with(|| {
            let port = cfg.interfaces.get(itf).map_or(0, |i| i.port) as u16;
            fib.next_hops.push(NextHop {
                port,
                mac: neighbor_mac.get(&(addr, itf)).copied(),
                addr,
            });
            (fib.next_hops.len() - 1) as u32
        })
    };
    // Configured next-hop sets: target i == set i.
    for set in &cfg.next_hop_sets {
        let ids: Vec<u32> = set
            .hops
            .iter()
            .map(|h| next_hop(&mut fib, h.address, h.interface))
            .collect();
        let target = if ids.len() == 1 {
            Target::NextHop(ids[0])
        } else {
            let first = fib.ecmp_members.len() as u32;
            fib.ecmp_members.extend_from_slice(&ids);
            Target::Ecmp {
                first,
                count: ids.len() as u32,
            }
        };
        fib.targets.push(target);
    }
    let local = push_target(&mut fib, Target::Local);
    let broadcast = push_target(&mut fib, Target::Broadcast);

    let mut v4: Vec<(u32, u8, u32)> = cfg
        .routes_v4
        .iter()
        .map(|(n, set)| (u32::from(n.network()), n.prefix_len(), *set))
        .collect();
    let mut v6: Vec<(u128, u8, u32)> = cfg
        .routes_v6
        .iter()
        .map(|(n, set)| (u128::from(n.network()), n.prefix_len(), *set))
        .collect();
    // Connected subnets, own addresses, broadcasts; later entries of equal
    // prefix override earlier ones (see the precedence above).
    let mut host4: Vec<(u32, u8, u32)> = Vec::new();
    let mut host6: Vec<(u128, u8, u32)> = Vec::new();
    for itf in &cfg.interfaces {
        let attached = push_target(
            &mut fib,
            Target::Attached {
                port: itf.port as u16,
            },
        );
        for n in &itf.ipv4 {
            let net = Ipv4Net::new(n.network(), n.prefix_len()).unwrap_or(*n);
            v4.push((u32::from(net.network()), net.prefix_len(), attached));
            if n.prefix_len() < 31 {
                host4.push((u32::from(n.broadcast()), 32, broadcast));
            }
        }
        for n in &itf.ipv6 {
            let net = Ipv6Net::new(n.network(), n.prefix_len()).unwrap_or(*n);
            v6.push((u128::from(net.network()), net.prefix_len(), attached));
        }
    }
    for nb in &cfg.neighbors {
        let id = next_hop(&mut fib, nb.address, nb.interface);
        let t = push_target(&mut fib, Target::NextHop(id));
        match nb.address {
            IpAddr::V4(a) => host4.push((u32::from(a), 32, t)),
            IpAddr::V6(a) => host6.push((u128::from(a), 128, t)),
        }
    }
    for itf in &cfg.interfaces {
        for n in &itf.ipv4 {
            host4.push((u32::from(n.addr()), 32, local));
        }
        for n in &itf.ipv6 {
            host6.push((u128::from(n.addr()), 128, local));
        }
        host6.push((u128::from(link_local_from_mac(itf.mac.0)), 128, local));
    }
    v4.extend(host4);
    v6.extend(host6);
    fib.v4 = Lpm4::from_routes(&dedup_last_wins(v4)).map_err(|source| FibBuildError::Lpm {
        prefix: "IPv4 table".into(),
        source,
    })?;
    fib.v6 = Lpm6::from_routes(&dedup_last_wins(v6)).map_err(|source| FibBuildError::Lpm {
        prefix: "IPv6 table".into(),
        source,
    })?;
    Ok(fib)
}

fn push_target(fib: &mut Fib, t: Target) -> u32 {
    fib.targets.push(t);
    (fib.targets.len() - 1) as u32
}

/// Keeps the last entry for each (address, length), in address order.
fn dedup_last_wins<A: Ord + Copy>(mut routes: Vec<(A, u8, u32)>) -> Vec<(A, u8, u32)> {
    // A stable sort keeps insertion order among equal keys; keeping the
    // last of each run gives later entries precedence.
    routes.sort_by_key(|r| (r.0, r.1));
    let mut out: Vec<(A, u8, u32)> = Vec::with_capacity(routes.len());
    for r in routes {
        match out.last_mut() {
            Some(last) if last.0 == r.0 && last.1 == r.1 => *last = r,
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_link_local() {
        assert_eq!(
            link_local_from_mac([0x02, 0, 0, 0, 0, 1]),
            "fe80::ff:fe00:1".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn later_duplicates_win() {
        let r = dedup_last_wins(vec![(5u32, 8, 1), (1, 8, 2), (5, 8, 3)]);
        assert_eq!(r, vec![(1, 8, 2), (5, 8, 3)]);
    }
}
