//! `bgp-capture`: a pcap of minimum-size UDP frames whose destinations
//! spread over a whole BGP table, for `benches/dpdk-vdev.sh`.
//!
//! Each frame's destination is a random address inside a prefix chosen
//! uniformly from the table (the `matched` keys of `lpm-compare`, same
//! generator and seed), so a router that loaded the table looks up a
//! different, mostly cache-cold route per frame. The frames are addressed
//! to the router's MAC (`--dst-mac`) from a host on the port's subnet.
//!
//! Sizes (without the 4-byte FCS, which captures do not hold):
//! - IPv4: 60 bytes (64 on the wire): Ethernet 14 + IPv4 20 + UDP 8 +
//!   18 bytes of zero payload.
//! - IPv6: 62 bytes (66 on the wire): Ethernet 14 + IPv6 40 + UDP 8, no
//!   payload; IPv6's 40-byte header makes this the smallest UDP frame.
//!
//! UDP checksums are filled (mandatory for IPv6, RFC 8200 §8.1); source
//! ports cycle over 1024.. so RSS, where used, spreads the flows.
//!
//! Prints `bgp-capture family=F routes=R frames=N frame_len=L out=PATH`.

use std::fs::File;
use std::io::BufWriter;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use silkroute_benches::keys;
use silkroute_packet::checksum;
use silkroute_packet::ethernet::{self, EthernetFrame, MacAddr, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use silkroute_packet::ipv6::NH_UDP;
use silkroute_packet::{ipv4, ipv6, Ipv4Packet, Ipv6Packet};

/// IP protocol number of UDP (RFC 768).
const PROTO_UDP: u8 = NH_UDP;
/// UDP header length (RFC 768).
const UDP_HEADER_LEN: usize = 8;
/// Destination UDP port: discard (RFC 863), nothing answers it.
const UDP_DST_PORT: u16 = 9;
/// First UDP source port; frames cycle over `--flows` ports from here.
const UDP_SRC_PORT_BASE: u16 = 1024;
/// Frame length without FCS of a 64-byte Ethernet frame (IEEE 802.3).
const MIN_FRAME_LEN: usize = 60;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    const fn as_str(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    about = "Write a pcap of minimum-size UDP frames to destinations spread over a BGP table"
)]
struct Args {
    /// Address family of the frames (the routes of the other family in
    /// the file are ignored).
    #[arg(long, value_enum)]
    family: Family,
    /// Route file (`PREFIX/LEN` per line, gzip allowed), e.g.
    /// ../shared/data/bgp-ipv4.txt.gz.
    #[arg(long)]
    routes: PathBuf,
    /// Frames to write.
    #[arg(long, default_value_t = 65536)]
    frames: usize,
    /// Destination MAC: the router port's.
    #[arg(long)]
    dst_mac: MacAddr,
    /// Source MAC: the sending host's.
    #[arg(long)]
    src_mac: MacAddr,
    /// Source IP address (of `--family`): a host on the port's subnet.
    #[arg(long)]
    src_ip: IpAddr,
    /// Distinct UDP source ports (flows per destination pattern).
    #[arg(long, default_value_t = 64)]
    flows: u16,
    /// Seed of the destination choice.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Capture to write.
    #[arg(long)]
    out: PathBuf,
}

/// Ethernet header of every frame.
fn ethernet_header(frame: &mut [u8], args: &Args, ethertype: u16) {
    let mut eth = EthernetFrame::new_unchecked(frame);
    eth.set_dst(args.dst_mac);
    eth.set_src(args.src_mac);
    eth.set_ethertype(ethertype);
}

/// Writes the UDP header at the start of `udp` (header plus payload);
/// the checksum is `pseudo` (the pseudo-header sum) folded with the
/// datagram.
fn udp_header(udp: &mut [u8], src_port: u16, pseudo: u32) {
    let len = udp.len() as u16;
    udp[0..2].copy_from_slice(&src_port.to_be_bytes());
    udp[2..4].copy_from_slice(&UDP_DST_PORT.to_be_bytes());
    udp[4..6].copy_from_slice(&len.to_be_bytes());
    udp[6..8].fill(0);
    let mut c = checksum::finish(checksum::add(pseudo, checksum::sum(udp)));
    // RFC 768: a computed 0 is sent as all ones (0 means "no checksum").
    if c == 0 {
        c = 0xffff;
    }
    udp[6..8].copy_from_slice(&c.to_be_bytes());
}

/// One 60-byte IPv4/UDP frame to `dst`.
fn frame_v4(args: &Args, src: Ipv4Addr, dst: Ipv4Addr, src_port: u16) -> Vec<u8> {
    let mut f = vec![0u8; MIN_FRAME_LEN];
    ethernet_header(&mut f, args, ETHERTYPE_IPV4);
    let ip_len = MIN_FRAME_LEN - ethernet::HEADER_LEN;
    let udp_len = ip_len - ipv4::MIN_HEADER_LEN;
    let mut ip = Ipv4Packet::new_unchecked(&mut f[ethernet::HEADER_LEN..]);
    ip.set_version_and_header_len(ipv4::MIN_HEADER_LEN);
    ip.set_total_len(ip_len as u16);
    ip.set_ttl(64);
    ip.set_protocol(PROTO_UDP);
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
    ip.fill_checksum();
    let pseudo = checksum::pseudo_header_v4(src, dst, PROTO_UDP, udp_len as u16);
    udp_header(ip.payload_mut(), src_port, pseudo);
    f
}

/// One 62-byte IPv6/UDP frame to `dst` (no UDP payload).
fn frame_v6(args: &Args, src: Ipv6Addr, dst: Ipv6Addr, src_port: u16) -> Vec<u8> {
    let len = ethernet::HEADER_LEN + ipv6::HEADER_LEN + UDP_HEADER_LEN;
    let mut f = vec![0u8; len];
    ethernet_header(&mut f, args, ETHERTYPE_IPV6);
    let mut ip = Ipv6Packet::new_unchecked(&mut f[ethernet::HEADER_LEN..]);
    ip.set_version_tc_flow(0, 0);
    ip.set_payload_len(UDP_HEADER_LEN as u16);
    ip.set_next_header(NH_UDP);
    ip.set_hop_limit(64);
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
    let pseudo = checksum::pseudo_header_v6(&src, &dst, UDP_HEADER_LEN as u32, NH_UDP);
    udp_header(ip.payload_mut(), src_port, pseudo);
    f
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.frames == 0 || args.flows == 0 {
        bail!("--frames and --flows must be positive");
    }
    let routes = keys::load(&args.routes)?;
    let src_port = |i: usize| UDP_SRC_PORT_BASE + (i % usize::from(args.flows)) as u16;
    let (n_routes, frames) = match (args.family, args.src_ip) {
        (Family::Ipv4, IpAddr::V4(src)) if !routes.v4.is_empty() => {
            let dsts = keys::keys_v4(&routes.v4, args.frames, args.seed).matched;
            let frame = |(i, d): (usize, &u32)| frame_v4(&args, src, (*d).into(), src_port(i));
            (
                routes.v4.len(),
                dsts.iter().enumerate().map(frame).collect(),
            )
        }
        (Family::Ipv6, IpAddr::V6(src)) if !routes.v6.is_empty() => {
            let dsts = keys::keys_v6(&routes.v6, args.frames, args.seed).matched;
            let frame = |(i, d): (usize, &u128)| frame_v6(&args, src, (*d).into(), src_port(i));
            (
                routes.v6.len(),
                dsts.iter().enumerate().map(frame).collect::<Vec<_>>(),
            )
        }
        (family @ Family::Ipv4, IpAddr::V4(_)) | (family @ Family::Ipv6, IpAddr::V6(_)) => {
            bail!("{}: no {} routes", args.routes.display(), family.as_str())
        }
        (family, src) => bail!("--src-ip {src} is not of family {}", family.as_str()),
    };

    let file = File::create(&args.out).with_context(|| format!("create {}", args.out.display()))?;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(BufWriter::new(file), header)
        .with_context(|| format!("write {}", args.out.display()))?;
    for (i, f) in frames.iter().enumerate() {
        // One microsecond apart: timestamps are not used by the replay.
        let ts = Duration::from_micros(i as u64);
        w.write_packet(&PcapPacket::new(ts, f.len() as u32, f))
            .with_context(|| format!("write {}", args.out.display()))?;
    }
    drop(w);
    let frame_len = frames.first().map_or(0, Vec::len);
    println!(
        "bgp-capture family={} routes={n_routes} frames={} frame_len={frame_len} out={}",
        args.family.as_str(),
        frames.len(),
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(family: &str, src: &str) -> Args {
        Args::parse_from([
            "bgp-capture",
            "--family",
            family,
            "--routes",
            "unused",
            "--dst-mac",
            "02:00:00:00:00:01",
            "--src-mac",
            "02:aa:00:00:00:0a",
            "--src-ip",
            src,
            "--out",
            "unused",
        ])
    }

    /// The UDP checksum over pseudo-header and datagram verifies (sums to
    /// all ones, RFC 1071).
    fn udp_verifies(pseudo: u32, udp: &[u8]) -> bool {
        checksum::add(pseudo, checksum::sum(udp)) == 0xffff
    }

    #[test]
    fn ipv4_frame_is_64_bytes_on_the_wire_and_valid() {
        let a = args("ipv4", "192.0.2.10");
        let (src, dst) = (Ipv4Addr::new(192, 0, 2, 10), Ipv4Addr::new(203, 0, 113, 7));
        let f = frame_v4(&a, src, dst, 1030);
        assert_eq!(f.len() + 4, 64);
        let eth = EthernetFrame::new_checked(&f[..]).unwrap();
        assert_eq!(eth.dst(), a.dst_mac);
        assert_eq!(eth.src(), a.src_mac);
        assert_eq!(eth.ethertype(), ETHERTYPE_IPV4);
        let ip = Ipv4Packet::new_checked(&f[ethernet::HEADER_LEN..]).unwrap();
        assert!(ip.verify_checksum());
        assert_eq!((ip.src_addr(), ip.dst_addr(), ip.ttl()), (src, dst, 64));
        assert_eq!(usize::from(ip.total_len()), f.len() - ethernet::HEADER_LEN);
        let udp = ip.payload();
        assert_eq!(&udp[0..4], &[0x04, 0x06, 0x00, 0x09]);
        let pseudo = checksum::pseudo_header_v4(src, dst, PROTO_UDP, udp.len() as u16);
        assert!(udp_verifies(pseudo, udp));
    }

    #[test]
    fn ipv6_frame_is_the_smallest_udp_frame_and_valid() {
        let a = args("ipv6", "2001:db8::10");
        let src: Ipv6Addr = "2001:db8::10".parse().unwrap();
        let dst: Ipv6Addr = "2a00:1450::1".parse().unwrap();
        let f = frame_v6(&a, src, dst, 1024);
        assert_eq!(f.len(), 62);
        assert_eq!(
            EthernetFrame::new_checked(&f[..]).unwrap().ethertype(),
            ETHERTYPE_IPV6
        );
        let ip = Ipv6Packet::new_checked(&f[ethernet::HEADER_LEN..]).unwrap();
        assert_eq!(
            (ip.src_addr(), ip.dst_addr(), ip.hop_limit()),
            (src, dst, 64)
        );
        assert_eq!((ip.next_header(), ip.payload_len()), (NH_UDP, 8));
        let udp = ip.payload();
        let pseudo = checksum::pseudo_header_v6(&src, &dst, udp.len() as u32, NH_UDP);
        assert!(udp_verifies(pseudo, udp));
        assert_ne!(&udp[6..8], &[0, 0], "IPv6 UDP checksum is mandatory");
    }
}
