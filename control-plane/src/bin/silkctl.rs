//! `silkctl`: the operator's client of silkroute's control socket. The
//! command line and rendering live in `silkroute_control_plane::ctl`
//! (reference: `docs/cli.md`).

fn main() -> std::process::ExitCode {
    silkroute_control_plane::ctl::main()
}
