//! The syscalls behind AF_PACKET ports, one small wrapper each: sockets,
//! socket options, `mmap`, interface ioctls. Nothing here knows about
//! rings or packets; every `unsafe` block of the backend outside the ring
//! walks (`rx.rs`, `tx.rs`) is in this file.

use std::ffi::c_void;
use std::io;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

/// `ETH_P_ALL`: every protocol, the value `bind` takes to receive all
/// frames of an interface.
pub(super) const ETH_P_ALL: u16 = 0x0003;

/// An interface name as the kernel takes it: at most `IFNAMSIZ - 1` bytes,
/// NUL-terminated.
#[derive(Clone, Copy)]
pub(super) struct IfName([libc::c_char; libc::IFNAMSIZ]);

impl IfName {
    /// `None` when `name` is empty, too long or contains a NUL.
    pub(super) fn new(name: &str) -> Option<Self> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return None;
        }
        let mut out = [0 as libc::c_char; libc::IFNAMSIZ];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = *b as libc::c_char;
        }
        Some(Self(out))
    }
}

/// The interface index of `name`.
pub(super) fn if_index(name: &IfName) -> io::Result<u32> {
    // SAFETY: `name.0` is NUL-terminated (IfName::new leaves at least one
    // trailing zero) and lives across the call; the kernel only reads it.
    let index = unsafe { libc::if_nametoindex(name.0.as_ptr()) };
    if index == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(index)
}

/// A raw packet socket (`SOCK_RAW`: frames with their Ethernet header).
/// `protocol` 0 receives nothing until bound with a protocol, which lets a
/// receive ring be set up before frames start to arrive, and keeps a
/// transmit-only socket from receiving at all.
pub(super) fn packet_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket(2) with constant arguments has no memory effects; it
    // returns a new descriptor or -1.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A datagram socket, only for interface ioctls.
fn ioctl_socket() -> io::Result<OwnedFd> {
    // SAFETY: as in `packet_socket`.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `setsockopt(fd, SOL_PACKET, name, value)`. `T` must be the plain C
/// struct or integer the option expects.
pub(super) fn set_packet_option<T: Copy>(
    fd: &OwnedFd,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the length passed; the kernel
    // copies it in and keeps no pointer.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            name,
            (value as *const T).cast::<c_void>(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `getsockopt(fd, SOL_PACKET, name)` into a zeroed `T` (a plain C struct
/// for which all-zero bytes are valid).
pub(super) fn get_packet_option<T: Copy>(fd: &OwnedFd, name: libc::c_int) -> io::Result<T> {
    let mut value = MaybeUninit::<T>::zeroed();
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is writable for `len` bytes; the kernel writes at most
    // `len` bytes and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            name,
            value.as_mut_ptr().cast::<c_void>(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the callers' `T` are C structs of integers, valid when zeroed
    // and when (partly) written by the kernel.
    Ok(unsafe { value.assume_init() })
}

/// Binds `fd` to interface `ifindex` for `protocol` (host order; 0: send
/// only).
pub(super) fn bind(fd: &OwnedFd, ifindex: u32, protocol: u16) -> io::Result<()> {
    // SAFETY: sockaddr_ll is a C struct of integers: all-zero is valid.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = protocol.to_be();
    addr.sll_ifindex = ifindex as i32;
    // SAFETY: `addr` is a live sockaddr_ll and the length passed is its
    // size; the kernel copies it in.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Asks the kernel to transmit every frame marked `TP_STATUS_SEND_REQUEST`
/// in the socket's TX ring, without waiting for them to leave.
#[inline]
pub(super) fn kick(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: a zero-length send with a null buffer is how a packet TX ring
    // is flushed (packet_mmap.rst); the kernel reads the ring, not the
    // buffer.
    let rc = unsafe { libc::send(fd.as_raw_fd(), std::ptr::null(), 0, libc::MSG_DONTWAIT) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A shared mapping of a packet socket's ring(s), unmapped on drop.
pub(super) struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mmap {
    /// Maps `len` bytes of the ring configured on `fd`.
    pub(super) fn ring(fd: &OwnedFd, len: usize) -> io::Result<Self> {
        // SAFETY: a fresh shared mapping at an address the kernel chooses:
        // it aliases no Rust object. (Ring pages are kernel memory and stay
        // resident; no MAP_LOCKED, which would count against RLIMIT_MEMLOCK.)
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr =
            NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Self { ptr, len })
    }

    /// Start of the mapping.
    #[inline]
    pub(super) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length in bytes.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned and nothing
        // refers into the mapping once its owner (a queue) is dropped.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast::<c_void>(), self.len);
        }
    }
}

// SAFETY: the mapping is plain memory shared with the kernel; the queue
// owning it is the only user-space code touching it, from whichever
// thread owns the queue.
unsafe impl Send for Mmap {}

/// The system page size.
pub(super) fn page_size() -> usize {
    // SAFETY: sysconf has no memory effects.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|n| *n > 0).unwrap_or(4096)
}

/// What `SIOCGIF*` report about an interface.
pub(super) struct IfState {
    pub(super) flags: u32,
    pub(super) mtu: u32,
    pub(super) mac: [u8; 6],
    pub(super) hw_type: u16,
}

/// Flags, MTU and hardware address of `name`, in the calling thread's
/// network namespace.
pub(super) fn if_state(name: &IfName) -> io::Result<IfState> {
    if_state_via(&ioctl_socket()?, name)
}

/// Flags, MTU and hardware address of `name`, in the network namespace of
/// socket `sock` (packet sockets pass these ioctls on to the inet code,
/// which looks the name up in the socket's namespace).
pub(super) fn if_state_via(sock: &OwnedFd, name: &IfName) -> io::Result<IfState> {
    let ioctl = |request: libc::c_ulong| -> io::Result<libc::ifreq> {
        // SAFETY: ifreq is a C struct of integers and a union of them: the
        // all-zero value is valid.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        req.ifr_name = name.0;
        // SAFETY: `req` is a live ifreq whose name is NUL-terminated; the
        // SIOCGIF* requests used here write only inside it.
        let rc =
            unsafe { libc::ioctl(sock.as_raw_fd(), request as _, &mut req as *mut libc::ifreq) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(req)
    };
    let flags = ioctl(libc::SIOCGIFFLAGS)?;
    let mtu = ioctl(libc::SIOCGIFMTU)?;
    let hw = ioctl(libc::SIOCGIFHWADDR)?;
    // SAFETY: each union field read is the one its request filled in;
    // all are plain integers.
    let (flags, mtu, hwaddr) = unsafe {
        (
            flags.ifr_ifru.ifru_flags,
            mtu.ifr_ifru.ifru_mtu,
            hw.ifr_ifru.ifru_hwaddr,
        )
    };
    let mut mac = [0u8; 6];
    for (m, b) in mac.iter_mut().zip(hwaddr.sa_data.iter()) {
        *m = *b as u8;
    }
    Ok(IfState {
        flags: u32::from(flags as u16),
        mtu: u32::try_from(mtu).unwrap_or(0),
        mac,
        hw_type: hwaddr.sa_family,
    })
}
