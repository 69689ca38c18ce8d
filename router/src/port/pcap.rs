//! Capture-file ports: receive replays a pcap file (read whole at start,
//! optionally looping), transmit appends to a pcap file.
//!
//! Reading the whole capture up front keeps file I/O off the worker's
//! path; writing goes through a `BufWriter`, so the worker makes one
//! `write` syscall per 64 KiB, not per packet.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pcap_file::pcap::{PcapHeader, PcapReader};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::buf::{HeapBuf, PoolCache};
use crate::port::{Burst, DriverCounters, FrameSource, PacketBuf};

/// Write buffer of a capture-file transmit queue.
const TX_WRITE_BUFFER: usize = 64 * 1024;

/// Why a capture file could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum PcapPortError {
    /// Opening or creating the file failed.
    #[error("{path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a readable pcap or pcapng capture.
    #[error("{path}: not a readable pcap or pcapng capture")]
    Format {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: pcap_file::PcapError,
    },
    /// The capture's link type is not Ethernet.
    #[error("{path}: link type {link:?} is not Ethernet; silkroute ports carry Ethernet frames")]
    LinkType {
        /// The file.
        path: PathBuf,
        /// The link type found.
        link: DataLink,
    },
}

/// The first four bytes of a pcapng file (a Section Header Block).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Reads every frame of an Ethernet capture, classic pcap or pcapng.
/// Records longer than the file's snap length are kept (tcpdump reads
/// them too); frames larger than a buffer are the receive side's to drop
/// and count.
pub fn read_capture(path: &Path) -> Result<Vec<Vec<u8>>, PcapPortError> {
    let bytes = std::fs::read(path).map_err(|source| PcapPortError::Open {
        path: path.to_owned(),
        source,
    })?;
    let format = |source| PcapPortError::Format {
        path: path.to_owned(),
        source,
    };
    if bytes.get(..4) == Some(&PCAPNG_MAGIC[..]) {
        return read_pcapng(path, &bytes);
    }
    let mut reader = PcapReader::new(&bytes[..]).map_err(format)?;
    let link = reader.header().datalink;
    if link != DataLink::ETHERNET {
        return Err(PcapPortError::LinkType {
            path: path.to_owned(),
            link,
        });
    }
    let mut frames = Vec::new();
    while let Some(pkt) = reader.next_raw_packet() {
        frames.push(pkt.map_err(format)?.data.into_owned());
    }
    Ok(frames)
}

fn read_pcapng(path: &Path, bytes: &[u8]) -> Result<Vec<Vec<u8>>, PcapPortError> {
    use pcap_file::pcapng::{Block, PcapNgReader};
    let format = |source| PcapPortError::Format {
        path: path.to_owned(),
        source,
    };
    let mut reader = PcapNgReader::new(bytes).map_err(format)?;
    let mut frames = Vec::new();
    let mut links: Vec<DataLink> = Vec::new();
    while let Some(block) = reader.next_block() {
        let data = match block.map_err(format)? {
            Block::SectionHeader(_) => {
                links.clear();
                continue;
            }
            Block::InterfaceDescription(i) => {
                links.push(i.linktype);
                continue;
            }
            Block::EnhancedPacket(p) => {
                let link = links.get(p.interface_id as usize).copied();
                if let Some(link) = link.filter(|l| *l != DataLink::ETHERNET) {
                    return Err(PcapPortError::LinkType {
                        path: path.to_owned(),
                        link,
                    });
                }
                p.data.into_owned()
            }
            Block::SimplePacket(p) => p.data.into_owned(),
            Block::Packet(p) => p.data.into_owned(),
            _ => continue,
        };
        frames.push(data);
    }
    Ok(frames)
}

/// A receive queue replaying a capture file.
pub fn open_rx(
    path: &Path,
    looped: bool,
    counters: Arc<DriverCounters>,
) -> Result<FrameSource, PcapPortError> {
    Ok(FrameSource::new(read_capture(path)?, looped, counters))
}

/// A transmit queue appending to a capture file.
///
/// The file header is written by `pcap-file`; records (16-byte header +
/// frame) are written directly so the buffered writer stays reachable for
/// flushing.
pub struct PcapTx {
    writer: BufWriter<File>,
    path: PathBuf,
    counters: Arc<DriverCounters>,
}

impl std::fmt::Debug for PcapTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapTx").field("path", &self.path).finish()
    }
}

impl PcapTx {
    /// Creates (truncates) `path` and writes a pcap header with Ethernet
    /// link type.
    pub fn create(path: &Path, counters: Arc<DriverCounters>) -> Result<Self, PcapPortError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| PcapPortError::Open {
                path: path.to_owned(),
                source,
            })?;
        }
        let file = File::create(path).map_err(|source| PcapPortError::Open {
            path: path.to_owned(),
            source,
        })?;
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            snaplen: 65535,
            endianness: Endianness::Little,
            ts_resolution: TsResolution::MicroSecond,
            ..PcapHeader::default()
        };
        let mut writer = BufWriter::with_capacity(TX_WRITE_BUFFER, file);
        header
            .write_to(&mut writer)
            .map_err(|source| PcapPortError::Format {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            writer,
            path: path.to_owned(),
            counters,
        })
    }

    pub(crate) fn tx_burst(&mut self, pool: &mut PoolCache, pkts: &mut Burst<HeapBuf>) -> usize {
        // One clock read per burst: every frame of a burst leaves together.
        let ts = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let n = pkts.len();
        for b in pkts.drain(..) {
            if self.write_record(ts, b.data()).is_err() {
                DriverCounters::bump(&self.counters.tx_errors);
            }
            pool.free(b);
        }
        n
    }

    fn write_record(&mut self, ts: Duration, data: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&(ts.as_secs() as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&ts.subsec_micros().to_le_bytes());
        rec[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
        self.writer.write_all(&rec)?;
        self.writer.write_all(data)
    }

    pub(crate) fn flush(&mut self) {
        use std::io::Write;
        if self.writer.flush().is_err() {
            DriverCounters::bump(&self.counters.tx_errors);
        }
    }
}

impl Drop for PcapTx {
    fn drop(&mut self) {
        self.flush();
    }
}
