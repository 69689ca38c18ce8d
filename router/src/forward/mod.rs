//! Per-packet forwarding logic, in two stages around the LPM lookup so a
//! burst's lookups can be batched:
//!
//! 1. [`classify`] reads the Ethernet header and VLAN tags, validates the
//!    IP header (RFC 1812 §5.2.2 for IPv4; RFC 8200 for IPv6), applies
//!    martian, multicast and broadcast rules, and returns either a final
//!    [`Verdict`] or the destination key to look up.
//! 2. [`finish`] takes the LPM result: local delivery, no route, TTL or
//!    hop-limit expiry, unresolved neighbour and egress MTU go to the
//!    exception path; otherwise the TTL is decremented with the RFC 1624
//!    incremental checksum update (or the hop limit), the MACs are
//!    rewritten, and the egress port is returned.
//!
//! Reads: the frame and the FIB snapshot. Writes: the frame (only on
//! forward). Never allocates, locks, logs or panics on any input.

pub mod hash;
pub mod reason;

use silkroute_packet::ethernet::{ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use silkroute_packet::ipv6::{NH_DEST_OPTS, NH_FRAGMENT, NH_HOP_BY_HOP, NH_ICMPV6, NH_ROUTING};
use silkroute_packet::{
    parse_l2, ArpPacket, EthernetError, Ipv4Error, Ipv4Packet, Ipv6Error, Ipv6Packet, MacAddr,
};

use crate::exception::PuntInfo;
use crate::fib::{Fib, NextHop, Resolved, Target};
use reason::{DropReason, PuntReason};

/// What happens to a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Rewritten; send out of this port.
    Forward(u16),
    /// Dropped and counted.
    Drop(DropReason),
    /// Handed to the control plane.
    Punt(PuntReason, PuntInfo),
}

/// How the frame arrived at layer 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum L2Cast {
    Unicast,
    Multicast,
}

/// The state carried from [`classify`] to [`finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Look up this IPv4 destination.
    V4 {
        /// L3 offset.
        l3: u16,
        /// Destination address.
        dst: u32,
        /// Frame was link-layer broadcast/multicast.
        l2_multicast: bool,
    },
    /// Look up this IPv6 destination.
    V6 {
        /// L3 offset.
        l3: u16,
        /// Destination address.
        dst: u128,
        /// Frame was link-layer multicast.
        l2_multicast: bool,
    },
}

/// The outcome of stage 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classified {
    /// Decided without a lookup.
    Done(Verdict),
    /// Needs the LPM result.
    Lookup(Pending),
}

fn l2_drop(e: EthernetError) -> DropReason {
    match e {
        EthernetError::Truncated => DropReason::L2Truncated,
        EthernetError::VlanTruncated => DropReason::L2VlanTruncated,
        EthernetError::TooManyVlanTags => DropReason::L2TooManyVlans,
    }
}

fn ipv4_drop(e: Ipv4Error) -> DropReason {
    match e {
        Ipv4Error::Truncated => DropReason::Ipv4Truncated,
        Ipv4Error::BadVersion => DropReason::Ipv4BadVersion,
        Ipv4Error::HeaderLengthTooShort => DropReason::Ipv4HeaderLength,
        Ipv4Error::HeaderBeyondFrame => DropReason::Ipv4HeaderBeyondFrame,
        Ipv4Error::TotalLengthBelowHeader => DropReason::Ipv4TotalLengthBelowHeader,
        Ipv4Error::TotalLengthBeyondFrame => DropReason::Ipv4TotalLengthBeyondFrame,
        Ipv4Error::BadChecksum => DropReason::Ipv4BadChecksum,
    }
}

fn ipv6_drop(e: Ipv6Error) -> DropReason {
    match e {
        Ipv6Error::Truncated => DropReason::Ipv6Truncated,
        Ipv6Error::BadVersion => DropReason::Ipv6BadVersion,
        Ipv6Error::PayloadBeyondFrame => DropReason::Ipv6PayloadBeyondFrame,
        Ipv6Error::Jumbogram => DropReason::Ipv6Jumbogram,
        Ipv6Error::ExtensionHeaderTruncated => DropReason::Ipv6ExtensionTruncated,
        Ipv6Error::ExtensionChainTooLong => DropReason::Ipv6ExtensionChainTooLong,
        Ipv6Error::HopByHopNotFirst => DropReason::Ipv6HopByHopNotFirst,
    }
}

/// IPv4 sources never forwarded from (RFC 1812 §5.3.7, RFC 5735):
/// "this network" 0/8, loopback 127/8, multicast 224/4, class E and
/// limited broadcast 240/4.
#[inline]
fn martian_source_v4(a: u32) -> bool {
    let first = a >> 24;
    first == 0 || first == 127 || first >= 224
}

/// IPv4 destinations never forwarded to: 0/8, 127/8, 240/4 (limited
/// broadcast and multicast are checked before this).
#[inline]
fn martian_destination_v4(a: u32) -> bool {
    let first = a >> 24;
    first == 0 || first == 127 || first >= 240
}

/// 169.254.0.0/16 (RFC 3927 §7: routers must not forward link-local).
#[inline]
fn link_local_v4(a: u32) -> bool {
    a >> 16 == 0xA9FE
}

#[inline]
fn is_multicast_v6(a: u128) -> bool {
    a >> 120 == 0xff
}

#[inline]
fn is_link_local_v6(a: u128) -> bool {
    a >> 118 == 0xfe80 >> 6
}

/// Stage 1: everything up to the lookup. `port_mac` is the receiving
/// port's MAC.
#[inline]
pub fn classify(frame: &[u8], port_mac: &[u8; 6]) -> Classified {
    use Classified::Done;
    let l2 = match parse_l2(frame) {
        Ok(l2) => l2,
        Err(e) => return Done(Verdict::Drop(l2_drop(e))),
    };
    // Sub-interfaces come with VLAN configuration; until one matches, a
    // tagged frame belongs to no interface.
    if l2.vlan_count != 0 {
        return Done(Verdict::Drop(DropReason::L2UnknownVlan));
    }
    // parse_l2 succeeded, so the frame holds at least the 14-byte header.
    let (dst_mac, src_mac) = (&frame[0..6], &frame[6..12]);
    if src_mac[0] & 1 != 0 {
        return Done(Verdict::Drop(DropReason::L2BadSource));
    }
    let cast = if dst_mac[0] & 1 != 0 {
        L2Cast::Multicast
    } else if dst_mac == port_mac {
        L2Cast::Unicast
    } else {
        return Done(Verdict::Drop(DropReason::L2OtherHost));
    };
    let l3 = l2.l3_offset;
    let Some(l3_bytes) = frame.get(l3..) else {
        return Done(Verdict::Drop(DropReason::L2Truncated));
    };
    match l2.ethertype {
        ETHERTYPE_IPV4 => classify_v4(l3_bytes, l3, cast),
        ETHERTYPE_IPV6 => classify_v6(l3_bytes, l3, cast),
        ETHERTYPE_ARP => match ArpPacket::new_checked(l3_bytes) {
            Ok(_) => Done(Verdict::Punt(
                PuntReason::Arp,
                PuntInfo {
                    l3_offset: l3 as u16,
                    ..PuntInfo::default()
                },
            )),
            Err(_) => Done(Verdict::Drop(DropReason::ArpMalformed)),
        },
        _ => Done(Verdict::Drop(DropReason::L2UnknownEthertype)),
    }
}

#[inline]
fn classify_v4(bytes: &[u8], l3: usize, cast: L2Cast) -> Classified {
    use Classified::Done;
    let ip = match Ipv4Packet::new_checked(bytes) {
        Ok(ip) => ip,
        Err(e) => return Done(Verdict::Drop(ipv4_drop(e))),
    };
    // Fuzzers cannot forge checksums; skipping the check there lets them
    // reach the stages after it.
    if !cfg!(fuzzing) && !ip.verify_checksum() {
        return Done(Verdict::Drop(DropReason::Ipv4BadChecksum));
    }
    let (src, dst) = (ip.src_u32(), ip.dst_u32());
    if martian_source_v4(src) {
        return Done(Verdict::Drop(DropReason::Ipv4MartianSource));
    }
    if dst == u32::MAX {
        return Done(Verdict::Drop(DropReason::Ipv4BroadcastDestination));
    }
    if dst >> 28 == 0xE {
        return Done(Verdict::Drop(DropReason::Ipv4MulticastDestination));
    }
    if martian_destination_v4(dst) {
        return Done(Verdict::Drop(DropReason::Ipv4MartianDestination));
    }
    Classified::Lookup(Pending::V4 {
        l3: l3 as u16,
        dst,
        l2_multicast: cast == L2Cast::Multicast,
    })
}

#[inline]
fn classify_v6(bytes: &[u8], l3: usize, cast: L2Cast) -> Classified {
    use Classified::Done;
    let ip = match Ipv6Packet::new_checked(bytes) {
        Ok(ip) => ip,
        Err(e) => return Done(Verdict::Drop(ipv6_drop(e))),
    };
    // Walk the extension headers only when there are some: most packets
    // carry TCP/UDP right after the fixed header.
    if matches!(
        ip.next_header(),
        NH_HOP_BY_HOP | NH_ROUTING | NH_FRAGMENT | NH_DEST_OPTS | silkroute_packet::ipv6::NH_AH
    ) {
        if let Err(e) = ip.upper_layer() {
            return Done(Verdict::Drop(ipv6_drop(e)));
        }
    }
    let (src, dst) = (ip.src_u128(), ip.dst_u128());
    if is_multicast_v6(src) || src == 1 {
        return Done(Verdict::Drop(DropReason::Ipv6MartianSource));
    }
    if is_multicast_v6(dst) {
        // Link-scope ICMPv6 (NDP, MLD) is the control plane's; other
        // multicast is not routed.
        let scope = (dst >> 112) & 0xf;
        if scope == 2 && ip.next_header() == NH_ICMPV6 {
            return Done(Verdict::Punt(
                PuntReason::Ndp,
                PuntInfo {
                    l3_offset: l3 as u16,
                    ..PuntInfo::default()
                },
            ));
        }
        return Done(Verdict::Drop(DropReason::Ipv6MulticastDestination));
    }
    if src == 0 {
        // The unspecified source is legal only for DAD probes, which go to
        // a multicast destination (handled above).
        return Done(Verdict::Drop(DropReason::Ipv6MartianSource));
    }
    if dst == 0 || dst == 1 {
        return Done(Verdict::Drop(DropReason::Ipv6MartianDestination));
    }
    Classified::Lookup(Pending::V6 {
        l3: l3 as u16,
        dst,
        l2_multicast: cast == L2Cast::Multicast,
    })
}

/// The flow hash, computed only for ECMP targets.
#[inline]
fn ecmp_hash_v4(ip: &Ipv4Packet<&mut [u8]>) -> u32 {
    let ports = if ip.is_fragment() {
        (0, 0)
    } else {
        silkroute_packet::l4::ports(ip.protocol(), ip.payload()).unwrap_or((0, 0))
    };
    hash::flow_hash_v4(ip.src_u32(), ip.dst_u32(), ip.protocol(), ports)
}

#[inline]
fn ecmp_hash_v6(ip: &Ipv6Packet<&mut [u8]>) -> u32 {
    let (proto, ports) = match ip.upper_layer() {
        Ok(ul) if !ul.is_non_first_fragment() && ul.fragment.is_none() => {
            let l4 = ip.as_bytes().get(ul.offset..).unwrap_or(&[]);
            (
                ul.protocol,
                silkroute_packet::l4::ports(ul.protocol, l4).unwrap_or((0, 0)),
            )
        }
        Ok(ul) => (ul.protocol, (0, 0)),
        Err(_) => (ip.next_header(), (0, 0)),
    };
    hash::flow_hash_v6(ip.src_u128(), ip.dst_u128(), proto, ports)
}

/// Resolves `value` for a packet, computing the flow hash only for ECMP.
#[inline]
fn resolve(fib: &Fib, value: u32, hash: impl FnOnce() -> u32) -> (Resolved, u32) {
    let needs_hash = matches!(
        fib.targets.get(value as usize),
        Some(Target::Ecmp { count, .. }) if *count > 1
    );
    let h = if needs_hash { hash() } else { 0 };
    let r = fib.resolve(value, h);
    let nh = match fib.targets.get(value as usize) {
        Some(Target::NextHop(n)) => *n,
        Some(Target::Ecmp { first, count }) => {
            let pick = ((u64::from(h) * u64::from(*count)) >> 32) as u32;
            fib.ecmp_members
                .get((first + pick) as usize)
                .copied()
                .unwrap_or(PuntInfo::DIRECT)
        }
        _ => PuntInfo::DIRECT,
    };
    (r, nh)
}

fn unresolved_info(fib: &Fib, value: u32, nh: u32, l3: u16) -> PuntInfo {
    let out_port = match fib.targets.get(value as usize) {
        Some(Target::Attached { port }) => *port,
        _ => fib
            .next_hops
            .get(nh as usize)
            .map_or(0, |n: &NextHop| n.port),
    };
    PuntInfo {
        l3_offset: l3,
        out_port,
        mtu: fib.ports.get(usize::from(out_port)).map_or(0, |p| p.mtu),
        next_hop: nh,
    }
}

/// Stage 2: acts on the LPM result `value` for a packet [`classify`]
/// returned as `pending`, rewriting the frame when it is forwarded.
#[inline]
pub fn finish(frame: &mut [u8], pending: Pending, value: u32, fib: &Fib) -> Verdict {
    match pending {
        Pending::V4 {
            l3, l2_multicast, ..
        } => finish_v4(frame, l3, l2_multicast, value, fib),
        Pending::V6 {
            l3, l2_multicast, ..
        } => finish_v6(frame, l3, l2_multicast, value, fib),
    }
}

#[inline]
fn rewrite_macs(frame: &mut [u8], dst: &[u8; 6], src: &[u8; 6]) {
    if let Some(h) = frame.get_mut(0..12) {
        h[0..6].copy_from_slice(dst);
        h[6..12].copy_from_slice(src);
    }
}

fn finish_v4(frame: &mut [u8], l3: u16, l2_multicast: bool, value: u32, fib: &Fib) -> Verdict {
    let punt = |reason, info| Verdict::Punt(reason, info);
    let local = PuntInfo {
        l3_offset: l3,
        ..PuntInfo::default()
    };
    let (head, rest) = frame.split_at_mut(usize::from(l3).min(frame.len()));
    let Ok(mut ip) = Ipv4Packet::new_checked(rest) else {
        return Verdict::Drop(DropReason::Ipv4Truncated);
    };
    let (resolved, nh) = resolve(fib, value, || ecmp_hash_v4(&ip));
    if resolved == Resolved::Local {
        return punt(PuntReason::Local, local);
    }
    if l2_multicast {
        return Verdict::Drop(DropReason::Ipv4LinkBroadcast);
    }
    if link_local_v4(ip.src_u32()) {
        return Verdict::Drop(DropReason::Ipv4MartianSource);
    }
    if link_local_v4(ip.dst_u32()) {
        return Verdict::Drop(DropReason::Ipv4MartianDestination);
    }
    let (port, mac) = match resolved {
        Resolved::Forward { port, mac } => (port, mac),
        Resolved::NoRoute => return punt(PuntReason::NoRoute, local),
        Resolved::Broadcast => return Verdict::Drop(DropReason::Ipv4BroadcastDestination),
        Resolved::Blackhole => return Verdict::Drop(DropReason::RouteBlackhole),
        Resolved::Local => return punt(PuntReason::Local, local),
        Resolved::Unresolved => {
            if ip.ttl() <= 1 {
                return punt(PuntReason::TtlExpired, local);
            }
            return punt(
                PuntReason::NeighborUnresolved,
                unresolved_info(fib, value, nh, l3),
            );
        }
    };
    // RFC 1812 §5.3.1: a packet whose TTL would reach zero is not forwarded.
    if ip.ttl() <= 1 {
        return punt(PuntReason::TtlExpired, local);
    }
    let Some(egress) = fib.ports.get(usize::from(port)) else {
        return punt(PuntReason::NoRoute, local);
    };
    if ip.total_len() > egress.mtu {
        return punt(
            PuntReason::TooBig,
            PuntInfo {
                l3_offset: l3,
                out_port: port,
                mtu: egress.mtu,
                next_hop: nh,
            },
        );
    }
    ip.decrement_ttl();
    rewrite_macs(head, &mac, &egress.mac);
    Verdict::Forward(port)
}

fn finish_v6(frame: &mut [u8], l3: u16, l2_multicast: bool, value: u32, fib: &Fib) -> Verdict {
    let punt = |reason, info| Verdict::Punt(reason, info);
    let local = PuntInfo {
        l3_offset: l3,
        ..PuntInfo::default()
    };
    let (head, rest) = frame.split_at_mut(usize::from(l3).min(frame.len()));
    let Ok(mut ip) = Ipv6Packet::new_checked(rest) else {
        return Verdict::Drop(DropReason::Ipv6Truncated);
    };
    let (resolved, nh) = resolve(fib, value, || ecmp_hash_v6(&ip));
    if resolved == Resolved::Local {
        return punt(PuntReason::Local, local);
    }
    if l2_multicast {
        return Verdict::Drop(DropReason::Ipv6LinkBroadcast);
    }
    if is_link_local_v6(ip.src_u128()) || is_link_local_v6(ip.dst_u128()) {
        return Verdict::Drop(DropReason::Ipv6LinkLocal);
    }
    let (port, mac) = match resolved {
        Resolved::Forward { port, mac } => (port, mac),
        Resolved::NoRoute => return punt(PuntReason::NoRoute, local),
        Resolved::Broadcast | Resolved::Blackhole => {
            return Verdict::Drop(DropReason::RouteBlackhole)
        }
        Resolved::Local => return punt(PuntReason::Local, local),
        Resolved::Unresolved => {
            if ip.hop_limit() <= 1 {
                return punt(PuntReason::TtlExpired, local);
            }
            return punt(
                PuntReason::NeighborUnresolved,
                unresolved_info(fib, value, nh, l3),
            );
        }
    };
    if ip.hop_limit() <= 1 {
        return punt(PuntReason::TtlExpired, local);
    }
    let Some(egress) = fib.ports.get(usize::from(port)) else {
        return punt(PuntReason::NoRoute, local);
    };
    if usize::from(ip.payload_len()) + silkroute_packet::ipv6::HEADER_LEN > usize::from(egress.mtu)
    {
        return punt(
            PuntReason::TooBig,
            PuntInfo {
                l3_offset: l3,
                out_port: port,
                mtu: egress.mtu,
                next_hop: nh,
            },
        );
    }
    ip.decrement_hop_limit();
    rewrite_macs(head, &mac, &egress.mac);
    Verdict::Forward(port)
}

/// The frame length a forwarded packet should leave with: the L3 header
/// offset plus the IP packet's own length, so link padding received with
/// it (which may exceed the egress MTU) is not forwarded. Never longer
/// than `frame`.
#[inline]
pub fn forwarded_len(frame: &[u8], pending: Pending) -> usize {
    let (l3, ip_len) = match pending {
        Pending::V4 { l3, .. } => {
            let l3 = usize::from(l3);
            let total = frame
                .get(l3 + 2..l3 + 4)
                .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
            (l3, total)
        }
        Pending::V6 { l3, .. } => {
            let l3 = usize::from(l3);
            let payload = frame
                .get(l3 + 4..l3 + 6)
                .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
            (l3, silkroute_packet::ipv6::HEADER_LEN + payload)
        }
    };
    (l3 + ip_len).min(frame.len())
}

/// Both stages on one packet with a single lookup: the reference the
/// batched worker path must agree with, and the fuzzing entry point.
pub fn forward_one(frame: &mut [u8], in_port: u16, fib: &Fib) -> Verdict {
    let Some(port) = fib.ports.get(usize::from(in_port)) else {
        return Verdict::Drop(DropReason::L2OtherHost);
    };
    match classify(frame, &port.mac) {
        Classified::Done(v) => v,
        Classified::Lookup(p) => {
            let value = match p {
                Pending::V4 { dst, .. } => fib.v4.lookup(dst),
                Pending::V6 { dst, .. } => fib.v6.lookup(dst),
            };
            finish(frame, p, value, fib)
        }
    }
}

/// The MAC type of the packet crate, re-exported for FIB builders.
pub type EtherAddr = MacAddr;
