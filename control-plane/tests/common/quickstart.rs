//! The quickstart's expected outcome, shared by every run of it (pcap
//! ports in `quickstart.rs`, DPDK `net_pcap` ports in `dpdk.rs`): every
//! line of the printed summary, then every frame the router wrote against
//! the frames it read, byte by byte: what was forwarded (TTL / hop limit,
//! checksums, MACs, untouched payload) and what the control plane answered
//! (ARP, NDP, echo replies, ICMP errors quoting the packet that caused
//! them).
//!
//! The topology and the input frames are those of `configs/gen-quickstart.py`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use pcap_file::pcap::PcapReader;
use pcap_file::DataLink;
use silkroute_packet::arp::{self, ArpPacket};
use silkroute_packet::ethernet::{ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use silkroute_packet::ndp::{NdpKind, NdpMessage};
use silkroute_packet::{checksum, icmp, icmpv6, ipv4, ipv6};
use silkroute_packet::{Icmpv4Packet, Icmpv6Packet, Ipv4Packet, Ipv6Packet, MacAddr};

/// Router port p0 (interface eth0) and p1 (eth1).
const R0: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const R1: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
/// Host A behind p0; routers B1 and B2 behind p1.
const HOST_A: [u8; 6] = [0x02, 0xaa, 0, 0, 0, 0x0a];
const B1: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 0x02];
const B2: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 0x03];

const R0_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const HOST_A_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const R0_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1);
const HOST_A_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 0x10);

/// p1's MTU in the quickstart config.
const P1_MTU: u16 = 1400;
/// Flows per kind in the captures: v4 to 203.0.113.0/24, v4 ECMP to
/// 198.18.0.0/15, v6 to 2001:db8:100::/48, and the same counts back.
const FLOWS: usize = 16;
/// Frames the control plane answers: ARP, NS, two echo requests, two
/// TTL/hop-limit 1, two no-route, one too big with DF.
const REPLIES: usize = 9;

/// Untagged frames only: the quickstart has no VLANs.
const L3: usize = 14;

pub fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs")
}

/// Every frame of an Ethernet pcap file.
pub fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut reader = PcapReader::new(BufReader::new(file))
        .unwrap_or_else(|e| panic!("{}: not a pcap file: {e}", path.display()));
    assert_eq!(
        reader.header().datalink,
        DataLink::ETHERNET,
        "{}: link type",
        path.display()
    );
    let mut frames = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            pkt.orig_len as usize,
            pkt.data.len(),
            "{}: frame {} was cut by the snap length",
            path.display(),
            frames.len()
        );
        frames.push(pkt.data.into_owned());
    }
    frames
}

/// What `silkroute run` printed, by section.
#[derive(Debug, Default)]
struct Summary {
    /// Port table: name -> [rx_packets, rx_bytes, tx_packets, tx_bytes,
    /// dropped, punted, injected].
    ports: BTreeMap<String, [u64; 7]>,
    drops: BTreeMap<(String, String), u64>,
    punts: BTreeMap<(String, String), u64>,
    control: BTreeMap<String, u64>,
    /// `PORT: driver rx_dropped N tx_errors M` lines, verbatim.
    driver: Vec<String>,
    received: Option<u64>,
    forwarded: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Config,
    Ports,
    Drops,
    Punts,
    Control,
}

fn number(tok: &str, line: &str) -> u64 {
    tok.parse()
        .unwrap_or_else(|_| panic!("summary line {line:?}: {tok:?} is not a count"))
}

fn parse_summary(text: &str) -> Summary {
    let mut s = Summary::default();
    let mut section = Section::Config;
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.first() == Some(&"port") && toks.get(1) == Some(&"rx_packets") {
            section = Section::Ports;
            continue;
        }
        let header = match line {
            "drops by reason:" => Some(Section::Drops),
            "exceptions (punted to the control plane):" => Some(Section::Punts),
            "control plane:" => Some(Section::Control),
            _ => None,
        };
        if let Some(h) = header {
            section = h;
            continue;
        }
        if line.starts_with("received ") {
            // received N packets, forwarded M in T s (...)
            assert!(toks.len() >= 5, "summary line {line:?}");
            s.received = Some(number(toks[1], line));
            s.forwarded = Some(number(toks[4], line));
            continue;
        }
        if toks.get(1) == Some(&"driver") {
            s.driver.push(line.trim().to_owned());
            continue;
        }
        match (section, toks.as_slice()) {
            (Section::Ports, [name, counts @ ..]) if counts.len() == 7 => {
                let mut v = [0u64; 7];
                for (slot, tok) in v.iter_mut().zip(counts) {
                    *slot = number(tok, line);
                }
                s.ports.insert((*name).to_owned(), v);
            }
            (Section::Drops, [port, reason, n]) => {
                s.drops
                    .insert(((*port).into(), (*reason).into()), number(n, line));
            }
            (Section::Punts, [port, reason, n]) => {
                s.punts
                    .insert(((*port).into(), (*reason).into()), number(n, line));
            }
            (Section::Control, [label, n]) => {
                s.control.insert((*label).into(), number(n, line));
            }
            _ => {}
        }
    }
    s
}

fn by_port(entries: &[(&str, &str, u64)]) -> BTreeMap<(String, String), u64> {
    entries
        .iter()
        .map(|(p, r, n)| (((*p).to_owned(), (*r).to_owned()), *n))
        .collect()
}

fn ethertype(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[12], frame[13]])
}

fn mac(frame: &[u8], range: std::ops::Range<usize>) -> [u8; 6] {
    let mut m = [0; 6];
    m.copy_from_slice(&frame[range]);
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// True when a forwarding router may have changed byte `i` of an untagged
/// frame: both MACs, and the TTL and header checksum (IPv4) or the hop
/// limit (IPv6). Everything else must arrive as it was sent.
fn may_differ(ethertype: u16, i: usize) -> bool {
    i < 12
        || match ethertype {
            ETHERTYPE_IPV4 => i == L3 + 8 || i == L3 + 10 || i == L3 + 11,
            ETHERTYPE_IPV6 => i == L3 + 7,
            _ => false,
        }
}

/// The input frame `out` is a forwarded copy of, if any.
fn find_input(out: &[u8], inputs: &[Vec<u8>]) -> Option<usize> {
    let et = ethertype(out);
    let mut found = inputs.iter().enumerate().filter(|(_, inp)| {
        inp.len() == out.len()
            && inp
                .iter()
                .zip(out)
                .enumerate()
                .all(|(i, (a, b))| a == b || may_differ(et, i))
    });
    let first = found.next().map(|(i, _)| i);
    assert!(
        found.next().is_none(),
        "frame {} matches several input frames",
        hex(out)
    );
    first
}

/// The MACs a packet to `dst` may be sent to: the next hops of the
/// quickstart's routes and static neighbours.
fn next_hop_macs(dst: IpAddr) -> &'static [[u8; 6]] {
    let in_v4 = |net: [u8; 4], len: u32| match dst {
        IpAddr::V4(a) => u32::from(a) >> (32 - len) == u32::from(Ipv4Addr::from(net)) >> (32 - len),
        IpAddr::V6(_) => false,
    };
    let in_v6 = |net: Ipv6Addr, len: u32| match dst {
        IpAddr::V6(a) => u128::from(a) >> (128 - len) == u128::from(net) >> (128 - len),
        IpAddr::V4(_) => false,
    };
    if in_v4([203, 0, 113, 0], 24) {
        &[B1]
    } else if in_v4([198, 18, 0, 0], 15) {
        &[B1, B2]
    } else if dst == IpAddr::V4(HOST_A_V4) || dst == IpAddr::V6(HOST_A_V6) {
        &[HOST_A]
    } else if in_v6(Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0), 48) {
        &[B1]
    } else {
        panic!("no packet to {dst} should have been forwarded")
    }
}

/// True when the UDP checksum of `udp` (header and data) verifies.
fn udp_checksum_ok(pseudo: u32, udp: &[u8]) -> bool {
    checksum::add(pseudo, checksum::sum(udp)) == 0xFFFF
}

/// Checks one forwarded frame against the input it came from; returns the
/// destination address and the next-hop MAC used.
fn check_forwarded(out: &[u8], inp: &[u8], egress_mac: [u8; 6], what: &str) -> (IpAddr, [u8; 6]) {
    let dst_mac = mac(out, 0..6);
    assert_eq!(mac(out, 6..12), egress_mac, "{what}: source MAC");
    let dst = match ethertype(out) {
        ETHERTYPE_IPV4 => {
            let o = Ipv4Packet::new_checked(&out[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            let i = Ipv4Packet::new_checked(&inp[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(o.ttl(), i.ttl() - 1, "{what}: TTL");
            assert!(o.verify_checksum(), "{what}: header checksum");
            assert_eq!(
                checksum::ipv4_header(o.header()),
                o.checksum(),
                "{what}: header checksum differs from a recomputation"
            );
            assert_eq!(o.payload(), i.payload(), "{what}: payload changed");
            assert_eq!(o.protocol(), silkroute_packet::l4::PROTO_UDP, "{what}");
            let pseudo = checksum::pseudo_header_v4(
                o.src_addr(),
                o.dst_addr(),
                o.protocol(),
                o.payload().len() as u16,
            );
            assert!(udp_checksum_ok(pseudo, o.payload()), "{what}: UDP checksum");
            IpAddr::V4(o.dst_addr())
        }
        ETHERTYPE_IPV6 => {
            let o = Ipv6Packet::new_checked(&out[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            let i = Ipv6Packet::new_checked(&inp[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(o.hop_limit(), i.hop_limit() - 1, "{what}: hop limit");
            assert_eq!(o.payload(), i.payload(), "{what}: payload changed");
            assert_eq!(o.next_header(), ipv6::NH_UDP, "{what}");
            let pseudo = checksum::pseudo_header_v6(
                &o.src_addr(),
                &o.dst_addr(),
                o.payload().len() as u32,
                ipv6::NH_UDP,
            );
            assert!(udp_checksum_ok(pseudo, o.payload()), "{what}: UDP checksum");
            IpAddr::V6(o.dst_addr())
        }
        other => panic!("{what}: forwarded EtherType {other:#06x}"),
    };
    assert!(
        next_hop_macs(dst).contains(&dst_mac),
        "{what}: to {dst} sent to MAC {}",
        MacAddr(dst_mac)
    );
    (dst, dst_mac)
}

/// The IPv4 or IPv6 datagram of the input frame an ICMP error quotes:
/// the one whose datagram starts with `quote`, which must hold all of it
/// or exactly `max` bytes of it.
fn quoted_datagram<'a>(quote: &[u8], inputs: &'a [Vec<u8>], max: usize, what: &str) -> &'a [u8] {
    let datagram = |f: &'a Vec<u8>| -> Option<&'a [u8]> {
        match ethertype(f) {
            ETHERTYPE_IPV4 => Ipv4Packet::new_checked(&f[L3..])
                .ok()
                .map(|ip| &f[L3..L3 + ip.datagram().len()]),
            ETHERTYPE_IPV6 => Ipv6Packet::new_checked(&f[L3..])
                .ok()
                .map(|ip| &f[L3..L3 + ip.datagram().len()]),
            _ => None,
        }
    };
    let found: Vec<&[u8]> = inputs
        .iter()
        .filter_map(datagram)
        .filter(|d| quote.len() == d.len().min(max) && d.starts_with(quote))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{what}: the quote {} should be the start of exactly one input datagram",
        hex(quote)
    );
    found[0]
}

/// Which answer a control-plane frame on p0 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reply {
    Arp,
    NeighborAdvert,
    Echo4,
    Echo6,
    TimeExceeded4,
    TimeExceeded6,
    Unreachable4,
    Unreachable6,
    FragNeeded,
}

/// Checks a frame the control plane sent out of p0 (in answer to one of
/// the p0 `inputs`) and says which reply it is.
fn check_reply(f: &[u8], inputs: &[Vec<u8>], what: &str) -> Reply {
    assert_eq!(mac(f, 6..12), R0, "{what}: source MAC");
    assert_eq!(mac(f, 0..6), HOST_A, "{what}: destination MAC");
    match ethertype(f) {
        ETHERTYPE_ARP => {
            let a = ArpPacket::new_checked(&f[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(a.oper(), arp::OP_REPLY, "{what}: ARP operation");
            assert_eq!(a.sha(), MacAddr(R0), "{what}: sender MAC");
            assert_eq!(a.spa(), R0_V4, "{what}: sender address");
            assert_eq!(a.tha(), MacAddr(HOST_A), "{what}: target MAC");
            assert_eq!(a.tpa(), HOST_A_V4, "{what}: target address");
            Reply::Arp
        }
        ETHERTYPE_IPV4 => {
            let ip = Ipv4Packet::new_checked(&f[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(ip.verify_checksum(), "{what}: IPv4 header checksum");
            assert_eq!(
                checksum::ipv4_header(ip.header()),
                ip.checksum(),
                "{what}: header checksum differs from a recomputation"
            );
            assert_eq!(ip.src_addr(), R0_V4, "{what}: source");
            assert_eq!(ip.dst_addr(), HOST_A_V4, "{what}: destination");
            assert_eq!(ip.protocol(), ipv4::PROTO_ICMP, "{what}: protocol");
            let m =
                Icmpv4Packet::new_checked(ip.payload()).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(m.verify_checksum(), "{what}: ICMP checksum");
            // RFC 1812 §4.3.2.3: at most 576 bytes of IP.
            let max = 576 - 20 - 8;
            match (m.msg_type(), m.code()) {
                (icmp::TYPE_ECHO_REPLY, 0) => {
                    assert_eq!((m.echo_ident(), m.echo_seq()), (0x1234, 1), "{what}");
                    assert_eq!(m.data(), b"ping silkroute", "{what}: echo data");
                    Reply::Echo4
                }
                (icmp::TYPE_TIME_EXCEEDED, 0) => {
                    let orig = quoted_datagram(m.data(), inputs, max, what);
                    let o = Ipv4Packet::new_checked(orig).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(o.ttl(), 1, "{what}: quotes a packet whose TTL was not 1");
                    assert_eq!(o.dst_addr(), Ipv4Addr::new(203, 0, 113, 99), "{what}");
                    Reply::TimeExceeded4
                }
                (icmp::TYPE_DEST_UNREACHABLE, icmp::unreach::NET) => {
                    let orig = quoted_datagram(m.data(), inputs, max, what);
                    let o = Ipv4Packet::new_checked(orig).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(o.dst_addr(), Ipv4Addr::new(8, 8, 8, 8), "{what}");
                    Reply::Unreachable4
                }
                (icmp::TYPE_DEST_UNREACHABLE, icmp::unreach::FRAG_NEEDED) => {
                    assert_eq!(m.next_hop_mtu(), P1_MTU, "{what}: next-hop MTU");
                    let orig = quoted_datagram(m.data(), inputs, max, what);
                    assert_eq!(m.data().len(), max, "{what}: quote length");
                    let o = Ipv4Packet::new_checked(orig).unwrap_or_else(|e| panic!("{e}"));
                    assert!(o.dont_frag() && o.total_len() > P1_MTU, "{what}");
                    Reply::FragNeeded
                }
                (t, c) => panic!("{what}: unexpected ICMP type {t} code {c}"),
            }
        }
        ETHERTYPE_IPV6 => {
            let ip = Ipv6Packet::new_checked(&f[L3..]).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(ip.src_addr(), R0_V6, "{what}: source");
            assert_eq!(ip.dst_addr(), HOST_A_V6, "{what}: destination");
            assert_eq!(ip.next_header(), ipv6::NH_ICMPV6, "{what}: next header");
            let m =
                Icmpv6Packet::new_checked(ip.payload()).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(
                m.verify_checksum(&ip.src_addr(), &ip.dst_addr()),
                "{what}: ICMPv6 checksum"
            );
            // RFC 4443 §2.4(c): at most the IPv6 minimum MTU.
            let max = 1280 - 40 - 8;
            match (m.msg_type(), m.code()) {
                (icmpv6::TYPE_NEIGHBOR_ADVERTISEMENT, 0) => {
                    assert_eq!(ip.hop_limit(), 255, "{what}: NDP hop limit");
                    let na = NdpMessage::parse(&ip).unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(na.kind, NdpKind::NeighborAdvertisement, "{what}");
                    assert_eq!(na.target, R0_V6, "{what}: target");
                    assert_eq!(na.link_layer_addr, Some(MacAddr(R0)), "{what}: TLLA");
                    assert!(na.solicited && na.override_flag && na.router, "{what}");
                    Reply::NeighborAdvert
                }
                (icmpv6::TYPE_ECHO_REPLY, 0) => {
                    assert_eq!((m.echo_ident(), m.echo_seq()), (0x1234, 1), "{what}");
                    assert_eq!(m.data(), b"ping6 silkroute", "{what}: echo data");
                    Reply::Echo6
                }
                (icmpv6::TYPE_TIME_EXCEEDED, 0) => {
                    let orig = quoted_datagram(m.data(), inputs, max, what);
                    let o = Ipv6Packet::new_checked(orig).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(
                        o.hop_limit(),
                        1,
                        "{what}: quotes a packet whose hop limit was not 1"
                    );
                    Reply::TimeExceeded6
                }
                (icmpv6::TYPE_DEST_UNREACHABLE, icmpv6::unreach::NO_ROUTE) => {
                    let orig = quoted_datagram(m.data(), inputs, max, what);
                    let o = Ipv6Packet::new_checked(orig).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(
                        o.dst_addr(),
                        "2001:4860::8888".parse::<Ipv6Addr>().unwrap(),
                        "{what}"
                    );
                    Reply::Unreachable6
                }
                (t, c) => panic!("{what}: unexpected ICMPv6 type {t} code {c}"),
            }
        }
        other => panic!("{what}: unexpected EtherType {other:#06x}"),
    }
}

/// Frames the router writes to p0 (return flows and the replies) and to
/// p1 (forwarded flows) in a quickstart run.
pub const OUT_FRAMES: (usize, usize) = (2 * FLOWS + REPLIES, 3 * FLOWS);

/// Checks a finished quickstart run in `dir` (the captures `quickstart-p*.pcap`
/// it read and `out/quickstart-p*-tx.pcap` it wrote) against what it
/// printed (`stdout`).
pub fn check_quickstart_run(stdout: &str, dir: &Path) {
    let s = parse_summary(stdout);
    let context = format!("summary:\n{stdout}");

    assert_eq!(
        s.drops,
        by_port(&[
            ("p0", "l2_other_host", 1),
            ("p0", "ipv4_truncated", 1),
            ("p0", "ipv4_header_length", 1),
            ("p0", "ipv4_bad_checksum", 1),
        ]),
        "drops by reason; {context}"
    );
    assert_eq!(
        s.punts,
        by_port(&[
            ("p0", "local", 2),
            ("p0", "arp", 1),
            ("p0", "ndp", 1),
            ("p0", "ttl_expired", 2),
            ("p0", "no_route", 2),
            ("p0", "too_big", 1),
        ]),
        "exceptions by reason; {context}"
    );
    let control: BTreeMap<String, u64> = [
        "arp_reply_sent",
        "ndp_advertisement_sent",
        "icmp_echo_reply_sent",
        "icmpv6_echo_reply_sent",
        "icmp_time_exceeded_sent",
        "icmpv6_time_exceeded_sent",
        "icmp_unreachable_sent",
        "icmpv6_unreachable_sent",
        "icmp_fragmentation_needed_sent",
    ]
    .iter()
    .map(|l| ((*l).to_owned(), 1))
    .collect();
    assert_eq!(s.control, control, "control-plane actions; {context}");
    assert!(
        s.driver.is_empty(),
        "driver errors {:?}; {context}",
        s.driver
    );

    let in0 = read_pcap(&dir.join("quickstart-p0.pcap"));
    let in1 = read_pcap(&dir.join("quickstart-p1.pcap"));
    let out0 = read_pcap(&dir.join("out/quickstart-p0-tx.pcap"));
    let out1 = read_pcap(&dir.join("out/quickstart-p1-tx.pcap"));

    // Port table: [rx_packets, rx_bytes, tx_packets, tx_bytes, dropped, punted, injected].
    let bytes = |frames: &[Vec<u8>]| frames.iter().map(|f| f.len() as u64).sum::<u64>();
    let (drops0, punts0) = (4, 9);
    let p0 = s
        .ports
        .get("p0")
        .unwrap_or_else(|| panic!("no p0 row; {context}"));
    let p1 = s
        .ports
        .get("p1")
        .unwrap_or_else(|| panic!("no p1 row; {context}"));
    let fwd0 = 2 * FLOWS as u64;
    let fwd1 = 3 * FLOWS as u64;
    assert_eq!(
        *p0,
        [
            in0.len() as u64,
            bytes(&in0),
            fwd0 + REPLIES as u64,
            bytes(&out0),
            drops0,
            punts0,
            REPLIES as u64
        ],
        "port p0; {context}"
    );
    assert_eq!(
        *p1,
        [in1.len() as u64, bytes(&in1), fwd1, bytes(&out1), 0, 0, 0],
        "port p1; {context}"
    );
    assert_eq!(in0.len() as u64, fwd1 + drops0 + punts0, "p0 input frames");
    assert_eq!(
        s.received,
        Some((in0.len() + in1.len()) as u64),
        "{context}"
    );
    assert_eq!(s.forwarded, Some(fwd0 + fwd1), "{context}");
    // The captures hold what the summary says was sent.
    assert_eq!(out0.len() as u64, p0[2], "frames in p0's output capture");
    assert_eq!(out1.len() as u64, p1[2], "frames in p1's output capture");

    // p1 carries what came in on p0 and was forwarded, nothing else.
    let mut used = vec![false; in0.len()];
    let mut ecmp_macs = Vec::new();
    let (mut to_203, mut to_198, mut to_v6) = (0, 0, 0);
    for (k, f) in out1.iter().enumerate() {
        let what = format!("p1-tx frame {k}");
        let i = find_input(f, &in0).unwrap_or_else(|| {
            panic!(
                "{what} matches no p0 input frame outside the bytes a router \
                 may rewrite (MACs, TTL, header checksum, hop limit): {}",
                hex(f)
            )
        });
        assert!(
            !std::mem::replace(&mut used[i], true),
            "{what}: input {i} sent twice"
        );
        let (dst, nh) = check_forwarded(f, &in0[i], R1, &what);
        match dst {
            IpAddr::V4(a) if a.octets()[0] == 203 => to_203 += 1,
            IpAddr::V4(_) => {
                to_198 += 1;
                ecmp_macs.push(nh);
            }
            IpAddr::V6(_) => to_v6 += 1,
        }
    }
    assert_eq!(
        (to_203, to_198, to_v6),
        (FLOWS, FLOWS, FLOWS),
        "flows on p1"
    );
    assert!(
        ecmp_macs.contains(&B1) && ecmp_macs.contains(&B2),
        "the {FLOWS} ECMP flows to 198.18.0.0/15 should use both next hops, used {:?}",
        ecmp_macs
            .iter()
            .map(|m| MacAddr(*m).to_string())
            .collect::<Vec<_>>()
    );

    // p0 carries the return traffic and the control plane's answers.
    let mut used = vec![false; in1.len()];
    let (mut back_v4, mut back_v6) = (0, 0);
    let mut replies: BTreeMap<Reply, usize> = BTreeMap::new();
    for (k, f) in out0.iter().enumerate() {
        let what = format!("p0-tx frame {k}");
        match find_input(f, &in1) {
            Some(i) => {
                assert!(
                    !std::mem::replace(&mut used[i], true),
                    "{what}: input {i} sent twice"
                );
                match check_forwarded(f, &in1[i], R0, &what).0 {
                    IpAddr::V4(_) => back_v4 += 1,
                    IpAddr::V6(_) => back_v6 += 1,
                }
            }
            None => *replies.entry(check_reply(f, &in0, &what)).or_default() += 1,
        }
    }
    assert_eq!((back_v4, back_v6), (FLOWS, FLOWS), "return flows on p0");
    let want: BTreeMap<Reply, usize> = [
        Reply::Arp,
        Reply::NeighborAdvert,
        Reply::Echo4,
        Reply::Echo6,
        Reply::TimeExceeded4,
        Reply::TimeExceeded6,
        Reply::Unreachable4,
        Reply::Unreachable6,
        Reply::FragNeeded,
    ]
    .into_iter()
    .map(|r| (r, 1))
    .collect();
    assert_eq!(replies, want, "control-plane replies on p0");
    assert_eq!(want.len(), REPLIES);
}
