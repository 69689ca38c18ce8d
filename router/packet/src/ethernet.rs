//! Ethernet II frames (IEEE 802.3 clause 3.2.6 "Type" interpretation) with
//! up to two VLAN tags (IEEE 802.1Q customer tag, 802.1ad service tag, and
//! the pre-standard 0x9100 service tag still used by some switches).
//!
//! [`EthernetFrame`] is the untagged 14-byte header; [`parse_l2`] walks the
//! tags and tells where the L3 header starts.

use core::fmt;
use core::str::FromStr;

use crate::{labelled_error, read_u16, write_u16};

/// EtherType of IPv4 (RFC 894).
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of ARP (RFC 826).
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv6 (RFC 2464).
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// TPID of an IEEE 802.1Q customer VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// TPID of an IEEE 802.1ad service VLAN tag (QinQ outer tag).
pub const ETHERTYPE_QINQ: u16 = 0x88A8;
/// Pre-standard QinQ outer tag TPID, still emitted by some equipment.
pub const ETHERTYPE_QINQ_LEGACY: u16 = 0x9100;

/// Length of the untagged Ethernet II header.
pub const HEADER_LEN: usize = 14;
/// Length of one VLAN tag (TPID + TCI).
pub const VLAN_TAG_LEN: usize = 4;
/// At most this many VLAN tags are accepted: 802.1ad QinQ stacks two;
/// deeper stacks are not used on router ports and are refused by name.
pub const MAX_VLAN_TAGS: usize = 2;

mod field {
    use core::ops::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const ETHERTYPE: usize = 12;
    pub const PAYLOAD: usize = 14;
}

labelled_error! {
    /// Why an Ethernet frame was refused.
    pub enum EthernetError {
        /// Shorter than the 14-byte Ethernet II header.
        Truncated => "truncated",
        /// A VLAN TPID is not followed by a complete 4-byte tag.
        VlanTruncated => "vlan_truncated",
        /// More than [`MAX_VLAN_TAGS`] VLAN tags.
        TooManyVlanTags => "too_many_vlan_tags",
    }
}

/// True for the TPIDs this crate treats as VLAN tags.
pub const fn is_vlan_tpid(ethertype: u16) -> bool {
    matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_LEGACY
    )
}

/// A 48-bit IEEE 802 MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    /// `00:00:00:00:00:00` (e.g. the unknown target hardware address in an
    /// ARP request).
    pub const ZERO: MacAddr = MacAddr([0; 6]);

    /// The address as bytes.
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// `ff:ff:ff:ff:ff:ff`.
    pub fn is_broadcast(&self) -> bool {
        self.0 == [0xff; 6]
    }

    /// Group bit set (includes broadcast).
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Group bit clear.
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// Locally administered bit set.
    pub const fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// The Ethernet multicast address for an IPv6 multicast address:
    /// `33:33` followed by its low 32 bits (RFC 2464 §7).
    pub const fn from_ipv6_multicast(ip: &std::net::Ipv6Addr) -> MacAddr {
        let o = ip.octets();
        MacAddr([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }

    /// Reads a MAC from the first six bytes of `bytes`, if there are six.
    pub fn from_bytes(bytes: &[u8]) -> Option<MacAddr> {
        let b: [u8; 6] = bytes.get(..6)?.try_into().ok()?;
        Some(MacAddr(b))
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

/// Why a string is not a MAC address (`xx:xx:xx:xx:xx:xx`, `-` also accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacParseError;

impl fmt::Display for MacParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid MAC address, expected six hex octets like 02:00:00:00:00:01")
    }
}

impl std::error::Error for MacParseError {}

impl FromStr for MacAddr {
    type Err = MacParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let sep = if s.contains('-') { '-' } else { ':' };
        let mut out = [0u8; 6];
        let mut parts = s.split(sep);
        for byte in &mut out {
            let p = parts.next().ok_or(MacParseError)?;
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(MacParseError);
            }
            *byte = u8::from_str_radix(p, 16).map_err(|_| MacParseError)?;
        }
        if parts.next().is_some() {
            return Err(MacParseError);
        }
        Ok(MacAddr(out))
    }
}

/// A view of the 14-byte Ethernet II header and what follows it.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps `buffer` without checking its length.
    pub const fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    /// Wraps `buffer` after checking it holds a full Ethernet II header.
    pub fn new_checked(buffer: T) -> Result<Self, EthernetError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(EthernetError::Truncated);
        }
        Ok(EthernetFrame { buffer })
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Destination MAC address.
    pub fn dst(&self) -> MacAddr {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::DST]);
        MacAddr(m)
    }

    /// Source MAC address.
    pub fn src(&self) -> MacAddr {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::SRC]);
        MacAddr(m)
    }

    /// The EtherType field right after the addresses (a TPID if tagged).
    pub fn ethertype(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ETHERTYPE)
    }

    /// Everything after the 14-byte header (tags included if tagged).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination MAC address.
    pub fn set_dst(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&mac.0);
    }

    /// Sets the source MAC address.
    pub fn set_src(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&mac.0);
    }

    /// Sets the EtherType field right after the addresses.
    pub fn set_ethertype(&mut self, ethertype: u16) {
        write_u16(self.buffer.as_mut(), field::ETHERTYPE, ethertype);
    }

    /// Mutable access to everything after the 14-byte header.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// The result of walking an Ethernet header and its VLAN tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L2Header {
    /// Offset of the L3 header from the start of the frame.
    pub l3_offset: usize,
    /// EtherType of the L3 payload (after all tags).
    pub ethertype: u16,
    /// VLAN ids (12 bits), outermost first; only `vlan_count` are valid.
    pub vlans: [u16; MAX_VLAN_TAGS],
    /// Number of VLAN tags (0..=2).
    pub vlan_count: u8,
}

impl L2Header {
    /// The valid VLAN ids, outermost first.
    pub fn vlan_ids(&self) -> &[u16] {
        let n = usize::from(self.vlan_count).min(MAX_VLAN_TAGS);
        &self.vlans[..n]
    }
}

/// Walks the Ethernet II header and up to [`MAX_VLAN_TAGS`] VLAN tags.
///
/// Returns where the L3 header starts and its EtherType. The 802.1p
/// priority and DEI bits are ignored. A frame whose EtherType is a length
/// (<= 1500, IEEE 802.3 + LLC) is returned as is; its "ethertype" matches
/// no L3 protocol and the caller drops it as unknown.
pub fn parse_l2(frame: &[u8]) -> Result<L2Header, EthernetError> {
    if frame.len() < HEADER_LEN {
        return Err(EthernetError::Truncated);
    }
    let mut h = L2Header {
        l3_offset: HEADER_LEN,
        ethertype: read_u16(frame, field::ETHERTYPE),
        ..L2Header::default()
    };
    while is_vlan_tpid(h.ethertype) {
        if usize::from(h.vlan_count) == MAX_VLAN_TAGS {
            return Err(EthernetError::TooManyVlanTags);
        }
        // The tag is TCI (2 bytes) + inner EtherType (2 bytes) after the TPID.
        if frame.len() < h.l3_offset + VLAN_TAG_LEN {
            return Err(EthernetError::VlanTruncated);
        }
        let tci = read_u16(frame, h.l3_offset);
        h.vlans[usize::from(h.vlan_count)] = tci & 0x0FFF;
        h.vlan_count += 1;
        h.ethertype = read_u16(frame, h.l3_offset + 2);
        h.l3_offset += VLAN_TAG_LEN;
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: [u8; 18] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // dst
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // src
        0x08, 0x00, // IPv4
        0xde, 0xad, 0xbe, 0xef,
    ];

    #[test]
    fn parse_fields() {
        let f = EthernetFrame::new_checked(&FRAME[..]).unwrap();
        assert_eq!(f.dst(), "02:00:00:00:00:01".parse().unwrap());
        assert_eq!(f.src(), MacAddr([2, 0, 0, 0, 0, 2]));
        assert_eq!(f.ethertype(), ETHERTYPE_IPV4);
        assert_eq!(f.payload(), &[0xde, 0xad, 0xbe, 0xef]);
        let l2 = parse_l2(&FRAME).unwrap();
        assert_eq!(
            (l2.l3_offset, l2.ethertype, l2.vlan_ids()),
            (14, ETHERTYPE_IPV4, &[][..])
        );
    }

    #[test]
    fn emit_fields() {
        let mut buf = [0u8; 18];
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        f.set_dst(MacAddr([2, 0, 0, 0, 0, 1]));
        f.set_src(MacAddr([2, 0, 0, 0, 0, 2]));
        f.set_ethertype(ETHERTYPE_IPV4);
        f.payload_mut().copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(buf, FRAME);
    }

    #[test]
    fn short_frames() {
        for len in [0, 1, 13] {
            assert_eq!(
                EthernetFrame::new_checked(&FRAME[..len]).unwrap_err(),
                EthernetError::Truncated
            );
            assert_eq!(
                parse_l2(&FRAME[..len]).unwrap_err(),
                EthernetError::Truncated
            );
        }
        assert!(parse_l2(&FRAME[..14]).is_ok());
    }

    fn tagged(tpids: &[u16], inner: u16) -> Vec<u8> {
        let mut v = FRAME[..12].to_vec();
        for (i, t) in tpids.iter().enumerate() {
            v.extend_from_slice(&t.to_be_bytes());
            // PCP 5, DEI 1, VID 100 + i: the PCP/DEI bits must be masked off.
            v.extend_from_slice(&(0xB000 | (100 + i as u16)).to_be_bytes());
        }
        v.extend_from_slice(&inner.to_be_bytes());
        v
    }

    #[test]
    fn vlan_in_vlan() {
        for outer in [ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY, ETHERTYPE_VLAN] {
            let f = tagged(&[outer, ETHERTYPE_VLAN], ETHERTYPE_IPV6);
            let l2 = parse_l2(&f).unwrap();
            assert_eq!(l2.l3_offset, 22);
            assert_eq!(l2.ethertype, ETHERTYPE_IPV6);
            assert_eq!(l2.vlan_ids(), &[100, 101]);
        }
        let l2 = parse_l2(&tagged(&[ETHERTYPE_VLAN], ETHERTYPE_ARP)).unwrap();
        assert_eq!(
            (l2.l3_offset, l2.ethertype, l2.vlan_ids()),
            (18, ETHERTYPE_ARP, &[100][..])
        );
    }

    #[test]
    fn vlan_errors() {
        let three = tagged(
            &[ETHERTYPE_QINQ, ETHERTYPE_VLAN, ETHERTYPE_VLAN],
            ETHERTYPE_IPV4,
        );
        assert_eq!(
            parse_l2(&three).unwrap_err(),
            EthernetError::TooManyVlanTags
        );
        let one = tagged(&[ETHERTYPE_VLAN], ETHERTYPE_IPV4);
        for len in 14..18 {
            assert_eq!(
                parse_l2(&one[..len]).unwrap_err(),
                EthernetError::VlanTruncated
            );
        }
        let two = tagged(&[ETHERTYPE_QINQ, ETHERTYPE_VLAN], ETHERTYPE_IPV4);
        assert_eq!(
            parse_l2(&two[..21]).unwrap_err(),
            EthernetError::VlanTruncated
        );
    }

    #[test]
    fn mac_addr() {
        let m: MacAddr = "02:00:00:00:00:01".parse().unwrap();
        assert_eq!(m.to_string(), "02:00:00:00:00:01");
        assert_eq!(
            "AA-bb-cc-dd-ee-ff".parse::<MacAddr>().unwrap().0,
            [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        );
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "02:00:00:00:00:1g",
            "002:0:0:0:0:1",
            "02::00:00:00:01",
            "+2:00:00:00:00:01",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
        assert!(m.is_unicast() && !m.is_multicast() && !m.is_broadcast() && m.is_local());
        assert!(MacAddr::BROADCAST.is_broadcast() && MacAddr::BROADCAST.is_multicast());
        let mc = MacAddr::from_ipv6_multicast(&"ff02::1:ff00:1234".parse().unwrap());
        assert_eq!(mc.to_string(), "33:33:ff:00:12:34");
        assert!(mc.is_multicast() && !mc.is_broadcast());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..40), tags in 0usize..4) {
            // Steer towards tagged frames.
            for i in 0..tags {
                let off = 12 + 4 * i;
                if data.len() >= off + 2 {
                    data[off..off + 2].copy_from_slice(&ETHERTYPE_QINQ.to_be_bytes());
                }
            }
            if let Ok(l2) = parse_l2(&data) {
                prop_assert!(l2.l3_offset <= data.len());
                prop_assert!(l2.vlan_ids().len() <= MAX_VLAN_TAGS);
            }
            if let Ok(f) = EthernetFrame::new_checked(&data[..]) {
                let _ = (f.dst(), f.src(), f.ethertype(), f.payload());
            }
        }
    }
}
