//! The mempool, mbuf and ethdev wrappers against a real EAL (no
//! hugepages) and a `net_ring` vdev, whose one queue pair is a loopback:
//! what is sent on it is received back. One EAL per process, so this test
//! binary holds one test.

#![cfg(feature = "dpdk")]

use std::sync::Arc;

use arrayvec::ArrayVec;
use silkroute_dpdk::{
    data_room_for_mtu, DpdkError, Eal, EthDev, Mempool, MempoolConfig, PortSetup,
    ThreadRegistration, HEADROOM,
};

const POOL: u32 = 1023;

fn setup(rx_queues: u16) -> PortSetup {
    PortSetup {
        rx_queues,
        tx_queues: 1,
        rx_descriptors: 256,
        tx_descriptors: 256,
        rss: true,
        promiscuous: true,
        mtu: 1500,
    }
}

/// A frame whose bytes say which one it is.
fn fill(m: &mut silkroute_dpdk::Mbuf, k: u8) {
    let raw = m.raw_mut();
    for (i, b) in raw[..60].iter_mut().enumerate() {
        *b = k.wrapping_add(i as u8);
    }
    m.set_len(60);
}

#[test]
fn mempool_mbufs_and_a_loopback_device() {
    let prefix = format!("sr-dpdk-crate-{}", std::process::id());
    let eal = Arc::new(
        Eal::init(&[
            "-l",
            "0",
            "--no-huge",
            "-m",
            "256",
            "--no-pci",
            "--vdev",
            "net_ring0",
            "--file-prefix",
            &prefix,
        ])
        .expect("EAL init"),
    );
    assert!(matches!(
        Eal::init(&["--no-huge"]),
        Err(DpdkError::EalAlreadyInitialized)
    ));

    // Mempool and mbufs.
    let pool = Mempool::create(
        &eal,
        MempoolConfig {
            mbufs: POOL,
            data_room: data_room_for_mtu(1500),
            socket: -1,
        },
    )
    .expect("mempool");
    assert_eq!((pool.size(), pool.available()), (POOL, POOL));
    let mut m = pool.alloc().expect("an mbuf");
    assert!(m.is_empty() && m.is_contiguous());
    assert_eq!(
        m.capacity(),
        usize::from(data_room_for_mtu(1500) - HEADROOM)
    );
    assert_eq!(m.raw_mut().len(), m.capacity());
    fill(&mut m, 7);
    assert_eq!(m.data().len(), 60);
    assert_eq!(m.data()[..3], [7, 8, 9]);
    m.data_mut()[0] = 0xff;
    assert_eq!(m.data()[0], 0xff);
    m.set_len(1 << 20);
    assert_eq!(m.len(), m.capacity(), "set_len clamps to the capacity");
    assert_eq!(pool.available(), POOL - 1);
    drop(m);
    assert_eq!(pool.available(), POOL, "dropping frees to the pool");

    // Device errors name the device and what is wrong.
    match EthDev::start(&eal, "net_ring9", &setup(1), std::slice::from_ref(&pool)) {
        Err(e @ DpdkError::NoDevice { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("no DPDK device named net_ring9 (devices probed: net_ring0)"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    match EthDev::start(&eal, "net_ring0", &setup(64), std::slice::from_ref(&pool)) {
        Err(e @ DpdkError::QueueLimit { .. }) => {
            assert_eq!(
                e.to_string(),
                "net_ring0 (net_ring) has at most 16 rx queues, 64 asked for"
            );
        }
        other => panic!("{other:?}"),
    }

    // Loopback: 32 frames out, the same 32 back, in order, untouched.
    let mut port = EthDev::start(&eal, "net_ring0", &setup(1), std::slice::from_ref(&pool))
        .expect("starting net_ring0");
    let reg = ThreadRegistration::register(&eal);
    assert!(reg.is_ok() || matches!(reg, Err(DpdkError::ThreadRegister { .. })));
    assert_eq!(port.started.driver, "net_ring");
    assert!(matches!(
        EthDev::start(&eal, "net_ring0", &setup(1), std::slice::from_ref(&pool)),
        Err(DpdkError::DeviceInUse(_))
    ));
    assert!(port.dev.link().expect("link").up);
    let (mut rx, mut tx) = (port.rx.remove(0), port.tx.remove(0));
    let mut burst: ArrayVec<silkroute_dpdk::Mbuf, 32> = ArrayVec::new();
    for k in 0..32u8 {
        let mut m = pool.alloc().expect("an mbuf");
        fill(&mut m, k);
        burst.push(m);
    }
    assert_eq!(tx.tx_burst(&mut burst), 32);
    assert!(burst.is_empty(), "sent mbufs leave the burst");
    let mut got: ArrayVec<silkroute_dpdk::Mbuf, 32> = ArrayVec::new();
    assert_eq!(rx.rx_burst(&mut got), 32);
    for (k, m) in got.iter().enumerate() {
        assert_eq!(m.len(), 60);
        assert_eq!(m.data()[0], k as u8, "frame {k} in order");
        assert_eq!(m.data()[59], (k + 59) as u8);
    }
    got.clear();
    let stats = port.dev.stats().expect("stats");
    assert_eq!((stats.tx_packets, stats.rx_packets), (32, 32));
    let xstats = port.dev.xstats().expect("xstats");
    assert!(
        xstats
            .iter()
            .any(|(n, v)| n == "rx_good_packets" && *v == 32),
        "{xstats:?}"
    );

    // A full ring refuses: the refused mbufs stay in the burst, in order,
    // and dropping them returns them; nothing leaks. (A pool larger than
    // the loopback ring.)
    let big = Mempool::create(
        &eal,
        MempoolConfig {
            mbufs: 4 * POOL + 3,
            data_room: data_room_for_mtu(1500),
            socket: -1,
        },
    )
    .expect("mempool");
    let mut sent = 0;
    let mut refused = None;
    for round in 0..1000u32 {
        let mut b: ArrayVec<silkroute_dpdk::Mbuf, 32> = ArrayVec::new();
        for k in 0..32u8 {
            let Some(mut m) = big.alloc() else { break };
            fill(&mut m, k);
            b.push(m);
        }
        let n = b.len();
        let took = tx.tx_burst(&mut b);
        sent += took;
        if took < n {
            assert_eq!(b.len(), n - took);
            assert_eq!(b[0].data()[0], took as u8, "refused ones keep their order");
            refused = Some(round);
            break;
        }
    }
    assert!(refused.is_some(), "the loopback ring never filled");
    let mut drained = 0;
    loop {
        let mut b: ArrayVec<silkroute_dpdk::Mbuf, 32> = ArrayVec::new();
        let n = rx.rx_burst(&mut b);
        if n == 0 {
            break;
        }
        drained += n;
    }
    assert_eq!(drained, sent);
    drop(reg);
    assert_eq!(pool.available(), POOL, "every mbuf back in the pool");
    assert_eq!(big.available(), big.size(), "every mbuf back in the pool");
    drop((rx, tx, port));
}
