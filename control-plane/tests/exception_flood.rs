//! Control-plane protection, end to end and exact: under a sustained
//! exception flood (TTL 1, ARP and neighbour solicitations from a
//! flooding station), real neighbours on the flooded port and on another
//! port still get their ARP replies and neighbour advertisements, and
//! every flood packet over the limits is counted as
//! `exception_rate_limited`. The limits are set with no refill, so the
//! outcome does not depend on timing: exactly the bursts get through.
//! (What a flood costs transit forwarding is measured by
//! `benches/exception-flood.sh`, not here.)

use std::time::{Duration, Instant};

use silkroute_config::Config;
use silkroute_control_plane::runtime::{Router, RunOptions};
use silkroute_packet::{build, checksum, ndp, MacAddr};
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::limit::{ExceptionLimits, RateLimit};
use silkroute_router::port::memory::MemoryPeer;

const R1: [u8; 6] = [2, 0, 0, 0, 0, 2];
/// Real neighbours: A on p0, B on the flooded p1.
const A: [u8; 6] = [2, 0xaa, 0, 0, 0, 0x0a];
const B: [u8; 6] = [2, 0xbb, 0, 0, 0, 0x0b];
/// The flooding station on p1.
const F: [u8; 6] = [2, 0xcc, 0, 0, 0, 0x0f];

const CONFIG: &str = r#"
ports:
  - { name: p0, driver: { memory: { ring_size: 1024 } } }
  - { name: p1, driver: { memory: { ring_size: 1024 } } }
interfaces:
  - { name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24, "2001:db8:1::1/64"] }
  - { name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24, "2001:db8:2::1/64"] }
neighbors:
  - { address: 198.51.100.66, mac: "02:cc:00:00:00:0f" }
routes:
  - { prefix: 10.0.0.0/8, via: 198.51.100.66 }
control: { socket: /nonexistent/never-bound.sock }
metrics: { enabled: false }
workers:
  - { core: 0, rx: [p0, p1] }
"#;

/// General exceptions punted before the limit closes (no refill).
const GENERAL_BURST: u64 = 8;
/// ARP/NDP punts per source MAC bucket and per port (no refill).
const SOURCE_BURST: u64 = 4;
const PORT_BURST: u64 = 16;

fn arp_request(mac: [u8; 6], ip: [u8; 4], router: [u8; 4]) -> Vec<u8> {
    let mut out = [0u8; 64];
    let n = build::arp_request(MacAddr(mac), ip.into(), router.into(), &mut out).unwrap();
    out[..n].to_vec()
}

fn solicitation(mac: [u8; 6], ip: &str, router: &str) -> Vec<u8> {
    let mut out = [0u8; 128];
    let n = ndp::ndp_neighbor_solicitation(
        MacAddr(mac),
        ip.parse().unwrap(),
        router.parse().unwrap(),
        &mut out,
    )
    .unwrap();
    out[..n].to_vec()
}

/// A TTL-1 UDP packet from the flooder to 10.0.0.0/8 (routed, so it
/// expires here).
fn ttl1(i: u16) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 28, (i >> 8) as u8, i as u8, 0, 0, 1, 17, 0, 0];
    ip.extend_from_slice(&[198, 51, 100, 66, 10, 1, (i >> 8) as u8, i as u8]);
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    [&R1[..], &F[..], &[0x08, 0x00], &ip].concat()
}

fn is_arp_reply_to(f: &[u8], mac: [u8; 6]) -> bool {
    f.len() >= 42 && f[0..6] == mac && f[12..14] == [8, 6] && f[20..22] == [0, 2]
}

fn is_na_to(f: &[u8], mac: [u8; 6]) -> bool {
    f.len() >= 78 && f[0..6] == mac && f[12..14] == [0x86, 0xdd] && f[20] == 58 && f[54] == 136
}

/// Offers `frame` to `peer`, serving the control plane while the ring is
/// full.
fn offer(router: &mut Router, peer: &mut MemoryPeer, frame: &[u8]) {
    let start = Instant::now();
    while !peer.inject(frame) {
        router.poll_exceptions();
        assert!(start.elapsed() < Duration::from_secs(20), "worker stalled");
        std::thread::yield_now();
    }
}

#[test]
fn real_neighbours_are_answered_and_the_flood_is_counted() {
    let dir = std::env::temp_dir().join(format!("silkroute-flood-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.yaml");
    std::fs::write(&path, CONFIG).unwrap();
    let limit = |burst| RateLimit {
        per_second: 0,
        burst,
    };
    let opts = RunOptions {
        pin: false,
        exception_limits: ExceptionLimits {
            general: limit(GENERAL_BURST),
            neighbor_port: limit(PORT_BURST),
            neighbor_source: limit(SOURCE_BURST),
        },
        ..RunOptions::default()
    };
    let mut router = Router::start(Config::load(&path).unwrap(), &opts).unwrap();
    let mut p0 = router.memory_peers.remove("p0").unwrap();
    let mut p1 = router.memory_peers.remove("p1").unwrap();

    let flood_arp = arp_request(F, [198, 51, 100, 66], [198, 51, 100, 1]);
    let flood_ns = solicitation(F, "2001:db8:2::66", "2001:db8:2::1");
    let a_arp = arp_request(A, [192, 0, 2, 10], [192, 0, 2, 1]);
    let a_ns = solicitation(A, "2001:db8:1::10", "2001:db8:1::1");
    let b_arp = arp_request(B, [198, 51, 100, 11], [198, 51, 100, 1]);
    let b_ns = solicitation(B, "2001:db8:2::11", "2001:db8:2::1");

    // 6000 flood packets on p1; the neighbours' requests arrive in the
    // middle of it, after the flood has used up every burst it can.
    let (mut ttl_sent, mut nd_flood_sent) = (0u64, 0u64);
    for i in 0..6000u16 {
        let f = match i % 3 {
            0 => ttl1(i),
            1 => flood_arp.clone(),
            _ => flood_ns.clone(),
        };
        offer(&mut router, &mut p1, &f);
        if i % 3 == 0 {
            ttl_sent += 1;
        } else {
            nd_flood_sent += 1;
        }
        if i == 3000 {
            for f in [&a_arp, &a_ns] {
                offer(&mut router, &mut p0, f);
            }
            for f in [&b_arp, &b_ns] {
                offer(&mut router, &mut p1, f);
            }
        }
    }
    let flood = ttl_sent + nd_flood_sent;

    // Serve the control plane until every packet is in and both
    // neighbours have both answers.
    let (mut a_got, mut b_got) = ((0, 0), (0, 0));
    let start = Instant::now();
    loop {
        router.poll_exceptions();
        while let Some(f) = p0.collect() {
            a_got.0 += u64::from(is_arp_reply_to(&f, A));
            a_got.1 += u64::from(is_na_to(&f, A));
        }
        while let Some(f) = p1.collect() {
            b_got.0 += u64::from(is_arp_reply_to(&f, B));
            b_got.1 += u64::from(is_na_to(&f, B));
        }
        let c = &router.counters()[0];
        let all_in = c.port(1).rx_packets == flood + 2 && c.port(0).rx_packets == 2;
        if all_in && a_got == (1, 1) && b_got == (1, 1) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "answers to A {a_got:?}, to B {b_got:?} (want one ARP reply and one NA each)"
        );
        std::thread::sleep(Duration::from_millis(1));
    }

    let report = router.stop();
    let c = &report.workers[0];
    let p1c = c.port(1);
    // Exactly the bursts got through; everything else is counted.
    assert_eq!(p1c.punts[PuntReason::TtlExpired as usize], GENERAL_BURST);
    assert_eq!(
        p1c.punts[PuntReason::Arp as usize] + p1c.punts[PuntReason::Ndp as usize],
        SOURCE_BURST + 2,
        "the flooder's source burst, then B's two requests"
    );
    assert_eq!(
        p1c.drops[DropReason::ExceptionRateLimited as usize],
        flood - GENERAL_BURST - SOURCE_BURST,
        "every flood packet over the limits is counted as exception_rate_limited"
    );
    assert_eq!(p1c.drops[DropReason::ExceptionRingFull as usize], 0);
    let p0c = c.port(0);
    assert_eq!(p0c.punts[PuntReason::Arp as usize], 1);
    assert_eq!(p0c.punts[PuntReason::Ndp as usize], 1);
    assert_eq!(p0c.total_drops(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
