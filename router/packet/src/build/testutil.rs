//! Input frames for the builder tests, written with the phase-1 views.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ethernet::{MacAddr, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::icmp::Icmpv4Packet;
use crate::icmpv6::Icmpv6Packet;
use crate::ipv4::Ipv4Packet;
use crate::ipv6::{Ipv6Packet, NH_ICMPV6};

pub const ROUTER_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
pub const HOST_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x02]);
pub const NEXT_HOP_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x03]);
pub const ROUTER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const HOST_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
pub const FAR_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
pub const ROUTER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
pub const HOST_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
pub const FAR_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 7);

pub fn eth(dst: MacAddr, src: MacAddr, ethertype: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(1600);
    v.extend_from_slice(&dst.0);
    v.extend_from_slice(&src.0);
    v.extend_from_slice(&ethertype.to_be_bytes());
    v
}

/// Ethernet + IPv4 with `options` and `payload`, checksum filled, TTL 1.
pub fn ipv4_frame(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut v = eth(ROUTER_MAC, HOST_MAC, ETHERTYPE_IPV4);
    let hl = 20 + options.len();
    let mut ip = vec![0u8; hl + payload.len()];
    {
        let mut p = Ipv4Packet::new_unchecked(&mut ip[..]);
        p.set_version_and_header_len(hl);
        p.set_total_len((hl + payload.len()) as u16);
        p.set_ident(0x1234);
        p.set_ttl(1);
        p.set_protocol(protocol);
        p.set_src_addr(src);
        p.set_dst_addr(dst);
        p.options_mut().copy_from_slice(options);
        p.payload_mut().copy_from_slice(payload);
        p.fill_checksum();
    }
    v.extend_from_slice(&ip);
    v
}

/// An ICMPv4 message with the checksum filled.
pub fn icmpv4(msg_type: u8, code: u8, rest: u32, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 8 + data.len()];
    let mut p = Icmpv4Packet::new_unchecked(&mut v[..]);
    p.set_msg_type(msg_type);
    p.set_code(code);
    p.set_rest_of_header(rest);
    p.data_mut().copy_from_slice(data);
    p.fill_checksum();
    v
}

/// Sets a new header checksum on the IPv4 packet starting at byte 14.
pub fn refill_ipv4(frame: &mut [u8]) {
    Ipv4Packet::new_unchecked(&mut frame[14..]).fill_checksum();
}

/// Ethernet + IPv6 with `next_header` and `payload`, hop limit `hops`.
pub fn ipv6_frame(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hops: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut v = eth(ROUTER_MAC, HOST_MAC, ETHERTYPE_IPV6);
    let mut ip = vec![0u8; 40 + payload.len()];
    {
        let mut p = Ipv6Packet::new_unchecked(&mut ip[..]);
        p.set_version_tc_flow(0, 0x12345);
        p.set_payload_len(payload.len() as u16);
        p.set_next_header(next_header);
        p.set_hop_limit(hops);
        p.set_src_addr(src);
        p.set_dst_addr(dst);
        p.payload_mut().copy_from_slice(payload);
    }
    v.extend_from_slice(&ip);
    v
}

/// An ICMPv6 message with the checksum filled for `src` -> `dst`.
pub fn icmpv6(
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    msg_type: u8,
    code: u8,
    rest: u32,
    data: &[u8],
) -> Vec<u8> {
    let mut v = vec![0u8; 8 + data.len()];
    let mut p = Icmpv6Packet::new_unchecked(&mut v[..]);
    p.set_msg_type(msg_type);
    p.set_code(code);
    p.set_rest_of_header(rest);
    p.data_mut().copy_from_slice(data);
    p.fill_checksum(src, dst);
    v
}

/// Ethernet + IPv6 + ICMPv6 (no extension headers).
pub fn icmpv6_frame(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hops: u8,
    msg_type: u8,
    code: u8,
    rest: u32,
    data: &[u8],
) -> Vec<u8> {
    ipv6_frame(
        src,
        dst,
        NH_ICMPV6,
        hops,
        &icmpv6(&src, &dst, msg_type, code, rest, data),
    )
}
