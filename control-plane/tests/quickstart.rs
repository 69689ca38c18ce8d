//! The quickstart end to end: runs the built `silkroute` binary on a copy of
//! `configs/quickstart.yaml` in a temporary directory (so nothing is written
//! into the repository) and checks its summary and every frame it wrote
//! (`common/quickstart.rs`).

use std::fs;
use std::process::Command;
use std::time::Instant;

#[path = "common/quickstart.rs"]
mod quickstart;
#[path = "common/tools.rs"]
mod tools;

use quickstart::{check_quickstart_run, configs_dir};
use tools::TempDir;

#[test]
fn quickstart_run_forwards_and_answers_byte_exact() {
    let started = Instant::now();
    let dir = TempDir::new("quickstart");
    let src = configs_dir();
    for name in [
        "quickstart.yaml",
        "quickstart-p0.pcap",
        "quickstart-p1.pcap",
        "quickstart-routes.txt",
    ] {
        fs::copy(src.join(name), dir.0.join(name))
            .unwrap_or_else(|e| panic!("copying {}: {e}", src.join(name).display()));
    }
    // The config writes to ../out/; keep the output inside the temp dir.
    let cfg_path = dir.0.join("quickstart.yaml");
    let text = fs::read_to_string(&cfg_path).expect("config is UTF-8");
    assert_eq!(
        text.matches("tx: ../out/").count(),
        2,
        "configs/quickstart.yaml no longer writes to ../out/; update this test"
    );
    fs::write(&cfg_path, text.replace("tx: ../out/", "tx: out/")).expect("writing the config");

    let output = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .args(["run", "--config"])
        .arg(&cfg_path)
        .arg("--no-pin")
        .current_dir(&dir.0)
        .output()
        .expect("running silkroute");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "silkroute run failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    check_quickstart_run(&stdout, &dir.0);
    println!("quickstart checked in {:?}", started.elapsed());
}
