//! The control socket server (being written): accepts `silkctl`
//! connections on a Unix socket and forwards requests to the control loop.

use std::path::Path;
use std::sync::mpsc::Sender;

use crate::runtime::Command;

/// A running socket server; dropping it removes the socket file.
#[derive(Debug)]
pub struct SocketServer;

/// Binds `path` with `mode` (and `group`) and serves requests by sending
/// them to the control loop over `commands`.
pub fn spawn(
    _path: &Path,
    _mode: u32,
    _group: Option<&str>,
    _commands: Sender<Command>,
) -> std::io::Result<SocketServer> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "control socket not available in this build",
    ))
}
