//! docs/config.md documents every key the loader accepts, and its example is the tested one.

use std::path::Path;

fn docs() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_accepted_key_is_documented() {
    let docs = docs();
    let sections = silkroute_config::schema_keys();
    let mut missing = Vec::new();
    let mut total = 0;
    for (section, keys) in &sections {
        assert!(!keys.is_empty(), "no keys harvested for {section}");
        for key in *keys {
            total += 1;
            if !docs.contains(&format!("`{key}`")) {
                missing.push(format!("{section}: `{key}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not documented in docs/config.md: {missing:?}"
    );
    // Guard the harvester itself: the schema has at least these many keys.
    assert!(total >= 30, "only {total} keys harvested");
}

#[test]
fn schema_keys_match_the_schema() {
    let sections = silkroute_config::schema_keys();
    let get = |name: &str| {
        sections
            .iter()
            .find(|(s, _)| *s == name)
            .map(|(_, k)| k.to_vec())
            .unwrap_or_default()
    };
    assert_eq!(
        get("(top level)"),
        [
            "log_level",
            "ports",
            "interfaces",
            "neighbors",
            "routes",
            "route_files",
            "workers",
            "control",
            "metrics",
            "reload",
            "dpdk"
        ]
    );
    assert_eq!(
        get("driver"),
        ["pcap", "memory", "af_packet", "af_xdp", "dpdk"]
    );
    assert_eq!(get("driver.pcap"), ["rx", "tx", "loop"]);
    assert_eq!(
        get("log_level"),
        ["trace", "debug", "info", "warn", "error"]
    );
}

#[test]
fn docs_example_is_the_tested_full_example() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/full.yaml");
    let example = std::fs::read_to_string(example).unwrap();
    assert!(
        docs().contains(&format!("```yaml\n{example}```")),
        "docs/config.md must contain tests/data/full.yaml verbatim in a yaml block"
    );
}
