//! Broken configurations: each must be refused with an error at the exact line and column, whose
//! message contains a fragment saying what is wrong. Table-driven.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use silkroute_config::{Config, ConfigErrors, LoadOptions};

/// What the error must look like.
struct Case {
    name: &'static str,
    yaml: &'static str,
    /// File the error is in: `None` for the config itself, else a route file name.
    file: Option<&'static str>,
    line: usize,
    column: usize,
    fragment: &'static str,
    /// Total number of errors expected (guards against cascades of follow-up errors).
    count: usize,
}

const fn case(
    name: &'static str,
    yaml: &'static str,
    line: usize,
    column: usize,
    fragment: &'static str,
) -> Case {
    Case {
        name,
        yaml,
        file: None,
        line,
        column,
        fragment,
        count: 1,
    }
}

/// A temporary directory with route files: good, malformed, truncated gzip.
fn fixture_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("silkroute-config-broken-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("good.txt"), "10.0.0.0/8\n2001:db8:aa::/48\n").unwrap();
        std::fs::write(dir.join("v6-only.txt"), "# v6\n2001:db8:aa::/48\n").unwrap();
        std::fs::write(
            dir.join("bad-lines.txt"),
            "10.0.0.0/8\n# fine\n  10.1.0.0/33 65000\n10.2.0.1/16\nnot-a-prefix\n",
        )
        .unwrap();
        std::fs::write(dir.join("truncated.txt.gz"), truncated_gz()).unwrap();
        dir
    })
}

/// 3000 lines `10.x.y.0/24`, gzip-compressed, then cut to 60% of its bytes.
fn truncated_gz() -> Vec<u8> {
    let mut text = String::new();
    for i in 0..3000u32 {
        text.push_str(&format!("10.{}.{}.0/24 {}\n", i / 256, i % 256, 64512 + i));
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    gz[..gz.len() * 6 / 10].to_vec()
}

/// Where decompression of the truncated file stops: (line, column), computed independently of
/// the crate by decoding byte by byte.
fn truncation_point() -> (usize, usize) {
    use std::io::Read;
    let gz = truncated_gz();
    let mut dec = flate2::read::GzDecoder::new(gz.as_slice());
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while let Ok(1) = dec.read(&mut byte) {
        out.push(byte[0]);
    }
    let line = out.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = out.len() - out.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

const CASES: &[Case] = &[
    // ---------------------------------------------------------------- YAML syntax and types
    case("unclosed flow sequence", "ports: [\n", 1, 8, "unclosed bracket"),
    case("unclosed flow mapping", "ports:\n  - name: p0\n    driver: { memory: {}\nworkers: []\n", 4, 1, "did not find expected ',' or '}'"),
    case("mapping value in plain scalar", "log_level: info: x\n", 1, 16, "mapping values are not allowed"),
    case("tab indentation", "ports:\n\t- name: p0\n", 2, 2, "tabs disallowed"),
    case("duplicate key", "ports:\n  - name: p0\n    name: p1\n    driver: { memory: {} }\n", 3, 5, "duplicate mapping key"),
    case("list where a list is expected is a scalar", "routes: 5\n", 1, 9, "expected a list"),
    case("rx is a scalar", "ports:\n  - { name: p0, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: p0 }\n", 4, 20, "expected a list"),
    case("mtu not a number", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - name: eth0\n    port: p0\n    mac: 02:00:00:00:00:01\n    mtu: big\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 10, "whole number"),
    case("negative core", "workers:\n  - { core: -1 }\n", 2, 13, "whole number"),
    case("mtu beyond u64", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - name: eth0\n    port: p0\n    mac: 02:00:00:00:00:01\n    mtu: 99999999999999999999999\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 10, "whole number"),
    case("via is a mapping", "routes:\n  - { prefix: 10.0.0.0/8, via: { a: 1 } }\n", 2, 32, "expected an IP address or a list"),
    case("missing required key", "ports:\n  - name: p0\n", 2, 5, "missing field `driver`"),
    case("unknown log level", "log_level: loud\n", 1, 12, "unknown variant `loud`"),
    // ---------------------------------------------------------------- unknown keys, each level
    case("unknown top-level key", "log_level: info\nbogus: 1\n", 2, 1, "unknown field `bogus`"),
    case("unknown port key", "ports:\n  - name: p0\n    driver: { memory: {} }\n    color: red\n", 4, 5, "unknown field `color`"),
    case("unknown driver", "ports:\n  - name: p0\n    driver: { netmap: {} }\n", 3, 15, "unknown variant `netmap`"),
    case("two drivers", "ports:\n  - name: p0\n    driver: { memory: {}, pcap: {} }\n", 3, 27, "end of mapping"),
    case("unknown pcap option", "ports:\n  - name: p0\n    driver: { pcap: { rx: a.pcap, speed: 10 } }\n", 3, 35, "unknown field `speed`"),
    case("unknown memory option", "ports:\n  - name: p0\n    driver: { memory: { ring: 5 } }\n", 3, 25, "unknown field `ring`"),
    case("unknown interface key", "interfaces:\n  - name: eth0\n    vlan: 5\n", 3, 5, "unknown field `vlan`"),
    case("unknown neighbor key", "neighbors:\n  - { address: 192.0.2.2, mac: 02:00:00:00:00:02, age: 5 }\n", 2, 51, "unknown field `age`"),
    case("unknown route key", "routes:\n  - { prefix: 10.0.0.0/8, via: 192.0.2.2, metric: 5 }\n", 2, 43, "unknown field `metric`"),
    case("unknown route_files key", "route_files:\n  - { path: a.txt, via: 192.0.2.2, format: x }\n", 2, 36, "unknown field `format`"),
    case("unknown worker key", "workers:\n  - { core: 0, rx: [p0], tx: [p0] }\n", 2, 26, "unknown field `tx`"),
    case("unknown worker idle policy", "workers:\n  - { core: 0, rx: [p0], idle: nap }\n", 2, 32, "unknown variant `nap`"),
    // ---------------------------------------------------------------- ports
    case("bad port name", "ports:\n  - { name: Port0, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: [Port0] }\n", 2, 13, "invalid name \"Port0\""),
    case("duplicate port", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p0, driver: { pcap: { tx: x.pcap } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 3, 13, "duplicate port name p0 (first defined at line 2)"),
    case("pcap without files", "ports:\n  - { name: p0, driver: { pcap: {} } }\nworkers:\n  - { core: 0 }\n", 2, 25, "needs at least one of rx and tx"),
    case("ring size not a power of two", "ports:\n  - { name: p0, driver: { memory: { ring_size: 1000 } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 2, 48, "ring_size 1000 must be a power of two"),
    case("af_packet interface name", "ports:\n  - { name: p0, driver: { af_packet: { interface: \"eth0:1\" } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 2, 51, "invalid Linux interface name \"eth0:1\""),
    case("af_packet ring_frames", "ports:\n  - { name: p0, driver: { af_packet: { interface: veth0, ring_frames: 1000 } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 2, 71, "ring_frames 1000 must be a power of two in 16..=1048576"),
    case("af_packet frame_size", "ports:\n  - { name: p0, driver: { af_packet: { interface: veth0, frame_size: 1024 } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 2, 70, "frame_size 1024 must be a power of two in 2048..=65536"),
    // ---------------------------------------------------------------- interfaces
    case("interface names an unknown port", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p9, mac: 02:00:00:00:00:01 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 4, 25, "unknown port p9"),
    case("two interfaces on one port", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01 }\n  - { name: eth1, port: p0, mac: 02:00:00:00:00:02 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 5, 25, "port p0 already has interface eth0"),
    case("duplicate interface", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01 }\n  - { name: eth0, port: p1, mac: 02:00:00:00:00:02 }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 6, 13, "duplicate interface name eth0"),
    case("bad mac", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:01 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 4, 34, "invalid MAC address"),
    case("multicast mac", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 01:00:5e:00:00:01 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 4, 34, "not unicast"),
    case("huge mtu", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - name: eth0\n    port: p0\n    mac: 02:00:00:00:00:01\n    mtu: 99999999999\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 10, "mtu 99999999999 out of range 68..=9216"),
    case("mtu too small for ipv6", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - name: eth0\n    port: p0\n    mac: 02:00:00:00:00:01\n    mtu: 1000\n    addresses: [\"2001:db8::1/64\"]\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 10, "below 1280"),
    case("interface address without length", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - name: eth0\n    port: p0\n    mac: 02:00:00:00:00:01\n    addresses: [192.0.2.1/24, 192.0.3.1]\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 31, "expected ADDRESS/LEN"),
    case("interface address is the network address", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - name: eth0\n    port: p0\n    mac: 02:00:00:00:00:01\n    addresses: [192.0.2.0/24]\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 17, "network address of 192.0.2.0/24"),
    case("duplicate address across interfaces", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [192.0.2.1/25] }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 6, 65, "duplicate address 192.0.2.1 (also on interface eth0)"),
    case("overlapping subnets", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [192.0.2.129/25] }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 6, 65, "subnet 192.0.2.128/25 overlaps subnet 192.0.2.0/24 of interface eth0"),
    // ---------------------------------------------------------------- neighbours
    case("neighbor not connected", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nneighbors:\n  - { address: 192.0.3.2, mac: 02:00:00:00:00:02 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 16, "neighbor 192.0.3.2 is not on any interface subnet"),
    case("neighbor unknown interface", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nneighbors:\n  - { address: 192.0.2.2, mac: 02:00:00:00:00:02, interface: eth7 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 62, "unknown interface eth7"),
    case("neighbor is our own address", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [198.18.0.1/24] }\nneighbors:\n  - { address: 192.0.2.1, mac: 02:00:00:00:00:09 }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 8, 16, "neighbor 192.0.2.1 is one of this router's own addresses"),
    case("duplicate neighbor", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [198.18.0.1/24] }\nneighbors:\n  - { address: 192.0.2.2, mac: 02:00:00:00:00:09 }\n  - { address: 192.0.2.2, mac: 02:00:00:00:00:0a }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 9, 16, "duplicate neighbor 192.0.2.2 (first defined at line 8)"),
    case("neighbor on another interface's subnet", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [198.18.0.1/24] }\nneighbors:\n  - { address: 192.0.2.2, mac: 02:00:00:00:00:09, interface: eth1 }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 8, 16, "neighbor 192.0.2.2 is not on a subnet of interface eth1"),
    case("neighbor zero mac", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [198.18.0.1/24] }\nneighbors:\n  - { address: 192.0.2.2, mac: 00:00:00:00:00:00 }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 8, 32, "00:00:00:00:00:00 is not a valid"),
    case("interface address length too long", "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p1, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\n  - { name: eth1, port: p1, mac: 02:00:00:00:00:02, addresses: [198.18.0.1/33] }\nworkers:\n  - { core: 0, rx: [p0, p1] }\n", 6, 65, "prefix length must be a number in 1..=32"),
    case("zero queues", "ports:\n  - { name: p0, driver: { memory: { queues: 0 } } }\nworkers:\n  - { core: 0 }\n", 2, 45, "queues 0 out of range 1..=64"),
    case("ipv6 prefix length too long", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [\"2001:db8:1::1/64\"] }\nroutes:\n  - { prefix: \"2001:db8::/129\", via: \"2001:db8:1::2\" }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 27, "prefix length 129 out of range 0..=128"),
    // ---------------------------------------------------------------- static routes
    case("prefix host bits set", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.1/24, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 15, "host bits set in 198.51.100.1/24: the canonical form is 198.51.100.0/24"),
    case("ipv6 prefix host bits set", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [\"2001:db8:1::1/64\"] }\nroutes:\n  - { prefix: \"2001:db8:99::1/48\", via: \"2001:db8:1::2\" }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 15, "canonical form is 2001:db8:99::/48"),
    case("prefix length too long", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/33, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 28, "prefix length 33 out of range 0..=32"),
    case("quoted prefix length too long", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: \"198.51.100.0/99\", via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 29, "prefix length 99"),
    case("prefix without length", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 15, "expected PREFIX/LEN"),
    case("prefix bad address", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.300.0/24, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 15, "bad IPv4 address"),
    case("next hop not connected", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: [192.0.2.2, 192.0.9.9] }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 49, "next hop 192.0.9.9 is not on any interface subnet"),
    case("next hop is our own address", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: 192.0.2.1 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 37, "one of this router's own addresses"),
    case("next hop wrong family", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24, \"2001:db8:1::1/64\"] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: \"2001:db8:1::2\" }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 37, "not of the same address family"),
    case("empty ecmp set", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: [] }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 37, "empty next-hop set"),
    case("duplicate ecmp member", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: [192.0.2.2, 192.0.2.2] }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 49, "duplicate next hop 192.0.2.2"),
    case("bad next hop address", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: 192.0.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 37, "invalid IP address \"192.0.2\""),
    case("duplicate static route", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 198.51.100.0/24, via: 192.0.2.2 }\n  - { prefix: 198.51.100.0/24, via: 192.0.2.3 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 7, 15, "duplicate route 198.51.100.0/24 (first defined at line 6)"),
    // ---------------------------------------------------------------- workers
    case("no workers", "ports:\n  - { name: p0, driver: { pcap: { tx: out.pcap } } }\nworkers: []\n", 3, 10, "at least one worker"),
    case("worker polls unknown port", "ports:\n  - { name: p0, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: [p0, p7] }\n", 4, 25, "unknown port p7"),
    case("worker polls unknown queue", "ports:\n  - { name: p0, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: [p0, p0/3] }\n", 4, 25, "port p0 has 1 rx queue(s); queue 3 does not exist"),
    case("bad rx entry", "ports:\n  - { name: p0, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: [p0, p0/x] }\n", 4, 25, "invalid rx queue \"p0/x\""),
    case("queue polled twice", "ports:\n  - { name: p0, driver: { memory: {} } }\nworkers:\n  - { core: 0, rx: [p0] }\n  - { core: 1, rx: [p0/0] }\n", 5, 21, "queue p0/0 is already polled (at line 4)"),
    case("queue not polled", "ports:\n  - { name: p0, driver: { memory: { queues: 2 } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 2, 13, "queue p0/1 is not polled by any worker"),
    case("tx-only port polled", "ports:\n  - { name: p0, driver: { pcap: { tx: o.pcap } } }\nworkers:\n  - { core: 0, rx: [p0] }\n", 4, 21, "no rx"),
    case("duplicate core", "ports:\n  - { name: p0, driver: { memory: { queues: 2 } } }\nworkers:\n  - { core: 0, rx: [p0] }\n  - { core: 0, rx: [p0/1] }\n", 5, 13, "duplicate worker core 0 (first used at line 4)"),
    case("core does not exist", "ports:\n  - { name: p0, driver: { memory: {} } }\nworkers:\n  - { core: 100000, rx: [p0] }\n", 4, 13, "core 100000 does not exist"),
    // ---------------------------------------------------------------- route files
    case("missing route file", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroute_files:\n  - { path: no-such-file.txt, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 13, "no-such-file.txt: No such file"),
    Case {
        file: Some("bad-lines.txt"),
        count: 3,
        ..case("malformed route line: length", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroute_files:\n  - { path: bad-lines.txt, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 3, 12, "prefix length 33 out of range")
    },
    Case {
        file: Some("bad-lines.txt"),
        count: 3,
        ..case("malformed route line: host bits", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroute_files:\n  - { path: bad-lines.txt, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 4, 1, "host bits set in 10.2.0.1/16: the canonical form is 10.2.0.0/16")
    },
    Case {
        file: Some("bad-lines.txt"),
        count: 3,
        ..case("malformed route line: garbage", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroute_files:\n  - { path: bad-lines.txt, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 5, 1, "invalid prefix \"not-a-prefix\"")
    },
    Case {
        file: Some("v6-only.txt"),
        ..case("route file family without next hop", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroute_files:\n  - { path: v6-only.txt, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n", 2, 1, "IPv6 route 2001:db8:aa::/48 but the route file's via has no IPv6 next hop")
    },
    case("route file next hop not connected", "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24, \"2001:db8:1::1/64\"] }\nroute_files:\n  - { path: good.txt, via: [192.0.2.2, \"2001:db8:5::1\"] }\nworkers:\n  - { core: 0, rx: [p0] }\n", 6, 40, "next hop 2001:db8:5::1 is not on any interface subnet"),
];

fn load(yaml: &str) -> Result<Config, ConfigErrors> {
    let path = fixture_dir().join("c.yaml");
    Config::from_str_with(yaml, &path, &LoadOptions::with_cpu_count(2))
}

#[test]
fn every_broken_config_is_refused_at_the_right_place() {
    assert!(CASES.len() >= 30);
    let mut failures = Vec::new();
    for c in CASES {
        let errors = match load(c.yaml) {
            Ok(_) => {
                failures.push(format!("{}: accepted", c.name));
                continue;
            }
            Err(e) => e,
        };
        let file = c.file.unwrap_or("c.yaml");
        let hit = errors.errors().iter().any(|e| {
            e.file.file_name().is_some_and(|f| f == file)
                && e.line == c.line
                && e.column == c.column
                && e.to_string().contains(c.fragment)
        });
        if !hit || errors.len() != c.count {
            failures.push(format!(
                "{}: want {file}:{}:{} {:?} ({} error(s)), got:\n{errors}",
                c.name, c.line, c.column, c.fragment, c.count
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn too_many_next_hops() {
    let hops: Vec<String> = (2..=66).map(|i| format!("192.0.2.{i}")).collect();
    let yaml = format!(
        "ports:\n  - {{ name: p0, driver: {{ memory: {{}} }} }}\ninterfaces:\n  - {{ name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }}\nroutes:\n  - {{ prefix: 10.0.0.0/8, via: [{}] }}\nworkers:\n  - {{ core: 0, rx: [p0] }}\n",
        hops.join(", ")
    );
    let errors = load(&yaml).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.errors()[0];
    assert_eq!((e.line, e.column), (6, 32));
    assert!(
        e.to_string()
            .contains("65 next hops, more than the ECMP maximum of 64"),
        "{errors}"
    );
}

#[test]
fn truncated_gzip_names_file_and_line() {
    let yaml = "ports:\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24] }\nroute_files:\n  - { path: truncated.txt.gz, via: 192.0.2.2 }\nworkers:\n  - { core: 0, rx: [p0] }\n";
    let errors = load(yaml).unwrap_err();
    let (line, column) = truncation_point();
    assert!(line > 100, "cut too early to be a useful test: line {line}");
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.errors()[0];
    assert_eq!(e.file, fixture_dir().join("truncated.txt.gz"));
    assert_eq!((e.line, e.column), (line, column), "{errors}");
    assert!(e.to_string().contains("truncated"), "{errors}");
}

#[test]
fn errors_are_collected_not_stopped_at_the_first() {
    let yaml = "ports:\n  - { name: p0, driver: { memory: {} } }\n  - { name: p0, driver: { memory: {} } }\ninterfaces:\n  - { name: eth0, port: p9, mac: 01:00:00:00:00:01, mtu: 50, addresses: [192.0.2.1/24] }\nroutes:\n  - { prefix: 10.0.0.1/8, via: 192.0.9.9 }\nworkers:\n  - { core: 100000, rx: [p0] }\n";
    let errors = load(yaml).unwrap_err();
    let positions: Vec<(usize, usize)> =
        errors.errors().iter().map(|e| (e.line, e.column)).collect();
    // duplicate port, unknown port, multicast mac, mtu, host bits, next hop, core.
    assert_eq!(
        positions,
        vec![
            (3, 13),
            (5, 25),
            (5, 34),
            (5, 58),
            (7, 15),
            (7, 32),
            (9, 13)
        ],
        "{errors}"
    );
    // Display: one `file:line:column: message` per line.
    let text = errors.to_string();
    assert_eq!(text.lines().count(), 7);
    assert!(text.lines().all(|l| l.contains("c.yaml:")), "{text}");
}

#[test]
fn bad_input_never_panics() {
    // Every prefix of every case, byte by byte truncated, must return Ok or Err, never panic.
    for c in CASES {
        for cut in 0..c.yaml.len() {
            if c.yaml.is_char_boundary(cut) {
                let _ = load(&c.yaml[..cut]);
            }
        }
    }
    for junk in [
        "\u{0}",
        "- - -",
        "{",
        "ports: *a",
        "&a [*a]",
        "? [a]: b",
        "!!binary x",
        "ports:\n  - !pcap {}",
    ] {
        let _ = load(junk);
    }
}
