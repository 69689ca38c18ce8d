//! AF_XDP socket system calls: create, register the UMEM, size and map
//! the rings, bind, kick, read statistics.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::ring::Ring;
use super::umem::{Umem, FRAME_SIZE};

/// A socket and its four rings, mapped and bound.
#[derive(Debug)]
pub(super) struct Xsk {
    pub fd: OwnedFd,
    pub rx: Ring<libc::xdp_desc>,
    pub tx: Ring<libc::xdp_desc>,
    pub fill: Ring<u64>,
    pub comp: Ring<u64>,
}

fn setsockopt<T>(fd: &OwnedFd, opt: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live `T` of the size passed; the kernel copies it.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_XDP,
            opt,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn getsockopt<T: Copy>(fd: &OwnedFd, opt: libc::c_int, mut value: T) -> io::Result<T> {
    let mut len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a writable `T` of `len` bytes; the kernel writes
    // at most `len` bytes.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_XDP,
            opt,
            (&mut value as *mut T).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

/// Which step failed, for the error message.
pub(super) type Step = &'static str;

impl Xsk {
    /// Creates a socket on `ifindex`/`queue` with rings of `ring_size`
    /// entries. With `shared: None` it registers `umem` and binds with
    /// `bind_flags`; with `shared: Some(first)` it shares the UMEM
    /// registered on `first` (its own fill and completion rings, the
    /// first socket's copy/zero-copy and wakeup flags).
    pub(super) fn open(
        umem: &Umem,
        shared: Option<&OwnedFd>,
        ifindex: u32,
        queue: u32,
        ring_size: u32,
        bind_flags: u16,
    ) -> Result<Self, (Step, io::Error)> {
        // SAFETY: plain socket(2); the result is checked and owned below.
        let raw = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(("creating the AF_XDP socket", io::Error::last_os_error()));
        }
        // SAFETY: a new descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if shared.is_none() {
            // SAFETY: all-zero is a valid `xdp_umem_reg` (plain integers).
            let mut reg: libc::xdp_umem_reg = unsafe { std::mem::zeroed() };
            reg.addr = umem.addr();
            reg.len = umem.len();
            reg.chunk_size = FRAME_SIZE;
            setsockopt(&fd, libc::XDP_UMEM_REG, &reg).map_err(|e| ("registering the UMEM", e))?;
        }
        let size = ring_size as libc::c_int;
        for (opt, what) in [
            (libc::XDP_UMEM_FILL_RING, "sizing the fill ring"),
            (libc::XDP_UMEM_COMPLETION_RING, "sizing the completion ring"),
            (libc::XDP_RX_RING, "sizing the rx ring"),
            (libc::XDP_TX_RING, "sizing the tx ring"),
        ] {
            setsockopt(&fd, opt, &size).map_err(|e| (what, e))?;
        }
        // SAFETY: all-zero is a valid `xdp_mmap_offsets`.
        let off: libc::xdp_mmap_offsets =
            getsockopt(&fd, libc::XDP_MMAP_OFFSETS, unsafe { std::mem::zeroed() })
                .map_err(|e| ("reading the ring offsets", e))?;
        // Rings are mapped before bind: the kernel refuses it after.
        let map_err = |e| ("mapping the rings", e);
        let rx =
            Ring::map(&fd, libc::XDP_PGOFF_RX_RING as u64, &off.rx, ring_size).map_err(map_err)?;
        let tx =
            Ring::map(&fd, libc::XDP_PGOFF_TX_RING as u64, &off.tx, ring_size).map_err(map_err)?;
        let fill =
            Ring::map(&fd, libc::XDP_UMEM_PGOFF_FILL_RING, &off.fr, ring_size).map_err(map_err)?;
        let comp = Ring::map(
            &fd,
            libc::XDP_UMEM_PGOFF_COMPLETION_RING,
            &off.cr,
            ring_size,
        )
        .map_err(map_err)?;
        // SAFETY: all-zero is a valid `sockaddr_xdp`.
        let mut sa: libc::sockaddr_xdp = unsafe { std::mem::zeroed() };
        sa.sxdp_family = libc::AF_XDP as u16;
        sa.sxdp_ifindex = ifindex;
        sa.sxdp_queue_id = queue;
        match shared {
            Some(first) => {
                sa.sxdp_flags = libc::XDP_SHARED_UMEM;
                sa.sxdp_shared_umem_fd = first.as_raw_fd() as u32;
            }
            None => sa.sxdp_flags = bind_flags,
        }
        // SAFETY: `sa` is a valid `sockaddr_xdp` of the length passed.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_xdp).cast(),
                std::mem::size_of::<libc::sockaddr_xdp>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(("binding the socket", io::Error::last_os_error()));
        }
        Ok(Self {
            fd,
            rx,
            tx,
            fill,
            comp,
        })
    }
}

/// True when the bound socket runs in zero-copy mode (`XDP_OPTIONS`).
pub(super) fn is_zero_copy(fd: &OwnedFd) -> bool {
    getsockopt(fd, libc::XDP_OPTIONS, libc::xdp_options { flags: 0 })
        .is_ok_and(|o| o.flags & libc::XDP_OPTIONS_ZEROCOPY != 0)
}

/// Frames the kernel dropped for this socket: no fill-ring entry, rx ring
/// full, or invalid descriptors.
pub(super) fn dropped(fd: &OwnedFd) -> u64 {
    // SAFETY: all-zero is a valid `xdp_statistics`.
    let zero: libc::xdp_statistics = unsafe { std::mem::zeroed() };
    getsockopt(fd, libc::XDP_STATISTICS, zero).map_or(0, |s| {
        s.rx_dropped + s.rx_invalid_descs + s.rx_ring_full + s.tx_invalid_descs
    })
}

/// Asks the kernel to transmit what the tx ring holds (copy mode sends
/// during this call). `EAGAIN`, `EBUSY` and `ENOBUFS` mean "try again
/// later" and are not errors.
#[inline]
pub(super) fn kick_tx(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: a zero-length send with no buffer and no address.
    let r = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            std::ptr::null(),
            0,
            libc::MSG_DONTWAIT,
            std::ptr::null(),
            0,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN | libc::EBUSY | libc::ENOBUFS) => Ok(()),
            _ => Err(e),
        };
    }
    Ok(())
}

/// Wakes the receive side after the fill ring ran dry.
#[inline]
pub(super) fn kick_rx(fd: &OwnedFd) {
    // SAFETY: a zero-length receive with no buffer and no address.
    unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            std::ptr::null_mut(),
            0,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
    }
}
