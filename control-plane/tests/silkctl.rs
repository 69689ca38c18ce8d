//! `silkctl` against a real daemon: `silkroute run` on memory ports in a
//! child process, every command in human and `--json` form, exit codes,
//! socket permissions, reloads that apply, reloads that are refused, and
//! `docs/cli.md` naming every command.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::CommandFactory;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use silkroute_control_plane::ctl::Cli;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("silkctl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills the daemon if a test assertion fails before the orderly stop.
struct Daemon(Option<Child>);

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Line of the `10.0.0.0/8` route in [`config`] (1-based), for the
/// invalid-config positions.
const ROUTE_LINE: usize = 12;

fn config(socket: &Path, extra_route: Option<&str>, third_port: bool) -> String {
    let mut s = String::from(
        r#"ports:
  - { name: p0, driver: { memory: { ring_size: 1024 } } }
  - { name: p1, driver: { memory: { ring_size: 1024 } } }
interfaces:
  - { name: e0, port: p0, mac: "02:00:00:00:00:01", addresses: [192.0.2.1/24, "2001:db8:1::1/64"] }
  - { name: e1, port: p1, mac: "02:00:00:00:00:02", addresses: [198.51.100.1/24] }
neighbors:
  - { address: 192.0.2.2, mac: "02:aa:00:00:00:02" }
  - { address: 198.51.100.2, mac: "02:bb:00:00:00:02" }
  - { address: "2001:db8:1::2", mac: "02:aa:00:00:00:06" }
routes:
  - { prefix: 10.0.0.0/8, via: 192.0.2.2 }
  - { prefix: 10.1.0.0/16, via: 198.51.100.2 }
  - { prefix: 203.0.113.0/24, via: [192.0.2.2, 192.0.2.3] }
  - { prefix: "2001:db8:99::/48", via: "2001:db8:1::2" }
"#,
    );
    if let Some(r) = extra_route {
        s.push_str(&format!("  - {{ prefix: {r}, via: 192.0.2.2 }}\n"));
    }
    if third_port {
        s.push_str("  - { prefix: 100.64.0.0/10, via: 192.0.2.2 }\n");
        s = s.replace(
            "ports:\n",
            "ports:\n  - { name: p9, driver: { memory: { ring_size: 1024 } } }\n",
        );
    }
    s.push_str(&format!(
        "control: {{ socket: {} }}\nmetrics: {{ enabled: false }}\nworkers:\n  - {{ core: 0, rx: [p0, p1{}] }}\n",
        socket.display(),
        if third_port { ", p9" } else { "" }
    ));
    s
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

fn silkctl(socket: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_silkctl"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `args` in human and JSON form, expects exit 0 from both, returns
/// (human stdout, JSON data).
fn both(socket: &Path, args: &[&str]) -> (String, Value) {
    let human = silkctl(socket, args);
    assert_eq!(human.code, 0, "{args:?}: {}{}", human.stdout, human.stderr);
    let mut j = vec!["--json"];
    j.extend_from_slice(args);
    let json = silkctl(socket, &j);
    assert_eq!(json.code, 0, "{j:?}: {}{}", json.stdout, json.stderr);
    let v = json.json();
    assert_eq!(v["ok"], true, "{v}");
    (human.stdout, v["data"].clone())
}

fn wait_for_socket(socket: &Path, daemon: &mut Child, dir: &Path) {
    let start = Instant::now();
    while !socket.exists() {
        if let Some(status) = daemon.try_wait().unwrap() {
            panic!(
                "silkroute exited ({status}) before creating its socket:\n{}",
                std::fs::read_to_string(dir.join("daemon.err")).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no control socket after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn silkctl_against_a_running_daemon() {
    let dir = TempDir::new("daemon");
    let socket = dir.0.join("s.sock");
    let cfg = dir.0.join("router.yaml");
    std::fs::write(&cfg, config(&socket, None, false)).unwrap();

    let child = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .args(["run", "--no-pin", "--config"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.0.join("daemon.out")).unwrap())
        .stderr(std::fs::File::create(dir.0.join("daemon.err")).unwrap())
        .spawn()
        .unwrap();
    let mut daemon = Daemon(Some(child));
    wait_for_socket(&socket, daemon.0.as_mut().unwrap(), &dir.0);

    // Owner only.
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "socket mode {mode:o}");

    // status
    let (text, data) = both(&socket, &["status"]);
    assert!(text.contains(&cfg.display().to_string()), "{text}");
    assert!(text.contains("fib generation"), "{text}");
    assert_eq!(data["workers"], 1);
    assert_eq!(data["ports"], 2);
    assert!(data["routes_v4"].as_u64().unwrap() >= 3, "{data}");

    // show interfaces
    let (text, data) = both(&socket, &["show", "interfaces"]);
    for want in [
        "INTERFACE",
        "e0",
        "p1",
        "memory",
        "02:00:00:00:00:01",
        "192.0.2.1/24",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert_eq!(data["interfaces"].as_array().unwrap().len(), 2);
    assert_eq!(data["interfaces"][1]["name"], "e1");
    assert_eq!(data["interfaces"][1]["mtu"], 1500);

    // show routes: listing
    let (text, data) = both(&socket, &["show", "routes"]);
    for want in [
        "configured routes: 3 IPv4, 1 IPv6",
        "10.0.0.0/8",
        "10.1.0.0/16",
        "203.0.113.0/24",
        "ecmp",
        "unresolved",
        "2001:db8:99::/48",
        "192.0.2.0/24",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert_eq!(data["mode"], "list");
    assert_eq!(data["configured_v4"], 3);
    let (_, data) = both(&socket, &["show", "routes", "--limit", "2"]);
    assert_eq!(data["routes"].as_array().unwrap().len(), 2);

    // show routes PREFIX: exact and longest match
    let (text, data) = both(&socket, &["show", "routes", "10.1.2.3"]);
    assert!(
        text.contains("longest") && text.contains("10.1.0.0/16"),
        "{text}"
    );
    assert_eq!(data["exact"], Value::Null);
    assert_eq!(data["longest"]["prefix"], "10.1.0.0/16");
    assert_eq!(data["longest"]["target"]["hop"]["address"], "198.51.100.2");
    let (_, data) = both(&socket, &["show", "routes", "10.2.0.0/16"]);
    assert_eq!(data["exact"], Value::Null);
    assert_eq!(data["longest"]["prefix"], "10.0.0.0/8");
    let (_, data) = both(&socket, &["show", "routes", "10.0.0.0/8"]);
    assert_eq!(data["exact"]["prefix"], "10.0.0.0/8");
    assert_eq!(data["longest"]["prefix"], "10.0.0.0/8");
    let (text, data) = both(&socket, &["show", "routes", "8.8.8.0/24"]);
    assert!(text.contains("no route"), "{text}");
    assert_eq!(data["longest"], Value::Null);
    let bad = silkctl(&socket, &["show", "routes", "10.0.0.0/40"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);

    // show neighbors
    let (text, data) = both(&socket, &["show", "neighbors"]);
    for want in ["198.51.100.2", "02:bb:00:00:00:02", "static", "e1"] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert_eq!(data["neighbors"].as_array().unwrap().len(), 3);

    // show stats
    let (text, data) = both(&socket, &["show", "stats"]);
    for want in [
        "RX_PACKETS",
        "WORKER",
        "IDLE_LOOPS",
        "drops by reason",
        "p1",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert_eq!(data["ports"].as_array().unwrap().len(), 2);
    assert_eq!(data["workers"].as_array().unwrap().len(), 1);
    assert!(data["drops"].is_array() && data["punts"].is_array());

    // lookup
    let (text, data) = both(&socket, &["lookup", "10.1.2.3"]);
    for want in [
        "forward",
        "10.1.0.0/16",
        "198.51.100.2",
        "p1",
        "02:bb:00:00:00:02",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert_eq!(data["action"], "forward");
    assert_eq!(data["route"]["prefix"], "10.1.0.0/16");
    assert_eq!(data["route"]["target"]["hop"]["port"], "p1");
    assert_eq!(data["route"]["target"]["hop"]["mac"], "02:bb:00:00:00:02");
    let (text, data) = both(&socket, &["lookup", "203.0.113.9"]);
    assert!(
        text.contains("192.0.2.3") && text.contains("unresolved"),
        "{text}"
    );
    assert_eq!(data["route"]["target"]["kind"], "ecmp");
    assert_eq!(
        data["route"]["target"]["members"].as_array().unwrap().len(),
        2
    );
    let (_, data) = both(&socket, &["lookup", "192.0.2.1"]);
    assert_eq!(data["action"], "local");
    assert_eq!(data["route"]["prefix"], "192.0.2.1/32");
    let (_, data) = both(&socket, &["lookup", "192.0.2.77"]);
    assert_eq!(data["action"], "unresolved");
    assert_eq!(data["route"]["target"]["kind"], "attached");
    assert_eq!(data["route"]["prefix"], "192.0.2.0/24");
    let (_, data) = both(&socket, &["lookup", "192.0.2.255"]);
    assert_eq!(data["action"], "broadcast");
    let (text, data) = both(&socket, &["lookup", "8.8.8.8"]);
    assert!(text.contains("no route"), "{text}");
    assert_eq!(data["action"], "no_route");
    let (_, data) = both(&socket, &["lookup", "2001:db8:99::1"]);
    assert_eq!(data["action"], "forward");
    assert_eq!(data["route"]["prefix"], "2001:db8:99::/48");
    assert_eq!(data["route"]["target"]["hop"]["mac"], "02:aa:00:00:00:06");
    let bad = silkctl(&socket, &["lookup", "not-an-address"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("not-an-address"), "{}", bad.stderr);
    let bad = silkctl(&socket, &["--json", "lookup", "not-an-address"]);
    assert_eq!(bad.code, 1);
    assert_eq!(bad.json()["ok"], false);

    // check FILE (relative paths are resolved by silkctl)
    let (text, data) = both(&socket, &["check", cfg.to_str().unwrap()]);
    assert!(text.contains("configuration OK"), "{text}");
    assert_eq!(data["restart_needed"], Value::Null);
    let broken = dir.0.join("broken.yaml");
    std::fs::write(
        &broken,
        config(&socket, None, false).replace("10.0.0.0/8", "10.0.0.0/33"),
    )
    .unwrap();
    let out = silkctl(&socket, &["check", broken.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let at = format!("{}:{ROUTE_LINE}:", broken.display());
    assert!(out.stderr.contains(&at), "want {at} in:\n{}", out.stderr);

    // reload: a new route
    std::fs::write(&cfg, config(&socket, Some("172.16.0.0/12"), false)).unwrap();
    let (text, data) = both(&socket, &["reload"]);
    assert!(text.contains("reloaded"), "{text}");
    assert_eq!(data["added"], 0, "the human reload already added it");
    let (_, data) = both(&socket, &["show", "routes", "172.16.0.0/12"]);
    assert_eq!(data["exact"]["prefix"], "172.16.0.0/12");
    let (_, data) = both(&socket, &["lookup", "172.20.0.1"]);
    assert_eq!(data["route"]["prefix"], "172.16.0.0/12");

    // reload: an invalid file is refused with its position, nothing changes
    std::fs::write(
        &cfg,
        config(&socket, None, false).replace("10.0.0.0/8", "10.0.0.0/33"),
    )
    .unwrap();
    let out = silkctl(&socket, &["reload"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let at = format!("{}:{ROUTE_LINE}:", cfg.display());
    assert!(out.stderr.contains(&at), "want {at} in:\n{}", out.stderr);
    let out = silkctl(&socket, &["--json", "reload"]);
    assert_eq!(out.code, 1);
    assert!(out.json()["error"].as_str().unwrap().contains(&at));
    let (text, data) = both(&socket, &["show", "routes"]);
    assert!(
        text.contains("172.16.0.0/12") && text.contains("10.0.0.0/8"),
        "{text}"
    );
    assert_eq!(data["configured_v4"], 4);
    let (_, data) = both(&socket, &["status"]);
    assert_eq!(data["last_reload"], "invalid");

    // reload: a new port needs a restart
    std::fs::write(&cfg, config(&socket, Some("172.16.0.0/12"), true)).unwrap();
    let out = silkctl(&socket, &["reload"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("restart"), "{}", out.stderr);
    let (_, data) = both(&socket, &["show", "routes", "100.64.0.0/10"]);
    assert_eq!(
        data["exact"],
        Value::Null,
        "nothing of the refused file applied"
    );
    let (text, data) = both(&socket, &["check", cfg.to_str().unwrap()]);
    assert!(text.contains("restart"), "{text}");
    assert!(data["restart_needed"].is_string());

    // check reads the config and its route files as the caller; the daemon
    // is sent the text and opens no file a client names.
    let restored = config(&socket, None, false);
    std::fs::write(&cfg, &restored).unwrap();
    let table = dir.0.join("table.txt");
    std::fs::write(&table, "100.64.0.0/10\n192.0.0.0/24\n").unwrap();
    let with_file = dir.0.join("with-file.yaml");
    let route_file = |path: &Path| {
        format!(
            "{restored}route_files:\n  - {{ path: {}, via: 192.0.2.10 }}\n",
            path.display()
        )
    };
    std::fs::write(&with_file, route_file(&table)).unwrap();
    let (text, data) = both(&socket, &["check", with_file.to_str().unwrap()]);
    assert!(text.contains("configuration OK"), "{text}");
    let (_, base) = both(&socket, &["check", cfg.to_str().unwrap()]);
    assert_eq!(
        data["routes_v4"].as_u64().unwrap(),
        base["routes_v4"].as_u64().unwrap() + 2,
        "the route file's routes, counted by silkctl"
    );
    let missing = dir.0.join("missing.txt");
    std::fs::write(&with_file, route_file(&missing)).unwrap();
    let out = silkctl(&socket, &["check", with_file.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("missing.txt"), "{}", out.stderr);
    {
        // The same text sent straight to the socket: the daemon does not
        // open the route file (nor would it any other path), so it cannot
        // see that it is missing; it only judges the text.
        use std::io::{BufRead, BufReader, Write};
        let request = serde_json::json!({
            "command": "check",
            "path": with_file.display().to_string(),
            "text": route_file(Path::new("/etc/shadow")),
        });
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        s.write_all(format!("{request}\n").as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["ok"], true, "{line}");
        assert_eq!(
            answer["data"]["routes_v4"].as_u64().unwrap(),
            base["routes_v4"].as_u64().unwrap(),
            "no route read from the file: {line}"
        );
    }

    // A connection that sends garbage gets an error line; the daemon lives on.
    {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        s.write_all(b"{\"command\":\"shutdown\"}\n").unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        assert!(line.contains("\"ok\":false"), "{line}");
    }
    both(&socket, &["status"]);

    // SIGTERM: a prompt, clean exit that removes the socket.
    let mut child = daemon.0.take().unwrap();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("silkroute did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit {status}");
    assert!(!socket.exists(), "the socket outlived the daemon");
    let out = silkctl(&socket, &["status"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn unreachable_daemon_exits_2() {
    let out = silkctl(Path::new("/nonexistent/silkroute.sock"), &["status"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("/nonexistent/silkroute.sock"),
        "{}",
        out.stderr
    );
    let out = silkctl(
        Path::new("/nonexistent/silkroute.sock"),
        &["--json", "reload"],
    );
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["ok"], false);
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let sock = Path::new("/nonexistent/s.sock");
    assert_eq!(silkctl(sock, &["frobnicate"]).code, 1);
    assert_eq!(silkctl(sock, &["lookup"]).code, 1);
    assert_eq!(
        silkctl(sock, &["show", "routes", "--limit", "many"]).code,
        1
    );
    for args in [
        &["--help"][..],
        &["show", "--help"],
        &["show", "routes", "--help"],
        &["lookup", "--help"],
        &["check", "--help"],
    ] {
        let out = silkctl(sock, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stdout.contains("Usage"), "{args:?}: {}", out.stdout);
    }
}

/// Every subcommand path (`show routes`, ...) and every long option
/// appears in `docs/cli.md`.
#[test]
fn cli_reference_names_every_command_and_option() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                if long != "help" && long != "version" {
                    out.push(format!("--{long}"));
                }
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = format!("{prefix} {}", sub.get_name()).trim().to_owned();
            out.push(format!("silkctl {path}"));
            walk(sub, &path, out);
        }
    }
    let mut names = Vec::new();
    walk(&Cli::command(), "", &mut names);
    assert!(names.len() >= 10, "{names:?}");
    let missing: Vec<&String> = names.iter().filter(|n| !doc.contains(n.as_str())).collect();
    assert!(
        missing.is_empty(),
        "docs/cli.md does not mention {missing:?}"
    );
}
