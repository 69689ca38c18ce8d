//! The HTTP side: `GET /metrics` on a thread of its own.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::{encode_as, Format};
use crate::telemetry::Telemetry;

/// A running metrics endpoint; dropping it stops it.
pub struct MetricsServer {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MetricsServer {
    /// Where it listens (the bound port when `addr` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `GET /metrics` on `addr` from `telemetry`, on a thread of its
/// own (tiny_http adds its accept and connection threads), until the
/// returned server is dropped.
pub fn spawn(addr: SocketAddr, telemetry: Arc<Telemetry>) -> std::io::Result<MetricsServer> {
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let server = tiny_http::Server::from_listener(listener, None)
        .map(Arc::new)
        .map_err(std::io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let server = Arc::clone(&server);
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("silkroute-metrics".into())
            .spawn(move || serve(&server, &stop, &telemetry))?
    };
    tracing::info!(%addr, "metrics endpoint listening (GET /metrics)");
    Ok(MetricsServer {
        addr,
        server,
        stop,
        thread: Some(thread),
    })
}

fn serve(server: &tiny_http::Server, stop: &AtomicBool, telemetry: &Telemetry) {
    loop {
        let request = match server.recv() {
            Ok(r) => r,
            Err(e) => {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                tracing::warn!("metrics endpoint: {e}");
                continue;
            }
        };
        if let Err(e) = respond(request, telemetry) {
            tracing::debug!("metrics endpoint: answering: {e}");
        }
    }
}

fn respond(request: tiny_http::Request, telemetry: &Telemetry) -> std::io::Result<()> {
    use tiny_http::{Method, Response};
    let path = request.url().split('?').next().unwrap_or("");
    if path != "/metrics" {
        return request.respond(
            Response::from_string("silkroute: metrics are at /metrics\n").with_status_code(404),
        );
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        let mut response = Response::from_string("only GET /metrics\n").with_status_code(405);
        add_header(&mut response, "Allow", "GET, HEAD");
        return request.respond(response);
    }
    let accept = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Accept"))
        .map(|h| h.value.as_str());
    let format = Format::from_accept(accept);
    let mut response = Response::from_string(encode_as(telemetry, format));
    add_header(&mut response, "Content-Type", format.content_type());
    add_header(&mut response, "Cache-Control", "no-store");
    request.respond(response)
}

fn add_header<R: std::io::Read>(response: &mut tiny_http::Response<R>, name: &str, value: &str) {
    // Only fails on non-ASCII; every caller passes ASCII constants.
    if let Ok(h) = tiny_http::Header::from_bytes(name, value) {
        response.add_header(h);
    }
}
