//! Opens af_xdp ports and starts `Worker<Xdp>` threads: the af_xdp
//! counterpart of the heap-backend part of [`crate::runtime::Router::start`]
//! (FIB publication, exception rings and counters stay on the one path in
//! `runtime.rs`; only the ports, pools and worker type differ).
//!
//! A config is either all af_xdp or has no af_xdp port (the config crate
//! refuses a mix), and every worker polls one queue of every af_xdp port
//! (it transmits through that queue's socket).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use silkroute_config::{Config, Driver};
use silkroute_router::fib::FibPublisher;

use crate::ports::PortOpenError;
use crate::runtime::{RunOptions, StartError};
use crate::workers::WorkersStarted;

/// True when the config's ports are af_xdp ports (then all are).
pub fn uses_af_xdp(cfg: &Config) -> bool {
    cfg.ports
        .iter()
        .any(|p| matches!(p.driver, Driver::AfXdp { .. }))
}

/// Refuses: AF_XDP is Linux only.
#[cfg(not(target_os = "linux"))]
pub fn start_xdp_workers(
    config: &Config,
    _publisher: &mut FibPublisher,
    _stop: &Arc<AtomicBool>,
    _opts: &RunOptions,
) -> Result<WorkersStarted, StartError> {
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
) -> Result<WorkersStarted, StartError> {
    use silkroute_config::{MacAddr, XdpMode, XdpZeroCopy};
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
            return Err(PortOpenError::MixedBackends {
                port: port.name.to_string(),
                driver: port.driver.kind(),
                backend: "af_xdp",
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
    let mut heap = crate::workers::no_heap_ports(nports);
    heap.counters = counters.clone();
    let mut started = WorkersStarted::new(heap, nports);
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
        started.start::<Xdp, ()>(
            w,
            wcfg,
            queues.rx,
            queues.tx,
            queues.pool,
            publisher,
            stop,
            opts,
            || (),
        )?;
    }
    for (port, mode) in config.ports.iter().zip(&started.port_modes) {
        tracing::info!(port = %port.name, mode, "af_xdp mode obtained");
    }
    Ok(started)
}
