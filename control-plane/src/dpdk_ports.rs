//! Opens dpdk ports and starts `Worker<Dpdk>` threads: the DPDK
//! counterpart of the heap and af_xdp paths of
//! [`crate::runtime::Router::start`] (FIB publication, exception rings and
//! counters are shared through [`crate::workers`]).
//!
//! Order: the EAL is initialised once (from `dpdk:`), then each port gets
//! its mempool and is configured and started, then the workers start.
//! Worker `k` transmits through queue `k` of every port (the config
//! guarantees `tx_queues >= workers`) and polls the receive queues the
//! config gives it. Each worker thread registers with the EAL so it has an
//! lcore id and thereby its own mempool cache.
//!
//! Without the `dpdk` feature a dpdk config is refused here, with an error
//! saying so.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use silkroute_config::{Config, Driver};
use silkroute_router::fib::FibPublisher;

use crate::runtime::{RunOptions, StartError};
use crate::workers::WorkersStarted;

/// True when the config's ports are dpdk ports (then all are).
pub fn uses_dpdk(cfg: &Config) -> bool {
    cfg.ports
        .iter()
        .any(|p| matches!(p.driver, Driver::Dpdk { .. }))
}

/// Refuses: this build has no DPDK.
#[cfg(not(feature = "dpdk"))]
pub fn start_dpdk_workers(
    config: &Config,
    _publisher: &mut FibPublisher,
    _stop: &Arc<AtomicBool>,
    _opts: &RunOptions,
) -> Result<WorkersStarted, StartError> {
    let port = config
        .ports
        .iter()
        .find(|p| matches!(p.driver, Driver::Dpdk { .. }))
        .map_or_else(String::new, |p| p.name.to_string());
    Err(crate::ports::PortOpenError::NoDpdkFeature { port }.into())
}

#[cfg(feature = "dpdk")]
pub use with_dpdk::{default_mbufs, start_dpdk_workers};

#[cfg(feature = "dpdk")]
mod with_dpdk {
    use super::*;

    use silkroute_config::{MacAddr, DEFAULT_MTU};
    use silkroute_dpdk::{
        data_room_for_mtu, Eal, EalOptions, EthDev, Mempool, MempoolConfig, PortSetup, StartedPort,
        ThreadRegistration,
    };
    use silkroute_router::port::dpdk::{Dpdk, DpdkPool, DpdkRx, DpdkTx};
    use silkroute_router::port::DriverCounters;
    use silkroute_router::BURST_SIZE;

    use crate::ports::PortOpenError;
    use crate::telemetry::{DeviceStats, DeviceStatsSource};

    /// A port's default mempool: its receive rings full, every transmit
    /// ring of every port full of its mbufs (a forwarded mbuf waits in the
    /// egress port's ring until sent), and each worker's lcore cache and a
    /// few bursts in flight, rounded up to 2^k - 1 (the size DPDK's ring
    /// stores best).
    pub fn default_mbufs(rx_slots: u32, tx_slots_all_ports: u32, workers: u32) -> u32 {
        let per_worker = silkroute_dpdk::cache_size(u32::MAX) + 4 * BURST_SIZE as u32;
        let need = rx_slots
            .saturating_add(tx_slots_all_ports)
            .saturating_add(workers.saturating_mul(per_worker));
        need.saturating_add(1)
            .checked_next_power_of_two()
            .map_or(u32::MAX, |p| p - 1)
    }

    /// The EAL command line for `cfg`.
    fn eal_options(cfg: &Config) -> EalOptions {
        let d = &cfg.dpdk;
        EalOptions {
            cores: d.cores.clone(),
            memory_mb: d.memory_mb,
            no_huge: d.no_huge,
            allow: d.allow.clone(),
            no_pci: d.allow.is_empty(),
            vdevs: d.vdevs.clone(),
            file_prefix: d.file_prefix.clone(),
            extra_args: d.extra_args.clone(),
        }
    }

    /// `rte_eal_init`, then the calling (control-plane) thread is put back
    /// on the CPUs it had: the EAL pins it to the first lcore, which may
    /// be a worker's.
    fn init_eal(cfg: &Config) -> Result<Arc<Eal>, PortOpenError> {
        use nix::sched::{sched_getaffinity, sched_setaffinity};
        use nix::unistd::Pid;
        let args = eal_options(cfg).args();
        let before = sched_getaffinity(Pid::from_raw(0));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let eal = Eal::init(&refs).map_err(|source| PortOpenError::DpdkEal {
            args: args.join(" "),
            source,
        })?;
        if let Ok(set) = before {
            if let Err(e) = sched_setaffinity(Pid::from_raw(0), &set) {
                tracing::warn!("restoring the control thread's CPU affinity after EAL init: {e}");
            }
        }
        tracing::info!(args = %args.join(" "), "DPDK EAL initialised");
        Ok(Arc::new(eal))
    }

    /// Reads every port's device counters.
    #[derive(Debug)]
    struct PortStats {
        ports: Vec<(Arc<EthDev>, Arc<Mempool>)>,
    }

    impl DeviceStatsSource for PortStats {
        fn read(&self) -> Vec<DeviceStats> {
            let mut out = Vec::with_capacity(self.ports.len());
            for (port, (dev, pool)) in self.ports.iter().enumerate() {
                let s = match dev.stats() {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!("port stats: {e}");
                        continue;
                    }
                };
                out.push(DeviceStats {
                    port,
                    rx_packets: s.rx_packets,
                    tx_packets: s.tx_packets,
                    rx_bytes: s.rx_bytes,
                    tx_bytes: s.tx_bytes,
                    rx_missed: s.rx_missed,
                    rx_errors: s.rx_errors,
                    tx_errors: s.tx_errors,
                    rx_nombuf: s.rx_nombuf,
                    mbufs_available: u64::from(pool.available()),
                    mbufs: u64::from(pool.size()),
                    xstats: dev.xstats().unwrap_or_default(),
                });
            }
            out
        }
    }

    /// Initialises the EAL, starts every port and then the workers.
    pub fn start_dpdk_workers(
        config: &Config,
        publisher: &mut FibPublisher,
        stop: &Arc<AtomicBool>,
        opts: &RunOptions,
    ) -> Result<WorkersStarted, StartError> {
        let eal = init_eal(config)?;
        let nports = config.ports.len();
        let workers = config.workers.len().max(1) as u32;
        let tx_slots_all: u32 = config
            .ports
            .iter()
            .map(|p| match &p.driver {
                Driver::Dpdk {
                    tx_queues,
                    tx_descriptors,
                    ..
                } => u32::from(*tx_queues) * u32::from(*tx_descriptors),
                _ => 0,
            })
            .sum();
        let mut started_ports: Vec<StartedPort> = Vec::with_capacity(nports);
        let mut pools = Vec::with_capacity(nports);
        let mut modes = Vec::with_capacity(nports);
        for (idx, port) in config.ports.iter().enumerate() {
            let Driver::Dpdk {
                device,
                rx_queues,
                tx_queues,
                rx_descriptors,
                tx_descriptors,
                rss,
                promiscuous,
                mbufs,
            } = &port.driver
            else {
                return Err(PortOpenError::MixedBackends {
                    port: port.name.to_string(),
                    driver: port.driver.kind(),
                    backend: "dpdk",
                }
                .into());
            };
            let fail = |source| PortOpenError::Dpdk {
                port: port.name.to_string(),
                device: device.clone(),
                source,
            };
            let l3 = config.interfaces.iter().find(|i| i.port == idx);
            let mtu = l3.map_or(DEFAULT_MTU, |i| i.mtu);
            let mbufs = mbufs.unwrap_or_else(|| {
                default_mbufs(
                    u32::from(*rx_queues) * u32::from(*rx_descriptors),
                    tx_slots_all,
                    workers,
                )
            });
            let pool = Mempool::create(
                &eal,
                MempoolConfig {
                    mbufs,
                    data_room: data_room_for_mtu(mtu),
                    socket: -1,
                },
            )
            .map_err(fail)?;
            let setup = PortSetup {
                rx_queues: *rx_queues,
                tx_queues: *tx_queues,
                rx_descriptors: *rx_descriptors,
                tx_descriptors: *tx_descriptors,
                rss: *rss,
                promiscuous: *promiscuous,
                mtu,
            };
            let sp =
                EthDev::start(&eal, device, &setup, std::slice::from_ref(&pool)).map_err(fail)?;
            log_port(port.name.as_str(), device, &setup, &sp, mbufs, l3);
            modes.push(leak_mode(&sp.started.driver));
            pools.push(pool);
            started_ports.push(sp);
        }
        let counters: Vec<Arc<DriverCounters>> = (0..nports).map(|_| Arc::default()).collect();
        let mut heap = crate::workers::no_heap_ports(nports);
        heap.counters = counters.clone();
        let mut started = WorkersStarted::new(heap, nports);
        started.port_modes = modes;
        started.device_stats = Some(Arc::new(PortStats {
            ports: started_ports
                .iter()
                .zip(&pools)
                .map(|(sp, pool)| (Arc::clone(&sp.dev), Arc::clone(pool)))
                .collect(),
        }));
        let mut rx_queues: Vec<Vec<Option<_>>> = Vec::with_capacity(nports);
        let mut tx_queues: Vec<Vec<Option<_>>> = Vec::with_capacity(nports);
        for sp in started_ports {
            rx_queues.push(sp.rx.into_iter().map(Some).collect());
            tx_queues.push(sp.tx.into_iter().map(Some).collect());
        }
        for (w, wcfg) in config.workers.iter().enumerate() {
            let mut rx = Vec::new();
            for q in &wcfg.rx {
                let queue = rx_queues
                    .get_mut(q.port)
                    .and_then(|p| p.get_mut(usize::from(q.queue)))
                    .and_then(Option::take);
                if let (Some(queue), Some(c)) = (queue, counters.get(q.port)) {
                    rx.push((q.port as u16, q.queue, DpdkRx::new(queue, Arc::clone(c))));
                }
            }
            let tx: Vec<Option<DpdkTx>> = tx_queues
                .iter_mut()
                .map(|p| p.get_mut(w).and_then(Option::take).map(DpdkTx::new))
                .collect();
            // Injected packets come from the pool of the first port the
            // worker polls (any pool would do: an mbuf goes back to its own).
            let Some(pool) = wcfg
                .rx
                .first()
                .and_then(|q| pools.get(q.port))
                .or(pools.first())
                .cloned()
            else {
                break; // no port at all: nothing to poll
            };
            let eal = Arc::clone(&eal);
            started.start::<Dpdk, _>(
                w,
                wcfg,
                rx,
                tx,
                DpdkPool::new(pool),
                publisher,
                stop,
                opts,
                move || register_thread(w, &eal),
            )?;
        }
        Ok(started)
    }

    /// Registers a worker thread with the EAL; a failure costs the
    /// mempool cache, not correctness, so it is logged and the worker runs.
    fn register_thread(worker: usize, eal: &Arc<Eal>) -> Option<ThreadRegistration> {
        match ThreadRegistration::register(eal) {
            Ok(r) => {
                tracing::debug!(worker, lcore = r.lcore(), "worker registered with the EAL");
                Some(r)
            }
            Err(e) => {
                tracing::warn!(worker, "{e}; the worker runs without a mempool cache");
                None
            }
        }
    }

    /// The driver name as a `&'static str` for metric labels: a handful of
    /// short strings, once per port and process.
    fn leak_mode(driver: &str) -> &'static str {
        Box::leak(driver.to_owned().into_boxed_str())
    }

    fn log_port(
        name: &str,
        device: &str,
        setup: &PortSetup,
        sp: &StartedPort,
        mbufs: u32,
        l3: Option<&silkroute_config::InterfaceConfig>,
    ) {
        let link = sp.dev.link().unwrap_or(silkroute_dpdk::Link {
            up: false,
            speed_mbps: 0,
        });
        let mac = MacAddr(sp.dev.mac().unwrap_or_default());
        let s = &sp.started;
        tracing::info!(
            port = name,
            device,
            driver = %s.driver,
            up = link.up,
            speed_mbps = link.speed_mbps,
            %mac,
            mtu = setup.mtu,
            rx_queues = setup.rx_queues,
            tx_queues = setup.tx_queues,
            rx_descriptors = s.rx_descriptors,
            tx_descriptors = s.tx_descriptors,
            rss_hf = format_args!("{:#x}", s.rss_hf),
            promiscuous = s.promiscuous,
            mbufs,
            "dpdk port open"
        );
        if s.rss_unsupported != 0 && setup.rx_queues > 1 {
            tracing::warn!(
                port = name,
                device,
                unsupported = format_args!("{:#x}", s.rss_unsupported),
                "the device cannot hash these RSS types; they are left out{}",
                if s.rss_hf == 0 {
                    " (no RSS: the driver spreads frames over its queues its own way)"
                } else {
                    ""
                }
            );
        }
        if setup.promiscuous && !s.promiscuous {
            tracing::warn!(port = name, device, "the device refused promiscuous mode");
        }
        if (s.rx_descriptors, s.tx_descriptors) != (setup.rx_descriptors, setup.tx_descriptors) {
            tracing::info!(
                port = name,
                device,
                rx_descriptors = s.rx_descriptors,
                tx_descriptors = s.tx_descriptors,
                "the driver adjusted the descriptor counts to its limits"
            );
        }
        crate::ports::warn_link(
            name,
            device,
            link.up,
            u32::from(setup.mtu),
            mac,
            l3,
            s.promiscuous,
        );
    }

    #[cfg(test)]
    mod tests {
        use super::default_mbufs;

        #[test]
        fn default_pool_holds_rings_caches_and_bursts() {
            // 1 rx queue x 1024, 2 ports x 2 tx queues x 1024, 2 workers
            // x (256 + 128) = 5888 -> 8191.
            assert_eq!(default_mbufs(1024, 4096, 2), 8191);
            assert_eq!(default_mbufs(0, 0, 0), 0);
            assert_eq!(default_mbufs(u32::MAX, 1, 1), u32::MAX);
        }
    }
}
