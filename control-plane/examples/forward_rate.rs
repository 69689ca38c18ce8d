//! Forwarding rate of one worker on one core over the heap backend: a
//! looping pcap port replays 64-byte IPv4 UDP frames whose destinations
//! are spread over the full BGP table (`../shared/data/bgp-ipv4.txt.gz`,
//! loaded as a route file), and the egress port discards (counting) what
//! it is given. Prints `RESULT forward family=ipv4 routes=... mpps=...`.
//! Run with `benches/forward-rate.sh [SECONDS]`.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use silkroute_config::{parse_route_file, Config};
use silkroute_control_plane::runtime::{Router, RunOptions};

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let table = common::bgp_ipv4_table();
    let routes = parse_route_file(&table).expect("route table");
    let dir = common::scratch_dir("fwd");
    let frames: Vec<Vec<u8>> = common::destinations_in_routes(&routes, 4096, 7)
        .into_iter()
        .enumerate()
        .map(|(i, dst)| common::udp4_frame(dst, i as u16))
        .collect();
    common::write_pcap(&dir.join("in.pcap"), &frames);
    let cfg = format!(
        r#"
ports:
  - {{ name: p0, driver: {{ pcap: {{ rx: in.pcap, loop: true }} }} }}
  - {{ name: p1, driver: {{ pcap: {{ tx: /dev/null }} }} }}
interfaces:
  - {{ name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24] }}
  - {{ name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24] }}
neighbors:
  - {{ address: 198.51.100.2, mac: "02:bb:00:00:00:02" }}
  - {{ address: 198.51.100.3, mac: "02:bb:00:00:00:03" }}
route_files:
  - {{ path: {}, via: [198.51.100.2, 198.51.100.3] }}
control: {{ socket: ctl.sock }}
metrics: {{ enabled: false }}
workers:
  - {{ core: 0, rx: [p0] }}
"#,
        table.display()
    );
    std::fs::write(dir.join("r.yaml"), cfg).expect("config");
    let config = Config::load(&dir.join("r.yaml")).expect("valid config");
    let nroutes = config.routes_v4.len();
    let mut router = Router::start(config, &RunOptions::default()).expect("start");
    std::thread::sleep(Duration::from_millis(500));
    let before = router.counters()[0].port(1).tx_packets;
    let t0 = Instant::now();
    let shutdown = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&shutdown);
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs_f64(seconds));
        s2.store(true, std::sync::atomic::Ordering::Release);
    });
    router.serve(&silkroute_control_plane::runtime::ControlInputs {
        shutdown,
        ..Default::default()
    });
    let _ = timer.join();
    let after = router.counters()[0].port(1).tx_packets;
    let secs = t0.elapsed().as_secs_f64();
    let report = router.stop();
    let p0 = &report.port_totals()[0];
    println!(
        "RESULT forward family=ipv4 routes={nroutes} frame_bytes=64 seconds={secs:.1} mpps={:.3} drops={} punts={}",
        (after - before) as f64 / secs / 1e6,
        p0.total_drops(),
        p0.total_punts()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
