//! The encoder on a live router (memory ports) and the endpoint over TCP.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use silkroute_config::Config;

use super::*;
use crate::runtime::{Router, RunOptions};

/// Two memory ports; p1 has two queues polled by different workers,
/// so `queue` and `worker` labels both matter.
const CONFIG: &str = r#"
log_level: warn
ports:
  - name: p0
    driver:
      memory: { ring_size: 256 }
  - name: p1
    driver:
      memory: { ring_size: 256, queues: 2 }
interfaces:
  - name: eth0
    port: p0
    mac: "02:00:00:00:00:01"
    addresses: [192.0.2.1/24]
  - name: eth1
    port: p1
    mac: "02:00:00:00:00:02"
    addresses: [198.51.100.1/24]
neighbors:
  - { address: 198.51.100.2, mac: "02:bb:00:00:00:02" }
routes:
  - { prefix: 203.0.113.0/24, via: 198.51.100.2 }
workers:
  - { core: 0, rx: [p0, p1/0] }
  - { core: 1, rx: [p1/1] }
"#;

/// An Ethernet + IPv4 + UDP frame from 192.0.2.10 to 203.0.113.5,
/// addressed to the router's p0 MAC (forwarded out of p1).
fn forwarded_frame() -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20 + 8 + 16];
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f[6..12].copy_from_slice(&[0x02, 0xaa, 0, 0, 0, 0x0a]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&44u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&[192, 0, 2, 10]);
    ip[16..20].copy_from_slice(&[203, 0, 113, 5]);
    let c = silkroute_packet::checksum::ipv4_header(ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f[34..36].copy_from_slice(&1234u16.to_be_bytes());
    f[36..38].copy_from_slice(&5678u16.to_be_bytes());
    f[38..40].copy_from_slice(&24u16.to_be_bytes());
    f
}

fn start() -> Router {
    let cfg = Config::from_str(CONFIG, Path::new("metrics-test.yaml")).expect("config");
    let opts = RunOptions {
        pin: false,
        pool_buffers: 4096,
        ..RunOptions::default()
    };
    Router::start(cfg, &opts).expect("router")
}

/// Waits until the workers published `rx` received frames in total.
fn wait_rx(router: &Router, rx: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got: u64 = router
            .counters()
            .iter()
            .flat_map(|c| (0..c.ports() as u16).map(move |p| c.port(p).rx_packets))
            .sum();
        if got >= rx {
            return;
        }
        assert!(Instant::now() < deadline, "workers received {got} of {rx}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The value of the sample line `series` (name and labels exactly).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
        .parse()
        .expect("number")
}

#[test]
fn live_router_names_and_labels() {
    let mut router = start();
    let mut p0 = router.memory_peers.remove("p0").expect("p0 peer");
    let mut p1 = router.memory_peers.remove("p1").expect("p1 peer");
    for _ in 0..5 {
        assert!(p0.inject(&forwarded_frame()));
    }
    // Too short for Ethernet: dropped as l2_truncated on p1 by worker 1.
    assert!(p1.inject_to(1, &[0u8; 10]));
    wait_rx(&router, 6);
    router.refresh_telemetry();
    let text = encode(&router.telemetry());

    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    let rx = "silkroute_port_rx_packets_total";
    assert_eq!(
        value(&text, &format!(r#"{rx}{{port="p0",queue="0",worker="0"}}"#)),
        5.0
    );
    assert_eq!(
        value(&text, &format!(r#"{rx}{{port="p1",queue="0",worker="0"}}"#)),
        0.0
    );
    assert_eq!(
        value(&text, &format!(r#"{rx}{{port="p1",queue="1",worker="1"}}"#)),
        1.0
    );
    assert!(
        !text.contains(r#"{port="p0",queue="0",worker="1"}"#),
        "worker 1 does not poll p0"
    );
    let rx_bytes = forwarded_frame().len() as f64 * 5.0;
    assert_eq!(
        value(
            &text,
            r#"silkroute_port_rx_bytes_total{port="p0",queue="0",worker="0"}"#
        ),
        rx_bytes
    );
    // Forwarded out of p1 by worker 0, on its own tx queue 0.
    assert_eq!(
        value(
            &text,
            r#"silkroute_port_tx_packets_total{port="p1",queue="0",worker="0"}"#
        ),
        5.0
    );
    assert_eq!(
        value(
            &text,
            r#"silkroute_port_tx_packets_total{port="p1",queue="1",worker="1"}"#
        ),
        0.0
    );
    assert_eq!(
        value(
            &text,
            r#"silkroute_port_dropped_packets_total{port="p1",reason="l2_truncated"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            r#"silkroute_port_dropped_packets_total{port="p0",reason="tx_queue_full"}"#
        ),
        0.0
    );
    // Every worker's loops, labelled, never merged.
    for w in 0..2 {
        let busy = value(
            &text,
            &format!(r#"silkroute_worker_busy_loops_total{{worker="{w}"}}"#),
        );
        let idle = value(
            &text,
            &format!(r#"silkroute_worker_idle_loops_total{{worker="{w}"}}"#),
        );
        assert!(
            busy >= 1.0 && idle >= 1.0,
            "worker {w}: busy {busy} idle {idle}"
        );
        let count = value(
            &text,
            &format!(r#"silkroute_worker_rx_burst_packets_count{{worker="{w}"}}"#),
        );
        let inf = value(
            &text,
            &format!(r#"silkroute_worker_rx_burst_packets_bucket{{le="+Inf",worker="{w}"}}"#),
        );
        assert_eq!(count, inf);
        assert!(count >= busy + idle, "published later than the loop counts");
    }
    assert_eq!(
        value(
            &text,
            r#"silkroute_worker_rx_burst_packets_sum{worker="1"}"#
        ),
        1.0
    );
    assert_eq!(
        value(&text, r#"silkroute_worker_info{worker="1",core="1"}"#),
        1.0
    );
    assert_eq!(
        value(
            &text,
            r#"silkroute_exception_enqueued_packets_total{worker="0",port="p0",reason="arp"}"#
        ),
        0.0
    );
    assert_eq!(
        value(
            &text,
            r#"silkroute_exception_dropped_packets_total{worker="1",port="p1"}"#
        ),
        0.0
    );
    assert!(text.contains(r#"silkroute_exception_events_total{event="arp_reply_sent"} 0"#));
    assert!(value(&text, r#"silkroute_fib_routes{family="ipv4"}"#) >= 1.0);
    assert!(value(&text, "silkroute_fib_memory_bytes") > 0.0);
    assert_eq!(value(&text, r#"silkroute_fib_ecmp_groups"#), 0.0);
    assert_eq!(
        value(&text, r#"silkroute_config_reloads_total{result="failed"}"#),
        0.0
    );
    assert_eq!(value(&text, "silkroute_config_generation"), 1.0);
    assert_eq!(value(&text, "silkroute_config_last_reload_successful"), 1.0);
    assert_eq!(
        value(&text, r#"silkroute_neighbor_entries{state="static"}"#),
        1.0
    );
    assert!(text.contains(&format!(
        r#"silkroute_build_info{{version="{}"}} 1"#,
        env!("CARGO_PKG_VERSION")
    )));
    assert_eq!(
        value(
            &text,
            r#"silkroute_port_info{port="p1",driver="memory",mode="-"}"#
        ),
        1.0
    );

    check_conventions(&text);
    check_conventions(&encode_as(&router.telemetry(), Format::PrometheusText));
    drop(router.stop());
}

/// Prometheus naming: every family is `silkroute_*`; counter samples
/// end in `_total`; byte and second units are spelled out; every sample
/// belongs to a declared family.
fn check_conventions(text: &str) {
    let mut families: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line");
            assert!(name.starts_with("silkroute_"), "{name}");
            families.push((name.trim_end_matches("_total").to_owned(), kind.to_owned()));
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name = line.split(['{', ' ']).next().unwrap_or("");
        let (family, kind) = families
            .iter()
            .rev()
            .find(|(f, _)| name.starts_with(f.as_str()))
            .unwrap_or_else(|| panic!("sample {name} outside its family"));
        match kind.as_str() {
            "counter" => assert_eq!(name, format!("{family}_total")),
            "gauge" => assert_eq!(name, family),
            "histogram" => assert!(
                ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| *name == format!("{family}{s}")),
                "{name}"
            ),
            other => panic!("unexpected type {other}"),
        }
        if name.contains("bytes") {
            assert!(
                name.ends_with("_bytes") || name.ends_with("_bytes_total"),
                "{name}"
            );
        }
    }
}

#[test]
fn burst_histogram_folds_exactly() {
    let bounds = burst_bounds();
    assert_eq!(bounds, [0, 1, 2, 4, 8, 16, 31, 32]);
    let mut h = [0u64; BURST_SIZE + 1];
    h[0] = 10;
    h[3] = 2;
    h[32] = 5;
    let (buckets, sum, count) = burst_buckets(&h, &bounds);
    let counts: Vec<u64> = buckets.iter().map(|b| b.1).collect();
    assert_eq!(counts, [10, 0, 0, 2, 0, 0, 0, 5, 0]);
    assert_eq!(buckets.last().map(|b| b.0), Some(f64::INFINITY));
    assert_eq!((sum, count), (6.0 + 160.0, 17));
}

fn http_get(addr: SocketAddr, path: &str, accept: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n"
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn endpoint_negotiates_format_and_stops_on_drop() {
    let router = start();
    let server =
        spawn("127.0.0.1:0".parse().expect("addr"), router.telemetry()).expect("metrics server");
    let addr = server.local_addr();
    let om = http_get(
        addr,
        "/metrics",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    );
    assert!(
        om.starts_with("HTTP/1.1 200") || om.starts_with("HTTP/1.0 200"),
        "{om}"
    );
    assert!(
        om.contains(&format!("Content-Type: {OPENMETRICS_CONTENT_TYPE}")),
        "{om}"
    );
    assert!(om.ends_with("# EOF\n"));
    let text = http_get(addr, "/metrics", "*/*");
    assert!(text.contains(&format!("Content-Type: {PROMETHEUS_TEXT_CONTENT_TYPE}")));
    assert!(text.contains("# TYPE silkroute_port_rx_packets_total counter"));
    assert!(!text.contains("# EOF"));
    assert!(http_get(addr, "/", "*/*").contains(" 404 "));
    drop(server);
    // tiny_http's accept thread closes the socket once it sees the
    // shutdown, a moment after the drop.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
        assert!(Instant::now() < deadline, "still listening after drop");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(router.stop());
}

/// Device counters as a dpdk port reports them.
#[derive(Debug)]
struct FakeDevices;

impl crate::telemetry::DeviceStatsSource for FakeDevices {
    fn read(&self) -> Vec<DeviceStats> {
        vec![DeviceStats {
            port: 1,
            rx_packets: 7,
            tx_packets: 5,
            rx_bytes: 700,
            tx_bytes: 500,
            rx_missed: 3,
            rx_errors: 2,
            tx_errors: 1,
            rx_nombuf: 4,
            mbufs_available: 4000,
            mbufs: 4095,
            xstats: vec![("rx_good_packets".into(), 7), ("rx_q0_bytes".into(), 700)],
        }]
    }
}

#[test]
fn device_counters_are_exported_per_port() {
    let t = crate::telemetry::Telemetry::new(
        vec!["p0".into(), "p1".into()],
        vec!["dpdk", "dpdk"],
        vec![0],
        Vec::new(),
        Vec::new(),
    )
    .with_device_stats(Some(std::sync::Arc::new(FakeDevices)));
    let text = encode_as(&t, Format::PrometheusText);
    for (series, want) in [
        ("silkroute_dpdk_rx_packets_total{port=\"p1\"}", 7.0),
        ("silkroute_dpdk_tx_packets_total{port=\"p1\"}", 5.0),
        ("silkroute_dpdk_rx_bytes_total{port=\"p1\"}", 700.0),
        ("silkroute_dpdk_tx_bytes_total{port=\"p1\"}", 500.0),
        ("silkroute_dpdk_rx_missed_packets_total{port=\"p1\"}", 3.0),
        ("silkroute_dpdk_rx_errors_total{port=\"p1\"}", 2.0),
        ("silkroute_dpdk_tx_errors_total{port=\"p1\"}", 1.0),
        (
            "silkroute_dpdk_rx_mbuf_alloc_failures_total{port=\"p1\"}",
            4.0,
        ),
        ("silkroute_dpdk_mempool_mbufs{port=\"p1\"}", 4095.0),
        (
            "silkroute_dpdk_mempool_available_mbufs{port=\"p1\"}",
            4000.0,
        ),
        (
            "silkroute_dpdk_xstats_total{port=\"p1\",name=\"rx_good_packets\"}",
            7.0,
        ),
        (
            "silkroute_dpdk_xstats_total{port=\"p1\",name=\"rx_q0_bytes\"}",
            700.0,
        ),
    ] {
        assert_eq!(value(&text, series), want, "{series}\n{text}");
    }
    // p0 reported no device counters: no series for it.
    assert!(!text.contains("silkroute_dpdk_rx_packets_total{port=\"p0\"}"));
    check_conventions(&text);
    check_conventions(&encode_as(&t, Format::OpenMetrics));
    // Without a device source, no dpdk family at all.
    let plain = crate::telemetry::Telemetry::new(
        vec!["p0".into()],
        vec!["pcap"],
        vec![0],
        Vec::new(),
        Vec::new(),
    );
    assert!(!encode_as(&plain, Format::PrometheusText).contains("silkroute_dpdk_"));
}
