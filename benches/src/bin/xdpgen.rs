//! A fast packet generator for `benches/netns-forwarding.sh`: 64-byte
//! (60 + FCS) IPv4/UDP frames sent through an AF_XDP socket with
//! silkroute's own `af_xdp` port code, as many as the socket takes, for a
//! given time; the UDP source port cycles over `--flows` values.
//!
//! It prints `xdpgen sent=N seconds=S pps=P` (frames the kernel
//! completed). An AF_PACKET `sendmmsg` generator tops out near 1.2 Mpps
//! on the bench machines; this one is not the bottleneck there.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use clap::Parser;
use silkroute_router::port::af_xdp::{open_worker, AttachMode, XdpPort, XdpPortConfig, ZeroCopy};
use silkroute_router::port::{BufPool, Burst, DriverCounters, PacketBuf, TxQueue};

#[derive(Parser, Debug)]
struct Args {
    /// Interface to send on (in the current network namespace).
    #[arg(long)]
    interface: String,
    /// Destination MAC (the router's).
    #[arg(long)]
    dst_mac: String,
    /// Source IPv4 address.
    #[arg(long)]
    src_ip: Ipv4Addr,
    /// Destination IPv4 address.
    #[arg(long)]
    dst_ip: Ipv4Addr,
    /// Seconds to send.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Distinct UDP source ports.
    #[arg(long, default_value_t = 64)]
    flows: u16,
    /// CPU to pin to.
    #[arg(long)]
    core: Option<usize>,
}

fn parse_mac(s: &str) -> anyhow::Result<[u8; 6]> {
    let mut m = [0u8; 6];
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return Err(anyhow!("bad MAC {s}"));
    }
    for (o, p) in m.iter_mut().zip(parts) {
        *o = u8::from_str_radix(p, 16).context("MAC")?;
    }
    Ok(m)
}

fn checksum(data: &[u8]) -> u16 {
    let mut acc: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// A 60-byte frame (64 on the wire with the FCS): Ethernet, IPv4 (TTL
/// 64), UDP to port 9 with an 18-byte payload and no UDP checksum.
fn frame(src_mac: [u8; 6], dst_mac: [u8; 6], src: Ipv4Addr, dst: Ipv4Addr) -> [u8; 60] {
    let mut f = [0u8; 60];
    f[0..6].copy_from_slice(&dst_mac);
    f[6..12].copy_from_slice(&src_mac);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&46u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.octets());
    ip[16..20].copy_from_slice(&dst.octets());
    let c = checksum(ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let udp = &mut f[34..42];
    udp[0..2].copy_from_slice(&1024u16.to_be_bytes());
    udp[2..4].copy_from_slice(&9u16.to_be_bytes());
    udp[4..6].copy_from_slice(&26u16.to_be_bytes());
    f
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(c) = args.core {
        core_affinity::set_for_current(core_affinity::CoreId { id: c });
    }
    let dst_mac = parse_mac(&args.dst_mac)?;
    let port = XdpPort::open(XdpPortConfig {
        interface: args.interface.clone(),
        queues: 1,
        mode: AttachMode::Auto,
        pass_to_kernel: None,
    })?;
    let template = frame(port.link_at_open().mac, dst_mac, args.src_ip, args.dst_ip);
    let counters = Arc::new(DriverCounters::default());
    let mut q = open_worker(&[Arc::new(port)], &[counters], &[(0, 0)], ZeroCopy::Auto)?;
    let mut tx = q.tx.pop().flatten().ok_or_else(|| anyhow!("no tx queue"))?;
    let total = q.pool.available();
    let mut burst = Burst::new();
    let mut flow: u16 = 0;
    let mut accepted: u64 = 0;
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(args.seconds);
    let mut n: u32 = 0;
    loop {
        n = n.wrapping_add(1);
        if n % 64 == 0 && Instant::now() >= end {
            break;
        }
        while !burst.is_full() {
            let Some(mut b) = q.pool.alloc() else { break };
            let raw = b.raw_mut();
            raw[..60].copy_from_slice(&template);
            raw[34..36].copy_from_slice(&(1024 + flow).to_be_bytes());
            flow = (flow + 1) % args.flows.max(1);
            b.set_len(60);
            burst.push(b);
        }
        accepted += tx.tx_burst(&mut q.pool, &mut burst) as u64;
    }
    let elapsed = start.elapsed().as_secs_f64();
    // Let the last frames complete, then count what never did.
    tx.flush();
    std::thread::sleep(Duration::from_millis(200));
    let mut empty = Burst::new();
    tx.tx_burst(&mut q.pool, &mut empty);
    for b in burst.drain(..) {
        q.pool.free(b);
    }
    let in_flight = (total - q.pool.available()) as u64;
    let sent = accepted.saturating_sub(in_flight);
    println!(
        "xdpgen sent={sent} seconds={elapsed:.3} pps={:.0}",
        sent as f64 / elapsed
    );
    Ok(())
}
