//! Hot reload under traffic: packets that both the old and the new config
//! forward are never lost or misrouted, including across full-table
//! reloads of the real IPv4 BGP table; invalid configs and changes that
//! need a restart leave the running config as it was.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use silkroute_config::Config;
use silkroute_control_plane::runtime::{ReloadError, Router, RunOptions};
use silkroute_packet::checksum;

const MAC_P0: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_HOST: [u8; 6] = [2, 0xaa, 0, 0, 0, 0x0a];
const MAC_B1: [u8; 6] = [2, 0xbb, 0, 0, 0, 1];
const MAC_B2: [u8; 6] = [2, 0xbb, 0, 0, 0, 2];

fn shared_table() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bgp-ipv4.txt.gz");
    assert!(
        p.exists(),
        "{} is missing: the shared data must sit beside the checkout",
        p.display()
    );
    p
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("silkroute-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `via` is where 10.0.0.0/8 goes; `full` adds the whole BGP table.
fn config_text(via: &str, full: bool, extra_route: Option<&str>) -> String {
    let mut s = format!(
        r#"
ports:
  - {{ name: p0, driver: {{ memory: {{ ring_size: 4096 }} }} }}
  - {{ name: p1, driver: {{ memory: {{ ring_size: 4096 }} }} }}
  - {{ name: p2, driver: {{ memory: {{ ring_size: 4096 }} }} }}
interfaces:
  - {{ name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24] }}
  - {{ name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24] }}
  - {{ name: e2, port: p2, mac: "02:00:00:00:00:03", addresses: [203.0.113.1/24] }}
neighbors:
  - {{ address: 198.51.100.2, mac: "02:bb:00:00:00:01" }}
  - {{ address: 203.0.113.2, mac: "02:bb:00:00:00:02" }}
control: {{ socket: ctl.sock }}
metrics: {{ enabled: false }}
routes:
  - {{ prefix: 10.0.0.0/8, via: {via} }}
"#
    );
    if let Some(r) = extra_route {
        s.push_str(&format!("  - {{ prefix: {r}, via: 198.51.100.2 }}\n"));
    }
    if full {
        s.push_str(&format!(
            "route_files:\n  - {{ path: {}, via: [198.51.100.2, 203.0.113.2] }}\n",
            shared_table().display()
        ));
    }
    s.push_str("workers:\n  - { core: 0, rx: [p0, p1, p2] }\n");
    s
}

fn frame(i: u32) -> Vec<u8> {
    let dst = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
    let mut ip = vec![
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10, dst[0], dst[1], dst[2], dst[3],
    ];
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    let mut f = Vec::new();
    f.extend_from_slice(&MAC_P0);
    f.extend_from_slice(&MAC_HOST);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f
}

fn write(path: &Path, text: &str) {
    // Write then rename, as an operator's editor or deploy tool would, so
    // a reload never reads a half-written file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn reloads_under_traffic_lose_and_misroute_nothing() {
    let dir = TempDir::new("reload");
    let cfg_path = dir.0.join("router.yaml");
    write(&cfg_path, &config_text("198.51.100.2", false, None));
    let cfg = Config::load(&cfg_path).expect("valid config");
    let opts = RunOptions {
        pin: false,
        ..RunOptions::default()
    };
    let mut router = Router::start(cfg, &opts).expect("router starts");
    let mut p0 = router.memory_peers.remove("p0").unwrap();
    let mut p1 = router.memory_peers.remove("p1").unwrap();
    let mut p2 = router.memory_peers.remove("p2").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let injected = Arc::new(AtomicU64::new(0));
    let s2 = Arc::clone(&stop);
    let inj2 = Arc::clone(&injected);
    // The traffic thread keeps up to 1024 packets in flight (below every
    // ring's size) and checks each forwarded frame.
    let traffic = thread::spawn(move || {
        let frames: Vec<Vec<u8>> = (0..4096).map(frame).collect();
        let (mut sent, mut got, mut torn) = (0u64, [0u64; 2], 0u64);
        let mut draining_since: Option<Instant> = None;
        loop {
            if s2.load(Ordering::Acquire) {
                let since = *draining_since.get_or_insert_with(Instant::now);
                if sent == got[0] + got[1] || since.elapsed() > Duration::from_secs(5) {
                    break;
                }
            } else if sent - got[0] - got[1] < 1024 && p0.inject(&frames[(sent % 4096) as usize]) {
                sent += 1;
                inj2.store(sent, Ordering::Relaxed);
            }
            for (k, (peer, mac)) in [(&mut p1, MAC_B1), (&mut p2, MAC_B2)]
                .into_iter()
                .enumerate()
            {
                while let Some(ok) = peer.collect_with(|f| f[0..6] == mac && f[22] == 63) {
                    got[k] += 1;
                    if !ok {
                        torn += 1;
                    }
                }
            }
        }
        (sent, got, torn)
    });
    // Alternate: 10/8 via B1, 10/8 via B2 with the full table, and small
    // one-route edits in between.
    let mut one_route = Vec::new();
    let mut full = Vec::new();
    let start = Instant::now();
    let mut i = 0u32;
    while i < 24 || start.elapsed() < Duration::from_secs(3) {
        let text = match i % 4 {
            0 => config_text("203.0.113.2", true, None),
            1 => config_text("203.0.113.2", true, Some("100.64.0.0/10")),
            2 => config_text("198.51.100.2", false, None),
            _ => config_text(
                "198.51.100.2",
                false,
                Some(&format!("100.{}.0.0/16", 64 + i % 64)),
            ),
        };
        write(&cfg_path, &text);
        let r = router.reload().expect("valid reload applies");
        match i % 4 {
            1 | 3 => one_route.push(r.to_adopted),
            _ => full.push(r.to_adopted),
        }
        router.poll_exceptions();
        i += 1;
        if i > 200 {
            break;
        }
    }
    // An invalid config and a restart-needing change leave everything as is.
    let before = router.config().clone();
    write(&cfg_path, "ports: [oops\n");
    assert!(matches!(router.reload(), Err(ReloadError::Invalid(_))));
    write(
        &cfg_path,
        &config_text("198.51.100.2", false, None).replace(
            "ring_size: 4096 } } }\n  - { name: p2",
            "ring_size: 2048 } } }\n  - { name: p2",
        ),
    );
    assert!(matches!(
        router.reload(),
        Err(ReloadError::RestartNeeded(_))
    ));
    assert_eq!(router.config(), &before);
    thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Release);
    let (sent, got, torn) = traffic.join().expect("traffic thread");
    let report = router.stop();
    let totals = report.port_totals();
    one_route.sort();
    full.sort();
    println!(
        "reloads {i}: sent {sent}, via B1 {}, via B2 {}, torn {torn}; adopted one-route median {:?} max {:?}; full-table median {:?} max {:?}",
        got[0],
        got[1],
        one_route[one_route.len() / 2],
        one_route.last().unwrap(),
        full[full.len() / 2],
        full.last().unwrap()
    );
    assert_eq!(torn, 0, "misrouted packets");
    assert_eq!(got[0] + got[1], sent, "every packet forwarded");
    assert!(got[0] > 0 && got[1] > 0, "both configs forwarded traffic");
    let drops: u64 = totals.iter().map(|t| t.total_drops()).sum();
    let punts: u64 = totals.iter().map(|t| t.total_punts()).sum();
    assert_eq!((drops, punts), (0, 0));
    assert_eq!(totals[0].rx_packets, sent);
    assert!(injected.load(Ordering::Relaxed) == sent);
}

#[test]
fn watched_config_and_route_files_reload_on_change() {
    let dir = TempDir::new("watch");
    let cfg_path = dir.0.join("router.yaml");
    let routes = dir.0.join("routes.txt");
    std::fs::write(&routes, "100.64.0.0/10\n").unwrap();
    let text = |extra: &str| {
        config_text("198.51.100.2", false, None).replace(
            "workers:",
            &format!(
                "route_files:\n  - {{ path: routes.txt, via: 198.51.100.2 }}\n{extra}reload: {{ watch: true }}\nworkers:"
            ),
        )
    };
    write(&cfg_path, &text(""));
    let router = Router::start(
        Config::load(&cfg_path).unwrap(),
        &RunOptions {
            pin: false,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let telemetry = router.telemetry();
    let shutdown = Arc::new(AtomicBool::new(false));
    let inputs = silkroute_control_plane::runtime::ControlInputs {
        shutdown: Arc::clone(&shutdown),
        ..Default::default()
    };
    let serving = thread::spawn(move || {
        let mut router = router;
        router.serve(&inputs);
        router
    });
    let wait_generation = |g: u64| {
        let start = Instant::now();
        while telemetry.state().reloads.config_generation < g {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no reload to generation {g}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    };
    // Edit the route file: a reload follows.
    thread::sleep(Duration::from_millis(1100));
    std::fs::write(&routes, "100.64.0.0/10\n198.18.0.0/15\n").unwrap();
    wait_generation(2);
    // Edit the config itself: another.
    thread::sleep(Duration::from_millis(1100));
    write(&cfg_path, &text("").replace("10.0.0.0/8", "10.0.0.0/9"));
    wait_generation(3);
    shutdown.store(true, Ordering::Release);
    let router = serving.join().expect("control loop");
    let fib = router.fib();
    assert_ne!(fib.v4.get(u32::from_be_bytes([198, 18, 0, 0]), 15), None);
    assert_ne!(fib.v4.get(u32::from_be_bytes([10, 0, 0, 0]), 9), None);
    assert_eq!(fib.v4.get(u32::from_be_bytes([10, 0, 0, 0]), 8), None);
}

/// A reload reuses route files that did not change (the running and the
/// new config share one merged table), and still sees a file rewritten
/// with the same size and modification time.
#[test]
fn unchanged_route_files_are_reused_and_rewrites_are_seen() {
    let dir = TempDir::new("reload-route-cache");
    let cfg_path = dir.0.join("router.yaml");
    let routes = dir.0.join("routes.txt");
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    let write_routes = |text: &str| {
        std::fs::write(&routes, text).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&routes)
            .unwrap()
            .set_modified(old)
            .unwrap();
    };
    write_routes("100.64.0.0/24\n");
    let text = |via: &str| {
        config_text(via, false, None).replace(
            "workers:",
            "route_files:\n  - { path: routes.txt, via: 198.51.100.2 }\nworkers:",
        )
    };
    write(&cfg_path, &text("198.51.100.2"));
    let opts = RunOptions {
        pin: false,
        ..RunOptions::default()
    };
    let mut router = Router::start(
        Config::load_with(&cfg_path, &opts.load_options()).unwrap(),
        &opts,
    )
    .unwrap();
    let first = Arc::clone(router.config().routes_v4.file_routes());
    assert_eq!(first.len(), 1);

    // A static route changes, the route file does not: shared, and only
    // that prefix reaches the FIB.
    write(&cfg_path, &text("198.51.100.3"));
    let report = router.reload().unwrap();
    assert!(Arc::ptr_eq(&first, router.config().routes_v4.file_routes()));
    assert_eq!(report.update.changes(), 1, "{:?}", report.update);

    // Same size, same modification time, new content: read again.
    thread::sleep(Duration::from_millis(50));
    write_routes("100.65.0.0/24\n");
    router.reload().unwrap();
    assert!(!Arc::ptr_eq(
        &first,
        router.config().routes_v4.file_routes()
    ));
    let fib = router.fib();
    assert_ne!(fib.v4.get(u32::from_be_bytes([100, 65, 0, 0]), 24), None);
    assert_eq!(fib.v4.get(u32::from_be_bytes([100, 64, 0, 0]), 24), None);
    let _ = router.stop();
}
