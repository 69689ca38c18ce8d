//! The control plane's side of the exception path: answers what workers
//! punt. ARP requests and neighbour solicitations for our addresses get
//! replies; echo requests to us get echo replies; expired, unroutable and
//! too-big packets get the ICMP / ICMPv6 errors of RFC 792, RFC 1812 and
//! RFC 4443, rate-limited per source; an unresolved next hop triggers an
//! ARP request or neighbour solicitation (rate-limited per target).
//!
//! Replies travel through the punting worker's inject ring and leave on
//! the port the FIB gives for their destination (falling back to the
//! receiving port and the previous hop's MAC).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use silkroute_config::Config;
use silkroute_packet::build::{
    self, BuildError, Icmpv4ErrorKind, Icmpv6ErrorKind, Unreachable4, Unreachable6,
};
use silkroute_packet::ndp::{self, NdpKind, NdpMessage};
use silkroute_packet::{ArpPacket, Ipv4Packet, Ipv6Packet, MacAddr};
use silkroute_router::exception::{ControlRings, ExceptionSlot, PuntInfo, SLOT_BYTES};
use silkroute_router::fib::{Fib, Resolved};
use silkroute_router::forward::hash;
use silkroute_router::forward::reason::PuntReason;

use crate::fib_build::link_local_from_mac;
use crate::neighbor::{NeighborTable, Waiting, Want};

macro_rules! events {
    ($($variant:ident => $label:literal,)+) => {
        /// What the control plane did with a punted packet.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Event { $($variant,)+ }
        impl Event {
            /// Every event, index = `as usize`.
            pub const ALL: &'static [Event] = &[$(Event::$variant,)+];
            /// Counter label.
            pub const fn as_str(self) -> &'static str {
                match self { $(Event::$variant => $label,)+ }
            }
        }
    };
}

events! {
    ArpReplySent => "arp_reply_sent",
    ArpNotForUs => "arp_not_for_us",
    ArpReplyReceived => "arp_reply_received",
    NdpAdvertSent => "ndp_advertisement_sent",
    NdpIgnored => "ndp_ignored",
    NdpAdvertReceived => "ndp_advertisement_received",
    ResolutionQueued => "resolution_queued",
    ResolutionQueueFull => "resolution_queue_full",
    EchoReplySent => "icmp_echo_reply_sent",
    Echo6ReplySent => "icmpv6_echo_reply_sent",
    TimeExceededSent => "icmp_time_exceeded_sent",
    Time6ExceededSent => "icmpv6_time_exceeded_sent",
    UnreachableSent => "icmp_unreachable_sent",
    Unreachable6Sent => "icmpv6_unreachable_sent",
    FragNeededSent => "icmp_fragmentation_needed_sent",
    PacketTooBigSent => "icmpv6_packet_too_big_sent",
    ArpRequestSent => "arp_request_sent",
    NeighborSolicitSent => "ndp_solicitation_sent",
    ResolutionRateLimited => "resolution_rate_limited",
    LocalUnhandled => "local_unhandled",
    FragmentationUnsupported => "fragmentation_unsupported",
    RateLimited => "icmp_rate_limited",
    Suppressed => "icmp_suppressed",
    Malformed => "malformed",
    TruncatedSlot => "truncated_slot",
    NoReturnPath => "no_return_path",
    InjectRingFull => "inject_ring_full",
}

/// Counts per [`Event`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlCounters {
    counts: Vec<u64>,
}

impl ControlCounters {
    fn bump(&mut self, e: Event) {
        if self.counts.len() < Event::ALL.len() {
            self.counts.resize(Event::ALL.len(), 0);
        }
        self.counts[e as usize] += 1;
    }

    /// The count of `e`.
    pub fn get(&self, e: Event) -> u64 {
        self.counts.get(e as usize).copied().unwrap_or(0)
    }

    /// `(label, count)` for every event that happened.
    pub fn nonzero(&self) -> Vec<(&'static str, u64)> {
        Event::ALL
            .iter()
            .map(|e| (e.as_str(), self.get(*e)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// A token bucket: `rate` tokens a second, at most `burst`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// ICMP generation limits (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)).
#[derive(Debug)]
struct RateLimiter {
    rate: f64,
    burst: f64,
    per_source: HashMap<IpAddr, Bucket>,
    global: Bucket,
    global_rate: f64,
    global_burst: f64,
}

/// Messages a second one source may trigger, and the burst it may use:
/// generous for traceroute and ping, tight enough that one host cannot
/// make the router flood.
const PER_SOURCE_RATE: f64 = 100.0;
const PER_SOURCE_BURST: f64 = 100.0;
/// Messages a second over all sources.
const GLOBAL_RATE: f64 = 10_000.0;
const GLOBAL_BURST: f64 = 1_000.0;
/// Sources tracked before the table is reset (bounds the memory a
/// spoofed-source flood can take).
const MAX_TRACKED_SOURCES: usize = 65_536;

impl RateLimiter {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            rate: PER_SOURCE_RATE,
            burst: PER_SOURCE_BURST,
            per_source: HashMap::new(),
            global: Bucket {
                tokens: GLOBAL_BURST,
                last: now,
            },
            global_rate: GLOBAL_RATE,
            global_burst: GLOBAL_BURST,
        }
    }

    fn take(bucket: &mut Bucket, rate: f64, burst: f64, now: Instant) -> bool {
        let dt = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + dt * rate).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn allow(&mut self, source: IpAddr) -> bool {
        let now = Instant::now();
        if self.per_source.len() >= MAX_TRACKED_SOURCES && !self.per_source.contains_key(&source) {
            self.per_source.clear();
        }
        let b = self.per_source.entry(source).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        Self::take(b, self.rate, self.burst, now)
            && Self::take(&mut self.global, self.global_rate, self.global_burst, now)
    }
}

/// Punts handled per worker per poll at most: a worker that refills its
/// rings as fast as they drain (a flood) cannot keep the control loop
/// from its other duties (shutdown, reloads, neighbour timers, other
/// workers); one poll still empties both default-size rings.
pub const DRAIN_PER_POLL: usize = 2048;

/// Our addresses on one port.
#[derive(Debug, Clone, Default)]
struct PortAddrs {
    mac: [u8; 6],
    ipv4: Vec<Ipv4Addr>,
    ipv6: Vec<Ipv6Addr>,
    nets4: Vec<silkroute_config::Ipv4Net>,
    nets6: Vec<silkroute_config::Ipv6Net>,
}

impl PortAddrs {
    fn has(&self, a: IpAddr) -> bool {
        match a {
            IpAddr::V4(a) => self.ipv4.contains(&a),
            IpAddr::V6(a) => self.ipv6.contains(&a),
        }
    }

    /// True when `a` is on one of this port's subnets (a possible
    /// neighbour); link-local IPv6 addresses always are.
    fn connected(&self, a: IpAddr) -> bool {
        match a {
            IpAddr::V4(a) => self.nets4.iter().any(|n| n.contains(&a)),
            IpAddr::V6(a) => {
                (a.segments()[0] & 0xffc0) == 0xfe80 || self.nets6.iter().any(|n| n.contains(&a))
            }
        }
    }
}

/// Answers punted packets.
#[derive(Debug)]
pub struct ExceptionHandler {
    ports: Vec<PortAddrs>,
    /// Neighbours learned through ARP and NDP.
    pub neighbors: NeighborTable,
    worker: usize,
    limiter: RateLimiter,
    resolution: RateLimiter,
    counters: ControlCounters,
    out: Vec<u8>,
}

impl ExceptionHandler {
    /// A handler for the interfaces of `cfg`.
    pub fn new(cfg: &Config) -> Self {
        let mut ports = vec![PortAddrs::default(); cfg.ports.len()];
        for itf in &cfg.interfaces {
            if let Some(p) = ports.get_mut(itf.port) {
                p.mac = itf.mac.0;
                p.ipv4 = itf.ipv4.iter().map(|n| n.addr()).collect();
                p.ipv6 = itf.ipv6.iter().map(|n| n.addr()).collect();
                p.nets4 = itf.ipv4.clone();
                p.nets6 = itf.ipv6.clone();
                p.ipv6.push(link_local_from_mac(itf.mac.0));
            }
        }
        Self {
            ports,
            neighbors: NeighborTable::default(),
            worker: 0,
            limiter: RateLimiter::new(),
            resolution: RateLimiter::new(),
            counters: ControlCounters::default(),
            out: vec![0; SLOT_BYTES],
        }
    }

    /// Takes the interfaces of a reloaded configuration; counters and
    /// rate-limit state carry over.
    pub fn reconfigure(&mut self, cfg: &Config) {
        let fresh = Self::new(cfg);
        self.ports = fresh.ports;
    }

    /// What the handler has done so far.
    pub fn counters(&self) -> &ControlCounters {
        &self.counters
    }

    /// Handles the punts waiting on the rings of worker `worker`, at most
    /// [`DRAIN_PER_POLL`] of them.
    pub fn drain(&mut self, worker: usize, rings: &mut ControlRings, fib: &Fib) -> usize {
        self.worker = worker;
        let mut n = 0;
        // Slots are read in place; replies are built into `self.out`
        // and queued after the slot is released.
        // Neighbour resolution first: it keeps the forwarding going.
        while n < DRAIN_PER_POLL {
            let reply = match rings.priority.pop_with(|slot| self.handle(slot, fib)) {
                Some(r) => r,
                None => match rings.exceptions.pop_with(|slot| self.handle(slot, fib)) {
                    Some(r) => r,
                    None => break,
                },
            };
            n += 1;
            if let Some((port, len)) = reply {
                let frame = &self.out[..len];
                if !rings.inject(port, frame) {
                    self.counters.bump(Event::InjectRingFull);
                }
            }
        }
        n
    }

    fn count(&mut self, e: Event) {
        self.counters.bump(e);
    }

    /// Decides and builds the answer to one punt: `(egress port, length
    /// of the frame in self.out)`, or `None` when nothing is sent.
    fn handle(&mut self, slot: &ExceptionSlot, fib: &Fib) -> Option<(u16, usize)> {
        let frame = slot.frame();
        let in_port = slot.in_port;
        let Some(port) = self.ports.get(usize::from(in_port)).cloned() else {
            self.count(Event::Malformed);
            return None;
        };
        let l3 = usize::from(slot.info.l3_offset);
        match slot.reason {
            PuntReason::Arp => self.arp(frame, l3, in_port, &port),
            PuntReason::Ndp => self.ndp(frame, l3, in_port, &port),
            PuntReason::Local => {
                if slot.truncated() {
                    self.count(Event::TruncatedSlot);
                    return None;
                }
                self.local(frame, l3, in_port, &port, fib)
            }
            PuntReason::TtlExpired => self.icmp_error(
                frame,
                l3,
                in_port,
                &port,
                fib,
                Icmpv4ErrorKind::TimeExceeded,
                Icmpv6ErrorKind::TimeExceeded,
            ),
            PuntReason::NoRoute => self.icmp_error(
                frame,
                l3,
                in_port,
                &port,
                fib,
                Icmpv4ErrorKind::DestUnreachable(Unreachable4::Net),
                Icmpv6ErrorKind::DestUnreachable(Unreachable6::NoRoute),
            ),
            PuntReason::TooBig => {
                let mtu = slot.info.mtu;
                if is_ipv4(frame, l3) && !ipv4_df(frame, l3) {
                    // A router may fragment here (RFC 1812 §5.2.6); the
                    // slow path does not yet, so the packet is dropped
                    // and counted rather than answered wrongly.
                    self.count(Event::FragmentationUnsupported);
                    return None;
                }
                self.icmp_error(
                    frame,
                    l3,
                    in_port,
                    &port,
                    fib,
                    Icmpv4ErrorKind::FragmentationNeeded { mtu },
                    Icmpv6ErrorKind::PacketTooBig {
                        mtu: u32::from(mtu),
                    },
                )
            }
            PuntReason::NeighborUnresolved => self.resolve(frame, l3, slot.info, fib, in_port),
        }
    }

    fn arp(
        &mut self,
        frame: &[u8],
        l3: usize,
        in_port: u16,
        port: &PortAddrs,
    ) -> Option<(u16, usize)> {
        let Some(arp) = frame.get(l3..).and_then(|b| ArpPacket::new_checked(b).ok()) else {
            self.count(Event::Malformed);
            return None;
        };
        // RFC 826 "merge": every ARP packet from a neighbour on our subnet
        // updates its entry; a request for one of our addresses (not a
        // gratuitous announcement) creates it.
        let (spa, sha, tpa) = (arp.spa(), arp.sha(), arp.tpa());
        let for_us = port.has(IpAddr::V4(tpa));
        if port.connected(IpAddr::V4(spa)) && sha.is_unicast() && !port.has(IpAddr::V4(spa)) {
            let create = for_us && spa != tpa;
            self.neighbors
                .learn(IpAddr::V4(spa), in_port, sha.0, create, Instant::now());
        }
        if arp.oper() != silkroute_packet::arp::OP_REQUEST {
            self.count(Event::ArpReplyReceived);
            return None;
        }
        if !for_us {
            self.count(Event::ArpNotForUs);
            return None;
        }
        match build::arp_reply(frame, MacAddr(port.mac), &mut self.out) {
            Ok(len) => {
                self.count(Event::ArpReplySent);
                Some((in_port, len))
            }
            Err(_) => {
                self.count(Event::Malformed);
                None
            }
        }
    }

    fn ndp(
        &mut self,
        frame: &[u8],
        l3: usize,
        in_port: u16,
        port: &PortAddrs,
    ) -> Option<(u16, usize)> {
        let msg = frame
            .get(l3..)
            .and_then(|b| Ipv6Packet::new_checked(b).ok())
            .and_then(|ip| NdpMessage::parse(&ip).ok());
        let src = frame
            .get(l3..)
            .and_then(|b| Ipv6Packet::new_checked(b).ok())
            .map(|ip| ip.src_addr());
        let target = match (msg, src) {
            (Some(m), Some(src)) if m.kind == NdpKind::NeighborSolicitation => {
                // RFC 4861 §7.2.3: a solicitation with a source link-layer
                // option tells us the solicitor's MAC.
                if let Some(mac) = m.link_layer_addr {
                    if !src.is_unspecified() && port.connected(IpAddr::V6(src)) {
                        let create = port.has(IpAddr::V6(m.target));
                        self.neighbors.learn(
                            IpAddr::V6(src),
                            in_port,
                            mac.0,
                            create,
                            Instant::now(),
                        );
                    }
                }
                m.target
            }
            (Some(m), _) if m.kind == NdpKind::NeighborAdvertisement => {
                // RFC 4861 §7.2.5: answers complete our entries;
                // unsolicited advertisements update existing ones.
                if let Some(mac) = m.link_layer_addr {
                    self.neighbors.learn(
                        IpAddr::V6(m.target),
                        in_port,
                        mac.0,
                        false,
                        Instant::now(),
                    );
                }
                self.count(Event::NdpAdvertReceived);
                return None;
            }
            _ => {
                // Router and multicast-listener messages are not for a
                // router without those protocols.
                self.count(Event::NdpIgnored);
                return None;
            }
        };
        if !port.has(IpAddr::V6(target)) {
            self.count(Event::NdpIgnored);
            return None;
        }
        match ndp::ndp_neighbor_advertisement(frame, MacAddr(port.mac), &mut self.out) {
            Ok(len) => {
                self.count(Event::NdpAdvertSent);
                Some((in_port, len))
            }
            Err(_) => {
                self.count(Event::Malformed);
                None
            }
        }
    }

    /// Egress for a packet we originate towards `dst`: the FIB's choice,
    /// or back out of `in_port` to the previous hop's MAC.
    fn egress(fib: &Fib, dst: IpAddr, in_port: u16, prev_hop: [u8; 6]) -> (u16, [u8; 6]) {
        let (value, h) = match dst {
            IpAddr::V4(a) => (
                fib.v4.lookup(u32::from(a)),
                hash::flow_hash_v4(u32::from(a), 0, 1, (0, 0)),
            ),
            IpAddr::V6(a) => (
                fib.v6.lookup(u128::from(a)),
                hash::flow_hash_v6(u128::from(a), 0, 58, (0, 0)),
            ),
        };
        match fib.resolve(value, h) {
            Resolved::Forward { port, mac } => (port, mac),
            _ => (in_port, prev_hop),
        }
    }

    fn local(
        &mut self,
        frame: &[u8],
        l3: usize,
        in_port: u16,
        port: &PortAddrs,
        fib: &Fib,
    ) -> Option<(u16, usize)> {
        let prev_hop = prev_hop(frame);
        if let Some(ip) = frame
            .get(l3..)
            .and_then(|b| Ipv4Packet::new_checked(b).ok())
        {
            let src = IpAddr::V4(ip.src_addr());
            if ip.protocol() == silkroute_packet::ipv4::PROTO_ICMP {
                if !self.limiter.allow(src) {
                    self.count(Event::RateLimited);
                    return None;
                }
                return match build::icmpv4_echo_reply(frame, MacAddr(port.mac), &mut self.out) {
                    Ok(len) => {
                        let (out_port, mac) = Self::egress(fib, src, in_port, prev_hop);
                        self.retarget(len, out_port, mac);
                        self.count(Event::EchoReplySent);
                        Some((out_port, len))
                    }
                    Err(_) => {
                        self.count(Event::LocalUnhandled);
                        None
                    }
                };
            }
            if ip.protocol() == silkroute_packet::ipv4::PROTO_UDP {
                // Nothing listens on UDP: port unreachable, which is also
                // how traceroute learns it reached the router.
                return self.icmp_error(
                    frame,
                    l3,
                    in_port,
                    port,
                    fib,
                    Icmpv4ErrorKind::DestUnreachable(Unreachable4::Port),
                    Icmpv6ErrorKind::DestUnreachable(Unreachable6::PortUnreachable),
                );
            }
            self.count(Event::LocalUnhandled);
            return None;
        }
        if let Some(ip) = frame
            .get(l3..)
            .and_then(|b| Ipv6Packet::new_checked(b).ok())
        {
            let src = IpAddr::V6(ip.src_addr());
            let ul = ip.upper_layer().ok();
            match ul.map(|u| u.protocol) {
                Some(silkroute_packet::ipv6::NH_ICMPV6) => {
                    // NS/NA unicast to us are NDP (answers to our
                    // solicitations, unicast probes); echo requests get
                    // replies.
                    let icmp_type = ul
                        .and_then(|u| ip.as_bytes().get(u.offset).copied())
                        .unwrap_or(0);
                    if icmp_type == silkroute_packet::icmpv6::TYPE_NEIGHBOR_SOLICITATION
                        || icmp_type == silkroute_packet::icmpv6::TYPE_NEIGHBOR_ADVERTISEMENT
                    {
                        return self.ndp(frame, l3, in_port, port);
                    }
                    if !self.limiter.allow(src) {
                        self.count(Event::RateLimited);
                        return None;
                    }
                    match build::icmpv6_echo_reply(frame, MacAddr(port.mac), &mut self.out) {
                        Ok(len) => {
                            let (out_port, mac) = Self::egress(fib, src, in_port, prev_hop);
                            self.retarget(len, out_port, mac);
                            self.count(Event::Echo6ReplySent);
                            Some((out_port, len))
                        }
                        Err(_) => {
                            self.count(Event::LocalUnhandled);
                            None
                        }
                    }
                }
                Some(silkroute_packet::ipv6::NH_UDP) => self.icmp_error(
                    frame,
                    l3,
                    in_port,
                    port,
                    fib,
                    Icmpv4ErrorKind::DestUnreachable(Unreachable4::Port),
                    Icmpv6ErrorKind::DestUnreachable(Unreachable6::PortUnreachable),
                ),
                _ => {
                    self.count(Event::LocalUnhandled);
                    None
                }
            }
        } else {
            self.count(Event::Malformed);
            None
        }
    }

    /// Rewrites the Ethernet addresses of the reply in `self.out` for
    /// its egress port.
    fn retarget(&mut self, len: usize, out_port: u16, dst_mac: [u8; 6]) {
        let src_mac = self.ports.get(usize::from(out_port)).map(|p| p.mac);
        if let (Some(src), true) = (src_mac, len >= 12) {
            self.out[0..6].copy_from_slice(&dst_mac);
            self.out[6..12].copy_from_slice(&src);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn icmp_error(
        &mut self,
        frame: &[u8],
        l3: usize,
        in_port: u16,
        port: &PortAddrs,
        fib: &Fib,
        kind4: Icmpv4ErrorKind,
        kind6: Icmpv6ErrorKind,
    ) -> Option<(u16, usize)> {
        let prev_hop = prev_hop(frame);
        let ip = frame.get(l3..);
        let src = if let Some(ip) = ip.and_then(|b| Ipv4Packet::new_checked(b).ok()) {
            IpAddr::V4(ip.src_addr())
        } else if let Some(ip) = ip.and_then(|b| Ipv6Packet::new_checked(b).ok()) {
            IpAddr::V6(ip.src_addr())
        } else {
            self.count(Event::Malformed);
            return None;
        };
        // The error comes from the receiving interface's first address of
        // the packet's family.
        let our_ip = match src {
            IpAddr::V4(_) => port.ipv4.first().copied().map(IpAddr::V4),
            IpAddr::V6(_) => port.ipv6.first().copied().map(IpAddr::V6),
        };
        let Some(our_ip) = our_ip else {
            self.count(Event::NoReturnPath);
            return None;
        };
        let (out_port, mac) = Self::egress(fib, src, in_port, prev_hop);
        let our_mac = MacAddr(
            self.ports
                .get(usize::from(out_port))
                .map_or(port.mac, |p| p.mac),
        );
        if !self.limiter.allow(src) {
            self.count(Event::RateLimited);
            return None;
        }
        let (result, sent) = match our_ip {
            IpAddr::V4(our_ip) => (
                build::icmpv4_error(
                    frame,
                    l3,
                    kind4,
                    our_mac,
                    MacAddr(mac),
                    our_ip,
                    &mut self.out,
                ),
                match kind4 {
                    Icmpv4ErrorKind::TimeExceeded => Event::TimeExceededSent,
                    Icmpv4ErrorKind::FragmentationNeeded { .. } => Event::FragNeededSent,
                    Icmpv4ErrorKind::DestUnreachable(_) => Event::UnreachableSent,
                },
            ),
            IpAddr::V6(our_ip) => (
                build::icmpv6_error(
                    frame,
                    l3,
                    kind6,
                    our_mac,
                    MacAddr(mac),
                    our_ip,
                    &mut self.out,
                ),
                match kind6 {
                    Icmpv6ErrorKind::TimeExceeded => Event::Time6ExceededSent,
                    Icmpv6ErrorKind::PacketTooBig { .. } => Event::PacketTooBigSent,
                    Icmpv6ErrorKind::DestUnreachable(_) => Event::Unreachable6Sent,
                },
            ),
        };
        let result = result.map(|len| (out_port, len));
        match result {
            Ok(out) => {
                self.count(sent);
                Some(out)
            }
            Err(BuildError::Suppressed(_)) => {
                self.count(Event::Suppressed);
                None
            }
            Err(_) => {
                self.count(Event::Malformed);
                None
            }
        }
    }

    /// Queues the packet until its neighbour is resolved (bounded per
    /// neighbour) and solicits the neighbour when due.
    fn resolve(
        &mut self,
        frame: &[u8],
        l3: usize,
        info: PuntInfo,
        fib: &Fib,
        in_port: u16,
    ) -> Option<(u16, usize)> {
        let target: Option<IpAddr> = if info.next_hop == PuntInfo::DIRECT {
            dst_of(frame, l3)
        } else {
            fib.next_hops.get(info.next_hop as usize).map(|n| n.addr)
        };
        let Some(target) = target else {
            self.count(Event::Malformed);
            return None;
        };
        let waiting = Waiting {
            frame: frame.to_vec(),
            in_port,
            worker: self.worker,
        };
        match self
            .neighbors
            .want(target, info.out_port, waiting, Instant::now())
        {
            Want::Solicit => self.solicitation(target, info.out_port),
            Want::Queued | Want::Known => {
                self.count(Event::ResolutionQueued);
                None
            }
            Want::Dropped => {
                self.count(Event::ResolutionQueueFull);
                None
            }
        }
    }

    /// Builds an ARP request or neighbour solicitation for `target` out of
    /// `out_port` into `self.out`.
    pub fn solicitation(&mut self, target: IpAddr, out_port: u16) -> Option<(u16, usize)> {
        let Some(port) = self.ports.get(usize::from(out_port)).cloned() else {
            self.count(Event::Malformed);
            return None;
        };
        if !self.resolution.allow(target) {
            self.count(Event::ResolutionRateLimited);
            return None;
        }
        let mac = MacAddr(port.mac);
        let r = match target {
            IpAddr::V4(t) => {
                let Some(src) = port.ipv4.first().copied() else {
                    self.count(Event::NoReturnPath);
                    return None;
                };
                build::arp_request(mac, src, t, &mut self.out).map(|l| (l, Event::ArpRequestSent))
            }
            IpAddr::V6(t) => {
                let Some(src) = port.ipv6.first().copied() else {
                    self.count(Event::NoReturnPath);
                    return None;
                };
                ndp::ndp_neighbor_solicitation(mac, src, t, &mut self.out)
                    .map(|l| (l, Event::NeighborSolicitSent))
            }
        };
        match r {
            Ok((len, ev)) => {
                self.count(ev);
                Some((out_port, len))
            }
            Err(_) => {
                self.count(Event::Malformed);
                None
            }
        }
    }

    /// The frame built by the last call that returned a length.
    pub fn built(&self, len: usize) -> &[u8] {
        &self.out[..len.min(self.out.len())]
    }
}

fn prev_hop(frame: &[u8]) -> [u8; 6] {
    let mut m = [0; 6];
    if let Some(src) = frame.get(6..12) {
        m.copy_from_slice(src);
    }
    m
}

fn is_ipv4(frame: &[u8], l3: usize) -> bool {
    frame.get(l3).is_some_and(|b| b >> 4 == 4)
}

fn ipv4_df(frame: &[u8], l3: usize) -> bool {
    frame.get(l3 + 6).is_some_and(|b| b & 0x40 != 0)
}

fn dst_of(frame: &[u8], l3: usize) -> Option<IpAddr> {
    let b = frame.get(l3..)?;
    if let Ok(ip) = Ipv4Packet::new_checked(b) {
        return Some(IpAddr::V4(ip.dst_addr()));
    }
    Ipv6Packet::new_checked(b)
        .ok()
        .map(|ip| IpAddr::V6(ip.dst_addr()))
}
