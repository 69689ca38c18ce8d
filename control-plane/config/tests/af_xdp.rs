//! `driver: { af_xdp: ... }`: defaults, options, and the two rules that
//! come from the AF_XDP backend (no mixing with other drivers; every
//! worker polls one queue of every af_xdp port).

use std::path::Path;

use silkroute_config::{Config, ConfigErrors, Driver, LoadOptions, XdpMode, XdpZeroCopy};

fn load(yaml: &str) -> Result<Config, ConfigErrors> {
    Config::from_str_with(yaml, Path::new("x.yaml"), &LoadOptions::with_cpu_count(2))
}

fn error_text(yaml: &str) -> String {
    load(yaml).expect_err("must be refused").to_string()
}

#[test]
fn defaults_and_options() {
    let yaml = "ports:\n  - { name: a, driver: { af_xdp: { interface: veth0 } } }\n  - { name: b, driver: { af_xdp: { interface: eth1, queues: 2, mode: skb, zero_copy: off, pass_to_kernel: true } } }\nworkers:\n  - { core: 0, rx: [a, b/0] }\n  - { core: 1, rx: [b/1] }\n";
    // Worker 1 polls no queue of port a: refused (see below); give a 2 queues.
    let yaml = yaml
        .replace(
            "interface: veth0 }",
            "interface: veth0, queues: 2, zero_copy: on }",
        )
        .replace("rx: [b/1]", "rx: [a/1, b/1]");
    let c = load(&yaml).unwrap();
    assert_eq!(
        c.ports[0].driver,
        Driver::AfXdp {
            interface: "veth0".into(),
            queues: 2,
            mode: XdpMode::Auto,
            zero_copy: XdpZeroCopy::On,
            pass_to_kernel: false,
        }
    );
    assert_eq!(
        c.ports[1].driver,
        Driver::AfXdp {
            interface: "eth1".into(),
            queues: 2,
            mode: XdpMode::Skb,
            zero_copy: XdpZeroCopy::Off,
            pass_to_kernel: true,
        }
    );
    assert_eq!(c.ports[0].driver.kind(), "af_xdp");
    assert_eq!(c.ports[0].driver.rx_queues(), 2);
    let one = "ports:\n  - { name: a, driver: { af_xdp: { interface: veth0 } } }\nworkers:\n  - { core: 0, rx: [a] }\n";
    match &load(one).unwrap().ports[0].driver {
        Driver::AfXdp {
            queues,
            mode,
            zero_copy,
            pass_to_kernel,
            ..
        } => {
            assert_eq!(
                (*queues, *mode, *zero_copy, *pass_to_kernel),
                (1, XdpMode::Auto, XdpZeroCopy::Auto, false)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixing_with_other_drivers_is_refused_at_the_other_port() {
    let e = error_text("ports:\n  - { name: a, driver: { af_xdp: { interface: veth0 } } }\n  - { name: b, driver: { af_packet: { interface: veth1 } } }\nworkers:\n  - { core: 0, rx: [a, b] }\n");
    assert!(
        e.contains("x.yaml:3:")
            && e.contains(
                "port b uses af_packet but port a uses af_xdp: af_xdp ports cannot be mixed"
            ),
        "{e}"
    );
}

#[test]
fn a_worker_must_poll_every_af_xdp_port() {
    let e = error_text("ports:\n  - { name: a, driver: { af_xdp: { interface: veth0 } } }\n  - { name: b, driver: { af_xdp: { interface: veth1 } } }\nworkers:\n  - { core: 0, rx: [a] }\n  - { core: 1, rx: [b] }\n");
    assert!(
        e.contains("worker on core 0 polls no queue of af_xdp port b"),
        "{e}"
    );
    assert!(
        e.contains("worker on core 1 polls no queue of af_xdp port a"),
        "{e}"
    );
}

#[test]
fn bad_values_are_refused() {
    for (yaml, want) in [
        ("mode: turbo", "turbo"),
        ("zero_copy: maybe", "maybe"),
        ("queues: 0", "queues 0 out of range 1..=64"),
    ] {
        let text = format!("ports:\n  - {{ name: a, driver: {{ af_xdp: {{ interface: veth0, {yaml} }} }} }}\nworkers:\n  - {{ core: 0, rx: [a] }}\n");
        let e = error_text(&text);
        assert!(e.contains(want), "{yaml}: {e}");
    }
}
