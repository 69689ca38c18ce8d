//! The shared BGP tables load with the documented line counts. A missing file fails the test.

use std::path::{Path, PathBuf};
use std::time::Instant;

use silkroute_config::parse_route_file;

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}

#[test]
fn bgp_ipv4_table_loads() {
    let path = shared("bgp-ipv4.txt.gz");
    assert!(path.is_file(), "shared table {} is missing", path.display());
    let start = Instant::now();
    let rf = parse_route_file(&path).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("bgp-ipv4: {} routes in {:?}", rf.len(), start.elapsed());
    assert_eq!(rf.v4.len(), 901_899);
    assert_eq!(rf.v6.len(), 0);
    assert_eq!(rf.lines, 901_899);
    // README: 537,698 /24s and 886 /32s.
    assert_eq!(
        rf.v4.iter().filter(|n| n.prefix_len() == 24).count(),
        537_698
    );
    assert_eq!(rf.v4.iter().filter(|n| n.prefix_len() == 32).count(), 886);
}

#[test]
fn bgp_ipv6_table_loads() {
    let path = shared("bgp-ipv6.txt.gz");
    assert!(path.is_file(), "shared table {} is missing", path.display());
    let rf = parse_route_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rf.v6.len(), 160_147);
    assert_eq!(rf.v4.len(), 0);
    assert_eq!(
        rf.v6.iter().filter(|n| n.prefix_len() == 48).count(),
        75_488
    );
}

#[test]
fn extra_table_with_origin_columns_loads() {
    // `PREFIX ORIGIN` lines, MOAS and AS_SET origins: the extra columns are ignored.
    let path = shared("extra/ris-whois-ipv6-20241220.txt.gz");
    assert!(path.is_file(), "shared table {} is missing", path.display());
    let rf = parse_route_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rf.v6.len(), 228_874);
}

#[test]
fn config_with_both_full_tables_and_overlapping_statics() {
    let v4 = shared("bgp-ipv4.txt.gz");
    let v6 = shared("bgp-ipv6.txt.gz");
    assert!(v4.is_file() && v6.is_file(), "shared tables missing");
    // 1.0.0.0/24 and 2001:200::/32 are in the tables; the static routes must win over them.
    let yaml = format!(
        "ports:\n  - {{ name: p0, driver: {{ memory: {{}} }} }}\n\
         interfaces:\n  - {{ name: eth0, port: p0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24, \"2001:db8:1::1/64\"] }}\n\
         routes:\n  - {{ prefix: 1.0.0.0/24, via: 192.0.2.9 }}\n  - {{ prefix: \"2001:200::/32\", via: \"2001:db8:1::9\" }}\n\
         route_files:\n  - {{ path: {}, via: [192.0.2.2, 192.0.2.3] }}\n  - {{ path: {}, via: \"2001:db8:1::2\" }}\n\
         workers:\n  - {{ core: 0, rx: [p0] }}\n",
        v4.display(),
        v6.display()
    );
    let start = Instant::now();
    let opts = silkroute_config::LoadOptions::with_cpu_count(1);
    let config = silkroute_config::Config::from_str_with(&yaml, Path::new("bgp.yaml"), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("full config: {:?}", start.elapsed());
    assert_eq!(config.routes_v4.len(), 901_899);
    assert_eq!(config.routes_v6.len(), 160_147);
    assert_eq!(config.route_stats.shadowed, 2);
    assert_eq!(config.next_hop_sets.len(), 4);
    let find4 = |p: &str| {
        let p: silkroute_config::Ipv4Net = p.parse().unwrap();
        config.routes_v4.iter().find(|(n, _)| *n == p).map(|r| r.1)
    };
    let static_set = find4("1.0.0.0/24").unwrap();
    assert_eq!(config.next_hop_sets[static_set as usize].hops.len(), 1);
    let all: Vec<_> = config.routes_v4.iter().collect();
    assert_eq!(all.len(), 901_899);
    assert!(
        all.windows(2)
            .all(|w| (w[0].0.network(), w[0].0.prefix_len())
                < (w[1].0.network(), w[1].0.prefix_len()))
    );
}
