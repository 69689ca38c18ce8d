//! Hostile and unusual input: one table of malformed or odd frames, each
//! with the verdict it must get, run through the per-packet reference
//! (`forward_one`) and through a worker over memory ports. Nothing may
//! panic, every row lands where the table says, and the worker's counters
//! add up: received = forwarded + Σ drops + Σ punts.
//!
//! `tests/common/cases.rs` has one row per drop and punt reason; this table
//! is about the shapes an attacker or a broken sender produces: truncation
//! at every header boundary, impossible lengths, fragments, option and
//! extension-header chains, ICMP errors about ICMP errors, martians,
//! stacked VLANs, runts and oversize frames.

mod common;

use std::net::Ipv6Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::cases::{expect_of, Expect};
use common::*;
use silkroute_packet::build::{self, BuildError, Icmpv4ErrorKind, Icmpv6ErrorKind};
use silkroute_packet::{MacAddr, SuppressReason};
use silkroute_router::buf::HeapPool;
use silkroute_router::counters::SharedCounters;
use silkroute_router::exception;
use silkroute_router::fib::FibPublisher;
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::forward::{forward_one, Verdict};
use silkroute_router::port::memory::MemoryPort;
use silkroute_router::port::{Heap, HeapRx, HeapTx};
use silkroute_router::worker::Worker;

const H: [u8; 4] = [192, 0, 2, 10];
const FAR: [u8; 4] = [10, 1, 2, 3];
const UDP: u8 = 17;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const DF: u16 = 0x4000;
const MF: u16 = 0x2000;
const HOST6: &str = "2001:db8:1::10";
const FAR6: &str = "2001:db8:10::5";

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

fn v4(l3: &[u8]) -> Vec<u8> {
    host_frame(0x0800, l3)
}

fn v6(l3: &[u8]) -> Vec<u8> {
    host_frame(0x86dd, l3)
}

/// A UDP datagram from the host to `dst` with `flags_frag` and `options`.
fn udp4(dst: [u8; 4], ttl: u8, flags_frag: u16, options: &[u8], data: &[u8]) -> Vec<u8> {
    ipv4_full(H, dst, UDP, ttl, flags_frag, options, &udp(1234, 53, data))
}

/// IPv6 from the host to `dst` with next header `nh` and this payload.
fn pkt6(src: &str, dst: &str, nh: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    ipv6(a6(src), a6(dst), nh, hlim, payload)
}

/// An IPv6 packet to FAR6 whose payload is `chain` cut to `keep` bytes,
/// with Payload Length saying exactly `keep` (so the extension walk, not
/// the length check, meets the cut).
fn v6_cut(nh: u8, chain: &[u8], keep: usize) -> Vec<u8> {
    v6(&pkt6(HOST6, FAR6, nh, 64, &chain[..keep]))
}

/// Sets the 16-bit field at `off` of the frame.
fn with_u16(mut f: Vec<u8>, off: usize, v: u16) -> Vec<u8> {
    f[off..off + 2].copy_from_slice(&v.to_be_bytes());
    f
}

/// Ethernet header with `tags` (each TPID+TCI, the last one's EtherType
/// given by `ethertype`) and then `l3`.
fn tagged(tags: &[(u16, u16)], ethertype: u16, l3: &[u8]) -> Vec<u8> {
    let mut f = MAC_P0.to_vec();
    f.extend_from_slice(&MAC_HOST);
    for (tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(l3);
    f
}

fn arp(htype: u16, ptype: u16, hlen: u8, plen: u8, oper: u16) -> Vec<u8> {
    let mut a = htype.to_be_bytes().to_vec();
    a.extend_from_slice(&ptype.to_be_bytes());
    a.extend_from_slice(&[hlen, plen]);
    a.extend_from_slice(&oper.to_be_bytes());
    a.extend_from_slice(&MAC_HOST);
    a.extend_from_slice(&H);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&[192, 0, 2, 1]);
    a
}

/// An ICMPv4 error of `outer_type` quoting an IPv4/ICMP packet whose own
/// message has `inner_type`.
fn icmp4_about(outer_type: u8, inner_type: u8, dst: [u8; 4], ttl: u8) -> Vec<u8> {
    let inner = ipv4_full(
        [10, 1, 2, 3],
        H,
        ICMP,
        60,
        0,
        &[],
        &icmp_msg(inner_type, 0, 0, &[0; 8]),
    );
    let outer = icmp_msg(outer_type, 1, 0, &inner);
    v4(&ipv4_full(H, dst, ICMP, ttl, 0, &[], &outer))
}

/// An ICMPv6 error of `outer_type` quoting an IPv6/ICMPv6 packet whose own
/// message has `inner_type`.
fn icmp6_about(outer_type: u8, inner_type: u8, dst: &str, hlim: u8) -> Vec<u8> {
    let inner = pkt6(
        FAR6,
        HOST6,
        ICMPV6,
        60,
        &icmp_msg(inner_type, 0, 0, &[0; 8]),
    );
    let outer = icmp_msg(outer_type, 0, 0, &inner);
    v6(&pkt6(HOST6, dst, ICMPV6, hlim, &outer))
}

/// The hostile-input table: kind, frame (arriving on p0), verdict.
fn table() -> Vec<(String, Vec<u8>, Expect)> {
    use DropReason as D;
    use Expect::{Drop, Forward, Punt};
    use PuntReason as P;
    let mut t: Vec<(String, Vec<u8>, Expect)> = Vec::new();
    let mut row = |kind: &str, frame: Vec<u8>, e: Expect| t.push((kind.to_owned(), frame, e));

    // --- Ethernet: runts, truncation inside the header, odd EtherTypes.
    // An IPv4 datagram with one option word, cut at every boundary.
    let opt4 = v4(&udp4(FAR, 64, 0, &[1, 1, 1, 0], b"data"));
    for (cut, e) in [
        (0, Drop(D::L2Truncated)),
        (1, Drop(D::L2Truncated)),
        (6, Drop(D::L2Truncated)),
        (12, Drop(D::L2Truncated)),
        (13, Drop(D::L2Truncated)),
        (14, Drop(D::Ipv4Truncated)),
        (14 + 1, Drop(D::Ipv4Truncated)),
        (14 + 19, Drop(D::Ipv4Truncated)),
        (14 + 20, Drop(D::Ipv4HeaderBeyondFrame)),
        (14 + 23, Drop(D::Ipv4HeaderBeyondFrame)),
        (14 + 24, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (14 + 24 + 4, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (14 + 24 + 8, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (opt4.len() - 1, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (opt4.len(), Forward(1)),
    ] {
        row(
            &format!("ipv4+options cut at {cut}"),
            opt4[..cut].to_vec(),
            e,
        );
    }
    let mut padded = v4(&udp4(FAR, 64, 0, &[], b""));
    assert!(padded.len() < 60);
    padded.resize(60, 0);
    row("60-byte padded minimum frame", padded, Forward(1));
    row(
        "runt: ethernet header only, ipv6",
        host_frame(0x86dd, &[]),
        Drop(D::Ipv6Truncated),
    );
    row(
        "runt: ethernet header only, arp",
        host_frame(0x0806, &[]),
        Drop(D::ArpMalformed),
    );
    row(
        "802.3 length instead of ethertype",
        host_frame(46, &[0xaa; 46]),
        Drop(D::L2UnknownEthertype),
    );
    row(
        "ethertype 0",
        host_frame(0, &[0; 46]),
        Drop(D::L2UnknownEthertype),
    );
    row(
        "mpls ethertype",
        host_frame(0x8847, &[0; 46]),
        Drop(D::L2UnknownEthertype),
    );
    row(
        "ipv6 bytes under the ipv4 ethertype",
        host_frame(0x0800, &pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv4BadVersion),
    );
    row(
        "ipv4 bytes under the ipv6 ethertype",
        host_frame(0x86dd, &udp4(FAR, 64, 0, &[], &[0; 20])),
        Drop(D::Ipv6BadVersion),
    );
    row(
        "broadcast source mac",
        eth(MAC_P0, BCAST, 0x0800, &udp4(FAR, 64, 0, &[], b"")),
        Drop(D::L2BadSource),
    );

    // --- VLAN tags: truncated, one, two (QinQ), three, legacy TPID.
    let l3 = udp4(FAR, 64, 0, &[], b"vlan");
    let one = tagged(&[(0x8100, 7)], 0x0800, &l3);
    row(
        "vlan tag cut after tpid",
        one[..14].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan tag cut inside tci",
        one[..15].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan tag cut after tci",
        one[..16].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan tag whole, no l3",
        one[..18].to_vec(),
        Drop(D::L2UnknownVlan),
    );
    row("single vlan tag", one, Drop(D::L2UnknownVlan));
    let qinq = tagged(&[(0x88a8, 100), (0x8100, 7)], 0x0800, &l3);
    row(
        "vlan-in-vlan (802.1ad)",
        qinq.clone(),
        Drop(D::L2UnknownVlan),
    );
    row(
        "vlan-in-vlan, inner tag cut",
        qinq[..20].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan-in-vlan, legacy 0x9100 outer",
        tagged(&[(0x9100, 100), (0x8100, 7)], 0x0800, &l3),
        Drop(D::L2UnknownVlan),
    );
    row(
        "three vlan tags",
        tagged(&[(0x88a8, 1), (0x8100, 2), (0x8100, 3)], 0x0800, &l3),
        Drop(D::L2TooManyVlans),
    );

    // --- IPv4 header fields.
    let base = v4(&udp4(FAR, 64, 0, &[], b"fields"));
    let mut f = base.clone();
    f[14] = 0x40;
    fix_ipv4_checksum(&mut f, 14);
    row("ipv4 ihl 0", f, Drop(D::Ipv4HeaderLength));
    let mut f = base.clone();
    f[14] = 0x41;
    row("ipv4 ihl 1", f, Drop(D::Ipv4HeaderLength));
    // IHL 15 (60 bytes) inside a 64-byte frame whose total length says 40.
    let mut f = v4(&udp4(FAR, 64, 0, &[], &[0; 40]));
    f[14] = 0x4f;
    let f = with_u16(f, 14 + 2, 40);
    row(
        "ipv4 ihl beyond total length",
        f,
        Drop(D::Ipv4TotalLengthBelowHeader),
    );
    row(
        "ipv4 total length 0",
        with_u16(base.clone(), 14 + 2, 0),
        Drop(D::Ipv4TotalLengthBelowHeader),
    );
    row(
        "ipv4 total length 65535",
        with_u16(base.clone(), 14 + 2, 0xffff),
        Drop(D::Ipv4TotalLengthBeyondFrame),
    );
    let mut f = with_u16(base.clone(), 14 + 2, (base.len() - 14 + 1) as u16);
    fix_ipv4_checksum(&mut f, 14);
    row(
        "ipv4 total length one past the frame",
        f,
        Drop(D::Ipv4TotalLengthBeyondFrame),
    );
    row(
        "ipv4 checksum field zeroed",
        with_u16(base.clone(), 24, 0),
        Drop(D::Ipv4BadChecksum),
    );
    let mut f = v4(&udp4(FAR, 64, 0, &[7, 7, 4, 0, 0, 0, 0], b"rr"));
    f[14 + 21] ^= 1;
    row(
        "ipv4 options with bad checksum",
        f,
        Drop(D::Ipv4BadChecksum),
    );
    row(
        "ipv4 version 0",
        {
            let mut f = base.clone();
            f[14] = 0x05;
            f
        },
        Drop(D::Ipv4BadVersion),
    );

    // --- TTL.
    row(
        "ipv4 ttl 0 transit",
        v4(&udp4(FAR, 0, 0, &[], b"")),
        Punt(P::TtlExpired),
    );
    row(
        "ipv4 ttl 1 transit",
        v4(&udp4(FAR, 1, 0, &[], b"")),
        Punt(P::TtlExpired),
    );
    row(
        "ipv4 ttl 2 transit",
        v4(&udp4(FAR, 2, 0, &[], b"")),
        Forward(1),
    );
    row(
        "ipv4 ttl 0 to unresolved next hop",
        v4(&udp4([40, 0, 0, 1], 0, 0, &[], b"")),
        Punt(P::TtlExpired),
    );
    row(
        "ipv4 ttl 0 to the router",
        v4(&udp4([192, 0, 2, 1], 0, 0, &[], b"")),
        Punt(P::Local),
    );

    // --- IPv4 options: the router forwards them untouched (RFC 7126 §4.1
    // lets it; it neither parses nor acts on them).
    row(
        "ipv4 nop options",
        v4(&udp4(FAR, 64, 0, &[1, 1, 1, 1], b"o")),
        Forward(1),
    );
    row(
        "ipv4 record route option",
        v4(&udp4(
            FAR,
            64,
            0,
            &[7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0],
            b"rr",
        )),
        Forward(1),
    );
    row(
        "ipv4 full 40 bytes of options",
        v4(&udp4(FAR, 64, 0, &[1; 40], b"o")),
        Forward(1),
    );
    row(
        "ipv4 option length past the header",
        v4(&udp4(FAR, 64, 0, &[0x44, 200, 5, 0], b"ts")),
        Forward(1),
    );

    // --- IPv4 fragments: forwarded as they are (no reassembly on a router).
    row(
        "ipv4 first fragment",
        v4(&udp4(FAR, 64, MF, &[], &[1; 32])),
        Forward(1),
    );
    row(
        "ipv4 middle fragment",
        v4(&ipv4_full(H, FAR, UDP, 64, MF | 185, &[], &[2; 64])),
        Forward(1),
    );
    row(
        "ipv4 last fragment",
        v4(&ipv4_full(H, FAR, UDP, 64, 370, &[], &[3; 16])),
        Forward(1),
    );
    row(
        "ipv4 tiny fragment (offset 1, RFC 1858)",
        v4(&ipv4_full(H, FAR, 6, 64, MF | 1, &[], &[4; 8])),
        Forward(1),
    );
    row(
        "ipv4 overlapping fragment, first",
        v4(&ipv4_full(H, [20, 0, 0, 1], UDP, 64, MF, &[], &[5; 24])),
        Forward(1),
    );
    row(
        "ipv4 overlapping fragment, rewrites bytes 8..24",
        v4(&ipv4_full(H, [20, 0, 0, 1], UDP, 64, 1, &[], &[6; 16])),
        Forward(1),
    );
    row(
        "ipv4 fragment with DF and MF",
        v4(&udp4(FAR, 64, DF | MF, &[], b"x")),
        Forward(1),
    );
    row(
        "ipv4 fragment too big for egress",
        v4(&ipv4_full(H, FAR, UDP, 64, MF | 8, &[], &[7; 1480])),
        Punt(P::TooBig),
    );

    // --- ICMP errors about ICMP errors: transit ones are forwarded; when
    // punted the control plane must stay silent (checked below).
    row(
        "icmp unreachable about time exceeded, transit",
        icmp4_about(3, 11, FAR, 64),
        Forward(1),
    );
    row(
        "icmp unreachable about time exceeded, ttl 1",
        icmp4_about(3, 11, FAR, 1),
        Punt(P::TtlExpired),
    );
    row(
        "icmp time exceeded about unreachable, no route",
        icmp4_about(11, 3, [50, 0, 0, 1], 64),
        Punt(P::NoRoute),
    );
    row(
        "icmpv6 unreachable about time exceeded, transit",
        icmp6_about(1, 3, FAR6, 64),
        Forward(1),
    );
    row(
        "icmpv6 time exceeded about unreachable, hop limit 1",
        icmp6_about(3, 1, FAR6, 1),
        Punt(P::TtlExpired),
    );

    // --- Source and destination addresses.
    for (kind, src, e) in [
        (
            "ipv4 limited-broadcast source",
            [255, 255, 255, 255],
            D::Ipv4MartianSource,
        ),
        (
            "ipv4 multicast source",
            [239, 1, 1, 1],
            D::Ipv4MartianSource,
        ),
        ("ipv4 class E source", [240, 0, 0, 1], D::Ipv4MartianSource),
        (
            "ipv4 this-network source",
            [0, 0, 0, 0],
            D::Ipv4MartianSource,
        ),
        ("ipv4 loopback source", [127, 0, 0, 1], D::Ipv4MartianSource),
        (
            "ipv4 link-local source",
            [169, 254, 9, 9],
            D::Ipv4MartianSource,
        ),
    ] {
        row(
            kind,
            v4(&ipv4_full(src, FAR, UDP, 64, 0, &[], &udp(1, 2, b""))),
            Drop(e),
        );
    }
    row(
        "ipv4 loopback destination",
        v4(&udp4([127, 0, 0, 1], 64, 0, &[], b"")),
        Drop(D::Ipv4MartianDestination),
    );
    row(
        "ipv4 this-network destination",
        v4(&udp4([0, 0, 0, 0], 64, 0, &[], b"")),
        Drop(D::Ipv4MartianDestination),
    );
    row(
        "ipv4 multicast destination in l2 multicast",
        {
            let mut f = v4(&udp4([224, 0, 0, 5], 64, 0, &[], b""));
            f[0..6].copy_from_slice(&[0x01, 0, 0x5e, 0, 0, 5]);
            f
        },
        Drop(D::Ipv4MulticastDestination),
    );
    row(
        "ipv4 unicast in l2 multicast",
        {
            let mut f = v4(&udp4(FAR, 64, 0, &[], b""));
            f[0..6].copy_from_slice(&[0x01, 0, 0x5e, 0, 0, 5]);
            f
        },
        Drop(D::Ipv4LinkBroadcast),
    );
    row(
        "ipv4 land: from the router's address to it",
        v4(&ipv4_full(
            [192, 0, 2, 1],
            [192, 0, 2, 1],
            UDP,
            64,
            0,
            &[],
            &udp(7, 7, b""),
        )),
        Punt(P::Local),
    );
    row(
        "ipv6 unspecified source",
        v6(&pkt6("::", FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MartianSource),
    );
    row(
        "ipv6 multicast source",
        v6(&pkt6("ff05::2", FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MartianSource),
    );
    row(
        "ipv6 unspecified destination",
        v6(&pkt6(HOST6, "::", UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MartianDestination),
    );
    row(
        "ipv6 link-local source",
        v6(&pkt6("fe80::1", FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6LinkLocal),
    );
    row(
        "ipv6 link-scope multicast, not icmpv6",
        v6(&pkt6(HOST6, "ff02::1", UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MulticastDestination),
    );
    row(
        "ipv6 v4-mapped destination",
        v6(&pkt6(HOST6, "::ffff:10.1.2.3", UDP, 64, &udp(1, 2, b""))),
        Punt(P::NoRoute),
    );
    row(
        "ipv6 unicast in l2 broadcast",
        {
            let mut f = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"")));
            f[0..6].copy_from_slice(&BCAST);
            f
        },
        Drop(D::Ipv6LinkBroadcast),
    );

    // --- IPv6 fixed header.
    let good6 = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"six")));
    row(
        "ipv6 cut at 14+20",
        good6[..14 + 20].to_vec(),
        Drop(D::Ipv6Truncated),
    );
    row(
        "ipv6 cut at 14+40",
        good6[..14 + 40].to_vec(),
        Drop(D::Ipv6PayloadBeyondFrame),
    );
    row(
        "ipv6 payload length 65535",
        with_u16(good6.clone(), 14 + 4, 0xffff),
        Drop(D::Ipv6PayloadBeyondFrame),
    );
    row(
        "ipv6 empty payload",
        v6(&pkt6(HOST6, FAR6, UDP, 64, &[])),
        Forward(1),
    );
    row(
        "ipv6 hop limit 0",
        v6(&pkt6(HOST6, FAR6, UDP, 0, &udp(1, 2, b""))),
        Punt(P::TtlExpired),
    );
    row(
        "ipv6 hop limit 2",
        v6(&pkt6(HOST6, FAR6, UDP, 2, &udp(1, 2, b""))),
        Forward(1),
    );
    let mut hbh = ipv6_ext(UDP, 0);
    hbh[2..8].copy_from_slice(&[0xc2, 4, 0, 1, 0, 0]);
    hbh.extend_from_slice(&udp(1, 2, b"jumbo"));
    row(
        "ipv6 jumbogram",
        with_u16(v6(&pkt6(HOST6, FAR6, 0, 64, &hbh)), 14 + 4, 0),
        Drop(D::Ipv6Jumbogram),
    );

    // --- IPv6 extension chains: Hop-by-Hop, Routing, Fragment, Dest Opts,
    // cut at and inside every header (Payload Length matching the cut).
    let mut chain = ipv6_ext(43, 0); // HBH → Routing
    chain.extend(ipv6_ext(44, 1)); // Routing (16 bytes) → Fragment
    chain.extend(ipv6_frag(60, 0, true, 7)); // Fragment → Dest Opts
    chain.extend(ipv6_ext(UDP, 0)); // Dest Opts → UDP
    chain.extend(udp(1, 2, b"chain"));
    for (kind, keep, e) in [
        (
            "ipv6 chain cut inside hop-by-hop",
            1,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside hop-by-hop body",
            6,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut after hop-by-hop",
            8,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside routing",
            8 + 10,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut after routing",
            24,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside fragment",
            24 + 4,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut after fragment",
            32,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside dest opts",
            32 + 7,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        ("ipv6 chain cut after dest opts", 40, Forward(1)),
        ("ipv6 chain whole", chain.len(), Forward(1)),
    ] {
        row(kind, v6_cut(0, &chain, keep), e);
    }
    // AH: (len + 2) * 4 bytes.
    let mut ah = vec![UDP, 4, 0, 0];
    ah.resize(24, 0);
    ah.extend(udp(1, 2, b"ah"));
    row("ipv6 ah", v6_cut(51, &ah, ah.len()), Forward(1));
    row(
        "ipv6 ah cut",
        v6_cut(51, &ah, 20),
        Drop(D::Ipv6ExtensionTruncated),
    );
    // "Loops": the same header over and over; 8 are walked, a 9th is refused.
    let repeat = |n: usize, nh: u8| {
        let mut c = Vec::new();
        for i in 0..n {
            c.extend(ipv6_ext(if i + 1 == n { UDP } else { nh }, 0));
        }
        c.extend(udp(1, 2, b"loop"));
        c
    };
    row(
        "ipv6 8 routing headers",
        v6_cut(43, &repeat(8, 43), 8 * 8 + 12),
        Forward(1),
    );
    let nine = repeat(9, 43);
    row(
        "ipv6 9 routing headers (loop)",
        v6_cut(43, &nine, nine.len()),
        Drop(D::Ipv6ExtensionChainTooLong),
    );
    let many = repeat(40, 60);
    row(
        "ipv6 40 dest-opts headers (loop)",
        v6_cut(60, &many, many.len()),
        Drop(D::Ipv6ExtensionChainTooLong),
    );
    let mut twice = ipv6_ext(0, 0);
    twice.extend(ipv6_ext(UDP, 0));
    twice.extend(udp(1, 2, b""));
    row(
        "ipv6 hop-by-hop twice",
        v6_cut(0, &twice, twice.len()),
        Drop(D::Ipv6HopByHopNotFirst),
    );
    // Fragments.
    let frag = |off: u16, more: bool, data: &[u8]| {
        let mut c = ipv6_frag(UDP, off, more, 99);
        c.extend_from_slice(data);
        v6(&pkt6(HOST6, "2001:db8:20::1", 44, 64, &c))
    };
    row(
        "ipv6 first fragment",
        frag(0, true, &udp(1, 2, &[1; 16])),
        Forward(1),
    );
    row("ipv6 middle fragment", frag(3, true, &[2; 24]), Forward(1));
    row(
        "ipv6 overlapping fragment",
        frag(1, false, &[3; 24]),
        Forward(1),
    );
    row(
        "ipv6 atomic fragment",
        frag(0, false, &udp(1, 2, b"atomic")),
        Forward(1),
    );
    // A non-first fragment whose bytes look like more extension headers:
    // the walk stops at the fragment header.
    let mut c = ipv6_frag(0, 5, true, 1);
    c.extend(ipv6_ext(0, 0));
    row(
        "ipv6 non-first fragment, hop-by-hop inside",
        v6(&pkt6(HOST6, FAR6, 44, 64, &c)),
        Forward(1),
    );
    row(
        "ipv6 esp",
        v6(&pkt6(HOST6, FAR6, 50, 64, &[0; 24])),
        Forward(1),
    );
    row(
        "ipv6 no next header",
        v6(&pkt6(HOST6, FAR6, 59, 64, &[])),
        Forward(1),
    );

    // --- Padding and oversize frames.
    let mut f = v4(&udp4(FAR, 64, 0, &[], b"pad"));
    f.extend_from_slice(&[0xab; 40]);
    row("ipv4 with 40 bytes of link padding", f, Forward(1));
    let mut f = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"pad")));
    f.extend_from_slice(&[0xcd; 40]);
    row("ipv6 with 40 bytes of link padding", f, Forward(1));
    let mut f = v4(&udp4(FAR, 64, DF, &[], b"small datagram"));
    f.resize(1600, 0xee);
    row("1600-byte frame, 42-byte datagram, padding", f, Forward(1));
    row(
        "oversize frame, 2000-byte datagram, DF",
        v4(&udp4(FAR, 64, DF, &[], &[0; 1972])),
        Punt(P::TooBig),
    );
    row(
        "oversize frame, 2000-byte datagram, no DF, hairpin",
        v4(&ipv4_full(H, [192, 0, 2, 10], UDP, 64, 0, &[], &[0; 1980])),
        Punt(P::TooBig),
    );
    row(
        "oversize ipv6, 2000 bytes",
        v6(&pkt6(HOST6, FAR6, UDP, 64, &[0; 1960])),
        Punt(P::TooBig),
    );

    // --- ARP.
    row(
        "arp truncated to 27 bytes",
        host_frame(0x0806, &arp(1, 0x0800, 6, 4, 1)[..27]),
        Drop(D::ArpMalformed),
    );
    row(
        "arp for ipv6 (ptype 0x86dd)",
        host_frame(0x0806, &arp(1, 0x86dd, 6, 4, 1)),
        Drop(D::ArpMalformed),
    );
    row(
        "arp hardware length 8",
        host_frame(0x0806, &arp(1, 0x0800, 8, 4, 1)),
        Drop(D::ArpMalformed),
    );
    row(
        "rarp operation",
        host_frame(0x0806, &arp(1, 0x0800, 6, 4, 3)),
        Drop(D::ArpMalformed),
    );
    let mut f = host_frame(0x0806, &arp(1, 0x0800, 6, 4, 1));
    f.resize(60, 0);
    row("arp padded to 60 bytes", f, Punt(P::Arp));
    t
}

#[test]
fn every_malformed_frame_gets_its_verdict() {
    let fib = test_fib();
    let table = table();
    let mut wrong = Vec::new();
    for (kind, frame, want) in &table {
        let mut f = frame.clone();
        let got = expect_of(forward_one(&mut f, 0, &fib));
        if got != *want {
            wrong.push(format!("{kind}: want {want:?}, got {got:?}"));
        }
        if !matches!(got, Expect::Forward(_)) {
            assert_eq!(&f, frame, "{kind}: frame written although not forwarded");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    println!("malformed: {} kinds", table.len());
    assert!(table.len() >= 40);
}

#[test]
fn kinds_are_unique() {
    let table = table();
    let mut names: Vec<&str> = table.iter().map(|(k, _, _)| k.as_str()).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate kind names");
}

/// Link padding after the IP datagram: the packet is forwarded with the
/// padding cut off (the frame leaves as long as its datagram), so padding
/// can never push a frame past the egress MTU.
#[test]
fn link_padding_is_not_forwarded() {
    use silkroute_router::forward::{classify, finish, forwarded_len, Classified};
    let fib = test_fib();
    let fwd = |frame: &[u8]| -> (Verdict, usize, Vec<u8>) {
        let mut f = frame.to_vec();
        let Classified::Lookup(p) = classify(&f, &MAC_P0) else {
            panic!("not looked up");
        };
        let value = match p {
            silkroute_router::forward::Pending::V4 { dst, .. } => fib.v4.lookup(dst),
            silkroute_router::forward::Pending::V6 { dst, .. } => fib.v6.lookup(dst),
        };
        let v = finish(&mut f, p, value, &fib);
        let len = forwarded_len(&f, p);
        (v, len, f)
    };
    for (frame, ttl_at, ip_len) in [
        {
            let mut f = v4(&udp4(FAR, 64, 0, &[], b"pad"));
            let l = f.len() - 14;
            f.extend_from_slice(&[0xab; 40]);
            (f, 14 + 8, l)
        },
        {
            let mut f = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"pad")));
            let l = f.len() - 14;
            f.extend_from_slice(&[0xcd; 40]);
            (f, 14 + 7, l)
        },
    ] {
        let (v, len, f) = fwd(&frame);
        assert_eq!(v, Verdict::Forward(1));
        assert_eq!(len, 14 + ip_len, "padding cut off");
        assert_eq!(f[ttl_at], 63);
        assert_eq!(f[0..6], MAC_B1);
    }
    // A 1600-byte frame carrying a small datagram leaves small, within
    // p1's MTU.
    let mut f = v4(&udp4(FAR, 64, DF, &[], b"small datagram"));
    let ip_len = f.len() - 14;
    f.resize(1600, 0xee);
    let (v, len, _) = fwd(&f);
    assert_eq!(v, Verdict::Forward(1));
    assert_eq!(len, 14 + ip_len);
}

/// When an ICMP error about an ICMP error is punted, the control plane's
/// builders refuse to answer it (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e.1)).
#[test]
fn punted_icmp_errors_about_icmp_errors_are_not_answered() {
    let fib = test_fib();
    let mut out = [0u8; 2048];
    let (us, them) = (MacAddr(MAC_P0), MacAddr(MAC_HOST));
    for frame in [
        icmp4_about(3, 11, FAR, 1),
        icmp4_about(11, 3, [50, 0, 0, 1], 64),
    ] {
        let mut f = frame.clone();
        let Verdict::Punt(_, info) = forward_one(&mut f, 0, &fib) else {
            panic!("not punted");
        };
        let r = build::icmpv4_error(
            &f,
            usize::from(info.l3_offset),
            Icmpv4ErrorKind::TimeExceeded,
            us,
            them,
            [192, 0, 2, 1].into(),
            &mut out,
        );
        assert_eq!(r, Err(BuildError::Suppressed(SuppressReason::IcmpError)));
    }
    let mut f = icmp6_about(3, 1, FAR6, 1);
    let Verdict::Punt(PuntReason::TtlExpired, info) = forward_one(&mut f, 0, &fib) else {
        panic!("not punted");
    };
    let r = build::icmpv6_error(
        &f,
        usize::from(info.l3_offset),
        Icmpv6ErrorKind::TimeExceeded,
        us,
        them,
        a6("2001:db8:1::1"),
        &mut out,
    );
    assert_eq!(r, Err(BuildError::Suppressed(SuppressReason::IcmpError)));
    // A punted ICMP message that is not an error is answered.
    let mut f = v4(&ipv4_full(
        H,
        FAR,
        ICMP,
        1,
        0,
        &[],
        &icmp_msg(8, 0, 0, b"ping"),
    ));
    let Verdict::Punt(PuntReason::TtlExpired, info) = forward_one(&mut f, 0, &fib) else {
        panic!("not punted");
    };
    let r = build::icmpv4_error(
        &f,
        usize::from(info.l3_offset),
        Icmpv4ErrorKind::TimeExceeded,
        us,
        them,
        [192, 0, 2, 1].into(),
        &mut out,
    );
    assert!(r.is_ok(), "{r:?}");
}

/// The same table through a worker over memory ports: per-reason counters
/// match the table and received = forwarded + Σ drops + Σ punts.
#[test]
fn worker_counts_every_malformed_frame() {
    let table = table();
    assert!(
        table.iter().all(|(_, f, _)| f.len() <= 2048),
        "memory buffers hold 2048 bytes"
    );
    let pool = HeapPool::new(8192);
    let mut publisher = FibPublisher::new(test_fib());
    let (mut rx, mut tx, mut peers) = (Vec::new(), Vec::new(), Vec::new());
    for p in 0..2u16 {
        let (r, t, peer) = MemoryPort::create(1024, 1, 1, &pool);
        rx.extend(r.into_iter().map(|r| (p, 0u16, HeapRx::Ring(r))));
        tx.extend(t.into_iter().map(|t| Some(HeapTx::Ring(t))));
        peers.push(peer);
    }
    let (wr, mut control) = exception::rings(1024, 64);
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(SharedCounters::new(2));
    let worker: Worker<Heap> = Worker {
        id: 0,
        rx,
        tx,
        pool: pool.cache(),
        fib: publisher.reader(),
        rings: wr,
        limits: silkroute_router::limit::ExceptionLimits::default(),
        idle: Default::default(),
        shared: Arc::clone(&shared),
        stop: Arc::clone(&stop),
        input_done: Arc::new(AtomicBool::new(false)),
    };
    let handle = thread::spawn(move || worker.run());
    for (kind, frame, _) in &table {
        assert!(peers[0].inject(frame), "{kind}: not injected");
    }
    let start = Instant::now();
    while shared.snapshot().port(0).rx_packets < table.len() as u64 {
        assert!(start.elapsed() < Duration::from_secs(20), "worker stalled");
        thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Release);
    let c = handle.join().expect("worker panicked");

    let mut want_drops = [0u64; DropReason::COUNT];
    let mut want_punts = [0u64; PuntReason::COUNT];
    let mut want_fwd = [0u64; 2];
    let mut want_bytes = 0;
    for (_, frame, e) in &table {
        match e {
            Expect::Forward(p) => {
                want_fwd[usize::from(*p)] += 1;
                // Forwarded frames leave without link padding.
                want_bytes += match silkroute_router::forward::classify(frame, &MAC_P0) {
                    silkroute_router::forward::Classified::Lookup(pending) => {
                        silkroute_router::forward::forwarded_len(frame, pending)
                    }
                    _ => frame.len(),
                };
            }
            Expect::Drop(r) => want_drops[*r as usize] += 1,
            Expect::Punt(r) => want_punts[*r as usize] += 1,
        }
    }
    let p0 = c.port(0);
    for r in DropReason::ALL {
        assert_eq!(p0.drops[*r as usize], want_drops[*r as usize], "drop {r}");
    }
    for r in PuntReason::ALL {
        assert_eq!(p0.punts[*r as usize], want_punts[*r as usize], "punt {r}");
    }
    assert_eq!([p0.tx_packets, c.port(1).tx_packets], want_fwd);
    assert_eq!(p0.rx_packets, table.len() as u64);
    assert_eq!(
        p0.rx_packets,
        want_fwd.iter().sum::<u64>() + p0.total_drops() + p0.total_punts(),
        "received = forwarded + dropped + punted"
    );
    let mut got_bytes = 0;
    for peer in &mut peers {
        while let Some(n) = peer.collect_with(<[u8]>::len) {
            got_bytes += n;
        }
    }
    assert_eq!(
        got_bytes, want_bytes,
        "forwarded frames lose only their padding"
    );
    let mut punted = 0;
    while control.exceptions.pop_with(|s| s.reason).is_some() {
        punted += 1;
    }
    while control.priority.pop_with(|s| s.reason).is_some() {
        punted += 1;
    }
    assert_eq!(punted, p0.total_punts());
    drop(publisher);
}
