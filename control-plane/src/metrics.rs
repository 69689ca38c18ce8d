//! The Prometheus endpoint (being written).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::telemetry::Telemetry;

/// A running metrics server.
#[derive(Debug)]
pub struct MetricsServer;

/// Serves `GET /metrics` on `addr` from `telemetry`.
pub fn spawn(_addr: SocketAddr, _telemetry: Arc<Telemetry>) -> std::io::Result<MetricsServer> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "metrics endpoint not available in this build",
    ))
}
