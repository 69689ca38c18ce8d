//! `silkctl`, the operator's client of the control socket: its command
//! line, the request each command sends, and how answers are printed.
//!
//! The binary (`src/bin/silkctl.rs`) only calls [`main`]; the definition
//! lives here so tests can walk the command tree (`docs/cli.md` must name
//! every subcommand). Exit status: [`EXIT_OK`], [`EXIT_REFUSED`] (the
//! daemon refused the request, or the command line was wrong),
//! [`EXIT_UNREACHABLE`] (no daemon answered on the socket).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use silkroute_config::{Config, ConfigErrors, LoadOptions};

use crate::api::{
    CheckInfo, HopInfo, InterfacesInfo, LookupInfo, NeighborsInfo, ReasonCount, ReloadInfo,
    Request, Response, RouteInfo, RoutesInfo, StatsInfo, StatusInfo, TargetInfo,
    DEFAULT_ROUTE_LIMIT,
};

/// Success.
pub const EXIT_OK: u8 = 0;
/// The daemon refused the request or it failed (or bad usage).
pub const EXIT_REFUSED: u8 = 1;
/// No daemon answered on the socket.
pub const EXIT_UNREACHABLE: u8 = 2;

/// How long silkctl waits for an answer: longer than the daemon's own
/// [`crate::socket::REPLY_TIMEOUT`], so the daemon's "did not answer"
/// error arrives rather than a silent client timeout.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "silkctl",
    version,
    about = "Query and control a running silkroute daemon over its control socket",
    after_help = "Exit status: 0 success, 1 refused or failed, 2 daemon unreachable.\n\
                  See docs/cli.md for the full reference."
)]
pub struct Cli {
    /// The daemon's control socket (the config's `control.socket`).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value_os_t = silkroute_config::default_socket_path()
    )]
    pub socket: PathBuf,
    /// Print the daemon's answer as JSON (`{"ok":..,"data":..}`) instead
    /// of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: CtlCommand,
}

/// `silkctl` commands.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum CtlCommand {
    /// Daemon status: configuration, uptime, FIB size and generation,
    /// last reload.
    Status,
    /// Show interfaces, routes, neighbours or counters.
    Show {
        /// What to show.
        #[command(subcommand)]
        what: ShowCommand,
    },
    /// What the live FIB does with a destination: matched prefix, next
    /// hop(s), egress port, neighbour MAC or "unresolved".
    Lookup {
        /// An IPv4 or IPv6 address.
        address: String,
    },
    /// Reload the configuration file the daemon runs from; an invalid file
    /// or a change needing a restart is refused and nothing changes.
    Reload,
    /// Validate a configuration file and its route files (read as the
    /// calling user, with the daemon's loader) and say whether `reload`
    /// could apply it.
    Check {
        /// The YAML configuration file.
        file: PathBuf,
    },
}

/// `silkctl show` subjects.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ShowCommand {
    /// Ports and their interfaces: driver, MAC, MTU, addresses, packet
    /// counts.
    Interfaces,
    /// Without PREFIX: route counts and the first routes; with PREFIX: the
    /// exact entry and the longest match in the live FIB.
    Routes {
        /// `ADDRESS` (host prefix) or `ADDRESS/LEN`.
        prefix: Option<String>,
        /// Routes to list without PREFIX.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_ROUTE_LIMIT)]
        limit: usize,
    },
    /// Static and learned neighbours (ARP/NDP) with their state.
    Neighbors,
    /// Counters per port and per worker, drops and punts by reason,
    /// control-plane actions.
    Stats,
}

/// Why no answer came back.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Connecting, sending or receiving failed.
    #[error("cannot reach silkroute at {path}: {source}")]
    Unreachable {
        /// The socket.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The daemon closed the connection without answering.
    #[error("silkroute at {0} closed the connection without answering")]
    NoAnswer(PathBuf),
    /// The answer is not a response.
    #[error("unreadable answer from silkroute: {0}")]
    BadAnswer(String),
}

impl CallError {
    /// The exit status this error maps to.
    pub fn exit_code(&self) -> u8 {
        match self {
            CallError::Unreachable { .. } | CallError::NoAnswer(_) => EXIT_UNREACHABLE,
            CallError::BadAnswer(_) => EXIT_REFUSED,
        }
    }
}

/// The request `command` sends. `check` reads the file (as the caller:
/// the daemon opens no file a client names) and sends its text with its
/// absolute path, since the daemon's working directory is not the
/// caller's; an unreadable file is the error.
pub fn request_for(command: &CtlCommand) -> Result<Request, String> {
    Ok(match command {
        CtlCommand::Status => Request::Status,
        CtlCommand::Show { what } => match what {
            ShowCommand::Interfaces => Request::ShowInterfaces,
            ShowCommand::Routes { prefix, limit } => Request::ShowRoutes {
                prefix: prefix.clone(),
                limit: Some(*limit),
            },
            ShowCommand::Neighbors => Request::ShowNeighbors,
            ShowCommand::Stats => Request::ShowStats,
        },
        CtlCommand::Lookup { address } => Request::Lookup {
            address: address.clone(),
        },
        CtlCommand::Reload => Request::Reload,
        CtlCommand::Check { file } => Request::Check {
            path: std::path::absolute(file)
                .unwrap_or_else(|_| file.clone())
                .display()
                .to_string(),
            text: std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
        },
    })
}

/// `check`, the caller's half: validates the file as the caller, route
/// files included (the daemon validates only the text, reading nothing).
/// The answer to send on, or the refusal.
fn check_locally(path: &str, text: &str) -> Result<Config, String> {
    Config::from_str_with(text, Path::new(path), &LoadOptions::default())
        .map_err(|errors| refused_config(&errors))
}

/// How a refused configuration is reported, by `silkctl check` and by the
/// daemon.
pub fn refused_config(errors: &ConfigErrors) -> String {
    format!(
        "configuration refused:\n{errors}\n{} error(s)",
        errors.len()
    )
}

/// The daemon's `check` answer completed with what the caller's own load
/// saw: the summary and route counts including the route files, which
/// the daemon did not read.
fn with_local_check(response: Response, local: &Config) -> Response {
    if !response.ok {
        return response;
    }
    match response.data_as::<CheckInfo>() {
        Ok(remote) => Response::ok(CheckInfo {
            summary: local.summary(),
            routes_v4: local.routes_v4.len(),
            routes_v6: local.routes_v6.len(),
            ..remote
        }),
        Err(e) => Response::error(format!("unreadable answer from silkroute: {e}")),
    }
}

/// Sends one request over the socket at `path` and reads the answer.
pub fn call(path: &Path, request: &Request) -> Result<Response, CallError> {
    let unreachable = |source| CallError::Unreachable {
        path: path.to_owned(),
        source,
    };
    let mut stream = UnixStream::connect(path).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(CLIENT_TIMEOUT))
        .map_err(unreachable)?;
    let mut line = serde_json::to_vec(request).map_err(|e| CallError::BadAnswer(e.to_string()))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(unreachable)?;
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .map_err(unreachable)?;
    if answer.trim().is_empty() {
        return Err(CallError::NoAnswer(path.to_owned()));
    }
    serde_json::from_str(&answer).map_err(|e| CallError::BadAnswer(e.to_string()))
}

/// Runs silkctl with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Usage errors are "refused" (1); 2 means unreachable only.
            return ExitCode::from(if e.use_stderr() {
                EXIT_REFUSED
            } else {
                EXIT_OK
            });
        }
    };
    ExitCode::from(run(&cli))
}

/// Runs a parsed command line; returns the exit status.
pub fn run(cli: &Cli) -> u8 {
    let checked = request_for(&cli.command).and_then(|request| {
        let local = match &request {
            Request::Check { path, text } => Some(check_locally(path, text)?),
            _ => None,
        };
        Ok((request, local))
    });
    let (request, local) = match checked {
        Ok(r) => r,
        Err(e) => return refused(cli, &Response::error(e)),
    };
    let response = match call(&cli.socket, &request) {
        Ok(r) => match &local {
            Some(config) => with_local_check(r, config),
            None => r,
        },
        Err(e) => {
            if cli.json {
                print_json(&Response::error(e.to_string()));
            } else {
                eprintln!("silkctl: {e}");
                if matches!(e, CallError::Unreachable { .. }) {
                    eprintln!("silkctl: is silkroute running? (--socket PATH names its socket)");
                }
            }
            return e.exit_code();
        }
    };
    if !response.ok {
        return refused(cli, &response);
    }
    if cli.json {
        print_json(&response);
        return EXIT_OK;
    }
    match render(&request, &response) {
        Ok(text) => {
            print!("{text}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("silkctl: unreadable answer from silkroute: {e}");
            EXIT_REFUSED
        }
    }
}

/// Reports a refused request (by the daemon, or by silkctl for `check`).
fn refused(cli: &Cli, response: &Response) -> u8 {
    if cli.json {
        print_json(response);
        return EXIT_REFUSED;
    }
    let what = match cli.command {
        CtlCommand::Reload => "reload refused: ",
        CtlCommand::Check { .. } => "check failed: ",
        _ => "",
    };
    eprintln!(
        "silkctl: {what}{}",
        response.error.as_deref().unwrap_or("request failed")
    );
    EXIT_REFUSED
}

fn print_json(response: &Response) {
    match serde_json::to_string_pretty(response) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("silkctl: {e}"),
    }
}

/// The human form of a successful `response` to `request`.
pub fn render(request: &Request, response: &Response) -> Result<String, serde_json::Error> {
    Ok(match request {
        Request::Status => render_status(&response.data_as()?),
        Request::ShowInterfaces => render_interfaces(&response.data_as()?),
        Request::ShowRoutes { .. } => render_routes(&response.data_as()?),
        Request::ShowNeighbors => render_neighbors(&response.data_as()?),
        Request::ShowStats => render_stats(&response.data_as()?),
        Request::Lookup { .. } => render_lookup(&response.data_as()?),
        Request::Reload => render_reload(&response.data_as()?),
        Request::Check { .. } => render_check(&response.data_as()?),
    })
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A text table: columns padded to their widest cell, two spaces apart.
#[derive(Debug)]
struct Table {
    columns: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(columns: &[(&'static str, Align)]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let mut widths: Vec<usize> = self.columns.iter().map(|(h, _)| h.len()).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let headers: Vec<String> = self.columns.iter().map(|(h, _)| (*h).to_owned()).collect();
        for cells in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, ((_, align), w)) in self.columns.iter().zip(&widths).enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                if i > 0 {
                    line.push_str("  ");
                }
                match align {
                    Align::Left => {
                        let _ = write!(line, "{c:<w$}");
                    }
                    Align::Right => {
                        let _ = write!(line, "{c:>w$}");
                    }
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
}

use Align::{Left as L, Right as R};

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("-").to_owned()
}

fn key_values(out: &mut String, pairs: &[(&str, String)]) {
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        let _ = writeln!(out, "{k:<w$}  {v}");
    }
}

fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

fn render_status(s: &StatusInfo) -> String {
    let mut out = String::new();
    let mut pairs = vec![
        ("config", s.config.clone()),
        ("version", s.version.clone()),
        ("uptime", duration(s.uptime_seconds)),
        (
            "fib generation",
            format!(
                "{} (config generation {})",
                s.fib_generation, s.config_generation
            ),
        ),
        (
            "routes",
            format!("{} IPv4, {} IPv6", s.routes_v4, s.routes_v6),
        ),
        (
            "next hops",
            format!("{} ({} ECMP group(s))", s.next_hops, s.ecmp_groups),
        ),
        (
            "fib memory",
            format!("{:.1} MiB", s.fib_bytes as f64 / (1024.0 * 1024.0)),
        ),
        ("ports", s.ports.to_string()),
        ("workers", s.workers.to_string()),
        ("last reload", opt(s.last_reload.as_deref())),
    ];
    if let Some(e) = &s.last_reload_error {
        pairs.push(("last reload error", e.replace('\n', "\n  ")));
    }
    key_values(&mut out, &pairs);
    out
}

fn render_interfaces(info: &InterfacesInfo) -> String {
    let mut t = Table::new(&[
        ("INTERFACE", L),
        ("PORT", L),
        ("DRIVER", L),
        ("MAC", L),
        ("MTU", R),
        ("ADDRESSES", L),
        ("RX_PACKETS", R),
        ("TX_PACKETS", R),
        ("DROPPED", R),
    ]);
    for i in &info.interfaces {
        let mut addrs = i.addresses.clone();
        addrs.extend(i.link_local.clone());
        t.row(vec![
            opt(i.name.as_deref()),
            i.port.clone(),
            i.driver.clone(),
            opt(i.mac.as_deref()),
            i.mtu.map_or_else(|| "-".into(), |m| m.to_string()),
            if addrs.is_empty() {
                "-".into()
            } else {
                addrs.join(", ")
            },
            i.rx_packets.to_string(),
            i.tx_packets.to_string(),
            i.dropped.to_string(),
        ]);
    }
    let mut out = String::new();
    t.render(&mut out);
    out
}

const ROUTE_COLUMNS: [(&str, Align); 6] = [
    ("PREFIX", L),
    ("KIND", L),
    ("NEXT_HOP", L),
    ("PORT", L),
    ("INTERFACE", L),
    ("MAC", L),
];

fn hop_cells(h: &HopInfo) -> [String; 4] {
    [
        h.address.clone(),
        h.port.clone(),
        opt(h.interface.as_deref()),
        h.mac.clone().unwrap_or_else(|| "unresolved".into()),
    ]
}

/// Rows for one route (ECMP: one per member), each led by `lead` cells.
fn route_rows(t: &mut Table, lead: &[String], r: &RouteInfo) {
    let mut first = lead.to_vec();
    first.push(r.prefix.clone());
    first.push(r.target.kind().to_owned());
    let blank = vec![String::new(); first.len()];
    match &r.target {
        TargetInfo::NextHop { hop } => {
            first.extend(hop_cells(hop));
            t.row(first);
        }
        TargetInfo::Ecmp { members } => {
            for (i, m) in members.iter().enumerate() {
                let mut row = if i == 0 { first.clone() } else { blank.clone() };
                row.extend(hop_cells(m));
                t.row(row);
            }
            if members.is_empty() {
                t.row(first);
            }
        }
        TargetInfo::Attached { port, interface } => {
            first.extend([
                "(destination)".into(),
                port.clone(),
                opt(interface.as_deref()),
                "-".into(),
            ]);
            t.row(first);
        }
        TargetInfo::Local | TargetInfo::Broadcast | TargetInfo::Blackhole => {
            first.extend(["-".into(), "-".into(), "-".into(), "-".into()]);
            t.row(first);
        }
    }
}

fn render_routes(info: &RoutesInfo) -> String {
    let mut out = String::new();
    match info {
        RoutesInfo::List(l) => {
            let _ = writeln!(
                out,
                "configured routes: {} IPv4, {} IPv6; FIB prefixes: {} IPv4, {} IPv6",
                l.configured_v4, l.configured_v6, l.fib_v4, l.fib_v6
            );
            let mut t = Table::new(&ROUTE_COLUMNS);
            for r in &l.routes {
                route_rows(&mut t, &[], r);
            }
            t.render(&mut out);
            let listable = l.fib_v4 + l.fib_v6;
            if l.routes.len() >= l.limit && listable > l.routes.len() {
                let _ = writeln!(
                    out,
                    "(first {} routes; --limit N shows more, show routes PREFIX finds one)",
                    l.routes.len()
                );
            }
        }
        RoutesInfo::Match(m) => {
            if m.exact.is_none() && m.longest.is_none() {
                let _ = writeln!(out, "no route matches {}", m.query);
                return out;
            }
            let mut cols = vec![("MATCH", L)];
            cols.extend(ROUTE_COLUMNS);
            let mut t = Table::new(&cols);
            for (label, r) in [("exact", &m.exact), ("longest", &m.longest)] {
                match r {
                    Some(r) => route_rows(&mut t, &[label.into()], r),
                    None => t.row(vec![label.into(), "-".into(), "none".into()]),
                }
            }
            t.render(&mut out);
        }
    }
    out
}

fn render_lookup(l: &LookupInfo) -> String {
    let mut out = String::new();
    let mut pairs = vec![("address", l.address.clone()), ("action", l.action.clone())];
    match &l.route {
        None => pairs.push(("prefix", "none (no route)".into())),
        Some(r) => {
            pairs.push(("prefix", r.prefix.clone()));
            pairs.push(("kind", r.target.kind().to_owned()));
            let hop = |h: &HopInfo| {
                format!(
                    "{} via {}{}, mac {}",
                    h.address,
                    h.port,
                    h.interface
                        .as_deref()
                        .map_or(String::new(), |i| format!(" ({i})")),
                    h.mac.as_deref().unwrap_or("unresolved")
                )
            };
            match &r.target {
                TargetInfo::NextHop { hop: h } => pairs.push(("next hop", hop(h))),
                TargetInfo::Ecmp { members } => {
                    for (i, m) in members.iter().enumerate() {
                        pairs.push((if i == 0 { "next hops" } else { "" }, hop(m)));
                    }
                }
                TargetInfo::Attached { port, interface } => pairs.push((
                    "next hop",
                    format!(
                        "{} (attached) via {port}{}, mac unresolved",
                        l.address,
                        interface
                            .as_deref()
                            .map_or(String::new(), |i| format!(" ({i})"))
                    ),
                )),
                TargetInfo::Local | TargetInfo::Broadcast | TargetInfo::Blackhole => {}
            }
        }
    }
    pairs.push(("fib generation", l.fib_generation.to_string()));
    key_values(&mut out, &pairs);
    out
}

fn render_neighbors(info: &NeighborsInfo) -> String {
    let mut t = Table::new(&[
        ("ADDRESS", L),
        ("MAC", L),
        ("PORT", L),
        ("INTERFACE", L),
        ("STATE", L),
        ("AGE", R),
    ]);
    for n in &info.neighbors {
        t.row(vec![
            n.address.clone(),
            n.mac.clone().unwrap_or_else(|| "unresolved".into()),
            n.port.clone(),
            opt(n.interface.as_deref()),
            n.state.clone(),
            n.age_seconds
                .map_or_else(|| "-".into(), |a| format!("{a}s")),
        ]);
    }
    let mut out = String::new();
    t.render(&mut out);
    out
}

fn reasons(out: &mut String, title: &str, counts: &[ReasonCount], with_port: bool) {
    if counts.is_empty() {
        let _ = writeln!(out, "{title}: none");
        return;
    }
    let _ = writeln!(out, "{title}:");
    let mut t = if with_port {
        Table::new(&[("PORT", L), ("REASON", L), ("COUNT", R)])
    } else {
        Table::new(&[("ACTION", L), ("COUNT", R)])
    };
    for c in counts {
        let mut row = Vec::new();
        if with_port {
            row.push(opt(c.port.as_deref()));
        }
        row.push(c.reason.clone());
        row.push(c.count.to_string());
        t.row(row);
    }
    t.render(out);
}

fn render_stats(s: &StatsInfo) -> String {
    let mut out = String::new();
    let mut ports = Table::new(&[
        ("PORT", L),
        ("RX_PACKETS", R),
        ("RX_BYTES", R),
        ("TX_PACKETS", R),
        ("TX_BYTES", R),
        ("DROPPED", R),
        ("PUNTED", R),
        ("INJECTED", R),
        ("DRV_RX_DROPPED", R),
        ("DRV_TX_ERRORS", R),
    ]);
    for p in &s.ports {
        ports.row(vec![
            p.port.clone(),
            p.rx_packets.to_string(),
            p.rx_bytes.to_string(),
            p.tx_packets.to_string(),
            p.tx_bytes.to_string(),
            p.dropped.to_string(),
            p.punted.to_string(),
            p.injected.to_string(),
            p.driver_rx_dropped.to_string(),
            p.driver_tx_errors.to_string(),
        ]);
    }
    ports.render(&mut out);
    out.push('\n');
    let mut workers = Table::new(&[
        ("WORKER", R),
        ("CORE", R),
        ("RX_PACKETS", R),
        ("TX_PACKETS", R),
        ("DROPPED", R),
        ("BUSY_LOOPS", R),
        ("IDLE_LOOPS", R),
        ("FIB_GEN", R),
    ]);
    for w in &s.workers {
        workers.row(vec![
            w.worker.to_string(),
            w.core.to_string(),
            w.rx_packets.to_string(),
            w.tx_packets.to_string(),
            w.dropped.to_string(),
            w.busy_loops.to_string(),
            w.idle_loops.to_string(),
            w.fib_generation.to_string(),
        ]);
    }
    workers.render(&mut out);
    out.push('\n');
    reasons(&mut out, "drops by reason", &s.drops, true);
    reasons(&mut out, "punts by reason", &s.punts, true);
    reasons(&mut out, "control plane", &s.control, false);
    out
}

fn render_reload(r: &ReloadInfo) -> String {
    format!(
        "reloaded: FIB generation {}, {} added, {} removed, {} changed ({}); \
         published in {} us, used by every worker after {} us\n",
        r.generation,
        r.added,
        r.removed,
        r.changed,
        if r.rebuilt { "rebuilt" } else { "patched" },
        r.publish_us,
        r.adopted_us
    )
}

fn render_check(c: &CheckInfo) -> String {
    let mut out = c.summary.clone();
    let _ = writeln!(out, "configuration OK");
    match &c.restart_needed {
        Some(why) => {
            let _ = writeln!(
                out,
                "note: the running daemon cannot reload to this file: {why}; a restart would apply it"
            );
        }
        None => {
            let _ = writeln!(out, "a reload would apply it");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn commands_map_to_requests() {
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from(std::iter::once("silkctl").chain(args.iter().copied()))
                .unwrap();
            (request_for(&cli.command).unwrap(), cli.json, cli.socket)
        };
        assert_eq!(parse(&["status"]).0, Request::Status);
        let (r, json, socket) = parse(&["--json", "--socket", "/x.sock", "show", "routes"]);
        assert_eq!(
            r,
            Request::ShowRoutes {
                prefix: None,
                limit: Some(DEFAULT_ROUTE_LIMIT)
            }
        );
        assert!(json);
        assert_eq!(socket, PathBuf::from("/x.sock"));
        assert_eq!(
            parse(&["show", "routes", "10.0.0.0/8", "--limit", "3", "--json"]).0,
            Request::ShowRoutes {
                prefix: Some("10.0.0.0/8".into()),
                limit: Some(3)
            }
        );
        // check sends the file's text and its absolute path.
        let dir = std::env::temp_dir().join(format!("silkctl-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("some.yaml");
        std::fs::write(&file, "log_level: warn\n").unwrap();
        match parse(&["check", file.to_str().unwrap()]).0 {
            Request::Check { path, text } => {
                assert!(Path::new(&path).is_absolute());
                assert_eq!(text, "log_level: warn\n");
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["silkctl", "check", "/nonexistent/x.yaml"]).unwrap();
        let e = request_for(&cli.command).unwrap_err();
        assert!(e.contains("cannot read /nonexistent/x.yaml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&[("A", L), ("NUM", R)]);
        t.row(vec!["long-name".into(), "7".into()]);
        t.row(vec!["x".into(), "1234".into()]);
        let mut out = String::new();
        t.render(&mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            ["A           NUM", "long-name     7", "x          1234"]
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(65), "1m 5s");
        assert_eq!(duration(3_725), "1h 2m 5s");
        assert_eq!(duration(90_061), "1d 1h 1m");
    }
}
