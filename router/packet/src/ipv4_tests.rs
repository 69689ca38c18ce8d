use super::*;
use crate::ethernet::{parse_l2, EthernetError, ETHERTYPE_IPV4};
use proptest::prelude::*;

/// 192.168.0.1 -> 192.168.0.199, UDP, total length 0x73, DF, TTL 64,
/// checksum 0xb861 (the classic Wikipedia example).
const HEADER: [u8; 20] = [
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
    0xc0, 0xa8, 0x00, 0xc7,
];

fn packet_with_len(total: usize, frame: usize) -> Vec<u8> {
    let mut v = vec![0u8; frame];
    v[..20].copy_from_slice(&HEADER);
    v[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    v
}

#[test]
fn parse_known_header() {
    let buf = packet_with_len(0x73, 0x73);
    let mut buf2 = buf.clone();
    buf2[10..12].copy_from_slice(&[0xb8, 0x61]);
    let p = Ipv4Packet::new_checked(&buf2[..]).unwrap();
    assert_eq!((p.version(), p.ihl(), p.header_len()), (4, 5, 20));
    assert_eq!((p.dscp_ecn(), p.total_len(), p.ident()), (0, 0x73, 0));
    assert!(p.dont_frag() && !p.more_frags() && !p.is_fragment());
    assert_eq!((p.flags(), p.frag_offset()), (0b010, 0));
    assert_eq!(
        (p.ttl(), p.protocol(), p.checksum()),
        (64, PROTO_UDP, 0xb861)
    );
    assert_eq!(p.src_addr(), Ipv4Addr::new(192, 168, 0, 1));
    assert_eq!(p.dst_addr(), Ipv4Addr::new(192, 168, 0, 199));
    assert_eq!(p.dst_u32(), 0xc0a8_00c7);
    assert!(p.options().is_empty());
    assert_eq!(p.payload().len(), 0x73 - 20);
    assert!(p.verify_checksum());
    assert_eq!(p.check_checksum(), Ok(()));
}

#[test]
fn emit_known_header() {
    let mut buf = [0xEEu8; 20];
    let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
    p.set_version_and_header_len(20);
    p.set_dscp_ecn(0);
    p.set_total_len(0x73);
    p.set_ident(0);
    p.set_flags_and_frag_offset(true, false, 0);
    p.set_ttl(64);
    p.set_protocol(PROTO_UDP);
    p.set_src_addr(Ipv4Addr::new(192, 168, 0, 1));
    p.set_dst_addr(Ipv4Addr::new(192, 168, 0, 199));
    p.fill_checksum();
    assert_eq!(buf, HEADER);
}

#[test]
fn options_and_fragment_fields() {
    // IHL 6 with a 4-byte option (NOP NOP NOP EOL), MF set, offset 185*8.
    let mut v = [0u8; 40];
    v[..20].copy_from_slice(&HEADER);
    v[0] = 0x46;
    v[2..4].copy_from_slice(&40u16.to_be_bytes());
    v[6..8].copy_from_slice(&(0x2000u16 | 185).to_be_bytes());
    v[20..24].copy_from_slice(&[1, 1, 1, 0]);
    v[24] = 0x99;
    let mut p = Ipv4Packet::new_checked(&mut v[..]).unwrap();
    p.fill_checksum();
    assert!(p.verify_checksum());
    assert_eq!(p.options(), &[1, 1, 1, 0]);
    assert_eq!(p.payload().len(), 16);
    assert_eq!(p.payload()[0], 0x99);
    assert!(p.more_frags() && !p.dont_frag() && p.is_fragment() && p.is_non_first_fragment());
    assert_eq!((p.frag_offset(), p.frag_offset_bytes()), (185, 1480));
    p.set_flags_and_frag_offset(false, true, 0);
    assert!(p.is_fragment() && !p.is_non_first_fragment());
}

#[test]
fn bad_checksum_is_named() {
    let mut v = packet_with_len(20, 20);
    v[10] ^= 0xFF;
    let p = Ipv4Packet::new_checked(&v[..]).unwrap();
    assert_eq!(p.check_checksum(), Err(Ipv4Error::BadChecksum));
}

#[test]
fn length_checks() {
    let ok = packet_with_len(20, 20);
    assert_eq!(
        Ipv4Packet::new_checked(&ok[..19]).unwrap_err(),
        Ipv4Error::Truncated
    );
    let mut v = ok.clone();
    v[0] = 0x65;
    assert_eq!(
        Ipv4Packet::new_checked(&v[..]).unwrap_err(),
        Ipv4Error::BadVersion
    );
    for ihl in 0..5u8 {
        v[0] = 0x40 | ihl;
        assert_eq!(
            Ipv4Packet::new_checked(&v[..]).unwrap_err(),
            Ipv4Error::HeaderLengthTooShort
        );
    }
    v[0] = 0x46;
    assert_eq!(
        Ipv4Packet::new_checked(&v[..]).unwrap_err(),
        Ipv4Error::HeaderBeyondFrame
    );
    let v = packet_with_len(19, 40);
    assert_eq!(
        Ipv4Packet::new_checked(&v[..]).unwrap_err(),
        Ipv4Error::TotalLengthBelowHeader
    );
    let v = packet_with_len(41, 40);
    assert_eq!(
        Ipv4Packet::new_checked(&v[..]).unwrap_err(),
        Ipv4Error::TotalLengthBeyondFrame
    );
}

#[test]
fn padding_is_not_payload() {
    // A 28-byte datagram in a frame padded to 46 bytes of L3.
    let v = packet_with_len(28, 46);
    let p = Ipv4Packet::new_checked(&v[..]).unwrap();
    assert_eq!(p.payload().len(), 8);
    assert_eq!(p.datagram().len(), 28);
}

/// Ethernet + IPv4 frames of the edge lengths: which layer refuses them.
#[test]
fn ethernet_ipv4_edge_lengths() {
    let mut frame = vec![0u8; 14];
    frame[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    frame.extend_from_slice(&packet_with_len(40, 40));
    let parse = |frame: &[u8], len: usize| -> Result<usize, String> {
        let f = &frame[..len];
        let l2 = parse_l2(f).map_err(|e| format!("eth:{e}"))?;
        let p = Ipv4Packet::new_checked(&f[l2.l3_offset..]).map_err(|e| format!("ip:{e}"))?;
        Ok(p.payload().len())
    };
    assert_eq!(
        parse(&frame, 0),
        Err(format!("eth:{}", EthernetError::Truncated))
    );
    assert_eq!(
        parse(&frame, 13),
        Err(format!("eth:{}", EthernetError::Truncated))
    );
    assert_eq!(
        parse(&frame, 14),
        Err(format!("ip:{}", Ipv4Error::Truncated))
    );
    assert_eq!(
        parse(&frame, 33),
        Err(format!("ip:{}", Ipv4Error::Truncated))
    );
    // 34 bytes: a full header, but total length 40 claims 20 more.
    assert_eq!(
        parse(&frame, 34),
        Err(format!("ip:{}", Ipv4Error::TotalLengthBeyondFrame))
    );
    assert_eq!(parse(&frame, 54), Ok(20));
    frame[16..18].copy_from_slice(&20u16.to_be_bytes());
    assert_eq!(parse(&frame, 34), Ok(0));
    assert_eq!(parse(&frame, 54), Ok(0));
}

fn full_recompute_after_ttl(h: &[u8]) -> u16 {
    let mut v = h.to_vec();
    v[8] -= 1;
    checksum::ipv4_header(&v)
}

#[test]
fn decrement_ttl_every_ttl() {
    let mut v = packet_with_len(20, 20);
    for ttl in 1..=255u8 {
        v[8] = ttl;
        let mut p = Ipv4Packet::new_checked(&mut v[..]).unwrap();
        p.fill_checksum();
        let expect = full_recompute_after_ttl(p.header());
        assert_eq!(p.decrement_ttl(), ttl - 1);
        assert_eq!(p.checksum(), expect, "ttl {ttl}");
        assert!(p.verify_checksum());
    }
    v[8] = 0;
    let before = v.clone();
    assert_eq!(
        Ipv4Packet::new_checked(&mut v[..]).unwrap().decrement_ttl(),
        0
    );
    assert_eq!(v, before);
}

/// RFC 1624 §3: eqn. 2 would turn a correct checksum into 0xFFFF (-0);
/// eqn. 3 must agree with a full recompute when the checksum is 0x0000
/// before or after the update.
#[test]
fn decrement_ttl_checksum_corner_cases() {
    let mut found_zero_before = false;
    let mut found_zero_after = false;
    let mut v = packet_with_len(20, 20);
    for ident in 0..=u16::MAX {
        v[4..6].copy_from_slice(&ident.to_be_bytes());
        for ttl in [2u8, 64, 255] {
            v[8] = ttl;
            let before = checksum::ipv4_header(&v);
            let after = full_recompute_after_ttl(&v);
            if before != 0 && after != 0 {
                continue;
            }
            found_zero_before |= before == 0;
            found_zero_after |= after == 0;
            let mut w = v.clone();
            let mut p = Ipv4Packet::new_unchecked(&mut w[..]);
            p.set_checksum(before);
            p.decrement_ttl();
            assert_eq!(p.checksum(), after, "ident {ident:#x} ttl {ttl}");
            assert_ne!(p.checksum(), 0xFFFF);
        }
    }
    assert!(found_zero_before && found_zero_after);
}

fn arb_header() -> impl Strategy<Value = Vec<u8>> {
    (0usize..=10, proptest::collection::vec(any::<u8>(), 60)).prop_map(|(opt_words, mut v)| {
        let hl = 20 + opt_words * 4;
        v.truncate(hl);
        v[0] = 0x40 | (hl / 4) as u8;
        v[2..4].copy_from_slice(&(hl as u16).to_be_bytes());
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decrement_ttl_matches_recompute(mut v in arb_header(), ttl in 1u8..=255) {
        v[8] = ttl;
        let mut p = Ipv4Packet::new_checked(&mut v[..]).unwrap();
        p.fill_checksum();
        let expect = full_recompute_after_ttl(p.header());
        p.decrement_ttl();
        prop_assert_eq!(p.checksum(), expect);
        prop_assert!(p.verify_checksum());
    }

    #[test]
    fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..100), hint in any::<bool>()) {
        let mut data = data;
        if hint && data.len() >= 20 {
            // Steer towards headers that pass: version 4, plausible IHL/length.
            data[0] = 0x40 | (data[0] & 0x0F);
            let len = data.len() as u16;
            let tl = u16::from_be_bytes([data[2], data[3]]) % (len + 1);
            data[2..4].copy_from_slice(&tl.to_be_bytes());
        }
        if let Ok(mut p) = Ipv4Packet::new_checked(&mut data[..]) {
            prop_assert!(p.header_len() <= p.total_len() as usize);
            let _ = (p.version(), p.ihl(), p.dscp(), p.ecn(), p.ident(), p.flags());
            let _ = (p.dont_frag(), p.more_frags(), p.frag_offset_bytes(), p.is_fragment());
            let _ = (p.ttl(), p.protocol(), p.checksum(), p.src_addr(), p.dst_addr());
            let _ = (p.header(), p.options(), p.payload(), p.datagram(), p.verify_checksum());
            p.decrement_ttl();
            // Even an inconsistent setter cannot make accessors panic.
            p.set_total_len(u16::MAX);
            p.set_version_and_header_len(60);
            let _ = (p.options(), p.payload(), p.header());
            let _ = (p.options_mut().len(), p.payload_mut().len());
            p.fill_checksum();
        }
    }
}
