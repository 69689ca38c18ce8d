//! Shared fixtures of the fuzz targets: the router's test FIB (a copy of
//! `router/tests/common/mod.rs::test_fib`) and a config whose interfaces
//! match it, for the control plane's exception handler.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::OnceLock;

use silkroute_config::{Config, LoadOptions};
use silkroute_lpm::{Lpm4, Lpm6};
use silkroute_router::fib::{Fib, NextHop, PortInfo, Target};

/// Port MACs and neighbours of the test FIB.
pub const MAC_P0: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const MAC_P1: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
pub const MAC_HOST: [u8; 6] = [0x02, 0xaa, 0, 0, 0, 0x0a];
pub const MAC_B1: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 0x02];
pub const MAC_B2: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 0x03];
/// Egress MTU of p1 (smaller than p0's, so "too big" is reachable).
pub const MTU_P1: u16 = 1400;

/// Two ports: p0 (host side, MTU 1500) and p1 (towards B1/B2, MTU 1400).
///
/// IPv4: 10/8 → B1; 20/8 → ECMP{B1,B2}; 30/8 blackhole; 40/8 → an
/// unresolved next hop; 192.0.2.1/32 local; 198.51.100.0/24 attached on
/// p1 with .255 its broadcast; 192.0.2.0/24 attached on p0 with the host
/// 192.0.2.10 resolved. IPv6 the same shape under 2001:db8::/32.
pub fn test_fib() -> Fib {
    let mut fib = Fib::empty(vec![
        PortInfo {
            mac: MAC_P0,
            mtu: 1500,
        },
        PortInfo {
            mac: MAC_P1,
            mtu: MTU_P1,
        },
    ]);
    let nh = |port, mac, addr: IpAddr| NextHop { port, mac, addr };
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    fib.next_hops = vec![
        nh(1, Some(MAC_B1), v4(198, 51, 100, 2)),
        nh(1, Some(MAC_B2), v4(198, 51, 100, 3)),
        nh(1, None, v4(198, 51, 100, 9)),
        nh(0, Some(MAC_HOST), v4(192, 0, 2, 10)),
    ];
    fib.ecmp_members = vec![0, 1];
    fib.targets = vec![
        Target::NextHop(0),
        Target::Ecmp { first: 0, count: 2 },
        Target::Local,
        Target::Attached { port: 1 },
        Target::Broadcast,
        Target::Blackhole,
        Target::NextHop(2),
        Target::NextHop(3),
        Target::Attached { port: 0 },
    ];
    let a4 = |a, b, c, d| u32::from(Ipv4Addr::new(a, b, c, d));
    fib.v4 = Lpm4::from_routes(&[
        (a4(10, 0, 0, 0), 8, 0),
        (a4(20, 0, 0, 0), 8, 1),
        (a4(30, 0, 0, 0), 8, 5),
        (a4(40, 0, 0, 0), 8, 6),
        (a4(192, 0, 2, 0), 24, 8),
        (a4(192, 0, 2, 1), 32, 2),
        (a4(192, 0, 2, 10), 32, 7),
        (a4(198, 51, 100, 0), 24, 3),
        (a4(198, 51, 100, 255), 32, 4),
    ])
    .unwrap_or_else(|e| panic!("test FIB v4: {e}"));
    let a6 = |s: [u16; 8]| u128::from(Ipv6Addr::from(s));
    let db8 = |a: u16, tail: u16| a6([0x2001, 0xdb8, a, 0, 0, 0, 0, tail]);
    fib.v6 = Lpm6::from_routes(&[
        (db8(0x10, 0), 48, 0),
        (db8(0x20, 0), 48, 1),
        (db8(0x30, 0), 48, 5),
        (db8(0x40, 0), 48, 6),
        (db8(0x1, 0), 64, 8),
        (db8(0x1, 1), 128, 2),
        (db8(0x1, 0x10), 128, 7),
        (db8(0x2, 0), 64, 3),
    ])
    .unwrap_or_else(|e| panic!("test FIB v6: {e}"));
    fib
}

/// The test FIB, built once per process.
pub fn fib() -> &'static Fib {
    static FIB: OnceLock<Fib> = OnceLock::new();
    FIB.get_or_init(test_fib)
}

/// A config whose interfaces own the test FIB's local addresses and MACs.
const HANDLER_CONFIG: &str = r#"
ports:
  - { name: p0, driver: { memory: { ring_size: 64, queues: 1 } } }
  - { name: p1, driver: { memory: { ring_size: 64, queues: 1 } } }
interfaces:
  - { name: eth0, port: p0, mac: "02:00:00:00:00:01", mtu: 1500, addresses: [192.0.2.1/24, "2001:db8:1::1/64"] }
  - { name: eth1, port: p1, mac: "02:00:00:00:00:02", mtu: 1400, addresses: [198.51.100.1/24, "2001:db8:2::1/64"] }
workers:
  - { core: 0, rx: [p0, p1] }
"#;

/// The exception handler's config, parsed once per process.
pub fn handler_config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::from_str_with(
            HANDLER_CONFIG,
            Path::new("/nonexistent/fuzz.yaml"),
            load_options(),
        )
        .unwrap_or_else(|e| panic!("fuzz handler config: {e}"))
    })
}

/// Load options that do not read `/sys` on every call.
pub fn load_options() -> &'static LoadOptions {
    static OPTS: OnceLock<LoadOptions> = OnceLock::new();
    OPTS.get_or_init(|| LoadOptions {
        cpu_count: 64,
        ..LoadOptions::default()
    })
}
