//! The DPDK Environment Abstraction Layer: initialised once per process.

use std::ffi::{c_char, c_int, CString};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{last_errno, strerror, DpdkError};

/// Set by the first [`Eal::init`]: DPDK cannot initialise twice in a process,
/// not even after `rte_eal_cleanup`.
static INITIALISED: AtomicBool = AtomicBool::new(false);

/// Program name passed as `argv[0]` (DPDK parses from `argv[1]`).
const ARGV0: &str = "silkroute";

/// Proof that the EAL is initialised; `rte_eal_cleanup` runs on drop.
///
/// Tables borrow it, so none outlives the cleanup. It is neither `Send` nor
/// `Sync`: `rte_eal_init` pins the calling thread to the first lcore and the
/// tables keep to that thread.
#[derive(Debug)]
pub struct Eal {
    _not_send: PhantomData<*const ()>,
}

impl Eal {
    /// Runs `rte_eal_init` with `args` (EAL options, without a program name),
    /// e.g. `["--no-huge", "-m", "2048", "--no-pci", "-l", "0"]`.
    ///
    /// The calling thread becomes the main lcore (DPDK pins it to the first
    /// core of `-l`).
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
        Ok(Eal {
            _not_send: PhantomData,
        })
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: the EAL was initialised (an Eal exists only after success)
        // and every table borrowed this Eal, so all were freed before.
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
