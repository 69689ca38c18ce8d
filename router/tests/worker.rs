//! The worker loop over memory ports: the batched path agrees with the
//! per-packet reference, every packet is accounted for, the worker-level
//! drop reasons fire, and a FIB swap under load loses and tears nothing.

mod common;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::cases::{cases, Expect};
use common::*;
use silkroute_lpm::Lpm4;
use silkroute_router::buf::HeapPool;
use silkroute_router::counters::{SharedCounters, WorkerCounters};
use silkroute_router::exception::{self, ControlRings};
use silkroute_router::fib::{Fib, FibPublisher, NextHop, PortInfo, Target};
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::limit::{ExceptionLimits, RateLimit};
use silkroute_router::port::memory::{MemoryPeer, MemoryPort};
use silkroute_router::port::{FrameSource, Heap, HeapRx, HeapTx};
use silkroute_router::worker::{IdlePolicy, Worker};

struct Harness {
    /// The worker thread's name.
    name: String,
    peers: Vec<MemoryPeer>,
    control: ControlRings,
    stop: Arc<AtomicBool>,
    shared: Arc<SharedCounters>,
    handle: thread::JoinHandle<WorkerCounters>,
    _publisher: FibPublisher,
}

/// Starts one worker polling every port's ring, with `ring` slots per
/// memory ring and `exc` exception slots.
fn start(fib: Fib, ports: usize, ring: usize, exc: usize, worker_pool: Option<usize>) -> Harness {
    start_with(
        fib,
        ports,
        ring,
        exc,
        worker_pool,
        ExceptionLimits::default(),
        IdlePolicy::default(),
    )
}

/// [`start`] with the given exception limits.
fn start_with(
    fib: Fib,
    ports: usize,
    ring: usize,
    exc: usize,
    worker_pool: Option<usize>,
    limits: ExceptionLimits,
    idle: IdlePolicy,
) -> Harness {
    let pool = HeapPool::new(8192);
    let mut publisher = FibPublisher::new(fib);
    let mut rx = Vec::new();
    let mut tx = Vec::new();
    let mut peers = Vec::new();
    for p in 0..ports {
        let (r, t, peer) = MemoryPort::create(ring, 1, 1, &pool);
        rx.extend(r.into_iter().map(|r| (p as u16, 0u16, HeapRx::Ring(r))));
        tx.extend(t.into_iter().map(|t| Some(HeapTx::Ring(t))));
        peers.push(peer);
    }
    let (wr, cr) = exception::rings(exc, 64);
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(SharedCounters::new(ports));
    let wpool = match worker_pool {
        Some(n) => HeapPool::new(n).cache(),
        None => pool.cache(),
    };
    let worker: Worker<Heap> = Worker {
        id: 0,
        rx,
        tx,
        pool: wpool,
        fib: publisher.reader(),
        rings: wr,
        limits,
        idle,
        shared: Arc::clone(&shared),
        stop: Arc::clone(&stop),
        input_done: Arc::new(AtomicBool::new(false)),
    };
    // A name of its own, so a test can find the thread in /proc.
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let name = format!("worker-t{}", STARTED.fetch_add(1, Ordering::Relaxed));
    let handle = thread::Builder::new()
        .name(name.clone())
        .spawn(move || worker.run())
        .expect("spawn worker");
    Harness {
        name,
        peers,
        control: cr,
        stop,
        shared,
        handle,
        _publisher: publisher,
    }
}

impl Harness {
    fn wait_rx(&self, port: u16, n: u64) {
        let start = Instant::now();
        while self.shared.snapshot().port(port).rx_packets < n {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "worker did not receive {n} packets"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// How many times the worker thread has left its CPU of its own accord
    /// (`voluntary_ctxt_switches` in `/proc/self/task/TID/status`).
    fn voluntary_switches(&self) -> u64 {
        for task in std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .flatten()
        {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim_end() != self.name {
                continue;
            }
            let status = std::fs::read_to_string(task.path().join("status")).expect("status");
            return status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("voluntary_ctxt_switches");
        }
        panic!("no thread named {}", self.name);
    }

    fn finish(self) -> (WorkerCounters, Vec<MemoryPeer>, ControlRings) {
        self.stop.store(true, Ordering::Release);
        let c = self.handle.join().expect("worker panicked");
        (c, self.peers, self.control)
    }
}

#[test]
fn batched_worker_agrees_with_reference_and_accounts_for_every_packet() {
    let cases = cases();
    let mut h = start(test_fib(), 2, 1024, 1024, None);
    for (_, frame, _) in &cases {
        assert!(h.peers[0].inject(frame));
    }
    h.wait_rx(0, cases.len() as u64);
    let (c, mut peers, mut control) = h.finish();
    let p0 = c.port(0);
    let mut want_drops = [0u64; DropReason::COUNT];
    let mut want_punts = [0u64; PuntReason::COUNT];
    let mut want_fwd = [0u64; 2];
    for (_, _, e) in &cases {
        match e {
            Expect::Forward(p) => want_fwd[usize::from(*p)] += 1,
            Expect::Drop(r) => want_drops[*r as usize] += 1,
            Expect::Punt(r) => want_punts[*r as usize] += 1,
        }
    }
    assert_eq!(p0.drops, want_drops);
    assert_eq!(p0.punts, want_punts);
    assert_eq!(c.port(1).tx_packets, want_fwd[1]);
    assert_eq!(p0.tx_packets, want_fwd[0]);
    assert_eq!(
        p0.rx_packets,
        want_fwd.iter().sum::<u64>() + p0.total_drops() + p0.total_punts(),
        "received = forwarded + dropped + punted"
    );
    let mut collected = 0;
    for peer in &mut peers {
        while peer.collect().is_some() {
            collected += 1;
        }
    }
    assert_eq!(collected, want_fwd.iter().sum::<u64>());
    let mut punted = 0;
    while control.exceptions.pop_with(|s| s.reason).is_some() {
        punted += 1;
    }
    while control.priority.pop_with(|s| s.reason).is_some() {
        punted += 1;
    }
    assert_eq!(punted, p0.total_punts());
}

#[test]
fn full_exception_ring_is_counted() {
    let mut h = start(test_fib(), 2, 1024, 2, None);
    for _ in 0..10 {
        assert!(h.peers[0].inject(&v4_frame([192, 0, 2, 10], [10, 1, 2, 3], 1, b"ttl1")));
    }
    h.wait_rx(0, 10);
    let (c, _, _) = h.finish();
    let p0 = c.port(0);
    assert_eq!(p0.punts[PuntReason::TtlExpired as usize], 2);
    assert_eq!(p0.drops[DropReason::ExceptionRingFull as usize], 8);
}

#[test]
fn exception_flood_does_not_starve_arp() {
    // A general exception ring of 64 slots that nobody drains, a flood of
    // TTL-1 packets, and ARP requests from a neighbour in the middle of
    // it: every ARP request still reaches the control plane (priority
    // ring), the flood is dropped and counted (ring full or rate
    // limited). The ARP/NDP limits are opened wide (no refill, bursts
    // above the requests sent): this test is about the rings.
    let wide = RateLimit {
        per_second: 0,
        burst: 1_000,
    };
    let limits = ExceptionLimits {
        neighbor_port: wide,
        neighbor_source: wide,
        ..ExceptionLimits::default()
    };
    let mut h = start_with(test_fib(), 2, 1024, 64, None, limits, IdlePolicy::default());
    let arp = eth(
        BCAST,
        MAC_HOST,
        0x0806,
        &[
            0, 1, 8, 0, 6, 4, 0, 1, 2, 0xaa, 0, 0, 0, 0x0a, 192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 192,
            0, 2, 1,
        ],
    );
    let ttl1 = v4_frame([192, 0, 2, 10], [10, 1, 2, 3], 1, b"flood");
    let (mut sent, mut arps) = (0u64, 0u64);
    for i in 0..20_000u64 {
        let f = if i % 100 == 50 { &arp } else { &ttl1 };
        while !h.peers[0].inject(f) {
            thread::yield_now();
        }
        sent += 1;
        if i % 100 == 50 {
            arps += 1;
        }
    }
    h.wait_rx(0, sent);
    let (c, _, mut control) = h.finish();
    let p0 = c.port(0);
    assert_eq!(
        p0.punts[PuntReason::Arp as usize],
        arps,
        "every ARP request punted"
    );
    let mut on_priority = 0;
    while control.priority.pop_with(|s| s.reason).is_some() {
        on_priority += 1;
    }
    assert_eq!(on_priority, arps);
    let flood = sent - arps;
    let ttl_punted = p0.punts[PuntReason::TtlExpired as usize];
    assert!(ttl_punted <= 64, "general ring holds 64");
    assert_eq!(
        ttl_punted
            + p0.drops[DropReason::ExceptionRingFull as usize]
            + p0.drops[DropReason::ExceptionRateLimited as usize],
        flood,
        "every flood packet is punted or counted"
    );
}

#[test]
fn an_idle_worker_sleeps_unless_its_policy_is_to_spin() {
    for idle in [IdlePolicy::Sleep, IdlePolicy::Spin] {
        let mut h = start_with(
            test_fib(),
            2,
            64,
            64,
            None,
            ExceptionLimits::default(),
            idle,
        );
        // Traffic first: the worker forwards whatever its policy.
        let frame = v4_frame([192, 0, 2, 10], [10, 1, 2, 3], 64, b"before the lull");
        assert!(h.peers[0].inject(&frame));
        h.wait_rx(0, 1);
        // Then a lull, thousands of times the ~100 µs of empty polls after
        // which a sleeping worker starts to leave its core.
        let before = h.voluntary_switches();
        match idle {
            // 50 µs sleeps: thousands of switches a second on an idle
            // machine; on a loaded one, each wake-up may wait for the CPU,
            // so wait (up to 10 s) for 50 rather than time a window.
            IdlePolicy::Sleep => {
                let t = Instant::now();
                while h.voluntary_switches() - before < 50 {
                    assert!(
                        t.elapsed() < Duration::from_secs(10),
                        "sleeping worker left its core only {} times in 10 s",
                        h.voluntary_switches() - before
                    );
                    thread::sleep(Duration::from_millis(10));
                }
            }
            // Nothing on a memory port's path blocks: a spinning worker is
            // only ever preempted (involuntary switches, not counted).
            IdlePolicy::Spin => {
                thread::sleep(Duration::from_millis(300));
                let left = h.voluntary_switches() - before;
                assert!(left <= 2, "spinning worker left its core {left} times");
            }
        }
        // Traffic after the lull is forwarded, and counted, either way.
        assert!(h.peers[0].inject(&frame));
        h.wait_rx(0, 2);
        let (c, _, _) = h.finish();
        assert_eq!(c.port(1).tx_packets, 2, "{idle:?}");
    }
}

#[test]
fn refused_transmit_is_counted() {
    let mut h = start(test_fib(), 2, 4, 64, None);
    // p1's transmit ring holds 4; nobody collects.
    let mut sent = 0;
    for i in 0..40u8 {
        if h.peers[0].inject(&v4_frame([192, 0, 2, 10], [10, 1, 2, i], 64, b"fill")) {
            sent += 1;
        }
        h.wait_rx(0, sent);
    }
    let (c, _, _) = h.finish();
    assert_eq!(c.port(1).tx_packets, 4);
    assert_eq!(c.port(1).drops[DropReason::TxQueueFull as usize], sent - 4);
}

#[test]
fn inject_to_unknown_port_and_without_buffers_is_counted() {
    let mut h = start(test_fib(), 2, 64, 64, Some(0));
    assert!(h.control.inject(7, &[0u8; 60]));
    assert!(h.control.inject(1, &[0u8; 60]));
    let start_t = Instant::now();
    loop {
        let s = h.shared.snapshot();
        if s.port(7).drops[DropReason::InjectBadPort as usize] == 1
            && s.port(1).drops[DropReason::InjectNoBuffer as usize] == 1
        {
            break;
        }
        assert!(start_t.elapsed() < Duration::from_secs(10));
        thread::sleep(Duration::from_millis(1));
    }
    let (c, _, _) = h.finish();
    assert_eq!(c.port(1).drops[DropReason::InjectNoBuffer as usize], 1);
    // Port 7 does not exist: the drop lands in the unattributed row.
    assert_eq!(c.port(7).drops[DropReason::InjectBadPort as usize], 1);
    assert_eq!(c.port(1).injected, 0);
}

#[test]
fn injected_packets_are_sent() {
    let mut h = start(test_fib(), 2, 64, 64, None);
    let frame = v4_frame(
        [192, 0, 2, 1],
        [192, 0, 2, 10],
        64,
        b"from the control plane",
    );
    assert!(h.control.inject(0, &frame));
    let start_t = Instant::now();
    let got = loop {
        if let Some(f) = h.peers[0].collect() {
            break f;
        }
        assert!(start_t.elapsed() < Duration::from_secs(10));
        thread::sleep(Duration::from_millis(1));
    };
    assert_eq!(got, frame);
    let (c, _, _) = h.finish();
    assert_eq!((c.port(0).injected, c.port(0).tx_packets), (1, 1));
}

/// Two consistent FIBs that send 10/8 to different (port, MAC) pairs, each
/// with a poison entry that a torn read (LPM of one, tables of the other)
/// would reach.
fn swap_fib(which: u8) -> Fib {
    let mut fib = Fib::empty(vec![
        PortInfo {
            mac: MAC_P0,
            mtu: 1500,
        },
        PortInfo {
            mac: MAC_P1,
            mtu: 1500,
        },
        PortInfo {
            mac: [0x02, 0, 0, 0, 0, 3],
            mtu: 1500,
        },
    ]);
    let addr: IpAddr = "198.51.100.2".parse().unwrap();
    fib.next_hops = vec![
        NextHop {
            port: 1,
            mac: Some(MAC_B1),
            addr,
        },
        NextHop {
            port: 2,
            mac: Some(MAC_B2),
            addr,
        },
        // Poison: the right port with the other table's MAC.
        NextHop {
            port: 2,
            mac: Some(MAC_B1),
            addr,
        },
        NextHop {
            port: 1,
            mac: Some(MAC_B2),
            addr,
        },
    ];
    let (value, targets) = if which == 0 {
        (0, vec![Target::NextHop(0), Target::NextHop(3)])
    } else {
        (1, vec![Target::NextHop(2), Target::NextHop(1)])
    };
    fib.targets = targets;
    fib.v4 = Lpm4::from_routes(&[(0x0a00_0000, 8, value)]).unwrap();
    fib
}

#[test]
fn fib_swaps_under_load_lose_and_tear_nothing() {
    let frames: Vec<Vec<u8>> = (0..256u32)
        .map(|i| {
            v4_frame(
                [192, 0, 2, 10],
                [10, 0, (i >> 8) as u8, i as u8],
                64,
                b"swap",
            )
        })
        .collect();
    // The pool bounds the packets in flight below the transmit rings'
    // size, so backpressure never turns into tx drops.
    let pool = HeapPool::new(2048);
    let mut publisher = FibPublisher::new(swap_fib(0));
    let counters = Arc::new(silkroute_router::port::DriverCounters::default());
    let mut tx = vec![Some(HeapTx::Discard)];
    let mut peers = Vec::new();
    for _ in 1..3 {
        let (_, t, peer) = MemoryPort::create(4096, 0, 1, &pool);
        tx.extend(t.into_iter().map(|t| Some(HeapTx::Ring(t))));
        peers.push(peer);
    }
    let (wr, _cr) = exception::rings(64, 64);
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(SharedCounters::new(3));
    let worker: Worker<Heap> = Worker {
        id: 0,
        rx: vec![(
            0,
            0,
            HeapRx::Source(FrameSource::new(frames, true, counters)),
        )],
        tx,
        pool: pool.cache(),
        fib: publisher.reader(),
        rings: wr,
        limits: ExceptionLimits::default(),
        idle: Default::default(),
        shared: Arc::clone(&shared),
        stop: Arc::clone(&stop),
        input_done: Arc::new(AtomicBool::new(false)),
    };
    let handle = thread::spawn(move || worker.run());
    let checker_stop = Arc::new(AtomicBool::new(false));
    let cs = Arc::clone(&checker_stop);
    let checker = thread::spawn(move || {
        let mut per_port = [0u64; 2];
        let mut torn = 0u64;
        loop {
            let mut got = 0;
            for (i, peer) in peers.iter_mut().enumerate() {
                while let Some(ok) = peer.collect_with(|f| {
                    let want = if i == 0 { MAC_B1 } else { MAC_B2 };
                    f[0..6] == want && f[14 + 8] == 63
                }) {
                    per_port[i] += 1;
                    got += 1;
                    if !ok {
                        torn += 1;
                    }
                }
            }
            if got == 0 {
                if cs.load(Ordering::Acquire) {
                    break;
                }
                thread::yield_now();
            }
        }
        (per_port, torn)
    });
    let start_t = Instant::now();
    let mut swaps = 0u64;
    while start_t.elapsed() < Duration::from_secs(2) {
        let g = publisher.publish(swap_fib((swaps % 2 + 1) as u8 % 2));
        swaps += 1;
        assert!(
            publisher.wait_adopted(g, Duration::from_secs(10)),
            "worker stalled"
        );
        publisher.collect();
        thread::sleep(Duration::from_micros(200));
    }
    stop.store(true, Ordering::Release);
    let c = handle.join().expect("worker panicked");
    checker_stop.store(true, Ordering::Release);
    let (per_port, torn) = checker.join().expect("checker panicked");
    let p0 = c.port(0);
    println!(
        "swaps {swaps}, received {}, via p1 {}, via p2 {}, torn {torn}",
        p0.rx_packets, per_port[0], per_port[1]
    );
    assert!(swaps > 100);
    assert_eq!(torn, 0, "a packet was forwarded with a torn lookup");
    assert_eq!(
        p0.total_drops() + c.port(1).total_drops() + c.port(2).total_drops(),
        0
    );
    assert_eq!(p0.total_punts(), 0);
    assert_eq!(
        p0.rx_packets,
        c.port(1).tx_packets + c.port(2).tx_packets,
        "every packet forwarded"
    );
    assert_eq!(
        per_port[0] + per_port[1],
        p0.rx_packets,
        "every forwarded packet arrived"
    );
    assert!(per_port[0] > 0 && per_port[1] > 0, "both tables forwarded");
}
