//! Pieces the benchmark examples share: the real IPv4 table, test
//! frames, destinations spread over the table, capture files.

// Each example uses the subset it needs.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use silkroute_config::RouteFile;
use silkroute_control_plane::fib_bench::SplitMix;
use silkroute_packet::checksum;

/// The router's MAC on the receiving port of every bench config.
pub const ROUTER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

/// The sending host's MAC.
pub const HOST_MAC: [u8; 6] = [2, 0xaa, 0, 0, 0, 0x0a];

/// The full IPv4 BGP table (`../shared/data/bgp-ipv4.txt.gz` from the
/// repository root).
pub fn bgp_ipv4_table() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bgp-ipv4.txt.gz");
    assert!(p.exists(), "{} missing", p.display());
    p
}

/// A fresh scratch directory for one run of `bench`.
pub fn scratch_dir(bench: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("silkroute-{bench}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// An IPv4 header (no options) carrying `payload`, checksum filled in.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0, 0, ttl, proto, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(payload);
    ip
}

/// An Ethernet frame around `l3`.
pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, l3: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + l3.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(l3);
    f
}

/// A UDP datagram to port 53 from `sport` with 18 zero bytes of data
/// (26 bytes: a 64-byte frame over IPv4), checksum 0 (none).
pub fn udp_payload(sport: u16) -> Vec<u8> {
    let mut udp = sport.to_be_bytes().to_vec();
    udp.extend_from_slice(&[0, 53, 0, 26, 0, 0]);
    udp.extend_from_slice(&[0u8; 18]);
    udp
}

/// A 64-byte IPv4 UDP frame (60 bytes without the FCS) from the host
/// 192.0.2.10 to `dst`, source port `sport`.
pub fn udp4_frame(dst: u32, sport: u16) -> Vec<u8> {
    let udp = udp_payload(sport);
    let ip = ipv4([192, 0, 2, 10], dst.to_be_bytes(), 17, 64, &udp);
    eth(ROUTER_MAC, HOST_MAC, 0x0800, &ip)
}

/// `n` addresses, each inside a uniformly chosen IPv4 route of `routes`.
pub fn destinations_in_routes(routes: &RouteFile, n: usize, seed: u64) -> Vec<u32> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|_| {
            let net = routes.v4[rng.below(routes.v4.len())];
            let host = if net.prefix_len() == 32 {
                0
            } else {
                (rng.next_u64() as u32) >> net.prefix_len()
            };
            u32::from(net.network()) | host
        })
        .collect()
}

/// Writes `frames` as a classic pcap (Ethernet, microsecond timestamps).
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for fr in frames {
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        out.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        out.extend_from_slice(fr);
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&out))
        .expect("write pcap");
}

/// The load average over the last minute (`/proc/loadavg`), for the
/// RESULT lines: figures from a busy machine are not comparable.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}
