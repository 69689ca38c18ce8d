//! The comparison table and the `RESULT` lines (one fact per line, for
//! scripts and `docs/performance.md`).

/// The structure every ratio is taken against.
pub const OURS: &str = "silkroute-lpm";

/// Throughput ratio targets of the LPM issue (ours / best DPDK).
pub const TARGET_RATIO_V4: f64 = 1.25;
pub const TARGET_RATIO_V6: f64 = 2.0;
/// Memory targets of the LPM issue, MiB.
pub const TARGET_MIB_V4: f64 = 16.0;
pub const TARGET_MIB_V6: f64 = 32.0;
/// Build target for both tables, ms.
pub const TARGET_BUILD_MS: f64 = 500.0;
/// Update target, route changes per second.
pub const TARGET_CHANGES_PER_S: f64 = 1e6;

const MIB: f64 = 1024.0 * 1024.0;

/// One structure on one key set.
#[derive(Debug, Clone)]
pub struct Row {
    pub family: &'static str,
    pub keys: &'static str,
    pub structure: &'static str,
    pub build_ms: f64,
    pub mem_bytes: usize,
    pub mlps: f64,
    pub dpdk: bool,
}

fn ours_row<'a>(rows: &'a [Row], family: &str, keys: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.family == family && r.keys == keys && r.structure == OURS)
}

/// Prints the table: one line per structure and key set, `ratio` = our
/// lookups/s over that structure's.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:<6} {:<8} {:<17} {:>9} {:>12} {:>8} {:>11} {:>7}",
        "family", "keys", "structure", "build_ms", "mem_bytes", "mem_MiB", "Mlookups/s", "ratio"
    );
    for r in rows {
        let ratio = ours_row(rows, r.family, r.keys).map_or(f64::NAN, |o| o.mlps / r.mlps);
        println!(
            "{:<6} {:<8} {:<17} {:>9.1} {:>12} {:>8.2} {:>11.2} {:>7.2}",
            r.family,
            r.keys,
            r.structure,
            r.build_ms,
            r.mem_bytes,
            r.mem_bytes as f64 / MIB,
            r.mlps,
            ratio
        );
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "no"
    }
}

/// The `RESULT` lines for lookups, memory and build time.
pub fn result_lines(rows: &[Row]) -> Vec<String> {
    let mut lines = Vec::new();
    for family in ["ipv4", "ipv6"] {
        let target = if family == "ipv4" {
            TARGET_RATIO_V4
        } else {
            TARGET_RATIO_V6
        };
        for keys in ["random", "matched"] {
            let Some(ours) = ours_row(rows, family, keys) else {
                continue;
            };
            let best = |dpdk: bool| {
                rows.iter()
                    .filter(|r| r.family == family && r.keys == keys && r.dpdk == dpdk)
                    .filter(|r| r.structure != OURS)
                    .max_by(|a, b| a.mlps.total_cmp(&b.mlps))
            };
            let mut line = format!(
                "RESULT family={family} keys={keys} ours_mlps={:.2}",
                ours.mlps
            );
            match best(true) {
                Some(d) => {
                    let ratio = ours.mlps / d.mlps;
                    line += &format!(
                        " best_dpdk={} best_dpdk_mlps={:.2} ratio={ratio:.2} target={target} met={}",
                        d.structure,
                        d.mlps,
                        met(ratio >= target)
                    );
                }
                None => line += " best_dpdk=none (built without --features dpdk)",
            }
            if let Some(r) = best(false) {
                line += &format!(
                    " best_rust={} best_rust_mlps={:.2} ratio_rust={:.2}",
                    r.structure,
                    r.mlps,
                    ours.mlps / r.mlps
                );
            }
            lines.push(line);
        }
    }
    let mut build_ms = 0.0;
    for (family, target) in [("ipv4", TARGET_MIB_V4), ("ipv6", TARGET_MIB_V6)] {
        if let Some(o) = ours_row(rows, family, "random") {
            let mib = o.mem_bytes as f64 / MIB;
            lines.push(format!(
                "RESULT family={family} memory ours_mem_bytes={} ours_mem_mib={mib:.2} target_mib={target} met={}",
                o.mem_bytes,
                met(mib <= target)
            ));
            build_ms += o.build_ms;
        }
    }
    lines.push(format!(
        "RESULT build ours_both_ms={build_ms:.1} target_ms={TARGET_BUILD_MS} met={}",
        met(build_ms < TARGET_BUILD_MS)
    ));
    lines
}
