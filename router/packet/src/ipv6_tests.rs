use super::*;
use proptest::prelude::*;

/// 2001:db8::1 -> 2001:db8::2, TC 0xb8 (EF), flow 0x12345, hop limit 64.
fn header(payload_len: u16, nh: u8) -> Vec<u8> {
    let mut v = vec![
        0x6b, 0x81, 0x23, 0x45, // version 6, TC 0xb8, flow 0x12345
        0x00, 0x00, nh, 64,
    ];
    v[4..6].copy_from_slice(&payload_len.to_be_bytes());
    v.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    v.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    v
}

/// Builds a packet from `(next_header_value_of_this_header_type, body)`
/// extension headers, then `upper` bytes.
fn packet(first_nh: u8, exts: &[(u8, Vec<u8>)], upper: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (nh, body) in exts {
        let mut h = body.clone();
        h[0] = *nh;
        payload.extend_from_slice(&h);
    }
    payload.extend_from_slice(upper);
    let mut v = header(payload.len() as u16, first_nh);
    v.extend_from_slice(&payload);
    v
}

fn opts8() -> Vec<u8> {
    vec![0, 0, 1, 4, 0, 0, 0, 0] // hdr ext len 0, PadN
}

#[test]
fn parse_fixed_header() {
    let mut v = header(8, NH_UDP);
    v.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
    let p = Ipv6Packet::new_checked(&v[..]).unwrap();
    assert_eq!(
        (p.version(), p.traffic_class(), p.flow_label()),
        (6, 0xb8, 0x12345)
    );
    assert_eq!(
        (p.payload_len(), p.next_header(), p.hop_limit()),
        (8, NH_UDP, 64)
    );
    assert_eq!(p.src_addr(), "2001:db8::1".parse::<Ipv6Addr>().unwrap());
    assert_eq!(p.dst_u128(), 0x2001_0db8_0000_0000_0000_0000_0000_0002);
    assert_eq!(p.payload().len(), 8);
    let ul = p.upper_layer().unwrap();
    assert_eq!(
        (ul.protocol, ul.offset, ul.fragment, ul.ext_headers),
        (NH_UDP, 40, None, 0)
    );
}

#[test]
fn emit_fixed_header() {
    let want = header(8, NH_UDP);
    let mut buf = vec![0xFFu8; 40];
    let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
    p.set_version_tc_flow(0, 0);
    p.set_traffic_class(0xb8);
    p.set_flow_label(0x12345);
    p.set_payload_len(8);
    p.set_next_header(NH_UDP);
    p.set_hop_limit(65);
    assert_eq!(p.decrement_hop_limit(), 64);
    p.set_src_addr("2001:db8::1".parse().unwrap());
    p.set_dst_addr("2001:db8::2".parse().unwrap());
    assert_eq!(buf, want);
}

#[test]
fn length_checks() {
    let v = header(0, NH_NONE);
    assert_eq!(
        Ipv6Packet::new_checked(&v[..39]).unwrap_err(),
        Ipv6Error::Truncated
    );
    let mut bad = v.clone();
    bad[0] = 0x4b;
    assert_eq!(
        Ipv6Packet::new_checked(&bad[..]).unwrap_err(),
        Ipv6Error::BadVersion
    );
    // Payload length claims more than the frame has.
    let mut v = header(20, NH_UDP);
    v.extend_from_slice(&[0u8; 19]);
    assert_eq!(
        Ipv6Packet::new_checked(&v[..]).unwrap_err(),
        Ipv6Error::PayloadBeyondFrame
    );
    // Shorter than the frame: the rest is padding.
    v.extend_from_slice(&[0u8; 10]);
    let p = Ipv6Packet::new_checked(&v[..]).unwrap();
    assert_eq!((p.payload().len(), p.datagram().len()), (20, 60));
    // Jumbogram.
    let v = header(0, NH_HOP_BY_HOP);
    assert_eq!(
        Ipv6Packet::new_checked(&v[..]).unwrap_err(),
        Ipv6Error::Jumbogram
    );
}

#[test]
fn full_extension_chain() {
    // HBH -> DestOpts -> Routing -> Fragment (first, MF) -> UDP.
    let routing = vec![
        0, 3, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 1, 1, 1,
        1, 1, 1, 1,
    ];
    let frag = vec![0, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef];
    let v = packet(
        NH_HOP_BY_HOP,
        &[
            (NH_DEST_OPTS, opts8()),
            (NH_ROUTING, opts8()),
            (NH_FRAGMENT, routing),
            (NH_UDP, frag),
        ],
        &[0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0],
    );
    let p = Ipv6Packet::new_checked(&v[..]).unwrap();
    let ul = p.upper_layer().unwrap();
    assert_eq!(ul.protocol, NH_UDP);
    assert_eq!(ul.offset, 40 + 8 + 8 + 32 + 8);
    assert_eq!(ul.ext_headers, 4);
    assert_eq!(
        ul.fragment,
        Some(Ipv6Fragment {
            offset: 0,
            more: true,
            ident: 0xdeadbeef
        })
    );
    assert!(!ul.is_non_first_fragment());
    assert_eq!(&v[ul.offset..ul.offset + 2], &[0x30, 0x39]);
}

#[test]
fn non_first_fragment_stops_walk() {
    // Offset 1480 bytes = 185 units: frag word = 185 << 3.
    let w = (185u16 << 3).to_be_bytes();
    let frag = vec![0, 0, w[0], w[1], 0, 0, 0, 7];
    let v = packet(NH_FRAGMENT, &[(NH_DEST_OPTS, frag)], &[0xAA; 16]);
    let ul = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap();
    // The bytes after are not a DestOpts header: the walk must not read them.
    assert_eq!((ul.protocol, ul.offset), (NH_DEST_OPTS, 48));
    assert!(ul.is_non_first_fragment());
    assert_eq!(ul.fragment.unwrap().offset, 185);
}

#[test]
fn ah_length_in_4_byte_units() {
    // AH with payload len 4 => (4 + 2) * 4 = 24 bytes (12-byte ICV for HMAC-SHA1-96).
    let mut ah = vec![0u8; 24];
    ah[1] = 4;
    let v = packet(NH_AH, &[(NH_TCP, ah)], &[0u8; 20]);
    let ul = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap();
    assert_eq!((ul.protocol, ul.offset), (NH_TCP, 64));
}

#[test]
fn walk_stops_at_esp_and_no_next_header() {
    for stop in [NH_ESP, NH_NONE, NH_ICMPV6, 253] {
        let v = packet(NH_DEST_OPTS, &[(stop, opts8())], &[0u8; 8]);
        let ul = Ipv6Packet::new_checked(&v[..])
            .unwrap()
            .upper_layer()
            .unwrap();
        assert_eq!((ul.protocol, ul.offset), (stop, 48));
    }
}

#[test]
fn chain_too_long() {
    let exts: Vec<(u8, Vec<u8>)> = (0..=MAX_EXTENSION_HEADERS)
        .map(|_| (NH_DEST_OPTS, opts8()))
        .collect();
    let mut exts_ok = exts[..MAX_EXTENSION_HEADERS].to_vec();
    exts_ok.last_mut().unwrap().0 = NH_UDP;
    let v = packet(NH_DEST_OPTS, &exts_ok, &[0u8; 8]);
    let ul = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap();
    assert_eq!(ul.ext_headers as usize, MAX_EXTENSION_HEADERS);
    // A chain of DestOpts pointing at DestOpts "loops" until the limit.
    let v = packet(NH_DEST_OPTS, &exts, &[0u8; 8]);
    let err = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap_err();
    assert_eq!(err, Ipv6Error::ExtensionChainTooLong);
}

#[test]
fn hop_by_hop_must_be_first() {
    let v = packet(
        NH_DEST_OPTS,
        &[(NH_HOP_BY_HOP, opts8()), (NH_UDP, opts8())],
        &[0u8; 8],
    );
    let err = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap_err();
    assert_eq!(err, Ipv6Error::HopByHopNotFirst);
}

#[test]
fn truncated_extension_headers() {
    // Header claims 16 bytes (hdr ext len 1) but payload has 8.
    let mut h = opts8();
    h[1] = 1;
    let v = packet(NH_DEST_OPTS, &[(NH_UDP, h)], &[]);
    let err = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap_err();
    assert_eq!(err, Ipv6Error::ExtensionHeaderTruncated);
    // Only one byte of an extension header.
    let mut v = header(1, NH_ROUTING);
    v.push(NH_UDP);
    let err = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap_err();
    assert_eq!(err, Ipv6Error::ExtensionHeaderTruncated);
    // Fragment header cut at 7 bytes; padding bytes after payload_len do not count.
    let mut v = header(7, NH_FRAGMENT);
    v.extend_from_slice(&[NH_UDP, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let err = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap_err();
    assert_eq!(err, Ipv6Error::ExtensionHeaderTruncated);
    // No payload at all with a DestOpts next header.
    let v = header(0, NH_DEST_OPTS);
    let err = Ipv6Packet::new_checked(&v[..])
        .unwrap()
        .upper_layer()
        .unwrap_err();
    assert_eq!(err, Ipv6Error::ExtensionHeaderTruncated);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200), steer in any::<bool>()) {
        if steer && data.len() >= 40 {
            data[0] = 0x60 | (data[0] & 0x0F);
            let room = (data.len() - 40) as u16;
            let pl = u16::from_be_bytes([data[4], data[5]]) % (room + 1);
            data[4..6].copy_from_slice(&pl.to_be_bytes());
            // Bias towards extension headers.
            data[6] = [0, 43, 44, 51, 60, 17, 6, 59][usize::from(data[6] & 7)];
        }
        if let Ok(mut p) = Ipv6Packet::new_checked(&mut data[..]) {
            let _ = (p.version(), p.traffic_class(), p.flow_label(), p.payload_len());
            let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr(), p.src_u128());
            let _ = (p.payload(), p.datagram());
            if let Ok(ul) = p.upper_layer() {
                prop_assert!(ul.offset <= p.datagram().len());
                prop_assert!(ul.offset >= HEADER_LEN);
                let _ = ul.is_non_first_fragment();
            }
            p.set_payload_len(u16::MAX);
            let _ = (p.payload(), p.upper_layer());
            let _ = p.payload_mut().len();
        }
    }
}
