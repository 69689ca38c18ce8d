//! The XDP program that hands frames to the AF_XDP sockets, and its
//! XSKMAP, loaded and attached by silkroute itself with the `bpf(2)`
//! syscall: no compiler, object file or loader library at build or run
//! time.
//!
//! The program is a dozen eBPF instructions, written out below:
//! - default: `return bpf_redirect_map(&xsks, ctx->rx_queue_index,
//!   XDP_PASS)`: every frame goes to the socket of its queue (to the
//!   kernel when no socket is bound there), as libxdp's default program
//!   does;
//! - `pass_to_kernel`: frames whose destination MAC is a group address
//!   (broadcast, multicast: ARP, NDP) or the router's MAC are redirected,
//!   every other frame is passed to the kernel's stack (`XDP_PASS`).
//!
//! It is attached with a BPF link (`BPF_LINK_CREATE`), so it is detached
//! when the last descriptor of the link closes: when the port is dropped,
//! and also when the process dies, whatever the cause.
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use super::bpf::{
    self, insn, Insn, ADD64_K, BPF_FUNC_REDIRECT_MAP, BPF_PSEUDO_MAP_FD, CALL, EXIT, JGT_X,
    JNE32_K, JSET_K, LDX_B, LDX_H, LDX_W, LD_DW_IMM, MOV64_K, MOV64_X, XDP_MD_DATA,
    XDP_MD_DATA_END, XDP_MD_RX_QUEUE_INDEX, XDP_PASS,
};

/// `XDP_FLAGS_SKB_MODE` (`linux/if_link.h`).
pub(super) const XDP_FLAGS_SKB_MODE: u32 = 1 << 1;
/// `XDP_FLAGS_DRV_MODE`.
pub(super) const XDP_FLAGS_DRV_MODE: u32 = 1 << 2;

/// The redirect tail: `return bpf_redirect_map(map, ctx->rx_queue_index,
/// XDP_PASS)` with the context in `ctx`.
fn redirect(map_fd: i32, ctx: u8) -> [Insn; 6] {
    [
        insn(LDX_W, 2, ctx, XDP_MD_RX_QUEUE_INDEX, 0),
        insn(LD_DW_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
        insn(0, 0, 0, 0, 0),
        // The low bits of the flags are the action when the key has no
        // socket (Linux 5.6+).
        insn(MOV64_K, 3, 0, 0, XDP_PASS),
        insn(CALL, 0, 0, 0, BPF_FUNC_REDIRECT_MAP),
        insn(EXIT, 0, 0, 0, 0),
    ]
}

/// The program's instructions; `router_mac`: pass frames for other
/// stations to the kernel.
fn program(map_fd: i32, router_mac: Option<[u8; 6]>) -> Vec<Insn> {
    let Some(mac) = router_mac else {
        return redirect(map_fd, 1).to_vec();
    };
    // Packet loads are little-endian on the hosts we run on (x86, arm64).
    let lo = i32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
    let hi = i32::from(u16::from_le_bytes([mac[4], mac[5]]));
    // Jump offsets count instructions after the jump.
    const TAIL: i16 = 12;
    const PASS: i16 = TAIL + 6;
    let to = |from: i16, target: i16| target - from - 1;
    let mut p = vec![
        /* 0 */ insn(MOV64_X, 6, 1, 0, 0), // r6 = ctx
        /* 1 */ insn(LDX_W, 2, 1, XDP_MD_DATA, 0), // r2 = data
        /* 2 */ insn(LDX_W, 3, 1, XDP_MD_DATA_END, 0), // r3 = data_end
        /* 3 */ insn(MOV64_X, 4, 2, 0, 0), // r4 = data
        /* 4 */ insn(ADD64_K, 4, 0, 0, 6), // r4 += 6
        /* 5 */ insn(JGT_X, 4, 3, to(5, PASS), 0), // no full dst MAC: pass
        /* 6 */ insn(LDX_B, 4, 2, 0, 0), // r4 = dst[0]
        /* 7 */ insn(JSET_K, 4, 0, to(7, TAIL), 1), // group address: redirect
        /* 8 */ insn(LDX_W, 4, 2, 0, 0), // r4 = dst[0..4]
        /* 9 */ insn(JNE32_K, 4, 0, to(9, PASS), lo), // not ours: pass
        /* 10 */ insn(LDX_H, 4, 2, 4, 0), // r4 = dst[4..6]
        /* 11 */ insn(JNE32_K, 4, 0, to(11, PASS), hi), // not ours: pass
    ];
    // TAIL: redirect (the queue index read through the saved ctx).
    p.extend_from_slice(&redirect(map_fd, 6));
    // PASS.
    p.push(insn(MOV64_K, 0, 0, 0, XDP_PASS));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

/// An XSKMAP with the program redirecting to it, attached to an
/// interface; both go away on drop.
#[derive(Debug)]
pub(super) struct XdpProgram {
    map: OwnedFd,
    _prog: OwnedFd,
    _link: OwnedFd,
}

impl XdpProgram {
    /// Creates the map (`queues` entries), loads the program and attaches
    /// it to `ifindex` with `flags` (`XDP_FLAGS_DRV_MODE` or
    /// `XDP_FLAGS_SKB_MODE`).
    pub(super) fn attach(
        ifindex: u32,
        queues: u32,
        flags: u32,
        router_mac: Option<[u8; 6]>,
    ) -> Result<Self, (&'static str, io::Error)> {
        let map = bpf::create_xskmap(queues).map_err(|e| ("creating the XSKMAP", e))?;
        let insns = program(map.as_raw_fd(), router_mac);
        let prog = bpf::load_xdp(&insns, "silkroute_xsk").map_err(|(e, log)| {
            tracing::error!("XDP program refused by the verifier:\n{log}");
            ("loading the XDP program", e)
        })?;
        let link =
            bpf::attach_xdp(&prog, ifindex, flags).map_err(|e| ("attaching the XDP program", e))?;
        Ok(Self {
            map,
            _prog: prog,
            _link: link,
        })
    }

    /// Points queue `queue`'s map entry at socket `xsk`.
    pub(super) fn register(&self, queue: u32, xsk: i32) -> io::Result<()> {
        bpf::map_update_u32(&self.map, queue, xsk as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumps_land_on_the_right_instructions() {
        let p = program(3, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(p.len(), 20);
        let target = |i: usize| (i as i64 + 1 + i64::from(p[i].off)) as usize;
        assert_eq!(target(5), 18); // short frame: pass
        assert_eq!(target(7), 12); // group address: redirect tail
        assert_eq!(target(9), 18);
        assert_eq!(target(11), 18);
        assert_eq!((p[18].code, p[18].imm), (MOV64_K, XDP_PASS));
        assert_eq!(p[12].code, LDX_W);
        assert_eq!(p[12].regs >> 4, 6); // queue index read from the saved ctx
        assert_eq!(p[9].imm, i32::from_le_bytes([2, 0, 0, 0]));
        assert_eq!(p[11].imm, 0x0100);
        assert_eq!(redirect(3, 1).len(), 6);
    }
}
