//! `silkroute fib lookup` on the full shared BGP tables, line by line
//! against a naive reference (`silkroute_lpm::reference::ReferenceLpm`)
//! built here from the same route file: random addresses, and the first
//! and last address of sampled routes (where an off-by-one in a prefix
//! boundary shows).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use silkroute_config::{parse_route_file, RouteFile};
use silkroute_lpm::reference::ReferenceLpm;

/// Random addresses per family.
const RANDOM_ADDRESSES: usize = 100_000;
/// Routes whose first and last addresses are looked up.
const SAMPLED_ROUTES: usize = 1_000;
/// Mismatches shown when the tool and the reference disagree.
const SHOWN_MISMATCHES: usize = 10;

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(name)
}

/// A route file and the reference over it, values = route index.
struct Table {
    path: PathBuf,
    routes: RouteFile,
    v4: ReferenceLpm<32>,
    v6: ReferenceLpm<128>,
}

impl Table {
    fn load(name: &str) -> Table {
        let path = shared(name);
        assert!(path.is_file(), "shared table {} is missing", path.display());
        let routes = parse_route_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut v4 = ReferenceLpm::<32>::new();
        for (i, n) in routes.v4.iter().enumerate() {
            v4.insert(u128::from(u32::from(n.network())), n.prefix_len(), i as u32)
                .unwrap_or_else(|e| panic!("{n}: {e}"));
        }
        let mut v6 = ReferenceLpm::<128>::new();
        for (i, n) in routes.v6.iter().enumerate() {
            v6.insert(u128::from(n.network()), n.prefix_len(), i as u32)
                .unwrap_or_else(|e| panic!("{n}: {e}"));
        }
        Table {
            path,
            routes,
            v4,
            v6,
        }
    }

    /// The line the tool must print for `addr`.
    fn expected(&self, addr: IpAddr) -> String {
        let prefix = match addr {
            IpAddr::V4(a) => self
                .v4
                .lookup_with_len(u128::from(u32::from(a)))
                .map(|(_, i)| self.routes.v4[i as usize].to_string()),
            IpAddr::V6(a) => self
                .v6
                .lookup_with_len(u128::from(a))
                .map(|(_, i)| self.routes.v6[i as usize].to_string()),
        };
        format!("{addr} {}", prefix.as_deref().unwrap_or("-"))
    }
}

fn ipv4_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table::load("bgp-ipv4.txt.gz"))
}

fn ipv6_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table::load("bgp-ipv6.txt.gz"))
}

/// Runs `silkroute fib lookup --routes ROUTES` with `input` on stdin.
fn run_lookup(routes: &Path, input: String) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .args(["fib", "lookup", "--routes"])
        .arg(routes)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting silkroute");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Written from another thread: the tool answers while it reads, and a
    // full stdout pipe would otherwise block both sides.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("waiting for silkroute");
    let written = writer.join().expect("stdin writer panicked");
    if let Err(e) = written {
        panic!(
            "writing stdin: {e}; silkroute exited with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

/// Compares the tool's answers with the reference, line by line.
fn assert_answers(table: &Table, addrs: &[IpAddr], stdout: &[u8]) {
    let stdout = String::from_utf8_lossy(stdout);
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        got.len(),
        addrs.len(),
        "{}: one answer per address",
        table.path.display()
    );
    let mut bad = Vec::new();
    let mut matched = 0;
    for (addr, line) in addrs.iter().zip(&got) {
        let want = table.expected(*addr);
        matched += usize::from(!want.ends_with(" -"));
        if *line != want {
            bad.push(format!("got {line:?}, want {want:?}"));
        }
    }
    // A comparison where every answer is "-" (or none is) checks little.
    assert!(
        0 < matched && matched < addrs.len(),
        "{}: the reference matched {matched} of {} addresses",
        table.path.display(),
        addrs.len()
    );
    assert!(
        bad.is_empty(),
        "{}: {} of {} answers differ from the reference, e.g.:\n{}",
        table.path.display(),
        bad.len(),
        addrs.len(),
        bad[..bad.len().min(SHOWN_MISMATCHES)].join("\n")
    );
}

fn input_of(addrs: &[IpAddr]) -> String {
    let mut s = String::with_capacity(addrs.len() * 40);
    for a in addrs {
        s.push_str(&a.to_string());
        s.push('\n');
    }
    s
}

/// Indices of `SAMPLED_ROUTES` random routes out of `len`.
fn sample(rng: &mut StdRng, len: usize) -> Vec<usize> {
    assert!(len > 0, "empty route table");
    (0..SAMPLED_ROUTES).map(|_| rng.gen_range(0..len)).collect()
}

#[test]
fn ipv4_lookups_match_the_reference() {
    let started = Instant::now();
    let table = ipv4_table();
    let mut rng = StdRng::seed_from_u64(0x5117_0004);
    let mut addrs: Vec<IpAddr> = (0..RANDOM_ADDRESSES)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.gen::<u32>())))
        .collect();
    for i in sample(&mut rng, table.routes.v4.len()) {
        let n = table.routes.v4[i];
        addrs.push(IpAddr::V4(n.network()));
        addrs.push(IpAddr::V4(n.broadcast()));
    }
    let out = run_lookup(&table.path, input_of(&addrs));
    assert!(
        out.status.success(),
        "fib lookup failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_answers(table, &addrs, &out.stdout);
    println!(
        "{} IPv4 lookups checked in {:?}",
        addrs.len(),
        started.elapsed()
    );
}

#[test]
fn ipv6_lookups_match_the_reference() {
    let started = Instant::now();
    let table = ipv6_table();
    let mut rng = StdRng::seed_from_u64(0x5117_0006);
    // Half inside 2000::/3, where every route of the table is, half
    // anywhere.
    let mut addrs: Vec<IpAddr> = (0..RANDOM_ADDRESSES)
        .map(|i| {
            let r: u128 = rng.gen();
            let a = if i % 2 == 0 {
                0x2000 << 112 | r >> 3
            } else {
                r
            };
            IpAddr::V6(Ipv6Addr::from(a))
        })
        .collect();
    for i in sample(&mut rng, table.routes.v6.len()) {
        let n = table.routes.v6[i];
        addrs.push(IpAddr::V6(n.network()));
        addrs.push(IpAddr::V6(n.broadcast()));
    }
    let out = run_lookup(&table.path, input_of(&addrs));
    assert!(
        out.status.success(),
        "fib lookup failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_answers(table, &addrs, &out.stdout);
    println!(
        "{} IPv6 lookups checked in {:?}",
        addrs.len(),
        started.elapsed()
    );
}

#[test]
fn bad_lines_are_reported_and_the_rest_answered() {
    let table = ipv4_table();
    // (line, is an address); line numbers in messages are 1-based.
    let lines = [
        ("1.1.1.1", true),
        ("not-an-address", false),
        ("8.8.8.8", true),
        ("10.0.0.0/8", false),
        ("2001:db8::1", true),
        ("300.1.2.3", false),
        ("193.0.0.1", true),
    ];
    let input: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
    let out = run_lookup(&table.path, input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "bad input lines must make fib lookup exit non-zero; stderr:\n{stderr}"
    );
    for (n, (line, ok)) in lines.iter().enumerate() {
        let named = stderr
            .lines()
            .any(|l| l.contains(&format!("stdin:{}:", n + 1)) && l.contains(line));
        assert_eq!(
            named, !ok,
            "stderr should name line {} ({line:?}) exactly when it is not an address; stderr:\n{stderr}",
            n + 1
        );
    }
    let addrs: Vec<IpAddr> = lines
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(l, _)| l.parse().expect("test address"))
        .collect();
    assert_answers(table, &addrs, &out.stdout);
}
