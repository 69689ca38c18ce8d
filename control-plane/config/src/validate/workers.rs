//! Workers: cores and the rx queues they poll.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use super::{pos, Validator};
use crate::error::{ConfigError, ConfigErrorKind as K};
use crate::model::*;
use crate::raw::*;

impl Validator<'_> {
    // --------------------------------------------------------------- workers

    pub(super) fn workers(
        &mut self,
        raw: Option<&Spanned<Vec<RawWorker>>>,
        raw_ports: &[RawPort],
    ) -> Vec<WorkerConfig> {
        let list = match raw {
            Some(w) if !w.value.is_empty() => &w.value,
            Some(w) => {
                self.err(&w.referenced, K::NoWorkers);
                return Vec::new();
            }
            None => {
                self.errors
                    .push(ConfigError::new(self.file, 1, 1, K::NoWorkers));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let mut cores: HashMap<u64, usize> = HashMap::new();
        let mut polled: HashMap<RxQueue, usize> = HashMap::new();
        for w in list {
            let (line, _) = pos(&w.core.referenced);
            if let Some(&first_line) = cores.get(&w.core.value) {
                self.err(
                    &w.core.referenced,
                    K::DuplicateCore {
                        core: w.core.value,
                        first_line,
                    },
                );
            } else {
                cores.insert(w.core.value, line);
            }
            if w.core.value >= self.cpus as u64 {
                self.err(
                    &w.core.referenced,
                    K::CoreOutOfRange {
                        core: w.core.value,
                        cpus: self.cpus,
                    },
                );
            }
            let mut rx = Vec::new();
            for entry in &w.rx {
                let Some(q) = self.rx_queue(entry) else {
                    continue;
                };
                let (line, _) = pos(&entry.referenced);
                if let Some(&first_line) = polled.get(&q) {
                    let port = self.port_name(q.port);
                    self.err(
                        &entry.referenced,
                        K::QueuePolledTwice {
                            port,
                            queue: q.queue,
                            first_line,
                        },
                    );
                    continue;
                }
                polled.insert(q, line);
                rx.push(q);
            }
            // An af_xdp worker transmits through the sockets of the
            // queues it polls: it needs one on every port.
            for (idx, port) in self.ports.iter().enumerate() {
                if matches!(port.driver, Driver::AfXdp { .. }) && !rx.iter().any(|q| q.port == idx)
                {
                    let e = K::AfXdpWorkerWithoutQueue {
                        core: w.core.value,
                        port: port.name.to_string(),
                    };
                    let (line, column) = pos(&w.core.referenced);
                    self.errors
                        .push(ConfigError::new(self.file, line, column, e));
                }
            }
            out.push(WorkerConfig {
                core: usize::try_from(w.core.value).unwrap_or(usize::MAX),
                rx,
                idle: w.idle,
            });
        }
        // Every rx queue of every port is polled by exactly one worker.
        for (idx, (port, rp)) in self.ports.clone().iter().zip(raw_ports).enumerate() {
            if self.port_names.get(&rp.name.value).map(|&(i, _)| i) != Some(idx) {
                continue; // a duplicate name: already reported, and it cannot be referenced
            }
            for queue in 0..port.driver.rx_queues() {
                if !polled.contains_key(&RxQueue { port: idx, queue }) {
                    self.err(
                        &rp.name.referenced,
                        K::QueueNotPolled {
                            port: port.name.to_string(),
                            queue,
                        },
                    );
                }
            }
        }
        out
    }

    fn port_name(&self, idx: usize) -> String {
        self.ports
            .get(idx)
            .map_or_else(String::new, |p| p.name.to_string())
    }

    /// `PORT` (queue 0) or `PORT/QUEUE`.
    fn rx_queue(&mut self, entry: &Spanned<String>) -> Option<RxQueue> {
        let (name, queue) = match entry.value.split_once('/') {
            None => (entry.value.as_str(), Some(0)),
            Some((n, q)) if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) => {
                (n, q.parse::<u64>().ok())
            }
            Some(_) => (entry.value.as_str(), None),
        };
        let Some(queue) = queue else {
            self.err(&entry.referenced, K::InvalidRxQueue(entry.value.clone()));
            return None;
        };
        let Some(&(port, _)) = self.port_names.get(name) else {
            self.err(&entry.referenced, K::UnknownPort(name.to_owned()));
            return None;
        };
        let queues = self.ports.get(port)?.driver.rx_queues();
        if queues == 0 {
            self.err(&entry.referenced, K::PortHasNoRx(name.to_owned()));
            return None;
        }
        match u16::try_from(queue) {
            Ok(q) if q < queues => Some(RxQueue { port, queue: q }),
            _ => {
                self.err(
                    &entry.referenced,
                    K::UnknownRxQueue {
                        port: name.to_owned(),
                        queue,
                        queues,
                    },
                );
                None
            }
        }
    }
}
