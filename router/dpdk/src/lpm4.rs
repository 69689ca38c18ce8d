//! IPv4: `rte_lpm` (DIR-24-8, bulk lookup through the shim) and `rte_fib`
//! (DIR-24-8 with its fastest lookup function the CPU allows).

use std::marker::PhantomData;
use std::net::Ipv4Addr;
use std::ptr::NonNull;

use silkroute_dpdk_sys as sys;

use crate::eal::{unique_name, Eal};
use crate::error::{add_failed, create_failed, DpdkError};
use crate::heap::allocated_bytes;
use crate::sizing::{headroom, tbl8_groups_v4};

/// `SOCKET_ID_ANY` (`rte_memory.h`, a macro bindgen does not see).
pub(crate) const SOCKET_ID_ANY: i32 = -1;
/// Entries of a `tbl24` (the first 24 address bits).
pub(crate) const TBL24_ENTRIES: usize = 1 << 24;
/// Entries of one `tbl8` group (8 more bits).
pub(crate) const TBL8_GROUP_ENTRIES: usize = 256;

fn to_u32(what: &'static str, value: usize) -> Result<u32, DpdkError> {
    u32::try_from(value).map_err(|_| DpdkError::ConfigOverflow { what, value })
}

fn route4(addr: u32, len: u8) -> String {
    format!("{}/{len}", Ipv4Addr::from(addr))
}

/// DPDK's `rte_lpm`: a DIR-24-8 with 32-bit entries.
#[derive(Debug)]
pub struct DpdkLpm4<'eal> {
    lpm: NonNull<sys::rte_lpm>,
    number_tbl8s: u32,
    max_rules: u32,
    heap_bytes: usize,
    _eal: PhantomData<&'eal Eal>,
}

impl<'eal> DpdkLpm4<'eal> {
    /// Creates an `rte_lpm` sized for `routes` (max rules = route count,
    /// tbl8 groups = [`tbl8_groups_v4`] plus headroom) and adds them in order.
    /// Values must be below 2^24 (`rte_lpm` stores 24-bit next hops).
    pub fn build(_eal: &'eal Eal, routes: &[(u32, u8, u32)]) -> Result<Self, DpdkError> {
        let max_rules = to_u32("max_rules", routes.len().max(1))?;
        let number_tbl8s = to_u32("number_tbl8s", headroom(tbl8_groups_v4(routes)))?;
        let config = sys::rte_lpm_config {
            max_rules,
            number_tbl8s,
            flags: 0,
        };
        let name = unique_name("lpm");
        let before = allocated_bytes();
        // SAFETY: name is a NUL-terminated string and config a valid
        // rte_lpm_config, both only read during the call; the EAL is up
        // (we hold an &Eal).
        let raw = unsafe { sys::rte_lpm_create(name.as_ptr(), SOCKET_ID_ANY, &config) };
        let lpm = NonNull::new(raw).ok_or_else(|| create_failed("rte_lpm_create"))?;
        let mut table = DpdkLpm4 {
            lpm,
            number_tbl8s,
            max_rules,
            heap_bytes: 0,
            _eal: PhantomData,
        };
        for &(addr, len, value) in routes {
            // SAFETY: table.lpm is a live rte_lpm we own exclusively here;
            // rte_lpm_add validates depth and next hop itself.
            let ret = unsafe { sys::rte_lpm_add(table.lpm.as_ptr(), addr, len, value) };
            if ret < 0 {
                return Err(add_failed("rte_lpm_add", route4(addr, len), ret));
            }
        }
        table.heap_bytes = allocated_bytes().saturating_sub(before);
        Ok(table)
    }

    /// `rte_lpm_lookup_bulk`: `out[i]` gets the raw entry for `ips[i]` (see
    /// [`Self::decode`]), for `min(ips.len(), out.len())` keys.
    #[inline]
    pub fn lookup_bulk(&self, ips: &[u32], out: &mut [u32]) {
        let n = ips.len().min(out.len());
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        // SAFETY: self.lpm is live; ips and out hold at least n elements
        // (readable and writable respectively) and do not overlap.
        unsafe {
            sys::silkroute_shim_rte_lpm_lookup_bulk(
                self.lpm.as_ptr(),
                ips.as_ptr(),
                out.as_mut_ptr(),
                n,
            );
        }
    }

    /// `rte_lpm_lookup`: the next hop of the longest matching rule.
    pub fn lookup(&self, ip: u32) -> Option<u32> {
        let mut next_hop = 0;
        // SAFETY: self.lpm is live and next_hop a valid u32 to write.
        let ret =
            unsafe { sys::silkroute_shim_rte_lpm_lookup(self.lpm.as_ptr(), ip, &mut next_hop) };
        (ret == 0).then_some(next_hop)
    }

    /// A raw bulk-lookup entry as a next hop: `None` when no rule matched
    /// (`RTE_LPM_LOOKUP_SUCCESS` clear).
    #[inline]
    pub fn decode(raw: u32) -> Option<u32> {
        (raw & sys::RTE_LPM_LOOKUP_SUCCESS != 0).then_some(raw & 0x00ff_ffff)
    }

    /// Bytes of the arrays a lookup reads, from the configuration: the
    /// `struct rte_lpm` (a 2^24-entry `tbl24` of 4-byte entries = 64 MiB,
    /// plus a pointer) and `number_tbl8s` groups of 256 4-byte entries. The
    /// rule store (`max_rules` * 8 bytes) is not counted here; see
    /// [`Self::heap_bytes`].
    pub fn table_bytes(&self) -> usize {
        std::mem::size_of::<sys::rte_lpm>()
            + self.number_tbl8s as usize * TBL8_GROUP_ENTRIES * std::mem::size_of::<u32>()
    }

    /// Bytes the DPDK heap grew by while creating and filling the table
    /// (tables, rule store, bookkeeping).
    pub fn heap_bytes(&self) -> usize {
        self.heap_bytes
    }

    /// `number_tbl8s` and `max_rules` the table was created with.
    pub fn config(&self) -> (u32, u32) {
        (self.number_tbl8s, self.max_rules)
    }
}

impl Drop for DpdkLpm4<'_> {
    fn drop(&mut self) {
        // SAFETY: self.lpm came from rte_lpm_create and is freed only here.
        unsafe { sys::rte_lpm_free(self.lpm.as_ptr()) }
    }
}

/// Next-hop width of a DIR-24-8 or TRIE FIB: `1 << log2` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NhSize {
    /// DPDK's `nh_sz` enum value: log2 of the entry size in bytes.
    pub log2: u32,
}

impl NhSize {
    /// The narrowest entry, at least `1 << min_log2` bytes, that holds every
    /// value up to `max_value` and one more for the "no route" default, and
    /// every tbl8 group index below `num_tbl8` (an extended entry stores the
    /// group index in the next-hop bits, so DPDK refuses `num_tbl8` above
    /// the largest next hop).
    pub fn fitting(min_log2: u32, max_value: u32, num_tbl8: u32) -> Self {
        let need = u64::from(max_value.max(num_tbl8));
        let log2 = (min_log2..3)
            .find(|&l| NhSize { log2: l }.max_next_hop() > need)
            .unwrap_or(3);
        NhSize { log2 }
    }

    /// Largest next hop DPDK accepts: one bit of an entry flags an extended
    /// (tbl8) entry.
    pub fn max_next_hop(self) -> u64 {
        (1u64 << ((8u32 << self.log2) - 1)) - 1
    }

    pub fn bytes(self) -> usize {
        1 << self.log2
    }
}

/// DPDK's `rte_fib` of type DIR-24-8, with the narrowest next-hop entry that
/// holds the routes' values and its fastest lookup function the CPU allows.
#[derive(Debug)]
pub struct DpdkFib4<'eal> {
    fib: NonNull<sys::rte_fib>,
    nh: NhSize,
    num_tbl8: u32,
    lookup_fn: &'static str,
    heap_bytes: usize,
    _eal: PhantomData<&'eal Eal>,
}

impl<'eal> DpdkFib4<'eal> {
    /// Creates the FIB sized for `routes`, adds them in order, then selects
    /// `RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512` or, where the CPU or the EAL's
    /// `--force-max-simd-bitwidth` refuse it, `..._SCALAR_MACRO`.
    pub fn build(_eal: &'eal Eal, routes: &[(u32, u8, u32)]) -> Result<Self, DpdkError> {
        let max_value = routes.iter().map(|r| r.2).max().unwrap_or(0);
        let num_tbl8 = to_u32("num_tbl8", headroom(tbl8_groups_v4(routes)))?;
        let nh = NhSize::fitting(0, max_value, num_tbl8);
        let max_routes =
            i32::try_from(routes.len().max(1)).map_err(|_| DpdkError::ConfigOverflow {
                what: "max_routes",
                value: routes.len(),
            })?;
        let mut conf = sys::rte_fib_conf {
            type_: sys::RTE_FIB_DIR24_8,
            default_nh: nh.max_next_hop(),
            max_routes,
            rib_ext_sz: 0,
            __bindgen_anon_1: sys::rte_fib_conf__bindgen_ty_1 {
                dir24_8: sys::rte_fib_conf__bindgen_ty_1__bindgen_ty_1 {
                    nh_sz: nh.log2,
                    num_tbl8,
                },
            },
        };
        let name = unique_name("fib");
        let before = allocated_bytes();
        // SAFETY: name is NUL-terminated, conf a valid rte_fib_conf (DIR24_8
        // variant of the union set); both are only read during the call.
        let raw = unsafe { sys::rte_fib_create(name.as_ptr(), SOCKET_ID_ANY, &mut conf) };
        let fib = NonNull::new(raw).ok_or_else(|| create_failed("rte_fib_create"))?;
        let mut table = DpdkFib4 {
            fib,
            nh,
            num_tbl8,
            lookup_fn: "DIR24_8_SCALAR_MACRO",
            heap_bytes: 0,
            _eal: PhantomData,
        };
        for &(addr, len, value) in routes {
            // SAFETY: table.fib is a live rte_fib we own exclusively here.
            let ret = unsafe { sys::rte_fib_add(table.fib.as_ptr(), addr, len, u64::from(value)) };
            if ret < 0 {
                return Err(add_failed("rte_fib_add", route4(addr, len), ret));
            }
        }
        table.heap_bytes = allocated_bytes().saturating_sub(before);
        // SAFETY: table.fib is live; an unsupported type returns -EINVAL and
        // leaves the current lookup function in place.
        let avx512 = unsafe {
            sys::rte_fib_select_lookup(
                table.fib.as_ptr(),
                sys::RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512,
            )
        };
        if avx512 == 0 {
            table.lookup_fn = "DIR24_8_VECTOR_AVX512";
        } else {
            // SAFETY: as above; the macro lookup exists for every nh size.
            let ret = unsafe {
                sys::rte_fib_select_lookup(
                    table.fib.as_ptr(),
                    sys::RTE_FIB_LOOKUP_DIR24_8_SCALAR_MACRO,
                )
            };
            if ret < 0 {
                return Err(add_failed(
                    "rte_fib_select_lookup",
                    "SCALAR_MACRO".into(),
                    ret,
                ));
            }
        }
        Ok(table)
    }

    /// `rte_fib_lookup_bulk`: `out[i]` gets the next hop of `ips[i]`, or the
    /// table's default (see [`Self::decode`]), for `min(ips.len(), out.len())` keys.
    #[inline]
    pub fn lookup_bulk(&self, ips: &[u32], out: &mut [u64]) {
        let n = ips.len().min(out.len());
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        // SAFETY: self.fib is live; the lookup only reads `ips` (DPDK's
        // lookup function type takes `const uint32_t *`; the public
        // signature lacks the const) and writes n entries of `out`.
        unsafe {
            sys::rte_fib_lookup_bulk(
                self.fib.as_ptr(),
                ips.as_ptr().cast_mut(),
                out.as_mut_ptr(),
                n,
            );
        }
    }

    /// A lookup result as a next hop: `None` for the default ("no route").
    #[inline]
    pub fn decode(&self, raw: u64) -> Option<u32> {
        if raw == self.nh.max_next_hop() {
            None
        } else {
            u32::try_from(raw).ok()
        }
    }

    /// The lookup function in use: `DIR24_8_VECTOR_AVX512` or `DIR24_8_SCALAR_MACRO`.
    pub fn lookup_fn(&self) -> &'static str {
        self.lookup_fn
    }

    /// Next-hop entry width in bytes (1, 2, 4 or 8).
    pub fn next_hop_bytes(&self) -> usize {
        self.nh.bytes()
    }

    /// Bytes of the arrays a lookup reads, from the configuration (as
    /// `dir24_8_create` allocates them): 2^24 `tbl24` entries plus
    /// `num_tbl8 + 1` groups of 256, each entry [`Self::next_hop_bytes`]
    /// wide. The RIB that holds the routes is not counted; see
    /// [`Self::heap_bytes`].
    pub fn table_bytes(&self) -> usize {
        (TBL24_ENTRIES + (self.num_tbl8 as usize + 1) * TBL8_GROUP_ENTRIES) * self.nh.bytes()
    }

    /// Bytes the DPDK heap grew by while creating and filling the FIB
    /// (tables, RIB nodes, bookkeeping).
    pub fn heap_bytes(&self) -> usize {
        self.heap_bytes
    }
}

impl Drop for DpdkFib4<'_> {
    fn drop(&mut self) {
        // SAFETY: self.fib came from rte_fib_create and is freed only here.
        unsafe { sys::rte_fib_free(self.fib.as_ptr()) }
    }
}
