//! silkroute's control plane: builds FIBs from the configuration, opens
//! ports, starts the workers, answers the exception path (ARP, NDP, ICMP),
//! and reports.
//!
//! Everything here runs off the data-path cores and may allocate, log and
//! block.

pub mod api;
pub mod commands;
pub mod ctl;
pub mod dpdk_ports;
pub mod exception;
pub mod fib_bench;
pub mod fib_build;
pub mod lookup;
pub mod metrics;
pub mod neighbor;
pub mod ports;
pub mod runtime;
pub mod socket;
pub mod summary;
pub mod telemetry;
pub mod workers;
pub mod xdp_ports;
