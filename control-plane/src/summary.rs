//! The human summary printed at the end of `silkroute run`.

use std::fmt::Write;

use silkroute_router::counters::PortCounters;
use silkroute_router::forward::reason::{DropReason, PuntReason};

use crate::runtime::RunReport;

impl RunReport {
    /// Per-port totals summed over workers.
    pub fn port_totals(&self) -> Vec<PortCounters> {
        (0..self.port_names.len())
            .map(|p| {
                let mut t = PortCounters::default();
                for w in &self.workers {
                    t.add(&w.port(p as u16));
                }
                t
            })
            .collect()
    }

    /// Packets forwarded (transmitted minus control-plane injections).
    pub fn forwarded(&self) -> u64 {
        self.port_totals()
            .iter()
            .map(|p| p.tx_packets.saturating_sub(p.injected))
            .sum()
    }

    /// The report as text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let totals = self.port_totals();
        let _ = writeln!(
            s,
            "{:<10} {:>12} {:>14} {:>12} {:>14} {:>10} {:>10} {:>10}",
            "port",
            "rx_packets",
            "rx_bytes",
            "tx_packets",
            "tx_bytes",
            "dropped",
            "punted",
            "injected"
        );
        for (name, t) in self.port_names.iter().zip(&totals) {
            let _ = writeln!(
                s,
                "{:<10} {:>12} {:>14} {:>12} {:>14} {:>10} {:>10} {:>10}",
                name,
                t.rx_packets,
                t.rx_bytes,
                t.tx_packets,
                t.tx_bytes,
                t.total_drops(),
                t.total_punts(),
                t.injected
            );
        }
        let mut any = false;
        for (name, t) in self.port_names.iter().zip(&totals) {
            for r in DropReason::ALL {
                let n = t.drops[*r as usize];
                if n > 0 {
                    if !any {
                        let _ = writeln!(s, "drops by reason:");
                        any = true;
                    }
                    let _ = writeln!(s, "  {:<10} {:<34} {n}", name, r.as_str());
                }
            }
        }
        any = false;
        for (name, t) in self.port_names.iter().zip(&totals) {
            for r in PuntReason::ALL {
                let n = t.punts[*r as usize];
                if n > 0 {
                    if !any {
                        let _ = writeln!(s, "exceptions (punted to the control plane):");
                        any = true;
                    }
                    let _ = writeln!(s, "  {:<10} {:<34} {n}", name, r.as_str());
                }
            }
        }
        for (name, d) in self.port_names.iter().zip(&self.driver) {
            if d.rx_dropped + d.tx_errors > 0 {
                let _ = writeln!(
                    s,
                    "  {name}: driver rx_dropped {} tx_errors {}",
                    d.rx_dropped, d.tx_errors
                );
            }
        }
        let actions = self.control.nonzero();
        if !actions.is_empty() {
            let _ = writeln!(s, "control plane:");
            for (label, n) in actions {
                let _ = writeln!(s, "  {label:<45} {n}");
            }
        }
        let rx: u64 = totals.iter().map(|t| t.rx_packets).sum();
        let fwd = self.forwarded();
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            s,
            "received {rx} packets, forwarded {fwd} in {:.3} s ({:.3} Mpps forwarded)",
            secs,
            fwd as f64 / secs / 1e6
        );
        s
    }
}
