//! End to end through real Linux tools: silkroute runs with two
//! `af_packet` ports in a namespace between two others, and Debian's
//! `ping`, `traceroute`, `iperf3` and `tcpdump` talk through it and to it.
//!
//! ```text
//!  sr-gen-PID              sr-mid-PID (silkroute)            sr-sink-PID
//!  eth0 10.1.0.2/24 ---- to-gen [10.1.0.1]  to-sink [10.2.0.1] ---- eth0 10.2.0.2/24
//!       2001:db8:1::2/64        [2001:db8:1::1]  [2001:db8:2::1]        2001:db8:2::2/64
//! ```
//!
//! The router's addresses live only in its config: the mid-side veth ends
//! carry no kernel addresses and have IPv6 disabled, so only silkroute
//! answers ARP, NDP and ICMP there. gen and sink resolve the router with
//! ordinary ARP/NDP (no static entries on their side).
//!
//! Needs root and `ip`, `ethtool`, `ping`, `traceroute`, `iperf3`,
//! `tcpdump`, `python3` (see `.ci/run`). Without root it FAILS: CI runs it
//! as root. Namespaces and child processes are removed by a drop guard,
//! also when a check fails. The world and the tools' checks are shared with
//! `netns_af_xdp.rs` (`common/netns.rs`).
#![cfg(target_os = "linux")]

#[path = "common/netns.rs"]
mod netns;

use std::process::Command;
use std::time::Duration;

use netns::*;

#[test]
fn tools_work_through_and_to_the_router() {
    let mut w = World::new("afp");
    println!(
        "neighbours: {}",
        if static_neighbors() {
            "static (config)"
        } else {
            "dynamic (ARP/NDP)"
        }
    );
    let cfg = config(&w, &|ifname| {
        format!("{{ af_packet: {{ interface: {ifname} }} }}")
    });
    let router = start_router(&mut w, &cfg);

    let (gen, sink) = (w.gen.clone(), w.sink.clone());
    for (ns, target) in [
        (&gen, "10.2.0.2"),
        (&gen, "10.1.0.1"),
        (&sink, "10.2.0.1"),
        (&gen, "2001:db8:2::2"),
        (&gen, "2001:db8:1::1"),
        (&sink, "2001:db8:2::1"),
    ] {
        println!("ping {target} from {ns}: {}", ping(&w, ns, target));
    }

    let out = traceroute(&w, false, "10.2.0.2", "10.1.0.1");
    println!("traceroute:\n{out}");
    let out = traceroute(&w, true, "2001:db8:2::2", "2001:db8:1::1");
    println!("traceroute -6:\n{out}");

    let tcp = iperf3(&mut w, false);
    let received = &tcp["end"]["sum_received"];
    let bytes = received["bytes"].as_u64().unwrap_or(0);
    assert!(bytes > 0, "iperf3 TCP moved nothing: {tcp}");
    println!(
        "iperf3 TCP: {} bytes, {:.1} Mbit/s, {} retransmits",
        bytes,
        received["bits_per_second"].as_f64().unwrap_or(0.0) / 1e6,
        tcp["end"]["sum_sent"]["retransmits"]
    );
    let udp = iperf3(&mut w, true);
    // iperf3 3.12 reports the server's view as `sum_received`; older
    // versions as `sum`.
    let end = &udp["end"];
    let sum = if end["sum_received"].is_object() {
        &end["sum_received"]
    } else {
        &end["sum"]
    };
    let packets = sum["packets"].as_u64().unwrap_or(0);
    let lost = sum["lost_percent"].as_f64().unwrap_or(100.0);
    assert!(packets > 0 && lost < 5.0, "iperf3 UDP: {end}");
    println!("iperf3 UDP: {packets} datagrams at 20 Mbit/s, {lost:.2}% lost");

    let n = capture(&mut w);
    println!(
        "capture at sink: {n} UDP datagrams (IPv4 and IPv6), TTL {} -> {}, checksums valid, payload intact",
        SENT_TTL,
        SENT_TTL - 1
    );

    w.router_alive();
    w.signal(router, "-TERM");
    let status = w.wait("silkroute", Duration::from_secs(30));
    let summary = w.log("silkroute", "out");
    println!("silkroute summary:\n{summary}");
    assert!(
        status.is_some_and(|s| s.success()),
        "silkroute did not stop cleanly ({status:?}):\n{}",
        w.log("silkroute", "err")
    );
}

/// The router refuses to start, naming the interface, when it is missing.
#[test]
fn missing_interface_is_a_clear_startup_error() {
    let dir = std::env::temp_dir().join(format!(
        "silkroute-netns-afp-missing-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("c.yaml");
    std::fs::write(
        &cfg,
        "ports:\n  - { name: p0, driver: { af_packet: { interface: sr-nope0 } } }\nworkers:\n  - { core: 0, rx: [p0] }\nmetrics: { enabled: false }\n",
    )
    .unwrap();
    let out = output(
        Command::new(env!("CARGO_BIN_EXE_silkroute"))
            .args(["run", "--no-pin", "--config"])
            .arg(&cfg),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("port p0: af_packet sr-nope0: no such interface"),
        "{err}"
    );
    println!("{}", err.lines().last().unwrap_or_default());
}
