//! End to end through real Linux tools with two `af_xdp` ports: the same
//! world and checks as `netns_af_packet.rs` (ping through and to the
//! router, traceroute, iperf3 TCP and UDP, a capture at the sink), plus
//! what is particular to AF_XDP: the XDP program is attached while
//! silkroute runs and gone after it exits, the link going down and up
//! does not stop forwarding, and `pass_to_kernel` hands frames for other
//! MACs to the kernel's stack.
//!
//! Needs root (see `.ci/run` for the tools). Without root it FAILS.
#![cfg(target_os = "linux")]

#[path = "common/netns.rs"]
mod netns;

use std::process::Command;
use std::time::Duration;

use netns::*;

fn xdp_driver(pass_to_kernel: bool) -> impl Fn(&str) -> String {
    move |ifname| {
        format!(
            "{{ af_xdp: {{ interface: {ifname}, mode: auto, pass_to_kernel: {pass_to_kernel} }} }}"
        )
    }
}

/// True when `ifname` in `ns` has an XDP program attached.
fn has_xdp(w: &World, ns: &str, ifname: &str) -> bool {
    w.ip(ns, &["link", "show", "dev", ifname])
        .contains("prog/xdp")
}

fn stop_router(w: &mut World, pid: u32) -> String {
    w.router_alive();
    w.signal(pid, "-TERM");
    let status = w.wait("silkroute", Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "silkroute did not stop cleanly ({status:?}):\n{}",
        w.log("silkroute", "err")
    );
    w.log("silkroute", "out")
}

#[test]
fn tools_work_through_and_to_the_router() {
    let mut w = World::new("xdp");
    let cfg = config(&w, &xdp_driver(false));
    let router = start_router(&mut w, &cfg);
    let err = w.log("silkroute", "err");
    assert!(err.contains("af_xdp mode obtained"), "{err}");
    println!(
        "{}",
        err.lines()
            .filter(|l| l.contains("mode obtained"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let mid = w.mid.clone();
    assert!(has_xdp(&w, &mid, "to-gen") && has_xdp(&w, &mid, "to-sink"));

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
    println!(
        "traceroute:\n{}",
        traceroute(&w, false, "10.2.0.2", "10.1.0.1")
    );
    println!(
        "traceroute -6:\n{}",
        traceroute(&w, true, "2001:db8:2::2", "2001:db8:1::1")
    );

    let tcp = iperf3(&mut w, false);
    let received = &tcp["end"]["sum_received"];
    let bytes = received["bytes"].as_u64().unwrap_or(0);
    assert!(bytes > 0, "iperf3 TCP moved nothing: {tcp}");
    println!(
        "iperf3 TCP: {} bytes, {:.1} Mbit/s",
        bytes,
        received["bits_per_second"].as_f64().unwrap_or(0.0) / 1e6
    );
    let udp = iperf3(&mut w, true);
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
    println!("capture at sink: {n} UDP datagrams, TTL decremented, checksums valid");

    // The link going down and up again loses neither the port nor the
    // worker.
    for ifname in ["to-sink", "to-gen"] {
        w.ip(&mid, &["link", "set", ifname, "down"]);
        std::thread::sleep(Duration::from_millis(300));
        w.ip(&mid, &["link", "set", ifname, "up"]);
    }
    std::thread::sleep(Duration::from_millis(500));
    w.router_alive();
    println!("after link flaps: {}", ping(&w, &gen, "10.2.0.2"));

    let summary = stop_router(&mut w, router);
    println!("silkroute summary:\n{summary}");
    assert!(
        !has_xdp(&w, &mid, "to-gen") && !has_xdp(&w, &mid, "to-sink"),
        "the XDP program outlived silkroute"
    );
}

/// With `pass_to_kernel`, frames for the interface's own MAC (not the
/// router's) reach the kernel stack in the router's namespace, while
/// frames for the router are still forwarded.
#[test]
fn pass_to_kernel_hands_other_frames_to_the_stack() {
    let mut w = World::new("xpk");
    let mid = w.mid.clone();
    let gen = w.gen.clone();
    // The router answers as 02:00:00:00:00:01 on to-gen; the kernel keeps
    // the interface's own MAC there, with an address of its own.
    let router_mac = "02:00:00:00:00:01";
    let if_mac = w.mac(&mid, "to-gen");
    let cfg = config(&w, &xdp_driver(true)).replace(
        &format!("port: p0, mac: {if_mac}"),
        &format!("port: p0, mac: {router_mac}"),
    );
    w.ip(&mid, &["addr", "add", "10.1.9.1/24", "dev", "to-gen"]);
    w.ip(&gen, &["addr", "add", "10.1.9.2/24", "dev", "eth0"]);
    // gen reaches the kernel's address by the interface's MAC (group
    // frames such as ARP requests go to the router).
    w.ip(
        &gen,
        &[
            "neigh", "replace", "10.1.9.1", "lladdr", &if_mac, "dev", "eth0",
        ],
    );
    let gen_mac = w.mac(&gen, "eth0");
    w.ip(
        &mid,
        &[
            "neigh", "replace", "10.1.9.2", "lladdr", &gen_mac, "dev", "to-gen",
        ],
    );
    let router = start_router(&mut w, &cfg);
    println!("kernel: {}", ping(&w, &gen, "10.1.9.1"));
    println!("router: {}", ping(&w, &gen, "10.2.0.2"));
    stop_router(&mut w, router);
}

/// The router refuses to start, naming the interface, when it is missing.
#[test]
fn missing_interface_is_a_clear_startup_error() {
    require_root();
    let dir = std::env::temp_dir().join(format!(
        "silkroute-netns-xdp-missing-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("c.yaml");
    std::fs::write(
        &cfg,
        "ports:\n  - { name: p0, driver: { af_xdp: { interface: sr-nope0 } } }\nworkers:\n  - { core: 0, rx: [p0] }\nmetrics: { enabled: false }\n",
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
        err.contains("port p0: af_xdp sr-nope0: no such interface"),
        "{err}"
    );
}
