//! The YAML file as written: serde structs with `deny_unknown_fields`, values that are validated
//! later kept as `Spanned` text so that every semantic error can point at its value.
//!
//! Only YAML syntax and type errors come out of this layer (and stop the load); everything else
//! is checked in `validate`, which collects all errors.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::model::LogLevel;

/// Top level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub log_level: Option<LogLevel>,
    #[serde(default)]
    pub ports: Vec<RawPort>,
    #[serde(default)]
    pub interfaces: Vec<RawInterface>,
    #[serde(default)]
    pub neighbors: Vec<RawNeighbor>,
    #[serde(default)]
    pub routes: Vec<RawRoute>,
    #[serde(default)]
    pub route_files: Vec<RawRouteFile>,
    #[serde(default)]
    pub workers: Option<Spanned<Vec<RawWorker>>>,
    #[serde(default)]
    pub control: Option<RawControl>,
    #[serde(default)]
    pub metrics: Option<RawMetrics>,
    #[serde(default)]
    pub reload: Option<RawReload>,
    #[serde(default)]
    pub dpdk: Option<RawDpdk>,
}

/// `dpdk:` — EAL options, applied once per process.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDpdk {
    #[serde(default)]
    pub cores: Option<Vec<Spanned<u64>>>,
    #[serde(default)]
    pub memory_mb: Option<Spanned<u64>>,
    #[serde(default)]
    pub no_huge: bool,
    #[serde(default)]
    pub allow: Vec<Spanned<String>>,
    #[serde(default)]
    pub vdevs: Vec<Spanned<String>>,
    #[serde(default)]
    pub extra_args: Vec<String>,
    #[serde(default)]
    pub file_prefix: Option<Spanned<String>>,
}

/// `control:` — the Unix socket `silkctl` talks to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawControl {
    #[serde(default)]
    pub socket: Option<Spanned<String>>,
    #[serde(default)]
    pub socket_mode: Option<Spanned<String>>,
    #[serde(default)]
    pub socket_group: Option<Spanned<String>>,
}

/// `metrics:` — the Prometheus endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetrics {
    #[serde(default)]
    pub listen: Option<Spanned<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `reload:` — automatic reloads.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReload {
    #[serde(default)]
    pub watch: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPort {
    pub name: Spanned<String>,
    pub driver: Spanned<RawDriver>,
}

/// Exactly one driver key; serde's externally tagged enum enforces "exactly one".
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawDriver {
    Pcap(RawPcap),
    Memory(RawMemory),
    AfPacket(RawAfPacket),
    AfXdp(RawAfXdp),
    Dpdk(Box<RawDpdkPort>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPcap {
    #[serde(default)]
    pub rx: Option<Spanned<String>>,
    #[serde(default)]
    pub tx: Option<Spanned<String>>,
    #[serde(default, rename = "loop")]
    pub looped: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMemory {
    #[serde(default)]
    pub ring_size: Option<Spanned<u64>>,
    #[serde(default)]
    pub queues: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAfPacket {
    pub interface: Spanned<String>,
    #[serde(default)]
    pub ring_frames: Option<Spanned<u64>>,
    #[serde(default)]
    pub frame_size: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAfXdp {
    pub interface: Spanned<String>,
    #[serde(default)]
    pub queues: Option<Spanned<u64>>,
    #[serde(default)]
    pub mode: Option<crate::model::XdpMode>,
    #[serde(default)]
    pub zero_copy: Option<crate::model::XdpZeroCopy>,
    #[serde(default)]
    pub pass_to_kernel: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDpdkPort {
    pub device: Spanned<String>,
    #[serde(default)]
    pub rx_queues: Option<Spanned<u64>>,
    #[serde(default)]
    pub tx_queues: Option<Spanned<u64>>,
    #[serde(default)]
    pub rx_descriptors: Option<Spanned<u64>>,
    #[serde(default)]
    pub tx_descriptors: Option<Spanned<u64>>,
    #[serde(default)]
    pub rss: Option<bool>,
    #[serde(default)]
    pub promiscuous: Option<bool>,
    #[serde(default)]
    pub mbufs: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInterface {
    pub name: Spanned<String>,
    pub port: Spanned<String>,
    pub mac: Spanned<String>,
    #[serde(default)]
    pub mtu: Option<Spanned<u64>>,
    #[serde(default)]
    pub addresses: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNeighbor {
    pub address: Spanned<String>,
    pub mac: Spanned<String>,
    #[serde(default)]
    pub interface: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub prefix: Spanned<String>,
    pub via: Spanned<Via>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouteFile {
    pub path: Spanned<String>,
    pub via: Spanned<Via>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorker {
    pub core: Spanned<u64>,
    #[serde(default)]
    pub rx: Vec<Spanned<String>>,
    #[serde(default)]
    pub idle: crate::model::WorkerIdle,
}

/// `via: ADDR` or `via: [ADDR, ...]`. A single address has no span of its own (the enclosing
/// `Spanned<Via>` gives it); list members keep theirs.
#[derive(Debug)]
pub(crate) enum Via {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for Via {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Via;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an IP address or a list of IP addresses")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Via, E> {
                Ok(Via::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Via, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Spanned<String>>()? {
                    out.push(s);
                }
                Ok(Via::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Each YAML mapping of the schema and the keys it accepts, harvested from the serde derives
/// above so that the list cannot drift from what the parser accepts. Driver names (`pcap`,
/// `memory`, `af_packet`) are listed under `driver`, log levels under `log_level`.
pub fn schema_keys() -> Vec<(&'static str, &'static [&'static str])> {
    use crate::schema::keys_of;
    vec![
        ("(top level)", keys_of::<RawConfig>()),
        ("ports[]", keys_of::<RawPort>()),
        ("driver", keys_of::<RawDriver>()),
        ("driver.pcap", keys_of::<RawPcap>()),
        ("driver.memory", keys_of::<RawMemory>()),
        ("driver.af_packet", keys_of::<RawAfPacket>()),
        ("driver.af_xdp", keys_of::<RawAfXdp>()),
        ("driver.dpdk", keys_of::<RawDpdkPort>()),
        ("dpdk", keys_of::<RawDpdk>()),
        ("af_xdp.mode", keys_of::<crate::model::XdpMode>()),
        ("af_xdp.zero_copy", keys_of::<crate::model::XdpZeroCopy>()),
        ("interfaces[]", keys_of::<RawInterface>()),
        ("neighbors[]", keys_of::<RawNeighbor>()),
        ("routes[]", keys_of::<RawRoute>()),
        ("route_files[]", keys_of::<RawRouteFile>()),
        ("workers[]", keys_of::<RawWorker>()),
        ("control", keys_of::<RawControl>()),
        ("metrics", keys_of::<RawMetrics>()),
        ("reload", keys_of::<RawReload>()),
        ("workers[].idle", keys_of::<crate::model::WorkerIdle>()),
        ("log_level", keys_of::<LogLevel>()),
    ]
}
