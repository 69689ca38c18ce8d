//! The route-file parser (`PREFIX/LEN [extra columns]` per line) over
//! arbitrary bytes, and the prefix parsers it is built on. The hand-written
//! IPv4 parser must agree with `Ipv4Addr::from_str` (its documented
//! contract), and an accepted prefix must print back to itself.
#![no_main]

use std::net::Ipv4Addr;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use silkroute_config::{parse_ipv4_bytes, parse_prefix_bytes, parse_route_text, Prefix};

fuzz_target!(|data: &[u8]| {
    match parse_route_text(data, Path::new("fuzz-routes.txt")) {
        Ok(rf) => assert!(rf.lines >= rf.len()),
        Err(errors) => {
            let _ = errors.to_string();
        }
    }
    let token = data.split(|&b| b == b'\n').next().unwrap_or(data);
    let std_v4 = std::str::from_utf8(token)
        .ok()
        .and_then(|s| s.parse::<Ipv4Addr>().ok());
    assert_eq!(
        parse_ipv4_bytes(token),
        std_v4,
        "differs from Ipv4Addr::from_str"
    );
    if let Ok(p) = parse_prefix_bytes(token) {
        let shown = match p {
            Prefix::V4(n) => n.to_string(),
            Prefix::V6(n) => n.to_string(),
        };
        let again = parse_prefix_bytes(shown.as_bytes())
            .unwrap_or_else(|e| panic!("{shown} does not parse back: {:?}", e.kind));
        assert_eq!(again, p);
    }
});
