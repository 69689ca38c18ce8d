//! Small domain types used by the model: MAC addresses and port/interface names.

use std::fmt;
use std::str::FromStr;

/// An Ethernet MAC address, written `02:00:00:00:00:01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The broadcast address `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// The six bytes.
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// True when the group (I/G) bit of the first octet is clear (IEEE 802 §8.2).
    pub const fn is_unicast(&self) -> bool {
        self.0[0] & 0x01 == 0
    }
}

/// Why a MAC address did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid MAC address: expected six hex bytes separated by ':'")]
pub struct MacParseError;

impl FromStr for MacAddr {
    type Err = MacParseError;

    /// Accepts `xx:xx:xx:xx:xx:xx` (also `-` as separator), one or two hex digits per byte.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let sep = if s.contains('-') { '-' } else { ':' };
        let mut parts = s.split(sep);
        for byte in out.iter_mut() {
            let part = parts.next().ok_or(MacParseError)?;
            if part.is_empty() || part.len() > 2 {
                return Err(MacParseError);
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| MacParseError)?;
        }
        if parts.next().is_some() {
            return Err(MacParseError);
        }
        Ok(MacAddr(out))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl<'de> serde::Deserialize<'de> for MacAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Longest port/interface name: Linux `IFNAMSIZ` (16) less the terminating NUL.
pub const MAX_NAME_LEN: usize = 15;

/// A port or interface name: 1 to 15 characters from `[a-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    /// Checks the name; `None` when it does not match `[a-z0-9_-]{1,15}`.
    pub fn new(s: &str) -> Option<Name> {
        let ok = !s.is_empty()
            && s.len() <= MAX_NAME_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        ok.then(|| Name(s.to_owned()))
    }

    /// Wraps `s` without checking it; only for placeholders in a config that already failed.
    pub(crate) fn new_unchecked(s: &str) -> Name {
        Name(s.to_owned())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_round_trip() {
        let m: MacAddr = "02:00:00:00:00:01".parse().unwrap();
        assert_eq!(m.0, [2, 0, 0, 0, 0, 1]);
        assert_eq!(m.to_string(), "02:00:00:00:00:01");
        assert!(m.is_unicast());
        assert!(!MacAddr::BROADCAST.is_unicast());
        assert_eq!(
            "0A-0b-0c-0d-0e-0f".parse::<MacAddr>().unwrap().to_string(),
            "0a:0b:0c:0d:0e:0f"
        );
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "002:00:00:00:00:01",
            "zz:00:00:00:00:01",
            "02::00:00:00:01",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(Name::new("p0").is_some());
        assert!(Name::new("eth0_v-1").is_some());
        assert!(Name::new("").is_none());
        assert!(Name::new("Eth0").is_none());
        assert!(Name::new("a23456789012345").is_some());
        assert!(Name::new("a234567890123456").is_none());
    }
}
