//! Dynamic neighbour resolution over memory ports: a packet to a next hop
//! (or an attached host) with no known MAC is queued, the router solicits
//! it, the answer completes the entry, the FIB learns the MAC and the
//! queued packet leaves — after which the workers forward on their own.

use std::time::{Duration, Instant};

use silkroute_config::Config;
use silkroute_control_plane::runtime::{Router, RunOptions};
use silkroute_packet::{build, checksum, ndp, ArpPacket, MacAddr};
use silkroute_router::forward::reason::PuntReason;
use silkroute_router::port::memory::MemoryPeer;

const R0: [u8; 6] = [2, 0, 0, 0, 0, 1];
const R1: [u8; 6] = [2, 0, 0, 0, 0, 2];
const HOST: [u8; 6] = [2, 0xaa, 0, 0, 0, 0x0a];
const B1: [u8; 6] = [2, 0xbb, 0, 0, 0, 1];
const H7: [u8; 6] = [2, 0xcc, 0, 0, 0, 7];

const CONFIG: &str = r#"
ports:
  - { name: p0, driver: { memory: { ring_size: 1024 } } }
  - { name: p1, driver: { memory: { ring_size: 1024 } } }
interfaces:
  - { name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24, "2001:db8:1::1/64"] }
  - { name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24, "2001:db8:2::1/64"] }
neighbors:
  - { address: 192.0.2.10, mac: "02:aa:00:00:00:0a" }
  - { address: "2001:db8:1::10", mac: "02:aa:00:00:00:0a" }
routes:
  - { prefix: 10.0.0.0/8, via: 198.51.100.2 }
  - { prefix: "2001:db8:100::/48", via: "2001:db8:2::2" }
control: { socket: /nonexistent/never-bound.sock }
metrics: { enabled: false }
workers:
  - { core: 0, rx: [p0, p1] }
"#;

fn v4(dst: [u8; 4], id: u16) -> Vec<u8> {
    let mut ip = vec![
        0x45,
        0,
        0,
        28,
        (id >> 8) as u8,
        id as u8,
        0,
        0,
        64,
        17,
        0,
        0,
        192,
        0,
        2,
        10,
    ];
    ip.extend_from_slice(&dst);
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    [&R0[..], &HOST[..], &[0x08, 0x00], &ip].concat()
}

fn v6(dst: &str) -> Vec<u8> {
    let src: std::net::Ipv6Addr = "2001:db8:1::10".parse().unwrap();
    let dst: std::net::Ipv6Addr = dst.parse().unwrap();
    let mut ip = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    [&R0[..], &HOST[..], &[0x86, 0xdd], &ip].concat()
}

struct Rig {
    router: Router,
    p0: MemoryPeer,
    p1: MemoryPeer,
    _dir: std::path::PathBuf,
}

impl Rig {
    fn new() -> Rig {
        // Tests run in parallel in one process: one directory each.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("silkroute-neigh-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.yaml");
        std::fs::write(&path, CONFIG).unwrap();
        let cfg = Config::load(&path).expect("config");
        let mut router = Router::start(
            cfg,
            &RunOptions {
                pin: false,
                ..RunOptions::default()
            },
        )
        .expect("start");
        let p0 = router.memory_peers.remove("p0").unwrap();
        let p1 = router.memory_peers.remove("p1").unwrap();
        Rig {
            router,
            p0,
            p1,
            _dir: dir,
        }
    }

    /// Polls the control plane until a frame leaves p1 that `pick`
    /// accepts; returns it.
    fn expect_p1(&mut self, what: &str, pick: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let start = Instant::now();
        loop {
            self.router.poll_exceptions();
            while let Some(f) = self.p1.collect() {
                if pick(&f) {
                    return f;
                }
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no {what} on p1");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn is_arp_request_for(f: &[u8], ip: [u8; 4]) -> bool {
    f.len() >= 42
        && f[12..14] == [0x08, 0x06]
        && ArpPacket::new_checked(&f[14..]).is_ok_and(|a| a.oper() == 1 && a.tpa().octets() == ip)
}

fn is_udp_to(f: &[u8], mac: [u8; 6], dst: [u8; 4]) -> bool {
    f.len() >= 34
        && f[0..6] == mac
        && f[6..12] == R1
        && f[12..14] == [8, 0]
        && f[30..34] == dst
        && f[22] == 63
}

#[test]
fn arp_resolves_next_hop_and_attached_host_and_releases_queued_packets() {
    let mut rig = Rig::new();
    // Three packets for 10/8 before the next hop is known: queued.
    for id in 0..3 {
        assert!(rig.p0.inject(&v4([10, 1, 2, 3], id)));
    }
    let req = rig.expect_p1("ARP request for 198.51.100.2", |f| {
        is_arp_request_for(f, [198, 51, 100, 2])
    });
    assert_eq!(&req[6..12], &R1, "request from the egress port's MAC");
    // B1 answers.
    let mut reply = [0u8; 64];
    let n = build::arp_reply(&req, MacAddr(B1), &mut reply).unwrap();
    assert!(rig.p1.inject(&reply[..n]));
    for _ in 0..3 {
        let f = rig.expect_p1("queued packet", |f| is_udp_to(f, B1, [10, 1, 2, 3]));
        assert!(silkroute_packet::Ipv4Packet::new_checked(&f[14..])
            .unwrap()
            .verify_checksum());
    }
    // From now on the worker forwards by itself: no more punts.
    let punts_before =
        rig.router.counters()[0].port(0).punts[PuntReason::NeighborUnresolved as usize];
    assert!(rig.p0.inject(&v4([10, 9, 9, 9], 7)));
    rig.expect_p1("forwarded packet", |f| is_udp_to(f, B1, [10, 9, 9, 9]));
    let punts_after =
        rig.router.counters()[0].port(0).punts[PuntReason::NeighborUnresolved as usize];
    assert_eq!(
        punts_before, punts_after,
        "resolved next hop is forwarded by the worker"
    );

    // An attached host: ARP for the destination itself, then a host route.
    assert!(rig.p0.inject(&v4([198, 51, 100, 7], 9)));
    let req = rig.expect_p1("ARP request for .7", |f| {
        is_arp_request_for(f, [198, 51, 100, 7])
    });
    let n = build::arp_reply(&req, MacAddr(H7), &mut reply).unwrap();
    assert!(rig.p1.inject(&reply[..n]));
    rig.expect_p1("queued packet to .7", |f| {
        is_udp_to(f, H7, [198, 51, 100, 7])
    });
    let fib = rig.router.fib();
    assert_ne!(
        fib.v4.get(u32::from_be_bytes([198, 51, 100, 7]), 32),
        None,
        "host route installed"
    );
}

#[test]
fn ndp_resolves_ipv6_next_hop() {
    let mut rig = Rig::new();
    assert!(rig.p0.inject(&v6("2001:db8:100::5")));
    let ns = rig.expect_p1("neighbour solicitation", |f| {
        f.len() > 54 && f[12..14] == [0x86, 0xdd] && f[20] == 58 && f[54] == 135
    });
    assert_eq!(
        &ns[0..3],
        &[0x33, 0x33, 0xff],
        "to the solicited-node group"
    );
    let mut na = [0u8; 128];
    let n = ndp::ndp_neighbor_advertisement(&ns, MacAddr(B1), &mut na).unwrap();
    assert!(rig.p1.inject(&na[..n]));
    let f = rig.expect_p1("queued IPv6 packet", |f| {
        f.len() > 54 && f[0..6] == B1 && f[12..14] == [0x86, 0xdd] && f[20] == 17
    });
    assert_eq!(f[21], 63, "hop limit decremented");
}

#[test]
fn unanswered_solicitations_give_up_and_bound_the_queue() {
    let mut rig = Rig::new();
    for id in 0..40 {
        assert!(rig.p0.inject(&v4([10, 4, 4, 4], id)));
    }
    rig.expect_p1("ARP request", |f| is_arp_request_for(f, [198, 51, 100, 2]));
    let start = Instant::now();
    loop {
        rig.router.poll_exceptions();
        rig.router.refresh_telemetry();
        let c = rig.router.telemetry().state().control.clone();
        let full = c
            .nonzero()
            .iter()
            .find(|(l, _)| *l == "resolution_queue_full")
            .map_or(0, |(_, n)| *n);
        if full >= 24 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "queue bound not hit"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}
