//! Frame builders and a small FIB for the router's integration tests.
#![allow(dead_code)]

pub mod cases;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use silkroute_lpm::{Lpm4, Lpm6};
use silkroute_packet::checksum;
use silkroute_router::fib::{Fib, NextHop, PortInfo, Target};

pub const MAC_P0: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const MAC_P1: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
pub const MAC_HOST: [u8; 6] = [0x02, 0xaa, 0, 0, 0, 0x0a];
pub const MAC_B1: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 0x02];
pub const MAC_B2: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 0x03];
pub const BCAST: [u8; 6] = [0xff; 6];
pub const MTU_P1: u16 = 1400;

pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    u
}

/// IPv4 header (valid checksum) + payload.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut h = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0x12,
        0x34,
        0,
        0,
        ttl,
        proto,
        0,
        0,
    ];
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum::ipv4_header(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// IPv6 header + payload.
pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, nh: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.push(nh);
    h.push(hlim);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(payload);
    h
}

pub fn v4_frame(src: [u8; 4], dst: [u8; 4], ttl: u8, data: &[u8]) -> Vec<u8> {
    eth(
        MAC_P0,
        MAC_HOST,
        0x0800,
        &ipv4(src, dst, 17, ttl, &udp(1234, 53, data)),
    )
}

pub fn v6_frame(src: &str, dst: &str, hlim: u8, data: &[u8]) -> Vec<u8> {
    eth(
        MAC_P0,
        MAC_HOST,
        0x86dd,
        &ipv6(
            src.parse().unwrap(),
            dst.parse().unwrap(),
            17,
            hlim,
            &udp(1234, 53, data),
        ),
    )
}

/// Targets of the test FIB.
pub mod t {
    pub const B1: u32 = 0;
    pub const ECMP: u32 = 1;
    pub const LOCAL: u32 = 2;
    pub const ATTACHED: u32 = 3;
    pub const BROADCAST: u32 = 4;
    pub const BLACKHOLE: u32 = 5;
    pub const UNRESOLVED: u32 = 6;
}

/// Two ports: p0 (host side, MTU 1500) and p1 (towards B1/B2, MTU 1400).
///
/// IPv4: 10/8 → B1; 20/8 → ECMP{B1,B2}; 30/8 blackhole; 40/8 → an
/// unresolved next hop; 192.0.2.1/32 local; 198.51.100.0/24 attached on
/// p1 with .255 its broadcast; 192.0.2.0/24 attached on p0 with the host
/// 192.0.2.10 resolved. IPv6 the same shape under 2001:db8::/32.
pub fn test_fib() -> Fib {
    let mut fib = Fib::empty(vec![
        PortInfo {
            mac: MAC_P0,
            mtu: 1500,
        },
        PortInfo {
            mac: MAC_P1,
            mtu: MTU_P1,
        },
    ]);
    let nh = |port, mac, addr: &str| NextHop {
        port,
        mac,
        addr: addr.parse::<IpAddr>().unwrap(),
    };
    fib.next_hops = vec![
        nh(1, Some(MAC_B1), "198.51.100.2"),
        nh(1, Some(MAC_B2), "198.51.100.3"),
        nh(1, None, "198.51.100.9"),
        nh(0, Some(MAC_HOST), "192.0.2.10"),
    ];
    fib.ecmp_members = vec![0, 1];
    fib.targets = vec![
        Target::NextHop(0),
        Target::Ecmp { first: 0, count: 2 },
        Target::Local,
        Target::Attached { port: 1 },
        Target::Broadcast,
        Target::Blackhole,
        Target::NextHop(2),
        Target::NextHop(3),
        Target::Attached { port: 0 },
    ];
    let a4 = |s: &str| u32::from(s.parse::<Ipv4Addr>().unwrap());
    fib.v4 = Lpm4::from_routes(&[
        (a4("10.0.0.0"), 8, t::B1),
        (a4("20.0.0.0"), 8, t::ECMP),
        (a4("30.0.0.0"), 8, t::BLACKHOLE),
        (a4("40.0.0.0"), 8, t::UNRESOLVED),
        (a4("192.0.2.0"), 24, 8),
        (a4("192.0.2.1"), 32, t::LOCAL),
        (a4("192.0.2.10"), 32, 7),
        (a4("198.51.100.0"), 24, t::ATTACHED),
        (a4("198.51.100.255"), 32, t::BROADCAST),
    ])
    .unwrap();
    let a6 = |s: &str| u128::from(s.parse::<Ipv6Addr>().unwrap());
    fib.v6 = Lpm6::from_routes(&[
        (a6("2001:db8:10::"), 48, t::B1),
        (a6("2001:db8:20::"), 48, t::ECMP),
        (a6("2001:db8:30::"), 48, t::BLACKHOLE),
        (a6("2001:db8:40::"), 48, t::UNRESOLVED),
        (a6("2001:db8:1::"), 64, 8),
        (a6("2001:db8:1::1"), 128, t::LOCAL),
        (a6("2001:db8:1::10"), 128, 7),
        (a6("2001:db8:2::"), 64, t::ATTACHED),
    ])
    .unwrap();
    fib
}

// Builders for the hostile-input table (`tests/malformed.rs`).

/// The Internet checksum of `data` (RFC 1071), ready to store.
pub fn inet_checksum(data: &[u8]) -> u16 {
    checksum::checksum(data)
}

/// IPv4 header with `options` (padded to a 4-byte multiple with EOL), the
/// raw flags/fragment-offset word, a valid checksum, then `payload`.
pub fn ipv4_full(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    ttl: u8,
    flags_frag: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut opts = options.to_vec();
    opts.resize(options.len().div_ceil(4) * 4, 0);
    let hl = 20 + opts.len();
    let total = hl + payload.len();
    let mut h = vec![0x40 | (hl / 4) as u8, 0];
    h.extend_from_slice(&(total as u16).to_be_bytes());
    h.extend_from_slice(&[0x56, 0x78]);
    h.extend_from_slice(&flags_frag.to_be_bytes());
    h.extend_from_slice(&[ttl, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(&opts);
    let c = checksum::ipv4_header(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// Recomputes the IPv4 header checksum of the header at `frame[l3..]`
/// (whatever its IHL says, clamped to the frame).
pub fn fix_ipv4_checksum(frame: &mut [u8], l3: usize) {
    let ihl = usize::from(frame[l3] & 0xf) * 4;
    let end = (l3 + ihl).min(frame.len());
    frame[l3 + 10] = 0;
    frame[l3 + 11] = 0;
    let c = checksum::ipv4_header(&frame[l3..end]);
    frame[l3 + 10..l3 + 12].copy_from_slice(&c.to_be_bytes());
}

/// An ICMP or ICMPv6 message: type, code, rest of header, data. The
/// checksum covers the message only (right for ICMPv4; ICMPv6 tests that
/// need a valid pseudo-header checksum must fill it themselves).
pub fn icmp_msg(msg_type: u8, code: u8, rest: u32, data: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type, code, 0, 0];
    m.extend_from_slice(&rest.to_be_bytes());
    m.extend_from_slice(data);
    let c = checksum::checksum(&m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// An IPv6 extension header of `units` 8-byte units after the first
/// (Hop-by-Hop, Routing, Destination Options: `(len + 1) * 8` bytes),
/// padded with PadN.
pub fn ipv6_ext(next: u8, units: u8) -> Vec<u8> {
    let mut h = vec![next, units, 1, 4 + units * 8, 0, 0, 0, 0];
    h.resize(usize::from(units + 1) * 8, 0);
    h
}

/// An IPv6 Fragment header: offset in 8-byte units, More Fragments.
pub fn ipv6_frag(next: u8, offset: u16, more: bool, ident: u32) -> Vec<u8> {
    let mut h = vec![next, 0];
    h.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
    h.extend_from_slice(&ident.to_be_bytes());
    h
}

/// A frame from the host on p0 to p0's MAC.
pub fn host_frame(ethertype: u16, l3: &[u8]) -> Vec<u8> {
    eth(MAC_P0, MAC_HOST, ethertype, l3)
}
