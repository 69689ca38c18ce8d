//! Ports and their drivers; the rule that af_xdp and dpdk ports are not
//! mixed with other drivers.

use serde_saphyr::{Location, Spanned};

use super::{pos, Validator, MAX_QUEUES};
use super::{
    DEFAULT_FRAME_SIZE, DEFAULT_RING_FRAMES, DEFAULT_RING_SIZE, MAX_FRAME_SIZE, MAX_RING_FRAMES,
    MAX_RING_SIZE, MIN_FRAME_SIZE, MIN_RING_FRAMES, MIN_RING_SIZE,
};
use crate::error::ConfigErrorKind as K;
use crate::model::*;
use crate::raw::*;

impl Validator<'_> {
    // ---------------------------------------------------------------- ports

    pub(super) fn port(&mut self, p: &RawPort) {
        let name = self.name(&p.name);
        let (line, _) = pos(&p.name.referenced);
        if let Some(&(_, first_line)) = self.port_names.get(&p.name.value) {
            self.err(
                &p.name.referenced,
                K::DuplicatePort {
                    name: p.name.value.clone(),
                    first_line,
                },
            );
        } else {
            self.port_names
                .insert(p.name.value.clone(), (self.ports.len(), line));
        }
        let driver = match &p.driver.value {
            RawDriver::Pcap(pc) => {
                if pc.rx.is_none() && pc.tx.is_none() {
                    self.err(&p.driver.referenced, K::PcapWithoutFiles);
                }
                Driver::Pcap {
                    rx: pc.rx.as_ref().map(|s| self.resolve(&s.value)),
                    tx: pc.tx.as_ref().map(|s| self.resolve(&s.value)),
                    looped: pc.looped,
                }
            }
            RawDriver::Memory(m) => {
                let ring_size = self.power_of_two(
                    m.ring_size.as_ref(),
                    (MIN_RING_SIZE, MAX_RING_SIZE, DEFAULT_RING_SIZE),
                    |value, min, max| K::RingSize { value, min, max },
                );
                let queues = self.queue_count(m.queues.as_ref()).unwrap_or(1);
                Driver::Memory { ring_size, queues }
            }
            RawDriver::AfPacket(a) => {
                if !is_linux_interface_name(&a.interface.value) {
                    self.err(
                        &a.interface.referenced,
                        K::InvalidLinuxInterface(a.interface.value.clone()),
                    );
                }
                let ring_frames = self.power_of_two(
                    a.ring_frames.as_ref(),
                    (MIN_RING_FRAMES, MAX_RING_FRAMES, DEFAULT_RING_FRAMES),
                    |value, min, max| K::RingFrames { value, min, max },
                );
                let frame_size = self.power_of_two(
                    a.frame_size.as_ref(),
                    (MIN_FRAME_SIZE, MAX_FRAME_SIZE, DEFAULT_FRAME_SIZE),
                    |value, min, max| K::FrameSize { value, min, max },
                );
                Driver::AfPacket {
                    interface: a.interface.value.clone(),
                    ring_frames,
                    frame_size,
                }
            }
            RawDriver::Dpdk(d) => self.dpdk_port(&p.name.value, d),
            RawDriver::AfXdp(x) => {
                if !is_linux_interface_name(&x.interface.value) {
                    self.err(
                        &x.interface.referenced,
                        K::InvalidLinuxInterface(x.interface.value.clone()),
                    );
                }
                let queues = self.queue_count(x.queues.as_ref()).unwrap_or(1);
                Driver::AfXdp {
                    interface: x.interface.value.clone(),
                    queues,
                    mode: x.mode.unwrap_or_default(),
                    zero_copy: x.zero_copy.unwrap_or_default(),
                    pass_to_kernel: x.pass_to_kernel,
                }
            }
        };
        self.ports.push(PortConfig { name, driver });
    }

    /// af_xdp ports only next to af_xdp ports, dpdk ports only next to
    /// dpdk ports (a worker has one buffer type): each other port is an
    /// error, at its driver.
    pub(super) fn drivers_not_mixed(&mut self, raw: &[RawPort]) {
        let Some(first) = self
            .ports
            .iter()
            .find(|p| matches!(p.driver, Driver::AfXdp { .. } | Driver::Dpdk { .. }))
        else {
            return;
        };
        let (other_port, other_driver) = (first.name.to_string(), first.driver.kind());
        let others: Vec<(Location, String, &'static str)> = self
            .ports
            .iter()
            .zip(raw)
            .filter(|(p, _)| p.driver.kind() != other_driver)
            .map(|(p, r)| (r.driver.referenced, p.name.to_string(), p.driver.kind()))
            .collect();
        for (loc, port, driver) in others {
            self.err(
                &loc,
                K::DriverMixed {
                    port,
                    driver,
                    other_port: other_port.clone(),
                    other_driver,
                },
            );
        }
    }

    /// An optional queue count: `None` when not given, the count when in
    /// `1..=MAX_QUEUES`, else reported and `Some(0)`: a port with no
    /// queues has none to poll, so one bad count is one error, not also
    /// one per queue no worker polls.
    pub(super) fn queue_count(&mut self, value: Option<&Spanned<u64>>) -> Option<u16> {
        let q = value?;
        match u16::try_from(q.value) {
            Ok(n) if (1..=MAX_QUEUES).contains(&q.value) => Some(n),
            _ => {
                self.err(
                    &q.referenced,
                    K::Queues {
                        value: q.value,
                        max: MAX_QUEUES,
                    },
                );
                Some(0)
            }
        }
    }

    /// An optional power of two in `min..=max` (else `default`), with
    /// `error` built for a value out of range.
    pub(super) fn power_of_two(
        &mut self,
        value: Option<&Spanned<u64>>,
        (min, max, default): (u64, u64, u32),
        error: impl FnOnce(u64, u64, u64) -> K,
    ) -> u32 {
        let Some(v) = value else {
            return default;
        };
        if !(v.value.is_power_of_two() && (min..=max).contains(&v.value)) {
            self.err(&v.referenced, error(v.value, min, max));
            return default;
        }
        u32::try_from(v.value).unwrap_or(default)
    }
}

/// A name Linux accepts for a network interface (`dev_valid_name`): 1 to
/// 15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
fn is_linux_interface_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s != "."
        && s != ".."
        && !s
            .bytes()
            .any(|b| b == b'/' || b == b':' || b == 0 || b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_interface_names() {
        for good in ["veth0", "eth0.100", "enp1s0f1", "a", "br-lan_2"] {
            assert!(is_linux_interface_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "eth0:1",
            "has space",
            "sixteen-chars-xx",
        ] {
            assert!(!is_linux_interface_name(bad), "{bad}");
        }
    }
}
