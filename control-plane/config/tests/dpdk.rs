//! `dpdk:` (EAL options) and `driver: { dpdk: ... }`: defaults resolved
//! from the workers, options, and every bad value refused at its
//! file:line:column.

use std::path::Path;

use silkroute_config::{Config, ConfigErrors, DpdkConfig, Driver, LoadOptions};

fn load(yaml: &str) -> Result<Config, ConfigErrors> {
    Config::from_str_with(yaml, Path::new("x.yaml"), &LoadOptions::with_cpu_count(4))
}

fn error_text(yaml: &str) -> String {
    load(yaml).expect_err("must be refused").to_string()
}

const TWO_PORTS: &str = "dpdk:
  no_huge: true
  vdevs: [\"net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap,infinite_rx=1\", net_ring0]
ports:
  - { name: p0, driver: { dpdk: { device: net_pcap0 } } }
  - { name: p1, driver: { dpdk: { device: net_ring0, rx_queues: 2, rx_descriptors: 512, rss: false, promiscuous: false, mbufs: 4095 } } }
workers:
  - { core: 3, rx: [p0, p1/1] }
  - { core: 1, rx: [p1/0] }
";

#[test]
fn defaults_come_from_the_workers() {
    let c = load(TWO_PORTS).unwrap();
    assert_eq!(
        c.dpdk,
        DpdkConfig {
            cores: vec![1, 3],
            memory_mb: Some(512),
            no_huge: true,
            allow: vec![],
            vdevs: vec![
                "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap,infinite_rx=1".into(),
                "net_ring0".into()
            ],
            extra_args: vec![],
            file_prefix: "silkroute".into(),
        }
    );
    assert_eq!(
        c.ports[0].driver,
        Driver::Dpdk {
            device: "net_pcap0".into(),
            rx_queues: 1,
            tx_queues: 2,
            rx_descriptors: 1024,
            tx_descriptors: 1024,
            rss: true,
            promiscuous: true,
            mbufs: None,
        }
    );
    assert_eq!(
        c.ports[1].driver,
        Driver::Dpdk {
            device: "net_ring0".into(),
            rx_queues: 2,
            tx_queues: 2,
            rx_descriptors: 512,
            tx_descriptors: 1024,
            rss: false,
            promiscuous: false,
            mbufs: Some(4095),
        }
    );
    assert_eq!(c.ports[1].driver.kind(), "dpdk");
    assert_eq!(c.ports[1].driver.rx_queues(), 2);
}

#[test]
fn explicit_eal_options_and_pci_devices() {
    let c = load("dpdk:\n  cores: [0, 2]\n  memory_mb: 2048\n  allow: [\"03:00.1\"]\n  extra_args: [\"--log-level=lib.eal:debug\"]\n  file_prefix: sr-test_1\nports:\n  - { name: a, driver: { dpdk: { device: \"0000:03:00.0\", tx_queues: 3 } } }\n  - { name: b, driver: { dpdk: { device: \"03:00.1\" } } }\nworkers:\n  - { core: 1, rx: [a, b] }\n").unwrap();
    assert_eq!(c.dpdk.cores, [0, 2]);
    assert_eq!(c.dpdk.memory_mb, Some(2048));
    assert!(!c.dpdk.no_huge);
    assert_eq!(c.dpdk.allow, ["0000:03:00.1"]);
    assert_eq!(c.dpdk.extra_args, ["--log-level=lib.eal:debug"]);
    assert_eq!(c.dpdk.file_prefix, "sr-test_1");
    let device = |i: usize| match &c.ports[i].driver {
        Driver::Dpdk {
            device, tx_queues, ..
        } => (device.clone(), *tx_queues),
        other => panic!("{other:?}"),
    };
    assert_eq!(device(0), ("0000:03:00.0".into(), 3));
    assert_eq!(device(1), ("0000:03:00.1".into(), 1));
    // Without an allow list, the PCI devices the ports use are the list;
    // without hugepages unsaid, DPDK picks the memory.
    let c = load("ports:\n  - { name: a, driver: { dpdk: { device: \"0000:03:00.0\" } } }\nworkers:\n  - { core: 1, rx: [a] }\n").unwrap();
    assert_eq!(c.dpdk.allow, ["0000:03:00.0"]);
    assert_eq!(c.dpdk.memory_mb, None);
    assert_eq!(c.dpdk.cores, [1]);
}

#[test]
fn mixing_with_other_drivers_is_refused_at_the_other_port() {
    let e = error_text("dpdk: { vdevs: [net_null0] }\nports:\n  - { name: a, driver: { dpdk: { device: net_null0 } } }\n  - { name: b, driver: { pcap: { tx: out.pcap } } }\nworkers:\n  - { core: 0, rx: [a] }\n");
    assert!(
        e.contains("x.yaml:4:")
            && e.contains("port b uses pcap but port a uses dpdk: dpdk ports cannot be mixed"),
        "{e}"
    );
}

/// Each bad value is refused once, at the line and column of the value.
#[test]
fn bad_values_are_refused_where_they_are() {
    let port = |opts: &str| {
        format!("dpdk: {{ vdevs: [net_null0] }}\nports:\n  - {{ name: a, driver: {{ dpdk: {{ device: net_null0, {opts} }} }} }}\nworkers:\n  - {{ core: 0, rx: [a] }}\n  - {{ core: 1, rx: [] }}\n")
    };
    // Column of the value in line 3 of `port(opts)`.
    let col = |opts: &str, value: &str| 53 + opts.find(value).unwrap();
    let cases: Vec<(String, usize, usize, &str)> = vec![
        (
            port("rx_queues: 0"),
            3,
            col("rx_queues: 0", "0"),
            "queues 0 out of range 1..=64",
        ),
        (
            port("rx_queues: 65"),
            3,
            col("rx_queues: 65", "65"),
            "queues 65 out of range 1..=64",
        ),
        (
            port("tx_queues: 1"),
            3,
            col("tx_queues: 1", "1"),
            "tx_queues 1 is below the number of workers (2)",
        ),
        (
            port("rx_descriptors: 1000"),
            3,
            col("rx_descriptors: 1000", "1000"),
            "rx_descriptors 1000 must be a power of two in 32..=32768",
        ),
        (
            port("tx_descriptors: 16"),
            3,
            col("tx_descriptors: 16", "16"),
            "tx_descriptors 16 must be a power of two in 32..=32768",
        ),
        (
            port("mbufs: 100"),
            3,
            col("mbufs: 100", "100"),
            "mbufs 100 out of range 512..=16777215",
        ),
        (
            port("rss: maybe"),
            3,
            col("rss: maybe", "maybe"),
            "invalid boolean",
        ),
        (
            port("speed: 10"),
            3,
            col("speed: 10", "speed"),
            "unknown field `speed`",
        ),
    ];
    let section = |s: &str| {
        format!("dpdk: {{ vdevs: [net_null0], {s} }}\nports:\n  - {{ name: a, driver: {{ dpdk: {{ device: net_null0 }} }} }}\nworkers:\n  - {{ core: 0, rx: [a] }}\n")
    };
    let scol = |s: &str, value: &str| 29 + s.find(value).unwrap();
    let more: Vec<(String, usize, usize, &str)> = vec![
        (section("cores: [0, 9]"), 1, scol("cores: [0, 9]", "9"), "core 9 does not exist"),
        (section("cores: [1, 1]"), 1, scol("cores: [1, 1]", "1]"), "duplicate worker core 1"),
        (section("memory_mb: 8"), 1, scol("memory_mb: 8", "8"), "memory_mb 8 out of range 64..=1048576"),
        (section("allow: [eth0]"), 1, scol("allow: [eth0]", "eth0"), "invalid PCI address \"eth0\""),
        (section("file_prefix: \"a/b\""), 1, scol("file_prefix: \"a/b\"", "\"a/b\""), "invalid file_prefix \"a/b\""),
        (section("hugepages: 4"), 1, scol("hugepages: 4", "hugepages"), "unknown field `hugepages`"),
        (
            "dpdk: { vdevs: [\"net_pcap0,iface=x\", \"net_pcap0,iface=y\"] }\nports:\n  - { name: a, driver: { dpdk: { device: net_pcap0 } } }\nworkers:\n  - { core: 0, rx: [a] }\n".into(),
            1, 38, "duplicate vdev net_pcap0 (first declared at line 1)",
        ),
        (
            "dpdk: { vdevs: [\",x=1\", net_tap0] }\nports:\n  - { name: a, driver: { dpdk: { device: net_tap0 } } }\nworkers:\n  - { core: 0, rx: [a] }\n".into(),
            1, 17, "invalid vdev \",x=1\"",
        ),
        (
            "ports:\n  - { name: a, driver: { dpdk: { device: net_tap0 } } }\nworkers:\n  - { core: 0, rx: [a] }\n".into(),
            2, 42, "unknown DPDK device \"net_tap0\": name a vdev from dpdk.vdevs",
        ),
        (
            "ports:\n  - { name: a, driver: { dpdk: { device: \"0000:03:00.9\" } } }\nworkers:\n  - { core: 0, rx: [a] }\n".into(),
            2, 42, "invalid PCI address \"0000:03:00.9\"",
        ),
        (
            "dpdk: { vdevs: [net_null0] }\nports:\n  - { name: a, driver: { dpdk: { device: net_null0 } } }\n  - { name: b, driver: { dpdk: { device: net_null0 } } }\nworkers:\n  - { core: 0, rx: [a, b] }\n".into(),
            4, 42, "DPDK device net_null0 is already used by port a",
        ),
    ];
    let mut failures = Vec::new();
    for (yaml, line, column, want) in cases.into_iter().chain(more) {
        match load(&yaml) {
            Ok(_) => failures.push(format!("accepted: {yaml}")),
            Err(e) => {
                let text = e.to_string();
                let at = format!("x.yaml:{line}:{column}: ");
                if e.0.len() != 1 || !text.contains(&at) || !text.contains(want) {
                    failures.push(format!("want {at}{want:?}, got:\n{text}\nfor:\n{yaml}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
