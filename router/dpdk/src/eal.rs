//! The DPDK Environment Abstraction Layer: initialised once per process.

use std::ffi::{c_char, c_int, CString};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{last_errno, strerror, DpdkError};

/// Set by the first [`Eal::init`]: DPDK cannot initialise twice in a process,
/// not even after `rte_eal_cleanup`.
static INITIALISED: AtomicBool = AtomicBool::new(false);

/// Program name passed as `argv[0]` (DPDK parses from `argv[1]`).
const ARGV0: &str = "silkroute";

/// Proof that the EAL is initialised; `rte_eal_cleanup` runs on drop.
///
/// Tables borrow it and ports, mempools and registered threads hold an
/// `Arc` of it, so none outlives the cleanup. `rte_eal_init` pins the
/// calling thread to the first lcore of `-l`.
#[derive(Debug)]
pub struct Eal {
    _private: (),
}

/// The EAL command line silkroute builds from its `dpdk:` config section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EalOptions {
    /// `-l`: the lcores the EAL knows (the first becomes the main lcore).
    pub cores: Vec<usize>,
    /// `-m`: megabytes of memory to reserve (`None`: DPDK's default).
    pub memory_mb: Option<u32>,
    /// `--no-huge`: anonymous memory instead of hugepages.
    pub no_huge: bool,
    /// `-a`: PCI devices to probe.
    pub allow: Vec<String>,
    /// `--no-pci`: probe no PCI device.
    pub no_pci: bool,
    /// `--vdev`: virtual devices to create.
    pub vdevs: Vec<String>,
    /// `--file-prefix`: name of this process's runtime files, so several
    /// DPDK processes can run side by side.
    pub file_prefix: String,
    /// Appended verbatim.
    pub extra_args: Vec<String>,
}

impl EalOptions {
    /// The arguments for [`Eal::init`].
    pub fn args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if !self.cores.is_empty() {
            let list: Vec<String> = self.cores.iter().map(ToString::to_string).collect();
            a.extend(["-l".to_owned(), list.join(",")]);
        }
        if let Some(mb) = self.memory_mb {
            a.extend(["-m".to_owned(), mb.to_string()]);
        }
        if self.no_huge {
            a.push("--no-huge".to_owned());
        }
        if self.no_pci {
            a.push("--no-pci".to_owned());
        }
        for dev in &self.allow {
            a.extend(["-a".to_owned(), dev.clone()]);
        }
        for vdev in &self.vdevs {
            a.extend(["--vdev".to_owned(), vdev.clone()]);
        }
        if !self.file_prefix.is_empty() {
            a.extend(["--file-prefix".to_owned(), self.file_prefix.clone()]);
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

/// A thread registered with the EAL (`rte_thread_register`): it has an
/// lcore id, so mempools give it a per-lcore cache. Unregistered on drop.
/// Stays on the thread that registered.
#[derive(Debug)]
pub struct ThreadRegistration {
    lcore: u32,
    _eal: Arc<Eal>,
    _not_send: PhantomData<*const ()>,
}

impl ThreadRegistration {
    /// Registers the calling thread.
    pub fn register(eal: &Arc<Eal>) -> Result<ThreadRegistration, DpdkError> {
        // SAFETY: the EAL is initialised (we hold it); registering an
        // ordinary thread has no other precondition.
        let ret = unsafe { silkroute_dpdk_sys::rte_thread_register() };
        if ret != 0 {
            let errno = last_errno();
            return Err(DpdkError::ThreadRegister {
                errno,
                reason: strerror(errno),
            });
        }
        Ok(ThreadRegistration {
            lcore: lcore_id(),
            _eal: Arc::clone(eal),
            _not_send: PhantomData,
        })
    }

    /// The lcore id DPDK gave the thread.
    pub fn lcore(&self) -> u32 {
        self.lcore
    }
}

impl Drop for ThreadRegistration {
    fn drop(&mut self) {
        // SAFETY: runs on the registered thread (the type is not Send).
        unsafe { silkroute_dpdk_sys::rte_thread_unregister() }
    }
}

/// The calling thread's lcore id (`u32::MAX`, LCORE_ID_ANY, when it has
/// none).
pub fn lcore_id() -> u32 {
    // SAFETY: reads a thread-local; no preconditions.
    unsafe { silkroute_dpdk_sys::silkroute_shim_rte_lcore_id() }
}

impl Eal {
    /// Runs `rte_eal_init` with `args` (EAL options, without a program name),
    /// e.g. `["--no-huge", "-m", "2048", "--no-pci", "-l", "0"]`.
    ///
    /// The calling thread becomes the main lcore (DPDK pins it to the first
    /// core of `-l`). Wrap the result in an `Arc` to open ports.
    pub fn init(args: &[&str]) -> Result<Eal, DpdkError> {
        let mut owned = Vec::with_capacity(args.len() + 1);
        for arg in std::iter::once(&ARGV0).chain(args) {
            owned.push(CString::new(*arg).map_err(|_| DpdkError::EalArgument((*arg).to_owned()))?);
        }
        if INITIALISED.swap(true, Ordering::SeqCst) {
            return Err(DpdkError::EalAlreadyInitialized);
        }
        // DPDK may keep pointers into argv (it reorders it and some options
        // are referenced later), so the strings live for the whole process:
        // a few bytes, once.
        let mut argv: Vec<*mut c_char> = owned.into_iter().map(CString::into_raw).collect();
        let argc = c_int::try_from(argv.len()).map_err(|_| DpdkError::ConfigOverflow {
            what: "EAL argument count",
            value: argv.len(),
        })?;
        let argv_ptr = argv.as_mut_ptr();
        std::mem::forget(argv);
        // SAFETY: argv holds argc valid NUL-terminated strings that are never
        // freed, in an array that is never freed; INITIALISED guarantees this
        // is the only call in the process.
        let ret = unsafe { silkroute_dpdk_sys::rte_eal_init(argc, argv_ptr) };
        if ret < 0 {
            let errno = last_errno();
            return Err(DpdkError::EalInit {
                errno,
                reason: strerror(errno),
            });
        }
        Ok(Eal { _private: () })
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: the EAL was initialised (an Eal exists only after success)
        // and every table, mempool, port and registered thread borrowed or
        // held this Eal, so all were freed before.
        unsafe {
            silkroute_dpdk_sys::rte_eal_cleanup();
        }
    }
}

/// A process-unique table name: DPDK names every table's memzone and refuses
/// a second table of the same name. Short, as memzone names are limited to
/// 31 bytes including DPDK's own prefixes.
pub(crate) fn unique_name(kind: &str) -> CString {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    CString::new(format!("sr_{kind}{n}")).expect("table names hold no NUL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eal_command_line() {
        let o = EalOptions {
            cores: vec![0, 1],
            memory_mb: Some(512),
            no_huge: true,
            allow: vec![],
            no_pci: true,
            vdevs: vec!["net_pcap0,rx_pcap=in.pcap".into(), "net_ring0".into()],
            file_prefix: "silkroute".into(),
            extra_args: vec!["--log-level=8".into()],
        };
        assert_eq!(
            o.args().join(" "),
            "-l 0,1 -m 512 --no-huge --no-pci --vdev net_pcap0,rx_pcap=in.pcap --vdev net_ring0 --file-prefix silkroute --log-level=8"
        );
        let pci = EalOptions {
            allow: vec!["0000:03:00.0".into(), "0000:03:00.1".into()],
            ..EalOptions::default()
        };
        assert_eq!(pci.args().join(" "), "-a 0000:03:00.0 -a 0000:03:00.1");
    }
}
