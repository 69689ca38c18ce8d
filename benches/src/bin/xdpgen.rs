//! An in-kernel packet generator for `benches/netns-forwarding.sh`:
//! 64-byte (60 + FCS) IPv4/UDP frames made by an XDP program run with
//! `BPF_PROG_RUN` in live-frames mode (Linux 5.18+), which redirects each
//! one to `--interface` (`bpf_redirect`), for a given time. No socket and
//! no skb: on a veth the frames go straight into the peer's XDP ring
//! (`ndo_xdp_xmit`), which needs NAPI on the peer (an XDP program there,
//! or GRO on). The UDP source port is drawn per frame among `--flows`
//! values.
//!
//! Offered rate: every frame the program ran on was redirected; those
//! the peer's ring had no room for are dropped by the veth and counted in
//! the peer's `rx_dropped`. The program runs on the calling CPU, in the
//! caller's network namespace (run it with `ip netns exec`, pinned with
//! `--core`).
//!
//! Prints `xdpgen sent=N seconds=S pps=P`. It replaces an AF_XDP
//! generator that topped out near 0.75 Mpps on veth (copy-mode transmit
//! allocates an skb per frame, and a frame completes only when the
//! receiver has freed it).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use clap::Parser;
use silkroute_router::port::af_packet::link_info;
use silkroute_router::port::af_xdp::bpf::{
    self, insn, Insn, ADD64_K, BPF_FUNC_GET_PRANDOM_U32, BPF_FUNC_REDIRECT, CALL, EXIT, JGT_X,
    LDX_W, LD_DW_IMM, MOD64_K, MOV64_K, MOV64_X, STX_DW, STX_H, ST_H, TO_BE, XDP_MD_DATA,
    XDP_MD_DATA_END,
};

/// Frames per `BPF_PROG_RUN` call: ~10-30 ms at the rates seen here, so
/// the deadline is checked often enough, and the syscall cost vanishes.
const FRAMES_PER_CALL: u32 = 1 << 16;

/// Offset of the UDP source port in the frame (Ethernet 14 + IPv4 20).
const UDP_SPORT: i16 = 34;
/// First UDP source port.
const SPORT_BASE: i32 = 1024;

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
    /// Distinct UDP source ports (1..=65535-1024).
    #[arg(long, default_value_t = 64)]
    flows: u16,
    /// Frames per batch inside the kernel (1..=256); each batch ends
    /// with one flush to the interface.
    #[arg(long, default_value_t = 64)]
    batch: u32,
    /// CPU to pin to (the program runs on the calling CPU).
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
/// 64), UDP to port 9 with an 18-byte payload and no UDP checksum (so
/// the program can change the source port without fixing a checksum).
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
    udp[0..2].copy_from_slice(&(SPORT_BASE as u16).to_be_bytes());
    udp[2..4].copy_from_slice(&9u16.to_be_bytes());
    udp[4..6].copy_from_slice(&26u16.to_be_bytes());
    f
}

/// Bytes of the frame the program rewrites on every run: Ethernet, IPv4
/// and UDP headers (the payload is never changed by anyone).
const HEADERS: usize = 42;

/// The generator program:
/// ```text
/// sport = htobe16(1024 + bpf_get_prandom_u32() % flows)
/// if data + 42 <= data_end:
///     data[0..42] = template[0..42]; *(u16 *)(data + 34) = sport
/// return bpf_redirect(ifindex, 0)
/// ```
/// All headers are written anew each time: the kernel does not
/// reinitialise a recycled page's data, and a router forwarding in place
/// (the kernel) rewrites the MACs and the TTL of the frame it received,
/// which is the generator's page.
fn program(template: &[u8; 60], ifindex: u32, flows: u16) -> Vec<Insn> {
    let mut p = vec![
        insn(MOV64_X, 6, 1, 0, 0), // r6 = ctx
        insn(CALL, 0, 0, 0, BPF_FUNC_GET_PRANDOM_U32),
        insn(MOD64_K, 0, 0, 0, i32::from(flows.max(1))),
        insn(ADD64_K, 0, 0, 0, SPORT_BASE),
        insn(TO_BE, 0, 0, 0, 16),
        insn(LDX_W, 2, 6, XDP_MD_DATA, 0),     // r2 = data
        insn(LDX_W, 3, 6, XDP_MD_DATA_END, 0), // r3 = data_end
        insn(MOV64_X, 4, 2, 0, 0),
        insn(ADD64_K, 4, 0, 0, HEADERS as i32),
    ];
    let check = p.len();
    p.push(insn(JGT_X, 4, 3, 0, 0)); // too short: send as is (offset below)
                                     // Packet stores are little-endian on the hosts we run on (x86, arm64).
    for (k, w) in template[..HEADERS].chunks_exact(8).enumerate() {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        p.push(insn(LD_DW_IMM, 5, 0, 0, v as u32 as i32));
        p.push(insn(0, 0, 0, 0, (v >> 32) as u32 as i32));
        p.push(insn(STX_DW, 2, 5, 8 * k as i16, 0));
    }
    let tail = HEADERS / 8 * 8;
    let half = i32::from(u16::from_le_bytes([template[tail], template[tail + 1]]));
    p.push(insn(ST_H, 2, 0, tail as i16, half));
    p.push(insn(STX_H, 2, 0, UDP_SPORT, 0));
    p[check].off = (p.len() - check - 1) as i16;
    p.push(insn(MOV64_K, 1, 0, 0, ifindex as i32));
    p.push(insn(MOV64_K, 2, 0, 0, 0));
    p.push(insn(CALL, 0, 0, 0, BPF_FUNC_REDIRECT));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(c) = args.core {
        if !core_affinity::set_for_current(core_affinity::CoreId { id: c }) {
            return Err(anyhow!("cannot pin to core {c}"));
        }
    }
    let dst_mac = parse_mac(&args.dst_mac)?;
    let link = link_info(&args.interface).with_context(|| args.interface.clone())?;
    let template = frame(link.mac, dst_mac, args.src_ip, args.dst_ip);
    let prog = bpf::load_xdp(
        &program(&template, link.ifindex, args.flows),
        "silkroute_gen",
    )
    .map_err(|(e, log)| anyhow!("loading the generator program: {e}\n{log}"))?;
    let batch = args.batch.clamp(1, 256);
    let mut sent: u64 = 0;
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(args.seconds);
    while Instant::now() < end {
        bpf::run_xdp_live(&prog, &template, FRAMES_PER_CALL, batch)
            .context("BPF_PROG_RUN (live frames, Linux 5.18+)")?;
        sent += u64::from(FRAMES_PER_CALL);
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "xdpgen sent={sent} seconds={elapsed:.3} pps={:.0}",
        sent as f64 / elapsed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_a_valid_ipv4_udp_datagram() {
        let f = frame(
            [2, 0, 0, 0, 0, 1],
            [2, 0, 0, 0, 0, 2],
            Ipv4Addr::new(10, 1, 0, 2),
            Ipv4Addr::new(198, 18, 0, 1),
        );
        assert_eq!(checksum(&f[14..34]), 0);
        assert_eq!(u16::from_be_bytes([f[38], f[39]]), 26);
        assert_eq!(u16::from_be_bytes([f[34], f[35]]), 1024);
    }

    #[test]
    fn the_program_writes_every_header_byte_then_redirects() {
        let mut t = [0u8; 60];
        for (i, b) in t.iter_mut().enumerate() {
            *b = i as u8;
        }
        let p = program(&t, 7, 64);
        // Replay the stores on a zeroed frame.
        let mut f = [0u8; 60];
        let mut k = 0;
        while k < p.len() {
            let i = p[k];
            if i.code == LD_DW_IMM {
                let v = u64::from(p[k].imm as u32) | (u64::from(p[k + 1].imm as u32) << 32);
                let st = p[k + 2];
                assert_eq!(st.code, STX_DW);
                let o = st.off as usize;
                f[o..o + 8].copy_from_slice(&v.to_le_bytes());
                k += 3;
                continue;
            }
            if i.code == ST_H {
                let o = i.off as usize;
                f[o..o + 2].copy_from_slice(&(i.imm as u16).to_le_bytes());
            }
            k += 1;
        }
        assert_eq!(f[..HEADERS], t[..HEADERS]);
        let check = p.iter().position(|i| i.code == JGT_X).unwrap_or(0);
        let target = check + 1 + p[check].off as usize;
        assert_eq!((p[target].code, p[target].imm), (MOV64_K, 7));
        assert_eq!(p[target - 1].code, STX_H);
        assert_eq!(p[target - 1].off, UDP_SPORT);
        assert_eq!(p[target + 2].imm, BPF_FUNC_REDIRECT);
    }
}
