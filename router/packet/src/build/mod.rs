//! Slow-path packet builders for the control plane's exception handling:
//! ARP, ICMPv4 and ICMPv6 replies and errors, NDP (see [`crate::ndp`]).
//!
//! # Contract
//!
//! Every builder is a pure function that writes one complete, untagged
//! Ethernet II frame at the start of a caller-provided `out` buffer and
//! returns its length. Frames shorter than the 60-byte Ethernet minimum are
//! zero-padded to 60 (the IP total length / payload length still says how
//! much is datagram). Nothing is allocated; on error `out` may have been
//! partly written.
//!
//! Input frames may carry up to two VLAN tags (they are parsed with
//! [`parse_l2`]); the output is never tagged, see [`insert_vlan_tag`].
//!
//! Builders that answer a packet re-validate it with the phase-1 views and
//! report a malformed input as the view's own error. ICMP errors that the
//! RFCs forbid are refused with [`BuildError::Suppressed`], whose reason is
//! meant to become a counter.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::arp::{self, ArpError, ArpPacket};
use crate::ethernet::{
    self, is_vlan_tpid, parse_l2, EthernetError, EthernetFrame, MacAddr, ETHERTYPE_ARP,
};
use crate::icmp::Icmpv4Error;
use crate::icmpv6::Icmpv6Error;
use crate::ipv4::{Ipv4Error, Ipv4Packet};
use crate::ipv6::{Ipv6Error, Ipv6Packet};
use crate::labelled_error;
use crate::ndp::NdpError;

mod icmpv4;
mod icmpv6;

pub use icmpv4::{icmpv4_echo_reply, icmpv4_error, Icmpv4ErrorKind, Unreachable4};
pub use icmpv6::{icmpv6_echo_reply, icmpv6_error, Icmpv6ErrorKind, Unreachable6};

/// Minimum Ethernet frame length without FCS (IEEE 802.3 §4.4.2: 64 bytes
/// with the 4-byte FCS). Shorter output is zero-padded.
pub const MIN_FRAME_LEN: usize = 60;
/// Default TTL / hop limit of packets we originate (RFC 1700 / Linux default).
pub const DEFAULT_TTL: u8 = 64;

labelled_error! {
    /// Why an ICMP error was not generated (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e)).
    pub enum SuppressReason {
        /// The invoking packet is itself an ICMP/ICMPv6 error message.
        IcmpError => "icmp_error",
        /// The invoking packet is an ICMPv6 Redirect (RFC 4443 §2.4(e.2)).
        IcmpRedirect => "icmp_redirect",
        /// The invoking packet is a non-first IPv4 fragment.
        NonFirstFragment => "non_first_fragment",
        /// The invoking packet was sent to an IP multicast address.
        MulticastDestination => "multicast_destination",
        /// The invoking packet was sent to 255.255.255.255.
        BroadcastDestination => "broadcast_destination",
        /// The invoking frame was sent to a link-layer multicast address.
        LinkLayerMulticast => "link_layer_multicast",
        /// The invoking frame was sent to the link-layer broadcast address.
        LinkLayerBroadcast => "link_layer_broadcast",
        /// The invoking packet's source does not name a single host
        /// (0/8, 127/8, multicast, 240/4 incl. broadcast; ::, ::1, ff00::/8).
        SourceNotUnicast => "source_not_unicast",
    }
}

/// Why a builder wrote nothing usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildError {
    /// `out` is shorter than the frame to write.
    BufferTooSmall,
    /// The RFCs forbid answering this packet with an ICMP error.
    Suppressed(SuppressReason),
    /// The input frame's Ethernet header is malformed.
    Ethernet(EthernetError),
    /// The input ARP packet is malformed.
    Arp(ArpError),
    /// The input IPv4 packet is malformed (header checksum included).
    Ipv4(Ipv4Error),
    /// The input IPv6 packet is malformed (extension chain included).
    Ipv6(Ipv6Error),
    /// The input ICMPv4 message is malformed.
    Icmpv4(Icmpv4Error),
    /// The input ICMPv6 message is malformed.
    Icmpv6(Icmpv6Error),
    /// The input NDP message is invalid (RFC 4861 §7.1).
    Ndp(NdpError),
    /// The input frame's EtherType is not the one this builder answers.
    WrongEthertype,
    /// The given L3 offset is beyond the input frame.
    BadL3Offset,
    /// The input is an ARP reply, not a request.
    NotArpRequest,
    /// The input is not an ICMP/ICMPv6 Echo Request (wrong protocol, type or code).
    NotEchoRequest,
    /// The input is a Neighbor Advertisement, not a Solicitation.
    NotNeighborSolicitation,
    /// The input is an IP fragment; answering needs reassembly.
    Fragmented,
    /// VLAN id above 4095 or a TPID that is not a VLAN TPID.
    BadVlanTag,
}

impl BuildError {
    /// Static label of the outer variant (nested view errors have their
    /// own `as_str`; see [`Display`](fmt::Display) for both).
    pub const fn as_str(&self) -> &'static str {
        match self {
            BuildError::BufferTooSmall => "buffer_too_small",
            BuildError::Suppressed(_) => "suppressed",
            BuildError::Ethernet(_) => "bad_ethernet",
            BuildError::Arp(_) => "bad_arp",
            BuildError::Ipv4(_) => "bad_ipv4",
            BuildError::Ipv6(_) => "bad_ipv6",
            BuildError::Icmpv4(_) => "bad_icmpv4",
            BuildError::Icmpv6(_) => "bad_icmpv6",
            BuildError::Ndp(_) => "bad_ndp",
            BuildError::WrongEthertype => "wrong_ethertype",
            BuildError::BadL3Offset => "bad_l3_offset",
            BuildError::NotArpRequest => "not_arp_request",
            BuildError::NotEchoRequest => "not_echo_request",
            BuildError::NotNeighborSolicitation => "not_neighbor_solicitation",
            BuildError::Fragmented => "fragmented",
            BuildError::BadVlanTag => "bad_vlan_tag",
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = match self {
            BuildError::Suppressed(e) => e.as_str(),
            BuildError::Ethernet(e) => e.as_str(),
            BuildError::Arp(e) => e.as_str(),
            BuildError::Ipv4(e) => e.as_str(),
            BuildError::Ipv6(e) => e.as_str(),
            BuildError::Icmpv4(e) => e.as_str(),
            BuildError::Icmpv6(e) => e.as_str(),
            BuildError::Ndp(e) => e.as_str(),
            _ => return f.write_str(self.as_str()),
        };
        write!(f, "{}: {}", self.as_str(), inner)
    }
}

impl std::error::Error for BuildError {}

macro_rules! from_view_error {
    ($($ty:ty => $variant:ident),+) => {
        $(impl From<$ty> for BuildError {
            fn from(e: $ty) -> Self {
                BuildError::$variant(e)
            }
        })+
    };
}
from_view_error!(
    EthernetError => Ethernet, ArpError => Arp, Ipv4Error => Ipv4, Ipv6Error => Ipv6,
    Icmpv4Error => Icmpv4, Icmpv6Error => Icmpv6, NdpError => Ndp, SuppressReason => Suppressed
);

/// Returns the L3 bytes of `frame` if its (possibly tagged) EtherType is `ethertype`.
pub(crate) fn l3_of(frame: &[u8], ethertype: u16) -> Result<&[u8], BuildError> {
    let l2 = parse_l2(frame)?;
    if l2.ethertype != ethertype {
        return Err(BuildError::WrongEthertype);
    }
    frame.get(l2.l3_offset..).ok_or(BuildError::BadL3Offset)
}

/// Checks `out` can take a `len`-byte frame (padded to [`MIN_FRAME_LEN`]),
/// zeroes the padding, and returns the padded length.
pub(crate) fn reserve(out: &mut [u8], len: usize) -> Result<usize, BuildError> {
    let padded = len.max(MIN_FRAME_LEN);
    let frame = out.get_mut(..padded).ok_or(BuildError::BufferTooSmall)?;
    frame[len..].fill(0);
    Ok(padded)
}

/// Writes the 14-byte Ethernet header. `out` holds at least 14 bytes.
pub(crate) fn write_ethernet(out: &mut [u8], dst: MacAddr, src: MacAddr, ethertype: u16) {
    let mut eth = EthernetFrame::new_unchecked(out);
    eth.set_dst(dst);
    eth.set_src(src);
    eth.set_ethertype(ethertype);
}

/// Fields of an IPv4 header we originate (no options).
pub(crate) struct Ipv4Fields {
    pub dscp_ecn: u8,
    pub total_len: u16,
    pub ident: u16,
    pub dont_frag: bool,
    pub ttl: u8,
    pub protocol: u8,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
}

/// Writes a 20-byte IPv4 header with its checksum. `buf` holds >= 20 bytes.
pub(crate) fn write_ipv4(buf: &mut [u8], f: &Ipv4Fields) {
    let mut ip = Ipv4Packet::new_unchecked(buf);
    ip.set_version_and_header_len(crate::ipv4::MIN_HEADER_LEN);
    ip.set_dscp_ecn(f.dscp_ecn);
    ip.set_total_len(f.total_len);
    ip.set_ident(f.ident);
    ip.set_flags_and_frag_offset(f.dont_frag, false, 0);
    ip.set_ttl(f.ttl);
    ip.set_protocol(f.protocol);
    ip.set_src_addr(f.src);
    ip.set_dst_addr(f.dst);
    ip.set_checksum(0);
    ip.fill_checksum();
}

/// Writes a 40-byte IPv6 header. `buf` holds >= 40 bytes.
pub(crate) fn write_ipv6(
    buf: &mut [u8],
    payload_len: u16,
    next_header: u8,
    hop_limit: u8,
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
) {
    let mut ip = Ipv6Packet::new_unchecked(buf);
    ip.set_version_tc_flow(0, 0);
    ip.set_payload_len(payload_len);
    ip.set_next_header(next_header);
    ip.set_hop_limit(hop_limit);
    ip.set_src_addr(*src);
    ip.set_dst_addr(*dst);
}

/// Answers an ARP request (RFC 826 "packet reception": swap sender and
/// target, fill in our hardware address, opcode reply).
///
/// The caller has checked that the target protocol address is ours; the
/// reply is unicast to the requester's hardware address.
pub fn arp_reply(
    request_frame: &[u8],
    our_mac: MacAddr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let req = ArpPacket::new_checked(l3_of(request_frame, ETHERTYPE_ARP)?)?;
    if req.oper() != arp::OP_REQUEST {
        return Err(BuildError::NotArpRequest);
    }
    let len = reserve(out, ethernet::HEADER_LEN + arp::PACKET_LEN)?;
    write_ethernet(out, req.sha(), our_mac, ETHERTYPE_ARP);
    let mut rep = ArpPacket::new_unchecked(&mut out[ethernet::HEADER_LEN..]);
    rep.set_ethernet_ipv4();
    rep.set_oper(arp::OP_REPLY);
    rep.set_sha(our_mac);
    rep.set_spa(req.tpa());
    rep.set_tha(req.sha());
    rep.set_tpa(req.spa());
    Ok(len)
}

/// Builds a broadcast ARP request: who has `target_ip`? Tell `our_ip`.
pub fn arp_request(
    our_mac: MacAddr,
    our_ip: Ipv4Addr,
    target_ip: Ipv4Addr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let len = reserve(out, ethernet::HEADER_LEN + arp::PACKET_LEN)?;
    write_ethernet(out, MacAddr::BROADCAST, our_mac, ETHERTYPE_ARP);
    let mut req = ArpPacket::new_unchecked(&mut out[ethernet::HEADER_LEN..]);
    req.set_ethernet_ipv4();
    req.set_oper(arp::OP_REQUEST);
    req.set_sha(our_mac);
    req.set_spa(our_ip);
    req.set_tha(MacAddr::ZERO);
    req.set_tpa(target_ip);
    Ok(len)
}

/// Inserts a VLAN tag after the MAC addresses of the `len`-byte frame at
/// the start of `frame`, moving the rest 4 bytes right. Returns the new
/// length. `tpid` must be a VLAN TPID (0x8100, 0x88a8, 0x9100), `vid` <= 4095;
/// the priority (PCP) is `pcp & 7`.
pub fn insert_vlan_tag(
    frame: &mut [u8],
    len: usize,
    tpid: u16,
    pcp: u8,
    vid: u16,
) -> Result<usize, BuildError> {
    if !is_vlan_tpid(tpid) || vid > 0x0FFF {
        return Err(BuildError::BadVlanTag);
    }
    if len < ethernet::HEADER_LEN {
        return Err(BuildError::Ethernet(EthernetError::Truncated));
    }
    let new_len = len + ethernet::VLAN_TAG_LEN;
    let buf = frame.get_mut(..new_len).ok_or(BuildError::BufferTooSmall)?;
    buf.copy_within(12..len, 12 + ethernet::VLAN_TAG_LEN);
    buf[12..14].copy_from_slice(&tpid.to_be_bytes());
    let tci = (u16::from(pcp & 7) << 13) | vid;
    buf[14..16].copy_from_slice(&tci.to_be_bytes());
    Ok(new_len)
}

/// An IPv4 source that names a single host (RFC 1812 §4.3.2.7, §5.3.7):
/// not 0/8, 127/8, multicast 224/4 or 240/4 (which includes broadcast).
pub(crate) fn is_unicast_v4(ip: Ipv4Addr) -> bool {
    let first = ip.octets()[0];
    first != 0 && first != 127 && first < 224
}

/// An IPv6 source that names a single node (RFC 4443 §2.4(e.6)): not
/// unspecified, not loopback (never valid on a wire, RFC 4291 §2.5.3), not
/// multicast.
pub(crate) fn is_unicast_v6(ip: &Ipv6Addr) -> bool {
    !(ip.is_unspecified() || ip.is_loopback() || ip.is_multicast())
}

/// Refuses frames sent to a link-layer group address.
pub(crate) fn check_link_layer_dst(frame: &[u8]) -> Result<(), BuildError> {
    let dst = EthernetFrame::new_checked(frame)?.dst();
    if dst.is_broadcast() {
        return Err(SuppressReason::LinkLayerBroadcast.into());
    }
    if dst.is_multicast() {
        return Err(SuppressReason::LinkLayerMulticast.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests_arp;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_v4;
#[cfg(test)]
mod tests_v6;
#[cfg(test)]
pub(crate) mod testutil;
