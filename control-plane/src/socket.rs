//! The control socket: accepts `silkctl` connections on a Unix socket and
//! forwards their requests to the control loop.
//!
//! Contract:
//! - The socket is created with the configured mode (0600: owner only;
//!   0660 plus a group) right after `bind`; the window before `chmod` is
//!   covered by the directory's own permissions (`$XDG_RUNTIME_DIR` is
//!   0700). No TCP control port exists.
//! - A socket file left by a crashed daemon is removed, but only when it
//!   is a socket and nothing answers on it; a live daemon's socket, or any
//!   other file at the path, makes [`spawn`] fail.
//! - One thread accepts; each connection gets a thread (at most
//!   [`MAX_CONNECTIONS`] at once) that reads one JSON request per line (at
//!   most [`MAX_REQUEST_BYTES`]), hands it to the control loop and writes
//!   one JSON response line. Malformed requests get an error response;
//!   nothing a client sends can stop the server.
//! - Dropping the [`SocketServer`] stops accepting and removes the socket
//!   file (if it is still the one this server bound).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::api::{self, Response, MAX_REQUEST_BYTES};
use crate::runtime::Command;

/// How long a request may wait for the control loop: a full-table reload
/// takes about a second, so ten leave a wide margin before a client is
/// told the daemon is stuck.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection idle this long is closed (frees its thread when a client
/// connects and says nothing).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections served at once; more are answered with an error and
/// closed (operators and scripts need a handful).
pub const MAX_CONNECTIONS: usize = 32;

/// How often the accept loop checks for shutdown while no client
/// connects (the listener is non-blocking so dropping the server never
/// waits on a client).
const ACCEPT_POLL: Duration = Duration::from_millis(20);

/// A running socket server; dropping it stops accepting and removes the
/// socket file.
#[derive(Debug)]
pub struct SocketServer {
    path: PathBuf,
    /// (device, inode) of the socket file this server bound.
    identity: (u64, u64),
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SocketServer {
    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Ok(m) = std::fs::symlink_metadata(&self.path) {
            if (m.dev(), m.ino()) == self.identity {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// Binds `path` with `mode` (and `group`) and serves requests by sending
/// them to the control loop over `commands`.
pub fn spawn(
    path: &Path,
    mode: u32,
    group: Option<&str>,
    commands: Sender<Command>,
) -> io::Result<SocketServer> {
    remove_stale(path)?;
    let listener = UnixListener::bind(path)?;
    let meta = std::fs::symlink_metadata(path)?;
    let identity = (meta.dev(), meta.ino());
    let secured = secure(path, mode, group);
    if let Err(e) = secured {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    listener.set_nonblocking(true)?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("silkroute-ctl".into())
            .spawn(move || accept_loop(&listener, &commands, &stop))?
    };
    tracing::info!(path = %path.display(), mode = format!("{mode:04o}"), "control socket ready");
    Ok(SocketServer {
        path: path.to_owned(),
        identity,
        stop,
        thread: Some(thread),
    })
}

/// Removes a socket file nothing answers on; refuses to touch a live
/// socket or a file that is not a socket.
fn remove_stale(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the path exists and is not a socket",
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "another daemon answers on this socket",
        )),
        Err(_) => {
            tracing::info!(path = %path.display(), "removing a stale control socket");
            std::fs::remove_file(path)
        }
    }
}

/// Applies the mode and, when given, the group.
fn secure(path: &Path, mode: u32, group: Option<&str>) -> io::Result<()> {
    if let Some(name) = group {
        let g = nix::unistd::Group::from_name(name)
            .map_err(io::Error::from)?
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no group named `{name}`"))
            })?;
        nix::unistd::chown(path, None, Some(g.gid)).map_err(io::Error::from)?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn accept_loop(listener: &UnixListener, commands: &Sender<Command>, stop: &AtomicBool) {
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, _)) => {
                if active.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                    refuse(stream, "too many control connections; try again");
                    continue;
                }
                active.fetch_add(1, Ordering::AcqRel);
                let commands = commands.clone();
                let done = Arc::clone(&active);
                let spawned = std::thread::Builder::new()
                    .name("silkroute-ctl-conn".into())
                    .spawn(move || {
                        if let Err(e) = serve_connection(stream, &commands) {
                            tracing::debug!("control connection: {e}");
                        }
                        done.fetch_sub(1, Ordering::AcqRel);
                    });
                if let Err(e) = spawned {
                    active.fetch_sub(1, Ordering::AcqRel);
                    tracing::warn!("control connection thread: {e}");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // EMFILE and friends: back off rather than spin.
                tracing::warn!("control socket accept: {e}");
                std::thread::sleep(ACCEPT_POLL * 10);
            }
        }
    }
}

fn refuse(mut stream: UnixStream, why: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = write_response(&mut stream, &Response::error(why));
}

fn write_response(w: &mut impl Write, response: &Response) -> io::Result<()> {
    let mut line = serde_json::to_vec(response).map_err(io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)?;
    w.flush()
}

/// Serves one connection until the client closes it, idles out, or sends
/// an over-long line.
fn serve_connection(stream: UnixStream, commands: &Sender<Command>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_write_timeout(Some(IDLE_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        // One byte over the limit tells an over-long line from one that
        // just fits.
        let n = (&mut reader)
            .take(MAX_REQUEST_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        let complete = line.last() == Some(&b'\n');
        if !complete && line.len() > MAX_REQUEST_BYTES {
            // The rest of the line cannot be resynchronised: answer, close.
            write_response(
                &mut writer,
                &Response::error(api::DecodeError::TooLong.to_string()),
            )?;
            return Ok(());
        }
        let body = line.trim_ascii();
        if body.is_empty() {
            if complete {
                continue;
            }
            return Ok(());
        }
        let response = match api::decode_request(body) {
            Ok(request) => forward(request, commands),
            Err(e) => Response::error(e.to_string()),
        };
        write_response(&mut writer, &response)?;
        if !complete {
            return Ok(());
        }
    }
}

/// Hands `request` to the control loop and waits for its answer.
fn forward(request: api::Request, commands: &Sender<Command>) -> Response {
    let (reply, answer) = mpsc::channel();
    if commands.send(Command { request, reply }).is_err() {
        return Response::error("the router is shutting down");
    }
    match answer.recv_timeout(REPLY_TIMEOUT) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => Response::error(format!(
            "the control loop did not answer within {} s",
            REPLY_TIMEOUT.as_secs()
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Response::error("the router stopped before answering")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("silkroute-sock-{name}-{}", std::process::id()))
    }

    /// A fake control loop answering every request with its debug form.
    fn echo_loop() -> (Sender<Command>, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Command>();
        let h = std::thread::spawn(move || {
            for c in rx {
                let _ = c.reply.send(Response::ok(format!("{:?}", c.request)));
            }
        });
        (tx, h)
    }

    fn ask(path: &Path, line: &[u8]) -> Response {
        let mut s = UnixStream::connect(path).unwrap();
        s.write_all(line).unwrap();
        let mut out = String::new();
        BufReader::new(s).read_line(&mut out).unwrap();
        serde_json::from_str(&out).unwrap()
    }

    #[test]
    fn serves_requests_and_refuses_garbage() {
        let path = temp_path("serve");
        let (tx, _h) = echo_loop();
        let server = spawn(&path, 0o600, None, tx).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        let r = ask(&path, b"{\"command\":\"status\"}\n");
        assert!(r.ok);
        assert_eq!(r.data, serde_json::json!("Status"));

        let r = ask(&path, b"{\"command\":\"rm -rf\"}\n");
        assert!(!r.ok);
        assert!(r.error.unwrap().contains("invalid request"));

        let mut long = vec![b'x'; MAX_REQUEST_BYTES + 10];
        long.push(b'\n');
        let r = ask(&path, &long);
        assert!(!r.ok);
        assert!(r.error.unwrap().contains("longer than"));

        // Two requests on one connection.
        let mut s = UnixStream::connect(&path).unwrap();
        s.write_all(b"{\"command\":\"status\"}\n\n{\"command\":\"reload\"}\n")
            .unwrap();
        let mut lines = BufReader::new(s).lines();
        assert!(lines.next().unwrap().unwrap().contains("Status"));
        assert!(lines.next().unwrap().unwrap().contains("Reload"));

        drop(server);
        assert!(!path.exists(), "dropping the server removes the socket");
    }

    #[test]
    fn stale_sockets_are_replaced_live_ones_are_not() {
        let path = temp_path("stale");
        let _ = std::fs::remove_file(&path);
        // A socket file nobody listens on.
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let (tx, _h) = echo_loop();
        let server = spawn(&path, 0o600, None, tx.clone()).unwrap();
        let err = spawn(&path, 0o600, None, tx).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert!(ask(&path, b"{\"command\":\"status\"}\n").ok);
        drop(server);

        std::fs::write(&path, b"not a socket").unwrap();
        let (tx, _h) = echo_loop();
        assert!(spawn(&path, 0o600, None, tx).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn unknown_group_fails_and_leaves_nothing() {
        let path = temp_path("group");
        let (tx, _h) = echo_loop();
        let err = spawn(&path, 0o660, Some("no-such-group-silkroute"), tx).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!path.exists());
    }

    #[test]
    fn a_gone_control_loop_is_an_error_not_a_hang() {
        let path = temp_path("gone");
        let (tx, rx) = mpsc::channel::<Command>();
        drop(rx);
        let _server = spawn(&path, 0o600, None, tx).unwrap();
        let r = ask(&path, b"{\"command\":\"status\"}\n");
        assert!(!r.ok);
        assert!(r.error.unwrap().contains("shutting down"));
    }
}
