//! Executes operator requests against the running router (on the control
//! loop's thread, so a request sees one consistent state: no reload runs
//! while a `show` is answered).
//!
//! Route questions are answered from the live FIB snapshot (what workers
//! forward with), not from the configuration: `lookup` and `show routes
//! PREFIX` report the same prefix and next hop a packet would get, learned
//! neighbours' MACs included.

use std::net::IpAddr;
use std::path::Path;

use silkroute_config::{Config, IpNet, LoadOptions, MacAddr};
use silkroute_lpm::NO_ROUTE;
use silkroute_router::counters::PortCounters;
use silkroute_router::fib::{Fib, Target};
use silkroute_router::forward::reason::{DropReason, PuntReason};

use crate::api::{
    CheckInfo, HopInfo, InterfaceInfo, InterfacesInfo, LookupInfo, NeighborInfo, NeighborsInfo,
    PortStats, ReasonCount, ReloadInfo, Request, Response, RouteInfo, RouteList, RouteMatch,
    RoutesInfo, StatsInfo, StatusInfo, TargetInfo, WorkerStats, DEFAULT_ROUTE_LIMIT,
};
use crate::fib_build::link_local_from_mac;
use crate::runtime::{restart_needed, Router};

/// Executes `request`.
pub fn execute(router: &mut Router, request: &Request) -> Response {
    match request {
        Request::Status => Response::ok(status(router)),
        Request::ShowInterfaces => Response::ok(interfaces(router)),
        Request::ShowRoutes {
            prefix: None,
            limit,
        } => Response::ok(RoutesInfo::List(route_list(
            router,
            limit.unwrap_or(DEFAULT_ROUTE_LIMIT),
        ))),
        Request::ShowRoutes {
            prefix: Some(p), ..
        } => match parse_query(p) {
            Ok((addr, len)) => Response::ok(RoutesInfo::Match(route_match(router, p, addr, len))),
            Err(e) => Response::error(e),
        },
        Request::ShowNeighbors => Response::ok(neighbors(router)),
        Request::ShowStats => Response::ok(stats(router)),
        Request::Lookup { address } => match address.trim().parse::<IpAddr>() {
            Ok(addr) => Response::ok(lookup(router, addr)),
            Err(_) => Response::error(format!("`{address}` is not an IPv4 or IPv6 address")),
        },
        Request::Reload => match router.reload() {
            Ok(r) => Response::ok(ReloadInfo {
                generation: r.update.generation,
                added: r.update.added,
                removed: r.update.removed,
                changed: r.update.changed,
                rebuilt: r.update.rebuilt,
                load_us: r.load.as_micros() as u64,
                publish_us: r.to_publish.as_micros() as u64,
                adopted_us: r.to_adopted.as_micros() as u64,
            }),
            Err(e) => Response::error(e.to_string()),
        },
        Request::Check { path, text } => check(router, Path::new(path), text),
    }
}

fn status(router: &mut Router) -> StatusInfo {
    router.refresh_telemetry();
    let st = router.telemetry.state().clone();
    StatusInfo {
        config: std::fs::canonicalize(&router.config.path)
            .unwrap_or_else(|_| router.config.path.clone())
            .display()
            .to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: router
            .telemetry
            .started
            .elapsed()
            .map_or(0, |d| d.as_secs()),
        fib_generation: st.fib.generation,
        config_generation: st.reloads.config_generation,
        routes_v4: st.fib.routes_v4,
        routes_v6: st.fib.routes_v6,
        next_hops: st.fib.next_hops,
        ecmp_groups: st.fib.ecmp_groups,
        fib_bytes: st.fib.mem_bytes,
        ports: router.config.ports.len(),
        workers: router.config.workers.len(),
        last_reload: st.reloads.last_result.map(|r| r.as_str().to_owned()),
        last_reload_error: st.reloads.last_error,
    }
}

/// Port name of port id `port`.
fn port_name(cfg: &Config, port: usize) -> String {
    cfg.ports
        .get(port)
        .map_or_else(|| format!("#{port}"), |p| p.name.as_str().to_owned())
}

/// Name of the interface on port id `port`.
fn interface_on(cfg: &Config, port: usize) -> Option<String> {
    cfg.interfaces
        .iter()
        .find(|i| i.port == port)
        .map(|i| i.name.as_str().to_owned())
}

fn mac_text(mac: [u8; 6]) -> String {
    MacAddr(mac).to_string()
}

/// Per-port totals over every worker.
fn port_totals(router: &Router) -> Vec<PortCounters> {
    let workers = router.counters();
    (0..router.config.ports.len())
        .map(|p| {
            let mut t = PortCounters::default();
            for w in &workers {
                t.add(&w.port(p as u16));
            }
            t
        })
        .collect()
}

fn interfaces(router: &Router) -> InterfacesInfo {
    let cfg = &router.config;
    let totals = port_totals(router);
    let interfaces = cfg
        .ports
        .iter()
        .enumerate()
        .map(|(p, port)| {
            let itf = cfg.interfaces.iter().find(|i| i.port == p);
            let t = totals.get(p).copied().unwrap_or_default();
            InterfaceInfo {
                name: itf.map(|i| i.name.as_str().to_owned()),
                port: port.name.as_str().to_owned(),
                driver: port.driver.kind().to_owned(),
                rx_queues: port.driver.rx_queues(),
                mac: itf.map(|i| i.mac.to_string()),
                mtu: itf.map(|i| i.mtu),
                addresses: itf.map_or_else(Vec::new, |i| {
                    i.ipv4
                        .iter()
                        .map(ToString::to_string)
                        .chain(i.ipv6.iter().map(ToString::to_string))
                        .collect()
                }),
                link_local: itf.map(|i| link_local_from_mac(i.mac.0).to_string()),
                rx_packets: t.rx_packets,
                tx_packets: t.tx_packets,
                dropped: t.total_drops(),
            }
        })
        .collect();
    InterfacesInfo { interfaces }
}

/// The FIB's meaning of LPM value `value`, in operator terms.
fn describe(fib: &Fib, cfg: &Config, value: u32) -> Option<TargetInfo> {
    let hop = |nh: u32| -> Option<HopInfo> {
        let h = fib.next_hops.get(nh as usize)?;
        Some(HopInfo {
            address: h.addr.to_string(),
            port: port_name(cfg, usize::from(h.port)),
            interface: interface_on(cfg, usize::from(h.port)),
            mac: h.mac.map(mac_text),
        })
    };
    Some(match *fib.targets.get(value as usize)? {
        Target::NextHop(nh) => TargetInfo::NextHop { hop: hop(nh)? },
        Target::Ecmp { first, count } => {
            let members = fib
                .ecmp_members
                .get(first as usize..(first + count) as usize)?
                .iter()
                .filter_map(|&nh| hop(nh))
                .collect();
            TargetInfo::Ecmp { members }
        }
        Target::Local => TargetInfo::Local,
        Target::Attached { port } => TargetInfo::Attached {
            port: port_name(cfg, usize::from(port)),
            interface: interface_on(cfg, usize::from(port)),
        },
        Target::Broadcast => TargetInfo::Broadcast,
        Target::Blackhole => TargetInfo::Blackhole,
    })
}

/// `ADDRESS` (a host prefix) or `ADDRESS/LEN` (host bits are cleared).
fn parse_query(text: &str) -> Result<(IpAddr, u8), String> {
    let text = text.trim();
    if text.contains('/') {
        let net: IpNet = text
            .parse()
            .map_err(|_| format!("`{text}` is not a prefix (ADDRESS/LEN)"))?;
        Ok((net.network(), net.prefix_len()))
    } else {
        let addr: IpAddr = text
            .parse()
            .map_err(|_| format!("`{text}` is not an address or a prefix"))?;
        Ok((addr, if addr.is_ipv4() { 32 } else { 128 }))
    }
}

fn mask4(addr: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        addr & (u32::MAX << (32 - u32::from(len)))
    }
}

fn mask6(addr: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        addr & (u128::MAX << (128 - u32::from(len)))
    }
}

/// The FIB entry for exactly `addr/len`.
fn fib_exact(fib: &Fib, addr: IpAddr, len: u8) -> Option<u32> {
    match addr {
        IpAddr::V4(a) => fib.v4.get(mask4(u32::from(a), len), len),
        IpAddr::V6(a) => fib.v6.get(mask6(u128::from(a), len), len),
    }
}

/// The longest FIB prefix of length at most `len` containing `addr`:
/// tries every length from `len` down (33 or 129 exact reads, microseconds),
/// which finds the prefix the LPM's own answer came from.
fn fib_longest(fib: &Fib, addr: IpAddr, len: u8) -> Option<(IpNet, u32)> {
    (0..=len).rev().find_map(|l| {
        let net = IpNet::new(addr, l).ok()?.trunc();
        fib_exact(fib, net.network(), l).map(|v| (net, v))
    })
}

fn route_info(fib: &Fib, cfg: &Config, net: IpNet, value: u32) -> Option<RouteInfo> {
    Some(RouteInfo {
        prefix: net.to_string(),
        target: describe(fib, cfg, value)?,
    })
}

fn route_match(router: &Router, query: &str, addr: IpAddr, len: u8) -> RouteMatch {
    let fib = router.fib();
    let cfg = &router.config;
    let net = IpNet::new(addr, len).map(|n| n.trunc()).ok();
    RouteMatch {
        query: query.trim().to_owned(),
        exact: net.and_then(|n| {
            let v = fib_exact(&fib, n.network(), len)?;
            route_info(&fib, cfg, n, v)
        }),
        longest: fib_longest(&fib, addr, len).and_then(|(n, v)| route_info(&fib, cfg, n, v)),
    }
}

fn route_list(router: &Router, limit: usize) -> RouteList {
    let fib = router.fib();
    let cfg = &router.config;
    let connected = cfg.interfaces.iter().flat_map(|i| {
        i.ipv4
            .iter()
            .map(|n| IpNet::V4(n.trunc()))
            .chain(i.ipv6.iter().map(|n| IpNet::V6(n.trunc())))
    });
    let configured = cfg
        .routes_v4
        .iter()
        .map(|(n, _)| IpNet::V4(n))
        .chain(cfg.routes_v6.iter().map(|(n, _)| IpNet::V6(n)));
    let routes = connected
        .chain(configured)
        .filter_map(|n| {
            let v = fib_exact(&fib, n.network(), n.prefix_len())?;
            route_info(&fib, cfg, n, v)
        })
        .take(limit)
        .collect();
    RouteList {
        configured_v4: cfg.routes_v4.len(),
        configured_v6: cfg.routes_v6.len(),
        fib_v4: fib.v4.len(),
        fib_v6: fib.v6.len(),
        routes,
        limit,
    }
}

fn lookup(router: &Router, addr: IpAddr) -> LookupInfo {
    let fib = router.fib();
    let cfg = &router.config;
    // The value the data path gets; the prefix search below finds where
    // it came from.
    let value = match addr {
        IpAddr::V4(a) => fib.v4.lookup(u32::from(a)),
        IpAddr::V6(a) => fib.v6.lookup(u128::from(a)),
    };
    let full = if addr.is_ipv4() { 32 } else { 128 };
    let route = if value == NO_ROUTE {
        None
    } else {
        let net = fib_longest(&fib, addr, full).map_or_else(
            || IpNet::new(addr, full).unwrap_or(IpNet::from(addr)),
            |(n, _)| n,
        );
        route_info(&fib, cfg, net, value)
    };
    let action = match &route {
        None => "no_route",
        Some(r) => match &r.target {
            TargetInfo::NextHop { hop } if hop.mac.is_some() => "forward",
            TargetInfo::Ecmp { members } if members.iter().any(|m| m.mac.is_some()) => "forward",
            TargetInfo::NextHop { .. } | TargetInfo::Ecmp { .. } | TargetInfo::Attached { .. } => {
                "unresolved"
            }
            TargetInfo::Local => "local",
            TargetInfo::Broadcast => "broadcast",
            TargetInfo::Blackhole => "blackhole",
        },
    };
    LookupInfo {
        address: addr.to_string(),
        fib_generation: fib.generation,
        action: action.to_owned(),
        route,
    }
}

fn neighbors(router: &Router) -> NeighborsInfo {
    let cfg = &router.config;
    let mut out: Vec<NeighborInfo> = cfg
        .neighbors
        .iter()
        .map(|n| {
            let itf = cfg.interfaces.get(n.interface);
            NeighborInfo {
                address: n.address.to_string(),
                mac: Some(n.mac.to_string()),
                port: itf.map_or_else(|| "?".to_owned(), |i| port_name(cfg, i.port)),
                interface: itf.map(|i| i.name.as_str().to_owned()),
                state: "static".to_owned(),
                age_seconds: None,
            }
        })
        .collect();
    let mut learned: Vec<_> = router.handler.neighbors.entries().collect();
    learned.sort_by_key(|(k, _)| **k);
    out.extend(learned.into_iter().map(|((addr, port), e)| NeighborInfo {
        address: addr.to_string(),
        mac: e.mac.map(mac_text),
        port: port_name(cfg, usize::from(*port)),
        interface: interface_on(cfg, usize::from(*port)),
        state: e.state.as_str().to_owned(),
        age_seconds: Some(e.updated.elapsed().as_secs()),
    }));
    NeighborsInfo { neighbors: out }
}

fn stats(router: &mut Router) -> StatsInfo {
    router.refresh_telemetry();
    let cfg = &router.config;
    let workers = router.counters();
    let totals = port_totals(router);
    let ports = totals
        .iter()
        .enumerate()
        .map(|(p, t)| {
            let d = router
                .telemetry
                .driver
                .get(p)
                .map(|d| d.snapshot())
                .unwrap_or_default();
            PortStats {
                port: port_name(cfg, p),
                rx_packets: t.rx_packets,
                rx_bytes: t.rx_bytes,
                tx_packets: t.tx_packets,
                tx_bytes: t.tx_bytes,
                injected: t.injected,
                dropped: t.total_drops(),
                punted: t.total_punts(),
                driver_rx_dropped: d.rx_dropped,
                driver_tx_errors: d.tx_errors,
            }
        })
        .collect();
    let worker_stats = workers
        .iter()
        .enumerate()
        .map(|(w, c)| {
            let mut t = PortCounters::default();
            for p in 0..=c.ports() {
                t.add(&c.port(p as u16));
            }
            WorkerStats {
                worker: w,
                core: router.telemetry.worker_cores.get(w).copied().unwrap_or(0),
                rx_packets: t.rx_packets,
                tx_packets: t.tx_packets,
                dropped: t.total_drops(),
                busy_loops: c.busy_loops(),
                idle_loops: c.idle_loops(),
                fib_generation: c.fib_generation(),
            }
        })
        .collect();
    let mut drops = Vec::new();
    let mut punts = Vec::new();
    for (p, t) in totals.iter().enumerate() {
        for r in DropReason::ALL {
            let count = t.drops[*r as usize];
            if count > 0 {
                drops.push(ReasonCount {
                    reason: r.as_str().to_owned(),
                    port: Some(port_name(cfg, p)),
                    count,
                });
            }
        }
        for r in PuntReason::ALL {
            let count = t.punts[*r as usize];
            if count > 0 {
                punts.push(ReasonCount {
                    reason: r.as_str().to_owned(),
                    port: Some(port_name(cfg, p)),
                    count,
                });
            }
        }
    }
    let mut control: Vec<ReasonCount> = router
        .handler
        .counters()
        .nonzero()
        .into_iter()
        .map(|(label, count)| ReasonCount {
            reason: label.to_owned(),
            port: None,
            count,
        })
        .collect();
    let nb = &router.handler.neighbors;
    for (label, count) in [
        ("neighbor_queue_full_drops", nb.queue_drops),
        ("neighbor_resolution_failed_drops", nb.failed_drops),
    ] {
        if count > 0 {
            control.push(ReasonCount {
                reason: label.to_owned(),
                port: None,
                count,
            });
        }
    }
    StatsInfo {
        ports,
        workers: worker_stats,
        drops,
        punts,
        control,
    }
}

/// Validates `text` (the file `path` as a client read it) without reading
/// any file, and says whether it could replace the running config.
fn check(router: &Router, path: &Path, text: &str) -> Response {
    let opts = LoadOptions {
        read_route_files: false,
        ..LoadOptions::default()
    };
    match Config::from_str_with(text, path, &opts) {
        Ok(new) => Response::ok(CheckInfo {
            path: path.display().to_string(),
            summary: new.summary(),
            routes_v4: new.routes_v4.len(),
            routes_v6: new.routes_v6.len(),
            restart_needed: restart_needed(&router.config, &new),
        }),
        Err(errors) => Response::error(crate::ctl::refused_config(&errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_to_canonical_prefixes() {
        assert_eq!(
            parse_query("10.1.2.3/8").unwrap(),
            ("10.0.0.0".parse().unwrap(), 8)
        );
        assert_eq!(
            parse_query(" 192.0.2.1 ").unwrap(),
            ("192.0.2.1".parse().unwrap(), 32)
        );
        assert_eq!(
            parse_query("2001:db8::/32").unwrap(),
            ("2001:db8::".parse().unwrap(), 32)
        );
        assert!(parse_query("10.0.0.0/33").is_err());
        assert!(parse_query("banana").is_err());
    }

    #[test]
    fn masks_clear_host_bits() {
        assert_eq!(mask4(0x0a01_0203, 8), 0x0a00_0000);
        assert_eq!(mask4(0x0a01_0203, 0), 0);
        assert_eq!(mask4(0x0a01_0203, 32), 0x0a01_0203);
        assert_eq!(mask6(u128::MAX, 1), 1 << 127);
        assert_eq!(mask6(u128::MAX, 128), u128::MAX);
    }
}
