//! The metrics endpoint, the Prometheus config and rules, and the Grafana
//! dashboard against a real Prometheus (Debian's `prometheus` package).
//!
//! Runs `silkroute run` on a copy of `configs/demo.yaml` (looping captures,
//! so it forwards until killed) with the endpoint on a free loopback port,
//! checks the endpoint's output with `promtool check metrics` and the rules
//! with `promtool check rules`, then starts Prometheus on a copy of
//! `configs/prometheus/prometheus.yml` (1 s scrapes of that port, the rules
//! beside it), triggers one reload (SIGHUP) and waits for several scrapes.
//! Then every query of `configs/grafana/silkroute.json` (panel targets and
//! variable queries, with the dashboard variables substituted) and every
//! alert expression Prometheus loaded from the rules must run without
//! error and return at least one series.
//!
//! Alert expressions are run **without their threshold comparison**
//! (`<query> <op> <number>` becomes `<query>`): an alert that rightly does
//! not fire returns nothing, but its query must still find its metrics.
//! Both child processes are killed when the test ends, also on failure.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/tools.rs"]
mod tools;

use tools::{find_tool, free_port, promtool_check_metrics, TempDir};

/// Substitutions for the dashboard's variables. `$__rate_interval` must
/// cover several 1 s scrapes.
const DASHBOARD_VARIABLES: &[(&str, &str)] = &[
    ("$__rate_interval", "10s"),
    ("$__interval", "5s"),
    ("$__range", "1m"),
    ("$instance", ".*"),
    ("$port", ".*"),
];

/// Scrapes to wait for before querying: rate() over 10 s needs two
/// samples, and the rules need a few evaluations.
const MIN_SCRAPES: usize = 8;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A child process killed and reaped on drop (also when the test panics).
struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &'static str, cmd: &mut Command, log: PathBuf) -> Proc {
        let out = fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Proc { name, child, log }
    }

    /// Panics (with the process' log) if it has exited.
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let log = fs::read_to_string(&self.log).unwrap_or_default();
            panic!("{} exited ({status}):\n{log}", self.name);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A minimal HTTP/1.0 GET: `(status, headers, body)`.
fn http_get(
    addr: SocketAddr,
    target: &str,
    accept: &str,
) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {target} HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, head.to_owned(), body.to_owned()))
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs `query` at Prometheus' `/api/v1/query`: the result vector, or why not.
fn prom_query(prom: SocketAddr, query: &str) -> Result<Vec<Value>, String> {
    let target = format!("/api/v1/query?query={}", urlencode(query));
    let (status, _, body) =
        http_get(prom, &target, "application/json").map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_str(&body)
        .map_err(|e| format!("HTTP {status}, bad JSON ({e}): {body}"))?;
    if v["status"] != "success" {
        return Err(format!("HTTP {status}: {} {}", v["errorType"], v["error"]));
    }
    Ok(v["data"]["result"].as_array().cloned().unwrap_or_default())
}

fn wait_for<T>(what: &str, procs: &mut [&mut Proc], mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(t) = f() {
            return t;
        }
        for p in procs.iter_mut() {
            p.assert_running();
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `(panel title or variable name, query)` pairs.
type Queries = Vec<(String, String)>;

/// Every `expr` of the dashboard's panels (rows' nested panels included)
/// with the panel title, and every variable query.
fn dashboard_queries(dash: &Value) -> (Queries, Queries) {
    fn walk(panels: &Value, out: &mut Queries) {
        for p in panels.as_array().into_iter().flatten() {
            let title = p["title"].as_str().unwrap_or("?").to_owned();
            for t in p["targets"].as_array().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    out.push((title.clone(), e.to_owned()));
                }
            }
            walk(&p["panels"], out);
        }
    }
    let mut exprs = Vec::new();
    walk(&dash["panels"], &mut exprs);
    let vars = dash["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["type"] == "query")
        .map(|v| {
            let q = v["query"]["query"].as_str().or(v["query"].as_str());
            (
                v["name"].as_str().unwrap_or("?").to_owned(),
                q.unwrap_or("").to_owned(),
            )
        })
        .collect();
    (exprs, vars)
}

fn substitute(expr: &str) -> String {
    let mut e = expr.to_owned();
    for (var, val) in DASHBOARD_VARIABLES {
        e = e.replace(&format!("${{{}}}", &var[1..]), val);
        e = e.replace(var, val);
    }
    assert!(
        !e.contains('$'),
        "unsubstituted variable in {expr:?} -> {e:?}"
    );
    e
}

/// `<query> <op> <number>` without its comparison.
fn strip_threshold(expr: &str) -> String {
    let e = expr.trim();
    for op in ["==", "!=", ">=", "<=", ">", "<"] {
        if let Some((lhs, rhs)) = e.rsplit_once(&format!(" {op} ")) {
            if rhs.trim().parse::<f64>().is_ok() {
                return lhs.trim().to_owned();
            }
        }
    }
    panic!("alert expression {expr:?} is not `<query> <comparison> <number>`")
}

#[test]
fn prometheus_scrapes_and_dashboard_and_alerts_have_data() {
    let prometheus = find_tool("prometheus");
    let promtool = find_tool("promtool");
    let configs = repo().join("configs");
    let rules_src = configs.join("prometheus/silkroute-rules.yml");

    // promtool check rules on the shipped rules.
    let out = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules_src)
        .output()
        .expect("running promtool check rules");
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The demo, on a free port and its own socket.
    let tmp = TempDir::new("prometheus");
    for entry in fs::read_dir(&configs).expect("configs/") {
        let p = entry.expect("configs/ entry").path();
        let keep = matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "txt"));
        if keep {
            fs::copy(&p, tmp.0.join(p.file_name().expect("name"))).expect("copying input");
        }
    }
    let metrics_addr = free_port();
    let mut demo = fs::read_to_string(configs.join("demo.yaml")).expect("configs/demo.yaml");
    assert!(
        !demo
            .lines()
            .any(|l| l.starts_with("metrics:") || l.starts_with("control:")),
        "demo.yaml uses the default metrics address and socket"
    );
    demo.push_str(&format!(
        "\nmetrics: {{ listen: \"{metrics_addr}\" }}\ncontrol: {{ socket: {} }}\n",
        tmp.0.join("silkroute.sock").display()
    ));
    let demo_path = tmp.0.join("demo.yaml");
    fs::write(&demo_path, demo).expect("writing the demo config");
    let mut router = Proc::spawn(
        "silkroute",
        Command::new(env!("CARGO_BIN_EXE_silkroute"))
            .args(["run", "--no-pin", "--config"])
            .arg(&demo_path),
        tmp.0.join("silkroute.log"),
    );

    let metrics = wait_for(
        "the metrics endpoint",
        &mut [&mut router],
        || match http_get(metrics_addr, "/metrics", "*/*") {
            Ok((200, _, body)) if body.contains("silkroute_port_tx_packets_total") => Some(body),
            _ => None,
        },
    );

    // promtool check metrics: silent and successful.
    promtool_check_metrics(&promtool, &metrics);
    // What Prometheus asks for: OpenMetrics.
    let (status, head, body) = http_get(
        metrics_addr,
        "/metrics",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    )
    .expect("OpenMetrics scrape");
    assert_eq!(status, 200);
    assert!(
        head.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"));

    // Prometheus on the shipped config, pointed at this router.
    let prom_addr = free_port();
    let shipped =
        fs::read_to_string(configs.join("prometheus/prometheus.yml")).expect("prometheus.yml");
    assert!(shipped.contains("127.0.0.1:9430"));
    let prom_cfg = shipped
        .replace("127.0.0.1:9430", &metrics_addr.to_string())
        .replace("scrape_interval: 15s", "scrape_interval: 1s")
        .replace("scrape_interval: 5s", "scrape_interval: 1s")
        .replace("evaluation_interval: 15s", "evaluation_interval: 1s");
    let prom_dir = tmp.0.join("prometheus");
    fs::create_dir_all(&prom_dir).expect("prometheus dir");
    fs::write(prom_dir.join("prometheus.yml"), prom_cfg).expect("writing prometheus.yml");
    fs::copy(&rules_src, prom_dir.join("silkroute-rules.yml")).expect("copying the rules");
    let mut prom = Proc::spawn(
        "prometheus",
        Command::new(&prometheus)
            .arg(format!(
                "--config.file={}",
                prom_dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                prom_dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={prom_addr}"))
            .arg("--log.level=warn"),
        tmp.0.join("prometheus.log"),
    );
    wait_for(
        "Prometheus to be ready",
        &mut [&mut router, &mut prom],
        || matches!(http_get(prom_addr, "/-/ready", "*/*"), Ok((200, _, _))).then_some(()),
    );

    // One reload, so the reload series carry a real result.
    let hup = Command::new("kill")
        .args(["-HUP", &router.child.id().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(hup.success());

    let enough = format!("count_over_time(up{{job=\"silkroute\"}}[1m]) >= {MIN_SCRAPES}");
    wait_for(
        "Prometheus to scrape",
        &mut [&mut router, &mut prom],
        || {
            let up = prom_query(prom_addr, "up{job=\"silkroute\"} == 1").ok()?;
            let n = prom_query(prom_addr, &enough).ok()?;
            (!up.is_empty() && !n.is_empty()).then_some(())
        },
    );
    let reloads = prom_query(
        prom_addr,
        "silkroute_config_reloads_total{result=\"success\"} >= 1",
    )
    .expect("reload query");
    assert!(!reloads.is_empty(), "the SIGHUP reload is not counted");

    let mut failures = Vec::new();
    let mut ran = 0;

    // The dashboard.
    let dash: Value = serde_json::from_str(
        &fs::read_to_string(configs.join("grafana/silkroute.json")).expect("dashboard"),
    )
    .expect("dashboard JSON");
    let (exprs, vars) = dashboard_queries(&dash);
    assert!(exprs.len() >= 20, "only {} dashboard queries", exprs.len());
    for (title, expr) in &exprs {
        let q = substitute(expr);
        ran += 1;
        match prom_query(prom_addr, &q) {
            Ok(r) if r.is_empty() => failures.push(format!("panel {title:?}: no series: {q}")),
            Ok(_) => {}
            Err(e) => failures.push(format!("panel {title:?}: {e}: {q}")),
        }
    }
    // Variables: label_values(SELECTOR, LABEL) must find series with LABEL.
    assert!(!vars.is_empty(), "the dashboard has no query variables");
    for (name, query) in &vars {
        let inner = query
            .strip_prefix("label_values(")
            .and_then(|q| q.strip_suffix(')'))
            .unwrap_or_else(|| panic!("variable {name}: not label_values(...): {query}"));
        let (selector, label) = inner
            .rsplit_once(',')
            .expect("label_values(selector, label)");
        let (selector, label) = (substitute(selector.trim()), label.trim());
        ran += 1;
        match prom_query(prom_addr, &selector) {
            Ok(r) if r.iter().any(|s| s["metric"][label].is_string()) => {}
            Ok(_) => failures.push(format!(
                "variable {name}: no series with {label}: {selector}"
            )),
            Err(e) => failures.push(format!("variable {name}: {e}: {selector}")),
        }
    }

    // The alerts, as Prometheus loaded them.
    let (_, _, body) = http_get(prom_addr, "/api/v1/rules", "application/json").expect("rules");
    let rules: Value = serde_json::from_str(&body).expect("rules JSON");
    let alerts: Vec<&Value> = rules["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter(|r| r["type"] == "alerting")
        .collect();
    let in_file = fs::read_to_string(&rules_src)
        .expect("rules file")
        .lines()
        .filter(|l| l.trim_start().starts_with("- alert:"))
        .count();
    assert_eq!(alerts.len(), in_file, "Prometheus loaded {body}");
    for a in alerts {
        let name = a["name"].as_str().unwrap_or("?");
        if a["health"] == "err" {
            failures.push(format!("alert {name}: {}", a["lastError"]));
        }
        let q = strip_threshold(a["query"].as_str().expect("alert query"));
        ran += 1;
        match prom_query(prom_addr, &q) {
            Ok(r) if r.is_empty() => failures.push(format!("alert {name}: no series: {q}")),
            Ok(_) => {}
            Err(e) => failures.push(format!("alert {name}: {e}: {q}")),
        }
    }

    router.assert_running();
    prom.assert_running();
    assert!(
        failures.is_empty(),
        "{} of {ran} queries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{ran} dashboard and alert queries returned series");
}
