//! Opens the configured ports as queues of the heap backend (pcap and
//! memory ports).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use silkroute_config::{Config, Driver};
use silkroute_router::buf::HeapPool;
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
        }
        out.counters.push(counters);
    }
    Ok(out)
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
