//! The Prometheus endpoint: `GET /metrics` in the OpenMetrics text format
//! (or the Prometheus text format 0.0.4 for clients that do not ask for
//! OpenMetrics), encoded with the `prometheus-client` crate.
//!
//! Nothing here touches the data path. A scrape copies every worker's
//! published counters ([`Telemetry::worker_counters`]: relaxed loads of the
//! worker's shared mirror) and the control-plane state (one short mutex
//! hold, never taken by a worker), then encodes the copy into a fresh
//! [`Registry`] through one [`Collector`]. Workers keep bumping plain
//! integers and publish every [`PUBLISH_EVERY`] loops whether anyone
//! scrapes or not, so scraping adds no atomic, lock or syscall to
//! forwarding.
//!
//! Series (all prefixed `silkroute_`; counters end in `_total`):
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `port_rx_packets_total`, `port_rx_bytes_total` | counter | `port`, `queue`, `worker` |
//! | `port_tx_packets_total`, `port_tx_bytes_total` | counter | `port`, `queue`, `worker` |
//! | `port_injected_packets_total` | counter | `port`, `queue`, `worker` |
//! | `port_dropped_packets_total` | counter | `port`, `reason` |
//! | `port_driver_rx_dropped_packets_total`, `port_driver_tx_errors_total` | counter | `port` |
//! | `port_info` | gauge (1) | `port`, `driver`, `mode` (af_xdp: `native-zerocopy`, `native-copy`, `skb-copy`; dpdk: the poll-mode driver, e.g. `net_pcap`; else `-`) |
//! | `dpdk_rx_packets_total`, `dpdk_tx_packets_total`, `dpdk_rx_bytes_total`, `dpdk_tx_bytes_total` | counter | `port` |
//! | `dpdk_rx_missed_packets_total`, `dpdk_rx_errors_total`, `dpdk_tx_errors_total`, `dpdk_rx_mbuf_alloc_failures_total` | counter | `port` |
//! | `dpdk_mempool_mbufs`, `dpdk_mempool_available_mbufs` | gauge | `port` |
//! | `dpdk_xstats_total` | counter | `port`, `name` (the driver's xstat name) |
//! | `worker_busy_loops_total`, `worker_idle_loops_total` | counter | `worker` |
//! | `worker_rx_burst_packets` | histogram | `worker` |
//! | `worker_fib_generation` | gauge | `worker` |
//! | `worker_info` | gauge (1) | `worker`, `core` |
//! | `exception_enqueued_packets_total` | counter | `worker`, `port`, `reason` |
//! | `exception_dropped_packets_total` | counter | `worker`, `port` |
//! | `exception_events_total` | counter | `event` |
//! | `fib_routes` | gauge | `family` |
//! | `fib_next_hops`, `fib_ecmp_groups`, `fib_memory_bytes`, `fib_generation` | gauge | |
//! | `config_reloads_total` | counter | `result` |
//! | `config_last_reload_successful`, `config_last_reload_timestamp_seconds`, `config_last_reload_duration_seconds`, `config_generation` | gauge | |
//! | `neighbor_entries` | gauge | `state` |
//! | `build_info` | gauge (1) | `version` |
//! | `start_time_seconds` | gauge | |
//!
//! The `dpdk_*` series are the devices' own counters (`rte_eth_stats`,
//! xstats), read from DPDK at each scrape; they exist only for dpdk ports.
//!
//! Receive counters are per (worker, port): `queue` names the rx queue the
//! worker polls on that port (`0+1` when one worker polls several queues of
//! one port). Each worker owns one transmit queue per port, numbered like
//! the worker, so tx `queue` equals `worker`. Drops are per port and reason,
//! summed over workers (a drop belongs to the port whatever worker saw it);
//! everything else that is per worker keeps its `worker` label.

use std::borrow::Cow;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};
use silkroute_router::counters::{WorkerCounters, PUBLISH_EVERY};
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::port::DriverStats;
use silkroute_router::BURST_SIZE;

use crate::exception::Event;
use crate::telemetry::{ControlState, DeviceStats, ReloadResult, Telemetry};

mod server;
#[cfg(test)]
mod tests;

pub use server::{spawn, MetricsServer};

/// `Content-Type` of the OpenMetrics text format, served to scrapers that
/// accept it (Prometheus does).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `Content-Type` of the Prometheus text format 0.0.4, served to clients
/// that do not ask for OpenMetrics (curl, `promtool check metrics`).
pub const PROMETHEUS_TEXT_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Every metric name starts with this.
const PREFIX: &str = "silkroute";

/// Label value for counters of a port id beyond the configured ports (a
/// control-plane bug, never input; see `WorkerCounters::port`).
const UNATTRIBUTED_PORT: &str = "unattributed";

/// Text exposition formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// Prometheus text 0.0.4.
    PrometheusText,
}

impl Format {
    /// The format an HTTP `Accept` header asks for: OpenMetrics when it is
    /// listed, the Prometheus text format otherwise.
    pub fn from_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::PrometheusText,
        }
    }

    /// The `Content-Type` of the format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Format::PrometheusText => PROMETHEUS_TEXT_CONTENT_TYPE,
        }
    }
}

/// Everything a scrape reports, copied out of [`Telemetry`] first so the
/// encoder holds no lock.
#[derive(Debug)]
struct Scrape {
    port_names: Vec<String>,
    port_drivers: Vec<&'static str>,
    port_modes: Vec<&'static str>,
    worker_cores: Vec<usize>,
    worker_rx_queues: Vec<Vec<(usize, u16)>>,
    workers: Vec<WorkerCounters>,
    driver: Vec<DriverStats>,
    device: Vec<DeviceStats>,
    state: ControlState,
    started: SystemTime,
}

/// One series' labels.
type Labels = Vec<(&'static str, Cow<'static, str>)>;

/// The OpenMetrics text of `telemetry` now.
pub fn encode(telemetry: &Telemetry) -> String {
    encode_as(telemetry, Format::OpenMetrics)
}

/// The text of `telemetry` now, in `format`.
pub fn encode_as(telemetry: &Telemetry, format: Format) -> String {
    let scrape = Scrape::take(telemetry);
    let mut registry = Registry::with_prefix(PREFIX);
    registry.register_collector(Box::new(scrape));
    let mut out = String::with_capacity(64 * 1024);
    let written = match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry),
        Format::PrometheusText => {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        }
    };
    // Writing to a String cannot fail, and no label value is invalid.
    if written.is_err() {
        tracing::error!("encoding metrics failed");
    }
    out
}

impl Scrape {
    fn take(t: &Telemetry) -> Scrape {
        let workers = t.worker_counters();
        let state = t.state().clone();
        Scrape {
            port_names: t.port_names.clone(),
            port_drivers: t.port_drivers.clone(),
            port_modes: t.port_modes.clone(),
            worker_cores: t.worker_cores.clone(),
            worker_rx_queues: t.worker_rx_queues.clone(),
            workers,
            driver: t.driver.iter().map(|d| d.snapshot()).collect(),
            device: t
                .device_stats
                .as_ref()
                .map(|s| s.read())
                .unwrap_or_default(),
            state,
            started: t.started,
        }
    }

    /// Port ids to report: the configured ports, plus the unattributed row
    /// when some worker counted anything there.
    fn port_ids(&self) -> impl Iterator<Item = usize> + '_ {
        let n = self.port_names.len();
        let extra = self.workers.iter().any(|w| {
            let pc = w.port(n as u16);
            pc.rx_packets + pc.tx_packets + pc.injected + pc.total_drops() + pc.total_punts() > 0
        });
        0..n + usize::from(extra)
    }

    fn port_name(&self, port: usize) -> Cow<'static, str> {
        match self.port_names.get(port) {
            Some(name) => Cow::Owned(name.clone()),
            None => Cow::Borrowed(UNATTRIBUTED_PORT),
        }
    }

    /// The rx queues worker `w` polls on `port`, as a label value.
    fn rx_queue_label(&self, w: usize, port: usize) -> Option<String> {
        let queues: Vec<String> = self
            .worker_rx_queues
            .get(w)?
            .iter()
            .filter(|(p, _)| *p == port)
            .map(|(_, q)| q.to_string())
            .collect();
        (!queues.is_empty()).then(|| queues.join("+"))
    }

    /// `(worker, port, rx queue label)` for every port a worker receives
    /// on: the queues it polls, plus any port it counted receives or punts
    /// on without polling it (then with an empty queue).
    fn rx_rows(&self) -> Vec<(usize, usize, String)> {
        let mut rows = Vec::new();
        for (w, c) in self.workers.iter().enumerate() {
            for p in self.port_ids() {
                let pc = c.port(p as u16);
                match self.rx_queue_label(w, p) {
                    Some(q) => rows.push((w, p, q)),
                    None if pc.rx_packets > 0 || pc.total_punts() > 0 => {
                        rows.push((w, p, String::new()))
                    }
                    None => {}
                }
            }
        }
        rows
    }

    fn encode_ports(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let rx = self.rx_rows();
        let rx_labels = |w: usize, p: usize, q: &str| -> Labels {
            vec![
                ("port", self.port_name(p)),
                ("queue", q.to_owned().into()),
                ("worker", w.to_string().into()),
            ]
        };
        let rx_series = |f: fn(&WorkerCounters, u16) -> u64| {
            rx.iter()
                .map(move |(w, p, q)| (rx_labels(*w, *p, q), f(&self.workers[*w], *p as u16)))
        };
        counter(
            enc,
            "port_rx_packets",
            "Frames received, by port, rx queue and the worker polling it.",
            None,
            rx_series(|c, p| c.port(p).rx_packets),
        )?;
        counter(
            enc,
            "port_rx",
            "Frame bytes received, by port, rx queue and the worker polling it.",
            Some(&Unit::Bytes),
            rx_series(|c, p| c.port(p).rx_bytes),
        )?;

        // Worker w owns tx queue w of every port.
        let tx_series = |f: fn(&WorkerCounters, u16) -> u64| {
            self.workers.iter().enumerate().flat_map(move |(w, c)| {
                self.port_ids().map(move |p| {
                    let labels = rx_labels(w, p, &w.to_string());
                    (labels, f(c, p as u16))
                })
            })
        };
        counter(
            enc,
            "port_tx_packets",
            "Frames the port accepted for transmission, by port, tx queue and worker.",
            None,
            tx_series(|c, p| c.port(p).tx_packets),
        )?;
        counter(
            enc,
            "port_tx",
            "Frame bytes the port accepted for transmission, by port, tx queue and worker.",
            Some(&Unit::Bytes),
            tx_series(|c, p| c.port(p).tx_bytes),
        )?;
        counter(
            enc,
            "port_injected_packets",
            "Of the transmitted frames, those the control plane injected (ARP, NDP, ICMP).",
            None,
            tx_series(|c, p| c.port(p).injected),
        )?;

        let drops = self.port_ids().flat_map(|p| {
            let mut sum = [0u64; DropReason::COUNT];
            for c in &self.workers {
                for (s, d) in sum.iter_mut().zip(c.port(p as u16).drops) {
                    *s += d;
                }
            }
            DropReason::ALL.iter().map(move |r| {
                let labels: Labels = vec![
                    ("port", self.port_name(p)),
                    ("reason", Cow::Borrowed(r.as_str())),
                ];
                (labels, sum[*r as usize])
            })
        });
        counter(
            enc,
            "port_dropped_packets",
            "Frames the workers dropped, by the port they arrived on (or were sent to) and reason, summed over workers.",
            None,
            drops,
        )?;

        let per_port = |f: fn(&DriverStats) -> u64| {
            self.driver
                .iter()
                .enumerate()
                .map(move |(p, d)| (vec![("port", self.port_name(p))], f(d)))
        };
        counter(
            enc,
            "port_driver_rx_dropped_packets",
            "Frames the port driver could not hand to a worker (no buffer, ring full, oversize).",
            None,
            per_port(|d| d.rx_dropped),
        )?;
        counter(
            enc,
            "port_driver_tx_errors",
            "Frames the port driver failed to transmit after accepting them.",
            None,
            per_port(|d| d.tx_errors),
        )?;
        gauge(
            enc,
            "port_info",
            "Configured ports, their drivers and, for af_xdp, the mode obtained (always 1).",
            None,
            self.port_drivers.iter().enumerate().map(|(p, d)| {
                let mode = self.port_modes.get(p).copied().filter(|m| !m.is_empty());
                let labels: Labels = vec![
                    ("port", self.port_name(p)),
                    ("driver", (*d).into()),
                    ("mode", mode.unwrap_or("-").into()),
                ];
                (labels, 1u64)
            }),
        )
    }

    /// The devices' own counters (dpdk ports only; nothing otherwise).
    fn encode_devices(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        if self.device.is_empty() {
            return Ok(());
        }
        let per_port = |f: fn(&DeviceStats) -> u64| {
            self.device
                .iter()
                .map(move |d| (vec![("port", self.port_name(d.port))], f(d)))
        };
        let counters: [DeviceCounter; 8] = [
            ("dpdk_rx_packets", "Frames the device received (rte_eth_stats ipackets).", None, |d| d.rx_packets),
            ("dpdk_tx_packets", "Frames the device sent (rte_eth_stats opackets).", None, |d| d.tx_packets),
            ("dpdk_rx", "Bytes the device received (rte_eth_stats ibytes).", Some(&Unit::Bytes), |d| d.rx_bytes),
            ("dpdk_tx", "Bytes the device sent (rte_eth_stats obytes).", Some(&Unit::Bytes), |d| d.tx_bytes),
            ("dpdk_rx_missed_packets", "Frames the device dropped for want of a free receive descriptor: the workers did not keep up (imissed).", None, |d| d.rx_missed),
            ("dpdk_rx_errors", "Erroneous frames the device received (ierrors).", None, |d| d.rx_errors),
            ("dpdk_tx_errors", "Frames the device failed to send (oerrors).", None, |d| d.tx_errors),
            ("dpdk_rx_mbuf_alloc_failures", "Receive buffer allocations that failed: the port's mempool was empty (rx_nombuf).", None, |d| d.rx_nombuf),
        ];
        for (name, help, unit, f) in counters {
            counter(enc, name, help, unit, per_port(f))?;
        }
        gauge(
            enc,
            "dpdk_mempool_mbufs",
            "Mbufs in the port's mempool.",
            None,
            per_port(|d| d.mbufs),
        )?;
        gauge(
            enc,
            "dpdk_mempool_available_mbufs",
            "Mbufs free in the port's mempool now (the rest sit in rings, bursts and caches).",
            None,
            per_port(|d| d.mbufs_available),
        )?;
        counter(
            enc,
            "dpdk_xstats",
            "The device driver's extended counters (rte_eth_xstats), by xstat name.",
            None,
            self.device.iter().flat_map(|d| {
                d.xstats.iter().map(move |(name, v)| {
                    let labels: Labels = vec![
                        ("port", self.port_name(d.port)),
                        ("name", Cow::Owned(name.clone())),
                    ];
                    (labels, *v)
                })
            }),
        )
    }

    fn encode_workers(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let per_worker = |f: fn(&WorkerCounters) -> u64| {
            self.workers
                .iter()
                .enumerate()
                .map(move |(w, c)| (worker_labels(w), f(c)))
        };
        counter(
            enc,
            "worker_busy_loops",
            "Worker loop iterations that received at least one frame.",
            None,
            per_worker(WorkerCounters::busy_loops),
        )?;
        counter(
            enc,
            "worker_idle_loops",
            "Worker loop iterations that received nothing.",
            None,
            per_worker(WorkerCounters::idle_loops),
        )?;
        gauge(
            enc,
            "worker_fib_generation",
            "Generation of the FIB snapshot the worker forwards with.",
            None,
            per_worker(WorkerCounters::fib_generation),
        )?;
        gauge(
            enc,
            "worker_info",
            "Workers and the cores they are configured on (always 1).",
            None,
            self.worker_cores.iter().enumerate().map(|(w, core)| {
                let mut labels = worker_labels(w);
                labels.push(("core", core.to_string().into()));
                (labels, 1u64)
            }),
        )?;

        let bounds = burst_bounds();
        let mut m = enc.encode_descriptor(
            "worker_rx_burst_packets",
            &format!(
                "Frames received per worker loop iteration (0 when idle, at most {BURST_SIZE}); published every {PUBLISH_EVERY} iterations."
            ),
            None,
            MetricType::Histogram,
        )?;
        for (w, c) in self.workers.iter().enumerate() {
            let h = c.burst_histogram();
            let (buckets, sum, count) = burst_buckets(&h, &bounds);
            let labels = worker_labels(w);
            m.encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        Ok(())
    }

    fn encode_exceptions(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let rx = self.rx_rows();
        let enqueued = rx.iter().flat_map(|(w, p, _)| {
            let pc = self.workers[*w].port(*p as u16);
            PuntReason::ALL.iter().map(move |r| {
                let mut labels = worker_labels(*w);
                labels.push(("port", self.port_name(*p)));
                labels.push(("reason", Cow::Borrowed(r.as_str())));
                (labels, pc.punts[*r as usize])
            })
        });
        counter(
            enc,
            "exception_enqueued_packets",
            "Frames a worker punted to the control plane through its exception ring, by receiving port and reason.",
            None,
            enqueued,
        )?;
        let dropped = rx.iter().map(|(w, p, _)| {
            let pc = self.workers[*w].port(*p as u16);
            let mut labels = worker_labels(*w);
            labels.push(("port", self.port_name(*p)));
            (labels, pc.drops[DropReason::ExceptionRingFull as usize])
        });
        counter(
            enc,
            "exception_dropped_packets",
            "Frames a worker dropped because its exception ring was full, by receiving port.",
            None,
            dropped,
        )?;
        counter(
            enc,
            "exception_events",
            "What the control plane did with punted frames (replies sent, errors generated, rate limits).",
            None,
            Event::ALL.iter().map(|e| {
                let labels: Labels = vec![("event", Cow::Borrowed(e.as_str()))];
                (labels, self.state.control.get(*e))
            }),
        )
    }

    fn encode_fib(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let fib = &self.state.fib;
        gauge(
            enc,
            "fib_routes",
            "Prefixes in the FIB (connected and local included), by address family.",
            None,
            [("ipv4", fib.routes_v4), ("ipv6", fib.routes_v6)]
                .into_iter()
                .map(|(f, n)| (vec![("family", Cow::Borrowed(f))], n as u64)),
        )?;
        gauge(
            enc,
            "fib_next_hops",
            "Next-hop entries in the FIB.",
            None,
            single(fib.next_hops as u64),
        )?;
        gauge(
            enc,
            "fib_ecmp_groups",
            "ECMP groups (targets with more than one next hop) in the FIB.",
            None,
            single(fib.ecmp_groups as u64),
        )?;
        gauge(
            enc,
            "fib_memory",
            "Bytes the published FIB snapshot's tables hold.",
            Some(&Unit::Bytes),
            single(fib.mem_bytes as u64),
        )?;
        gauge(
            enc,
            "fib_generation",
            "Generation of the published FIB snapshot.",
            None,
            single(fib.generation),
        )
    }

    fn encode_config(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let r = &self.state.reloads;
        counter(
            enc,
            "config_reloads",
            "Configuration reloads (SIGHUP, silkctl reload, watched files), by result.",
            None,
            ReloadResult::ALL.iter().zip(r.by_result).map(|(res, n)| {
                let labels: Labels = vec![("result", Cow::Borrowed(res.as_str()))];
                (labels, n)
            }),
        )?;
        // Before the first reload, the start-up load counts as the last
        // one (as Prometheus does for its own config).
        let successful = r.last_result.is_none_or(|x| x == ReloadResult::Success);
        gauge(
            enc,
            "config_last_reload_successful",
            "1 if the last reload was applied (or none happened yet), 0 if it was refused.",
            None,
            single(u64::from(successful)),
        )?;
        gauge(
            enc,
            "config_last_reload_timestamp",
            "When the last reload finished, any result (the start time before the first reload).",
            Some(&Unit::Seconds),
            single(unix_seconds(r.last_time.unwrap_or(self.started))),
        )?;
        gauge(
            enc,
            "config_last_reload_duration",
            "From the last reload's request to every worker forwarding with it, or to its refusal (0 before the first reload).",
            Some(&Unit::Seconds),
            single(r.last_duration_seconds),
        )?;
        gauge(
            enc,
            "config_generation",
            "Configurations applied so far (1 after start, +1 per successful reload).",
            None,
            single(r.config_generation),
        )
    }

    fn encode_neighbors(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let n = &self.state.neighbors;
        gauge(
            enc,
            "neighbor_entries",
            "Neighbour (ARP/NDP) entries, by state.",
            None,
            [
                ("static", n.static_entries),
                ("reachable", n.reachable),
                ("incomplete", n.incomplete),
                ("stale", n.stale),
            ]
            .into_iter()
            .map(|(s, v)| (vec![("state", Cow::Borrowed(s))], v as u64)),
        )
    }

    fn encode_process(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        gauge(
            enc,
            "build_info",
            "The running silkroute build (always 1).",
            None,
            std::iter::once((
                vec![("version", Cow::Borrowed(env!("CARGO_PKG_VERSION")))],
                1u64,
            )),
        )?;
        gauge(
            enc,
            "start_time",
            "When the router started, in seconds since the Unix epoch.",
            Some(&Unit::Seconds),
            single(unix_seconds(self.started)),
        )
    }
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        self.encode_ports(&mut enc)?;
        self.encode_devices(&mut enc)?;
        self.encode_workers(&mut enc)?;
        self.encode_exceptions(&mut enc)?;
        self.encode_fib(&mut enc)?;
        self.encode_config(&mut enc)?;
        self.encode_neighbors(&mut enc)?;
        self.encode_process(&mut enc)
    }
}

/// A device counter family: name, help, unit and how to read it.
type DeviceCounter<'a> = (&'a str, &'a str, Option<&'a Unit>, fn(&DeviceStats) -> u64);

/// One counter family.
fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    series: impl IntoIterator<Item = (Labels, u64)>,
) -> fmt::Result {
    let mut m = enc.encode_descriptor(name, help, unit, MetricType::Counter)?;
    for (labels, v) in series {
        ConstCounter::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

/// One gauge family.
fn gauge<V: EncodeGaugeValue>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    series: impl IntoIterator<Item = (Labels, V)>,
) -> fmt::Result {
    let mut m = enc.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (labels, v) in series {
        ConstGauge::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

/// A series without labels.
fn single<V>(v: V) -> std::iter::Once<(Labels, V)> {
    std::iter::once((Vec::new(), v))
}

fn worker_labels(w: usize) -> Labels {
    vec![("worker", w.to_string().into())]
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Upper bounds of the burst histogram: 0 (idle), powers of two, one
/// short of a full burst, and a full burst, so both "idle" and "full"
/// read straight off the buckets (0, 1, 2, 4, 8, 16, 31, 32 for bursts of
/// 32).
fn burst_bounds() -> Vec<usize> {
    let mut b = vec![0];
    let mut x = 1;
    while x < BURST_SIZE - 1 {
        b.push(x);
        x *= 2;
    }
    b.push(BURST_SIZE - 1);
    b.push(BURST_SIZE);
    b.dedup();
    b
}

/// The exact per-size histogram folded into `bounds`: non-cumulative
/// `(upper bound, count)` buckets ending in `+Inf`, the sum of frames and
/// the count of iterations.
fn burst_buckets(h: &[u64], bounds: &[usize]) -> (Vec<(f64, u64)>, f64, u64) {
    let mut buckets = Vec::with_capacity(bounds.len() + 1);
    let mut lo = 0;
    for &b in bounds {
        let n = h
            .get(lo..=b.min(h.len().saturating_sub(1)))
            .map_or(0, |s| s.iter().sum());
        buckets.push((b as f64, n));
        lo = b + 1;
    }
    let rest = h.get(lo..).map_or(0, |s| s.iter().sum());
    buckets.push((f64::INFINITY, rest));
    let sum = h
        .iter()
        .enumerate()
        .map(|(n, c)| n as f64 * *c as f64)
        .sum();
    (buckets, sum, h.iter().sum())
}
