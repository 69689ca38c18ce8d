//! Ethernet devices: look-up by name, configuration (queues, descriptors,
//! RSS, MTU, promiscuous mode), start, link state, MAC, stats and xstats,
//! and the per-queue burst handles.
//!
//! [`EthDev::start`] returns one handle per queue, each created once, so a
//! queue is polled by at most one thread (DPDK's rule: queues are not
//! thread-safe). The handles and the control plane share the device
//! through an `Arc`; the device is stopped and closed when the last one
//! goes.

use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrayvec::ArrayVec;
use silkroute_dpdk_sys as sys;

use crate::eal::Eal;
use crate::error::{strerror, DpdkError};
use crate::mbuf::Mbuf;
use crate::mempool::Mempool;

/// What a port is started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSetup {
    /// Receive queues.
    pub rx_queues: u16,
    /// Transmit queues.
    pub tx_queues: u16,
    /// Descriptors per receive queue (the driver may adjust).
    pub rx_descriptors: u16,
    /// Descriptors per transmit queue (the driver may adjust).
    pub tx_descriptors: u16,
    /// Hash IPv4/IPv6 TCP/UDP 5-tuples over the receive queues (when there
    /// are several and the device can).
    pub rss: bool,
    /// Receive every frame, whatever its destination MAC.
    pub promiscuous: bool,
    /// IP MTU.
    pub mtu: u16,
}

/// What the device made of a [`PortSetup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortStarted {
    /// The driver (`net_pcap`, `net_ixgbe`, ...).
    pub driver: String,
    /// Hash functions in use (`rte_eth_rss_conf.rss_hf`); 0: no RSS.
    pub rss_hf: u64,
    /// Hash functions asked for but not offered by the device.
    pub rss_unsupported: u64,
    /// Descriptors per receive queue after the driver's adjustment.
    pub rx_descriptors: u16,
    /// Descriptors per transmit queue after the driver's adjustment.
    pub tx_descriptors: u16,
    /// Whether promiscuous mode is on (false when the device refused).
    pub promiscuous: bool,
}

/// Link state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Carrier up.
    pub up: bool,
    /// Mbit/s (0: unknown).
    pub speed_mbps: u32,
}

/// `rte_eth_stats`: the device's own counters, summed over queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Frames received.
    pub rx_packets: u64,
    /// Frames sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Frames the device dropped because no descriptor was free (the
    /// workers did not keep up).
    pub rx_missed: u64,
    /// Erroneous frames received.
    pub rx_errors: u64,
    /// Failed transmissions.
    pub tx_errors: u64,
    /// Receive buffer allocation failures (mempool empty).
    pub rx_nombuf: u64,
}

/// A started Ethernet device.
#[derive(Debug)]
pub struct EthDev {
    port: u16,
    /// Released after the close in `drop` (fields drop after it).
    _claim: Claim,
    name: String,
    xstat_names: Vec<String>,
    _pools: Vec<Arc<Mempool>>,
    _eal: Arc<Eal>,
}

/// The started device and its queues.
#[derive(Debug)]
pub struct StartedPort {
    /// The device (shared with the queues).
    pub dev: Arc<EthDev>,
    /// Receive queue handles, by queue id.
    pub rx: Vec<EthRxQueue>,
    /// Transmit queue handles, by queue id.
    pub tx: Vec<EthTxQueue>,
    /// What the device made of the setup.
    pub started: PortStarted,
}

/// One receive queue; polled by the thread that holds it.
#[derive(Debug)]
pub struct EthRxQueue {
    dev: Arc<EthDev>,
    queue: u16,
}

/// One transmit queue; used by the thread that holds it.
#[derive(Debug)]
pub struct EthTxQueue {
    dev: Arc<EthDev>,
    queue: u16,
}

/// Port ids an [`EthDev`] owns (bit per port id; `RTE_MAX_ETHPORTS` is
/// 32): a second `start` of a device in use would reconfigure it under
/// its queues, and both handles would close it.
static IN_USE: AtomicU64 = AtomicU64::new(0);

/// The claim on a port id; released on drop.
#[derive(Debug)]
struct Claim(u16);

impl Claim {
    fn take(port: u16, device: &str) -> Result<Claim, DpdkError> {
        let bit = 1u64 << (port % 64);
        if IN_USE.fetch_or(bit, Ordering::AcqRel) & bit != 0 {
            return Err(DpdkError::DeviceInUse(device.to_owned()));
        }
        Ok(Claim(port))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        IN_USE.fetch_and(!(1u64 << (self.0 % 64)), Ordering::AcqRel);
    }
}

/// A negative return of an `rte_eth_*` call as an error.
fn eth_failed(call: &'static str, device: &str, ret: i32) -> DpdkError {
    DpdkError::Eth {
        call,
        device: device.to_owned(),
        errno: -ret,
        reason: strerror(-ret),
    }
}

/// Names of every probed device, for "no such device" errors.
pub fn probed_devices() -> Vec<String> {
    (0..sys::RTE_MAX_ETHPORTS as u16)
        .filter(|&p| {
            // SAFETY: any port id may be asked about.
            unsafe { sys::rte_eth_dev_is_valid_port(p) == 1 }
        })
        .filter_map(port_name)
        .collect()
}

fn port_name(port: u16) -> Option<String> {
    let mut buf = [0 as c_char; sys::RTE_ETH_NAME_MAX_LEN as usize];
    // SAFETY: buf holds RTE_ETH_NAME_MAX_LEN bytes, the most the call writes.
    let ret = unsafe { sys::rte_eth_dev_get_name_by_port(port, buf.as_mut_ptr()) };
    if ret != 0 {
        return None;
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    Some(
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

impl EthDev {
    /// Finds `device` (a vdev name such as `net_pcap0` or a PCI address
    /// `0000:03:00.0`), configures it per `setup`, sets its receive queues
    /// up on `pools` (queue `i` uses `pools[i % pools.len()]`), starts it and
    /// returns its queues.
    pub fn start(
        eal: &Arc<Eal>,
        device: &str,
        setup: &PortSetup,
        pools: &[Arc<Mempool>],
    ) -> Result<StartedPort, DpdkError> {
        let cname = CString::new(device).map_err(|_| DpdkError::EalArgument(device.to_owned()))?;
        let mut port = 0u16;
        // SAFETY: cname is NUL-terminated; port is a valid out-pointer.
        let ret = unsafe { sys::rte_eth_dev_get_port_by_name(cname.as_ptr(), &mut port) };
        if ret != 0 {
            return Err(DpdkError::NoDevice {
                device: device.to_owned(),
                probed: probed_devices(),
            });
        }
        let claim = Claim::take(port, device)?;
        if pools.is_empty() {
            return Err(DpdkError::ConfigOverflow {
                what: "mempools",
                value: 0,
            });
        }
        let mut info = sys::rte_eth_dev_info::default();
        // SAFETY: port is valid; info is a writable rte_eth_dev_info.
        let ret = unsafe { sys::rte_eth_dev_info_get(port, &mut info) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_dev_info_get", device, ret));
        }
        let driver = if info.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: a non-NULL driver_name is the driver's static name.
            unsafe { CStr::from_ptr(info.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        let limit = |what, asked: u16, max: u16| {
            if asked > max {
                Err(DpdkError::QueueLimit {
                    device: device.to_owned(),
                    driver: driver.clone(),
                    what,
                    asked,
                    max,
                })
            } else {
                Ok(())
            }
        };
        limit("rx queues", setup.rx_queues, info.max_rx_queues)?;
        limit("tx queues", setup.tx_queues, info.max_tx_queues)?;
        if setup.mtu < info.min_mtu || setup.mtu > info.max_mtu {
            return Err(DpdkError::Mtu {
                device: device.to_owned(),
                mtu: setup.mtu,
                min: info.min_mtu,
                max: info.max_mtu,
            });
        }
        let mut conf = sys::rte_eth_conf::default();
        conf.rxmode.mtu = u32::from(setup.mtu);
        let wanted = if setup.rss && setup.rx_queues > 1 {
            // SAFETY: returns a constant.
            unsafe { sys::silkroute_shim_rss_ip_tcp_udp() }
        } else {
            0
        };
        let rss_hf = wanted & info.flow_type_rss_offloads;
        if rss_hf != 0 {
            conf.rxmode.mq_mode = sys::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
        }
        // SAFETY: port is valid and stopped; conf is a valid rte_eth_conf
        // read during the call.
        let ret =
            unsafe { sys::rte_eth_dev_configure(port, setup.rx_queues, setup.tx_queues, &conf) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_dev_configure", device, ret));
        }
        let (mut nb_rx, mut nb_tx) = (setup.rx_descriptors, setup.tx_descriptors);
        // SAFETY: port is valid; both pointers are writable u16s.
        let ret = unsafe { sys::rte_eth_dev_adjust_nb_rx_tx_desc(port, &mut nb_rx, &mut nb_tx) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_dev_adjust_nb_rx_tx_desc", device, ret));
        }
        // SAFETY: port is valid.
        let socket = unsafe { sys::rte_eth_dev_socket_id(port) };
        // SOCKET_ID_ANY (-1) when unknown: the C API takes it as unsigned.
        let socket = socket as u32;
        for q in 0..setup.rx_queues {
            let pool = &pools[usize::from(q) % pools.len()];
            // SAFETY: port is configured with rx_queues queues, q is below;
            // NULL rx_conf takes the driver's defaults; the pool outlives
            // the device (EthDev keeps a handle).
            let ret = unsafe {
                sys::rte_eth_rx_queue_setup(port, q, nb_rx, socket, std::ptr::null(), pool.as_ptr())
            };
            if ret != 0 {
                return Err(eth_failed("rte_eth_rx_queue_setup", device, ret));
            }
        }
        for q in 0..setup.tx_queues {
            // SAFETY: as above, for a transmit queue (no pool).
            let ret =
                unsafe { sys::rte_eth_tx_queue_setup(port, q, nb_tx, socket, std::ptr::null()) };
            if ret != 0 {
                return Err(eth_failed("rte_eth_tx_queue_setup", device, ret));
            }
        }
        // SAFETY: port is configured and its queues set up.
        let ret = unsafe { sys::rte_eth_dev_start(port) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_dev_start", device, ret));
        }
        // From here on the device is started: EthDev's drop stops it.
        let promiscuous = setup.promiscuous && {
            // SAFETY: port is valid and started.
            unsafe { sys::rte_eth_promiscuous_enable(port) == 0 }
        };
        let dev = Arc::new(EthDev {
            port,
            _claim: claim,
            name: device.to_owned(),
            xstat_names: xstat_names(port),
            _pools: pools.to_vec(),
            _eal: Arc::clone(eal),
        });
        let rx = (0..setup.rx_queues)
            .map(|queue| EthRxQueue {
                dev: Arc::clone(&dev),
                queue,
            })
            .collect();
        let tx = (0..setup.tx_queues)
            .map(|queue| EthTxQueue {
                dev: Arc::clone(&dev),
                queue,
            })
            .collect();
        Ok(StartedPort {
            dev,
            rx,
            tx,
            started: PortStarted {
                driver,
                rss_hf,
                rss_unsupported: wanted & !rss_hf,
                rx_descriptors: nb_rx,
                tx_descriptors: nb_tx,
                promiscuous,
            },
        })
    }

    /// The device's name (as configured).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// DPDK's port id.
    pub fn port_id(&self) -> u16 {
        self.port
    }

    /// Link state now (does not wait for auto-negotiation).
    pub fn link(&self) -> Result<Link, DpdkError> {
        let mut link = sys::rte_eth_link::default();
        // SAFETY: port is valid; link is writable.
        let ret = unsafe { sys::rte_eth_link_get_nowait(self.port, &mut link) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_link_get_nowait", &self.name, ret));
        }
        Ok(Link {
            up: u32::from(link.link_status()) == sys::RTE_ETH_LINK_UP,
            speed_mbps: link.link_speed,
        })
    }

    /// The device's MAC address.
    pub fn mac(&self) -> Result<[u8; 6], DpdkError> {
        let mut mac = sys::rte_ether_addr::default();
        // SAFETY: port is valid; mac is writable.
        let ret = unsafe { sys::rte_eth_macaddr_get(self.port, &mut mac) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_macaddr_get", &self.name, ret));
        }
        Ok(mac.addr_bytes)
    }

    /// `rte_eth_stats_get`.
    pub fn stats(&self) -> Result<DeviceStats, DpdkError> {
        let mut s = sys::rte_eth_stats::default();
        // SAFETY: port is valid; s is writable. Reading while workers
        // receive and send is what DPDK's own tools do.
        let ret = unsafe { sys::rte_eth_stats_get(self.port, &mut s) };
        if ret != 0 {
            return Err(eth_failed("rte_eth_stats_get", &self.name, ret));
        }
        Ok(DeviceStats {
            rx_packets: s.ipackets,
            tx_packets: s.opackets,
            rx_bytes: s.ibytes,
            tx_bytes: s.obytes,
            rx_missed: s.imissed,
            rx_errors: s.ierrors,
            tx_errors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        })
    }

    /// Extended stats: `(name, value)` for every counter the driver keeps.
    pub fn xstats(&self) -> Result<Vec<(String, u64)>, DpdkError> {
        let n = self.xstat_names.len();
        let mut values = vec![sys::rte_eth_xstat::default(); n];
        // SAFETY: values has room for n entries, the count the call is told.
        let ret = unsafe { sys::rte_eth_xstats_get(self.port, values.as_mut_ptr(), n as u32) };
        if ret < 0 {
            return Err(eth_failed("rte_eth_xstats_get", &self.name, ret));
        }
        let got = (ret as usize).min(n);
        Ok(values[..got]
            .iter()
            .filter_map(|x| {
                let name = self.xstat_names.get(usize::try_from(x.id).ok()?)?;
                Some((name.clone(), x.value))
            })
            .collect())
    }
}

/// The device's xstat names, by id (read once: they do not change while
/// the device runs).
fn xstat_names(port: u16) -> Vec<String> {
    // SAFETY: a NULL array with size 0 asks for the count only.
    let n = unsafe { sys::rte_eth_xstats_get_names(port, std::ptr::null_mut(), 0) };
    let Ok(n) = usize::try_from(n) else {
        return Vec::new();
    };
    let mut names = vec![sys::rte_eth_xstat_name::default(); n];
    // SAFETY: names has room for n entries, the count the call is told.
    let got = unsafe { sys::rte_eth_xstats_get_names(port, names.as_mut_ptr(), n as u32) };
    let got = usize::try_from(got).unwrap_or(0).min(n);
    names[..got]
        .iter()
        .map(|x| {
            // SAFETY: DPDK writes NUL-terminated names into the fixed array
            // (RTE_ETH_XSTATS_NAME_SIZE bytes).
            unsafe { CStr::from_ptr(x.name.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

impl Drop for EthDev {
    fn drop(&mut self) {
        // SAFETY: the last handle is going, so no queue is polled any more;
        // stop then close releases the mbufs left in the rings (before the
        // pools, which this struct still holds, are freed).
        unsafe {
            sys::rte_eth_dev_stop(self.port);
            sys::rte_eth_dev_close(self.port);
        }
    }
}

impl EthRxQueue {
    /// The queue id.
    pub fn queue(&self) -> u16 {
        self.queue
    }

    /// The device.
    pub fn dev(&self) -> &Arc<EthDev> {
        &self.dev
    }

    /// Receives up to `out.remaining_capacity()` frames into `out`;
    /// returns how many.
    #[inline]
    pub fn rx_burst<const N: usize>(&mut self, out: &mut ArrayVec<Mbuf, N>) -> usize {
        let want = out.remaining_capacity().min(usize::from(u16::MAX));
        let mut raw: [*mut sys::rte_mbuf; N] = [std::ptr::null_mut(); N];
        // SAFETY: this handle is the queue's only user (one per queue, not
        // Clone); raw has room for `want` <= N pointers.
        let n = unsafe {
            sys::silkroute_shim_rte_eth_rx_burst(
                self.dev.port,
                self.queue,
                raw.as_mut_ptr(),
                want as u16,
            )
        };
        let n = usize::from(n).min(want);
        for &m in &raw[..n] {
            if let Some(m) = NonNull::new(m) {
                // SAFETY: the driver handed these mbufs over to us.
                let _ = out.try_push(unsafe { Mbuf::from_raw(m) });
            }
        }
        n
    }
}

impl EthTxQueue {
    /// The queue id.
    pub fn queue(&self) -> u16 {
        self.queue
    }

    /// Queues frames from the front of `pkts`; those taken are removed
    /// (the device frees them once sent), refused ones stay, in order.
    /// Returns how many were taken.
    #[inline]
    pub fn tx_burst<const N: usize>(&mut self, pkts: &mut ArrayVec<Mbuf, N>) -> usize {
        let n = pkts.len().min(usize::from(u16::MAX));
        let mut raw: [*mut sys::rte_mbuf; N] = [std::ptr::null_mut(); N];
        for (slot, m) in raw.iter_mut().zip(pkts.iter()) {
            *slot = m.as_ptr();
        }
        // SAFETY: this handle is the queue's only user; raw holds n valid
        // mbufs we own. The driver takes ownership of the first `sent`.
        let sent = unsafe {
            sys::silkroute_shim_rte_eth_tx_burst(
                self.dev.port,
                self.queue,
                raw.as_mut_ptr(),
                n as u16,
            )
        };
        let sent = usize::from(sent).min(n);
        for m in pkts.drain(..sent) {
            // Now owned by the device.
            let _ = m.into_raw();
        }
        sent
    }
}
