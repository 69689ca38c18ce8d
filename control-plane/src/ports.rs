//! Opens the configured ports as queues of the heap backend (pcap,
//! memory and AF_PACKET ports).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use silkroute_config::{Config, Driver};
use silkroute_router::buf::HeapPool;
#[cfg(target_os = "linux")]
use silkroute_router::port::af_packet::{AfPacketError, AfPacketRx, AfPacketTx, RingConfig};
use silkroute_router::port::memory::{MemoryPeer, MemoryPort};
use silkroute_router::port::pcap::{self, PcapPortError, PcapTx};
use silkroute_router::port::{DriverCounters, HeapRx, HeapTx};

/// Why the ports could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum PortOpenError {
    /// A capture file failed.
    #[error("port {port}")]
    Pcap {
        /// Port name.
        port: String,
        /// The failure.
        source: PcapPortError,
    },
    /// An AF_PACKET socket could not be set up (no such interface, not
    /// root, ...).
    #[cfg(target_os = "linux")]
    #[error("port {port}")]
    AfPacket {
        /// Port name.
        port: String,
        /// The failure, naming the interface.
        source: silkroute_router::port::af_packet::AfPacketError,
    },
    /// An AF_XDP port or socket could not be set up.
    #[cfg(target_os = "linux")]
    #[error("port {port}")]
    AfXdp {
        /// Port name.
        port: String,
        /// The failure, naming the interface.
        source: silkroute_router::port::af_xdp::AfXdpError,
    },
    /// A port of one backend among ports of another (af_xdp or dpdk
    /// beside heap-backend ports; the config loader refuses such a mix).
    #[error("port {port}: {driver} ports cannot run beside {backend} ports")]
    MixedBackends {
        /// Port name.
        port: String,
        /// Its driver.
        driver: &'static str,
        /// The backend of the other ports.
        backend: &'static str,
    },
    /// A dpdk port in a build without the `dpdk` feature.
    #[error("port {port} uses the dpdk driver but this silkroute was built without the dpdk feature (rebuild with `cargo build --release --features dpdk`)")]
    NoDpdkFeature {
        /// Port name.
        port: String,
    },
    /// The DPDK EAL refused its options (or a device failed to probe).
    #[cfg(feature = "dpdk")]
    #[error("initialising the DPDK EAL with `{args}`")]
    DpdkEal {
        /// The EAL command line.
        args: String,
        /// DPDK's error.
        source: silkroute_dpdk::DpdkError,
    },
    /// A dpdk port's device could not be found, configured or started.
    #[cfg(feature = "dpdk")]
    #[error("port {port} (DPDK device {device})")]
    Dpdk {
        /// Port name.
        port: String,
        /// The device.
        device: String,
        /// DPDK's error.
        source: silkroute_dpdk::DpdkError,
    },
    /// The driver does not exist on this operating system.
    #[error("port {port}: the {driver} driver is not available on this system")]
    Unsupported {
        /// Port name.
        port: String,
        /// The driver's config key.
        driver: &'static str,
    },
}

/// Queues of every port, ready to be handed to workers.
#[derive(Debug)]
pub struct OpenPorts {
    /// `rx[port][queue]`, taken by the worker that polls it.
    pub rx: Vec<Vec<Option<HeapRx>>>,
    /// `tx[port][worker]`, one transmit queue per worker and port.
    pub tx: Vec<Vec<Option<HeapTx>>>,
    /// Driver counters per port.
    pub counters: Vec<Arc<DriverCounters>>,
    /// The other ends of memory ports, by port name.
    pub memory_peers: HashMap<String, MemoryPeer>,
}

/// The capture file worker `worker` writes for a port whose configured
/// output is `path`: worker 0 writes `path` itself, worker k writes
/// `path` with `-wK` before the extension, since a capture file has one
/// writer.
pub fn tx_path_for_worker(path: &Path, worker: usize) -> PathBuf {
    if worker == 0 {
        return path.to_owned();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-w{worker}.{}", ext.to_string_lossy()),
        None => format!("{stem}-w{worker}"),
    };
    path.with_file_name(name)
}

/// Opens every port of `cfg` for `workers` workers.
pub fn open_ports(cfg: &Config, pool: &Arc<HeapPool>) -> Result<OpenPorts, PortOpenError> {
    let workers = cfg.workers.len().max(1);
    let mut out = OpenPorts {
        rx: Vec::new(),
        tx: Vec::new(),
        counters: Vec::new(),
        memory_peers: HashMap::new(),
    };
    for port in &cfg.ports {
        let counters = Arc::new(DriverCounters::default());
        let name = port.name.as_str().to_owned();
        let err = |source| PortOpenError::Pcap {
            port: name.clone(),
            source,
        };
        match &port.driver {
            Driver::Pcap { rx, tx, looped } => {
                let rxq = match rx {
                    Some(path) => vec![Some(HeapRx::Source(
                        pcap::open_rx(path, *looped, Arc::clone(&counters)).map_err(err)?,
                    ))],
                    None => Vec::new(),
                };
                let mut txq = Vec::new();
                for w in 0..workers {
                    txq.push(Some(match tx {
                        Some(path) => HeapTx::Pcap(
                            PcapTx::create(&tx_path_for_worker(path, w), Arc::clone(&counters))
                                .map_err(err)?,
                        ),
                        None => HeapTx::Discard,
                    }));
                }
                out.rx.push(rxq);
                out.tx.push(txq);
            }
            Driver::Memory { ring_size, queues } => {
                let (rx, tx, peer) =
                    MemoryPort::create(*ring_size as usize, usize::from(*queues), workers, pool);
                out.rx
                    .push(rx.into_iter().map(|r| Some(HeapRx::Ring(r))).collect());
                out.tx
                    .push(tx.into_iter().map(|t| Some(HeapTx::Ring(t))).collect());
                out.memory_peers.insert(name.clone(), peer);
            }
            #[cfg(target_os = "linux")]
            Driver::AfPacket {
                interface,
                ring_frames,
                frame_size,
            } => {
                let (rxq, txq) =
                    open_af_packet(cfg, port, interface, *ring_frames, *frame_size, &counters)
                        .map_err(|source| PortOpenError::AfPacket {
                            port: name.clone(),
                            source,
                        })?;
                out.rx.push(vec![Some(HeapRx::AfPacket(rxq))]);
                out.tx
                    .push(txq.into_iter().map(|t| Some(HeapTx::AfPacket(t))).collect());
            }
            // Opened by `crate::xdp_ports` and `crate::dpdk_ports` on their
            // own backends.
            Driver::AfXdp { .. } | Driver::Dpdk { .. } => {
                return Err(PortOpenError::MixedBackends {
                    port: name.clone(),
                    driver: port.driver.kind(),
                    backend: "heap",
                })
            }
            #[cfg(not(target_os = "linux"))]
            Driver::AfPacket { .. } => {
                return Err(PortOpenError::Unsupported {
                    port: name.clone(),
                    driver: port.driver.kind(),
                })
            }
        }
        out.counters.push(counters);
    }
    Ok(out)
}

/// One receive queue and one transmit queue per worker on `interface`;
/// logs the link's state and warns where it disagrees with the config
/// (MTU, link down).
#[cfg(target_os = "linux")]
fn open_af_packet(
    cfg: &Config,
    port: &silkroute_config::PortConfig,
    interface: &str,
    ring_frames: u32,
    frame_size: u32,
    counters: &Arc<DriverCounters>,
) -> Result<(AfPacketRx, Vec<AfPacketTx>), AfPacketError> {
    let ring = RingConfig {
        ring_frames,
        frame_size,
    };
    let rx = AfPacketRx::open(interface, ring, Arc::clone(counters))?;
    let tx = (0..cfg.workers.len().max(1))
        .map(|_| AfPacketTx::open(interface, ring, Arc::clone(counters)))
        .collect::<Result<Vec<_>, _>>()?;
    let l3 = cfg
        .interfaces
        .iter()
        .find(|i| cfg.ports.get(i.port).is_some_and(|p| p.name == port.name));
    match rx.link_info() {
        Ok(link) => {
            let mac = silkroute_config::MacAddr(link.mac);
            tracing::info!(
                port = %port.name,
                interface,
                up = link.up,
                mtu = link.mtu,
                %mac,
                "af_packet port open"
            );
            warn_link(
                port.name.as_str(),
                interface,
                link.up,
                link.mtu,
                mac,
                l3,
                true,
            );
        }
        Err(e) => tracing::warn!(port = %port.name, interface, "reading link state: {e}"),
    }
    Ok((rx, tx))
}

/// Start-up checks of a Linux interface against its configuration, shared
/// by the af_packet and af_xdp ports: link down, MTU above the link's,
/// router MAC different from the interface's (harmless when the port
/// receives promiscuously, a silent loss behind a NIC's unicast filter
/// otherwise).
pub(crate) fn warn_link(
    port: &str,
    interface: &str,
    up: bool,
    link_mtu: u32,
    mac: silkroute_config::MacAddr,
    l3: Option<&silkroute_config::InterfaceConfig>,
    promiscuous: bool,
) {
    if !up {
        tracing::warn!(
            port,
            interface,
            "link is down; forwarding starts when it comes up"
        );
    }
    let Some(i) = l3 else {
        return;
    };
    if u32::from(i.mtu) > link_mtu {
        tracing::warn!(
            port,
            interface,
            config_mtu = i.mtu,
            link_mtu,
            "configured MTU exceeds the link's: larger packets will be lost"
        );
    }
    if i.mac != mac {
        if promiscuous {
            tracing::info!(
                port,
                interface,
                config_mac = %i.mac,
                link_mac = %mac,
                "router MAC differs from the interface's; receiving in promiscuous mode"
            );
        } else {
            tracing::warn!(
                port,
                interface,
                config_mac = %i.mac,
                link_mac = %mac,
                "router MAC differs from the interface's: a NIC's unicast filter may drop frames for it (AF_XDP does not set promiscuous mode)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_worker_capture_names() {
        let p = Path::new("out/p1.pcap");
        assert_eq!(tx_path_for_worker(p, 0), PathBuf::from("out/p1.pcap"));
        assert_eq!(tx_path_for_worker(p, 2), PathBuf::from("out/p1-w2.pcap"));
    }
}
