//! `silkroute fib bench` prints its one line with every field, for both
//! families and key sets (figures themselves are in docs/performance.md).

use std::process::Command;

#[test]
fn fib_bench_prints_one_line_of_figures() {
    let routes = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../configs/quickstart-routes.txt"
    );
    let dir = std::env::temp_dir().join(format!("silkroute-fib-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let v6 = dir.join("v6.txt");
    std::fs::write(&v6, "2001:db8::/32\n2001:db8:1::/48\n2400::/12\n").unwrap();
    for (family, file) in [
        ("ipv4", routes.to_string()),
        ("ipv6", v6.display().to_string()),
    ] {
        for keys in ["random", "matched"] {
            let out = Command::new(env!("CARGO_BIN_EXE_silkroute"))
                .args([
                    "fib", "bench", "--routes", &file, "--family", family, "--keys", keys,
                ])
                .args(["--seconds", "0"])
                .output()
                .expect("run silkroute");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8(out.stdout).unwrap();
            let fields: Vec<&str> = line.split_whitespace().collect();
            let names: Vec<&str> = fields
                .iter()
                .map(|f| f.split('=').next().unwrap())
                .collect();
            assert_eq!(
                names,
                [
                    "family",
                    "keys",
                    "routes",
                    "build_ms",
                    "mem_bytes",
                    "mlookups_per_s"
                ],
                "{line}"
            );
            assert!(
                line.starts_with(&format!("family={family} keys={keys} ")),
                "{line}"
            );
            let mlps: f64 = fields[5]
                .trim_start_matches("mlookups_per_s=")
                .parse()
                .unwrap();
            assert!(mlps > 0.0);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
