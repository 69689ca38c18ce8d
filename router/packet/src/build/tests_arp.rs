use super::testutil::*;
use super::*;
use crate::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_QINQ, ETHERTYPE_VLAN};

fn request_frame() -> Vec<u8> {
    let mut buf = [0u8; 60];
    let n = arp_request(HOST_MAC, HOST_V4, ROUTER_V4, &mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn arp_request_bytes() {
    let f = request_frame();
    assert_eq!(f.len(), MIN_FRAME_LEN);
    #[rustfmt::skip]
    let want: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06,
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
        0x02, 0, 0, 0, 0, 0x02, 192, 0, 2, 2,
        0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
    ];
    assert_eq!(&f[..42], &want);
    assert!(f[42..].iter().all(|b| *b == 0), "padding is zero");
}

#[test]
fn arp_reply_fields() {
    let mut out = [0xAAu8; 100];
    let n = arp_reply(&request_frame(), ROUTER_MAC, &mut out).unwrap();
    assert_eq!(n, 60);
    let l2 = parse_l2(&out[..n]).unwrap();
    assert_eq!(l2.ethertype, ETHERTYPE_ARP);
    let eth = EthernetFrame::new_checked(&out[..n]).unwrap();
    assert_eq!((eth.dst(), eth.src()), (HOST_MAC, ROUTER_MAC));
    let a = ArpPacket::new_checked(&out[14..n]).unwrap();
    assert_eq!(a.oper(), arp::OP_REPLY);
    assert_eq!((a.sha(), a.spa()), (ROUTER_MAC, ROUTER_V4));
    assert_eq!((a.tha(), a.tpa()), (HOST_MAC, HOST_V4));
}

#[test]
fn arp_reply_rejects() {
    let mut out = [0u8; 60];
    // A reply is not answered.
    let reply = {
        let mut b = [0u8; 60];
        let n = arp_reply(&request_frame(), ROUTER_MAC, &mut b).unwrap();
        b[..n].to_vec()
    };
    assert_eq!(
        arp_reply(&reply, ROUTER_MAC, &mut out),
        Err(BuildError::NotArpRequest)
    );
    // Wrong EtherType, truncated ARP, short output buffer.
    let mut f = request_frame();
    f[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    assert_eq!(
        arp_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::WrongEthertype)
    );
    let f = request_frame();
    assert_eq!(
        arp_reply(&f[..41], ROUTER_MAC, &mut out),
        Err(BuildError::Arp(ArpError::Truncated))
    );
    assert_eq!(
        arp_reply(&f, ROUTER_MAC, &mut out[..59]),
        Err(BuildError::BufferTooSmall)
    );
    assert_eq!(
        arp_request(ROUTER_MAC, ROUTER_V4, HOST_V4, &mut out[..41]),
        Err(BuildError::BufferTooSmall)
    );
    assert_eq!(
        arp_reply(&f[..10], ROUTER_MAC, &mut out),
        Err(BuildError::Ethernet(EthernetError::Truncated))
    );
}

#[test]
fn tagged_request_untagged_reply_and_vlan_insert() {
    let f = request_frame();
    let mut tagged = vec![0u8; 80];
    tagged[..f.len()].copy_from_slice(&f);
    let n = insert_vlan_tag(&mut tagged, f.len(), ETHERTYPE_VLAN, 5, 42).unwrap();
    let n = insert_vlan_tag(&mut tagged, n, ETHERTYPE_QINQ, 0, 7).unwrap();
    assert_eq!(n, 68);
    let l2 = parse_l2(&tagged[..n]).unwrap();
    assert_eq!(
        (l2.l3_offset, l2.ethertype, l2.vlan_ids()),
        (22, ETHERTYPE_ARP, &[7, 42][..])
    );
    assert_eq!(
        &tagged[18..20],
        &(0xA000u16 | 42).to_be_bytes(),
        "PCP 5 on the inner tag"
    );
    let mut out = [0u8; 60];
    let m = arp_reply(&tagged[..n], ROUTER_MAC, &mut out).unwrap();
    assert_eq!(parse_l2(&out[..m]).unwrap().vlan_count, 0);

    assert_eq!(
        insert_vlan_tag(&mut tagged, 60, ETHERTYPE_IPV4, 0, 1),
        Err(BuildError::BadVlanTag)
    );
    assert_eq!(
        insert_vlan_tag(&mut tagged, 60, ETHERTYPE_VLAN, 0, 4096),
        Err(BuildError::BadVlanTag)
    );
    assert_eq!(
        insert_vlan_tag(&mut tagged, 77, ETHERTYPE_VLAN, 0, 1),
        Err(BuildError::BufferTooSmall)
    );
}

#[test]
fn build_error_labels() {
    let e = BuildError::Suppressed(SuppressReason::IcmpError);
    assert_eq!(e.as_str(), "suppressed");
    assert_eq!(e.to_string(), "suppressed: icmp_error");
    assert_eq!(BuildError::BufferTooSmall.to_string(), "buffer_too_small");
}
