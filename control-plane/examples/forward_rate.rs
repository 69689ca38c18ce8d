//! Forwarding rate of one worker on one core over the heap backend: a
//! looping pcap port replays 64-byte IPv4 UDP frames whose destinations
//! are spread over the full BGP table (`../shared/data/bgp-ipv4.txt.gz`,
//! loaded as a route file), and the egress port discards (counting) what
//! it is given. Prints `RESULT forward family=ipv4 routes=... mpps=...`.
//! Run with `benches/forward-rate.sh [SECONDS]`.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use silkroute_config::{parse_route_file, Config};
use silkroute_control_plane::fib_bench::SplitMix;
use silkroute_control_plane::runtime::{Router, RunOptions};
use silkroute_packet::checksum;

fn frame(dst: u32, sport: u16) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10];
    ip.extend_from_slice(&dst.to_be_bytes());
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&sport.to_be_bytes());
    ip.extend_from_slice(&[0, 53, 0, 26, 0, 0]);
    ip.extend_from_slice(&[0u8; 18]);
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0xaa, 0, 0, 0, 0x0a, 0x08, 0x00];
    f.extend_from_slice(&ip);
    f
}

fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut f = std::fs::File::create(path).expect("create pcap");
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
    f.write_all(&out).expect("write pcap");
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bgp-ipv4.txt.gz");
    let routes = parse_route_file(&table).expect("route table");
    let dir = std::env::temp_dir().join(format!("silkroute-fwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut rng = SplitMix(7);
    let frames: Vec<Vec<u8>> = (0..4096)
        .map(|i| {
            let n = routes.v4[rng.below(routes.v4.len())];
            let host = if n.prefix_len() == 32 {
                0
            } else {
                (rng.next_u64() as u32) >> n.prefix_len()
            };
            frame(u32::from(n.network()) | host, i as u16)
        })
        .collect();
    write_pcap(&dir.join("in.pcap"), &frames);
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
