//! IPv6: `rte_lpm6` (24-bit `tbl24`, then 8-bit `tbl8` groups) and `rte_fib6`
//! (TRIE, same layout, with its fastest lookup function the CPU allows).
//!
//! Both take addresses as 16 bytes in network order: callers convert their
//! `u128` keys once with `u128::to_be_bytes`, outside any timed loop.

use std::marker::PhantomData;
use std::net::Ipv6Addr;
use std::ptr::NonNull;

use silkroute_dpdk_sys as sys;

use crate::eal::{unique_name, Eal};
use crate::error::{add_failed, create_failed, DpdkError};
use crate::heap::allocated_bytes;
use crate::lpm4::{NhSize, SOCKET_ID_ANY, TBL24_ENTRIES, TBL8_GROUP_ENTRIES};
use crate::sizing::{headroom, tbl8_groups_v6};

/// `ENOSPC` (Linux): an add ran out of `tbl8` groups.
const ENOSPC: i32 = 28;

fn route6(addr: u128, len: u8) -> String {
    format!("{}/{len}", Ipv6Addr::from(addr))
}

fn to_u32(what: &'static str, value: usize) -> Result<u32, DpdkError> {
    u32::try_from(value).map_err(|_| DpdkError::ConfigOverflow { what, value })
}

/// DPDK's `rte_lpm6`.
#[derive(Debug)]
pub struct DpdkLpm6<'eal> {
    lpm: NonNull<sys::rte_lpm6>,
    number_tbl8s: u32,
    heap_bytes: usize,
    _eal: PhantomData<&'eal Eal>,
}

impl<'eal> DpdkLpm6<'eal> {
    /// Creates an `rte_lpm6` sized for `routes` (max rules = route count,
    /// tbl8 groups = [`tbl8_groups_v6`] plus headroom) and adds them in
    /// order. Values must be below 2^21 (`rte_lpm6` stores 21-bit next hops).
    pub fn build(_eal: &'eal Eal, routes: &[(u128, u8, u32)]) -> Result<Self, DpdkError> {
        let config = sys::rte_lpm6_config {
            max_rules: to_u32("max_rules", routes.len().max(1))?,
            number_tbl8s: to_u32("number_tbl8s", headroom(tbl8_groups_v6(routes)))?,
            flags: 0,
        };
        let name = unique_name("lpm6_");
        let before = allocated_bytes();
        // SAFETY: name is NUL-terminated and config a valid rte_lpm6_config,
        // both only read during the call; the EAL is up (we hold an &Eal).
        let raw = unsafe { sys::rte_lpm6_create(name.as_ptr(), SOCKET_ID_ANY, &config) };
        let lpm = NonNull::new(raw).ok_or_else(|| create_failed("rte_lpm6_create"))?;
        let mut table = DpdkLpm6 {
            lpm,
            number_tbl8s: config.number_tbl8s,
            heap_bytes: 0,
            _eal: PhantomData,
        };
        for &(addr, len, value) in routes {
            let ip = addr.to_be_bytes();
            // SAFETY: table.lpm is live and exclusively ours; ip is 16
            // readable bytes, as rte_lpm6_add reads.
            let ret = unsafe { sys::rte_lpm6_add(table.lpm.as_ptr(), ip.as_ptr(), len, value) };
            if ret < 0 {
                return Err(add_failed("rte_lpm6_add", route6(addr, len), ret));
            }
        }
        table.heap_bytes = allocated_bytes().saturating_sub(before);
        Ok(table)
    }

    /// `rte_lpm6_lookup_bulk_func`: `out[i]` gets the next hop of `ips[i]`,
    /// -1 when no rule matched, for `min(ips.len(), out.len())` keys.
    #[inline]
    pub fn lookup_bulk(&self, ips: &[[u8; 16]], out: &mut [i32]) {
        let n = ips.len().min(out.len());
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        // SAFETY: self.lpm is live; the lookup reads n addresses from `ips`
        // (it never writes them: the header lacks the const) and writes n
        // entries of `out`.
        unsafe {
            sys::rte_lpm6_lookup_bulk_func(
                self.lpm.as_ptr(),
                ips.as_ptr().cast_mut(),
                out.as_mut_ptr(),
                n,
            );
        }
    }

    /// A bulk-lookup result as a next hop: `None` for -1 (no route).
    #[inline]
    pub fn decode(raw: i32) -> Option<u32> {
        u32::try_from(raw).ok()
    }

    /// Bytes of the arrays a lookup reads, from the configuration: a 2^24
    /// `tbl24` and `number_tbl8s` groups of 256, 4-byte entries (`struct
    /// rte_lpm6` embeds both). The rule hash, the tbl8 pool and group
    /// headers are not counted; see [`Self::heap_bytes`].
    pub fn table_bytes(&self) -> usize {
        (TBL24_ENTRIES + self.number_tbl8s as usize * TBL8_GROUP_ENTRIES) * 4
    }

    /// Bytes the DPDK heap grew by while creating and filling the table.
    pub fn heap_bytes(&self) -> usize {
        self.heap_bytes
    }
}

impl Drop for DpdkLpm6<'_> {
    fn drop(&mut self) {
        // SAFETY: self.lpm came from rte_lpm6_create and is freed only here.
        unsafe { sys::rte_lpm6_free(self.lpm.as_ptr()) }
    }
}

/// DPDK's `rte_fib6` of type TRIE, with the narrowest next-hop entry that
/// holds the routes' values (2 bytes at least: TRIE has no 1-byte entries)
/// and its fastest lookup function the CPU allows.
#[derive(Debug)]
pub struct DpdkFib6<'eal> {
    fib: NonNull<sys::rte_fib6>,
    nh: NhSize,
    num_tbl8: u32,
    lookup_fn: &'static str,
    heap_bytes: usize,
    _eal: PhantomData<&'eal Eal>,
}

impl<'eal> DpdkFib6<'eal> {
    /// Creates the FIB for `routes`, adds them in order, then selects
    /// `RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512` or, where refused, `..._TRIE_SCALAR`.
    ///
    /// TRIE uses more `tbl8` groups than [`tbl8_groups_v6`] counts (it
    /// builds each route's left and right edge separately), and DPDK has no
    /// call to ask how many it needs: this starts from that count plus
    /// headroom and doubles it while an add fails with `ENOSPC`. To time a
    /// build alone, call [`Self::build_sized`] with [`Self::num_tbl8`] of a
    /// first build.
    pub fn build(eal: &'eal Eal, routes: &[(u128, u8, u32)]) -> Result<Self, DpdkError> {
        let mut num_tbl8 = to_u32("num_tbl8", headroom(tbl8_groups_v6(routes)))?;
        loop {
            match Self::build_sized(eal, routes, num_tbl8) {
                Err(DpdkError::RouteAdd { errno, .. }) if errno == ENOSPC => {
                    num_tbl8 = num_tbl8.checked_mul(2).ok_or(DpdkError::ConfigOverflow {
                        what: "num_tbl8",
                        value: num_tbl8 as usize * 2,
                    })?;
                }
                other => return other,
            }
        }
    }

    /// As [`Self::build`] with exactly `num_tbl8` groups, no retry.
    pub fn build_sized(
        _eal: &'eal Eal,
        routes: &[(u128, u8, u32)],
        num_tbl8: u32,
    ) -> Result<Self, DpdkError> {
        let max_value = routes.iter().map(|r| r.2).max().unwrap_or(0);
        let nh = NhSize::fitting(1, max_value, num_tbl8);
        let max_routes =
            i32::try_from(routes.len().max(1)).map_err(|_| DpdkError::ConfigOverflow {
                what: "max_routes",
                value: routes.len(),
            })?;
        let mut conf = sys::rte_fib6_conf {
            type_: sys::RTE_FIB6_TRIE,
            default_nh: nh.max_next_hop(),
            max_routes,
            rib_ext_sz: 0,
            __bindgen_anon_1: sys::rte_fib6_conf__bindgen_ty_1 {
                trie: sys::rte_fib6_conf__bindgen_ty_1__bindgen_ty_1 {
                    nh_sz: nh.log2,
                    num_tbl8,
                },
            },
        };
        let name = unique_name("fib6_");
        let before = allocated_bytes();
        // SAFETY: name is NUL-terminated, conf a valid rte_fib6_conf (TRIE
        // variant of the union set); both are only read during the call.
        let raw = unsafe { sys::rte_fib6_create(name.as_ptr(), SOCKET_ID_ANY, &mut conf) };
        let fib = NonNull::new(raw).ok_or_else(|| create_failed("rte_fib6_create"))?;
        let mut table = DpdkFib6 {
            fib,
            nh,
            num_tbl8,
            lookup_fn: "TRIE_SCALAR",
            heap_bytes: 0,
            _eal: PhantomData,
        };
        for &(addr, len, value) in routes {
            let ip = addr.to_be_bytes();
            // SAFETY: table.fib is live and exclusively ours; ip is the 16
            // readable bytes rte_fib6_add reads.
            let ret = unsafe {
                sys::rte_fib6_add(table.fib.as_ptr(), ip.as_ptr(), len, u64::from(value))
            };
            if ret < 0 {
                return Err(add_failed("rte_fib6_add", route6(addr, len), ret));
            }
        }
        table.heap_bytes = allocated_bytes().saturating_sub(before);
        // SAFETY: table.fib is live; an unsupported type returns -EINVAL and
        // leaves the current lookup function in place.
        let avx512 = unsafe {
            sys::rte_fib6_select_lookup(table.fib.as_ptr(), sys::RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512)
        };
        if avx512 == 0 {
            table.lookup_fn = "TRIE_VECTOR_AVX512";
        } else {
            // SAFETY: as above; the scalar lookup exists for every nh size.
            let ret = unsafe {
                sys::rte_fib6_select_lookup(table.fib.as_ptr(), sys::RTE_FIB6_LOOKUP_TRIE_SCALAR)
            };
            if ret < 0 {
                return Err(add_failed(
                    "rte_fib6_select_lookup",
                    "TRIE_SCALAR".into(),
                    ret,
                ));
            }
        }
        Ok(table)
    }

    /// `rte_fib6_lookup_bulk`: `out[i]` gets the next hop of `ips[i]`, or the
    /// default (see [`Self::decode`]), for `min(ips.len(), out.len())` keys.
    #[inline]
    pub fn lookup_bulk(&self, ips: &[[u8; 16]], out: &mut [u64]) {
        let n = ips.len().min(out.len());
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        // SAFETY: self.fib is live; the lookup reads n addresses of `ips`
        // (never writes them: the header lacks the const) and writes n
        // entries of `out`.
        unsafe {
            sys::rte_fib6_lookup_bulk(
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

    /// The lookup function in use: `TRIE_VECTOR_AVX512` or `TRIE_SCALAR`.
    pub fn lookup_fn(&self) -> &'static str {
        self.lookup_fn
    }

    /// Next-hop entry width in bytes (2, 4 or 8).
    pub fn next_hop_bytes(&self) -> usize {
        self.nh.bytes()
    }

    /// `tbl8` groups the FIB was created with.
    pub fn num_tbl8(&self) -> u32 {
        self.num_tbl8
    }

    /// Bytes of the arrays a lookup reads, from the configuration (as
    /// `trie_create` allocates them): 2^24 `tbl24` entries plus `num_tbl8 +
    /// 1` groups of 256, each [`Self::next_hop_bytes`] wide. The RIB is not
    /// counted; see [`Self::heap_bytes`].
    pub fn table_bytes(&self) -> usize {
        (TBL24_ENTRIES + (self.num_tbl8 as usize + 1) * TBL8_GROUP_ENTRIES) * self.nh.bytes()
    }

    /// Bytes the DPDK heap grew by while creating and filling the FIB.
    pub fn heap_bytes(&self) -> usize {
        self.heap_bytes
    }
}

impl Drop for DpdkFib6<'_> {
    fn drop(&mut self) {
        // SAFETY: self.fib came from rte_fib6_create and is freed only here.
        unsafe { sys::rte_fib6_free(self.fib.as_ptr()) }
    }
}
