//! ICMPv4 echo replies and error messages (RFC 792, RFC 1812 §4.3).

use std::net::Ipv4Addr;

use super::{
    check_link_layer_dst, is_unicast_v4, l3_of, reserve, write_ethernet, write_ipv4, BuildError,
    Ipv4Fields, SuppressReason, DEFAULT_TTL,
};
use crate::ethernet::{EthernetFrame, MacAddr, ETHERTYPE_IPV4, HEADER_LEN as ETH_LEN};
use crate::icmp::{self, unreach, Icmpv4Packet};
use crate::ipv4::{Ipv4Packet, MIN_HEADER_LEN as IP_LEN, PROTO_ICMP};

/// RFC 1812 §4.3.2.3: an ICMP error datagram carries as much of the
/// invoking datagram as fits in 576 bytes (the minimum reassembly size
/// every host accepts, RFC 791).
pub const ICMPV4_ERROR_MAX_LEN: usize = 576;
/// RFC 1812 §4.3.2.5: ICMP errors other than Source Quench SHOULD use
/// precedence 6 (internetwork control), i.e. DSCP CS6.
const ERROR_DSCP_ECN: u8 = 0xC0;

/// Destination Unreachable codes a router sends (RFC 1812 §5.2.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreachable4 {
    /// Code 0: no route to the network.
    Net,
    /// Code 1: the host does not answer ARP.
    Host,
    /// Code 2: protocol unreachable (for packets to us).
    Protocol,
    /// Code 3: port unreachable (for packets to us).
    Port,
    /// Code 13: communication administratively prohibited (RFC 1812).
    AdminProhibited,
}

impl Unreachable4 {
    /// The ICMP code.
    pub const fn code(self) -> u8 {
        match self {
            Unreachable4::Net => unreach::NET,
            Unreachable4::Host => unreach::HOST,
            Unreachable4::Protocol => unreach::PROTOCOL,
            Unreachable4::Port => unreach::PORT,
            Unreachable4::AdminProhibited => unreach::ADMIN_PROHIBITED,
        }
    }
}

/// Which ICMPv4 error to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Icmpv4ErrorKind {
    /// Type 11 code 0: TTL exceeded in transit.
    TimeExceeded,
    /// Type 3 with the given code.
    DestUnreachable(Unreachable4),
    /// Type 3 code 4 with the next-hop MTU (RFC 1191 §4).
    FragmentationNeeded {
        /// MTU of the next-hop link.
        mtu: u16,
    },
}

impl Icmpv4ErrorKind {
    /// `(type, code, rest of header)`.
    const fn header(self) -> (u8, u8, u32) {
        match self {
            Icmpv4ErrorKind::TimeExceeded => (icmp::TYPE_TIME_EXCEEDED, 0, 0),
            Icmpv4ErrorKind::DestUnreachable(u) => (icmp::TYPE_DEST_UNREACHABLE, u.code(), 0),
            Icmpv4ErrorKind::FragmentationNeeded { mtu } => (
                icmp::TYPE_DEST_UNREACHABLE,
                unreach::FRAG_NEEDED,
                mtu as u32,
            ),
        }
    }
}

/// Answers an ICMP Echo Request addressed to us (RFC 792, RFC 1122
/// §3.2.2.6): addresses swapped, type 0, TTL 64, data echoed unchanged.
///
/// The reply carries no IP options (RFC 1122 allows dropping Record Route
/// and Timestamp data). A request to a broadcast or multicast address is
/// refused (RFC 1122 §3.2.2.6 "MAY be silently discarded") because the
/// reply's source must be one of our unicast addresses, which this
/// function does not know. Fragmented requests need reassembly and are
/// refused with [`BuildError::Fragmented`].
pub fn icmpv4_echo_reply(
    request_frame: &[u8],
    our_mac: MacAddr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let eth = EthernetFrame::new_checked(request_frame)?;
    let req = Ipv4Packet::new_checked(l3_of(request_frame, ETHERTYPE_IPV4)?)?;
    req.check_checksum()?;
    if req.protocol() != PROTO_ICMP {
        return Err(BuildError::NotEchoRequest);
    }
    if req.is_fragment() {
        return Err(BuildError::Fragmented);
    }
    let dst = req.dst_addr();
    if dst.is_broadcast() {
        return Err(SuppressReason::BroadcastDestination.into());
    }
    if dst.is_multicast() {
        return Err(SuppressReason::MulticastDestination.into());
    }
    if !is_unicast_v4(req.src_addr()) {
        return Err(SuppressReason::SourceNotUnicast.into());
    }
    let echo = Icmpv4Packet::new_checked(req.payload())?;
    if echo.msg_type() != icmp::TYPE_ECHO_REQUEST || echo.code() != 0 {
        return Err(BuildError::NotEchoRequest);
    }
    echo.check_checksum()?;

    let icmp_len = req.payload().len();
    let ip_len = IP_LEN + icmp_len;
    let len = reserve(out, ETH_LEN + ip_len)?;
    write_ethernet(out, eth.src(), our_mac, ETHERTYPE_IPV4);
    write_ipv4(
        &mut out[ETH_LEN..],
        &Ipv4Fields {
            dscp_ecn: req.dscp_ecn(),
            total_len: ip_len as u16,
            ident: req.ident(),
            dont_frag: req.dont_frag(),
            ttl: DEFAULT_TTL,
            protocol: PROTO_ICMP,
            src: dst,
            dst: req.src_addr(),
        },
    );
    let icmp_out = &mut out[ETH_LEN + IP_LEN..ETH_LEN + ip_len];
    icmp_out.copy_from_slice(req.payload());
    let mut rep = Icmpv4Packet::new_unchecked(icmp_out);
    rep.set_msg_type(icmp::TYPE_ECHO_REPLY);
    rep.fill_checksum();
    Ok(len)
}

/// Builds an ICMPv4 error about the IPv4 datagram at `orig_frame[l3_offset..]`
/// (RFC 792, RFC 1812 §4.3.2), sent from `our_ip` / `our_mac` to the
/// datagram's source via `dst_mac`.
///
/// The message quotes the original IP header (options included) and as
/// much of the datagram as keeps the error within 576 bytes of IP
/// (RFC 1812 §4.3.2.3). The original is quoted as received, link padding
/// excluded. Precedence is CS6 (§4.3.2.5), TTL 64, DF set with
/// identification 0 (an atomic datagram, RFC 6864).
///
/// Refused with [`BuildError::Suppressed`] per RFC 1812 §4.3.2.7 when the
/// invoking datagram is an ICMP error, a non-first fragment, sent to an IP
/// or link-layer broadcast/multicast address, or from a source that is not
/// a single host. Directed broadcasts are the caller's to recognise (it
/// knows its subnets). A malformed invoking datagram (including a bad
/// header checksum) is refused with the view's error.
pub fn icmpv4_error(
    orig_frame: &[u8],
    l3_offset: usize,
    kind: Icmpv4ErrorKind,
    our_mac: MacAddr,
    dst_mac: MacAddr,
    our_ip: Ipv4Addr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let l3 = orig_frame.get(l3_offset..).ok_or(BuildError::BadL3Offset)?;
    let orig = Ipv4Packet::new_checked(l3)?;
    orig.check_checksum()?;
    check_link_layer_dst(orig_frame)?;
    let dst = orig.dst_addr();
    if dst.is_broadcast() {
        return Err(SuppressReason::BroadcastDestination.into());
    }
    if dst.is_multicast() {
        return Err(SuppressReason::MulticastDestination.into());
    }
    if !is_unicast_v4(orig.src_addr()) {
        return Err(SuppressReason::SourceNotUnicast.into());
    }
    if orig.is_non_first_fragment() {
        return Err(SuppressReason::NonFirstFragment.into());
    }
    if orig.protocol() == PROTO_ICMP {
        // No type byte: not a valid ICMP message; sending nothing is safe.
        let is_error = orig
            .payload()
            .first()
            .is_none_or(|t| icmp::is_error_type(*t));
        if is_error {
            return Err(SuppressReason::IcmpError.into());
        }
    }

    let quote_max = ICMPV4_ERROR_MAX_LEN - IP_LEN - icmp::HEADER_LEN;
    let datagram = orig.datagram();
    let quote = &datagram[..datagram.len().min(quote_max)];
    let icmp_len = icmp::HEADER_LEN + quote.len();
    let ip_len = IP_LEN + icmp_len;
    let len = reserve(out, ETH_LEN + ip_len)?;
    write_ethernet(out, dst_mac, our_mac, ETHERTYPE_IPV4);
    write_ipv4(
        &mut out[ETH_LEN..],
        &Ipv4Fields {
            dscp_ecn: ERROR_DSCP_ECN,
            total_len: ip_len as u16,
            ident: 0,
            dont_frag: true,
            ttl: DEFAULT_TTL,
            protocol: PROTO_ICMP,
            src: our_ip,
            dst: orig.src_addr(),
        },
    );
    let (msg_type, code, rest) = kind.header();
    let mut msg = Icmpv4Packet::new_unchecked(&mut out[ETH_LEN + IP_LEN..ETH_LEN + ip_len]);
    msg.set_msg_type(msg_type);
    msg.set_code(code);
    msg.set_rest_of_header(rest);
    msg.data_mut().copy_from_slice(quote);
    msg.fill_checksum();
    Ok(len)
}
