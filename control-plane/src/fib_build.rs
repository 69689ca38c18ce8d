//! From a validated [`Config`] to data-plane [`Fib`] snapshots, built once
//! and then updated incrementally on reloads.
//!
//! Routes are first resolved to *semantic* targets ([`SemTarget`]: "this
//! ECMP set", "local", "attached on port 1", ...). A [`FibManager`] gives
//! each semantic target a stable id for the lifetime of the process, so an
//! unchanged route keeps its LPM value across reloads and a reload touches
//! only the prefixes whose meaning changed. The small tables behind the
//! ids (targets, next hops, ECMP members, ports) are rebuilt whole on every
//! update; the LPM tables are updated in place (a few changes) or rebuilt
//! (bulk changes), whichever is cheaper.
//!
//! Updates are left-right: the manager keeps the copy no worker reads
//! (the standby), applies a delta to it, publishes it, and applies the
//! same delta to the other copy once every worker has moved off it.
//!
//! Precedence on equal prefixes (longest match decides otherwise): own
//! addresses and subnet broadcasts, then static neighbours' host routes,
//! then connected subnets, then configured routes.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use silkroute_config::{Config, FileRoutes, Ipv4Net, Ipv6Net, RoutePrefix};
use silkroute_lpm::{Lpm4, Lpm6, LpmError};
use silkroute_router::fib::{Fib, FibPublisher, NextHop, PortInfo, Target};

use crate::neighbor::NeighborTable;

/// Why a FIB could not be built from a (validated) config.
#[derive(Debug, thiserror::Error)]
pub enum FibBuildError {
    /// An LPM table refused a route.
    #[error("{family} table: {source}")]
    Lpm {
        /// "IPv4" or "IPv6".
        family: &'static str,
        /// The table's reason.
        source: LpmError,
    },
    /// More ports than a port id can name.
    #[error("too many ports")]
    TooManyPorts,
    /// More distinct route targets than an LPM value holds.
    #[error("too many distinct route targets")]
    TooManyTargets,
}

/// What a route means, independent of table indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SemTarget {
    /// Forward over these next hops (one: plain route; more: ECMP).
    /// Members are `(address, port)`, sorted.
    Hops(Vec<(IpAddr, u16)>),
    /// One of our addresses.
    Local,
    /// A subnet broadcast address of ours.
    Broadcast,
    /// A connected subnet on a port.
    Attached(u16),
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

type Routes4 = Vec<(u32, u8, u32)>;
type Routes6 = Vec<(u128, u8, u32)>;

/// An address family as the FIB builder sees it: a prefix type whose sort key is
/// (network bits, length).
pub trait FamilyPrefix: RoutePrefix<Key = (Self::Bits, u8)> {
    /// The address as an integer.
    type Bits: Ord + Copy + std::fmt::Debug;
}

impl FamilyPrefix for Ipv4Net {
    type Bits = u32;
}

impl FamilyPrefix for Ipv6Net {
    type Bits = u128;
}

/// The routes of one family a config asks for, in two parts: the route
/// files' routes, shared with the config (and, while the files do not
/// change, with every later config), and everything else (static routes,
/// connected subnets, host routes: a few), which beats a file route for the
/// same prefix. Keeping them apart lets a reload that changes a static
/// route touch only that prefix, whatever the size of the route files.
#[derive(Debug, Clone)]
struct Family<N: FamilyPrefix> {
    /// Sorted, one per prefix, values = target ids.
    small: Vec<(N::Bits, u8, u32)>,
    /// Sorted, one per prefix, values = route file index.
    files: FileRoutes<N>,
    /// Target id of each route file's next-hop set.
    file_ids: Vec<u32>,
    /// Routes in the union (one per prefix).
    len: usize,
}

impl<N: FamilyPrefix> Default for Family<N> {
    fn default() -> Self {
        Family {
            small: Vec::new(),
            files: FileRoutes::default(),
            file_ids: Vec::new(),
            len: 0,
        }
    }
}

impl<N: FamilyPrefix> Family<N> {
    fn new(small: Vec<(N::Bits, u8, u32)>, files: FileRoutes<N>, file_ids: Vec<u32>) -> Self {
        let mut f = Family {
            small,
            files,
            file_ids,
            len: 0,
        };
        let shadowed = f
            .small
            .iter()
            .filter(|r| f.file_index((r.0, r.1)).is_some())
            .count();
        f.len = f.small.len() + f.files.len() - shadowed;
        f
    }

    fn file_index(&self, key: (N::Bits, u8)) -> Option<usize> {
        self.files.binary_search_by_key(&key, |(n, _)| n.key()).ok()
    }

    /// The id a file route gives `key`, if any.
    fn file_value(&self, key: (N::Bits, u8)) -> Option<u32> {
        let i = self.file_index(key)?;
        let file = self.files.get(i)?.1;
        self.file_ids.get(file as usize).copied()
    }

    fn small_value(&self, key: (N::Bits, u8)) -> Option<u32> {
        self.small
            .binary_search_by_key(&key, |r| (r.0, r.1))
            .ok()
            .map(|i| self.small[i].2)
    }

    /// The id the FIB holds for `key`.
    fn value(&self, key: (N::Bits, u8)) -> Option<u32> {
        self.small_value(key).or_else(|| self.file_value(key))
    }

    /// Every route, sorted, one per prefix (for a full build).
    fn routes(&self) -> Vec<(N::Bits, u8, u32)> {
        let mut out = Vec::with_capacity(self.len);
        let mut small = self.small.iter().peekable();
        for &(n, file) in self.files.iter() {
            let (a, l) = n.key();
            while let Some(s) = small.next_if(|s| (s.0, s.1) < (a, l)) {
                out.push(*s);
            }
            if let Some(s) = small.next_if(|s| (s.0, s.1) == (a, l)) {
                out.push(*s);
            } else if let Some(&id) = self.file_ids.get(file as usize) {
                out.push((a, l, id));
            }
        }
        out.extend(small);
        out
    }

    /// The changes from `self` to `new`. When both share the same file
    /// part, only the prefixes of the small parts are looked at.
    fn diff(
        &self,
        new: &Family<N>,
        set: &mut Vec<(N::Bits, u8, u32)>,
        del: &mut Vec<(N::Bits, u8)>,
        stats: &mut UpdateStats,
    ) {
        if !(std::sync::Arc::ptr_eq(&self.files, &new.files) && self.file_ids == new.file_ids) {
            diff(&self.routes(), &new.routes(), set, del, stats);
            return;
        }
        let mut touched: Vec<(N::Bits, u8)> = Vec::new();
        let (mut small_set, mut small_del) = (Vec::new(), Vec::new());
        diff(
            &self.small,
            &new.small,
            &mut small_set,
            &mut small_del,
            &mut UpdateStats::default(),
        );
        touched.extend(small_set.iter().map(|r| (r.0, r.1)));
        touched.extend(small_del);
        touched.sort();
        for key in touched {
            match (self.value(key), new.value(key)) {
                (None, Some(v)) => {
                    set.push((key.0, key.1, v));
                    stats.added += 1;
                }
                (Some(_), None) => {
                    del.push(key);
                    stats.removed += 1;
                }
                (Some(o), Some(v)) if o != v => {
                    set.push((key.0, key.1, v));
                    stats.changed += 1;
                }
                _ => {}
            }
        }
    }
}

/// What an update did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Prefixes added.
    pub added: usize,
    /// Prefixes removed.
    pub removed: usize,
    /// Prefixes whose target changed.
    pub changed: usize,
    /// True when the LPM tables were rebuilt instead of patched.
    pub rebuilt: bool,
    /// Generation published.
    pub generation: u64,
    /// Time to compute and apply the change before publishing.
    pub build: Duration,
}

impl UpdateStats {
    /// Route changes in total.
    pub fn changes(&self) -> usize {
        self.added + self.removed + self.changed
    }
}

/// A route delta, kept to replay on the other copy.
#[derive(Debug, Clone, Default)]
struct Delta {
    set4: Routes4,
    del4: Vec<(u32, u8)>,
    set6: Routes6,
    del6: Vec<(u128, u8)>,
    rebuild: bool,
}

/// Deltas larger than this share of the table (plus [`REBUILD_FIXED`])
/// are applied by a rebuild: a full build takes ~30 ms for 900k routes,
/// while patching runs at ~1M changes/s, so a rebuild wins past a few
/// percent of the table.
const REBUILD_SHARE: usize = 32;

/// Changes that are always patched: a build costs a few hundred
/// microseconds even for a tiny table (the first levels are allocated and
/// filled whole), as much as patching a few hundred prefixes.
const REBUILD_FIXED: usize = 256;

/// Owns the FIB contents across reloads.
#[derive(Debug)]
pub struct FibManager {
    ids: HashMap<SemTarget, u32>,
    sems: Vec<SemTarget>,
    v4: Family<Ipv4Net>,
    v6: Family<Ipv6Net>,
    /// The copy no worker reads, with the delta it still lacks.
    standby: Option<(Fib, Option<Delta>)>,
    /// Delta the previously active copy lacks, once it comes back.
    pending: Option<Delta>,
}

impl FibManager {
    /// Builds the first FIB for `cfg`; also keeps a standby copy.
    pub fn new(cfg: &Config) -> Result<(Self, Fib), FibBuildError> {
        Self::with_neighbors(cfg, &NeighborTable::default())
    }

    /// Like [`FibManager::new`], with learned neighbours.
    pub fn with_neighbors(
        cfg: &Config,
        learned: &NeighborTable,
    ) -> Result<(Self, Fib), FibBuildError> {
        let mut m = FibManager {
            ids: HashMap::new(),
            sems: Vec::new(),
            v4: Family::default(),
            v6: Family::default(),
            standby: None,
            pending: None,
        };
        let (v4, v6) = m.desired(cfg, learned)?;
        let mut fib = Fib::empty(Vec::new());
        m.fill_tables(&mut fib, cfg, learned)?;
        fib.v4 = Lpm4::from_routes(&v4.routes()).map_err(|source| FibBuildError::Lpm {
            family: "IPv4",
            source,
        })?;
        fib.v6 = Lpm6::from_routes(&v6.routes()).map_err(|source| FibBuildError::Lpm {
            family: "IPv6",
            source,
        })?;
        m.v4 = v4;
        m.v6 = v6;
        m.standby = Some((fib.clone(), None));
        Ok((m, fib))
    }

    /// Number of IPv4 and IPv6 routes (connected and local included).
    pub fn route_counts(&self) -> (usize, usize) {
        (self.v4.len, self.v6.len)
    }

    fn id_for(&mut self, sem: SemTarget) -> Result<u32, FibBuildError> {
        if let Some(id) = self.ids.get(&sem) {
            return Ok(*id);
        }
        let id = self.sems.len() as u32;
        if id > silkroute_lpm::MAX_VALUE {
            return Err(FibBuildError::TooManyTargets);
        }
        self.sems.push(sem.clone());
        self.ids.insert(sem, id);
        Ok(id)
    }

    /// The routes `cfg` asks for, sorted, one per prefix, values = ids.
    fn desired(
        &mut self,
        cfg: &Config,
        learned: &NeighborTable,
    ) -> Result<(Family<Ipv4Net>, Family<Ipv6Net>), FibBuildError> {
        if cfg.ports.len() > usize::from(u16::MAX) {
            return Err(FibBuildError::TooManyPorts);
        }
        let port_of = |itf: usize| cfg.interfaces.get(itf).map_or(0, |i| i.port) as u16;
        let mut set_ids = Vec::with_capacity(cfg.next_hop_sets.len());
        for set in &cfg.next_hop_sets {
            let mut hops: Vec<(IpAddr, u16)> = set
                .hops
                .iter()
                .map(|h| (h.address, port_of(h.interface)))
                .collect();
            hops.sort();
            set_ids.push(self.id_for(SemTarget::Hops(hops))?);
        }
        let set_id = |s: u32| set_ids.get(s as usize).copied().unwrap_or(0);
        let mut v4: Routes4 = cfg
            .routes_v4
            .statics()
            .iter()
            .map(|(n, s)| (u32::from(n.network()), n.prefix_len(), set_id(*s)))
            .collect();
        let mut v6: Routes6 = cfg
            .routes_v6
            .statics()
            .iter()
            .map(|(n, s)| (u128::from(n.network()), n.prefix_len(), set_id(*s)))
            .collect();
        let local = self.id_for(SemTarget::Local)?;
        let broadcast = self.id_for(SemTarget::Broadcast)?;
        let mut host4: Routes4 = Vec::new();
        let mut host6: Routes6 = Vec::new();
        for itf in &cfg.interfaces {
            let attached = self.id_for(SemTarget::Attached(itf.port as u16))?;
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
        // Learned neighbours on attached subnets get host routes too, so
        // their traffic stops being punted; static ones (below) win.
        let mut learned_hosts: Vec<(IpAddr, u16)> = learned.resolved().map(|(k, _)| k).collect();
        learned_hosts.sort();
        for (addr, port) in learned_hosts {
            let attached = cfg
                .interfaces
                .iter()
                .any(|i| i.port as u16 == port && i.is_connected(addr) && !i.has_address(addr));
            if !attached {
                continue;
            }
            let id = self.id_for(SemTarget::Hops(vec![(addr, port)]))?;
            match addr {
                IpAddr::V4(a) => host4.push((u32::from(a), 32, id)),
                IpAddr::V6(a) => host6.push((u128::from(a), 128, id)),
            }
        }
        for nb in &cfg.neighbors {
            let id = self.id_for(SemTarget::Hops(vec![(nb.address, port_of(nb.interface))]))?;
            match nb.address {
                IpAddr::V4(a) => host4.push((u32::from(a), 32, id)),
                IpAddr::V6(a) => host6.push((u128::from(a), 128, id)),
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
        let file_ids = |sets: &[u32]| sets.iter().map(|&s| set_id(s)).collect::<Vec<_>>();
        Ok((
            Family::new(
                dedup_last_wins(v4),
                cfg.routes_v4.file_routes().clone(),
                file_ids(cfg.routes_v4.file_sets()),
            ),
            Family::new(
                dedup_last_wins(v6),
                cfg.routes_v6.file_routes().clone(),
                file_ids(cfg.routes_v6.file_sets()),
            ),
        ))
    }

    /// Rebuilds targets, next hops, ECMP members and ports for `cfg`.
    fn fill_tables(
        &self,
        fib: &mut Fib,
        cfg: &Config,
        learned: &NeighborTable,
    ) -> Result<(), FibBuildError> {
        // Learned MACs first, static ones override.
        let mut macs: HashMap<(IpAddr, u16), [u8; 6]> = learned.resolved().collect();
        for n in &cfg.neighbors {
            let port = cfg.interfaces.get(n.interface).map_or(0, |i| i.port) as u16;
            macs.insert((n.address, port), n.mac.0);
        }
        let mut nh_index: HashMap<(IpAddr, u16), u32> = HashMap::new();
        fib.ports = port_infos(cfg);
        fib.targets.clear();
        fib.next_hops.clear();
        fib.ecmp_members.clear();
        for sem in &self.sems {
            let target = match sem {
                SemTarget::Local => Target::Local,
                SemTarget::Broadcast => Target::Broadcast,
                SemTarget::Attached(p) => Target::Attached { port: *p },
                SemTarget::Hops(hops) => {
                    let mut ids = Vec::with_capacity(hops.len());
                    for &(addr, port) in hops {
                        let next = fib.next_hops.len() as u32;
                        let id = *nh_index.entry((addr, port)).or_insert(next);
                        if id == next {
                            fib.next_hops.push(NextHop {
                                port,
                                mac: macs.get(&(addr, port)).copied(),
                                addr,
                            });
                        }
                        ids.push(id);
                    }
                    if ids.len() == 1 {
                        Target::NextHop(ids[0])
                    } else {
                        let first = fib.ecmp_members.len() as u32;
                        fib.ecmp_members.extend_from_slice(&ids);
                        Target::Ecmp {
                            first,
                            count: ids.len() as u32,
                        }
                    }
                }
            };
            fib.targets.push(target);
        }
        Ok(())
    }

    /// Moves the FIB to what `cfg` asks for: computes the route delta,
    /// applies it to the standby copy, and publishes that copy. Returns
    /// once published (not once adopted; see [`FibPublisher::wait_adopted`]).
    pub fn update(
        &mut self,
        cfg: &Config,
        learned: &NeighborTable,
        publisher: &mut FibPublisher,
    ) -> Result<UpdateStats, FibBuildError> {
        let start = Instant::now();
        let (v4, v6) = self.desired(cfg, learned)?;
        let mut delta = Delta::default();
        let mut stats = UpdateStats::default();
        self.v4
            .diff(&v4, &mut delta.set4, &mut delta.del4, &mut stats);
        self.v6
            .diff(&v6, &mut delta.set6, &mut delta.del6, &mut stats);
        let total = v4.len + v6.len + self.v4.len + self.v6.len;
        delta.rebuild = stats.changes() > REBUILD_FIXED + total / REBUILD_SHARE;
        stats.rebuilt = delta.rebuild;

        let mut fib = self.take_standby(publisher)?;
        self.fill_tables(&mut fib, cfg, learned)?;
        apply(&mut fib, &delta, &v4, &v6)?;
        self.v4 = v4;
        self.v6 = v6;
        stats.build = start.elapsed();
        stats.generation = publisher.publish(fib);
        self.pending = Some(delta);
        Ok(stats)
    }

    /// A copy no worker reads, with every delta applied but the newest.
    fn take_standby(&mut self, publisher: &mut FibPublisher) -> Result<Fib, FibBuildError> {
        if let Some((fib, lacking)) = self.standby.take() {
            let mut fib = fib;
            if let Some(d) = lacking {
                apply(&mut fib, &d, &self.v4, &self.v6)?;
            }
            return Ok(fib);
        }
        // The previously active copy comes back once every worker has
        // adopted the newer one; it lacks the last delta.
        let current = publisher.current().generation;
        let fib = if publisher.wait_adopted(current, Duration::from_secs(1)) {
            publisher.reclaim()
        } else {
            None
        };
        match (fib, self.pending.take()) {
            (Some(mut fib), Some(d)) => {
                apply(&mut fib, &d, &self.v4, &self.v6)?;
                Ok(fib)
            }
            (Some(fib), None) => Ok(fib),
            // A stalled worker still holds it: fall back to a copy.
            (None, _) => Ok((*publisher.current()).clone()),
        }
    }

    /// Off the critical path: once workers left the old copy, bring it up
    /// to date so the next update starts from a ready standby.
    pub fn maintain(&mut self, publisher: &mut FibPublisher) -> Result<(), FibBuildError> {
        if self.standby.is_some() || self.pending.is_none() {
            publisher.collect();
            return Ok(());
        }
        if !publisher.adopted(publisher.generation()) {
            return Ok(());
        }
        if let Some(mut fib) = publisher.reclaim() {
            if let Some(d) = self.pending.take() {
                apply(&mut fib, &d, &self.v4, &self.v6)?;
            }
            self.standby = Some((fib, None));
        }
        publisher.collect();
        Ok(())
    }
}

fn diff<A: Ord + Copy>(
    old: &[(A, u8, u32)],
    new: &[(A, u8, u32)],
    set: &mut Vec<(A, u8, u32)>,
    del: &mut Vec<(A, u8)>,
    stats: &mut UpdateStats,
) {
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if (o.0, o.1) == (n.0, n.1) => {
                if o.2 != n.2 {
                    set.push(*n);
                    stats.changed += 1;
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if (o.0, o.1) < (n.0, n.1) => {
                del.push((o.0, o.1));
                stats.removed += 1;
                i += 1;
            }
            (_, Some(n)) => {
                set.push(*n);
                stats.added += 1;
                j += 1;
            }
            (Some(o), None) => {
                del.push((o.0, o.1));
                stats.removed += 1;
                i += 1;
            }
            (None, None) => break,
        }
    }
}

fn apply(
    fib: &mut Fib,
    d: &Delta,
    v4: &Family<Ipv4Net>,
    v6: &Family<Ipv6Net>,
) -> Result<(), FibBuildError> {
    let e4 = |source| FibBuildError::Lpm {
        family: "IPv4",
        source,
    };
    let e6 = |source| FibBuildError::Lpm {
        family: "IPv6",
        source,
    };
    if d.rebuild {
        fib.v4 = Lpm4::from_routes(&v4.routes()).map_err(e4)?;
        fib.v6 = Lpm6::from_routes(&v6.routes()).map_err(e6)?;
        return Ok(());
    }
    for &(a, l) in &d.del4 {
        fib.v4.remove(a, l).map_err(e4)?;
    }
    for &(a, l, v) in &d.set4 {
        fib.v4.insert(a, l, v).map_err(e4)?;
    }
    for &(a, l) in &d.del6 {
        fib.v6.remove(a, l).map_err(e6)?;
    }
    for &(a, l, v) in &d.set6 {
        fib.v6.insert(a, l, v).map_err(e6)?;
    }
    Ok(())
}

/// Builds a FIB for `cfg` in one go (tools and tests).
pub fn build_fib(cfg: &Config) -> Result<Fib, FibBuildError> {
    FibManager::new(cfg).map(|(_, fib)| fib)
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

    /// The shortcut taken when the route files are shared (look only at
    /// the small part's prefixes) gives the same delta as a full diff.
    #[test]
    fn shared_file_part_diff_equals_full_diff() {
        let net = |s: &str| s.parse::<Ipv4Net>().unwrap();
        let files: FileRoutes<Ipv4Net> = std::sync::Arc::new(vec![
            (net("10.0.0.0/8"), 0),
            (net("10.1.0.0/16"), 1),
            (net("172.16.0.0/12"), 0),
            (net("192.0.2.0/24"), 1),
        ]);
        let key = |s: &str| {
            let n = net(s);
            (u32::from(n.network()), n.prefix_len())
        };
        let r = |s: &str, v: u32| (key(s).0, key(s).1, v);
        let old = Family::new(
            vec![r("10.1.0.0/16", 9), r("198.51.100.0/24", 5)],
            files.clone(),
            vec![1, 2],
        );
        // Shadow a file route, stop shadowing another, change and remove
        // statics, add one with the same value as the file route it hides.
        let new = Family::new(
            vec![
                r("10.0.0.0/8", 7),
                r("172.16.0.0/12", 1),
                r("198.51.100.0/24", 6),
                r("203.0.113.0/24", 5),
            ],
            files,
            vec![1, 2],
        );
        assert_eq!((old.len, new.len), (5, 6));
        let (mut set, mut del, mut st) = (Vec::new(), Vec::new(), UpdateStats::default());
        old.diff(&new, &mut set, &mut del, &mut st);
        let (mut fset, mut fdel, mut fst) = (Vec::new(), Vec::new(), UpdateStats::default());
        diff(&old.routes(), &new.routes(), &mut fset, &mut fdel, &mut fst);
        set.sort();
        fset.sort();
        assert_eq!((set, del), (fset, fdel));
        assert_eq!(
            (st.added, st.removed, st.changed),
            (fst.added, fst.removed, fst.changed)
        );
        assert_eq!((fst.added, fst.removed, fst.changed), (1, 0, 3));
    }

    #[test]
    fn diff_finds_adds_removes_changes() {
        let old = vec![(1u32, 8, 1), (2, 8, 1), (3, 8, 1)];
        let new = vec![(1u32, 8, 1), (2, 8, 2), (4, 8, 1)];
        let (mut set, mut del, mut st) = (Vec::new(), Vec::new(), UpdateStats::default());
        diff(&old, &new, &mut set, &mut del, &mut st);
        assert_eq!(set, vec![(2, 8, 2), (4, 8, 1)]);
        assert_eq!(del, vec![(3, 8)]);
        assert_eq!((st.added, st.removed, st.changed), (1, 1, 1));
    }
}
