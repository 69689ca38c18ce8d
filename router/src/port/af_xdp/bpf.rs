//! The `bpf(2)` calls silkroute makes, without libbpf or an object file:
//! eBPF instructions written out in Rust, XDP program loading and
//! attaching (a BPF link), the XSKMAP, and running a program on live
//! frames (`BPF_PROG_RUN` with `BPF_F_TEST_XDP_LIVE_FRAMES`, the
//! in-kernel packet generator of `benches/src/bin/xdpgen.rs`).
//!
//! Every `unsafe` block of the AF_XDP control path is here: each call
//! passes a zero-padded `union bpf_attr` prefix built in this module,
//! whose pointers (instructions, license, log, key, value, packet) are
//! borrowed from the caller for the duration of the call.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TEST_RUN: libc::c_long = 10;
const BPF_LINK_CREATE: libc::c_long = 28;
const BPF_MAP_TYPE_XSKMAP: u32 = 17;
const BPF_PROG_TYPE_XDP: u32 = 6;
const BPF_XDP: u32 = 37;
/// `BPF_F_TEST_XDP_LIVE_FRAMES` (Linux 5.18+): frames the program
/// redirects are really transmitted.
const BPF_F_TEST_XDP_LIVE_FRAMES: u32 = 1 << 1;

/// `src_reg` of a `LD_DW_IMM` whose immediate is a map descriptor.
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// Helper `bpf_get_prandom_u32()`.
pub const BPF_FUNC_GET_PRANDOM_U32: i32 = 7;
/// Helper `bpf_redirect(ifindex, flags)`.
pub const BPF_FUNC_REDIRECT: i32 = 23;
/// Helper `bpf_redirect_map(map, key, flags)`.
pub const BPF_FUNC_REDIRECT_MAP: i32 = 51;
/// `XDP_PASS`.
pub const XDP_PASS: i32 = 2;
/// Offsets in `struct xdp_md`.
pub const XDP_MD_DATA: i16 = 0;
/// `xdp_md.data_end`.
pub const XDP_MD_DATA_END: i16 = 4;
/// `xdp_md.rx_queue_index`.
pub const XDP_MD_RX_QUEUE_INDEX: i16 = 16;

/// One eBPF instruction (`struct bpf_insn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Insn {
    /// Opcode (class | size/op | source).
    pub code: u8,
    /// dst in the low nibble, src in the high one.
    pub regs: u8,
    /// Offset (memory access, jump).
    pub off: i16,
    /// Immediate.
    pub imm: i32,
}

/// An instruction from its fields.
pub const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

// Opcodes used (class | size/op | source).
/// `dst = *(u32 *)(src + off)`
pub const LDX_W: u8 = 0x61;
/// `dst = *(u16 *)(src + off)`
pub const LDX_H: u8 = 0x69;
/// `dst = *(u8 *)(src + off)`
pub const LDX_B: u8 = 0x71;
/// `*(u16 *)(dst + off) = src`
pub const STX_H: u8 = 0x6b;
/// `*(u64 *)(dst + off) = src`
pub const STX_DW: u8 = 0x7b;
/// `*(u16 *)(dst + off) = imm`
pub const ST_H: u8 = 0x6a;
/// `dst = imm64` (two slots)
pub const LD_DW_IMM: u8 = 0x18;
/// `dst = src` (64-bit)
pub const MOV64_X: u8 = 0xbf;
/// `dst = imm` (64-bit)
pub const MOV64_K: u8 = 0xb7;
/// `dst += imm` (64-bit)
pub const ADD64_K: u8 = 0x07;
/// `dst %= imm` (64-bit, unsigned)
pub const MOD64_K: u8 = 0x97;
/// `dst = htobe<imm>(dst)` (imm: 16, 32 or 64)
pub const TO_BE: u8 = 0xdc;
/// `if dst > src goto +off`
pub const JGT_X: u8 = 0x2d;
/// `if dst & imm goto +off`
pub const JSET_K: u8 = 0x45;
/// `if (u32)dst != imm goto +off`
pub const JNE32_K: u8 = 0x56;
/// `r0 = helper imm(r1..r5)`
pub const CALL: u8 = 0x85;
/// `return r0`
pub const EXIT: u8 = 0x95;

fn bpf(cmd: libc::c_long, attr: &mut [u64]) -> io::Result<libc::c_long> {
    // SAFETY: `attr` is a zero-padded `union bpf_attr` prefix of the
    // given size, built by this module's callers below; the pointers in
    // it are borrowed by those callers for the call. The kernel reads
    // (and for some commands writes) only within it and those buffers.
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
    Ok(r)
}

/// For the commands that return a new descriptor.
fn bpf_fd(cmd: libc::c_long, attr: &mut [u64]) -> io::Result<OwnedFd> {
    let fd = bpf(cmd, attr)?;
    // SAFETY: MAP_CREATE, PROG_LOAD and LINK_CREATE return a new
    // descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn lo_hi(a: u32, b: u32) -> u64 {
    u64::from(a) | (u64::from(b) << 32)
}

/// An XSKMAP of `entries` u32 keys.
pub(super) fn create_xskmap(entries: u32) -> io::Result<OwnedFd> {
    let mut attr = [0u64; 4];
    attr[0] = lo_hi(BPF_MAP_TYPE_XSKMAP, 4); // map_type, key_size
    attr[1] = lo_hi(4, entries.max(1)); // value_size, max_entries
    bpf_fd(BPF_MAP_CREATE, &mut attr)
}

/// `map[key] = value` (u32 key and value, `BPF_ANY`).
pub(super) fn map_update_u32(map: &OwnedFd, key: u32, value: u32) -> io::Result<()> {
    // map_fd, key ptr, value ptr, flags.
    let mut attr = [0u64; 4];
    attr[0] = u64::from(map.as_raw_fd() as u32);
    attr[1] = &key as *const u32 as u64;
    attr[2] = &value as *const u32 as u64;
    bpf(BPF_MAP_UPDATE_ELEM, &mut attr).map(|_| ())
}

/// Loads an XDP program (GPL); `name` is cut to 15 bytes. On refusal,
/// the error comes with the verifier's log.
pub fn load_xdp(insns: &[Insn], name: &str) -> Result<OwnedFd, (io::Error, String)> {
    let license = c"GPL";
    let mut log = vec![0u8; 64 * 1024];
    let mut pname = [0u8; 16];
    for (d, s) in pname.iter_mut().zip(name.bytes().take(15)) {
        *d = s;
    }
    // prog_type, insn_cnt, insns, license, log_level/size, log_buf,
    // kern_version/prog_flags, prog_name[16], prog_ifindex /
    // expected_attach_type.
    let mut attr = [0u64; 10];
    attr[0] = lo_hi(BPF_PROG_TYPE_XDP, insns.len() as u32);
    attr[1] = insns.as_ptr() as u64;
    attr[2] = license.as_ptr() as u64;
    attr[3] = lo_hi(1, log.len() as u32);
    attr[4] = log.as_mut_ptr() as u64;
    let (a, b) = pname.split_at(8);
    attr[6] = u64::from_le_bytes(a.try_into().unwrap_or_default());
    attr[7] = u64::from_le_bytes(b.try_into().unwrap_or_default());
    attr[8] = lo_hi(0, BPF_XDP);
    bpf_fd(BPF_PROG_LOAD, &mut attr).map_err(|e| {
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        (e, String::from_utf8_lossy(&log[..end]).into_owned())
    })
}

/// Attaches `prog` to `ifindex` with `flags` (`XDP_FLAGS_*`) through a
/// BPF link: detached when the returned descriptor closes.
pub(super) fn attach_xdp(prog: &OwnedFd, ifindex: u32, flags: u32) -> io::Result<OwnedFd> {
    // prog_fd, target_ifindex, attach_type, flags.
    let mut attr = [0u64; 2];
    attr[0] = lo_hi(prog.as_raw_fd() as u32, ifindex);
    attr[1] = lo_hi(BPF_XDP, flags);
    bpf_fd(BPF_LINK_CREATE, &mut attr)
}

/// Runs the XDP program `prog` `repeat` times on copies of `frame` in
/// live-frames mode (Linux 5.18+), on the calling CPU, in batches of
/// `batch` (1..=256) frames: frames the program redirects are
/// transmitted, as if received on the loopback device of the caller's
/// network namespace. Changes the program makes to a frame stay in its
/// page, which is recycled. Returns early with `Interrupted` on a
/// signal.
pub fn run_xdp_live(prog: &OwnedFd, frame: &[u8], repeat: u32, batch: u32) -> io::Result<()> {
    // prog_fd/retval, data_size_in/out, data_in, data_out,
    // repeat/duration, ctx_size_in/out, ctx_in, ctx_out, flags/cpu,
    // batch_size.
    let mut attr = [0u64; 10];
    attr[0] = u64::from(prog.as_raw_fd() as u32);
    attr[1] = u64::from(frame.len() as u32);
    attr[2] = frame.as_ptr() as u64;
    attr[4] = u64::from(repeat);
    attr[8] = u64::from(BPF_F_TEST_XDP_LIVE_FRAMES);
    attr[9] = u64::from(batch);
    bpf(BPF_PROG_TEST_RUN, &mut attr).map(|_| ())
}
