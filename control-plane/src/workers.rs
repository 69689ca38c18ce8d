//! Starting worker threads, whatever the backend: the one path the heap
//! (pcap, memory, af_packet), af_xdp and dpdk ports share once their
//! queues and pools are open. Each worker gets its exception rings, its
//! published counters and a FIB reader here, and runs on a thread named
//! `silkroute-w{id}` pinned to its core.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;

use silkroute_config::{WorkerConfig, WorkerIdle};
use silkroute_router::counters::{SharedCounters, WorkerCounters};
use silkroute_router::exception::{self, ControlRings};
use silkroute_router::fib::FibPublisher;
use silkroute_router::port::Backend;
use silkroute_router::worker::{pin_to_core, IdlePolicy, Worker};

use crate::ports::OpenPorts;
use crate::runtime::{RunOptions, StartError};
use crate::telemetry::DeviceStatsSource;

/// What the ports and workers of one backend left for `Router::start`.
#[derive(Debug)]
pub struct WorkersStarted {
    /// Worker threads, by worker index.
    pub handles: Vec<JoinHandle<WorkerCounters>>,
    /// Each worker's published counters.
    pub shared: Vec<Arc<SharedCounters>>,
    /// The control plane's ends of each worker's rings.
    pub control: Vec<ControlRings>,
    /// Each worker's "input ended" flag.
    pub input_done: Vec<Arc<AtomicBool>>,
    /// Ports as the heap path reports them (driver counters, memory peers).
    pub ports: OpenPorts,
    /// Per port, how it runs, for logs and the `mode` metric label (af_xdp:
    /// `native-copy`, ...; dpdk: the poll-mode driver); empty otherwise.
    pub port_modes: Vec<&'static str>,
    /// Device counters of the ports (dpdk), read when metrics are scraped.
    pub device_stats: Option<Arc<dyn DeviceStatsSource>>,
}

impl WorkersStarted {
    /// Nothing started yet, over `ports` (`nports` configured ports).
    pub fn new(ports: OpenPorts, nports: usize) -> Self {
        Self {
            handles: Vec::new(),
            shared: Vec::new(),
            control: Vec::new(),
            input_done: Vec::new(),
            ports,
            port_modes: vec![""; nports],
            device_stats: None,
        }
    }

    /// Builds worker `id` over its queues and pool and starts it as
    /// `config` says (core, idle policy); `thread_init` runs first on the new thread (after pinning)
    /// and what it returns lives as long as the worker runs.
    #[allow(clippy::too_many_arguments)]
    pub fn start<B: Backend, R: 'static>(
        &mut self,
        id: usize,
        config: &WorkerConfig,
        rx: Vec<(u16, u16, B::Rx)>,
        tx: Vec<Option<B::Tx>>,
        pool: B::Pool,
        publisher: &mut FibPublisher,
        stop: &Arc<AtomicBool>,
        opts: &RunOptions,
        thread_init: impl FnOnce() -> R + Send + 'static,
    ) -> Result<(), StartError>
    where
        Worker<B>: Send,
    {
        let (wrings, crings) = exception::rings(opts.exception_slots, opts.inject_slots);
        let shared = Arc::new(SharedCounters::new(tx.len()));
        let input_done = Arc::new(AtomicBool::new(false));
        let worker: Worker<B> = Worker {
            id,
            rx,
            tx,
            pool,
            fib: publisher.reader(),
            rings: wrings,
            limits: opts.exception_limits,
            idle: match config.idle {
                WorkerIdle::Sleep => IdlePolicy::Sleep,
                WorkerIdle::Spin => IdlePolicy::Spin,
            },
            shared: Arc::clone(&shared),
            stop: Arc::clone(stop),
            input_done: Arc::clone(&input_done),
        };
        let handle = spawn_worker(worker, config.core, opts.pin, thread_init)
            .map_err(|source| StartError::Spawn { worker: id, source })?;
        self.handles.push(handle);
        self.shared.push(shared);
        self.control.push(crings);
        self.input_done.push(input_done);
        Ok(())
    }
}

/// No heap-backend ports (what an af_xdp or dpdk config has), with a
/// driver counter block per port.
pub fn no_heap_ports(nports: usize) -> OpenPorts {
    OpenPorts {
        rx: (0..nports).map(|_| Vec::new()).collect(),
        tx: (0..nports).map(|_| Vec::new()).collect(),
        counters: (0..nports).map(|_| Default::default()).collect(),
        memory_peers: HashMap::new(),
    }
}

/// Spawns `worker` on a thread named `silkroute-w{id}`, pinned to `core`
/// when `pin` (a warning when the OS refuses); `thread_init` runs on the
/// thread before the loop and its result is dropped after it.
pub fn spawn_worker<B: Backend, R: 'static>(
    worker: Worker<B>,
    core: usize,
    pin: bool,
    thread_init: impl FnOnce() -> R + Send + 'static,
) -> std::io::Result<JoinHandle<WorkerCounters>>
where
    Worker<B>: Send,
{
    let w = worker.id;
    std::thread::Builder::new()
        .name(format!("silkroute-w{w}"))
        .spawn(move || {
            if pin && !pin_to_core(core) {
                tracing::warn!(
                    worker = w,
                    core,
                    "could not pin worker to its core; running unpinned"
                );
            }
            let _init = thread_init();
            worker.run()
        })
}
