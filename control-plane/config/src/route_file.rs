//! Route files: one `PREFIX/LEN` per line, bulk tables such as a full BGP feed.
//!
//! Format (see `shared/data/README.md`):
//! - one prefix per line, optionally followed by whitespace-separated columns that are ignored
//!   (e.g. the origin AS: `2001::/32 6939_211722`);
//! - blank lines and lines whose first non-blank character is `#` are ignored;
//! - IPv4 and IPv6 lines may be mixed in one file;
//! - every prefix must be canonical (no host bits set);
//! - the file is gzip-compressed when its name ends in `.gz` or it starts with the gzip magic
//!   bytes `1f 8b`; otherwise it is plain text.
//!
//! The parser works on bytes and allocates nothing per line: a 900k-line table parses in a few
//! tens of milliseconds (release). IPv4 prefixes are parsed by hand; IPv6 addresses go through
//! `Ipv6Addr::from_str` on a borrowed `&str`.

use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::error::{ConfigError, ConfigErrorKind, ConfigErrors};

/// Stop reporting after this many errors in one file: a file of the wrong format would otherwise
/// produce a million identical messages.
pub const MAX_ERRORS_PER_FILE: usize = 20;

/// Largest route file accepted, compressed or not (bounds what a bad
/// path or a gzip bomb can make the loader read): 16x a full table of
/// both families.
pub const MAX_ROUTE_FILE_BYTES: usize = 256 << 20;

/// The gzip magic bytes (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The routes of one route file, without next hops, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteFile {
    /// The file as given.
    pub path: PathBuf,
    /// IPv4 prefixes, in file order (canonical).
    pub v4: Vec<Ipv4Net>,
    /// IPv6 prefixes, in file order (canonical).
    pub v6: Vec<Ipv6Net>,
    /// Line of the first IPv4 prefix (1-based), for error messages.
    pub first_v4_line: Option<usize>,
    /// Line of the first IPv6 prefix (1-based), for error messages.
    pub first_v6_line: Option<usize>,
    /// Number of lines in the file.
    pub lines: usize,
}

impl RouteFile {
    /// Number of routes (IPv4 + IPv6).
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// True when the file has no route.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads, decompresses if needed, and parses a route file.
///
/// Errors name `path` and, where reading or parsing failed part-way, the line and column.
pub fn parse_route_file(path: &Path) -> Result<RouteFile, ConfigErrors> {
    let text = read_route_file(path)?;
    parse_route_text(&text, path)
}

/// Reads a route file into memory, decompressing gzip (by `.gz` suffix or magic bytes).
///
/// A truncated or corrupt gzip stream is reported at the line and column where the decompressed
/// text stops.
pub fn read_route_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let too_big = || {
        ConfigError::new(
            path,
            0,
            0,
            ConfigErrorKind::ReadFile(format!(
                "larger than {} MiB; a full Internet table is about 15 MiB",
                MAX_ROUTE_FILE_BYTES >> 20
            )),
        )
    };
    let file = std::fs::File::open(path)
        .map_err(|e| ConfigError::new(path, 0, 0, ConfigErrorKind::ReadFile(e.to_string())))?;
    // Bounded reads: a config naming /dev/zero or a runaway file must be
    // refused, not read until memory runs out.
    let mut raw = Vec::new();
    file.take(MAX_ROUTE_FILE_BYTES as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| ConfigError::new(path, 0, 0, ConfigErrorKind::ReadFile(e.to_string())))?;
    if raw.len() > MAX_ROUTE_FILE_BYTES {
        return Err(too_big());
    }
    let is_gz = path.extension().is_some_and(|e| e == "gz") || raw.starts_with(&GZIP_MAGIC);
    if !is_gz {
        return Ok(raw);
    }
    // Route tables compress about 6:1; reserve once instead of growing repeatedly.
    let mut out = Vec::with_capacity(raw.len().saturating_mul(6));
    let mut dec =
        flate2::read::MultiGzDecoder::new(raw.as_slice()).take(MAX_ROUTE_FILE_BYTES as u64 + 1);
    match dec.read_to_end(&mut out) {
        Ok(_) if out.len() > MAX_ROUTE_FILE_BYTES => Err(too_big()),
        Ok(_) => Ok(out),
        Err(e) => {
            // `read_to_end` keeps what it read before failing: locate the end of that.
            let line = out.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = out.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let column = out.len() - line_start + 1;
            let reason = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                format!("gzip stream ends early, the file is truncated ({e})")
            } else {
                format!("corrupt gzip data ({e})")
            };
            Err(ConfigError::new(
                path,
                line,
                column,
                ConfigErrorKind::ReadTruncated(reason),
            ))
        }
    }
}

/// Parses route-file text (already decompressed). `file_name` is used in errors only.
///
/// Returns every malformed line (up to [`MAX_ERRORS_PER_FILE`]).
pub fn parse_route_text(text: &[u8], file_name: &Path) -> Result<RouteFile, ConfigErrors> {
    // ~16 bytes per line in real tables; a slight over-estimate for IPv4 is cheaper than regrowth.
    let mut rf = RouteFile {
        path: file_name.to_path_buf(),
        ..RouteFile::default()
    };
    let mut errors = Vec::new();
    let mut line_no = 0usize;
    for line in text.split(|&b| b == b'\n') {
        line_no += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = line
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(line.len());
        let rest = &line[start..];
        if rest.is_empty() || rest[0] == b'#' {
            continue;
        }
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == b'\t')
            .unwrap_or(rest.len());
        let token = &rest[..end];
        match parse_prefix_bytes(token) {
            Ok(Prefix::V4(p)) => {
                rf.first_v4_line.get_or_insert(line_no);
                rf.v4.push(p);
            }
            Ok(Prefix::V6(p)) => {
                rf.first_v6_line.get_or_insert(line_no);
                rf.v6.push(p);
            }
            Err(e) => {
                if errors.len() == MAX_ERRORS_PER_FILE {
                    errors.push(ConfigError::new(
                        file_name,
                        line_no,
                        1,
                        ConfigErrorKind::TooManyErrors,
                    ));
                    break;
                }
                let column = start + 1 + e.offset;
                errors.push(ConfigError::new(file_name, line_no, column, e.kind));
            }
        }
    }
    // `split` yields one empty piece after a final newline; do not count it as a line.
    rf.lines = if text.ends_with(b"\n") {
        line_no - 1
    } else {
        line_no
    };
    if errors.is_empty() {
        Ok(rf)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// A parsed prefix of either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// IPv4.
    V4(Ipv4Net),
    /// IPv6.
    V6(Ipv6Net),
}

/// A prefix parse failure: what, and at which byte offset of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixError {
    /// Byte offset into the token where the problem starts (0 = the token itself).
    pub offset: usize,
    /// What is wrong.
    pub kind: ConfigErrorKind,
}

/// Parses a canonical `ADDRESS/LEN` from bytes. Host bits set, a missing or too long length,
/// or a malformed address are errors.
pub fn parse_prefix_bytes(token: &[u8]) -> Result<Prefix, PrefixError> {
    let shown = || String::from_utf8_lossy(token).into_owned();
    let malformed = |offset: usize, reason: &str| PrefixError {
        offset,
        kind: ConfigErrorKind::InvalidPrefix {
            value: shown(),
            reason: reason.to_owned(),
        },
    };
    let Some(slash) = token.iter().position(|&b| b == b'/') else {
        return Err(malformed(0, "expected PREFIX/LEN"));
    };
    let (addr, len_bytes) = (&token[..slash], &token[slash + 1..]);
    let len = parse_len(len_bytes).ok_or_else(|| malformed(slash + 1, "bad prefix length"))?;
    if addr.contains(&b':') {
        let a = std::str::from_utf8(addr)
            .ok()
            .and_then(|s| s.parse::<Ipv6Addr>().ok())
            .ok_or_else(|| malformed(0, "bad IPv6 address"))?;
        if len > 128 {
            return Err(PrefixError {
                offset: slash + 1,
                kind: ConfigErrorKind::PrefixLength { len, max: 128 },
            });
        }
        let net = Ipv6Net::new(a, len as u8).map_err(|_| malformed(slash + 1, "bad length"))?;
        if net.network() != a {
            return Err(host_bits(shown(), net.trunc().to_string()));
        }
        Ok(Prefix::V6(net))
    } else {
        let a = parse_ipv4_bytes(addr).ok_or_else(|| malformed(0, "bad IPv4 address"))?;
        if len > 32 {
            return Err(PrefixError {
                offset: slash + 1,
                kind: ConfigErrorKind::PrefixLength { len, max: 32 },
            });
        }
        let net = Ipv4Net::new(a, len as u8).map_err(|_| malformed(slash + 1, "bad length"))?;
        if net.network() != a {
            return Err(host_bits(shown(), net.trunc().to_string()));
        }
        Ok(Prefix::V4(net))
    }
}

fn host_bits(value: String, canonical: String) -> PrefixError {
    PrefixError {
        offset: 0,
        kind: ConfigErrorKind::HostBitsSet { value, canonical },
    }
}

/// 1 to 3 decimal digits.
fn parse_len(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 3 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Dotted-quad IPv4 with decimal octets 0..=255 and no leading zeros (like `Ipv4Addr::from_str`).
pub fn parse_ipv4_bytes(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, octet) in octets.iter_mut().enumerate() {
        if n > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v = 0u32;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() || i - start == 3 {
                break;
            }
            v = v * 10 + u32::from(c - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || v > 255 || (digits > 1 && b[start] == b'0') {
            return None;
        }
        *octet = v as u8;
    }
    (i == b.len()).then_some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Prefix, PrefixError> {
        parse_prefix_bytes(s.as_bytes())
    }

    #[test]
    fn ipv4_hand_parser_matches_std() {
        for s in [
            "0.0.0.0",
            "1.2.3.4",
            "255.255.255.255",
            "10.0.0.1",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.4 ",
            "",
            "1..2.3",
            "1.2.3.1000",
            "a.b.c.d",
            "1.2.3.04",
            "0.0.0.00",
        ] {
            assert_eq!(
                parse_ipv4_bytes(s.as_bytes()),
                s.parse::<Ipv4Addr>().ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            p("10.0.0.0/8").unwrap(),
            Prefix::V4("10.0.0.0/8".parse().unwrap())
        );
        assert_eq!(
            p("2001:db8::/32").unwrap(),
            Prefix::V6("2001:db8::/32".parse().unwrap())
        );
        assert_eq!(
            p("0.0.0.0/0").unwrap(),
            Prefix::V4("0.0.0.0/0".parse().unwrap())
        );
        let e = p("10.0.0.1/8").unwrap_err();
        assert!(
            matches!(e.kind, ConfigErrorKind::HostBitsSet { ref canonical, .. } if canonical == "10.0.0.0/8")
        );
        let e = p("10.0.0.0/33").unwrap_err();
        assert_eq!(
            (e.offset, e.kind),
            (9, ConfigErrorKind::PrefixLength { len: 33, max: 32 })
        );
        assert!(p("2001:db8::1/64").is_err());
        assert!(p("2001:db8::/129").is_err());
        assert!(p("10.0.0.0").is_err());
        assert!(p("10.0.0.0/").is_err());
        assert!(p("10.0.0.0/x").is_err());
        assert!(p("10.0.0.0/0008").is_err());
        assert!(p("\u{e9}:/8").is_err());
    }

    #[test]
    fn text_with_comments_columns_and_mixed_families() {
        let text = b"# header\n\n10.0.0.0/8 65000\n  2001:db8::/32 6939_211722\r\n192.168.1.0/24\n";
        let rf = parse_route_text(text, Path::new("t.txt")).unwrap();
        assert_eq!(rf.v4.len(), 2);
        assert_eq!(rf.v6.len(), 1);
        assert_eq!(rf.first_v4_line, Some(3));
        assert_eq!(rf.first_v6_line, Some(4));
        assert_eq!(rf.lines, 5);
    }

    #[test]
    fn text_errors_have_line_and_column() {
        let text = b"10.0.0.0/8\n  10.0.0.1/8\n10.0.0.0/40 x\nfoo\n";
        let errs = parse_route_text(text, Path::new("t.txt")).unwrap_err();
        let pos: Vec<_> = errs.0.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(pos, vec![(2, 3), (3, 10), (4, 1)]);
        assert!(errs
            .to_string()
            .starts_with("t.txt:2:3: host bits set in 10.0.0.1/8"));
    }

    #[test]
    fn error_count_is_bounded() {
        let text = "x\n".repeat(1000);
        let errs = parse_route_text(text.as_bytes(), Path::new("t")).unwrap_err();
        assert_eq!(errs.len(), MAX_ERRORS_PER_FILE + 1);
    }
}
