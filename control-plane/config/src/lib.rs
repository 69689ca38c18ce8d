//! silkroute's configuration: load a YAML file, validate all of it, load the route files it
//! names, and hand back a typed model ready for building a FIB — or every error found, each with
//! file, line and column.
//!
//! Runs on the control plane (allocates, reads files, may take a second for a full table); the
//! data path never sees this crate's types, only tables built from a [`Config`].
//!
//! ```no_run
//! let config = silkroute_config::Config::load(std::path::Path::new("configs/quickstart.yaml"));
//! match config {
//!     Ok(c) => print!("{}", c.summary()),
//!     Err(errors) => eprintln!("{errors}"), // one `file:line:column: message` per line
//! }
//! ```
//!
//! Guarantees of a loaded [`Config`]: names unique and well-formed; every index (port,
//! interface, next-hop set) in range; prefixes canonical; each next hop on exactly one
//! interface subnet and not one of our addresses; every rx queue polled by exactly one worker.
//! The schema is documented in `docs/config.md`; [`schema_keys`] lists every key it accepts.

mod error;
mod model;
mod raw;
mod route_file;
mod schema;
mod table;
mod types;
mod validate;

use std::path::Path;

pub use error::{ConfigError, ConfigErrorKind, ConfigErrors};
pub use ipnet::{IpNet, Ipv4Net, Ipv6Net};
pub use model::{
    default_socket_path, Config, ControlConfig, DpdkConfig, Driver, InterfaceConfig, LogLevel,
    MetricsConfig, NeighborConfig, NextHop, NextHopSet, PortConfig, ReloadConfig, RouteStats,
    RxQueue, WorkerConfig, WorkerIdle, XdpMode, XdpZeroCopy, DEFAULT_METRICS_LISTEN,
    DEFAULT_SOCKET_MODE,
};
pub use raw::schema_keys;
pub use route_file::{
    parse_ipv4_bytes, parse_prefix_bytes, parse_route_file, parse_route_text, read_route_file,
    Prefix, PrefixError, RouteFile, MAX_ERRORS_PER_FILE,
};
pub use table::{FileRoutes, RouteFileCache, RoutePrefix, RouteTable};
pub use types::{MacAddr, MacParseError, Name, MAX_NAME_LEN};
pub use validate::{
    cpu_count, LoadOptions, DEFAULT_DESCRIPTORS, DEFAULT_FILE_PREFIX, DEFAULT_FRAME_SIZE,
    DEFAULT_MTU, DEFAULT_NO_HUGE_MEMORY_MB, DEFAULT_RING_FRAMES, DEFAULT_RING_SIZE, IPV6_MIN_MTU,
    MAX_DESCRIPTORS, MAX_ECMP, MAX_FRAME_SIZE, MAX_MBUFS, MAX_MEMORY_MB, MAX_MTU, MAX_QUEUES,
    MAX_RING_FRAMES, MAX_RING_SIZE, MIN_DESCRIPTORS, MIN_FRAME_SIZE, MIN_MBUFS, MIN_MEMORY_MB,
    MIN_MTU, MIN_RING_FRAMES, MIN_RING_SIZE,
};

impl Config {
    /// Reads and validates the config file at `path` (route files are resolved against its
    /// directory), with this machine's CPU count.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        Self::load_with(path, &LoadOptions::default())
    }

    /// [`Config::load`] with explicit [`LoadOptions`].
    pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Config, ConfigErrors> {
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError::new(path, 0, 0, ConfigErrorKind::ReadFile(e.to_string())))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let column =
                valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
            ConfigError::new(
                path,
                line,
                column,
                ConfigErrorKind::ReadFile("not valid UTF-8".into()),
            )
        })?;
        Self::from_str_with(&text, path, opts)
    }

    /// Validates `text` as if it were the file `path` (used for error messages and to resolve
    /// relative paths; the file itself is not read).
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        Self::from_str_with(text, path, &LoadOptions::default())
    }

    /// [`Config::from_str`] with explicit [`LoadOptions`].
    pub fn from_str_with(
        text: &str,
        path: &Path,
        opts: &LoadOptions,
    ) -> Result<Config, ConfigErrors> {
        validate::load_text(text, path, opts)
    }
}
