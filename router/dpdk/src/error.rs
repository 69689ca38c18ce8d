//! Errors of the DPDK wrappers, named after the call that failed, with
//! DPDK's own text for the error number (`rte_strerror`).

use std::ffi::CStr;

/// A DPDK call failed.
#[derive(Debug, thiserror::Error)]
pub enum DpdkError {
    /// `rte_eal_init` returned an error.
    #[error("rte_eal_init failed: {reason} (rte_errno {errno})")]
    EalInit { errno: i32, reason: String },
    /// `rte_eal_init` was already called in this process (DPDK allows one).
    #[error("the DPDK EAL is already initialised in this process")]
    EalAlreadyInitialized,
    /// An EAL argument holds a NUL byte.
    #[error("EAL argument {0:?} contains a NUL byte")]
    EalArgument(String),
    /// A table create call (`rte_lpm_create`, `rte_fib_create`, ...) failed.
    #[error("{call} failed: {reason} (rte_errno {errno})")]
    TableCreate {
        call: &'static str,
        errno: i32,
        reason: String,
    },
    /// A route add call (`rte_lpm_add`, ...) failed.
    #[error("{call} of route {route} failed: {reason} ({errno})")]
    RouteAdd {
        call: &'static str,
        route: String,
        errno: i32,
        reason: String,
    },
    /// No probed device has the name a port asks for.
    #[error("no DPDK device named {device} (devices probed: {}): a vdev whose probe failed is reported in the EAL log above; a PCI device must be bound to a DPDK driver (vfio-pci) and allowed", if probed.is_empty() { "none".to_owned() } else { probed.join(", ") })]
    NoDevice { device: String, probed: Vec<String> },
    /// The device is already started by this process.
    #[error("DPDK device {0} is already in use in this process")]
    DeviceInUse(String),
    /// An `rte_eth_*` call on a device failed.
    #[error("{call} on {device} failed: {reason} (errno {errno})")]
    Eth {
        call: &'static str,
        device: String,
        errno: i32,
        reason: String,
    },
    /// More queues asked for than the device has.
    #[error("{device} ({driver}) has at most {max} {what}, {asked} asked for")]
    QueueLimit {
        device: String,
        driver: String,
        what: &'static str,
        asked: u16,
        max: u16,
    },
    /// The MTU is outside what the device accepts.
    #[error("{device} accepts an MTU in {min}..={max}, not {mtu}")]
    Mtu {
        device: String,
        mtu: u16,
        min: u16,
        max: u16,
    },
    /// `rte_pktmbuf_pool_create` failed.
    #[error("rte_pktmbuf_pool_create of {mbufs} mbufs x {data_room} bytes failed: {reason} (rte_errno {errno}); give the EAL more memory (dpdk.memory_mb) or the port fewer mbufs")]
    MempoolCreate {
        mbufs: u32,
        data_room: u16,
        errno: i32,
        reason: String,
    },
    /// `rte_thread_register` failed.
    #[error("rte_thread_register failed: {reason} (rte_errno {errno})")]
    ThreadRegister { errno: i32, reason: String },
    /// A table config value does not fit DPDK's types.
    #[error("{what} = {value} does not fit DPDK's table configuration")]
    ConfigOverflow { what: &'static str, value: usize },
}

/// `rte_strerror(errno)`: DPDK's text for a libc or DPDK error number.
pub(crate) fn strerror(errno: i32) -> String {
    // SAFETY: rte_strerror accepts any number and returns a pointer to a
    // NUL-terminated string (a static one, or a per-thread buffer valid until
    // the next call on this thread), which is copied out at once.
    let text = unsafe { CStr::from_ptr(silkroute_dpdk_sys::rte_strerror(errno)) };
    text.to_string_lossy().into_owned()
}

/// The calling thread's `rte_errno`.
pub(crate) fn last_errno() -> i32 {
    // SAFETY: reads a thread-local int; no arguments, no preconditions.
    unsafe { silkroute_dpdk_sys::silkroute_shim_rte_errno() }
}

/// A create call returned NULL: the error from `rte_errno`.
pub(crate) fn create_failed(call: &'static str) -> DpdkError {
    let errno = last_errno();
    DpdkError::TableCreate {
        call,
        errno,
        reason: strerror(errno),
    }
}

/// An add call returned `ret < 0` (a negated errno).
pub(crate) fn add_failed(call: &'static str, route: String, ret: i32) -> DpdkError {
    DpdkError::RouteAdd {
        call,
        route,
        errno: -ret,
        reason: strerror(-ret),
    }
}
