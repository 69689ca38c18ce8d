use super::*;
use crate::build::testutil::*;
use crate::ethernet::parse_l2;

/// An NS from `src` to `dst` for `target`, with optional SLLA option.
fn ns_frame(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    target: Ipv6Addr,
    slla: Option<MacAddr>,
    hops: u8,
) -> Vec<u8> {
    let mut data = target.octets().to_vec();
    if let Some(mac) = slla {
        data.extend_from_slice(&[OPT_SOURCE_LLADDR, 1]);
        data.extend_from_slice(&mac.0);
    }
    icmpv6_frame(src, dst, hops, TYPE_NEIGHBOR_SOLICITATION, 0, 0, &data)
}

fn parse(frame: &[u8]) -> Result<NdpMessage, NdpError> {
    let l2 = parse_l2(frame).unwrap();
    NdpMessage::parse(&Ipv6Packet::new_checked(&frame[l2.l3_offset..]).unwrap())
}

#[test]
fn solicited_node_address() {
    let ip: Ipv6Addr = "2001:db8::1234:5678".parse().unwrap();
    let sn = solicited_node_multicast(&ip);
    assert_eq!(sn, "ff02::1:ff34:5678".parse::<Ipv6Addr>().unwrap());
    assert!(is_solicited_node_multicast(&sn));
    assert!(!is_solicited_node_multicast(&ALL_NODES));
}

#[test]
fn neighbor_solicitation_build_and_parse() {
    let target: Ipv6Addr = "2001:db8::abcd:ef01".parse().unwrap();
    let mut out = [0u8; 100];
    let n = ndp_neighbor_solicitation(ROUTER_MAC, ROUTER_V6, target, &mut out).unwrap();
    assert_eq!(n, 14 + 40 + 32);
    let eth = EthernetFrame::new_checked(&out[..n]).unwrap();
    assert_eq!(eth.dst().to_string(), "33:33:ff:cd:ef:01");
    assert_eq!(eth.src(), ROUTER_MAC);
    let ip = Ipv6Packet::new_checked(&out[14..n]).unwrap();
    assert_eq!(
        ip.dst_addr(),
        "ff02::1:ffcd:ef01".parse::<Ipv6Addr>().unwrap()
    );
    assert_eq!((ip.src_addr(), ip.hop_limit()), (ROUTER_V6, 255));
    let msg = parse(&out[..n]).unwrap();
    assert_eq!(msg.kind, NdpKind::NeighborSolicitation);
    assert_eq!(
        (msg.target, msg.link_layer_addr),
        (target, Some(ROUTER_MAC))
    );
    assert!(!msg.router && !msg.solicited && !msg.override_flag);
}

#[test]
fn neighbor_advertisement_to_solicitor() {
    let ns = ns_frame(
        HOST_V6,
        solicited_node_multicast(&ROUTER_V6),
        ROUTER_V6,
        Some(NEXT_HOP_MAC),
        255,
    );
    let mut out = [0u8; 100];
    let n = ndp_neighbor_advertisement(&ns, ROUTER_MAC, &mut out).unwrap();
    assert_eq!(n, 86);
    let eth = EthernetFrame::new_checked(&out[..n]).unwrap();
    // The SLLA option wins over the Ethernet source (HOST_MAC).
    assert_eq!((eth.dst(), eth.src()), (NEXT_HOP_MAC, ROUTER_MAC));
    let ip = Ipv6Packet::new_checked(&out[14..n]).unwrap();
    assert_eq!(
        (ip.src_addr(), ip.dst_addr(), ip.hop_limit()),
        (ROUTER_V6, HOST_V6, 255)
    );
    let na = parse(&out[..n]).unwrap();
    assert_eq!(na.kind, NdpKind::NeighborAdvertisement);
    assert_eq!(
        (na.target, na.link_layer_addr),
        (ROUTER_V6, Some(ROUTER_MAC))
    );
    assert!(na.router && na.solicited && na.override_flag);
    #[rustfmt::skip]
    assert_eq!(&out[14 + 40..14 + 40 + 8], &[136, 0, out[56], out[57], 0xE0, 0, 0, 0]);
    // Without SLLA: to the Ethernet source.
    let ns = ns_frame(HOST_V6, ROUTER_V6, ROUTER_V6, None, 255);
    let n = ndp_neighbor_advertisement(&ns, ROUTER_MAC, &mut out).unwrap();
    assert_eq!(
        EthernetFrame::new_checked(&out[..n]).unwrap().dst(),
        HOST_MAC
    );
}

#[test]
fn neighbor_advertisement_for_dad() {
    let ns = ns_frame(
        Ipv6Addr::UNSPECIFIED,
        solicited_node_multicast(&ROUTER_V6),
        ROUTER_V6,
        None,
        255,
    );
    let mut out = [0u8; 100];
    let n = ndp_neighbor_advertisement(&ns, ROUTER_MAC, &mut out).unwrap();
    let eth = EthernetFrame::new_checked(&out[..n]).unwrap();
    assert_eq!(eth.dst().to_string(), "33:33:00:00:00:01");
    let ip = Ipv6Packet::new_checked(&out[14..n]).unwrap();
    assert_eq!(ip.dst_addr(), ALL_NODES);
    let na = parse(&out[..n]).unwrap();
    assert!(na.router && !na.solicited && na.override_flag);
}

#[test]
fn parse_rejects() {
    let sn = solicited_node_multicast(&ROUTER_V6);
    let ok = ns_frame(HOST_V6, sn, ROUTER_V6, Some(HOST_MAC), 255);
    assert!(parse(&ok).is_ok());
    // Hop limit must be 255 (message forwarded by a router otherwise).
    let f = ns_frame(HOST_V6, sn, ROUTER_V6, Some(HOST_MAC), 254);
    assert_eq!(parse(&f), Err(NdpError::BadHopLimit));
    // Code must be 0.
    let f = icmpv6_frame(
        HOST_V6,
        sn,
        255,
        TYPE_NEIGHBOR_SOLICITATION,
        1,
        0,
        &ROUTER_V6.octets(),
    );
    assert_eq!(parse(&f), Err(NdpError::BadCode));
    // Bad checksum.
    let mut f = ok.clone();
    let last = f.len() - 1;
    f[last] ^= 1;
    assert_eq!(parse(&f), Err(NdpError::BadChecksum));
    // Too short.
    let f = icmpv6_frame(
        HOST_V6,
        sn,
        255,
        TYPE_NEIGHBOR_SOLICITATION,
        0,
        0,
        &[0u8; 8],
    );
    assert_eq!(parse(&f), Err(NdpError::Truncated));
    // Multicast target.
    let f = ns_frame(HOST_V6, sn, ALL_NODES, None, 255);
    assert_eq!(parse(&f), Err(NdpError::MulticastTarget));
    // Zero-length option, truncated option.
    let mut data = ROUTER_V6.octets().to_vec();
    data.extend_from_slice(&[OPT_SOURCE_LLADDR, 0, 0, 0, 0, 0, 0, 0]);
    let f = icmpv6_frame(HOST_V6, sn, 255, TYPE_NEIGHBOR_SOLICITATION, 0, 0, &data);
    assert_eq!(parse(&f), Err(NdpError::OptionZeroLength));
    data[17] = 2;
    let f = icmpv6_frame(HOST_V6, sn, 255, TYPE_NEIGHBOR_SOLICITATION, 0, 0, &data);
    assert_eq!(parse(&f), Err(NdpError::OptionTruncated));
    let f = icmpv6_frame(
        HOST_V6,
        sn,
        255,
        TYPE_NEIGHBOR_SOLICITATION,
        0,
        0,
        &data[..17],
    );
    assert_eq!(parse(&f), Err(NdpError::OptionTruncated));
    // DAD rules: from :: only to solicited-node, and without SLLA.
    let f = ns_frame(Ipv6Addr::UNSPECIFIED, ROUTER_V6, ROUTER_V6, None, 255);
    assert_eq!(parse(&f), Err(NdpError::UnspecifiedSourceNotSolicitedNode));
    let f = ns_frame(Ipv6Addr::UNSPECIFIED, sn, ROUTER_V6, Some(HOST_MAC), 255);
    assert_eq!(
        parse(&f),
        Err(NdpError::UnspecifiedSourceWithLinkLayerOption)
    );
    // NA to multicast with S set.
    let f = icmpv6_frame(
        HOST_V6,
        ALL_NODES,
        255,
        TYPE_NEIGHBOR_ADVERTISEMENT,
        0,
        NA_FLAG_SOLICITED,
        &HOST_V6.octets(),
    );
    assert_eq!(parse(&f), Err(NdpError::SolicitedFlagOnMulticast));
    // Other ICMPv6 / not ICMPv6 / fragmented.
    let f = icmpv6_frame(HOST_V6, ROUTER_V6, 255, 128, 0, 0, &[0u8; 16]);
    assert_eq!(parse(&f), Err(NdpError::NotNeighborMessage));
    let f = ipv6_frame(HOST_V6, ROUTER_V6, 17, 255, &[0u8; 8]);
    assert_eq!(parse(&f), Err(NdpError::NotIcmpv6));
    let f = ipv6_frame(
        HOST_V6,
        ROUTER_V6,
        44,
        255,
        &[58, 0, 0, 1, 0, 0, 0, 1, 135, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(parse(&f), Err(NdpError::Fragmented));
}

#[test]
fn advertisement_builder_rejects() {
    let mut out = [0u8; 100];
    let na = icmpv6_frame(
        HOST_V6,
        ROUTER_V6,
        255,
        TYPE_NEIGHBOR_ADVERTISEMENT,
        0,
        0,
        &HOST_V6.octets(),
    );
    assert_eq!(
        ndp_neighbor_advertisement(&na, ROUTER_MAC, &mut out),
        Err(BuildError::NotNeighborSolicitation)
    );
    let ns = ns_frame(HOST_V6, ROUTER_V6, ROUTER_V6, None, 64);
    assert_eq!(
        ndp_neighbor_advertisement(&ns, ROUTER_MAC, &mut out),
        Err(BuildError::Ndp(NdpError::BadHopLimit))
    );
    let ns = ns_frame(HOST_V6, ROUTER_V6, ROUTER_V6, None, 255);
    assert_eq!(
        ndp_neighbor_advertisement(&ns, ROUTER_MAC, &mut out[..85]),
        Err(BuildError::BufferTooSmall)
    );
    assert_eq!(
        ndp_neighbor_solicitation(ROUTER_MAC, ROUTER_V6, HOST_V6, &mut out[..85]),
        Err(BuildError::BufferTooSmall)
    );
}
