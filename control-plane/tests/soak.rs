//! Soak: traffic at full speed for a minute (SILKROUTE_SOAK_SECONDS to
//! change it) while the config is reloaded every 100 ms, alternating
//! between two different 100k-route tables. Packets both tables forward
//! (10.0.0.0/8) are never lost, memory does not grow, no worker stalls.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use silkroute_config::Config;
use silkroute_control_plane::runtime::{Router, RunOptions};
use silkroute_packet::checksum;

fn shared(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(name);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn config(table: &Path, via: &str) -> String {
    format!(
        r#"
ports:
  - {{ name: p0, driver: {{ memory: {{ ring_size: 4096 }} }} }}
  - {{ name: p1, driver: {{ memory: {{ ring_size: 4096 }} }} }}
interfaces:
  - {{ name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24] }}
  - {{ name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24] }}
neighbors:
  - {{ address: 198.51.100.2, mac: "02:bb:00:00:00:01" }}
  - {{ address: 198.51.100.3, mac: "02:bb:00:00:00:02" }}
routes:
  - {{ prefix: 10.0.0.0/8, via: {via} }}
route_files:
  - {{ path: {}, via: [198.51.100.2, 198.51.100.3] }}
control: {{ socket: ctl.sock }}
metrics: {{ enabled: false }}
workers:
  - {{ core: 0, rx: [p0, p1] }}
"#,
        table.display()
    )
}

fn frame(i: u32) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10];
    ip.extend_from_slice(&[10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
    let c = checksum::ipv4_header(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    [&[2, 0, 0, 0, 0, 1, 2, 0xaa, 0, 0, 0, 0x0a, 8, 0][..], &ip].concat()
}

#[test]
fn soak_reloads_every_100ms_lose_nothing_and_leak_nothing() {
    let seconds: u64 = std::env::var("SILKROUTE_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = std::env::temp_dir().join(format!("silkroute-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Two different tables of 100k IPv4 routes each, cut from the real one.
    let text = silkroute_config::read_route_file(&shared("bgp-ipv4.txt.gz")).unwrap();
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let tables: Vec<PathBuf> = [0usize, 1]
        .iter()
        .map(|k| {
            let p = dir.join(format!("table{k}.txt"));
            let mut f = std::fs::File::create(&p).unwrap();
            for l in lines.iter().skip(k * 400_000).take(100_000) {
                f.write_all(l).unwrap();
                f.write_all(b"\n").unwrap();
            }
            p
        })
        .collect();
    let path = dir.join("r.yaml");
    std::fs::write(&path, config(&tables[0], "198.51.100.2")).unwrap();
    let mut router = Router::start(
        Config::load(&path).unwrap(),
        &RunOptions {
            pin: false,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let mut p0 = router.memory_peers.remove("p0").unwrap();
    let mut p1 = router.memory_peers.remove("p1").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&stop);
    let traffic = thread::spawn(move || {
        let frames: Vec<Vec<u8>> = (0..1024).map(frame).collect();
        let (mut sent, mut got, mut wrong) = (0u64, 0u64, 0u64);
        let mut drain_start: Option<Instant> = None;
        loop {
            if s2.load(Ordering::Acquire) {
                let t = *drain_start.get_or_insert_with(Instant::now);
                if sent == got || t.elapsed() > Duration::from_secs(5) {
                    break;
                }
            } else if sent - got < 1024 && p0.inject(&frames[(sent % 1024) as usize]) {
                sent += 1;
            }
            while let Some(ok) = p1.collect_with(|f| {
                (f[0..6] == [2, 0xbb, 0, 0, 0, 1] || f[0..6] == [2, 0xbb, 0, 0, 0, 2])
                    && f[22] == 63
            }) {
                got += 1;
                wrong += u64::from(!ok);
            }
        }
        (sent, got, wrong)
    });
    let start = Instant::now();
    let mut reloads = 0u64;
    let mut rss_after_warmup = 0;
    let mut last_loops = 0u64;
    let mut stalls = 0;
    let mut last_check = Instant::now();
    let period = Duration::from_millis(100);
    let mut next = Instant::now();
    while start.elapsed() < Duration::from_secs(seconds) {
        let k = (reloads % 2) as usize;
        let via = if k == 0 {
            "198.51.100.2"
        } else {
            "198.51.100.3"
        };
        std::fs::write(&path, config(&tables[k], via)).unwrap();
        router.reload().expect("reload");
        reloads += 1;
        router.poll_exceptions();
        if reloads == 20 {
            rss_after_warmup = rss_kib();
        }
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            let c = &router.counters()[0];
            let loops = c.busy_loops() + c.idle_loops();
            if loops == last_loops {
                stalls += 1;
            }
            last_loops = loops;
        }
        // One reload request every 100 ms (back to back when a reload
        // takes longer than that).
        next += period;
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    let rss_end = rss_kib();
    stop.store(true, Ordering::Release);
    let (sent, got, wrong) = traffic.join().unwrap();
    let report = router.stop();
    let p0 = report.port_totals()[0];
    println!(
        "soak {seconds}s: reloads {reloads}, sent {sent}, forwarded {got}, misrouted {wrong}, rss after warm-up {rss_after_warmup} KiB, at end {rss_end} KiB, stalls {stalls}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(reloads >= seconds * 5, "reloads kept up: {reloads}");
    assert_eq!(got, sent, "every packet both tables forward arrived");
    assert_eq!(wrong, 0);
    assert_eq!(p0.total_drops() + p0.total_punts(), 0);
    assert_eq!(stalls, 0, "a worker stopped looping");
    // Left-right keeps two copies; after warm-up, memory stays flat (10%
    // slack for allocator noise).
    assert!(
        rss_end <= rss_after_warmup + rss_after_warmup / 10,
        "memory grew from {rss_after_warmup} to {rss_end} KiB"
    );
}
