//! What the control plane knows about the running router, shared with the
//! metrics endpoint and the control socket.
//!
//! Worker counters are read straight from each worker's
//! [`SharedCounters`] (lock-free: the worker publishes with relaxed stores,
//! readers load); control-plane state sits behind a mutex that only the
//! control loop and readers take, never a worker.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use silkroute_router::counters::{SharedCounters, WorkerCounters};
use silkroute_router::port::DriverCounters;

use crate::exception::ControlCounters;

/// FIB facts for metrics and `silkctl status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FibStats {
    /// IPv4 prefixes (connected and local included).
    pub routes_v4: usize,
    /// IPv6 prefixes (connected and local included).
    pub routes_v6: usize,
    /// Next-hop entries.
    pub next_hops: usize,
    /// ECMP groups (targets with more than one member).
    pub ecmp_groups: usize,
    /// Bytes the snapshot's tables hold.
    pub mem_bytes: usize,
    /// Generation of the published snapshot.
    pub generation: u64,
}

/// Outcome of a reload, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReloadResult {
    /// Applied.
    Success,
    /// The new config is invalid; nothing changed.
    Invalid,
    /// The change needs a restart; nothing changed.
    RestartNeeded,
    /// Applying failed (the FIB refused it); nothing changed.
    Failed,
}

impl ReloadResult {
    /// Every result.
    pub const ALL: [ReloadResult; 4] = [
        ReloadResult::Success,
        ReloadResult::Invalid,
        ReloadResult::RestartNeeded,
        ReloadResult::Failed,
    ];

    /// The label.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReloadResult::Success => "success",
            ReloadResult::Invalid => "invalid",
            ReloadResult::RestartNeeded => "restart_needed",
            ReloadResult::Failed => "failed",
        }
    }
}

/// Reload history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReloadStats {
    /// Reloads per result, indexed like [`ReloadResult::ALL`].
    pub by_result: [u64; 4],
    /// When the last reload finished (any result).
    pub last_time: Option<SystemTime>,
    /// Seconds from request to every worker on the new FIB (or to the
    /// refusal) for the last reload.
    pub last_duration_seconds: f64,
    /// Result of the last reload.
    pub last_result: Option<ReloadResult>,
    /// Error text of the last failed reload.
    pub last_error: Option<String>,
    /// Successful configuration loads so far (1 after start).
    pub config_generation: u64,
}

/// Neighbour entries by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeighborCounts {
    /// Configured statically.
    pub static_entries: usize,
    /// Learned and reachable.
    pub reachable: usize,
    /// Resolution in progress.
    pub incomplete: usize,
    /// Learned, not confirmed recently.
    pub stale: usize,
}

/// Control-plane state behind the mutex.
#[derive(Debug, Clone, Default)]
pub struct ControlState {
    /// What the exception handler did.
    pub control: ControlCounters,
    /// The FIB.
    pub fib: FibStats,
    /// Reloads.
    pub reloads: ReloadStats,
    /// Neighbours.
    pub neighbors: NeighborCounts,
}

/// A port's device counters, as its NIC or poll-mode driver keeps them
/// (DPDK's `rte_eth_stats` and extended stats), besides silkroute's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Port id.
    pub port: usize,
    /// Frames received.
    pub rx_packets: u64,
    /// Frames sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Frames dropped by the device for want of a free descriptor.
    pub rx_missed: u64,
    /// Erroneous frames received.
    pub rx_errors: u64,
    /// Failed transmissions.
    pub tx_errors: u64,
    /// Receive buffer allocation failures.
    pub rx_nombuf: u64,
    /// Mbufs free in the port's mempool now.
    pub mbufs_available: u64,
    /// Mbufs the port's mempool was created with.
    pub mbufs: u64,
    /// The driver's extended counters, `(name, value)`.
    pub xstats: Vec<(String, u64)>,
}

/// Where device counters come from; read when metrics are scraped (never
/// by a worker).
pub trait DeviceStatsSource: Send + Sync + std::fmt::Debug {
    /// Counters of every port that has them.
    fn read(&self) -> Vec<DeviceStats>;
}

/// Shared view of the running router.
#[derive(Debug)]
pub struct Telemetry {
    /// Port names by port id.
    pub port_names: Vec<String>,
    /// Port drivers (`pcap`, `memory`, ...) by port id.
    pub port_drivers: Vec<&'static str>,
    /// Each worker's core.
    pub worker_cores: Vec<usize>,
    /// Each worker's published counters.
    pub workers: Vec<Arc<SharedCounters>>,
    /// Driver counters by port id.
    pub driver: Vec<Arc<DriverCounters>>,
    /// The rx queues each worker polls, as `(port id, queue)`, by worker
    /// (empty when not given: metrics then leave the `queue` label empty).
    pub worker_rx_queues: Vec<Vec<(usize, u16)>>,
    /// Per port id, how an af_xdp port runs (`native-copy`,
    /// `native-zerocopy`, `skb-copy`) or a dpdk port's poll-mode driver
    /// (`net_pcap`, `net_ixgbe`, ...); empty for other drivers (and empty
    /// when not given).
    pub port_modes: Vec<&'static str>,
    /// Device counters of the ports that have them (dpdk).
    pub device_stats: Option<Arc<dyn DeviceStatsSource>>,
    /// When the router started.
    pub started: SystemTime,
    state: Mutex<ControlState>,
}

impl Telemetry {
    /// A new view.
    pub fn new(
        port_names: Vec<String>,
        port_drivers: Vec<&'static str>,
        worker_cores: Vec<usize>,
        workers: Vec<Arc<SharedCounters>>,
        driver: Vec<Arc<DriverCounters>>,
    ) -> Self {
        Self {
            port_names,
            port_drivers,
            worker_cores,
            workers,
            driver,
            worker_rx_queues: Vec::new(),
            port_modes: Vec::new(),
            device_stats: None,
            started: SystemTime::now(),
            state: Mutex::new(ControlState::default()),
        }
    }

    /// Records the rx queues each worker polls (`(port id, queue)` lists by
    /// worker), so per-queue metrics can carry the queue.
    pub fn with_worker_rx_queues(mut self, queues: Vec<Vec<(usize, u16)>>) -> Self {
        self.worker_rx_queues = queues;
        self
    }

    /// Records how each af_xdp port runs (see [`Telemetry::port_modes`]).
    pub fn with_port_modes(mut self, modes: Vec<&'static str>) -> Self {
        self.port_modes = modes;
        self
    }

    /// Records where device counters come from.
    pub fn with_device_stats(mut self, source: Option<Arc<dyn DeviceStatsSource>>) -> Self {
        self.device_stats = source;
        self
    }

    /// Snapshots of every worker's counters.
    pub fn worker_counters(&self) -> Vec<WorkerCounters> {
        self.workers.iter().map(|w| w.snapshot()).collect()
    }

    /// The control-plane state (a poisoned lock still yields the data:
    /// counters stay readable after a panic elsewhere).
    pub fn state(&self) -> MutexGuard<'_, ControlState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
