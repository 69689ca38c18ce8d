//! Every packet view's `new_checked` and accessors over arbitrary bytes,
//! the setters with arbitrary values followed by the accessors again (the
//! views promise no accessor panics after `new_checked`, even when a setter
//! wrote a nonsensical length), and the slow-path builders that parse a
//! frame they answer.
//!
//! Each view sees the whole input and the input past the Ethernet header
//! (where `parse_l2` says L3 starts), so both raw headers and whole frames
//! are exercised.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use silkroute_packet::build::{
    self, Icmpv4ErrorKind, Icmpv6ErrorKind, Unreachable4, Unreachable6, MIN_FRAME_LEN,
};
use silkroute_packet::{
    l4, ndp, parse_l2, ArpPacket, EthernetFrame, Icmpv4Packet, Icmpv6Packet, Ipv4Packet,
    Ipv6Packet, MacAddr, NdpMessage,
};

/// Fuzzer-chosen values for the setters, taken from the input's tail.
fn word(data: &[u8], at: usize) -> u32 {
    let n = data.len();
    let b = |i: usize| if n == 0 { 0 } else { data[(at + i) % n] };
    u32::from_be_bytes([b(0), b(1), b(2), b(3)])
}

fn views(bytes: &[u8], seed: u32) {
    let mut buf = bytes.to_vec();
    if let Ok(mut e) = EthernetFrame::new_checked(&mut buf[..]) {
        let _ = (e.dst(), e.src(), e.ethertype(), e.payload().len());
        e.set_ethertype(seed as u16);
        e.set_dst(MacAddr([seed as u8; 6]));
        e.set_src(MacAddr::BROADCAST);
        let _ = (e.dst().is_multicast(), e.payload_mut().len());
    }
    let mut buf = bytes.to_vec();
    if let Ok(mut a) = ArpPacket::new_checked(&mut buf[..]) {
        let _ = (a.htype(), a.ptype(), a.hlen(), a.plen(), a.oper());
        let _ = (a.sha(), a.spa(), a.tha(), a.tpa(), a.is_gratuitous());
        a.set_hlen(seed as u8);
        a.set_plen((seed >> 8) as u8);
        a.set_oper(seed as u16);
        a.set_tpa(Ipv4Addr::from(seed));
        let _ = (a.sha(), a.tpa(), a.is_gratuitous());
    }
    let mut buf = bytes.to_vec();
    if let Ok(mut ip) = Ipv4Packet::new_checked(&mut buf[..]) {
        let _ = (ip.version(), ip.ihl(), ip.header_len(), ip.dscp(), ip.ecn());
        let _ = (ip.total_len(), ip.ident(), ip.flags(), ip.dont_frag());
        let _ = (ip.more_frags(), ip.frag_offset(), ip.frag_offset_bytes());
        let _ = (ip.is_fragment(), ip.is_non_first_fragment(), ip.ttl());
        let _ = (ip.protocol(), ip.checksum(), ip.src_addr(), ip.dst_addr());
        let _ = (ip.header().len(), ip.options().len(), ip.payload().len());
        let _ = (
            ip.datagram().len(),
            ip.verify_checksum(),
            ip.check_checksum(),
        );
        let _ = l4::ports_v4(&ip);
        let ttl = ip.ttl();
        ip.fill_checksum();
        assert!(ip.verify_checksum(), "fill_checksum does not verify");
        if ttl > 0 {
            // RFC 1624 incremental update keeps the checksum valid.
            ip.decrement_ttl();
            assert!(ip.verify_checksum(), "decrement_ttl broke the checksum");
        }
        // Nonsense lengths after the check must not make accessors panic.
        ip.set_total_len(seed as u16);
        ip.set_version_and_header_len(usize::from((seed >> 16) as u8 & 0x3c));
        ip.set_flags_and_frag_offset(seed & 1 != 0, seed & 2 != 0, (seed >> 3) as u16);
        let _ = (ip.header().len(), ip.options().len(), ip.payload().len());
        let _ = (ip.datagram().len(), ip.verify_checksum(), l4::ports_v4(&ip));
        let _ = (ip.options_mut().len(), ip.payload_mut().len());
    }
    let mut buf = bytes.to_vec();
    if let Ok(mut ip) = Ipv6Packet::new_checked(&mut buf[..]) {
        let _ = (ip.version(), ip.traffic_class(), ip.flow_label());
        let _ = (ip.payload_len(), ip.next_header(), ip.hop_limit());
        let _ = (ip.src_addr(), ip.dst_addr(), ip.src_u128(), ip.dst_u128());
        let _ = (ip.payload().len(), ip.datagram().len());
        if let Ok(ul) = ip.upper_layer() {
            assert!(
                ul.offset <= ip.datagram().len(),
                "upper layer beyond datagram"
            );
            let _ = l4::ports_v6(&ul, ip.datagram());
        }
        let _ = NdpMessage::parse(&ip);
        ip.set_payload_len(seed as u16);
        ip.set_next_header((seed >> 16) as u8);
        ip.set_flow_label(seed);
        let _ = (ip.payload().len(), ip.datagram().len(), ip.upper_layer());
        let _ = (NdpMessage::parse(&ip), ip.payload_mut().len());
    }
    let mut buf = bytes.to_vec();
    if let Ok(mut m) = Icmpv4Packet::new_checked(&mut buf[..]) {
        let _ = (m.msg_type(), m.code(), m.checksum(), m.rest_of_header());
        let _ = (
            m.echo_ident(),
            m.echo_seq(),
            m.next_hop_mtu(),
            m.data().len(),
        );
        let _ = (m.is_error(), m.verify_checksum(), m.check_checksum());
        m.fill_checksum();
        assert!(m.verify_checksum(), "ICMP fill_checksum does not verify");
    }
    let mut buf = bytes.to_vec();
    if let Ok(mut m) = Icmpv6Packet::new_checked(&mut buf[..]) {
        let (s, d) = (Ipv6Addr::from(u128::from(seed)), Ipv6Addr::LOCALHOST);
        let _ = (m.msg_type(), m.code(), m.checksum(), m.rest_of_header());
        let _ = (m.mtu(), m.echo_ident(), m.echo_seq(), m.data().len());
        let _ = (m.is_error(), m.verify_checksum(&s, &d));
        m.fill_checksum(&s, &d);
        assert!(
            m.verify_checksum(&s, &d),
            "ICMPv6 fill_checksum does not verify"
        );
    }
    let _ = l4::ports(seed as u8, bytes);
}

fn builders(frame: &[u8], l3: usize, seed: u32) {
    let mut out = [0u8; 2048];
    let mac = MacAddr([2, 0, 0, 0, 0, 1]);
    let peer = MacAddr([2, 0, 0, 0, 0, 2]);
    let check = |r: Result<usize, build::BuildError>| {
        if let Ok(len) = r {
            assert!((MIN_FRAME_LEN..=2048).contains(&len), "built {len} bytes");
        }
    };
    check(build::arp_reply(frame, mac, &mut out));
    check(build::icmpv4_echo_reply(frame, mac, &mut out));
    check(build::icmpv6_echo_reply(frame, mac, &mut out));
    check(ndp::ndp_neighbor_advertisement(frame, mac, &mut out));
    let kind4 = match seed % 3 {
        0 => Icmpv4ErrorKind::TimeExceeded,
        1 => Icmpv4ErrorKind::FragmentationNeeded { mtu: seed as u16 },
        _ => Icmpv4ErrorKind::DestUnreachable(Unreachable4::Port),
    };
    let kind6 = match seed % 3 {
        0 => Icmpv6ErrorKind::TimeExceeded,
        1 => Icmpv6ErrorKind::PacketTooBig { mtu: seed },
        _ => Icmpv6ErrorKind::DestUnreachable(Unreachable6::NoRoute),
    };
    let our4 = Ipv4Addr::new(192, 0, 2, 1);
    let our6 = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
    check(build::icmpv4_error(
        frame, l3, kind4, mac, peer, our4, &mut out,
    ));
    check(build::icmpv6_error(
        frame, l3, kind6, mac, peer, our6, &mut out,
    ));
    // Arbitrary offsets must be refused, not followed.
    let odd = seed as usize % (frame.len() + 8);
    check(build::icmpv4_error(
        frame, odd, kind4, mac, peer, our4, &mut out,
    ));
    check(build::icmpv6_error(
        frame, odd, kind6, mac, peer, our6, &mut out,
    ));
    // Too-small output buffers are an error, not a panic.
    let small = &mut out[..seed as usize % 128];
    let _ = build::icmpv4_error(frame, l3, kind4, mac, peer, our4, small);
    let _ = build::icmpv6_echo_reply(frame, mac, small);
    let mut tagged = [0u8; 2048 + 4];
    let n = frame.len().min(2048);
    tagged[..n].copy_from_slice(&frame[..n]);
    let _ = build::insert_vlan_tag(
        &mut tagged,
        n,
        0x8100,
        seed as u8,
        (seed >> 8) as u16 & 0xfff,
    );
}

fuzz_target!(|data: &[u8]| {
    let seed = word(data, data.len() / 2);
    views(data, seed);
    let l3 = match parse_l2(data) {
        Ok(l2) => {
            let _ = l2.vlan_ids();
            assert!(l2.l3_offset <= data.len());
            l2.l3_offset
        }
        Err(_) => 14.min(data.len()),
    };
    views(&data[l3..], seed);
    builders(data, l3, seed);
});
