//! `silkroute`: the router daemon and its offline tools.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use silkroute_config::Config;
use silkroute_control_plane::fib_bench::{self, Family, Keys};
use silkroute_control_plane::lookup::RouteLookup;
use silkroute_control_plane::runtime::{ControlInputs, Router, RunOptions};

#[derive(Parser, Debug)]
#[command(
    name = "silkroute",
    version,
    about = "A software router for transit hubs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a configuration and print a summary; exit 1 listing every
    /// error (file:line:column: what) when it is invalid.
    Check {
        /// The YAML configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Run the router until its input ends (pcap ports without looping)
    /// or SIGINT/SIGTERM, then print a summary.
    Run {
        /// The YAML configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Do not pin workers to their configured cores.
        #[arg(long)]
        no_pin: bool,
    },
    /// FIB tools.
    Fib {
        #[command(subcommand)]
        command: FibCommand,
    },
}

#[derive(Subcommand, Debug)]
enum FibCommand {
    /// Read one address a line on stdin; print `ADDRESS PREFIX` (longest
    /// match in the route file) or `ADDRESS -`.
    Lookup {
        /// Route file: one PREFIX/LEN a line, plain or gzip.
        #[arg(long)]
        routes: PathBuf,
    },
    /// Build the LPM table from a route file and measure batch lookups of
    /// 16M keys on one core; prints one line of figures.
    Bench {
        /// Route file: one PREFIX/LEN a line, plain or gzip.
        #[arg(long)]
        routes: PathBuf,
        /// Address family to load and look up.
        #[arg(long, value_enum)]
        family: Family,
        /// Key distribution.
        #[arg(long, value_enum, default_value = "random")]
        keys: Keys,
        /// Minimum measuring time (whole passes over the 16M keys).
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SILKROUTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("silkroute: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { config } => {
            init_logging("warn");
            match Config::load(&config) {
                Ok(cfg) => {
                    print!("{}", cfg.summary());
                    println!("configuration OK");
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    eprintln!("{errors}");
                    eprintln!("{} error(s); configuration refused", errors.0.len());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Run { config, no_pin } => {
            let opts = RunOptions {
                pin: !no_pin,
                ..RunOptions::default()
            };
            let cfg = match Config::load_with(&config, &opts.load_options()) {
                Ok(cfg) => cfg,
                Err(errors) => {
                    init_logging("info");
                    eprintln!("{errors}");
                    eprintln!("{} error(s); not starting", errors.0.len());
                    return Ok(ExitCode::FAILURE);
                }
            };
            init_logging(cfg.log_level.as_str());
            print!("{}", cfg.summary());
            let inputs_shutdown = Arc::new(AtomicBool::new(false));
            let reload = Arc::new(AtomicBool::new(false));
            for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                signal_hook::flag::register(sig, Arc::clone(&inputs_shutdown))
                    .context("installing signal handlers")?;
            }
            signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&reload))
                .context("installing the SIGHUP handler")?;
            let socket_path = cfg
                .control
                .socket
                .clone()
                .unwrap_or_else(silkroute_config::default_socket_path);
            let control = cfg.control.clone();
            let metrics_addr = cfg.metrics.listen;
            let mut router = Router::start(cfg, &opts).context("starting the router")?;
            let (tx, rx) = std::sync::mpsc::channel();
            let _socket = match silkroute_control_plane::socket::spawn(
                &socket_path,
                control.socket_mode,
                control.socket_group.as_deref(),
                tx,
            ) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("control socket {}: {e}", socket_path.display());
                    None
                }
            };
            let _metrics = match metrics_addr {
                Some(addr) => {
                    match silkroute_control_plane::metrics::spawn(addr, router.telemetry()) {
                        Ok(m) => Some(m),
                        Err(e) => {
                            tracing::warn!("metrics endpoint {addr}: {e}");
                            None
                        }
                    }
                }
                None => None,
            };
            let inputs = ControlInputs {
                shutdown: inputs_shutdown,
                reload,
                commands: Some(rx),
                stop_when_input_ends: true,
            };
            router.serve(&inputs);
            let report = router.stop();
            print!("{}", report.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Fib {
            command:
                FibCommand::Bench {
                    routes,
                    family,
                    keys,
                    seconds,
                },
        } => {
            init_logging("warn");
            let file = match silkroute_config::parse_route_file(&routes) {
                Ok(f) => f,
                Err(errors) => {
                    eprintln!("{errors}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let r = fib_bench::run(&file, family, keys, seconds).context("building the table")?;
            println!(
                "family={} keys={} routes={} build_ms={:.1} mem_bytes={} mlookups_per_s={:.1}",
                match family {
                    Family::Ipv4 => "ipv4",
                    Family::Ipv6 => "ipv6",
                },
                match keys {
                    Keys::Random => "random",
                    Keys::Matched => "matched",
                },
                r.routes,
                r.build.as_secs_f64() * 1e3,
                r.mem_bytes,
                r.mlookups_per_s
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Fib {
            command: FibCommand::Lookup { routes },
        } => {
            init_logging("warn");
            let file = match silkroute_config::parse_route_file(&routes) {
                Ok(f) => f,
                Err(errors) => {
                    eprintln!("{errors}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let table = RouteLookup::new(&file).context("building the lookup tables")?;
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let bad = table.run(
                stdin.lock(),
                std::io::BufWriter::new(stdout.lock()),
                std::io::stderr(),
            )?;
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
