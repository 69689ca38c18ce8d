//! Next hops, static routes and route files.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use ipnet::{Ipv4Net, Ipv6Net};
use serde_saphyr::{Location, Spanned};

use super::{pos, Validator, MAX_ECMP};
use crate::error::{ConfigError, ConfigErrorKind as K};
use crate::model::*;
use crate::raw::*;
use crate::route_file::{parse_prefix_bytes, parse_route_file, Prefix};

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

    /// Loads each route file with its `via`; returns the file routes in file order.
    pub(super) fn route_files(
        &mut self,
        raw: &[RawRouteFile],
    ) -> (Routes<Ipv4Net>, Routes<Ipv6Net>) {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
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
            let path = self.resolve(&rf.path.value);
            let file = match parse_route_file(&path) {
                Ok(f) => f,
                Err(errs) => {
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
                    continue;
                }
            };
            tracing::debug!(path = %path.display(), v4 = file.v4.len(), v6 = file.v6.len(), "route file loaded");
            let all_parsed = matches!(&rf.via.value, Via::One(_))
                || matches!(&rf.via.value, Via::Many(v) if !v.is_empty());
            if let (Some(line), true) = (file.first_v4_line, m4.is_empty() && all_parsed) {
                self.family_error(
                    &file.path,
                    line,
                    "IPv4",
                    file.v4.first().map(ToString::to_string),
                );
            }
            if let (Some(line), true) = (file.first_v6_line, m6.is_empty() && all_parsed) {
                self.family_error(
                    &file.path,
                    line,
                    "IPv6",
                    file.v6.first().map(ToString::to_string),
                );
            }
            if let Some(s) = set4 {
                v4.extend(file.v4.iter().map(|&n| (n, s)));
            }
            if let Some(s) = set6 {
                v6.extend(file.v6.iter().map(|&n| (n, s)));
            }
        }
        (v4, v6)
    }

    fn family_error(
        &mut self,
        file: &Path,
        line: usize,
        family: &'static str,
        prefix: Option<String>,
    ) {
        self.file_errors.push(ConfigError::new(
            file,
            line,
            1,
            K::RouteFileFamily {
                family,
                prefix: prefix.unwrap_or_default(),
            },
        ));
    }
}

/// Statics first, then file routes, stable-sorted by (network, length); the first entry for a
/// prefix wins, so statics beat files and earlier files beat later ones.
pub(super) fn merge<N: Copy, K: Ord>(
    mut first: Vec<(N, u32)>,
    then: Vec<(N, u32)>,
    key: impl Fn(&N) -> K,
) -> Vec<(N, u32)> {
    first.reserve(then.len());
    first.extend(then);
    first.sort_by_key(|(n, _)| key(n));
    first.dedup_by(|later, earlier| key(&later.0) == key(&earlier.0));
    first
}
