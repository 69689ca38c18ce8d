//! Every shared capture (`../shared/data/pcap/**`) pushed through a running
//! router over memory ports: nothing may panic, and on the receiving port
//! every frame must be accounted for exactly once, as forwarded, dropped
//! (by reason) or punted (by reason).
//!
//! Frames larger than a heap buffer (`HEAP_BUF_SIZE`, 2048 bytes: the BIG
//! TCP packet, the jumbogram, seven PIM frames) are not injected:
//! `MemoryPeer::inject` would cut them to 2048 bytes and report success,
//! where the pcap port counts such a frame as `rx_dropped`. The test
//! checks that exactly those frames are left out.
//!
//! Run with `--nocapture` for a per-capture table of what became of the
//! frames.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use silkroute_config::Config;
use silkroute_control_plane::runtime::{Router, RunOptions};
use silkroute_router::buf::HEAP_BUF_SIZE;
use silkroute_router::counters::PortCounters;
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::port::memory::MemoryPeer;
use silkroute_router::port::pcap::{open_rx, PcapPortError};
use silkroute_router::port::DriverCounters;

/// The captures the shared data README lists; each must be there.
const CAPTURES: &[&str] = &[
    "pcapplusplus/DnsPackets.pcap",
    "pcapplusplus/ICMPv6_echos.cap",
    "pcapplusplus/IPv4-encapsulated-IPv6.pcap",
    "pcapplusplus/IcmpPackets.pcap",
    "pcapplusplus/MplsPackets.pcap",
    "pcapplusplus/VlanPackets.pcap",
    "pcapplusplus/frag_with_padding.pcap",
    "pcapplusplus/ip4_fragments.pcap",
    "pcapplusplus/ip6_fragments.pcap",
    "pcapplusplus/ipv4-options.pcap",
    "pcapplusplus/ipv6-frag.pcap",
    "pcapplusplus/ipv6_options.pcap",
    "pcapplusplus/raw_ip.pcap",
    "pcapplusplus/tls2-first5000.pcap",
    "tcpdump/afs.pcap",
    "tcpdump/bigtcp-ipv6-hbh.pcap",
    "tcpdump/icmpv6.pcap",
    "tcpdump/ipv6-routing-header.pcap",
    "tcpdump/ipv6_jumbogram_1.pcap",
    "tcpdump/pim-packet-assortment.pcap",
];

/// The one capture with no Ethernet header (link type RAW).
const RAW_CAPTURE: &str = "pcapplusplus/raw_ip.pcap";

/// Router port p0's MAC: unicast frames are readdressed to it so they get
/// past the layer-2 check.
const R0: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const R1: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// Two memory ports; everything routes out of p1 through one static
/// neighbour per family.
const CONFIG: &str = r#"
log_level: warn
ports:
  - name: p0
    driver:
      memory: { ring_size: 4096 }
  - name: p1
    driver:
      memory: { ring_size: 4096 }
interfaces:
  - name: eth0
    port: p0
    mac: "02:00:00:00:00:01"
    mtu: 1500
    addresses: [192.0.2.1/24, "2001:db8:0:1::1/64"]
  - name: eth1
    port: p1
    mac: "02:00:00:00:00:02"
    mtu: 1500
    addresses: [198.51.100.1/24, "2001:db8:0:2::1/64"]
neighbors:
  - { address: 198.51.100.2, mac: "02:bb:00:00:00:02" }
  - { address: "2001:db8:0:2::2", mac: "02:bb:00:00:00:02" }
routes:
  - { prefix: 0.0.0.0/1, via: 198.51.100.2 }
  - { prefix: 128.0.0.0/1, via: 198.51.100.2 }
  - { prefix: "2000::/3", via: "2001:db8:0:2::2" }
  - { prefix: "::/1", via: "2001:db8:0:2::2" }
workers:
  - { core: 0, rx: [p0, p1] }
"#;

/// Frames injected between two rounds of draining the outputs and
/// serving exceptions: far below the 4096-slot rings, so no transmit ring
/// fills while the test is busy injecting.
const PUMP_EVERY: usize = 64;

/// How long a capture may take to be received before the test gives up.
const RX_TIMEOUT: Duration = Duration::from_secs(60);

/// Panics seen on any thread (worker threads included: `Router::stop`
/// logs a worker's panic but does not propagate it).
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
}

fn pcap_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/pcap")
}

/// Every `.pcap`/`.cap` file under `dir`, relative to it, sorted.
fn list_captures(dir: &Path, rel: &Path, out: &mut BTreeSet<String>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
        let path = entry.path();
        let name = rel.join(entry.file_name());
        if path.is_dir() {
            list_captures(&path, &name, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("pcap" | "cap")
        ) {
            out.insert(name.to_string_lossy().into_owned());
        }
    }
}

/// File format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pcap,
    PcapNg,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

/// pcapng's Section Header Block type, the first four bytes of the file.
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Format, link type and frames of a capture file. Two of the shared
/// `.pcap` files are pcapng; memory ports do not care about the file
/// format, so their frames are read here with the pcapng reader.
fn read_capture(path: &Path) -> (Format, DataLink, Vec<Vec<u8>>) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    if bytes.starts_with(&PCAPNG_MAGIC) {
        let (link, frames) = read_pcapng(path, &bytes);
        return (Format::PcapNg, link, frames);
    }
    let mut reader = PcapReader::new(bytes.as_slice())
        .unwrap_or_else(|e| panic!("{}: not a pcap file: {e}", path.display()));
    let link = reader.header().datalink;
    let mut frames = Vec::new();
    // Raw records: pim-packet-assortment.pcap has two records longer than
    // its header's snap length, which tcpdump reads and `next_packet`
    // refuses.
    while let Some(pkt) = reader.next_raw_packet() {
        let pkt = pkt.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        frames.push(pkt.data.into_owned());
    }
    (Format::Pcap, link, frames)
}

fn read_pcapng(path: &Path, bytes: &[u8]) -> (DataLink, Vec<Vec<u8>>) {
    let mut reader = PcapNgReader::new(bytes)
        .unwrap_or_else(|e| panic!("{}: not a pcapng file: {e}", path.display()));
    let mut links = BTreeSet::new();
    let mut frames = Vec::new();
    while let Some(block) = reader.next_block() {
        let block = block.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (interface, data) = match block {
            Block::EnhancedPacket(b) => (b.interface_id as usize, b.data.into_owned()),
            Block::Packet(b) => (usize::from(b.interface_id), b.data.into_owned()),
            Block::SimplePacket(b) => (0, b.data.into_owned()),
            _ => continue,
        };
        let link = reader
            .interfaces()
            .get(interface)
            .unwrap_or_else(|| panic!("{}: packet on undeclared interface", path.display()))
            .linktype;
        links.insert(u32::from(link));
        frames.push(data);
    }
    assert!(
        links.len() <= 1,
        "{}: packets of several link types {links:?}",
        path.display()
    );
    let link = links
        .first()
        .map_or(DataLink::ETHERNET, |l| DataLink::from(*l));
    (link, frames)
}

/// What one capture became.
#[derive(Debug)]
struct Outcome {
    name: String,
    format: Format,
    frames: usize,
    /// Frames larger than a heap buffer, not injected (see the module
    /// docs).
    oversize: usize,
    injected: usize,
    forwarded: u64,
    p0: PortCounters,
    p1: PortCounters,
}

/// Frames collected from each peer, and the source MACs they carried that
/// were not the port's own.
#[derive(Debug, Default)]
struct Collected {
    frames: [u64; 2],
    foreign_source: [u64; 2],
}

/// Drains both peers' outputs and serves the exception rings.
fn pump(router: &mut Router, peers: &mut [MemoryPeer; 2], got: &mut Collected) {
    router.poll_exceptions();
    for (p, (peer, own)) in peers.iter_mut().zip([R0, R1]).enumerate() {
        while let Some(ours) = peer.collect_with(|f| f.get(6..12) == Some(&own[..])) {
            got.frames[p] += 1;
            if !ours {
                got.foreign_source[p] += 1;
            }
        }
    }
}

/// Pushes `frames` through a fresh router and returns the counts.
fn run_capture(name: &str, format: Format, frames: &[Vec<u8>]) -> Outcome {
    let config = Config::from_str(CONFIG, Path::new("captures-test.yaml"))
        .unwrap_or_else(|e| panic!("test config refused:\n{e}"));
    let opts = RunOptions {
        pin: false,
        ..Default::default()
    };
    let mut router = Router::start(config, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let take = |router: &mut Router, port: &str| {
        router
            .memory_peers
            .remove(port)
            .unwrap_or_else(|| panic!("no memory peer for {port}"))
    };
    let mut peers = [take(&mut router, "p0"), take(&mut router, "p1")];
    let mut got = Collected::default();

    let mut injected = 0usize;
    let mut oversize = 0usize;
    for frame in frames {
        if frame.len() > HEAP_BUF_SIZE {
            // MemoryPeer::inject would cut these to HEAP_BUF_SIZE bytes and
            // report success; a port must not hand on a truncated frame.
            oversize += 1;
            continue;
        }
        let mut f = frame.clone();
        if f.len() >= 6 && f[0] & 1 == 0 {
            f[..6].copy_from_slice(&R0);
        }
        let deadline = Instant::now() + RX_TIMEOUT;
        while !peers[0].inject(&f) {
            assert!(
                Instant::now() < deadline,
                "{name}: the router accepts no more frames"
            );
            pump(&mut router, &mut peers, &mut got);
            std::thread::yield_now();
        }
        injected += 1;
        if injected % PUMP_EVERY == 0 {
            pump(&mut router, &mut peers, &mut got);
        }
    }

    // Wait until the worker has counted every injected frame.
    let deadline = Instant::now() + RX_TIMEOUT;
    loop {
        pump(&mut router, &mut peers, &mut got);
        let rx: u64 = router.counters().iter().map(|w| w.port(0).rx_packets).sum();
        if rx >= injected as u64 {
            assert_eq!(
                rx, injected as u64,
                "{name}: p0 received more than was injected"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: p0 counted {rx} of {injected} frames after {RX_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // Serve what is still punted; replies leave when the worker stops.
    while router.poll_exceptions() > 0 {}
    let report = router.stop();
    pump_after_stop(&mut peers, &mut got);

    assert_eq!(report.workers.len(), 1, "{name}: worker counters");
    let totals = report.port_totals();
    let (p0, p1) = (totals[0], totals[1]);
    for (p, t) in totals.iter().enumerate() {
        assert_eq!(
            got.frames[p], t.tx_packets,
            "{name}: frames collected from p{p} vs. its tx_packets"
        );
        assert_eq!(
            got.foreign_source[p], 0,
            "{name}: frames sent out of p{p} with another port's source MAC"
        );
    }
    for (p, d) in report.driver.iter().enumerate() {
        assert_eq!(
            d.rx_dropped + d.tx_errors,
            0,
            "{name}: driver errors on p{p}: {d:?}"
        );
    }
    Outcome {
        name: name.to_owned(),
        format,
        frames: frames.len(),
        oversize,
        injected,
        forwarded: report.forwarded(),
        p0,
        p1,
    }
}

/// Collects what the workers sent while stopping (the control plane's last
/// replies).
fn pump_after_stop(peers: &mut [MemoryPeer; 2], got: &mut Collected) {
    for (p, (peer, own)) in peers.iter_mut().zip([R0, R1]).enumerate() {
        while let Some(ours) = peer.collect_with(|f| f.get(6..12) == Some(&own[..])) {
            got.frames[p] += 1;
            if !ours {
                got.foreign_source[p] += 1;
            }
        }
    }
}

fn reasons<R: Copy>(all: &[R], counts: &[u64], label: impl Fn(R) -> &'static str) -> String {
    let parts: Vec<String> = all
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| format!("{}={n}", label(*r)))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" ")
    }
}

#[test]
fn raw_ip_capture_is_refused_as_a_port() {
    let path = pcap_dir().join(RAW_CAPTURE);
    assert!(
        path.is_file(),
        "shared capture {} is missing",
        path.display()
    );
    let (format, link, frames) = read_capture(&path);
    assert_eq!(format, Format::Pcap, "{RAW_CAPTURE}: format");
    assert_eq!(link, DataLink::RAW, "{RAW_CAPTURE}: link type");
    assert_eq!(frames.len(), 100, "{RAW_CAPTURE}: packets (README)");
    match open_rx(&path, false, Arc::new(DriverCounters::default())) {
        Err(PcapPortError::LinkType { link, .. }) => assert_eq!(link, DataLink::RAW),
        other => {
            panic!("opening {RAW_CAPTURE} as a pcap port: expected a LinkType error, got {other:?}")
        }
    }
}

#[test]
fn every_shared_capture_is_accounted_for() {
    count_panics();
    let started = Instant::now();
    let dir = pcap_dir();
    for name in CAPTURES {
        let p = dir.join(name);
        assert!(p.is_file(), "shared capture {} is missing", p.display());
    }
    let mut names = BTreeSet::new();
    list_captures(&dir, Path::new(""), &mut names);

    let mut outcomes = Vec::new();
    for name in &names {
        let (format, link, frames) = read_capture(&dir.join(name));
        if name == RAW_CAPTURE {
            // Checked by raw_ip_capture_is_refused_as_a_port.
            assert_eq!(link, DataLink::RAW, "{name}: link type");
            continue;
        }
        assert_eq!(link, DataLink::ETHERNET, "{name}: link type");
        let before = PANICS.load(Ordering::SeqCst);
        let o = run_capture(name, format, &frames);
        assert_eq!(
            PANICS.load(Ordering::SeqCst),
            before,
            "{name}: a thread panicked"
        );

        // Only frames larger than a heap buffer are left out.
        let big = frames.iter().filter(|f| f.len() > HEAP_BUF_SIZE).count();
        assert_eq!(o.oversize, big, "{name}: frames not injected");
        assert_eq!(o.injected + o.oversize, o.frames, "{name}: frames injected");
        // Every frame received on p0 became exactly one thing.
        assert_eq!(o.p0.rx_packets, o.injected as u64, "{name}: p0 rx_packets");
        assert_eq!(
            o.p0.rx_packets,
            o.forwarded + o.p0.total_drops() + o.p0.total_punts(),
            "{name}: p0 rx_packets != forwarded {} + dropped {} + punted {}",
            o.forwarded,
            o.p0.total_drops(),
            o.p0.total_punts()
        );
        // p1 received nothing; a drop there (a full transmit ring, a failed
        // injection) would be a frame lost outside the equation above.
        assert_eq!(o.p1.rx_packets, 0, "{name}: p1 rx_packets");
        assert_eq!(
            (o.p1.total_drops(), o.p1.total_punts()),
            (0, 0),
            "{name}: drops or punts counted on p1: {:?}",
            o.p1
        );
        outcomes.push(o);
    }

    println!(
        "{:<42} {:<6} {:>6} {:>8} {:>9} {:>7} {:>6}  dropped / punted by reason",
        "capture", "format", "frames", "oversize", "forwarded", "dropped", "punted"
    );
    for o in &outcomes {
        println!(
            "{:<42} {:<6} {:>6} {:>8} {:>9} {:>7} {:>6}  drops: {}; punts: {}",
            o.name,
            o.format.as_str(),
            o.frames,
            o.oversize,
            o.forwarded,
            o.p0.total_drops(),
            o.p0.total_punts(),
            reasons(DropReason::ALL, &o.p0.drops, DropReason::as_str),
            reasons(PuntReason::ALL, &o.p0.punts, PuntReason::as_str),
        );
    }
    println!(
        "{} captures, {} frames in {:?}",
        outcomes.len(),
        outcomes.iter().map(|o| o.frames).sum::<usize>(),
        started.elapsed()
    );
    assert_eq!(outcomes.len(), names.len() - 1, "captures run");
}
