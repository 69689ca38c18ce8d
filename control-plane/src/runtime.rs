//! Starting, running, reloading and stopping the router: FIB publication,
//! worker threads pinned to their cores, and the control-plane loop that
//! serves the exception rings, reloads and operator commands.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use silkroute_config::{Config, ConfigErrors, LoadOptions, RouteFileCache};
use silkroute_router::buf::HeapPool;
use silkroute_router::counters::WorkerCounters;
use silkroute_router::exception::{self, ControlRings};
use silkroute_router::fib::{Fib, FibPublisher, Target};
use silkroute_router::limit::ExceptionLimits;
use silkroute_router::port::memory::MemoryPeer;
use silkroute_router::port::{DriverStats, Heap, HeapRx, HeapTx};

use crate::exception::{ControlCounters, ExceptionHandler};
use crate::fib_build::{FibBuildError, FibManager, UpdateStats};
use crate::ports::{open_ports, PortOpenError};
use crate::telemetry::{FibStats, ReloadResult, Telemetry};
use crate::workers::WorkersStarted;

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
    /// Limits in front of each worker's exception rings.
    pub exception_limits: ExceptionLimits,
    /// Route files read by the last load, reused by reloads while they are
    /// unchanged. Load the initial config through it too
    /// ([`RunOptions::load_options`]) so that the first reload finds it.
    pub route_cache: Arc<RouteFileCache>,
}

impl RunOptions {
    /// Config load options that share this run's route-file cache.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            route_cache: Some(Arc::clone(&self.route_cache)),
            ..LoadOptions::default()
        }
    }
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
            route_cache: Arc::default(),
            exception_limits: ExceptionLimits::default(),
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

/// Why a reload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The new configuration is invalid.
    #[error("configuration refused:\n{0}")]
    Invalid(ConfigErrors),
    /// The change cannot be applied to a running router.
    #[error("{0}; restart silkroute to apply it")]
    RestartNeeded(String),
    /// The FIB refused the new routes.
    #[error(transparent)]
    Fib(#[from] FibBuildError),
}

impl ReloadError {
    fn result(&self) -> ReloadResult {
        match self {
            ReloadError::Invalid(_) => ReloadResult::Invalid,
            ReloadError::RestartNeeded(_) => ReloadResult::RestartNeeded,
            ReloadError::Fib(_) => ReloadResult::Failed,
        }
    }
}

/// What a successful reload did and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct ReloadReport {
    /// Route changes and the generation published.
    pub update: UpdateStats,
    /// Reading and validating the new configuration (route files included).
    pub load: Duration,
    /// From the request to the new snapshot being published.
    pub to_publish: Duration,
    /// From the request to every worker forwarding with it.
    pub to_adopted: Duration,
}

/// Inputs of the control loop besides the exception rings.
#[derive(Debug, Default)]
pub struct ControlInputs {
    /// Set by SIGINT/SIGTERM.
    pub shutdown: Arc<AtomicBool>,
    /// Set by SIGHUP.
    pub reload: Arc<AtomicBool>,
    /// Operator commands (from the control socket).
    pub commands: Option<Receiver<Command>>,
    /// Stop when every receive queue is exhausted.
    pub stop_when_input_ends: bool,
}

/// A request from the control socket, with where to send the answer.
#[derive(Debug)]
pub struct Command {
    /// The request.
    pub request: crate::api::Request,
    /// The answer goes here.
    pub reply: Sender<crate::api::Response>,
}

/// A running router.
#[derive(Debug)]
pub struct Router {
    pub(crate) config: Config,
    pub(crate) manager: FibManager,
    pub(crate) publisher: FibPublisher,
    workers: Vec<JoinHandle<WorkerCounters>>,
    control: Vec<ControlRings>,
    pub(crate) handler: ExceptionHandler,
    stop: Arc<AtomicBool>,
    input_done: Vec<Arc<AtomicBool>>,
    pub(crate) telemetry: Arc<Telemetry>,
    started: Instant,
    watched: Vec<(PathBuf, Option<(SystemTime, u64)>)>,
    load_options: LoadOptions,
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

/// How often the control loop looks at watched files.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// How long a reload waits for every worker to adopt the new FIB before
/// reporting it (workers switch between bursts, microseconds apart).
const ADOPT_TIMEOUT: Duration = Duration::from_secs(2);

impl Router {
    /// Builds the FIB, opens the ports and starts one worker per
    /// configured worker entry.
    pub fn start(config: Config, opts: &RunOptions) -> Result<Router, StartError> {
        let (manager, fib) = FibManager::new(&config)?;
        let handler = ExceptionHandler::new(&config);
        let mut publisher = FibPublisher::new(fib);
        let stop = Arc::new(AtomicBool::new(false));
        let nports = config.ports.len();
        // af_xdp and dpdk configs run their own backend (the config crate
        // refuses a mix); every other driver runs on heap buffers.
        let started = if crate::xdp_ports::uses_af_xdp(&config) {
            crate::xdp_ports::start_xdp_workers(&config, &mut publisher, &stop, opts)?
        } else if crate::dpdk_ports::uses_dpdk(&config) {
            crate::dpdk_ports::start_dpdk_workers(&config, &mut publisher, &stop, opts)?
        } else {
            start_heap_workers(&config, &mut publisher, &stop, opts)?
        };
        let WorkersStarted {
            handles,
            shared: shared_all,
            control,
            input_done: input_done_all,
            mut ports,
            port_modes,
            device_stats,
        } = started;
        let telemetry = Arc::new(
            Telemetry::new(
                config
                    .ports
                    .iter()
                    .map(|p| p.name.as_str().to_owned())
                    .collect(),
                config.ports.iter().map(|p| p.driver.kind()).collect(),
                config.workers.iter().map(|w| w.core).collect(),
                shared_all,
                ports.counters.clone(),
            )
            .with_worker_rx_queues(
                config
                    .workers
                    .iter()
                    .map(|w| w.rx.iter().map(|q| (q.port, q.queue)).collect())
                    .collect(),
            )
            .with_port_modes(port_modes)
            .with_device_stats(device_stats),
        );
        let mut router = Router {
            watched: Vec::new(),
            load_options: opts.load_options(),
            config,
            manager,
            publisher,
            workers: handles,
            control,
            handler,
            stop,
            input_done: input_done_all,
            telemetry,
            started: Instant::now(),
            memory_peers: std::mem::take(&mut ports.memory_peers),
        };
        router.telemetry.state().reloads.config_generation = 1;
        router.refresh_telemetry();
        router.watch_files();
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

    /// The shared view for metrics and the control socket.
    pub fn telemetry(&self) -> Arc<Telemetry> {
        Arc::clone(&self.telemetry)
    }

    /// The snapshot workers are moving to.
    pub fn fib(&self) -> Arc<Fib> {
        self.publisher.current()
    }

    /// The FIB publisher (for waiting on adoption).
    pub fn publisher(&mut self) -> &mut FibPublisher {
        &mut self.publisher
    }

    /// Handles the exceptions waiting on the rings (a bounded number per
    /// worker, see [`crate::exception::DRAIN_PER_POLL`]); returns how many.
    /// When neighbours got resolved, updates the FIB and forwards the
    /// packets that waited for them.
    pub fn poll_exceptions(&mut self) -> usize {
        let fib = self.publisher.current();
        let mut n = 0;
        for (w, rings) in self.control.iter_mut().enumerate() {
            n += self.handler.drain(w, rings, &fib);
        }
        if self.handler.neighbors.take_dirty() {
            self.apply_neighbors();
        }
        n
    }

    /// Publishes a FIB with the learned neighbours and releases the
    /// packets that waited for them.
    fn apply_neighbors(&mut self) {
        match self
            .manager
            .update(&self.config, &self.handler.neighbors, &mut self.publisher)
        {
            Ok(stats) => tracing::debug!(
                added = stats.added,
                removed = stats.removed,
                generation = stats.generation,
                "neighbours changed the FIB"
            ),
            Err(e) => {
                tracing::error!("applying learned neighbours: {e}");
                return;
            }
        }
        let fib = self.publisher.current();
        for mut w in self.handler.neighbors.take_released() {
            // The control plane does the rewrite itself with the new
            // snapshot (the worker may not have adopted it yet).
            match silkroute_router::forward::forward_one(&mut w.frame, w.in_port, &fib) {
                silkroute_router::forward::Verdict::Forward(port) => {
                    if let Some(rings) = self.control.get_mut(w.worker) {
                        if !rings.inject(port, &w.frame) {
                            self.handler.neighbors.failed_drops += 1;
                        }
                    }
                }
                _ => self.handler.neighbors.failed_drops += 1,
            }
        }
    }

    /// Ages neighbours and sends due solicitations (through worker 0).
    fn tick_neighbors(&mut self) {
        for (addr, port) in self.handler.neighbors.tick(Instant::now()) {
            if let Some((out, len)) = self.handler.solicitation(addr, port) {
                let frame = self.handler.built(len).to_vec();
                if let Some(rings) = self.control.first_mut() {
                    rings.inject(out, &frame);
                }
            }
        }
        if self.handler.neighbors.take_dirty() {
            self.apply_neighbors();
        }
    }

    /// True when every worker's receive queues are exhausted.
    pub fn input_done(&self) -> bool {
        !self.input_done.is_empty() && self.input_done.iter().all(|d| d.load(Ordering::Acquire))
    }

    /// The counters each worker last published.
    pub fn counters(&self) -> Vec<WorkerCounters> {
        self.telemetry.worker_counters()
    }

    /// Copies control-plane state into the shared telemetry.
    pub fn refresh_telemetry(&mut self) {
        let fib = self.publisher.current();
        let (v4, v6) = self.manager.route_counts();
        let stats = FibStats {
            routes_v4: v4,
            routes_v6: v6,
            next_hops: fib.next_hops.len(),
            ecmp_groups: fib
                .targets
                .iter()
                .filter(|t| matches!(t, Target::Ecmp { .. }))
                .count(),
            mem_bytes: fib.mem_bytes(),
            generation: fib.generation,
        };
        let mut st = self.telemetry.state();
        st.fib = stats;
        st.control = self.handler.counters().clone();
        st.neighbors.static_entries = self.config.neighbors.len();
        {
            use crate::neighbor::NeighState;
            let t = &self.handler.neighbors;
            st.neighbors.reachable = t.count(NeighState::Reachable);
            st.neighbors.incomplete = t.count(NeighState::Incomplete);
            st.neighbors.stale = t.count(NeighState::Stale) + t.count(NeighState::Probe);
        }
    }

    /// Reloads the configuration file the router runs from: validates it
    /// whole, refuses changes that need a restart, applies the route delta
    /// to the FIB and waits until every worker uses it. On any error the
    /// running configuration stays as it was.
    pub fn reload(&mut self) -> Result<ReloadReport, ReloadError> {
        let start = Instant::now();
        let result = self.reload_inner(start);
        let took = start.elapsed();
        {
            let mut st = self.telemetry.state();
            let r = match &result {
                Ok(_) => ReloadResult::Success,
                Err(e) => e.result(),
            };
            if let Some(i) = ReloadResult::ALL.iter().position(|x| *x == r) {
                st.reloads.by_result[i] += 1;
            }
            st.reloads.last_time = Some(SystemTime::now());
            st.reloads.last_duration_seconds = took.as_secs_f64();
            st.reloads.last_result = Some(r);
            match &result {
                Ok(_) => {
                    st.reloads.config_generation += 1;
                    st.reloads.last_error = None;
                }
                Err(e) => st.reloads.last_error = Some(e.to_string()),
            }
        }
        match &result {
            Ok(r) => tracing::info!(
                added = r.update.added,
                removed = r.update.removed,
                changed = r.update.changed,
                rebuilt = r.update.rebuilt,
                generation = r.update.generation,
                adopted_us = r.to_adopted.as_micros() as u64,
                "configuration reloaded"
            ),
            Err(e) => tracing::error!("reload refused: {e}"),
        }
        self.refresh_telemetry();
        result
    }

    fn reload_inner(&mut self, start: Instant) -> Result<ReloadReport, ReloadError> {
        let new = Config::load_with(&self.config.path, &self.load_options)
            .map_err(ReloadError::Invalid)?;
        let load = start.elapsed();
        if let Some(why) = restart_needed(&self.config, &new) {
            return Err(ReloadError::RestartNeeded(why));
        }
        let update = self
            .manager
            .update(&new, &self.handler.neighbors, &mut self.publisher)?;
        let to_publish = start.elapsed();
        if !self
            .publisher
            .wait_adopted(update.generation, ADOPT_TIMEOUT)
        {
            tracing::warn!(
                generation = update.generation,
                "a worker has not adopted the new FIB yet"
            );
        }
        let to_adopted = start.elapsed();
        self.handler.reconfigure(&new);
        self.config = new;
        self.watch_files();
        // Bring the old copy up to date now, off the request's clock.
        self.manager.maintain(&mut self.publisher)?;
        Ok(ReloadReport {
            update,
            load,
            to_publish,
            to_adopted,
        })
    }

    /// Remembers the config and route files' state for `reload.watch`.
    fn watch_files(&mut self) {
        let mut files = vec![self.config.path.clone()];
        files.extend(self.config.route_files.iter().cloned());
        self.watched = files
            .into_iter()
            .map(|p| (p.clone(), file_stamp(&p)))
            .collect();
    }

    fn files_changed(&mut self) -> bool {
        let mut changed = false;
        for (p, stamp) in &mut self.watched {
            let now = file_stamp(p);
            if now != *stamp {
                *stamp = now;
                changed = true;
            }
        }
        changed
    }

    /// Executes one operator request.
    pub fn execute(&mut self, request: &crate::api::Request) -> crate::api::Response {
        crate::commands::execute(self, request)
    }

    /// The control loop: serves exceptions, SIGHUP and watched-file
    /// reloads and operator commands until shutdown (or until the input
    /// ends, when asked).
    pub fn serve(&mut self, inputs: &ControlInputs) {
        let mut idle = 0u32;
        let mut last_watch = Instant::now();
        let mut last_refresh = Instant::now();
        loop {
            if inputs.shutdown.load(Ordering::Acquire) {
                tracing::info!("shutdown requested");
                break;
            }
            let done_before = self.input_done();
            let mut work = self.poll_exceptions();
            if inputs.reload.swap(false, Ordering::AcqRel) {
                tracing::info!("SIGHUP: reloading");
                let _ = self.reload();
                work += 1;
            }
            if let Some(rx) = &inputs.commands {
                let mut cmds = Vec::new();
                while let Ok(c) = rx.try_recv() {
                    cmds.push(c);
                }
                for c in cmds {
                    let resp = self.execute(&c.request);
                    let _ = c.reply.send(resp);
                    work += 1;
                }
            }
            if self.config.reload.watch && last_watch.elapsed() >= WATCH_INTERVAL {
                last_watch = Instant::now();
                if self.files_changed() {
                    tracing::info!("configuration files changed: reloading");
                    let _ = self.reload();
                }
            }
            if last_refresh.elapsed() >= Duration::from_millis(100) {
                last_refresh = Instant::now();
                self.tick_neighbors();
                self.refresh_telemetry();
                let _ = self.manager.maintain(&mut self.publisher);
            }
            if work == 0 {
                if done_before && inputs.stop_when_input_ends {
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

    /// Serves exceptions until the input ends (every receive queue
    /// exhausted and every punt answered) or `shutdown` is set.
    pub fn run_until_done(&mut self, shutdown: &Arc<AtomicBool>) {
        self.serve(&ControlInputs {
            shutdown: Arc::clone(shutdown),
            stop_when_input_ends: true,
            ..ControlInputs::default()
        });
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
                    if let Some(s) = self.telemetry.workers.get(i) {
                        workers.push(s.snapshot());
                    }
                }
            }
        }
        self.refresh_telemetry();
        RunReport {
            port_names: self.telemetry.port_names.clone(),
            workers,
            driver: self.telemetry.driver.iter().map(|d| d.snapshot()).collect(),
            control: self.handler.counters().clone(),
            elapsed: self.started.elapsed(),
        }
    }
}

/// Opens the heap-backend ports (pcap, memory, af_packet) on one shared
/// pool and starts the workers over them.
fn start_heap_workers(
    config: &Config,
    publisher: &mut FibPublisher,
    stop: &Arc<AtomicBool>,
    opts: &RunOptions,
) -> Result<WorkersStarted, StartError> {
    let pool = HeapPool::new(opts.pool_buffers);
    let nports = config.ports.len();
    let mut started = WorkersStarted::new(open_ports(config, &pool)?, nports);
    for (w, wcfg) in config.workers.iter().enumerate() {
        let ports = &mut started.ports;
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
        started.start::<Heap, ()>(w, wcfg, rx, tx, pool.cache(), publisher, stop, opts, || ())?;
    }
    Ok(started)
}

fn file_stamp(p: &std::path::Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// Why `new` cannot replace `old` in a running router, if it cannot:
/// ports and workers own threads, files and queues.
pub fn restart_needed(old: &Config, new: &Config) -> Option<String> {
    if old.ports != new.ports {
        return Some("ports changed (added, removed, renamed or driver options)".into());
    }
    if old.workers != new.workers {
        return Some("workers changed (cores, polled queues or idle policy)".into());
    }
    if old.dpdk != new.dpdk && new.ports.iter().any(|p| p.driver.kind() == "dpdk") {
        return Some("dpdk EAL options changed".into());
    }
    if old.control != new.control || old.metrics != new.metrics {
        return Some("control socket or metrics endpoint changed".into());
    }
    None
}

impl Drop for Router {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}
