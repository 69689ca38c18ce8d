//! A complete valid configuration parses into exactly the expected model.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use silkroute_config::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn hop(a: &str, interface: usize) -> NextHop {
    NextHop {
        address: ip(a),
        interface,
    }
}

fn set(hops: &[NextHop]) -> NextHopSet {
    NextHopSet {
        hops: hops.to_vec(),
    }
}

#[test]
fn full_example_parses_into_the_expected_model() {
    let path = data("full.yaml");
    let dir = path.parent().unwrap();
    let opts = LoadOptions::with_cpu_count(4);
    let config = match Config::load_with(&path, &opts) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let expected = Config {
        path: path.clone(),
        log_level: LogLevel::Debug,
        ports: vec![
            PortConfig {
                name: Name::new("p0").unwrap(),
                driver: Driver::Pcap {
                    rx: Some(dir.join("quickstart-p0.pcap")),
                    tx: Some(dir.join("out/p0-tx.pcap")),
                    looped: false,
                },
            },
            PortConfig {
                name: Name::new("p1").unwrap(),
                driver: Driver::Memory {
                    ring_size: 1024,
                    queues: 2,
                },
            },
            PortConfig {
                name: Name::new("p2").unwrap(),
                driver: Driver::Pcap {
                    rx: None,
                    tx: Some(dir.join("out/p2-tx.pcap")),
                    looped: false,
                },
            },
        ],
        interfaces: vec![
            InterfaceConfig {
                name: Name::new("eth0").unwrap(),
                port: 0,
                mac: "02:00:00:00:00:01".parse().unwrap(),
                mtu: 1500,
                ipv4: vec!["192.0.2.1/24".parse().unwrap()],
                ipv6: vec!["2001:db8:1::1/64".parse().unwrap()],
            },
            InterfaceConfig {
                name: Name::new("eth1").unwrap(),
                port: 1,
                mac: "02:00:00:00:01:01".parse().unwrap(),
                mtu: 1500,
                ipv4: vec!["198.18.0.1/30".parse().unwrap()],
                ipv6: vec![],
            },
            InterfaceConfig {
                name: Name::new("eth2").unwrap(),
                port: 2,
                mac: "02:00:00:00:02:01".parse().unwrap(),
                mtu: 9000,
                ipv4: vec![],
                ipv6: vec!["2001:db8:2::1/64".parse().unwrap()],
            },
        ],
        neighbors: vec![
            NeighborConfig {
                address: ip("192.0.2.2"),
                mac: "02:00:00:00:00:02".parse().unwrap(),
                interface: 0,
            },
            NeighborConfig {
                address: ip("2001:db8:2::2"),
                mac: "02:00:00:00:02:02".parse().unwrap(),
                interface: 2,
            },
        ],
        next_hop_sets: vec![
            set(&[hop("192.0.2.2", 0)]),
            set(&[
                hop("192.0.2.2", 0),
                hop("192.0.2.3", 0),
                hop("198.18.0.2", 1),
            ]),
            set(&[hop("2001:db8:1::2", 0)]),
            set(&[hop("192.0.2.2", 0), hop("192.0.2.3", 0)]),
            set(&[hop("2001:db8:2::2", 2)]),
        ],
        routes_v4: RouteTable::from_statics(vec![
            ("10.0.0.0/8".parse().unwrap(), 0), // static beats routes-v4.txt
            ("100.64.0.0/10".parse().unwrap(), 3), // first file beats the second
            ("172.16.0.0/12".parse().unwrap(), 3),
            ("198.51.100.0/24".parse().unwrap(), 0),
            ("203.0.113.0/24".parse().unwrap(), 1),
        ]),
        routes_v6: RouteTable::from_statics(vec![
            ("2001:db8:99::/48".parse().unwrap(), 2), // static beats routes-mixed.txt.gz
            ("2001:db8:aa::/48".parse().unwrap(), 4),
        ]),
        workers: vec![
            WorkerConfig {
                core: 0,
                rx: vec![RxQueue { port: 0, queue: 0 }, RxQueue { port: 1, queue: 0 }],
                idle: WorkerIdle::Sleep,
            },
            WorkerConfig {
                core: 1,
                rx: vec![RxQueue { port: 1, queue: 1 }],
                idle: WorkerIdle::Spin,
            },
        ],
        route_stats: RouteStats {
            static_routes: 4,
            file_routes: 6,
            shadowed: 3,
        },
        control: ControlConfig::default(),
        metrics: MetricsConfig::default(),
        reload: ReloadConfig::default(),
        route_files: vec![dir.join("routes-v4.txt"), dir.join("routes-mixed.txt.gz")],
        dpdk: silkroute_config::DpdkConfig {
            file_prefix: silkroute_config::DEFAULT_FILE_PREFIX.to_owned(),
            ..Default::default()
        },
    };
    assert_eq!(config, expected);
    let summary = config.summary();
    assert!(summary.contains("routes: 5 IPv4, 2 IPv6"), "{summary}");
    assert!(
        summary.contains("worker core 1: rx [p1/1], idle spin"),
        "{summary}"
    );
}

#[test]
fn defaults_apply() {
    let yaml =
        "ports:\n  - { name: m, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: [m] }\n";
    let c =
        Config::from_str_with(yaml, Path::new("x.yaml"), &LoadOptions::with_cpu_count(1)).unwrap();
    assert_eq!(c.log_level, LogLevel::Info);
    assert_eq!(
        c.ports[0].driver,
        Driver::Memory {
            ring_size: DEFAULT_RING_SIZE,
            queues: 1
        }
    );
    assert!(c.routes_v4.is_empty() && c.interfaces.is_empty());
}

#[test]
fn af_packet_ports_have_one_rx_queue_and_ring_defaults() {
    let yaml = "ports:\n  - { name: a, driver: { af_packet: { interface: veth0 } } }\n  - { name: b, driver: { af_packet: { interface: eth1, ring_frames: 256, frame_size: 4096 } } }\nworkers:\n  - { core: 0, rx: [a, b] }\n";
    let c =
        Config::from_str_with(yaml, Path::new("x.yaml"), &LoadOptions::with_cpu_count(1)).unwrap();
    assert_eq!(
        c.ports[0].driver,
        Driver::AfPacket {
            interface: "veth0".into(),
            ring_frames: DEFAULT_RING_FRAMES,
            frame_size: DEFAULT_FRAME_SIZE,
        }
    );
    assert_eq!(
        c.ports[1].driver,
        Driver::AfPacket {
            interface: "eth1".into(),
            ring_frames: 256,
            frame_size: 4096,
        }
    );
    assert_eq!(c.ports[0].driver.kind(), "af_packet");
    assert_eq!(c.ports[0].driver.rx_queues(), 1);
    assert!(c.summary().contains("port a (af_packet, 1 rx queue(s))"));
    // Queue 1 does not exist.
    let yaml = "ports:\n  - { name: a, driver: { af_packet: { interface: veth0 } } }\nworkers:\n  - { core: 0, rx: [a, a/1] }\n";
    assert!(
        Config::from_str_with(yaml, Path::new("x.yaml"), &LoadOptions::with_cpu_count(1)).is_err()
    );
}

#[test]
fn config_file_missing_is_an_error_naming_it() {
    let e = Config::load(Path::new("/nonexistent/silkroute.yaml")).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/silkroute.yaml: cannot read file"),
        "{e}"
    );
}
