//! The naive reference: one hash map per prefix length, probed from the
//! longest length down. Obviously correct, slow; tests compare every fast
//! structure against it.

use std::collections::HashMap;

use crate::{LpmError, MAX_VALUE};

/// A reference LPM over `BITS`-bit keys stored in a `u128`.
#[derive(Debug, Clone)]
pub struct ReferenceLpm<const BITS: u8> {
    by_len: Vec<HashMap<u128, u32>>,
}

impl<const BITS: u8> Default for ReferenceLpm<BITS> {
    fn default() -> Self {
        Self::new()
    }
}

/// Mask keeping the first `len` bits of a `bits`-wide key.
pub fn mask(bits: u8, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        let all: u128 = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        all & !((1u128 << (bits - len)) - 1) & all
    }
}

impl<const BITS: u8> ReferenceLpm<BITS> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            by_len: (0..=BITS).map(|_| HashMap::new()).collect(),
        }
    }

    fn check(addr: u128, len: u8, value: Option<u32>) -> Result<(), LpmError> {
        if len > BITS {
            return Err(LpmError::InvalidLength { len, max: BITS });
        }
        if addr & !mask(BITS, len) != 0 {
            return Err(LpmError::HostBitsSet);
        }
        if let Some(v) = value {
            if v > MAX_VALUE {
                return Err(LpmError::ValueTooLarge(v));
            }
        }
        Ok(())
    }

    /// Adds or replaces a route; returns the value it replaced.
    pub fn insert(&mut self, addr: u128, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        Self::check(addr, len, Some(value))?;
        Ok(self.by_len[len as usize].insert(addr, value))
    }

    /// Removes a route; returns its value if it was there.
    pub fn remove(&mut self, addr: u128, len: u8) -> Result<Option<u32>, LpmError> {
        Self::check(addr, len, None)?;
        Ok(self.by_len[len as usize].remove(&addr))
    }

    /// Exact-match read.
    pub fn get(&self, addr: u128, len: u8) -> Option<u32> {
        self.by_len.get(len as usize)?.get(&addr).copied()
    }

    /// Longest match: `(prefix length, value)`.
    pub fn lookup_with_len(&self, addr: u128) -> Option<(u8, u32)> {
        (0..=BITS).rev().find_map(|len| {
            self.by_len[len as usize]
                .get(&(addr & mask(BITS, len)))
                .map(|v| (len, *v))
        })
    }

    /// Longest match value, or [`crate::NO_ROUTE`].
    pub fn lookup(&self, addr: u128) -> u32 {
        self.lookup_with_len(addr)
            .map_or(crate::NO_ROUTE, |(_, v)| v)
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.by_len.iter().map(HashMap::len).sum()
    }

    /// True when no route is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
