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
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_LINK_CREATE: libc::c_long = 28;
const BPF_MAP_TYPE_XSKMAP: u32 = 17;
const BPF_PROG_TYPE_XDP: u32 = 6;
const BPF_XDP: u32 = 37;
const BPF_PSEUDO_MAP_FD: u8 = 1;
const BPF_FUNC_REDIRECT_MAP: i32 = 51;
/// `XDP_FLAGS_SKB_MODE` (`linux/if_link.h`).
pub(super) const XDP_FLAGS_SKB_MODE: u32 = 1 << 1;
/// `XDP_FLAGS_DRV_MODE`.
pub(super) const XDP_FLAGS_DRV_MODE: u32 = 1 << 2;
const XDP_PASS: i32 = 2;
/// Offsets in `struct xdp_md`.
const XDP_MD_DATA: i16 = 0;
const XDP_MD_DATA_END: i16 = 4;
const XDP_MD_RX_QUEUE_INDEX: i16 = 16;

/// One eBPF instruction (`struct bpf_insn`).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Insn {
    code: u8,
    /// dst in the low nibble, src in the high one.
    regs: u8,
    off: i16,
    imm: i32,
}

const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

// Opcodes used (class | size/op | source).
/// `dst = *(u32 *)(src + off)`
const LDX_W: u8 = 0x61;
/// `dst = *(u16 *)(src + off)`
const LDX_H: u8 = 0x69;
/// `dst = *(u8 *)(src + off)`
const LDX_B: u8 = 0x71;
/// `dst = imm64` (two slots)
const LD_DW_IMM: u8 = 0x18;
/// `dst = src` (64-bit)
const MOV64_X: u8 = 0xbf;
/// `dst = imm` (64-bit)
const MOV64_K: u8 = 0xb7;
/// `dst += imm` (64-bit)
const ADD64_K: u8 = 0x07;
/// `if dst > src goto +off`
const JGT_X: u8 = 0x2d;
/// `if dst & imm goto +off`
const JSET_K: u8 = 0x45;
/// `if (u32)dst != imm goto +off`
const JNE32_K: u8 = 0x56;
const CALL: u8 = 0x85;
const EXIT: u8 = 0x95;

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

fn bpf(cmd: libc::c_long, attr: &mut [u64]) -> io::Result<OwnedFd> {
    // SAFETY: `attr` is a zero-padded `union bpf_attr` prefix of the
    // given size, valid for the call; the kernel reads (and for some
    // commands writes) only within it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.as_mut_ptr(),
            std::mem::size_of_val(attr) as libc::c_uint,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the commands used here return a new descriptor we now own
    // (MAP_UPDATE_ELEM returns 0, which `update` does not wrap).
    Ok(unsafe { OwnedFd::from_raw_fd(r as i32) })
}

fn lo_hi(a: u32, b: u32) -> u64 {
    u64::from(a) | (u64::from(b) << 32)
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
        let mut attr = [0u64; 4];
        attr[0] = lo_hi(BPF_MAP_TYPE_XSKMAP, 4); // map_type, key_size
        attr[1] = lo_hi(4, queues.max(1)); // value_size, max_entries
        let map = bpf(BPF_MAP_CREATE, &mut attr).map_err(|e| ("creating the XSKMAP", e))?;
        let insns = program(map.as_raw_fd(), router_mac);
        let license = c"GPL";
        let mut log = vec![0u8; 64 * 1024];
        // prog_type, insn_cnt, insns, license, log_level/size, log_buf,
        // kern_version/prog_flags, prog_name[16], prog_ifindex /
        // expected_attach_type.
        let mut attr = [0u64; 10];
        attr[0] = lo_hi(BPF_PROG_TYPE_XDP, insns.len() as u32);
        attr[1] = insns.as_ptr() as u64;
        attr[2] = license.as_ptr() as u64;
        attr[3] = lo_hi(1, log.len() as u32);
        attr[4] = log.as_mut_ptr() as u64;
        let name = *b"silkroute_xsk\0\0\0";
        attr[6] = u64::from_le_bytes([
            name[0], name[1], name[2], name[3], name[4], name[5], name[6], name[7],
        ]);
        attr[7] = u64::from_le_bytes([
            name[8], name[9], name[10], name[11], name[12], name[13], name[14], name[15],
        ]);
        attr[8] = lo_hi(0, BPF_XDP);
        let prog = bpf(BPF_PROG_LOAD, &mut attr).map_err(|e| {
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]);
            tracing::error!("XDP program refused by the verifier:\n{text}");
            ("loading the XDP program", e)
        })?;
        // prog_fd, target_ifindex, attach_type, flags.
        let mut attr = [0u64; 2];
        attr[0] = lo_hi(prog.as_raw_fd() as u32, ifindex);
        attr[1] = lo_hi(BPF_XDP, flags);
        let link = bpf(BPF_LINK_CREATE, &mut attr).map_err(|e| ("attaching the XDP program", e))?;
        Ok(Self {
            map,
            _prog: prog,
            _link: link,
        })
    }

    /// Points queue `queue`'s map entry at socket `xsk`.
    pub(super) fn register(&self, queue: u32, xsk: i32) -> io::Result<()> {
        let key = queue;
        let value = xsk as u32;
        // map_fd, key ptr, value ptr, flags (BPF_ANY).
        let mut attr = [0u64; 4];
        attr[0] = u64::from(self.map.as_raw_fd() as u32);
        attr[1] = &key as *const u32 as u64;
        attr[2] = &value as *const u32 as u64;
        // SAFETY: as in `bpf`; the key and value outlive the call.
        let r = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_MAP_UPDATE_ELEM,
                attr.as_mut_ptr(),
                std::mem::size_of_val(&attr) as libc::c_uint,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
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
