//! Hostile and unusual input: one table of malformed or odd frames, each
//! with the verdict it must get, run through the per-packet reference
//! (`forward_one`) and through a worker over memory ports. Nothing may
//! panic, every row lands where the table says, and the worker's counters
//! add up: received = forwarded + Σ drops + Σ punts.
//!
//! `tests/common/cases.rs` has one row per drop and punt reason; this table
//! is about the shapes an attacker or a broken sender produces: truncation
//! at every header boundary, impossible lengths, fragments, option and
//! extension-header chains, ICMP errors about ICMP errors, martians,
//! stacked VLANs, runts and oversize frames.

mod common;

use std::net::Ipv6Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::cases::{expect_of, Expect};
use common::*;
use silkroute_packet::build::{self, BuildError, Icmpv4ErrorKind, Icmpv6ErrorKind};
use silkroute_packet::{MacAddr, SuppressReason};
use silkroute_router::buf::HeapPool;
use silkroute_router::counters::SharedCounters;
use silkroute_router::exception;
use silkroute_router::fib::FibPublisher;
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::forward::{forward_one, Verdict};
use silkroute_router::port::memory::MemoryPort;
use silkroute_router::port::{Heap, HeapRx, HeapTx};
use silkroute_router::worker::Worker;

const H: [u8; 4] = [192, 0, 2, 10];
const FAR: [u8; 4] = [10, 1, 2, 3];
const UDP: u8 = 17;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const DF: u16 = 0x4000;
const MF: u16 = 0x2000;
const HOST6: &str = "2001:db8:1::10";
const FAR6: &str = "2001:db8:10::5";

fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

fn v4(l3: &[u8]) -> Vec<u8> {
    host_frame(0x0800, l3)
}

fn v6(l3: &[u8]) -> Vec<u8> {
    host_frame(0x86dd, l3)
}

/// A UDP datagram from the host to `dst` with `flags_frag` and `options`.
fn udp4(dst: [u8; 4], ttl: u8, flags_frag: u16, options: &[u8], data: &[u8]) -> Vec<u8> {
    ipv4_full(H, dst, UDP, ttl, flags_frag, options, &udp(1234, 53, data))
}

/// IPv6 from the host to `dst` with next header `nh` and this payload.
fn pkt6(src: &str, dst: &str, nh: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    ipv6(a6(src), a6(dst), nh, hlim, payload)
}

/// An IPv6 packet to FAR6 whose payload is `chain` cut to `keep` bytes,
/// with Payload Length saying exactly `keep` (so the extension walk, not
/// the length check, meets the cut).
fn v6_cut(nh: u8, chain: &[u8], keep: usize) -> Vec<u8> {
    v6(&pkt6(HOST6, FAR6, nh, 64, &chain[..keep]))
}

/// Sets the 16-bit field at `off` of the frame.
fn with_u16(mut f: Vec<u8>, off: usize, v: u16) -> Vec<u8> {
    f[off..off + 2].copy_from_slice(&v.to_be_bytes());
    f
}

/// Ethernet header with `tags` (each TPID+TCI, the last one's EtherType
/// given by `ethertype`) and then `l3`.
fn tagged(tags: &[(u16, u16)], ethertype: u16, l3: &[u8]) -> Vec<u8> {
    let mut f = MAC_P0.to_vec();
    f.extend_from_slice(&MAC_HOST);
    for (tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(l3);
    f
}

fn arp(htype: u16, ptype: u16, hlen: u8, plen: u8, oper: u16) -> Vec<u8> {
    let mut a = htype.to_be_bytes().to_vec();
    a.extend_from_slice(&ptype.to_be_bytes());
    a.extend_from_slice(&[hlen, plen]);
    a.extend_from_slice(&oper.to_be_bytes());
    a.extend_from_slice(&MAC_HOST);
    a.extend_from_slice(&H);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&[192, 0, 2, 1]);
    a
}

/// An ICMPv4 error of `outer_type` quoting an IPv4/ICMP packet whose own
/// message has `inner_type`.
fn icmp4_about(outer_type: u8, inner_type: u8, dst: [u8; 4], ttl: u8) -> Vec<u8> {
    let inner = ipv4_full(
        [10, 1, 2, 3],
        H,
        ICMP,
        60,
        0,
        &[],
        &icmp_msg(inner_type, 0, 0, &[0; 8]),
    );
    let outer = icmp_msg(outer_type, 1, 0, &inner);
    v4(&ipv4_full(H, dst, ICMP, ttl, 0, &[], &outer))
}

/// An ICMPv6 error of `outer_type` quoting an IPv6/ICMPv6 packet whose own
/// message has `inner_type`.
fn icmp6_about(outer_type: u8, inner_type: u8, dst: &str, hlim: u8) -> Vec<u8> {
    let inner = pkt6(
        FAR6,
        HOST6,
        ICMPV6,
        60,
        &icmp_msg(inner_type, 0, 0, &[0; 8]),
    );
    let outer = icmp_msg(outer_type, 0, 0, &inner);
    v6(&pkt6(HOST6, dst, ICMPV6, hlim, &outer))
}

/// The hostile-input table: kind, frame (arriving on p0), verdict.
/// One row: what kind of frame, the frame, the verdict it must get.
type Row = (String, Vec<u8>, Expect);

#[path = "malformed/ipv4.rs"]
mod ipv4;
#[path = "malformed/ipv6.rs"]
mod ipv6;
#[path = "malformed/link.rs"]
mod link;

fn table() -> Vec<Row> {
    let mut t = Vec::new();
    ipv4::add(&mut t);
    ipv6::add(&mut t);
    link::add(&mut t);
    t
}

#[test]
fn every_malformed_frame_gets_its_verdict() {
    let fib = test_fib();
    let table = table();
    let mut wrong = Vec::new();
    for (kind, frame, want) in &table {
        let mut f = frame.clone();
        let got = expect_of(forward_one(&mut f, 0, &fib));
        if got != *want {
            wrong.push(format!("{kind}: want {want:?}, got {got:?}"));
        }
        if !matches!(got, Expect::Forward(_)) {
            assert_eq!(&f, frame, "{kind}: frame written although not forwarded");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    println!("malformed: {} kinds", table.len());
    assert!(table.len() >= 40);
}

#[test]
fn kinds_are_unique() {
    let table = table();
    let mut names: Vec<&str> = table.iter().map(|(k, _, _)| k.as_str()).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate kind names");
}

/// Link padding after the IP datagram: the packet is forwarded with the
/// padding cut off (the frame leaves as long as its datagram), so padding
/// can never push a frame past the egress MTU.
#[test]
fn link_padding_is_not_forwarded() {
    use silkroute_router::forward::{classify, finish, forwarded_len, Classified};
    let fib = test_fib();
    let fwd = |frame: &[u8]| -> (Verdict, usize, Vec<u8>) {
        let mut f = frame.to_vec();
        let Classified::Lookup(p) = classify(&f, &MAC_P0) else {
            panic!("not looked up");
        };
        let value = match p {
            silkroute_router::forward::Pending::V4 { dst, .. } => fib.v4.lookup(dst),
            silkroute_router::forward::Pending::V6 { dst, .. } => fib.v6.lookup(dst),
        };
        let v = finish(&mut f, p, value, &fib);
        let len = forwarded_len(&f, p);
        (v, len, f)
    };
    for (frame, ttl_at, ip_len) in [
        {
            let mut f = v4(&udp4(FAR, 64, 0, &[], b"pad"));
            let l = f.len() - 14;
            f.extend_from_slice(&[0xab; 40]);
            (f, 14 + 8, l)
        },
        {
            let mut f = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"pad")));
            let l = f.len() - 14;
            f.extend_from_slice(&[0xcd; 40]);
            (f, 14 + 7, l)
        },
    ] {
        let (v, len, f) = fwd(&frame);
        assert_eq!(v, Verdict::Forward(1));
        assert_eq!(len, 14 + ip_len, "padding cut off");
        assert_eq!(f[ttl_at], 63);
        assert_eq!(f[0..6], MAC_B1);
    }
    // A 1600-byte frame carrying a small datagram leaves small, within
    // p1's MTU.
    let mut f = v4(&udp4(FAR, 64, DF, &[], b"small datagram"));
    let ip_len = f.len() - 14;
    f.resize(1600, 0xee);
    let (v, len, _) = fwd(&f);
    assert_eq!(v, Verdict::Forward(1));
    assert_eq!(len, 14 + ip_len);
}

/// When an ICMP error about an ICMP error is punted, the control plane's
/// builders refuse to answer it (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e.1)).
#[test]
fn punted_icmp_errors_about_icmp_errors_are_not_answered() {
    let fib = test_fib();
    let mut out = [0u8; 2048];
    let (us, them) = (MacAddr(MAC_P0), MacAddr(MAC_HOST));
    for frame in [
        icmp4_about(3, 11, FAR, 1),
        icmp4_about(11, 3, [50, 0, 0, 1], 64),
    ] {
        let mut f = frame.clone();
        let Verdict::Punt(_, info) = forward_one(&mut f, 0, &fib) else {
            panic!("not punted");
        };
        let r = build::icmpv4_error(
            &f,
            usize::from(info.l3_offset),
            Icmpv4ErrorKind::TimeExceeded,
            us,
            them,
            [192, 0, 2, 1].into(),
            &mut out,
        );
        assert_eq!(r, Err(BuildError::Suppressed(SuppressReason::IcmpError)));
    }
    let mut f = icmp6_about(3, 1, FAR6, 1);
    let Verdict::Punt(PuntReason::TtlExpired, info) = forward_one(&mut f, 0, &fib) else {
        panic!("not punted");
    };
    let r = build::icmpv6_error(
        &f,
        usize::from(info.l3_offset),
        Icmpv6ErrorKind::TimeExceeded,
        us,
        them,
        a6("2001:db8:1::1"),
        &mut out,
    );
    assert_eq!(r, Err(BuildError::Suppressed(SuppressReason::IcmpError)));
    // A punted ICMP message that is not an error is answered.
    let mut f = v4(&ipv4_full(
        H,
        FAR,
        ICMP,
        1,
        0,
        &[],
        &icmp_msg(8, 0, 0, b"ping"),
    ));
    let Verdict::Punt(PuntReason::TtlExpired, info) = forward_one(&mut f, 0, &fib) else {
        panic!("not punted");
    };
    let r = build::icmpv4_error(
        &f,
        usize::from(info.l3_offset),
        Icmpv4ErrorKind::TimeExceeded,
        us,
        them,
        [192, 0, 2, 1].into(),
        &mut out,
    );
    assert!(r.is_ok(), "{r:?}");
}

/// The same table through a worker over memory ports: per-reason counters
/// match the table and received = forwarded + Σ drops + Σ punts.
#[test]
fn worker_counts_every_malformed_frame() {
    let table = table();
    assert!(
        table.iter().all(|(_, f, _)| f.len() <= 2048),
        "memory buffers hold 2048 bytes"
    );
    let pool = HeapPool::new(8192);
    let mut publisher = FibPublisher::new(test_fib());
    let (mut rx, mut tx, mut peers) = (Vec::new(), Vec::new(), Vec::new());
    for p in 0..2u16 {
        let (r, t, peer) = MemoryPort::create(1024, 1, 1, &pool);
        rx.extend(r.into_iter().map(|r| (p, 0u16, HeapRx::Ring(r))));
        tx.extend(t.into_iter().map(|t| Some(HeapTx::Ring(t))));
        peers.push(peer);
    }
    let (wr, mut control) = exception::rings(1024, 64);
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(SharedCounters::new(2));
    let worker: Worker<Heap> = Worker {
        id: 0,
        rx,
        tx,
        pool: pool.cache(),
        fib: publisher.reader(),
        rings: wr,
        limits: silkroute_router::limit::ExceptionLimits::default(),
        idle: Default::default(),
        shared: Arc::clone(&shared),
        stop: Arc::clone(&stop),
        input_done: Arc::new(AtomicBool::new(false)),
    };
    let handle = thread::spawn(move || worker.run());
    for (kind, frame, _) in &table {
        assert!(peers[0].inject(frame), "{kind}: not injected");
    }
    let start = Instant::now();
    while shared.snapshot().port(0).rx_packets < table.len() as u64 {
        assert!(start.elapsed() < Duration::from_secs(20), "worker stalled");
        thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Release);
    let c = handle.join().expect("worker panicked");

    let mut want_drops = [0u64; DropReason::COUNT];
    let mut want_punts = [0u64; PuntReason::COUNT];
    let mut want_fwd = [0u64; 2];
    let mut want_bytes = 0;
    for (_, frame, e) in &table {
        match e {
            Expect::Forward(p) => {
                want_fwd[usize::from(*p)] += 1;
                // Forwarded frames leave without link padding.
                want_bytes += match silkroute_router::forward::classify(frame, &MAC_P0) {
                    silkroute_router::forward::Classified::Lookup(pending) => {
                        silkroute_router::forward::forwarded_len(frame, pending)
                    }
                    _ => frame.len(),
                };
            }
            Expect::Drop(r) => want_drops[*r as usize] += 1,
            Expect::Punt(r) => want_punts[*r as usize] += 1,
        }
    }
    let p0 = c.port(0);
    for r in DropReason::ALL {
        assert_eq!(p0.drops[*r as usize], want_drops[*r as usize], "drop {r}");
    }
    for r in PuntReason::ALL {
        assert_eq!(p0.punts[*r as usize], want_punts[*r as usize], "punt {r}");
    }
    assert_eq!([p0.tx_packets, c.port(1).tx_packets], want_fwd);
    assert_eq!(p0.rx_packets, table.len() as u64);
    assert_eq!(
        p0.rx_packets,
        want_fwd.iter().sum::<u64>() + p0.total_drops() + p0.total_punts(),
        "received = forwarded + dropped + punted"
    );
    let mut got_bytes = 0;
    for peer in &mut peers {
        while let Some(n) = peer.collect_with(<[u8]>::len) {
            got_bytes += n;
        }
    }
    assert_eq!(
        got_bytes, want_bytes,
        "forwarded frames lose only their padding"
    );
    let mut punted = 0;
    while control.exceptions.pop_with(|s| s.reason).is_some() {
        punted += 1;
    }
    while control.priority.pop_with(|s| s.reason).is_some() {
        punted += 1;
    }
    assert_eq!(punted, p0.total_punts());
    drop(publisher);
}
