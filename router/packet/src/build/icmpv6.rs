//! ICMPv6 echo replies and error messages (RFC 4443).

use std::net::Ipv6Addr;

use super::{
    check_link_layer_dst, is_unicast_v6, l3_of, reserve, write_ethernet, write_ipv6, BuildError,
    SuppressReason, DEFAULT_TTL,
};
use crate::ethernet::{EthernetFrame, MacAddr, ETHERTYPE_IPV6, HEADER_LEN as ETH_LEN};
use crate::icmpv6::{self, unreach, Icmpv6Packet};
use crate::ipv6::{Ipv6Packet, HEADER_LEN as IP_LEN, NH_ICMPV6};

/// RFC 4443 §2.4(c): an error message carries as much of the invoking
/// packet as fits without the error exceeding the IPv6 minimum MTU.
pub const ICMPV6_ERROR_MAX_LEN: usize = 1280;

/// Destination Unreachable codes a router sends (RFC 4443 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreachable6 {
    /// Code 0: no route to destination.
    NoRoute,
    /// Code 1: communication administratively prohibited.
    AdminProhibited,
    /// Code 3: address unreachable (neighbor discovery failed).
    AddressUnreachable,
    /// Code 4: port unreachable (for packets to us).
    PortUnreachable,
}

impl Unreachable6 {
    /// The ICMPv6 code.
    pub const fn code(self) -> u8 {
        match self {
            Unreachable6::NoRoute => unreach::NO_ROUTE,
            Unreachable6::AdminProhibited => unreach::ADMIN_PROHIBITED,
            Unreachable6::AddressUnreachable => unreach::ADDRESS,
            Unreachable6::PortUnreachable => unreach::PORT,
        }
    }
}

/// Which ICMPv6 error to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Icmpv6ErrorKind {
    /// Type 3 code 0: hop limit exceeded in transit.
    TimeExceeded,
    /// Type 1 with the given code.
    DestUnreachable(Unreachable6),
    /// Type 2 code 0 with the next-hop link MTU (RFC 4443 §3.2).
    PacketTooBig {
        /// MTU of the next-hop link.
        mtu: u32,
    },
}

impl Icmpv6ErrorKind {
    /// `(type, code, rest of header)`.
    const fn header(self) -> (u8, u8, u32) {
        match self {
            Icmpv6ErrorKind::TimeExceeded => (icmpv6::TYPE_TIME_EXCEEDED, 0, 0),
            Icmpv6ErrorKind::DestUnreachable(u) => (icmpv6::TYPE_DEST_UNREACHABLE, u.code(), 0),
            Icmpv6ErrorKind::PacketTooBig { mtu } => (icmpv6::TYPE_PACKET_TOO_BIG, 0, mtu),
        }
    }
}

/// Answers an ICMPv6 Echo Request addressed to us (RFC 4443 §4.2):
/// addresses swapped, type 129, hop limit 64, data echoed unchanged.
///
/// Extension headers of the request are not copied. A request to a
/// multicast address is refused ([`SuppressReason::MulticastDestination`])
/// because the reply's source must be one of our unicast addresses, which
/// this function does not know; fragmented requests need reassembly and
/// are refused with [`BuildError::Fragmented`].
pub fn icmpv6_echo_reply(
    request_frame: &[u8],
    our_mac: MacAddr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let eth = EthernetFrame::new_checked(request_frame)?;
    let req = Ipv6Packet::new_checked(l3_of(request_frame, ETHERTYPE_IPV6)?)?;
    let ul = req.upper_layer()?;
    if ul.fragment.is_some() {
        return Err(BuildError::Fragmented);
    }
    if ul.protocol != NH_ICMPV6 {
        return Err(BuildError::NotEchoRequest);
    }
    let (src, dst) = (req.src_addr(), req.dst_addr());
    if dst.is_multicast() {
        return Err(SuppressReason::MulticastDestination.into());
    }
    if !is_unicast_v6(&src) {
        return Err(SuppressReason::SourceNotUnicast.into());
    }
    let message = req.datagram().get(ul.offset..).unwrap_or(&[]);
    let echo = Icmpv6Packet::new_checked(message)?;
    if echo.msg_type() != icmpv6::TYPE_ECHO_REQUEST || echo.code() != 0 {
        return Err(BuildError::NotEchoRequest);
    }
    echo.check_checksum(&src, &dst)?;

    let icmp_len = message.len();
    let len = reserve(out, ETH_LEN + IP_LEN + icmp_len)?;
    write_ethernet(out, eth.src(), our_mac, ETHERTYPE_IPV6);
    write_ipv6(
        &mut out[ETH_LEN..],
        icmp_len as u16,
        NH_ICMPV6,
        DEFAULT_TTL,
        &dst,
        &src,
    );
    let icmp_out = &mut out[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + icmp_len];
    icmp_out.copy_from_slice(message);
    let mut rep = Icmpv6Packet::new_unchecked(icmp_out);
    rep.set_msg_type(icmpv6::TYPE_ECHO_REPLY);
    rep.fill_checksum(&dst, &src);
    Ok(len)
}

/// Builds an ICMPv6 error about the IPv6 packet at `orig_frame[l3_offset..]`
/// (RFC 4443 §3), sent from `our_ip` / `our_mac` to the packet's source via
/// `dst_mac`, hop limit 64.
///
/// The invoking packet is quoted from its IPv6 header on, as much as keeps
/// the error within 1280 bytes of IPv6 (RFC 4443 §2.4(c)), link padding
/// excluded.
///
/// Refused with [`BuildError::Suppressed`] per RFC 4443 §2.4(e) when the
/// invoking packet is an ICMPv6 error or Redirect (e.1, e.2), was sent to
/// an IPv6 multicast address or a link-layer multicast/broadcast address
/// (e.3–e.5; Packet Too Big is exempt, RFC 8201 needs it for multicast),
/// or its source does not name a single node (e.6: unspecified, multicast;
/// loopback too, which is never valid on a link). The extension-header
/// chain is walked to find an ICMPv6 message; a malformed chain is refused
/// with the view's error.
pub fn icmpv6_error(
    orig_frame: &[u8],
    l3_offset: usize,
    kind: Icmpv6ErrorKind,
    our_mac: MacAddr,
    dst_mac: MacAddr,
    our_ip: Ipv6Addr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let l3 = orig_frame.get(l3_offset..).ok_or(BuildError::BadL3Offset)?;
    let orig = Ipv6Packet::new_checked(l3)?;
    let ul = orig.upper_layer()?;
    let may_multicast = matches!(kind, Icmpv6ErrorKind::PacketTooBig { .. });
    if !may_multicast {
        check_link_layer_dst(orig_frame)?;
        if orig.dst_addr().is_multicast() {
            return Err(SuppressReason::MulticastDestination.into());
        }
    }
    let src = orig.src_addr();
    if !is_unicast_v6(&src) {
        return Err(SuppressReason::SourceNotUnicast.into());
    }
    if ul.protocol == NH_ICMPV6 && !ul.is_non_first_fragment() {
        // No type byte: not a valid ICMPv6 message; sending nothing is safe.
        match orig.datagram().get(ul.offset) {
            Some(&icmpv6::TYPE_REDIRECT) => return Err(SuppressReason::IcmpRedirect.into()),
            Some(t) if !icmpv6::is_error_type(*t) => {}
            _ => return Err(SuppressReason::IcmpError.into()),
        }
    }

    let quote_max = ICMPV6_ERROR_MAX_LEN - IP_LEN - icmpv6::HEADER_LEN;
    let datagram = orig.datagram();
    let quote = &datagram[..datagram.len().min(quote_max)];
    let icmp_len = icmpv6::HEADER_LEN + quote.len();
    let len = reserve(out, ETH_LEN + IP_LEN + icmp_len)?;
    write_ethernet(out, dst_mac, our_mac, ETHERTYPE_IPV6);
    write_ipv6(
        &mut out[ETH_LEN..],
        icmp_len as u16,
        NH_ICMPV6,
        DEFAULT_TTL,
        &our_ip,
        &src,
    );
    let (msg_type, code, rest) = kind.header();
    let mut msg =
        Icmpv6Packet::new_unchecked(&mut out[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + icmp_len]);
    msg.set_msg_type(msg_type);
    msg.set_code(code);
    msg.set_rest_of_header(rest);
    msg.data_mut().copy_from_slice(quote);
    msg.fill_checksum(&our_ip, &src);
    Ok(len)
}
