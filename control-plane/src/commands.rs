//! Executes operator requests against the running router (on the control
//! loop's thread).

use serde::Serialize;

use crate::api::{Request, Response};
use crate::runtime::Router;

/// `status` payload.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Configuration file.
    pub config: String,
    /// FIB generation.
    pub fib_generation: u64,
    /// IPv4 routes.
    pub routes_v4: usize,
    /// IPv6 routes.
    pub routes_v6: usize,
    /// Workers.
    pub workers: usize,
    /// Ports.
    pub ports: usize,
}

/// Executes `request`.
pub fn execute(router: &mut Router, request: &Request) -> Response {
    match request {
        Request::Status => {
            router.refresh_telemetry();
            let st = router.telemetry.state().fib;
            Response::ok(Status {
                config: router.config.path.display().to_string(),
                fib_generation: st.generation,
                routes_v4: st.routes_v4,
                routes_v6: st.routes_v6,
                workers: router.config.workers.len(),
                ports: router.config.ports.len(),
            })
        }
        Request::Reload => match router.reload() {
            Ok(r) => Response::ok(serde_json::json!({
                "generation": r.update.generation,
                "added": r.update.added,
                "removed": r.update.removed,
                "changed": r.update.changed,
                "rebuilt": r.update.rebuilt,
                "publish_us": r.to_publish.as_micros() as u64,
                "adopted_us": r.to_adopted.as_micros() as u64,
            })),
            Err(e) => Response::error(e.to_string()),
        },
    }
}
