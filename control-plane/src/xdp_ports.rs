//! Opens af_xdp ports and starts `Worker<Xdp>` threads: the af_xdp
//! counterpart of the heap-backend part of [`crate::runtime::Router::start`]
//! (FIB publication, exception rings and counters stay on the one path in
//! `runtime.rs`; only the ports, pools and worker type differ).
//!
//! A config is either all af_xdp or has no af_xdp port (the config crate
//! refuses a mix), and every worker polls one queue of every af_xdp port
//! (it transmits through that queue's socket).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;

use silkroute_config::{Config, Driver};
use silkroute_router::counters::{SharedCounters, WorkerCounters};
use silkroute_router::exception::ControlRings;
use silkroute_router::fib::FibPublisher;
use silkroute_router::port::Backend;
use silkroute_router::worker::{pin_to_core, Worker};

use crate::ports::{OpenPorts, PortOpenError};
use crate::runtime::{RunOptions, StartError};

/// True when the config's ports are af_xdp ports (then all are).
pub fn uses_af_xdp(cfg: &Config) -> bool {
    cfg.ports
        .iter()
        .any(|p| matches!(p.driver, Driver::AfXdp { .. }))
}

/// What [`start_xdp_workers`] started, in the shapes `Router::start`
/// keeps for any backend.
#[derive(Debug)]
pub struct XdpStarted {
    /// Worker threads, by worker index.
    pub handles: Vec<JoinHandle<WorkerCounters>>,
    /// Each worker's published counters.
    pub shared: Vec<Arc<SharedCounters>>,
    /// The control plane's ends of each worker's rings.
    pub control: Vec<ControlRings>,
    /// Each worker's "input ended" flag (never set: a link has no end).
    pub input_done: Vec<Arc<AtomicBool>>,
    /// Ports as the heap path reports them (no queues; driver counters).
    pub ports: OpenPorts,
    /// Per port: `native` or `skb`, then `-zerocopy` or `-copy` (e.g.
    /// `native-copy` on a veth), for logs and metrics.
    pub port_modes: Vec<&'static str>,
}

/// No heap-backend ports (what an af_xdp config has).
pub fn no_heap_ports() -> OpenPorts {
    OpenPorts {
        rx: Vec::new(),
        tx: Vec::new(),
        counters: Vec::new(),
        memory_peers: HashMap::new(),
    }
}

/// Spawns `worker` on a thread named `silkroute-w{id}`, pinned to `core`
/// when `pin` (a warning when the OS refuses).
pub fn spawn_worker<B: Backend>(
    worker: Worker<B>,
    core: usize,
    pin: bool,
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
            worker.run()
        })
}

/// Refuses: AF_XDP is Linux only.
#[cfg(not(target_os = "linux"))]
pub fn start_xdp_workers(
    config: &Config,
    _publisher: &mut FibPublisher,
    _stop: &Arc<AtomicBool>,
    _opts: &RunOptions,
) -> Result<XdpStarted, StartError> {
    Err(PortOpenError::Unsupported {
        port: config
            .ports
            .first()
            .map_or_else(String::new, |p| p.name.to_string()),
        driver: "af_xdp",
    }
    .into())
}

#[cfg(target_os = "linux")]
fn mode_label(native: bool, zero_copy: bool) -> &'static str {
    match (native, zero_copy) {
        (true, true) => "native-zerocopy",
        (true, false) => "native-copy",
        (false, true) => "skb-zerocopy",
        (false, false) => "skb-copy",
    }
}

/// Attaches the XDP program to every port, opens each worker's sockets on
/// its own UMEM and starts the workers.
#[cfg(target_os = "linux")]
pub fn start_xdp_workers(
    config: &Config,
    publisher: &mut FibPublisher,
    stop: &Arc<AtomicBool>,
    opts: &RunOptions,
) -> Result<XdpStarted, StartError> {
    use silkroute_config::{MacAddr, XdpMode, XdpZeroCopy};
    use silkroute_router::exception;
    use silkroute_router::port::af_xdp::{
        open_worker, AttachMode, Xdp, XdpPort, XdpPortConfig, ZeroCopy,
    };
    use silkroute_router::port::DriverCounters;

    let mut ports = Vec::new();
    let mut counters = Vec::new();
    let mut zero_copy = ZeroCopy::Off;
    for (idx, port) in config.ports.iter().enumerate() {
        let Driver::AfXdp {
            interface,
            queues,
            mode,
            zero_copy: zc,
            pass_to_kernel,
        } = &port.driver
        else {
            return Err(PortOpenError::NotXdpBackend {
                port: port.name.to_string(),
                driver: port.driver.kind(),
            }
            .into());
        };
        // A worker's sockets share one UMEM, hence one copy mode: the
        // strictest port setting wins (off, then on, then auto).
        let this = match zc {
            XdpZeroCopy::Auto => ZeroCopy::Auto,
            XdpZeroCopy::On => ZeroCopy::On,
            XdpZeroCopy::Off => ZeroCopy::Off,
        };
        zero_copy = match (idx, zero_copy, this) {
            (0, _, z) => z,
            (_, ZeroCopy::Off, _) | (_, _, ZeroCopy::Off) => ZeroCopy::Off,
            (_, ZeroCopy::On, _) | (_, _, ZeroCopy::On) => ZeroCopy::On,
            _ => ZeroCopy::Auto,
        };
        let l3 = config.interfaces.iter().find(|i| i.port == idx);
        let link_mac = silkroute_router::port::af_packet::link_info(interface)
            .map(|l| l.mac)
            .unwrap_or_default();
        let router_mac = l3.map_or(link_mac, |i| i.mac.0);
        let xport = XdpPort::open(XdpPortConfig {
            interface: interface.clone(),
            queues: *queues,
            mode: match mode {
                XdpMode::Auto => AttachMode::Auto,
                XdpMode::Native => AttachMode::Native,
                XdpMode::Skb => AttachMode::Skb,
            },
            pass_to_kernel: pass_to_kernel.then_some(router_mac),
        })
        .map_err(|source| PortOpenError::AfXdp {
            port: port.name.to_string(),
            source,
        })?;
        let link = xport.link_at_open();
        let mac = MacAddr(link.mac);
        tracing::info!(
            port = %port.name,
            interface,
            xdp_mode = xport.mode(),
            up = link.up,
            mtu = link.mtu,
            %mac,
            pass_to_kernel,
            "af_xdp port open"
        );
        crate::ports::warn_link(
            port.name.as_str(),
            interface,
            link.up,
            link.mtu,
            mac,
            l3,
            false,
        );
        ports.push(Arc::new(xport));
        counters.push(Arc::new(DriverCounters::default()));
    }
    let nports = ports.len();
    let mut started = XdpStarted {
        handles: Vec::new(),
        shared: Vec::new(),
        control: Vec::new(),
        input_done: Vec::new(),
        ports: OpenPorts {
            rx: (0..nports).map(|_| Vec::new()).collect(),
            tx: (0..nports).map(|_| Vec::new()).collect(),
            counters: counters.clone(),
            memory_peers: HashMap::new(),
        },
        port_modes: vec![""; nports],
    };
    for (w, wcfg) in config.workers.iter().enumerate() {
        let polled: Vec<(u16, u16)> = wcfg.rx.iter().map(|q| (q.port as u16, q.queue)).collect();
        let queues = open_worker(&ports, &counters, &polled, zero_copy).map_err(|source| {
            let port = polled
                .first()
                .and_then(|&(p, _)| config.ports.get(usize::from(p)))
                .map_or_else(String::new, |p| p.name.to_string());
            PortOpenError::AfXdp { port, source }
        })?;
        for &(p, _) in &polled {
            if let (Some(slot), Some(xp)) = (
                started.port_modes.get_mut(usize::from(p)),
                ports.get(usize::from(p)),
            ) {
                *slot = mode_label(xp.mode() == "native", queues.zero_copy);
            }
        }
        tracing::info!(
            worker = w,
            sockets = polled.len(),
            zero_copy = queues.zero_copy,
            "af_xdp worker sockets bound (one shared UMEM)"
        );
        let (wrings, crings) = exception::rings(opts.exception_slots, opts.inject_slots);
        let shared = Arc::new(SharedCounters::new(nports));
        let input_done = Arc::new(AtomicBool::new(false));
        let worker: Worker<Xdp> = Worker {
            id: w,
            rx: queues.rx,
            tx: queues.tx,
            pool: queues.pool,
            fib: publisher.reader(),
            rings: wrings,
            limits: opts.exception_limits,
            shared: Arc::clone(&shared),
            stop: Arc::clone(stop),
            input_done: Arc::clone(&input_done),
        };
        let handle = spawn_worker(worker, wcfg.core, opts.pin)
            .map_err(|source| StartError::Spawn { worker: w, source })?;
        started.handles.push(handle);
        started.shared.push(shared);
        started.control.push(crings);
        started.input_done.push(input_done);
    }
    for (port, mode) in config.ports.iter().zip(&started.port_modes) {
        tracing::info!(port = %port.name, mode, "af_xdp mode obtained");
    }
    Ok(started)
}
