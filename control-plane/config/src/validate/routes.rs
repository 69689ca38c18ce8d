//! Next hops, static routes and route files.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipnet::{Ipv4Net, Ipv6Net};
use serde_saphyr::{Location, Spanned};

use super::{pos, Validator, MAX_ECMP};
use crate::error::{ConfigError, ConfigErrorKind as K};
use crate::model::*;
use crate::raw::*;
use crate::route_file::{parse_prefix_bytes, parse_route_file, Prefix, RouteFile};
use crate::table::{merge_files, FileFacts, LoadedFiles, RouteFileCache};

/// Routes of one family with their next-hop set index.
pub(super) type Routes<N> = Vec<(N, u32)>;

impl Validator<'_> {
    // ------------------------------------------------------------ next hops

    /// Parses a `via` into addresses with their locations. Reports an empty or oversized set,
    /// unparsable and duplicate members; returns the members that parsed.
    fn via(&mut self, via: &Spanned<Via>) -> Vec<(IpAddr, Location)> {
        let members: Vec<(&str, Location)> = match &via.value {
            Via::One(s) => vec![(s.as_str(), via.referenced)],
            Via::Many(v) => v.iter().map(|s| (s.value.as_str(), s.referenced)).collect(),
        };
        if members.is_empty() {
            self.err(&via.referenced, K::EmptyNextHopSet);
        }
        if members.len() > MAX_ECMP {
            self.err(
                &via.referenced,
                K::TooManyNextHops {
                    count: members.len(),
                    max: MAX_ECMP,
                },
            );
        }
        let mut out: Vec<(IpAddr, Location)> = Vec::new();
        for (s, loc) in members {
            match s.parse::<IpAddr>() {
                Err(_) => self.err(&loc, K::InvalidAddress(s.to_owned())),
                Ok(a) if out.iter().any(|(b, _)| *b == a) => {
                    self.err(&loc, K::DuplicateNextHop(a));
                }
                Ok(a) => out.push((a, loc)),
            }
        }
        out
    }

    /// Checks each member is connected and not ours; interns the set. `None` if any failed.
    pub(super) fn next_hop_set(&mut self, members: &[(IpAddr, Location)]) -> Option<u32> {
        let mut hops = Vec::with_capacity(members.len());
        let mut ok = true;
        for (address, loc) in members {
            let (on, own) = self.connected(*address);
            if own {
                self.err(loc, K::NextHopIsOwnAddress(*address));
                ok = false;
            } else if let Some(&interface) = on.first() {
                hops.push(NextHop {
                    address: *address,
                    interface,
                });
            } else {
                self.err(loc, K::NextHopNotConnected(*address));
                ok = false;
            }
        }
        if !ok || hops.is_empty() {
            return None;
        }
        hops.sort();
        hops.dedup();
        Some(self.intern(hops))
    }

    fn intern(&mut self, hops: Vec<NextHop>) -> u32 {
        if let Some(&i) = self.sets.get(&hops) {
            return i;
        }
        let i = self.next_hop_sets.len() as u32;
        self.sets.insert(hops.clone(), i);
        self.next_hop_sets.push(NextHopSet { hops });
        i
    }

    // ---------------------------------------------------------------- routes

    pub(super) fn static_routes(
        &mut self,
        raw: &[RawRoute],
        v4: &mut Routes<Ipv4Net>,
        v6: &mut Routes<Ipv6Net>,
    ) {
        let mut seen: HashMap<Prefix, usize> = HashMap::new();
        for r in raw {
            let prefix = match parse_prefix_bytes(r.prefix.value.as_bytes()) {
                Ok(p) => Some(p),
                Err(e) => {
                    let (line, column) = self.inside(&r.prefix.referenced, e.offset);
                    self.errors
                        .push(ConfigError::new(self.file, line, column, e.kind));
                    None
                }
            };
            if let Some(p) = prefix {
                let (line, _) = pos(&r.prefix.referenced);
                if let Some(&first_line) = seen.get(&p) {
                    self.err(
                        &r.prefix.referenced,
                        K::DuplicateRoute {
                            prefix: r.prefix.value.clone(),
                            first_line,
                        },
                    );
                } else {
                    seen.insert(p, line);
                }
            }
            let members = self.via(&r.via);
            let Some(p) = prefix else {
                // Still check the next hops, so one run reports their problems too.
                self.next_hop_set(&members);
                continue;
            };
            let is_v4 = matches!(p, Prefix::V4(_));
            let mut family_ok = true;
            for (a, loc) in &members {
                if a.is_ipv4() != is_v4 {
                    self.err(
                        loc,
                        K::NextHopFamily {
                            next_hop: *a,
                            prefix: r.prefix.value.clone(),
                        },
                    );
                    family_ok = false;
                }
            }
            if !family_ok {
                continue;
            }
            let Some(set) = self.next_hop_set(&members) else {
                continue;
            };
            match p {
                Prefix::V4(n) => v4.push((n, set)),
                Prefix::V6(n) => v6.push((n, set)),
            }
        }
    }

    /// Resolves each route file's `via` and reads the files (or reuses an unchanged earlier
    /// read from the [`RouteFileCache`]); returns the merged file routes and each file's next-hop
    /// set per family (0 where the file has no `via` of that family: such a file may then have
    /// no route of that family either, which is reported).
    pub(super) fn route_files(
        &mut self,
        raw: &[RawRouteFile],
    ) -> (LoadedFiles, Vec<u32>, Vec<u32>) {
        let mut sets4 = Vec::with_capacity(raw.len());
        let mut sets6 = Vec::with_capacity(raw.len());
        let mut paths = Vec::with_capacity(raw.len());
        let mut has = Vec::with_capacity(raw.len());
        for rf in raw {
            let members = self.via(&rf.via);
            let (m4, m6): (Vec<_>, Vec<_>) = members.into_iter().partition(|(a, _)| a.is_ipv4());
            let set4 = if m4.is_empty() {
                None
            } else {
                self.next_hop_set(&m4)
            };
            let set6 = if m6.is_empty() {
                None
            } else {
                self.next_hop_set(&m6)
            };
            sets4.push(set4.unwrap_or(0));
            sets6.push(set6.unwrap_or(0));
            let all_parsed = matches!(&rf.via.value, Via::One(_))
                || matches!(&rf.via.value, Via::Many(v) if !v.is_empty());
            has.push((m4.is_empty() && all_parsed, m6.is_empty() && all_parsed));
            paths.push(self.resolve(&rf.path.value));
        }
        let files = if !self.read_route_files {
            LoadedFiles::default()
        } else if let Some(files) = self.route_cache.and_then(|c| c.get(&paths)) {
            files
        } else {
            self.read_route_files(raw, &paths)
        };
        for (facts, (no_v4_via, no_v6_via)) in files.facts.iter().zip(has) {
            if let (Some((line, first)), true) = (&facts.first_v4, no_v4_via) {
                self.family_error(&facts.path, *line, "IPv4", first.clone());
            }
            if let (Some((line, first)), true) = (&facts.first_v6, no_v6_via) {
                self.family_error(&facts.path, *line, "IPv6", first.clone());
            }
        }
        (files, sets4, sets6)
    }

    /// Reads and merges the route files; remembers a clean read in the cache.
    fn read_route_files(&mut self, raw: &[RawRouteFile], paths: &[PathBuf]) -> LoadedFiles {
        let stamps = self.route_cache.and_then(|_| RouteFileCache::stamps(paths));
        let mut parsed = Vec::with_capacity(paths.len());
        let mut clean = true;
        for (rf, path) in raw.iter().zip(paths) {
            match parse_route_file(path) {
                Ok(f) => {
                    tracing::debug!(path = %path.display(), v4 = f.v4.len(), v6 = f.v6.len(), "route file loaded");
                    parsed.push(f);
                }
                Err(errs) => {
                    clean = false;
                    for e in errs.0 {
                        if e.line == 0 {
                            // The file itself is missing or unreadable: point at `path`.
                            let kind = match e.kind {
                                K::ReadFile(reason) => {
                                    K::ReadFile(format!("{}: {reason}", path.display()))
                                }
                                other => other,
                            };
                            self.err(&rf.path.referenced, kind);
                        } else {
                            self.file_errors.push(e);
                        }
                    }
                    // Keeps file indices aligned; its routes are not used (the load fails).
                    parsed.push(RouteFile::default());
                }
            }
        }
        let files = LoadedFiles {
            facts: parsed.iter().map(FileFacts::of).collect(),
            v4: Arc::new(merge_files(
                (0u32..).zip(parsed.iter().map(|f| f.v4.iter().copied())),
            )),
            v6: Arc::new(merge_files(
                (0u32..).zip(parsed.iter().map(|f| f.v6.iter().copied())),
            )),
        };
        if let (Some(cache), Some((stamps, read_at)), true) = (self.route_cache, stamps, clean) {
            cache.put(stamps, read_at, &files);
        }
        files
    }

    fn family_error(&mut self, file: &Path, line: usize, family: &'static str, prefix: String) {
        self.file_errors.push(ConfigError::new(
            file,
            line,
            1,
            K::RouteFileFamily { family, prefix },
        ));
    }
}
