//! The network-namespace world the end-to-end port tests share: three
//! namespaces (gen, mid with silkroute, sink) joined by veth pairs, the
//! Debian tools that talk through the router, and a drop guard that
//! removes everything, also when a check fails.
//!
//! ```text
//!  srX-gen-PID              srX-mid-PID (silkroute)            srX-sink-PID
//!  eth0 10.1.0.2/24 ---- to-gen [10.1.0.1]  to-sink [10.2.0.1] ---- eth0 10.2.0.2/24
//!       2001:db8:1::2/64        [2001:db8:1::1]  [2001:db8:2::1]        2001:db8:2::2/64
//! ```
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The router resolves gen's and sink's MACs itself with ARP and NDP (the
/// issue's requirement); `SILKROUTE_TEST_STATIC_NEIGHBORS=1` gives it
/// static `neighbors:` instead, to tell a resolution fault from a port
/// fault.
pub const STATIC_NEIGHBORS: bool = false;

/// Time for the router to start and answer its first ping (the FIB build
/// and socket setup take well under a second; a loaded CI machine is slow).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Any single tool run (ping, traceroute, one iperf3 client).
pub const TOOL_TIMEOUT: &str = "60";

/// Payload bytes after the label in each captured UDP datagram.
pub const PAYLOAD_PATTERN: usize = 300;
/// TTL / hop limit of the captured datagrams as sent by gen.
pub const SENT_TTL: u8 = 17;
/// Datagrams per address family in the capture check.
pub const CAPTURED: usize = 5;

pub fn static_neighbors() -> bool {
    STATIC_NEIGHBORS || std::env::var_os("SILKROUTE_TEST_STATIC_NEIGHBORS").is_some()
}

pub fn require_root() {
    let uid = Command::new("id").arg("-u").output().expect("id -u");
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "the netns end-to-end test needs root (namespaces, veth, raw sockets); CI runs it as \
         root: run `sudo -E cargo test -p silkroute-control-plane --test netns_af_packet` (or netns_af_xdp)"
    );
}

pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (see .ci/run for the packages needed)"))
}

pub fn check(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The three namespaces, their links, and every process started in them.
pub struct World {
    pub gen: String,
    pub mid: String,
    pub sink: String,
    pub dir: PathBuf,
    pub children: Vec<(&'static str, Child)>,
}

impl World {
    pub fn new(tag: &str) -> World {
        require_root();
        let pid = std::process::id();
        let dir = std::env::temp_dir().join(format!("silkroute-netns-{tag}-{pid}"));
        std::fs::create_dir_all(&dir).unwrap();
        let w = World {
            gen: format!("sr{tag}-gen-{pid}"),
            mid: format!("sr{tag}-mid-{pid}"),
            sink: format!("sr{tag}-sink-{pid}"),
            dir,
            children: Vec::new(),
        };
        for ns in [&w.gen, &w.mid, &w.sink] {
            check(Command::new("ip").args(["netns", "add", ns]));
        }
        // The mid ends are created with IPv6 already off: no link-local
        // address, no DAD, no router solicitation from the kernel there.
        for key in ["all", "default"] {
            w.exec(
                &w.mid,
                &[
                    "sysctl",
                    "-qw",
                    &format!("net.ipv6.conf.{key}.disable_ipv6=1"),
                ],
            );
        }
        check(Command::new("ip").args([
            "link", "add", "name", "eth0", "netns", &w.gen, "type", "veth", "peer", "name",
            "to-gen", "netns", &w.mid,
        ]));
        check(Command::new("ip").args([
            "link", "add", "name", "eth0", "netns", &w.sink, "type", "veth", "peer", "name",
            "to-sink", "netns", &w.mid,
        ]));
        for ifname in ["to-gen", "to-sink"] {
            w.exec(
                &w.mid,
                &[
                    "sysctl",
                    "-qw",
                    &format!("net.ipv6.conf.{ifname}.disable_ipv6=1"),
                ],
            );
            w.ip(&w.mid, &["link", "set", ifname, "up"]);
        }
        w.ip(&w.mid, &["link", "set", "lo", "up"]);
        for (ns, v4, v6, gw4, gw6) in [
            (
                &w.gen,
                "10.1.0.2/24",
                "2001:db8:1::2/64",
                "10.1.0.1",
                "2001:db8:1::1",
            ),
            (
                &w.sink,
                "10.2.0.2/24",
                "2001:db8:2::2/64",
                "10.2.0.1",
                "2001:db8:2::1",
            ),
        ] {
            // Checksums and segmentation in software: the router forwards
            // frames as it receives them, so a veth peer's partial
            // checksums and 64 KiB TSO frames must not reach it.
            w.exec(ns, &["ethtool", "-K", "eth0", "tx", "off"]);
            w.ip(ns, &["link", "set", "lo", "up"]);
            w.ip(ns, &["addr", "add", v4, "dev", "eth0"]);
            w.ip(ns, &["-6", "addr", "add", v6, "dev", "eth0", "nodad"]);
            w.ip(ns, &["link", "set", "eth0", "up"]);
            w.ip(ns, &["route", "add", "default", "via", gw4]);
            w.ip(ns, &["-6", "route", "add", "default", "via", gw6]);
        }
        w
    }

    pub fn ip(&self, ns: &str, args: &[&str]) -> String {
        check(Command::new("ip").arg("-n").arg(ns).args(args))
    }

    /// Runs a tool in `ns` (bounded by `timeout`) and requires success.
    pub fn exec(&self, ns: &str, args: &[&str]) -> String {
        check(&mut self.cmd(ns, args))
    }

    pub fn cmd(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("timeout");
        c.args(["-k", "5", TOOL_TIMEOUT, "ip", "netns", "exec", ns])
            .args(args);
        c
    }

    pub fn mac(&self, ns: &str, ifname: &str) -> String {
        let json = self.ip(ns, &["-j", "link", "show", "dev", ifname]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("ip -j link");
        v[0]["address"].as_str().expect("address").to_owned()
    }

    /// Starts a long-running process in `ns`, output to files in `dir`.
    pub fn spawn(&mut self, label: &'static str, ns: &str, args: &[&str]) -> u32 {
        let out = std::fs::File::create(self.dir.join(format!("{label}.out"))).unwrap();
        let err = std::fs::File::create(self.dir.join(format!("{label}.err"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let id = child.id();
        self.children.push((label, child));
        id
    }

    pub fn log(&self, label: &str, stream: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{label}.{stream}"))).unwrap_or_default()
    }

    /// Waits for a spawned process to exit by itself.
    pub fn wait(&mut self, label: &str, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        let i = self.children.iter().position(|(l, _)| *l == label)?;
        loop {
            if let Ok(Some(st)) = self.children[i].1.try_wait() {
                self.children.remove(i);
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, pid: u32, sig: &str) {
        let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
    }

    /// Panics with the router's log when it has exited.
    pub fn router_alive(&mut self) {
        if let Some((_, c)) = self.children.iter_mut().find(|(l, _)| *l == "silkroute") {
            if let Ok(Some(st)) = c.try_wait() {
                panic!(
                    "silkroute exited ({st}):\n{}{}",
                    self.log("silkroute", "out"),
                    self.log("silkroute", "err")
                );
            }
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.gen, &self.mid, &self.sink] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The router config; `driver(ifname)` is the YAML driver mapping of a
/// port on that mid-side interface.
pub fn config(w: &World, driver: &dyn Fn(&str) -> String) -> String {
    let mid_gen = w.mac(&w.mid, "to-gen");
    let mid_sink = w.mac(&w.mid, "to-sink");
    let mut yaml = format!(
        "log_level: info\n\
         ports:\n\
         \x20 - {{ name: p0, driver: {} }}\n\
         \x20 - {{ name: p1, driver: {} }}\n\
         interfaces:\n\
         \x20 - {{ name: to-gen, port: p0, mac: {mid_gen}, addresses: [10.1.0.1/24, \"2001:db8:1::1/64\"] }}\n\
         \x20 - {{ name: to-sink, port: p1, mac: {mid_sink}, addresses: [10.2.0.1/24, \"2001:db8:2::1/64\"] }}\n\
         workers:\n\
         \x20 - {{ core: 0, rx: [p0, p1] }}\n\
         control: {{ socket: {} }}\n\
         metrics: {{ enabled: false }}\n",
        driver("to-gen"),
        driver("to-sink"),
        w.dir.join("silkroute.sock").display()
    );
    if static_neighbors() {
        let gen = w.mac(&w.gen, "eth0");
        let sink = w.mac(&w.sink, "eth0");
        yaml.push_str(&format!(
            "neighbors:\n\
             \x20 - {{ address: 10.1.0.2, mac: {gen} }}\n\
             \x20 - {{ address: \"2001:db8:1::2\", mac: {gen} }}\n\
             \x20 - {{ address: 10.2.0.2, mac: {sink} }}\n\
             \x20 - {{ address: \"2001:db8:2::2\", mac: {sink} }}\n"
        ));
    }
    yaml
}

pub fn ping(w: &World, ns: &str, target: &str) -> String {
    let out = w.exec(
        ns,
        &["ping", "-n", "-c", "3", "-i", "0.3", "-W", "3", target],
    );
    let summary = out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("3 received") && summary.contains(" 0% packet loss"),
        "ping {target} from {ns}:\n{out}"
    );
    summary
}

/// `traceroute -n` must show the router as hop 1 and `target` as hop 2.
pub fn traceroute(w: &World, six: bool, target: &str, hop1: &str) -> String {
    let mut args = vec!["traceroute", "-n", "-q", "1", "-w", "3", "-m", "5"];
    if six {
        args.push("-6");
    }
    args.push(target);
    let out = w.exec(&w.gen, &args);
    let hop = |n: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(n))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("-")
            .to_owned()
    };
    assert_eq!(hop("1"), hop1, "hop 1:\n{out}");
    assert_eq!(hop("2"), target, "hop 2:\n{out}");
    assert!(
        !out.lines()
            .any(|l| l.split_whitespace().next() == Some("3")),
        "no hop 3:\n{out}"
    );
    out
}

/// One iperf3 run gen → sink (server in sink); returns its JSON report.
pub fn iperf3(w: &mut World, udp: bool) -> serde_json::Value {
    let label = if udp { "iperf3-udp" } else { "iperf3-tcp" };
    let sink = w.sink.clone();
    w.spawn(label, &sink, &["iperf3", "-s", "-1", "-p", "5201"]);
    let mut args = vec!["iperf3", "-c", "10.2.0.2", "-p", "5201", "-t", "3", "-J"];
    if udp {
        args.extend(["-u", "-b", "20M"]);
    }
    // The server needs a moment to listen.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w
        .exec(&sink, &["ss", "-Hltn", "sport", "= :5201"])
        .contains("5201")
    {
        assert!(
            Instant::now() < deadline,
            "{label}: server not listening: {}",
            w.log(label, "err")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = output(&mut w.cmd(&w.gen, &args));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    // iperf3 -J may exit 0 with an "error" member.
    assert!(
        out.status.success() && report.get("error").is_none(),
        "{label}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    w.wait(label, Duration::from_secs(10));
    report
}

/// The label and pattern of captured datagram `i` of family `fam`.
pub fn payload(fam: &str, i: usize) -> Vec<u8> {
    let mut p = format!("silkroute-netns-{fam}-{i}:").into_bytes();
    p.extend((0..PAYLOAD_PATTERN).map(|k| (k * 7 + i) as u8));
    p
}

pub const SENDER: &str = r#"
import socket, sys, time
n, pattern, ttl = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def payload(fam, i):
    return ("silkroute-netns-%s-%d:" % (fam, i)).encode() + bytes((k * 7 + i) % 256 for k in range(pattern))
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
for i in range(n):
    s4.sendto(payload("v4", i), ("10.2.0.2", 9999))
    s6.sendto(payload("v6", i), ("2001:db8:2::2", 9999))
    time.sleep(0.05)
"#;

pub fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    acc
}

pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// Checks one captured frame; returns (family, index) of the datagram.
pub fn check_frame(f: &[u8], router_mac: &[u8; 6], sink_mac: &[u8; 6]) -> (String, usize) {
    assert_eq!(&f[0..6], sink_mac, "destination MAC is the sink's");
    assert_eq!(&f[6..12], router_mac, "source MAC is the router's");
    let (ttl, src, dst, proto_len, l4) = match u16::from_be_bytes([f[12], f[13]]) {
        0x0800 => {
            let ip = &f[14..];
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            assert_eq!(fold(sum16(&ip[..ihl], 0)), 0xffff, "IPv4 header checksum");
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            assert_eq!(ip[9], 17, "UDP");
            let l4 = &ip[ihl..total];
            (
                ip[8],
                ip[12..16].to_vec(),
                ip[16..20].to_vec(),
                l4.len(),
                l4,
            )
        }
        0x86dd => {
            let ip = &f[14..];
            let plen = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            assert_eq!(ip[6], 17, "UDP");
            let l4 = &ip[40..40 + plen];
            (ip[7], ip[8..24].to_vec(), ip[24..40].to_vec(), plen, l4)
        }
        other => panic!("unexpected EtherType {other:#06x}"),
    };
    assert_eq!(ttl, SENT_TTL - 1, "TTL / hop limit decremented once");
    // Pseudo-header (RFC 768 / RFC 8200 §8.1) + UDP header + data.
    let mut acc = sum16(&src, 0);
    acc = sum16(&dst, acc);
    acc += 17 + proto_len as u32;
    assert_ne!(
        u16::from_be_bytes([l4[6], l4[7]]),
        0,
        "UDP checksum present"
    );
    assert_eq!(fold(sum16(l4, acc)), 0xffff, "UDP checksum");
    let data = &l4[8..];
    let label = String::from_utf8_lossy(data.split(|b| *b == b':').next().unwrap()).into_owned();
    let mut parts = label.rsplitn(3, '-');
    let i: usize = parts.next().unwrap().parse().expect("index");
    let fam = parts.next().unwrap().to_owned();
    assert_eq!(data, &payload(&fam, i)[..], "payload intact");
    (fam, i)
}

pub fn parse_mac(s: &str) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (o, p) in m.iter_mut().zip(s.split(':')) {
        *o = u8::from_str_radix(p, 16).unwrap();
    }
    m
}

pub fn capture(w: &mut World) -> usize {
    let pcap = w.dir.join("sink.pcap");
    let count = (2 * CAPTURED).to_string();
    let sink = w.sink.clone();
    let tcpdump = w.spawn(
        "tcpdump",
        &sink,
        &[
            "tcpdump",
            "-i",
            "eth0",
            "-n",
            "-U",
            "-Z",
            "root",
            "-c",
            &count,
            "-w",
            pcap.to_str().unwrap(),
            "udp port 9999",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.log("tcpdump", "err").contains("listening on") {
        assert!(
            Instant::now() < deadline,
            "tcpdump did not start: {}",
            w.log("tcpdump", "err")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    w.exec(
        &w.gen,
        &[
            "python3",
            "-c",
            SENDER,
            &CAPTURED.to_string(),
            &PAYLOAD_PATTERN.to_string(),
            &SENT_TTL.to_string(),
        ],
    );
    if w.wait("tcpdump", Duration::from_secs(15)).is_none() {
        w.signal(tcpdump, "-INT");
        w.wait("tcpdump", Duration::from_secs(5));
    }
    let router_mac = parse_mac(&w.mac(&w.mid, "to-sink"));
    let sink_mac = parse_mac(&w.mac(&w.sink, "eth0"));
    let bytes = std::fs::read(&pcap).expect("capture file");
    let mut reader = pcap_file::pcap::PcapReader::new(&bytes[..]).expect("pcap");
    let mut seen = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.expect("pcap record");
        seen.push(check_frame(&pkt.data, &router_mac, &sink_mac));
    }
    seen.sort();
    let mut want: Vec<(String, usize)> = ["v4", "v6"]
        .iter()
        .flat_map(|f| (0..CAPTURED).map(move |i| (f.to_string(), i)))
        .collect();
    want.sort();
    assert_eq!(seen, want, "every datagram captured once at the sink");
    seen.len()
}

pub fn start_router(w: &mut World, config_text: &str) -> u32 {
    let cfg = w.dir.join("silkroute.yaml");
    std::fs::write(&cfg, config_text).unwrap();
    let bin = env!("CARGO_BIN_EXE_silkroute");
    let mid = w.mid.clone();
    let pid = w.spawn(
        "silkroute",
        &mid,
        &[bin, "run", "--config", cfg.to_str().unwrap(), "--no-pin"],
    );
    // Ready when it answers a ping (and, with dynamic neighbours, once it
    // has resolved gen).
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        w.router_alive();
        let out = output(&mut w.cmd(&w.gen, &["ping", "-n", "-c", "1", "-W", "1", "10.1.0.1"]));
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "silkroute does not answer ping on 10.1.0.1:\n{}{}",
            w.log("silkroute", "out"),
            w.log("silkroute", "err")
        );
    }
    // Warm up the rest of the paths (neighbour caches on every side).
    for (ns, target) in [
        (w.gen.clone(), "10.2.0.2"),
        (w.gen.clone(), "2001:db8:1::1"),
        (w.gen.clone(), "2001:db8:2::2"),
    ] {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !output(&mut w.cmd(&ns, &["ping", "-n", "-c", "1", "-W", "1", target]))
            .status
            .success()
        {
            w.router_alive();
            assert!(
                Instant::now() < deadline,
                "no answer from {target} via the router"
            );
        }
    }
    pid
}
