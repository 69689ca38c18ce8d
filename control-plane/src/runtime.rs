//! Starting, running and stopping the router: FIB publication, worker
//! threads pinned to their cores, and the control-plane loop that serves
//! the exception rings.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use silkroute_config::Config;
use silkroute_router::buf::HeapPool;
use silkroute_router::counters::{SharedCounters, WorkerCounters};
use silkroute_router::exception::{self, ControlRings};
use silkroute_router::fib::{Fib, FibPublisher};
use silkroute_router::port::memory::MemoryPeer;
use silkroute_router::port::{DriverCounters, DriverStats, Heap, HeapRx, HeapTx};
use silkroute_router::worker::{pin_to_core, Worker};

use crate::exception::{ControlCounters, ExceptionHandler};
use crate::fib_build::{build_fib, FibBuildError};
use crate::ports::{open_ports, PortOpenError};

/// Tunables of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Buffers in the heap pool shared by pcap/memory ports.
    pub pool_buffers: usize,
    /// Exception ring slots per worker.
    pub exception_slots: usize,
    /// Inject ring slots per worker.
    pub inject_slots: usize,
    /// Pin workers to their configured cores.
    pub pin: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            // Enough for every queue's ring and burst in flight with room
            // to spare; 16k x 2 KiB = 32 MiB.
            pool_buffers: 16 * 1024,
            exception_slots: exception::EXCEPTION_RING_SLOTS,
            inject_slots: exception::INJECT_RING_SLOTS,
            pin: true,
        }
    }
}

/// Why the router could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The FIB could not be built.
    #[error(transparent)]
    Fib(#[from] FibBuildError),
    /// A port could not be opened.
    #[error(transparent)]
    Port(#[from] PortOpenError),
    /// A worker thread could not be spawned.
    #[error("spawning worker {worker}: {source}")]
    Spawn {
        /// Worker index.
        worker: usize,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running router.
#[derive(Debug)]
pub struct Router {
    config: Config,
    publisher: FibPublisher,
    workers: Vec<JoinHandle<WorkerCounters>>,
    shared: Vec<Arc<SharedCounters>>,
    control: Vec<ControlRings>,
    handler: ExceptionHandler,
    stop: Arc<AtomicBool>,
    input_done: Vec<Arc<AtomicBool>>,
    driver: Vec<Arc<DriverCounters>>,
    started: Instant,
    /// The other ends of memory ports, by port name.
    pub memory_peers: HashMap<String, MemoryPeer>,
}

/// What a finished run leaves behind.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Port names, by port id.
    pub port_names: Vec<String>,
    /// Final counters per worker.
    pub workers: Vec<WorkerCounters>,
    /// Driver counters per port.
    pub driver: Vec<DriverStats>,
    /// What the control plane did with exceptions.
    pub control: ControlCounters,
    /// Wall time from start to stop.
    pub elapsed: Duration,
}

impl Router {
    /// Builds the FIB, opens the ports and starts one worker per
    /// configured worker entry.
    pub fn start(config: Config, opts: &RunOptions) -> Result<Router, StartError> {
        let fib = build_fib(&config)?;
        Self::start_with_fib(config, fib, opts)
    }

    /// Like [`Router::start`] with a FIB built by the caller.
    pub fn start_with_fib(
        config: Config,
        fib: Fib,
        opts: &RunOptions,
    ) -> Result<Router, StartError> {
        let pool = HeapPool::new(opts.pool_buffers);
        let mut ports = open_ports(&config, &pool)?;
        let handler = ExceptionHandler::new(&config);
        let mut publisher = FibPublisher::new(fib);
        let stop = Arc::new(AtomicBool::new(false));
        let nports = config.ports.len();
        let mut router = Router {
            publisher: FibPublisher::new(Fib::empty(Vec::new())),
            workers: Vec::new(),
            shared: Vec::new(),
            control: Vec::new(),
            handler,
            stop: Arc::clone(&stop),
            input_done: Vec::new(),
            driver: ports.counters.clone(),
            started: Instant::now(),
            memory_peers: std::mem::take(&mut ports.memory_peers),
            config,
        };
        for (w, wcfg) in router.config.workers.iter().enumerate() {
            let mut rx: Vec<(u16, u16, HeapRx)> = Vec::new();
            for q in &wcfg.rx {
                if let Some(r) = ports
                    .rx
                    .get_mut(q.port)
                    .and_then(|p| p.get_mut(usize::from(q.queue)))
                    .and_then(Option::take)
                {
                    rx.push((q.port as u16, q.queue, r));
                }
            }
            let tx: Vec<Option<HeapTx>> = (0..nports)
                .map(|p| {
                    ports
                        .tx
                        .get_mut(p)
                        .and_then(|t| t.get_mut(w))
                        .and_then(Option::take)
                })
                .collect();
            let (wrings, crings) = exception::rings(opts.exception_slots, opts.inject_slots);
            let shared = Arc::new(SharedCounters::new(nports));
            let input_done = Arc::new(AtomicBool::new(false));
            let worker: Worker<Heap> = Worker {
                id: w,
                rx,
                tx,
                pool: pool.cache(),
                fib: publisher.reader(),
                rings: wrings,
                shared: Arc::clone(&shared),
                stop: Arc::clone(&stop),
                input_done: Arc::clone(&input_done),
            };
            let core = wcfg.core;
            let pin = opts.pin;
            let handle = std::thread::Builder::new()
                .name(format!("silkroute-w{w}"))
                .spawn(move || {
                    if pin && !pin_to_core(core) {
                        tracing::warn!(
                            worker = w,
                            core,
                            "could not pin worker to its core; running unpinned"
                        );
                    }
                    worker.run()
                })
                .map_err(|source| StartError::Spawn { worker: w, source })?;
            router.workers.push(handle);
            router.shared.push(shared);
            router.control.push(crings);
            router.input_done.push(input_done);
        }
        router.publisher = publisher;
        tracing::info!(
            workers = router.workers.len(),
            ports = nports,
            "router started"
        );
        Ok(router)
    }

    /// The running configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Publishes a new FIB; returns its generation.
    pub fn publish(&mut self, fib: Fib) -> u64 {
        let g = self.publisher.publish(fib);
        self.publisher.collect();
        g
    }

    /// The FIB publisher (for waiting on adoption and reclaiming).
    pub fn publisher(&mut self) -> &mut FibPublisher {
        &mut self.publisher
    }

    /// Handles every exception waiting on the rings; returns how many.
    pub fn poll_exceptions(&mut self) -> usize {
        let fib = self.publisher.current();
        let mut n = 0;
        for rings in &mut self.control {
            n += self.handler.drain(rings, &fib);
        }
        n
    }

    /// True when every worker's receive queues are exhausted.
    pub fn input_done(&self) -> bool {
        !self.input_done.is_empty() && self.input_done.iter().all(|d| d.load(Ordering::Acquire))
    }

    /// The counters each worker last published.
    pub fn counters(&self) -> Vec<WorkerCounters> {
        self.shared.iter().map(|s| s.snapshot()).collect()
    }

    /// Serves exceptions until the input ends (every receive queue
    /// exhausted and every punt answered) or `shutdown` is set.
    pub fn run_until_done(&mut self, shutdown: &AtomicBool) {
        let mut idle = 0u32;
        loop {
            if shutdown.load(Ordering::Acquire) {
                tracing::info!("shutdown requested");
                break;
            }
            let done_before = self.input_done();
            let n = self.poll_exceptions();
            if n == 0 {
                if done_before {
                    break;
                }
                idle = idle.saturating_add(1);
                // Exceptions are rare: poll at ~10 kHz when idle, without
                // burning the core a worker may need.
                std::thread::sleep(Duration::from_micros(if idle > 100 { 100 } else { 10 }));
            } else {
                idle = 0;
            }
        }
    }

    /// Stops the workers, waits for them and returns the report.
    pub fn stop(mut self) -> RunReport {
        // Answer what is still queued so the replies go out before the
        // workers drain their inject rings.
        self.poll_exceptions();
        self.stop.store(true, Ordering::Release);
        let mut workers = Vec::new();
        for (i, h) in self.workers.drain(..).enumerate() {
            match h.join() {
                Ok(c) => workers.push(c),
                Err(_) => {
                    tracing::error!(worker = i, "worker thread panicked");
                    workers.push(self.shared[i].snapshot());
                }
            }
        }
        RunReport {
            port_names: self
                .config
                .ports
                .iter()
                .map(|p| p.name.as_str().to_owned())
                .collect(),
            workers,
            driver: self.driver.iter().map(|d| d.snapshot()).collect(),
            control: self.handler.counters().clone(),
            elapsed: self.started.elapsed(),
        }
    }
}
