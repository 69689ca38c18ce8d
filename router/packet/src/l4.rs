//! Transport-layer ports for flow hashing (ECMP, RSS-like spreading).
//!
//! TCP (RFC 9293), UDP (RFC 768), UDP-Lite (RFC 3828), DCCP (RFC 4340) and
//! SCTP (RFC 9260) all start with a 16-bit source port and a 16-bit
//! destination port, so four bytes are enough. Non-first fragments carry no
//! transport header: the helpers below return `None` for them, and the
//! caller hashes on addresses only.

use crate::ipv4::Ipv4Packet;
use crate::ipv6::UpperLayer;
use crate::read_u16;

/// Protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// Protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// Protocol number of DCCP.
pub const PROTO_DCCP: u8 = 33;
/// Protocol number of SCTP.
pub const PROTO_SCTP: u8 = 132;
/// Protocol number of UDP-Lite.
pub const PROTO_UDPLITE: u8 = 136;

/// True for the protocols whose first four bytes are source and
/// destination ports.
pub const fn has_ports(protocol: u8) -> bool {
    matches!(
        protocol,
        PROTO_TCP | PROTO_UDP | PROTO_DCCP | PROTO_SCTP | PROTO_UDPLITE
    )
}

/// `(source port, destination port)` of a transport header starting at
/// `l4[0]`, or `None` for a protocol without ports or fewer than 4 bytes.
///
/// The caller must not pass the payload of a non-first fragment; see
/// [`ports_v4`] and [`ports_v6`] which check that.
#[inline]
pub fn ports(protocol: u8, l4: &[u8]) -> Option<(u16, u16)> {
    if !has_ports(protocol) || l4.len() < 4 {
        return None;
    }
    Some((read_u16(l4, 0), read_u16(l4, 2)))
}

/// Ports of an IPv4 packet, `None` for any non-first fragment.
#[inline]
pub fn ports_v4<T: AsRef<[u8]>>(ip: &Ipv4Packet<T>) -> Option<(u16, u16)> {
    if ip.is_non_first_fragment() {
        return None;
    }
    ports(ip.protocol(), ip.payload())
}

/// Ports of an IPv6 packet given the result of
/// [`Ipv6Packet::upper_layer`](crate::ipv6::Ipv6Packet::upper_layer) and
/// the IPv6 datagram it was computed on; `None` for a non-first fragment.
#[inline]
pub fn ports_v6(ul: &UpperLayer, datagram: &[u8]) -> Option<(u16, u16)> {
    if ul.is_non_first_fragment() {
        return None;
    }
    ports(ul.protocol, datagram.get(ul.offset..)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipv6::Ipv6Packet;

    #[test]
    fn ports_by_protocol() {
        let hdr = [0x30, 0x39, 0x00, 0x35, 0xff];
        for p in [PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_DCCP, PROTO_UDPLITE] {
            assert_eq!(ports(p, &hdr), Some((12345, 53)));
        }
        assert_eq!(ports(PROTO_UDP, &hdr[..3]), None);
        assert_eq!(ports(1, &hdr), None);
        assert_eq!(ports(58, &hdr), None);
    }

    #[test]
    fn ipv4_fragments_have_no_ports() {
        let mut v = [0u8; 28];
        v[0] = 0x45;
        v[2..4].copy_from_slice(&28u16.to_be_bytes());
        v[9] = PROTO_UDP;
        v[20..24].copy_from_slice(&[0x30, 0x39, 0x00, 0x35]);
        let mut p = Ipv4Packet::new_checked(&mut v[..]).unwrap();
        assert_eq!(ports_v4(&p), Some((12345, 53)));
        p.set_flags_and_frag_offset(false, true, 0); // first fragment: has ports
        assert_eq!(ports_v4(&p), Some((12345, 53)));
        p.set_flags_and_frag_offset(false, false, 10);
        assert_eq!(ports_v4(&p), None);
    }

    #[test]
    fn ipv6_ports() {
        let mut v = vec![0u8; 40];
        v[0] = 0x60;
        v[4..6].copy_from_slice(&16u16.to_be_bytes());
        v[6] = 44; // Fragment
        v.extend_from_slice(&[PROTO_TCP, 0, 0, 1, 0, 0, 0, 1]); // offset 0, M
        v.extend_from_slice(&[0x01, 0xbb, 0xc0, 0x00, 0, 0, 0, 0]);
        let p = Ipv6Packet::new_checked(&v[..]).unwrap();
        let ul = p.upper_layer().unwrap();
        assert_eq!(ports_v6(&ul, p.datagram()), Some((443, 0xc000)));
        v[43] = 0x08; // offset 1
        let p = Ipv6Packet::new_checked(&v[..]).unwrap();
        let ul = p.upper_layer().unwrap();
        assert_eq!(ports_v6(&ul, p.datagram()), None);
    }
}
