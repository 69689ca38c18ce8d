//! A build without the `dpdk` feature checks a dpdk config like any other
//! but refuses to run it, saying why (exit status 1, no EAL).

#![cfg(not(feature = "dpdk"))]

use std::fs;
use std::process::Command;

#[path = "common/tools.rs"]
mod tools;

use tools::TempDir;

#[test]
fn a_dpdk_config_is_checked_but_refused_at_start() {
    let dir = TempDir::new("dpdk-off");
    let config = dir.0.join("dpdk.yaml");
    fs::write(
        &config,
        format!(
            "dpdk: {{ no_huge: true, vdevs: [net_null0] }}\nports:\n  - {{ name: p0, driver: {{ dpdk: {{ device: net_null0 }} }} }}\nworkers:\n  - {{ core: 0, rx: [p0] }}\nmetrics: {{ enabled: false }}\ncontrol: {{ socket: {} }}\n",
            dir.0.join("ctl.sock").display()
        ),
    )
    .expect("writing the config");
    let silkroute = |cmd: &str| {
        Command::new(env!("CARGO_BIN_EXE_silkroute"))
            .args([cmd, "--config"])
            .arg(&config)
            .output()
            .expect("running silkroute")
    };
    let check = silkroute("check");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("port p0 (dpdk, 1 rx queue(s))"));
    let run = silkroute("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "silkroute: starting the router: port p0 uses the dpdk driver but this silkroute was built without the dpdk feature"
        ),
        "{stderr}"
    );
}
