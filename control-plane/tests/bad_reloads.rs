//! Every kind of broken configuration, offered as a reload to a running
//! router: each is refused with its file, line and column, the router keeps
//! forwarding with the old configuration, and the failed-reload counter
//! moves.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use silkroute_config::Config;
use silkroute_control_plane::runtime::{ReloadError, Router, RunOptions};
use silkroute_control_plane::telemetry::ReloadResult;
use silkroute_packet::checksum;
use silkroute_router::port::memory::MemoryPeer;

const GOOD: &str = r#"ports:
  - { name: p0, driver: { memory: { ring_size: 1024 } } }
  - { name: p1, driver: { memory: { ring_size: 1024 } } }
interfaces:
  - { name: e0, port: p0, mac: "02:00:00:00:00:01", mtu: 1500, addresses: [192.0.2.1/24] }
  - { name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24, "2001:db8:2::1/64"] }
neighbors:
  - { address: 198.51.100.2, mac: "02:bb:00:00:00:01" }
routes:
  - { prefix: 10.0.0.0/8, via: 198.51.100.2 }
  - { prefix: 20.0.0.0/8, via: [198.51.100.2, 198.51.100.3] }
route_files:
  - { path: routes.txt, via: 198.51.100.2 }
control: { socket: ctl.sock }
metrics: { enabled: false }
workers:
  - { core: 0, rx: [p0, p1] }
"#;

/// (what is broken, text replaced, replacement).
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "yaml syntax: unclosed flow",
        "rx: [p0, p1] }",
        "rx: [p0, p1 }",
    ),
    (
        "yaml syntax: bad indentation",
        "  - { name: e0,",
        " - { name: e0,",
    ),
    ("wrong type: mtu is text", "mtu: 1500", "mtu: big"),
    (
        "wrong type: ports is a map",
        "ports:\n",
        "ports: {}\nxports:\n",
    ),
    ("unknown top-level key", "metrics:", "metricz:"),
    (
        "unknown interface key",
        "mtu: 1500,",
        "mtu: 1500, speed: 10,",
    ),
    (
        "unknown driver",
        "memory: { ring_size: 1024 } } }\n  - { name: p1",
        "tape: {} } }\n  - { name: p1",
    ),
    ("bad prefix", "10.0.0.0/8", "10.0.0/8"),
    ("prefix length too long", "10.0.0.0/8", "10.0.0.0/33"),
    ("host bits set", "10.0.0.0/8", "10.1.0.0/8"),
    ("bad IPv6 prefix", "2001:db8:2::1/64", "2001:db8:2::1/129"),
    (
        "next hop not on any interface",
        "via: 198.51.100.2 }\n  - { prefix: 20",
        "via: 203.0.113.9 }\n  - { prefix: 20",
    ),
    (
        "next hop is our own address",
        "via: 198.51.100.2 }\n  - { prefix: 20",
        "via: 198.51.100.1 }\n  - { prefix: 20",
    ),
    (
        "next hop of the wrong family",
        "via: 198.51.100.2 }\n  - { prefix: 20",
        "via: \"2001:db8:2::2\" }\n  - { prefix: 20",
    ),
    (
        "empty ECMP set",
        "via: [198.51.100.2, 198.51.100.3]",
        "via: []",
    ),
    (
        "duplicate ECMP member",
        "via: [198.51.100.2, 198.51.100.3]",
        "via: [198.51.100.2, 198.51.100.2]",
    ),
    (
        "duplicate static route",
        "  - { prefix: 20.0.0.0/8,",
        "  - { prefix: 10.0.0.0/8, via: 198.51.100.2 }\n  - { prefix: 20.0.0.0/8,",
    ),
    ("duplicate interface name", "name: e1,", "name: e0,"),
    (
        "duplicate address",
        "addresses: [198.51.100.1/24,",
        "addresses: [192.0.2.1/24,",
    ),
    (
        "overlapping subnets",
        "addresses: [198.51.100.1/24,",
        "addresses: [192.0.2.129/25,",
    ),
    ("interface on an unknown port", "port: p1,", "port: p9,"),
    ("bad MAC", "02:00:00:00:00:02", "02:00:00:00:00"),
    ("multicast MAC", "02:00:00:00:00:02", "03:00:00:00:00:02"),
    ("huge number", "mtu: 1500", "mtu: 99999999999"),
    ("MTU too small", "mtu: 1500", "mtu: 20"),
    ("core that does not exist", "core: 0", "core: 4096"),
    (
        "worker polls an unknown port",
        "rx: [p0, p1]",
        "rx: [p0, p7]",
    ),
    (
        "missing route file",
        "path: routes.txt",
        "path: nowhere.txt",
    ),
    (
        "malformed route-file line",
        "path: routes.txt",
        "path: bad-routes.txt",
    ),
    (
        "truncated gzip route file",
        "path: routes.txt",
        "path: cut.txt.gz",
    ),
    (
        "route file of the wrong family for its next hop",
        "path: routes.txt",
        "path: v6-routes.txt",
    ),
    (
        "neighbour not on any subnet",
        "address: 198.51.100.2, mac",
        "address: 203.0.113.2, mac",
    ),
];

fn frame(dst: [u8; 4]) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10];
    ip.extend_from_slice(&dst);
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    [&[2, 0, 0, 0, 0, 1, 2, 0xaa, 0, 0, 0, 0x0a, 8, 0][..], &ip].concat()
}

/// Sends one packet to 10.1.2.3 and returns once it left p1.
fn forwards(router: &mut Router, p0: &mut MemoryPeer, p1: &mut MemoryPeer) -> bool {
    assert!(p0.inject(&frame([10, 1, 2, 3])));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        router.poll_exceptions();
        if let Some(ok) = p1.collect_with(|f| f[0..6] == [2, 0xbb, 0, 0, 0, 1] && f[22] == 63) {
            return ok;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

fn setup(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("routes.txt"),
        "100.64.0.0/10\n198.18.0.0/15 64496\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bad-routes.txt"),
        "100.64.0.0/10\n198.18.0.0/15x\n",
    )
    .unwrap();
    std::fs::write(dir.join("v6-routes.txt"), "2001:db8:99::/48\n").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(gz, "100.{}.{}.0/24", 64 + i / 256, i % 256).unwrap();
    }
    let gz = gz.finish().unwrap();
    std::fs::write(dir.join("cut.txt.gz"), &gz[..gz.len() / 2]).unwrap();
    let path = dir.join("router.yaml");
    std::fs::write(&path, GOOD).unwrap();
    path
}

#[test]
fn every_broken_config_is_refused_and_the_router_keeps_forwarding() {
    let dir = std::env::temp_dir().join(format!("silkroute-bad-reload-{}", std::process::id()));
    let path = setup(&dir);
    let mut router = Router::start(
        Config::load(&path).expect("the good config loads"),
        &RunOptions {
            pin: false,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let mut p0 = router.memory_peers.remove("p0").unwrap();
    let mut p1 = router.memory_peers.remove("p1").unwrap();
    let before = router.config().clone();
    assert!(forwards(&mut router, &mut p0, &mut p1));
    let invalid = ReloadResult::ALL
        .iter()
        .position(|r| *r == ReloadResult::Invalid)
        .unwrap();
    let mut refused = 0;
    for (what, from, to) in BROKEN {
        assert!(
            GOOD.contains(from),
            "{what}: pattern not in the good config"
        );
        std::fs::write(&path, GOOD.replacen(from, to, 1)).unwrap();
        let counted = router.telemetry().state().reloads.by_result[invalid];
        match router.reload() {
            Err(ReloadError::Invalid(errors)) => {
                let first = &errors.0[0];
                assert!(
                    first.line > 0 && first.column > 0,
                    "{what}: no position in {errors}"
                );
                let text = errors.to_string();
                assert!(
                    text.contains(".yaml:") || text.contains(".txt"),
                    "{what}: {text}"
                );
                println!("{what:<50} -> {first}");
            }
            other => panic!("{what}: not refused as invalid: {other:?}"),
        }
        assert_eq!(
            router.telemetry().state().reloads.by_result[invalid],
            counted + 1,
            "{what}: failed reload not counted"
        );
        assert_eq!(router.config(), &before, "{what}: running config changed");
        assert!(
            forwards(&mut router, &mut p0, &mut p1),
            "{what}: forwarding stopped"
        );
        refused += 1;
    }
    // And the good config still reloads afterwards.
    std::fs::write(&path, GOOD).unwrap();
    router.reload().expect("the good config reloads");
    assert!(forwards(&mut router, &mut p0, &mut p1));
    println!("{refused} broken configs refused");
    let _ = router.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
