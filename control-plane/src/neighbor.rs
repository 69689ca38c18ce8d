//! The neighbour table: IPv4 (ARP, RFC 826) and IPv6 (NDP, RFC 4861)
//! neighbours learned on the exception path, with packets waiting for
//! resolution queued a bounded amount per neighbour.
//!
//! States follow RFC 4861 §7.3.2 (ARP entries use the same machine):
//! `Incomplete` (solicitation sent, no answer yet) → `Reachable` (answer
//! received) → `Stale` after [`REACHABLE_TIME`] without confirmation (still
//! used for forwarding) → `Probe` (re-solicited) → removed after
//! [`MAX_PROBES`] unanswered probes. Static neighbours from the config
//! never change.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// RFC 4861 REACHABLE_TIME default.
pub const REACHABLE_TIME: Duration = Duration::from_secs(30);
/// Time between solicitations while incomplete or probing (RFC 4861
/// RETRANS_TIMER).
pub const RETRANS_TIMER: Duration = Duration::from_secs(1);
/// Solicitations before giving up (RFC 4861 MAX_MULTICAST_SOLICIT /
/// MAX_UNICAST_SOLICIT).
pub const MAX_PROBES: u32 = 3;
/// Packets held per unresolved neighbour (Linux's default unres_qlen is
/// 101 packets per neighbour; a router under a scan must bound this
/// tighter, and a flow retransmits anyway).
pub const QUEUE_PER_NEIGHBOR: usize = 16;
/// Neighbours tracked at most (bounds memory under a scan of an attached
/// /16).
pub const MAX_NEIGHBORS: usize = 65_536;

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeighState {
    /// Solicited, no answer yet.
    Incomplete,
    /// Confirmed recently.
    Reachable,
    /// Not confirmed for a while; still used.
    Stale,
    /// Being re-solicited.
    Probe,
}

impl NeighState {
    /// Label for metrics and the CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            NeighState::Incomplete => "incomplete",
            NeighState::Reachable => "reachable",
            NeighState::Stale => "stale",
            NeighState::Probe => "probe",
        }
    }
}

/// A packet waiting for its next hop's MAC.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The frame as received.
    pub frame: Vec<u8>,
    /// Receiving port.
    pub in_port: u16,
    /// Worker that punted it (whose inject ring sends it).
    pub worker: usize,
}

/// One learned neighbour.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its MAC, once known.
    pub mac: Option<[u8; 6]>,
    /// State.
    pub state: NeighState,
    /// Last confirmation or solicitation.
    pub updated: Instant,
    /// Solicitations sent since the last confirmation.
    pub probes: u32,
    waiting: VecDeque<Waiting>,
}

/// What the caller should do after [`NeighborTable::want`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Send a solicitation now (the packet was queued).
    Solicit,
    /// A solicitation is outstanding; the packet was queued.
    Queued,
    /// The queue is full (or the table is): the packet is dropped.
    Dropped,
    /// The MAC is already known (the FIB has not caught up yet): the
    /// packet was queued and is released with the next FIB update.
    Known,
}

/// Learned neighbours, keyed by (address, port).
#[derive(Debug, Default)]
pub struct NeighborTable {
    entries: HashMap<(IpAddr, u16), Entry>,
    dirty: bool,
    released: Vec<Waiting>,
    /// Packets dropped because a queue was full.
    pub queue_drops: u64,
    /// Packets dropped because resolution failed.
    pub failed_drops: u64,
}

impl NeighborTable {
    /// Resolved MACs, for the FIB.
    pub fn resolved(&self) -> impl Iterator<Item = ((IpAddr, u16), [u8; 6])> + '_ {
        self.entries
            .iter()
            .filter_map(|(k, e)| e.mac.map(|m| (*k, m)))
    }

    /// Every entry (for the CLI).
    pub fn entries(&self) -> impl Iterator<Item = (&(IpAddr, u16), &Entry)> {
        self.entries.iter()
    }

    /// Entries per state.
    pub fn count(&self, state: NeighState) -> usize {
        self.entries.values().filter(|e| e.state == state).count()
    }

    /// True when the resolved set changed since the last call (the FIB
    /// needs an update).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Packets whose neighbour got resolved, to forward now.
    pub fn take_released(&mut self) -> Vec<Waiting> {
        std::mem::take(&mut self.released)
    }

    /// True when an entry for (addr, port) exists.
    pub fn contains(&self, addr: IpAddr, port: u16) -> bool {
        self.entries.contains_key(&(addr, port))
    }

    /// A packet needs `addr` on `port` resolved.
    pub fn want(&mut self, addr: IpAddr, port: u16, packet: Waiting, now: Instant) -> Want {
        if !self.entries.contains_key(&(addr, port)) && self.entries.len() >= MAX_NEIGHBORS {
            self.queue_drops += 1;
            return Want::Dropped;
        }
        let e = self.entries.entry((addr, port)).or_insert_with(|| Entry {
            mac: None,
            state: NeighState::Incomplete,
            updated: now,
            probes: 0,
            waiting: VecDeque::new(),
        });
        if e.waiting.len() >= QUEUE_PER_NEIGHBOR {
            self.queue_drops += 1;
            return Want::Dropped;
        }
        e.waiting.push_back(packet);
        if e.mac.is_some() {
            // Resolved but the FIB still says unresolved: release with the
            // next update.
            self.dirty = true;
            return Want::Known;
        }
        if e.probes == 0 || now.saturating_duration_since(e.updated) >= RETRANS_TIMER {
            e.probes += 1;
            e.updated = now;
            Want::Solicit
        } else {
            Want::Queued
        }
    }

    /// An answer (or an unsolicited announcement, with `create` false:
    /// only existing entries are updated) says `addr` on `port` is `mac`.
    pub fn learn(&mut self, addr: IpAddr, port: u16, mac: [u8; 6], create: bool, now: Instant) {
        if !create && !self.entries.contains_key(&(addr, port)) {
            return;
        }
        if !self.entries.contains_key(&(addr, port)) && self.entries.len() >= MAX_NEIGHBORS {
            return;
        }
        let e = self.entries.entry((addr, port)).or_insert_with(|| Entry {
            mac: None,
            state: NeighState::Incomplete,
            updated: now,
            probes: 0,
            waiting: VecDeque::new(),
        });
        if e.mac != Some(mac) {
            self.dirty = true;
        }
        e.mac = Some(mac);
        e.state = NeighState::Reachable;
        e.updated = now;
        e.probes = 0;
        if !e.waiting.is_empty() {
            self.dirty = true;
            self.released.extend(e.waiting.drain(..));
        }
    }

    /// Ages entries; returns the neighbours to solicit now.
    pub fn tick(&mut self, now: Instant) -> Vec<(IpAddr, u16)> {
        let mut solicit = Vec::new();
        let mut removed = Vec::new();
        for (k, e) in &mut self.entries {
            let age = now.saturating_duration_since(e.updated);
            match e.state {
                NeighState::Reachable if age >= REACHABLE_TIME => e.state = NeighState::Stale,
                NeighState::Stale if age >= REACHABLE_TIME => {
                    e.state = NeighState::Probe;
                    e.probes = 1;
                    e.updated = now;
                    solicit.push(*k);
                }
                NeighState::Incomplete | NeighState::Probe if age >= RETRANS_TIMER => {
                    if e.probes >= MAX_PROBES {
                        removed.push(*k);
                    } else {
                        e.probes += 1;
                        e.updated = now;
                        solicit.push(*k);
                    }
                }
                _ => {}
            }
        }
        for k in removed {
            if let Some(e) = self.entries.remove(&k) {
                self.failed_drops += e.waiting.len() as u64;
                if e.mac.is_some() {
                    self.dirty = true;
                }
            }
        }
        solicit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w() -> Waiting {
        Waiting {
            frame: vec![1, 2, 3],
            in_port: 0,
            worker: 0,
        }
    }

    #[test]
    fn resolution_releases_queued_packets_once() {
        let mut t = NeighborTable::default();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let now = Instant::now();
        assert_eq!(t.want(a, 1, w(), now), Want::Solicit);
        assert_eq!(t.want(a, 1, w(), now), Want::Queued);
        for _ in 2..QUEUE_PER_NEIGHBOR {
            t.want(a, 1, w(), now);
        }
        assert_eq!(t.want(a, 1, w(), now), Want::Dropped);
        t.learn(a, 1, [2, 0, 0, 0, 0, 7], false, now);
        assert!(t.take_dirty());
        assert_eq!(t.take_released().len(), QUEUE_PER_NEIGHBOR);
        assert!(t.take_released().is_empty());
        assert_eq!(t.resolved().count(), 1);
    }

    #[test]
    fn unanswered_entries_expire_and_drop_their_queue() {
        let mut t = NeighborTable::default();
        let a: IpAddr = "192.0.2.8".parse().unwrap();
        let mut now = Instant::now();
        t.want(a, 0, w(), now);
        for _ in 0..MAX_PROBES {
            now += RETRANS_TIMER;
            t.tick(now);
        }
        assert!(!t.contains(a, 0));
        assert_eq!(t.failed_drops, 1);
    }

    #[test]
    fn reachable_goes_stale_then_probe() {
        let mut t = NeighborTable::default();
        let a: IpAddr = "2001:db8::9".parse().unwrap();
        let now = Instant::now();
        t.learn(a, 0, [2, 0, 0, 0, 0, 9], true, now);
        assert_eq!(t.count(NeighState::Reachable), 1);
        t.tick(now + REACHABLE_TIME);
        assert_eq!(t.count(NeighState::Stale), 1);
        assert_eq!(t.tick(now + REACHABLE_TIME * 2), vec![(a, 0)]);
        assert_eq!(t.count(NeighState::Probe), 1);
        t.learn(a, 0, [2, 0, 0, 0, 0, 9], false, now + REACHABLE_TIME * 2);
        assert_eq!(t.count(NeighState::Reachable), 1);
    }

    #[test]
    fn unsolicited_announcements_only_update() {
        let mut t = NeighborTable::default();
        let a: IpAddr = "192.0.2.9".parse().unwrap();
        t.learn(a, 0, [2, 0, 0, 0, 0, 1], false, Instant::now());
        assert!(!t.contains(a, 0));
    }
}
