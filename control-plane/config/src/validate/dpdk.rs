//! The `dpdk:` section and `driver: { dpdk: ... }` ports.
//!
//! The section is read before the ports (a port's device must be one of
//! its vdevs or a PCI address); defaults that depend on the workers
//! (`cores`, `tx_queues`) are resolved after them.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use super::{pos, Validator};
use crate::error::ConfigErrorKind as K;
use crate::model::*;
use crate::raw::*;

/// Descriptor ring bounds per queue: below 32 a burst would not fit
/// twice; 32768 is the largest ring any DPDK NIC driver takes.
pub const MIN_DESCRIPTORS: u64 = 32;
/// Largest descriptor ring.
pub const MAX_DESCRIPTORS: u64 = 32768;
/// Default descriptors per queue (rx and tx): DPDK's examples' choice,
/// ~70 µs of a 14.88 Mpps 10G line.
pub const DEFAULT_DESCRIPTORS: u16 = 1024;
/// Smallest mempool a port may ask for: one ring of minimum size plus
/// bursts in flight.
pub const MIN_MBUFS: u64 = 512;
/// Largest mempool (mbufs) a port may ask for: 16M mbufs is 32 GiB of
/// 2 KiB buffers, more than any config here needs.
pub const MAX_MBUFS: u64 = (1 << 24) - 1;
/// `dpdk.memory_mb` bounds: DPDK itself needs a few tens of MB.
pub const MIN_MEMORY_MB: u64 = 64;
/// Largest `dpdk.memory_mb`: 1 TiB.
pub const MAX_MEMORY_MB: u64 = 1 << 20;
/// `dpdk.memory_mb` default with `no_huge` (DPDK's own default, 64 MB,
/// is too small for the default mempools of two ports).
pub const DEFAULT_NO_HUGE_MEMORY_MB: u32 = 512;
/// `dpdk.file_prefix` default.
pub const DEFAULT_FILE_PREFIX: &str = "silkroute";

impl Validator<'_> {
    /// The section, with `cores` left empty for [`Validator::dpdk_finish`].
    pub(super) fn dpdk_section(&mut self, raw: Option<&RawDpdk>) -> DpdkConfig {
        let Some(raw) = raw else {
            return DpdkConfig {
                file_prefix: DEFAULT_FILE_PREFIX.to_owned(),
                ..DpdkConfig::default()
            };
        };
        let mut cores = Vec::new();
        let mut seen: HashMap<u64, usize> = HashMap::new();
        for c in raw.cores.iter().flatten() {
            let (line, _) = pos(&c.referenced);
            if let Some(&first_line) = seen.get(&c.value) {
                self.err(
                    &c.referenced,
                    K::DuplicateCore {
                        core: c.value,
                        first_line,
                    },
                );
                continue;
            }
            seen.insert(c.value, line);
            if c.value >= self.cpus as u64 {
                self.err(
                    &c.referenced,
                    K::CoreOutOfRange {
                        core: c.value,
                        cpus: self.cpus,
                    },
                );
            }
            cores.push(usize::try_from(c.value).unwrap_or(usize::MAX));
        }
        let memory_mb = match &raw.memory_mb {
            None => raw.no_huge.then_some(DEFAULT_NO_HUGE_MEMORY_MB),
            Some(m) => {
                if !(MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&m.value) {
                    self.err(
                        &m.referenced,
                        K::DpdkMemory {
                            value: m.value,
                            min: MIN_MEMORY_MB,
                            max: MAX_MEMORY_MB,
                        },
                    );
                }
                u32::try_from(m.value).ok()
            }
        };
        let mut allow = Vec::new();
        for a in &raw.allow {
            match pci_address(&a.value) {
                Some(p) => allow.push(p),
                None => self.err(&a.referenced, K::InvalidPciAddress(a.value.clone())),
            }
        }
        for v in &raw.vdevs {
            let name = v.value.split(',').next().unwrap_or_default();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.err(&v.referenced, K::InvalidVdev(v.value.clone()));
                continue;
            }
            let (line, _) = pos(&v.referenced);
            if let Some(&first_line) = self.dpdk_vdevs.get(name) {
                self.err(
                    &v.referenced,
                    K::DuplicateVdev {
                        name: name.to_owned(),
                        first_line,
                    },
                );
            } else {
                self.dpdk_vdevs.insert(name.to_owned(), line);
            }
        }
        let file_prefix = match &raw.file_prefix {
            None => DEFAULT_FILE_PREFIX.to_owned(),
            Some(p) => {
                let ok = (1..=32).contains(&p.value.len())
                    && p.value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    self.err(&p.referenced, K::InvalidFilePrefix(p.value.clone()));
                }
                p.value.clone()
            }
        };
        DpdkConfig {
            cores,
            memory_mb,
            no_huge: raw.no_huge,
            allow,
            vdevs: raw.vdevs.iter().map(|v| v.value.clone()).collect(),
            extra_args: raw.extra_args.clone(),
            file_prefix,
        }
    }

    /// A dpdk port; `tx_queues` is 0 when defaulted (resolved in
    /// [`Validator::dpdk_finish`]).
    pub(super) fn dpdk_port(&mut self, port: &str, d: &RawDpdkPort) -> Driver {
        let device = if d.device.value.contains(':') {
            pci_address(&d.device.value).unwrap_or_else(|| {
                self.err(
                    &d.device.referenced,
                    K::InvalidPciAddress(d.device.value.clone()),
                );
                d.device.value.clone()
            })
        } else {
            if !self.dpdk_vdevs.contains_key(&d.device.value) {
                self.err(
                    &d.device.referenced,
                    K::DpdkUnknownDevice(d.device.value.clone()),
                );
            }
            d.device.value.clone()
        };
        if let Some(other) = self.dpdk_devices.get(&device) {
            let other = other.clone();
            self.err(
                &d.device.referenced,
                K::DpdkDeviceUsedTwice {
                    device: device.clone(),
                    other,
                },
            );
        } else {
            self.dpdk_devices.insert(device.clone(), port.to_owned());
        }
        // 0: not given (or refused).
        let rx_queues = self.queue_count(d.rx_queues.as_ref()).unwrap_or(0).max(1);
        let tx_queues = self.queue_count(d.tx_queues.as_ref()).unwrap_or(0);
        let descriptors = |v: &mut Self, key, q: Option<&Spanned<u64>>| {
            v.power_of_two(
                q,
                (
                    MIN_DESCRIPTORS,
                    MAX_DESCRIPTORS,
                    u32::from(DEFAULT_DESCRIPTORS),
                ),
                |value, min, max| K::DpdkDescriptors {
                    key,
                    value,
                    min,
                    max,
                },
            ) as u16
        };
        let rx_descriptors = descriptors(self, "rx_descriptors", d.rx_descriptors.as_ref());
        let tx_descriptors = descriptors(self, "tx_descriptors", d.tx_descriptors.as_ref());
        let mbufs = d.mbufs.as_ref().map(|m| {
            if !(MIN_MBUFS..=MAX_MBUFS).contains(&m.value) {
                self.err(
                    &m.referenced,
                    K::DpdkMbufs {
                        value: m.value,
                        min: MIN_MBUFS,
                        max: MAX_MBUFS,
                    },
                );
            }
            u32::try_from(m.value).unwrap_or(u32::MAX)
        });
        Driver::Dpdk {
            device,
            rx_queues,
            tx_queues,
            rx_descriptors,
            tx_descriptors,
            rss: d.rss.unwrap_or(true),
            promiscuous: d.promiscuous.unwrap_or(true),
            mbufs,
        }
    }

    /// Defaults that depend on the workers: `cores` (the workers' cores),
    /// `tx_queues` (one per worker, and never fewer), `allow` (the PCI
    /// devices the ports use, when not given).
    pub(super) fn dpdk_finish(
        &mut self,
        cfg: &mut DpdkConfig,
        raw_ports: &[RawPort],
        workers: &[WorkerConfig],
    ) {
        if !self
            .ports
            .iter()
            .any(|p| matches!(p.driver, Driver::Dpdk { .. }))
        {
            return;
        }
        if cfg.cores.is_empty() {
            cfg.cores = workers.iter().map(|w| w.core).collect();
            cfg.cores.sort_unstable();
            cfg.cores.dedup();
        }
        let n = workers.len().max(1);
        let mut errors = Vec::new();
        for (port, raw) in self.ports.iter_mut().zip(raw_ports) {
            let (Driver::Dpdk { tx_queues, .. }, RawDriver::Dpdk(r)) =
                (&mut port.driver, &raw.driver.value)
            else {
                continue;
            };
            if *tx_queues == 0 {
                *tx_queues = u16::try_from(n).unwrap_or(u16::MAX);
            } else if usize::from(*tx_queues) < n {
                if let Some(t) = &r.tx_queues {
                    errors.push((
                        t.referenced,
                        K::DpdkTxQueuesBelowWorkers {
                            value: t.value,
                            workers: n,
                        },
                    ));
                }
            }
        }
        for (loc, e) in errors {
            self.err(&loc, e);
        }
        if cfg.allow.is_empty() {
            cfg.allow = self
                .ports
                .iter()
                .filter_map(|p| match &p.driver {
                    Driver::Dpdk { device, .. } if device.contains(':') => Some(device.clone()),
                    _ => None,
                })
                .collect();
        }
    }
}

/// A PCI address in DPDK's long form (`0000:03:00.0`), from that form or
/// the short one (`03:00.0`); `None` when it is not one.
fn pci_address(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    let (domain, bus, devfn) = match parts.as_slice() {
        [d, b, df] => (*d, *b, *df),
        [b, df] => ("0000", *b, *df),
        _ => return None,
    };
    let (dev, func) = devfn.split_once('.')?;
    let hex = |x: &str, max_len: usize| {
        (!x.is_empty() && x.len() <= max_len && x.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(x, 16).ok())
            .flatten()
    };
    let (domain, bus, dev, func) = (hex(domain, 4)?, hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?);
    (dev < 32 && func < 8).then(|| format!("{domain:04x}:{bus:02x}:{dev:02x}.{func}"))
}

#[cfg(test)]
mod tests {
    use super::pci_address;

    #[test]
    fn pci_addresses() {
        assert_eq!(pci_address("0000:03:00.0").as_deref(), Some("0000:03:00.0"));
        assert_eq!(pci_address("03:00.1").as_deref(), Some("0000:03:00.1"));
        assert_eq!(pci_address("0000:AF:1f.7").as_deref(), Some("0000:af:1f.7"));
        for bad in [
            "",
            "net_pcap0",
            "03:00",
            "0000:03:20.0",
            "0000:03:00.8",
            "x:03:00.0",
            "00000:03:00.0",
        ] {
            assert_eq!(pci_address(bad), None, "{bad}");
        }
    }
}
