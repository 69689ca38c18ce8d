//! The offline "where would this go" tool behind `silkroute fib lookup`:
//! the routes of a route file in the router's own LPM tables, each route's
//! value being its index, so a match gives back the prefix as written.

use std::io::{BufRead, Write};
use std::net::IpAddr;

use silkroute_config::{Ipv4Net, Ipv6Net, RouteFile};
use silkroute_lpm::{Lpm4, Lpm6, LpmError, NO_ROUTE};

/// Route tables for offline lookups.
#[derive(Debug)]
pub struct RouteLookup {
    v4: Lpm4,
    v6: Lpm6,
    prefixes4: Vec<Ipv4Net>,
    prefixes6: Vec<Ipv6Net>,
}

impl RouteLookup {
    /// Builds the tables from a parsed route file.
    pub fn new(routes: &RouteFile) -> Result<Self, LpmError> {
        let r4: Vec<(u32, u8, u32)> = routes
            .v4
            .iter()
            .enumerate()
            .map(|(i, n)| (u32::from(n.network()), n.prefix_len(), i as u32))
            .collect();
        let r6: Vec<(u128, u8, u32)> = routes
            .v6
            .iter()
            .enumerate()
            .map(|(i, n)| (u128::from(n.network()), n.prefix_len(), i as u32))
            .collect();
        Ok(Self {
            v4: Lpm4::from_routes(&r4)?,
            v6: Lpm6::from_routes(&r6)?,
            prefixes4: routes.v4.clone(),
            prefixes6: routes.v6.clone(),
        })
    }

    /// The longest matching prefix, canonical, or `None`.
    pub fn lookup(&self, addr: IpAddr) -> Option<String> {
        match addr {
            IpAddr::V4(a) => {
                let v = self.v4.lookup(u32::from(a));
                (v != NO_ROUTE)
                    .then(|| self.prefixes4.get(v as usize).map(|p| p.to_string()))
                    .flatten()
            }
            IpAddr::V6(a) => {
                let v = self.v6.lookup(u128::from(a));
                (v != NO_ROUTE)
                    .then(|| self.prefixes6.get(v as usize).map(|p| p.to_string()))
                    .flatten()
            }
        }
    }

    /// Reads one address a line from `input` and writes `ADDRESS PREFIX`
    /// or `ADDRESS -` to `output`; a line that is not an address is
    /// reported on `errors` with its line number. Returns the number of
    /// bad lines.
    pub fn run(
        &self,
        input: impl BufRead,
        mut output: impl Write,
        mut errors: impl Write,
    ) -> std::io::Result<usize> {
        let mut bad = 0;
        for (n, line) in input.lines().enumerate() {
            let line = line?;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            match text.parse::<IpAddr>() {
                Ok(addr) => match self.lookup(addr) {
                    Some(p) => writeln!(output, "{text} {p}")?,
                    None => writeln!(output, "{text} -")?,
                },
                Err(_) => {
                    bad += 1;
                    writeln!(errors, "stdin:{}: not an IP address: {text:?}", n + 1)?;
                }
            }
        }
        output.flush()?;
        Ok(bad)
    }
}
