//! Neighbor Discovery for IPv6, Neighbor Solicitation and Advertisement
//! only (RFC 4861 §4.3, §4.4, §7): a validating parser and the two
//! builders a router needs to resolve and answer for its addresses.
//!
//! Slow path: the router hands NDP packets to the control plane, which
//! parses them with [`NdpMessage::parse`] and answers with the builders.

use std::net::Ipv6Addr;

use crate::build::{l3_of, reserve, write_ethernet, write_ipv6, BuildError};
use crate::ethernet::{EthernetFrame, MacAddr, ETHERTYPE_IPV6, HEADER_LEN as ETH_LEN};
use crate::icmpv6::{Icmpv6Packet, TYPE_NEIGHBOR_ADVERTISEMENT, TYPE_NEIGHBOR_SOLICITATION};
use crate::ipv6::{Ipv6Packet, HEADER_LEN as IP_LEN, NH_ICMPV6};
use crate::{labelled_error, read_u32};

/// RFC 4861 §7.1: NDP packets must arrive with hop limit 255, proving they
/// were not forwarded by a router.
pub const NDP_HOP_LIMIT: u8 = 255;
/// Length of NS/NA without options: 4-byte header, 4-byte flags/reserved,
/// 16-byte target.
pub const NS_NA_LEN: usize = 24;
/// Option type: Source Link-Layer Address.
pub const OPT_SOURCE_LLADDR: u8 = 1;
/// Option type: Target Link-Layer Address.
pub const OPT_TARGET_LLADDR: u8 = 2;
/// NA flag: sender is a router.
pub const NA_FLAG_ROUTER: u32 = 0x8000_0000;
/// NA flag: sent in response to a solicitation.
pub const NA_FLAG_SOLICITED: u32 = 0x4000_0000;
/// NA flag: override an existing cache entry.
pub const NA_FLAG_OVERRIDE: u32 = 0x2000_0000;
/// ff02::1, all nodes on the link.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// Length of an NS or NA we build: the message and one 8-byte link-layer option.
const BUILT_ICMP_LEN: usize = NS_NA_LEN + 8;

labelled_error! {
    /// Why an NS/NA was refused (RFC 4861 §7.1.1, §7.1.2, RFC 6980).
    pub enum NdpError {
        /// The extension-header chain is malformed.
        BadExtensionHeaders => "bad_extension_headers",
        /// The packet is fragmented (RFC 6980 §5: NDP must not be).
        Fragmented => "fragmented",
        /// The upper layer is not ICMPv6.
        NotIcmpv6 => "not_icmpv6",
        /// The ICMPv6 type is not 135 (NS) or 136 (NA).
        NotNeighborMessage => "not_neighbor_message",
        /// IP hop limit is not 255.
        BadHopLimit => "bad_hop_limit",
        /// ICMPv6 code is not 0.
        BadCode => "bad_code",
        /// ICMPv6 checksum does not verify.
        BadChecksum => "bad_checksum",
        /// ICMPv6 length is below 24 bytes.
        Truncated => "truncated",
        /// The target address is multicast.
        MulticastTarget => "multicast_target",
        /// An option has length 0.
        OptionZeroLength => "option_zero_length",
        /// An option runs past the end of the message.
        OptionTruncated => "option_truncated",
        /// NS from :: not sent to a solicited-node multicast address.
        UnspecifiedSourceNotSolicitedNode => "unspecified_source_not_solicited_node",
        /// NS from :: with a Source Link-Layer Address option.
        UnspecifiedSourceWithLinkLayerOption => "unspecified_source_with_link_layer_option",
        /// NA to a multicast address with the Solicited flag set.
        SolicitedFlagOnMulticast => "solicited_flag_on_multicast",
    }
}

/// Neighbor Solicitation or Advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdpKind {
    /// Type 135.
    NeighborSolicitation,
    /// Type 136.
    NeighborAdvertisement,
}

/// A validated NS or NA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdpMessage {
    /// Which message.
    pub kind: NdpKind,
    /// Target address.
    pub target: Ipv6Addr,
    /// Source Link-Layer Address (NS) or Target Link-Layer Address (NA)
    /// option, the first one with an Ethernet-sized (8-byte) option.
    pub link_layer_addr: Option<MacAddr>,
    /// NA Router flag (false for NS).
    pub router: bool,
    /// NA Solicited flag (false for NS).
    pub solicited: bool,
    /// NA Override flag (false for NS).
    pub override_flag: bool,
}

/// The solicited-node multicast address of `ip`: ff02::1:ff00:0/104 plus
/// its low 24 bits (RFC 4291 §2.7.1).
pub fn solicited_node_multicast(ip: &Ipv6Addr) -> Ipv6Addr {
    let o = ip.octets();
    let low = u16::from_be_bytes([o[14], o[15]]);
    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00 | u16::from(o[13]), low)
}

/// True for ff02::1:ffxx:xxxx.
pub fn is_solicited_node_multicast(ip: &Ipv6Addr) -> bool {
    let s = ip.segments();
    s[..6] == [0xff02, 0, 0, 0, 0, 1] && s[6] >> 8 == 0xff
}

impl NdpMessage {
    /// Validates an NS or NA per RFC 4861 §7.1.1 / §7.1.2 and extracts its
    /// target and link-layer address option.
    pub fn parse<T: AsRef<[u8]>>(ip: &Ipv6Packet<T>) -> Result<NdpMessage, NdpError> {
        let ul = ip
            .upper_layer()
            .map_err(|_| NdpError::BadExtensionHeaders)?;
        if ul.fragment.is_some() {
            return Err(NdpError::Fragmented);
        }
        if ul.protocol != NH_ICMPV6 {
            return Err(NdpError::NotIcmpv6);
        }
        let msg = ip.datagram().get(ul.offset..).unwrap_or(&[]);
        let icmp = Icmpv6Packet::new_checked(msg).map_err(|_| NdpError::Truncated)?;
        let kind = match icmp.msg_type() {
            TYPE_NEIGHBOR_SOLICITATION => NdpKind::NeighborSolicitation,
            TYPE_NEIGHBOR_ADVERTISEMENT => NdpKind::NeighborAdvertisement,
            _ => return Err(NdpError::NotNeighborMessage),
        };
        if ip.hop_limit() != NDP_HOP_LIMIT {
            return Err(NdpError::BadHopLimit);
        }
        if !icmp.verify_checksum(&ip.src_addr(), &ip.dst_addr()) {
            return Err(NdpError::BadChecksum);
        }
        if icmp.code() != 0 {
            return Err(NdpError::BadCode);
        }
        if msg.len() < NS_NA_LEN {
            return Err(NdpError::Truncated);
        }
        let mut t = [0u8; 16];
        t.copy_from_slice(&msg[8..24]);
        let target = Ipv6Addr::from(t);
        if target.is_multicast() {
            return Err(NdpError::MulticastTarget);
        }
        let wanted = match kind {
            NdpKind::NeighborSolicitation => OPT_SOURCE_LLADDR,
            NdpKind::NeighborAdvertisement => OPT_TARGET_LLADDR,
        };
        let mut link_layer_addr = None;
        let mut opts = &msg[NS_NA_LEN..];
        while let [opt_type, opt_len, ..] = *opts {
            let len = usize::from(opt_len) * 8;
            if len == 0 {
                return Err(NdpError::OptionZeroLength);
            }
            let opt = opts.get(..len).ok_or(NdpError::OptionTruncated)?;
            if opt_type == wanted && len == 8 && link_layer_addr.is_none() {
                link_layer_addr = MacAddr::from_bytes(&opt[2..]);
            }
            opts = &opts[len..];
        }
        if !opts.is_empty() {
            return Err(NdpError::OptionTruncated);
        }
        let flags = read_u32(msg, 4);
        let out = NdpMessage {
            kind,
            target,
            link_layer_addr,
            router: kind == NdpKind::NeighborAdvertisement && flags & NA_FLAG_ROUTER != 0,
            solicited: kind == NdpKind::NeighborAdvertisement && flags & NA_FLAG_SOLICITED != 0,
            override_flag: kind == NdpKind::NeighborAdvertisement && flags & NA_FLAG_OVERRIDE != 0,
        };
        match kind {
            NdpKind::NeighborSolicitation if ip.src_addr().is_unspecified() => {
                if !is_solicited_node_multicast(&ip.dst_addr()) {
                    return Err(NdpError::UnspecifiedSourceNotSolicitedNode);
                }
                if out.link_layer_addr.is_some() {
                    return Err(NdpError::UnspecifiedSourceWithLinkLayerOption);
                }
            }
            NdpKind::NeighborAdvertisement if ip.dst_addr().is_multicast() && out.solicited => {
                return Err(NdpError::SolicitedFlagOnMulticast);
            }
            _ => {}
        }
        Ok(out)
    }
}

/// Writes an NS/NA message (`BUILT_ICMP_LEN` bytes) with one link-layer
/// option and its checksum.
fn write_ns_na(
    buf: &mut [u8],
    msg_type: u8,
    flags: u32,
    target: &Ipv6Addr,
    (opt_type, mac): (u8, MacAddr),
    (src, dst): (&Ipv6Addr, &Ipv6Addr),
) {
    let msg = &mut buf[..BUILT_ICMP_LEN];
    msg[0] = msg_type;
    msg[1] = 0;
    msg[4..8].copy_from_slice(&flags.to_be_bytes());
    msg[8..24].copy_from_slice(&target.octets());
    msg[24] = opt_type;
    msg[25] = 1;
    msg[26..32].copy_from_slice(&mac.0);
    Icmpv6Packet::new_unchecked(msg).fill_checksum(src, dst);
}

/// Answers a Neighbor Solicitation for one of our addresses (RFC 4861
/// §7.2.4): Router and Override flags set, Target Link-Layer Address
/// `our_mac`, hop limit 255, source = the NS target.
///
/// Sent to the NS source with the Solicited flag (link-layer destination:
/// the NS's Source Link-Layer Address option, else its Ethernet source),
/// or, if the NS came from `::` (duplicate address detection), to
/// all-nodes ff02::1 with the Solicited flag clear. The caller checks
/// that the target is ours.
pub fn ndp_neighbor_advertisement(
    ns_frame: &[u8],
    our_mac: MacAddr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let eth = EthernetFrame::new_checked(ns_frame)?;
    let ip = Ipv6Packet::new_checked(l3_of(ns_frame, ETHERTYPE_IPV6)?)?;
    let ns = NdpMessage::parse(&ip)?;
    if ns.kind != NdpKind::NeighborSolicitation {
        return Err(BuildError::NotNeighborSolicitation);
    }
    let (dst_ip, dst_mac, solicited) = if ip.src_addr().is_unspecified() {
        (ALL_NODES, MacAddr::from_ipv6_multicast(&ALL_NODES), 0)
    } else {
        (
            ip.src_addr(),
            ns.link_layer_addr.unwrap_or(eth.src()),
            NA_FLAG_SOLICITED,
        )
    };
    let len = reserve(out, ETH_LEN + IP_LEN + BUILT_ICMP_LEN)?;
    write_ethernet(out, dst_mac, our_mac, ETHERTYPE_IPV6);
    let src_ip = ns.target;
    write_ipv6(
        &mut out[ETH_LEN..],
        BUILT_ICMP_LEN as u16,
        NH_ICMPV6,
        NDP_HOP_LIMIT,
        &src_ip,
        &dst_ip,
    );
    write_ns_na(
        &mut out[ETH_LEN + IP_LEN..],
        TYPE_NEIGHBOR_ADVERTISEMENT,
        NA_FLAG_ROUTER | solicited | NA_FLAG_OVERRIDE,
        &ns.target,
        (OPT_TARGET_LLADDR, our_mac),
        (&src_ip, &dst_ip),
    );
    Ok(len)
}

/// Builds a multicast Neighbor Solicitation for `target_ip` (RFC 4861
/// §7.2.2): to its solicited-node address ff02::1:ffxx:xxxx on
/// 33:33:ff:xx:xx:xx, from `our_ip` with a Source Link-Layer Address
/// option, hop limit 255.
pub fn ndp_neighbor_solicitation(
    our_mac: MacAddr,
    our_ip: Ipv6Addr,
    target_ip: Ipv6Addr,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let dst_ip = solicited_node_multicast(&target_ip);
    let len = reserve(out, ETH_LEN + IP_LEN + BUILT_ICMP_LEN)?;
    write_ethernet(
        out,
        MacAddr::from_ipv6_multicast(&dst_ip),
        our_mac,
        ETHERTYPE_IPV6,
    );
    write_ipv6(
        &mut out[ETH_LEN..],
        BUILT_ICMP_LEN as u16,
        NH_ICMPV6,
        NDP_HOP_LIMIT,
        &our_ip,
        &dst_ip,
    );
    write_ns_na(
        &mut out[ETH_LEN + IP_LEN..],
        TYPE_NEIGHBOR_SOLICITATION,
        0,
        &target_ip,
        (OPT_SOURCE_LLADDR, our_mac),
        (&our_ip, &dst_ip),
    );
    Ok(len)
}

#[cfg(test)]
#[path = "ndp_tests.rs"]
mod tests;
