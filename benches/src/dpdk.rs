//! DPDK's tables behind [`BatchLookup`], and the EAL options of the run.

use silkroute_dpdk::{DpdkFib4, DpdkFib6, DpdkLpm4, DpdkLpm6};

use crate::structures::BatchLookup;

/// EAL options for this benchmark, after `-l CORE`: no hugepages (DPDK takes
/// its tables from 2 GiB of ordinary memory; the largest run needs ~700 MiB),
/// no PCI scan (no NIC is needed), no telemetry thread, no shared config
/// files (one process), and AVX-512 allowed
/// (DPDK limits itself to 256-bit SIMD on x86 unless told otherwise, which
/// would rule out rte_fib's fastest lookup).
pub const EAL_ARGS: &[&str] = &[
    "--no-huge",
    "-m",
    "2048",
    "--no-pci",
    "--no-telemetry",
    "--no-shconf",
    "--force-max-simd-bitwidth=512",
    "--log-level=*:error",
];

impl BatchLookup<u32> for DpdkLpm4<'_> {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u32], out: &mut [u32]) {
        self.lookup_bulk(keys, out);
    }
    fn decode(&self, out: u32) -> Option<u32> {
        DpdkLpm4::decode(out)
    }
}

impl BatchLookup<u32> for DpdkFib4<'_> {
    type Out = u64;
    #[inline]
    fn lookup_batch(&self, keys: &[u32], out: &mut [u64]) {
        self.lookup_bulk(keys, out);
    }
    fn decode(&self, out: u64) -> Option<u32> {
        DpdkFib4::decode(self, out)
    }
}

impl BatchLookup<[u8; 16]> for DpdkLpm6<'_> {
    type Out = i32;
    #[inline]
    fn lookup_batch(&self, keys: &[[u8; 16]], out: &mut [i32]) {
        self.lookup_bulk(keys, out);
    }
    fn decode(&self, out: i32) -> Option<u32> {
        DpdkLpm6::decode(out)
    }
}

impl BatchLookup<[u8; 16]> for DpdkFib6<'_> {
    type Out = u64;
    #[inline]
    fn lookup_batch(&self, keys: &[[u8; 16]], out: &mut [u64]) {
        self.lookup_bulk(keys, out);
    }
    fn decode(&self, out: u64) -> Option<u32> {
        DpdkFib6::decode(self, out)
    }
}

/// IPv6 keys in DPDK's form (16 bytes, network order), converted once
/// outside the timed loops.
pub fn v6_bytes(keys: &[u128]) -> Vec<[u8; 16]> {
    keys.iter().map(|k| k.to_be_bytes()).collect()
}
