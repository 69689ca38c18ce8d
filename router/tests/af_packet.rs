//! AF_PACKET queues on a real veth pair, in a network namespace each test
//! creates and always removes: frames sent by an independent raw socket on
//! one end arrive intact through `AfPacketRx` on the other; frames sent
//! with `AfPacketTx` arrive intact at the raw socket; both survive the
//! link going down and up.
//!
//! Needs root (CAP_NET_ADMIN for namespaces, CAP_NET_RAW for sockets) and
//! `ip` from iproute2. Without root the tests FAIL (CI runs them as root):
//! a skipped test would hide a broken backend.
//!
//! The peer side uses plain `socket`/`send`/`recvfrom` through `libc`, not
//! the code under test; that and entering the namespace are this file's
//! only `unsafe`.
#![cfg(target_os = "linux")]
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use silkroute_router::buf::{HeapPool, PoolCache};
use silkroute_router::port::af_packet::{self, AfPacketRx, AfPacketTx, RingConfig};
use silkroute_router::port::{Burst, DriverCounters, HeapRx, HeapTx, PacketBuf, RxQueue, TxQueue};

/// IEEE 802 "local experimental" EtherType: nothing else on the link uses
/// it, so test frames are told apart from any kernel chatter.
const ETHERTYPE: u16 = 0x88b5;
/// Patience for frames to cross a veth pair on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(10);

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the af_packet tests need root (network namespaces, raw sockets); CI runs them as root: \
         run `sudo -E cargo test -p silkroute-router --test af_packet`"
    );
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (is iproute2 installed?)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A network namespace with a veth pair `afp0` <-> `afp1`, both up, IPv6
/// off (no router solicitations or MLD reports on the wire); removed on
/// drop, which also removes the veth pair.
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Self {
        require_root();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "sr-afp-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name };
        for key in ["all", "default"] {
            ns.exec(&[
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{key}.disable_ipv6=1"),
            ]);
        }
        ns.ip(&[
            "link", "add", "afp0", "type", "veth", "peer", "name", "afp1",
        ]);
        ns.ip(&["link", "set", "afp0", "up"]);
        ns.ip(&["link", "set", "afp1", "up"]);
        ns
    }

    fn ip(&self, args: &[&str]) {
        run(Command::new("ip").arg("-n").arg(&self.name).args(args));
    }

    fn exec(&self, args: &[&str]) {
        run(Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args));
    }

    /// Runs `f` on a thread that joined this namespace. Sockets created
    /// there stay in the namespace when used from other threads.
    fn enter<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            // SAFETY: `file` is an open namespace file; setns affects only
            // this thread, which exists for `f` alone.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .expect("namespace thread panicked")
    }

    /// Waits until `afp0` reports carrier (both ends up).
    fn wait_link(&self, up: bool) -> af_packet::LinkInfo {
        let deadline = Instant::now() + WAIT;
        loop {
            let info = self
                .enter(|| af_packet::link_info("afp0"))
                .expect("link_info afp0");
            if info.up == up || Instant::now() > deadline {
                return info;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A plain raw packet socket bound to `afp1`: the far end of the pair.
struct Peer {
    fd: OwnedFd,
}

impl Peer {
    fn open(ns: &Netns) -> Self {
        ns.enter(|| {
            // SAFETY: socket(2) with constant arguments.
            let fd = unsafe {
                libc::socket(
                    libc::AF_PACKET,
                    libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                    i32::from(ETHERTYPE.to_be()),
                )
            };
            assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
            // SAFETY: a fresh descriptor nobody else owns.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let index = af_packet::link_info("afp1").expect("afp1").ifindex;
            // SAFETY: all-zero is a valid sockaddr_ll.
            let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            addr.sll_family = libc::AF_PACKET as u16;
            addr.sll_protocol = ETHERTYPE.to_be();
            addr.sll_ifindex = index as i32;
            // SAFETY: `addr` is a live sockaddr_ll of the length passed.
            let rc = unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    (&addr as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                )
            };
            assert_eq!(rc, 0, "bind: {}", std::io::Error::last_os_error());
            let rcvbuf: libc::c_int = 16 << 20;
            let timeout = libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            };
            // SAFETY: option values are live and of the lengths passed.
            unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_RCVBUFFORCE,
                    (&rcvbuf as *const libc::c_int).cast(),
                    4,
                );
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    (&timeout as *const libc::timeval).cast(),
                    std::mem::size_of::<libc::timeval>() as u32,
                );
            }
            Peer { fd }
        })
    }

    fn send(&self, frame: &[u8]) {
        // SAFETY: `frame` is valid for its length; the kernel copies it.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
        assert_eq!(
            n,
            frame.len() as isize,
            "send: {}",
            std::io::Error::last_os_error()
        );
    }

    /// Test frames received (not our own outgoing ones) until `count`
    /// arrived or `WAIT` passed.
    fn recv(&self, count: usize) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        let deadline = Instant::now() + WAIT;
        let mut buf = vec![0u8; 65536];
        while got.len() < count && Instant::now() < deadline {
            // SAFETY: all-zero is a valid sockaddr_ll.
            let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
            // SAFETY: `buf` and `from` are writable for the lengths passed.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    0,
                    (&mut from as *mut libc::sockaddr_ll).cast(),
                    &mut len,
                )
            };
            if n < 0 || from.sll_pkttype == libc::PACKET_OUTGOING {
                continue;
            }
            got.push(buf[..n as usize].to_vec());
        }
        got
    }
}

/// A test frame: broadcast, our EtherType, `seq` and a pattern to `len`.
fn frame(seq: u32, len: usize) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0xaf, 0x01]);
    f.extend_from_slice(&ETHERTYPE.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    while f.len() < len {
        f.push((f.len() as u32).wrapping_mul(31).wrapping_add(seq) as u8);
    }
    f
}

fn seq_of(f: &[u8]) -> u32 {
    u32::from_be_bytes([f[14], f[15], f[16], f[17]])
}

/// Frame lengths covering the minimum, odd sizes and a full 1500-byte MTU.
fn length(i: u32) -> usize {
    [60, 61, 64, 128, 577, 1000, 1499, 1514][(i % 8) as usize]
}

struct Queues {
    rx: HeapRx,
    tx: HeapTx,
    counters: Arc<DriverCounters>,
    pool: PoolCache,
}

fn open(ns: &Netns) -> Queues {
    let counters = Arc::new(DriverCounters::default());
    let c = Arc::clone(&counters);
    let (rx, tx) = ns.enter(move || {
        let rx = AfPacketRx::open("afp0", RingConfig::default(), Arc::clone(&c)).expect("rx");
        let tx = AfPacketTx::open("afp0", RingConfig::default(), c).expect("tx");
        (rx, tx)
    });
    Queues {
        rx: HeapRx::AfPacket(rx),
        tx: HeapTx::AfPacket(tx),
        counters,
        pool: HeapPool::new(4096).cache(),
    }
}

impl Queues {
    /// Polls until `count` test frames arrived or `WAIT` passed.
    fn receive(&mut self, count: usize) -> Vec<Vec<u8>> {
        self.receive_within(count, WAIT)
    }

    /// Polls until `count` test frames arrived or `wait` passed.
    fn receive_within(&mut self, count: usize, wait: Duration) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        let deadline = Instant::now() + wait;
        let mut burst: Burst<_> = Burst::new();
        while got.len() < count && Instant::now() < deadline {
            self.rx.rx_burst(&mut self.pool, &mut burst);
            if burst.is_empty() {
                std::thread::sleep(Duration::from_micros(200));
            }
            for b in burst.drain(..) {
                if b.data().get(12..14) == Some(&ETHERTYPE.to_be_bytes()[..]) {
                    got.push(b.data().to_vec());
                }
                self.pool.free(b);
            }
        }
        got
    }

    /// Sends `frames` in bursts; returns how many the queue took.
    fn transmit(&mut self, frames: &[Vec<u8>]) -> usize {
        let mut taken = 0;
        for chunk in frames.chunks(silkroute_router::BURST_SIZE) {
            let mut burst: Burst<_> = Burst::new();
            for f in chunk {
                let mut b = self.pool.alloc().expect("pool");
                b.fill_from(f);
                burst.push(b);
            }
            taken += self.tx.tx_burst(&mut self.pool, &mut burst);
            for b in burst.drain(..) {
                self.pool.free(b);
            }
        }
        self.tx.flush();
        taken
    }
}

fn check_intact(got: &[Vec<u8>], first: u32, count: u32) {
    assert_eq!(got.len(), count as usize, "frames received");
    for (k, f) in got.iter().enumerate() {
        let seq = seq_of(f);
        assert_eq!(seq, first + k as u32, "frames in order");
        assert_eq!(*f, frame(seq, length(seq)), "frame {seq} intact");
    }
}

#[test]
fn receives_frames_intact() {
    let ns = Netns::new();
    let mut q = open(&ns);
    let peer = Peer::open(&ns);
    // 500 frames: several V3 blocks, bursts cut mid-block.
    for seq in 0..500 {
        peer.send(&frame(seq, length(seq)));
    }
    let got = q.receive(500);
    check_intact(&got, 0, 500);
    assert_eq!(q.counters.snapshot().rx_dropped, 0);
    println!("af_packet rx: 500/500 frames intact (60..1514 bytes)");
}

#[test]
fn transmits_frames_intact() {
    let ns = Netns::new();
    let mut q = open(&ns);
    let peer = Peer::open(&ns);
    let frames: Vec<Vec<u8>> = (0..1000).map(|s| frame(s, length(s))).collect();
    let receiver = std::thread::spawn(move || peer.recv(1000));
    assert_eq!(q.transmit(&frames), 1000, "every frame taken");
    let got = receiver.join().unwrap();
    check_intact(&got, 0, 1000);
    assert_eq!(q.counters.snapshot().tx_errors, 0);
    println!("af_packet tx: 1000/1000 frames intact in bursts of 32");
}

#[test]
fn oversize_frames_are_counted_not_delivered() {
    let ns = Netns::new();
    ns.ip(&["link", "set", "afp0", "mtu", "4000"]);
    ns.ip(&["link", "set", "afp1", "mtu", "4000"]);
    let mut q = open(&ns);
    let peer = Peer::open(&ns);
    peer.send(&frame(1, 3000));
    peer.send(&frame(2, 1514));
    let got = q.receive(1);
    assert_eq!(got.len(), 1);
    assert_eq!(seq_of(&got[0]), 2, "the oversize frame is dropped");
    assert_eq!(q.counters.snapshot().rx_dropped, 1);
}

#[test]
fn link_info_reports_state_mtu_and_mac() {
    let ns = Netns::new();
    ns.ip(&["link", "set", "afp0", "address", "02:00:5e:10:20:30"]);
    ns.ip(&["link", "set", "afp0", "mtu", "1400"]);
    let info = ns.wait_link(true);
    assert!(info.up && info.admin_up, "{info:?}");
    assert_eq!(info.mtu, 1400);
    assert_eq!(info.mac, [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]);
    let q = open(&ns);
    let HeapRx::AfPacket(rx) = &q.rx else {
        unreachable!()
    };
    // Through the queue's own socket, from a thread outside the namespace.
    assert_eq!(rx.link_info().expect("link_info"), info);
    ns.ip(&["link", "set", "afp1", "down"]);
    let info = ns.wait_link(false);
    assert!(info.admin_up && !info.up, "peer down: no carrier: {info:?}");
    let e = ns
        .enter(|| AfPacketRx::open("nope0", RingConfig::default(), Arc::default()))
        .unwrap_err();
    assert_eq!(e.to_string(), "af_packet nope0: no such interface");
}

#[test]
fn survives_link_down_and_up() {
    let ns = Netns::new();
    let mut q = open(&ns);
    let peer = Peer::open(&ns);
    for seq in 0..10 {
        peer.send(&frame(seq, length(seq)));
    }
    check_intact(&q.receive(10), 0, 10);

    ns.ip(&["link", "set", "afp0", "down"]);
    let info = ns.wait_link(false);
    assert!(!info.admin_up && !info.up, "{info:?}");
    let down: Vec<Vec<u8>> = (100..140).map(|s| frame(s, length(s))).collect();
    assert_eq!(q.transmit(&down), 40, "taken even while down");
    assert_eq!(
        q.counters.snapshot().tx_errors,
        40,
        "frames sent while down are tx_errors"
    );
    assert!(q.receive_within(1, Duration::from_millis(300)).is_empty());

    ns.ip(&["link", "set", "afp0", "up"]);
    let info = ns.wait_link(true);
    assert!(info.up, "{info:?}");
    // Both directions work again on the same queues.
    for seq in 200..220 {
        peer.send(&frame(seq, length(seq)));
    }
    check_intact(&q.receive(20), 200, 20);
    let again: Vec<Vec<u8>> = (300..364).map(|s| frame(s, length(s))).collect();
    let receiver = std::thread::spawn(move || peer.recv(64));
    assert_eq!(q.transmit(&again), 64);
    check_intact(&receiver.join().unwrap(), 300, 64);
    assert_eq!(q.counters.snapshot().tx_errors, 40);
    println!("af_packet link flap: 40 tx_errors while down, rx 20/20 and tx 64/64 after up");
}
