//! Reload latency: time from a reload request to every worker forwarding
//! with the new FIB, for a one-route change in a small config, a one-route
//! change next to the full IPv4 table, and loading/unloading the full
//! table. Run with `benches/reload-latency.sh` (release build).

mod common;

use std::path::Path;
use std::time::Duration;

use silkroute_config::Config;
use silkroute_control_plane::runtime::{ReloadReport, Router, RunOptions};

fn config(route: u32, full: bool) -> String {
    let mut s = format!(
        r#"
ports:
  - {{ name: p0, driver: {{ memory: {{ ring_size: 1024 }} }} }}
  - {{ name: p1, driver: {{ memory: {{ ring_size: 1024 }} }} }}
interfaces:
  - {{ name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24] }}
  - {{ name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24] }}
neighbors:
  - {{ address: 198.51.100.2, mac: "02:bb:00:00:00:01" }}
control: {{ socket: ctl.sock }}
metrics: {{ enabled: false }}
routes:
  - {{ prefix: 10.0.0.0/8, via: 198.51.100.2 }}
  - {{ prefix: 100.{}.{}.0/24, via: 198.51.100.2 }}
"#,
        64 + (route / 256) % 64,
        route % 256
    );
    if full {
        s.push_str(&format!(
            "route_files:\n  - {{ path: {}, via: [198.51.100.2] }}\n",
            common::bgp_ipv4_table().display()
        ));
    }
    s.push_str("workers:\n  - { core: 0, rx: [p0, p1] }\n");
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run(router: &mut Router, path: &Path, texts: &[String]) -> Vec<ReloadReport> {
    texts
        .iter()
        .map(|t| {
            std::fs::write(path, t).expect("write config");
            router.reload().expect("reload")
        })
        .collect()
}

fn print(name: &str, r: &[ReloadReport]) {
    let f = |g: fn(&ReloadReport) -> Duration| median(r.iter().map(g).collect());
    println!(
        "RESULT reload case={name} n={} changes={} load_ms={:.3} fib_update_ms={:.3} to_publish_ms={:.3} to_adopted_ms={:.3}",
        r.len(),
        r[0].update.changes(),
        f(|x| x.load).as_secs_f64() * 1e3,
        f(|x| x.update.build).as_secs_f64() * 1e3,
        f(|x| x.to_publish).as_secs_f64() * 1e3,
        f(|x| x.to_adopted).as_secs_f64() * 1e3,
    );
}

fn main() {
    let dir = common::scratch_dir("reload-bench");
    let path = dir.join("router.yaml");
    std::fs::write(&path, config(0, false)).expect("write");
    let opts = RunOptions {
        pin: false,
        ..RunOptions::default()
    };
    let cfg = Config::load_with(&path, &opts.load_options()).expect("config");
    let mut router = Router::start(cfg, &opts).expect("start");

    let small: Vec<String> = (1..=41).map(|i| config(i, false)).collect();
    print("one_route_small_config", &run(&mut router, &path, &small));

    let mut full_cycle = Vec::new();
    let mut loads = Vec::new();
    let mut unloads = Vec::new();
    for i in 0..5 {
        full_cycle.push(config(100 + i, true));
        full_cycle.push(config(200 + i, false));
    }
    for (k, r) in run(&mut router, &path, &full_cycle).into_iter().enumerate() {
        if k % 2 == 0 {
            loads.push(r);
        } else {
            unloads.push(r);
        }
    }
    print("full_table_load", &loads);
    print("full_table_unload", &unloads);

    std::fs::write(&path, config(300, true)).expect("write");
    router.reload().expect("reload");
    let next_to_full: Vec<String> = (301..=311).map(|i| config(i, true)).collect();
    print(
        "one_route_with_full_table",
        &run(&mut router, &path, &next_to_full),
    );
    let _ = router.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
