//! dpdk ports end to end (feature `dpdk`), each case a `silkroute run`
//! subprocess (the EAL initialises once per process) on DPDK virtual
//! devices without hugepages:
//!
//! - the quickstart over two `net_pcap` ports: the same summary and the
//!   same byte-for-byte checks as the pcap-port quickstart
//!   (`common/quickstart.rs`), IPv4 and IPv6, drops by reason; and the
//!   device counters on the metrics endpoint, clean for `promtool`;
//! - two receive queues polled by two workers, every frame accounted for:
//!   on `net_pcap` (one capture per queue), and on a multi-queue
//!   `net_tap` in a network namespace (root), where RSS is configured and
//!   the kernel spreads flows over the queues by their hash, so each flow
//!   must stay on one queue and worker;
//! - a bad EAL option, a vdev that fails to probe and a missing PCI
//!   device: a clear error and exit status 1, no crash.
//!
//! A `net_pcap` port has no end of input, so the runs with traffic are
//! stopped with SIGTERM once the output captures hold what is expected
//! (or a generous deadline passes, which fails the test).

#![cfg(feature = "dpdk")]

use std::fs;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use pcap_file::pcap::{PcapReader, PcapWriter};

#[path = "common/quickstart.rs"]
mod quickstart;
#[path = "common/tools.rs"]
mod tools;

use quickstart::{check_quickstart_run, configs_dir, read_pcap, OUT_FRAMES};
use tools::{find_tool, free_port, promtool_check_metrics, TempDir};

/// How long a run may take to write its expected output: far above the
/// milliseconds it needs, so only a hang fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// A running `silkroute run`, killed if the test fails before stopping it.
struct Run {
    child: Option<Child>,
    dir: PathBuf,
}

impl Run {
    fn start(dir: &Path, config: &Path) -> Run {
        Self::start_in(dir, config, None)
    }

    /// Starts the router, inside network namespace `netns` if given
    /// (`ip netns exec` execs the router: same pid).
    fn start_in(dir: &Path, config: &Path, netns: Option<&str>) -> Run {
        let out = fs::File::create(dir.join("run.out")).expect("stdout file");
        let err = fs::File::create(dir.join("run.err")).expect("stderr file");
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_silkroute")]);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_silkroute")),
        };
        let child = cmd
            .args(["run", "--no-pin", "--config"])
            .arg(config)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("starting silkroute");
        Run {
            child: Some(child),
            dir: dir.to_owned(),
        }
    }

    fn logs(&self) -> String {
        let read = |n: &str| fs::read_to_string(self.dir.join(n)).unwrap_or_default();
        format!("stdout:\n{}\nstderr:\n{}", read("run.out"), read("run.err"))
    }

    /// Waits until `done` holds; fails the test when the router exits or
    /// the deadline passes first.
    fn wait_until(&mut self, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "silkroute exited ({status}) before {what}:\n{}",
                    self.logs()
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no {what} after {DEADLINE:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status and what it printed.
    fn stop(mut self) -> (std::process::ExitStatus, String, String) {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        let status = child.wait().expect("waiting for silkroute");
        let read = |n: &str| fs::read_to_string(self.dir.join(n)).unwrap_or_default();
        (status, read("run.out"), read("run.err"))
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Frames in a capture a running router is writing: whole records only
/// (the file may end in the middle of one).
fn frames_so_far(path: &Path) -> usize {
    let Ok(file) = fs::File::open(path) else {
        return 0;
    };
    let Ok(mut reader) = PcapReader::new(BufReader::new(file)) else {
        return 0;
    };
    let mut n = 0;
    while let Some(Ok(_)) = reader.next_packet() {
        n += 1;
    }
    n
}

/// A port's row of the printed summary: rx_packets, rx_bytes,
/// tx_packets, tx_bytes, dropped, punted, injected.
fn summary_row(stdout: &str, port: &str) -> Vec<u64> {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(port))
        .unwrap_or_else(|| panic!("no {port} row in:\n{stdout}"))
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().expect("number"))
        .collect()
}

/// `silkroute run` to its end; for runs that must fail at start.
fn run_to_exit(dir: &Path, config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .args(["run", "--no-pin", "--config"])
        .arg(config)
        .current_dir(dir)
        .output()
        .expect("running silkroute")
}

/// An EAL file prefix of this test process: DPDK processes on one machine
/// need different ones.
fn prefix(tag: &str) -> String {
    format!("sr-{tag}-{}", std::process::id())
}

fn scrape(addr: SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
}

/// The value of the sample `series` (name and labels exactly).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

/// `configs/quickstart.yaml` with its two pcap ports made `net_pcap`
/// vdevs reading and writing the same files.
fn quickstart_dpdk_config(dir: &Path, metrics: SocketAddr) -> PathBuf {
    let text = fs::read_to_string(configs_dir().join("quickstart.yaml")).expect("quickstart.yaml");
    let ports = "ports:
  - name: p0
    driver:
      pcap: { rx: quickstart-p0.pcap, tx: ../out/quickstart-p0-tx.pcap }
  - name: p1
    driver:
      pcap: { rx: quickstart-p1.pcap, tx: ../out/quickstart-p1-tx.pcap }
";
    assert!(
        text.contains(ports),
        "configs/quickstart.yaml changed its ports; update this test"
    );
    let dpdk = format!(
        "dpdk:
  no_huge: true
  file_prefix: {}
  vdevs:
    - net_pcap0,rx_pcap=quickstart-p0.pcap,tx_pcap=out/quickstart-p0-tx.pcap
    - net_pcap1,rx_pcap=quickstart-p1.pcap,tx_pcap=out/quickstart-p1-tx.pcap
ports:
  - {{ name: p0, driver: {{ dpdk: {{ device: net_pcap0 }} }} }}
  - {{ name: p1, driver: {{ dpdk: {{ device: net_pcap1 }} }} }}
metrics: {{ listen: \"{metrics}\" }}
control: {{ socket: {} }}
",
        prefix("qs"),
        dir.join("ctl.sock").display()
    );
    let path = dir.join("quickstart-dpdk.yaml");
    fs::write(&path, text.replace(ports, &dpdk)).expect("writing the config");
    path
}

#[test]
fn quickstart_over_net_pcap_forwards_and_answers_byte_exact() {
    let dir = TempDir::new("dpdk-quickstart");
    for name in [
        "quickstart-p0.pcap",
        "quickstart-p1.pcap",
        "quickstart-routes.txt",
    ] {
        fs::copy(configs_dir().join(name), dir.0.join(name)).expect("copying the inputs");
    }
    fs::create_dir_all(dir.0.join("out")).expect("out/");
    let metrics = free_port();
    let config = quickstart_dpdk_config(&dir.0, metrics);
    let out0 = dir.0.join("out/quickstart-p0-tx.pcap");
    let out1 = dir.0.join("out/quickstart-p1-tx.pcap");
    let mut run = Run::start(&dir.0, &config);
    run.wait_until("the expected output frames", || {
        frames_so_far(&out0) >= OUT_FRAMES.0 && frames_so_far(&out1) >= OUT_FRAMES.1
    });

    // The devices' own counters, next to silkroute's, on the endpoint.
    let in0 = read_pcap(&dir.0.join("quickstart-p0.pcap")).len() as f64;
    let in1 = read_pcap(&dir.0.join("quickstart-p1.pcap")).len() as f64;
    let mut text = String::new();
    run.wait_until("device counters on the metrics endpoint", || {
        text = scrape(metrics).unwrap_or_default();
        sample(&text, "silkroute_dpdk_tx_packets_total{port=\"p1\"}") == Some(OUT_FRAMES.1 as f64)
    });
    for (series, want) in [
        ("silkroute_dpdk_rx_packets_total{port=\"p0\"}", in0),
        ("silkroute_dpdk_rx_packets_total{port=\"p1\"}", in1),
        (
            "silkroute_dpdk_tx_packets_total{port=\"p0\"}",
            OUT_FRAMES.0 as f64,
        ),
        ("silkroute_dpdk_rx_missed_packets_total{port=\"p0\"}", 0.0),
        (
            "silkroute_dpdk_rx_mbuf_alloc_failures_total{port=\"p0\"}",
            0.0,
        ),
        (
            "silkroute_dpdk_xstats_total{port=\"p0\",name=\"rx_good_packets\"}",
            in0,
        ),
        (
            "silkroute_port_info{port=\"p0\",driver=\"dpdk\",mode=\"net_pcap\"}",
            1.0,
        ),
    ] {
        assert_eq!(sample(&text, series), Some(want), "{series} in:\n{text}");
    }
    assert!(
        sample(&text, "silkroute_dpdk_mempool_available_mbufs{port=\"p0\"}").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    promtool_check_metrics(&find_tool("promtool"), &text);

    let (status, stdout, stderr) = run.stop();
    assert!(
        status.success(),
        "silkroute run ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("dpdk port open") && stderr.contains("driver=net_pcap"),
        "{stderr}"
    );
    check_quickstart_run(&stdout, &dir.0);
}

/// UDP/IPv4 frames from host A to `flows` destinations in 203.0.113.0/24
/// (forwarded out of p1 by the quickstart's routes), one per flow.
fn udp_frames(flows: u8, port: u16) -> Vec<Vec<u8>> {
    (0..flows)
        .map(|k| udp_frame(k, port + u16::from(k), 18))
        .collect()
}

/// One UDP/IPv4 frame from host A to 203.0.113.`host` with `payload`
/// bytes of a counting pattern.
fn udp_frame(host: u8, sport: u16, payload: usize) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20 + 8 + payload];
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f[6..12].copy_from_slice(&[0x02, 0xaa, 0, 0, 0, 0x0a]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((20 + 8 + payload) as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&[192, 0, 2, 10]);
    ip[16..20].copy_from_slice(&[203, 0, 113, host]);
    let c = silkroute_packet::checksum::ipv4_header(ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f[34..36].copy_from_slice(&sport.to_be_bytes());
    f[36..38].copy_from_slice(&53u16.to_be_bytes());
    f[38..40].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
    for (i, b) in f[42..].iter_mut().enumerate() {
        *b = i as u8;
    }
    f
}

fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let file = fs::File::create(path).expect("creating a capture");
    let mut w = PcapWriter::new(file).expect("pcap header");
    for f in frames {
        let pkt = pcap_file::pcap::PcapPacket::new(Duration::ZERO, f.len() as u32, f);
        w.write_packet(&pkt).expect("writing a frame");
    }
}

/// A config of two `net_pcap` ports: p0 with two receive queues (one
/// capture each) polled by two workers, p1 with one transmit queue per
/// worker (one capture each).
fn two_queue_config(dir: &Path, tag: &str) -> PathBuf {
    let text = format!(
        "dpdk:
  no_huge: true
  file_prefix: {}
  vdevs:
    - net_pcap0,rx_pcap=in-q0.pcap,rx_pcap=in-q1.pcap,tx_pcap=p0-w0.pcap,tx_pcap=p0-w1.pcap
    - net_pcap1,rx_pcap=empty.pcap,tx_pcap=p1-w0.pcap,tx_pcap=p1-w1.pcap
ports:
  - {{ name: p0, driver: {{ dpdk: {{ device: net_pcap0, rx_queues: 2, rss: true }} }} }}
  - {{ name: p1, driver: {{ dpdk: {{ device: net_pcap1 }} }} }}
interfaces:
  - {{ name: eth0, port: p0, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24] }}
  - {{ name: eth1, port: p1, mac: \"02:00:00:00:00:02\", addresses: [198.51.100.1/24] }}
neighbors:
  - {{ address: 198.51.100.2, mac: \"02:bb:00:00:00:02\" }}
routes:
  - {{ prefix: 203.0.113.0/24, via: 198.51.100.2 }}
workers:
  - {{ core: 0, rx: [p0/0, p1] }}
  - {{ core: 1, rx: [p0/1] }}
metrics: {{ enabled: false }}
control: {{ socket: {} }}
",
        prefix(tag),
        dir.join("ctl.sock").display()
    );
    let path = dir.join("two-queues.yaml");
    fs::write(&path, text).expect("writing the config");
    path
}

#[test]
fn two_queues_two_workers_every_frame_accounted_for() {
    let dir = TempDir::new("dpdk-two-queues");
    let q0 = udp_frames(40, 1000);
    let q1 = udp_frames(24, 2000);
    write_pcap(&dir.0.join("in-q0.pcap"), &q0);
    write_pcap(&dir.0.join("in-q1.pcap"), &q1);
    write_pcap(&dir.0.join("empty.pcap"), &[]);
    let config = two_queue_config(&dir.0, "mq");
    let mut run = Run::start(&dir.0, &config);
    let (w0, w1) = (dir.0.join("p1-w0.pcap"), dir.0.join("p1-w1.pcap"));
    run.wait_until("every frame forwarded", || {
        frames_so_far(&w0) + frames_so_far(&w1) >= q0.len() + q1.len()
    });
    let (status, stdout, stderr) = run.stop();
    assert!(
        status.success(),
        "silkroute run ({status}):\n{stdout}\n{stderr}"
    );
    // Each worker sends what it received on its queue through its own
    // transmit queue of p1: worker 0's 40 frames to p1-w0, worker 1's 24
    // to p1-w1, each forwarded once and rewritten (TTL 63, B1's MAC).
    let (out0, out1) = (read_pcap(&w0), read_pcap(&w1));
    for (out, input, what) in [(&out0, &q0, "queue 0"), (&out1, &q1, "queue 1")] {
        assert_eq!(out.len(), input.len(), "{what}: frames out\n{stderr}");
        for (o, i) in out.iter().zip(input.iter()) {
            assert_eq!(o[..6], [0x02, 0xbb, 0, 0, 0, 0x02], "{what}: next-hop MAC");
            assert_eq!(o[6..12], [0x02, 0, 0, 0, 0, 0x02], "{what}: p1's MAC");
            assert_eq!(o[22], 63, "{what}: TTL");
            assert_eq!(o[26..], i[26..], "{what}: addresses and payload untouched");
        }
    }
    assert!(
        read_pcap(&dir.0.join("p0-w0.pcap")).is_empty()
            && read_pcap(&dir.0.join("p0-w1.pcap")).is_empty(),
        "nothing goes back out of p0"
    );
    // The summary: p0 received all 64, p1 sent all 64, nothing dropped.
    let row = |port: &str| summary_row(&stdout, port);
    let n = (q0.len() + q1.len()) as u64;
    assert_eq!(row("p0")[0], n, "p0 rx_packets\n{stdout}");
    assert_eq!(row("p1")[2], n, "p1 tx_packets\n{stdout}");
    assert_eq!((row("p0")[4], row("p1")[4]), (0, 0), "drops\n{stdout}");
    // Requested RSS on a device without it: said so, not fatal.
    assert!(
        stderr.contains("the device cannot hash these RSS types"),
        "{stderr}"
    );
}

#[test]
fn jumbo_frames_fit_one_mbuf_and_are_forwarded_whole() {
    let dir = TempDir::new("dpdk-jumbo");
    // A 9000-byte IP packet (MTU 9000 on both interfaces) and a small one.
    let frames = vec![udp_frame(1, 1, 9000 - 28), udp_frame(2, 2, 18)];
    assert_eq!(frames[0].len(), 9014);
    write_pcap(&dir.0.join("in.pcap"), &frames);
    write_pcap(&dir.0.join("empty.pcap"), &[]);
    let text = fs::read_to_string(two_queue_config(&dir.0, "jumbo"))
        .expect("reading the config")
        .replace(
            "net_pcap0,rx_pcap=in-q0.pcap,rx_pcap=in-q1.pcap,tx_pcap=p0-w0.pcap,tx_pcap=p0-w1.pcap",
            "net_pcap0,rx_pcap=in.pcap",
        )
        .replace(", rx_queues: 2, rss: true", "")
        .replace(
            "addresses: [192.0.2.1/24]",
            "mtu: 9000, addresses: [192.0.2.1/24]",
        )
        .replace(
            "addresses: [198.51.100.1/24]",
            "mtu: 9000, addresses: [198.51.100.1/24]",
        )
        .replace(
            "  - { core: 0, rx: [p0/0, p1] }\n  - { core: 1, rx: [p0/1] }",
            "  - { core: 0, rx: [p0, p1] }",
        )
        .replace(",tx_pcap=p1-w1.pcap", "");
    let config = dir.0.join("jumbo.yaml");
    fs::write(&config, text).expect("writing the config");
    let mut run = Run::start(&dir.0, &config);
    let out = dir.0.join("p1-w0.pcap");
    run.wait_until("both frames forwarded", || frames_so_far(&out) >= 2);
    let (status, stdout, stderr) = run.stop();
    assert!(
        status.success(),
        "silkroute run ({status}):\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("mtu=9000"), "{stderr}");
    let out = read_pcap(&out);
    assert_eq!(out.len(), 2, "{stdout}");
    for (o, i) in out.iter().zip(&frames) {
        assert_eq!(o.len(), i.len(), "forwarded whole");
        assert_eq!(o[22], 63, "TTL");
        assert_eq!(o[26..], i[26..], "addresses and payload untouched");
    }
}

/// A network namespace with IPv6 off (so the kernel sends nothing on its
/// own), deleted on drop.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let uid = Command::new("id").arg("-u").output().expect("id -u");
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the net_tap test needs root (a network namespace and a tap device); CI runs it \
             as root: sudo -E cargo test -p silkroute-control-plane --features dpdk --test dpdk"
        );
        let ns = Netns(format!("sr{tag}-{}", std::process::id()));
        ns.run(&["ip", "netns", "add", &ns.0], false);
        for key in ["all", "default"] {
            let knob = format!("net.ipv6.conf.{key}.disable_ipv6=1");
            ns.run(&["sysctl", "-qw", &knob], true);
        }
        ns.run(&["ip", "link", "set", "lo", "up"], true);
        ns
    }

    /// Runs `args` (inside the namespace when `inside`); requires success.
    fn run(&self, args: &[&str], inside: bool) -> String {
        let mut cmd = Command::new(if inside { "ip" } else { args[0] });
        if inside {
            cmd.args(["netns", "exec", &self.0]).args(args);
        } else {
            cmd.args(&args[1..]);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Sends every frame of a capture out of an interface through an
/// AF_PACKET socket (the kernel side of a tap: the frames arrive on the
/// DPDK side's receive queues).
const SEND_PCAP: &str = r#"
import socket, struct, sys
data = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[2], 0))
i = 24
while i + 16 <= len(data):
    n = struct.unpack("<IIII", data[i:i + 16])[2]
    s.send(data[i + 16:i + 16 + n])
    i += 16 + n
"#;

#[test]
fn tap_two_queues_rss_flows_stay_on_their_queue() {
    let ns = Netns::new("tap");
    let dir = TempDir::new("dpdk-tap");
    // 64 flows (UDP source ports), two frames each.
    let flows = udp_frames(64, 3000);
    let frames: Vec<Vec<u8>> = flows.iter().chain(flows.iter()).cloned().collect();
    write_pcap(&dir.0.join("send.pcap"), &frames);
    write_pcap(&dir.0.join("empty.pcap"), &[]);
    fs::write(dir.0.join("send.py"), SEND_PCAP).expect("send.py");
    let text = fs::read_to_string(two_queue_config(&dir.0, "tap"))
        .expect("reading the config")
        .replace(
            "net_pcap0,rx_pcap=in-q0.pcap,rx_pcap=in-q1.pcap,tx_pcap=p0-w0.pcap,tx_pcap=p0-w1.pcap",
            "net_tap0,iface=srtap0",
        );
    let text = text.replace("device: net_pcap0", "device: net_tap0");
    let config = dir.0.join("tap.yaml");
    fs::write(&config, text).expect("writing the config");
    let mut run = Run::start_in(&dir.0, &config, Some(&ns.0));
    // The tap exists from the EAL's probe on, but frames sent to it before
    // the port starts (queues attached) are lost: wait for the router.
    let log = dir.0.join("run.err");
    run.wait_until("the router to start", || {
        fs::read_to_string(&log).is_ok_and(|l| l.contains("router started"))
    });
    ns.run(&["ip", "link", "set", "srtap0", "up"], true);
    let send = dir.0.join("send.py");
    let pcap = dir.0.join("send.pcap");
    ns.run(
        &[
            "python3",
            &send.to_string_lossy(),
            &pcap.to_string_lossy(),
            "srtap0",
        ],
        true,
    );
    let (w0, w1) = (dir.0.join("p1-w0.pcap"), dir.0.join("p1-w1.pcap"));
    run.wait_until("every frame forwarded", || {
        frames_so_far(&w0) + frames_so_far(&w1) >= frames.len()
    });
    let (status, stdout, stderr) = run.stop();
    assert!(
        status.success(),
        "silkroute run ({status}):
{stdout}
{stderr}"
    );
    assert!(
        stderr.contains("driver=net_tap") && stderr.contains("rx_queues=2"),
        "{stderr}"
    );
    // Each frame forwarded once; each flow on one worker only; both
    // workers busy (64 flows on 2 queues by a hash: the chance that one
    // queue gets none is 2^-63).
    let mut worker_of: std::collections::HashMap<u16, (usize, usize)> = Default::default();
    for (w, path) in [&w0, &w1].into_iter().enumerate() {
        for f in read_pcap(path) {
            assert_eq!(f[22], 63, "TTL");
            let sport = u16::from_be_bytes([f[34], f[35]]);
            let e = worker_of.entry(sport).or_insert((w, 0));
            assert_eq!(e.0, w, "flow {sport} on both workers");
            e.1 += 1;
        }
    }
    assert_eq!(worker_of.len(), flows.len(), "flows forwarded");
    assert!(worker_of.values().all(|&(_, n)| n == 2), "{worker_of:?}");
    let per_worker = [0, 1].map(|w| worker_of.values().filter(|v| v.0 == w).count());
    assert!(per_worker[0] > 0 && per_worker[1] > 0, "{per_worker:?}");
    // Every frame p0 received was forwarded, dropped or punted (the kernel
    // may add a frame of its own).
    let row = |port: &str| summary_row(&stdout, port);
    let (p0, p1) = (row("p0"), row("p1"));
    assert_eq!(p1[2], frames.len() as u64, "p1 tx_packets\n{stdout}");
    assert_eq!(
        p0[0],
        p1[2] + p0[4] + p0[5],
        "p0: rx = forwarded + dropped + punted\n{stdout}"
    );
}

/// A minimal one-port dpdk config with `dpdk_section` and `device`.
fn one_port_config(dir: &Path, dpdk_section: &str, device: &str) -> PathBuf {
    let text = format!(
        "dpdk:\n  no_huge: true\n{dpdk_section}ports:\n  - {{ name: p0, driver: {{ dpdk: {{ device: \"{device}\" }} }} }}\nworkers:\n  - {{ core: 0, rx: [p0] }}\nmetrics: {{ enabled: false }}\ncontrol: {{ socket: {} }}\n",
        dir.join("ctl.sock").display()
    );
    let path = dir.join("bad.yaml");
    fs::write(&path, text).expect("writing the config");
    path
}

/// Exit status 1 (not a signal, not a panic) and `want` in the message.
fn assert_clean_failure(out: &Output, want: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit status; stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for w in want {
        assert!(stderr.contains(w), "want {w:?} in:\n{stderr}");
    }
}

#[test]
fn bad_eal_option_is_a_clear_error() {
    let dir = TempDir::new("dpdk-bad-eal");
    write_pcap(&dir.0.join("in.pcap"), &udp_frames(1, 1));
    let section = format!(
        "  file_prefix: {}\n  vdevs: [\"net_pcap0,rx_pcap=in.pcap\"]\n  extra_args: [\"--no-such-eal-option\"]\n",
        prefix("eal")
    );
    let out = run_to_exit(&dir.0, &one_port_config(&dir.0, &section, "net_pcap0"));
    assert_clean_failure(
        &out,
        &[
            "silkroute: starting the router: initialising the DPDK EAL with `",
            "--no-such-eal-option`: rte_eal_init failed: Invalid argument",
        ],
    );
}

#[test]
fn vdev_that_fails_to_probe_is_a_clear_error() {
    let dir = TempDir::new("dpdk-no-capture");
    let section = format!(
        "  file_prefix: {}\n  vdevs: [\"net_pcap0,rx_pcap=no-such-file.pcap\"]\n",
        prefix("probe")
    );
    let out = run_to_exit(&dir.0, &one_port_config(&dir.0, &section, "net_pcap0"));
    assert_clean_failure(
        &out,
        &[
            "port p0 (DPDK device net_pcap0): no DPDK device named net_pcap0 (devices probed: none)",
            "a vdev whose probe failed is reported in the EAL log above",
        ],
    );
}

#[test]
fn missing_pci_device_is_a_clear_error() {
    let dir = TempDir::new("dpdk-no-pci");
    let section = format!("  file_prefix: {}\n", prefix("pci"));
    let out = run_to_exit(&dir.0, &one_port_config(&dir.0, &section, "0000:7f:1f.7"));
    assert_clean_failure(
        &out,
        &["port p0 (DPDK device 0000:7f:1f.7): no DPDK device named 0000:7f:1f.7"],
    );
}
