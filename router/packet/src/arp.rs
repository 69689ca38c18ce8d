//! ARP for IPv4 over Ethernet (RFC 826).
//!
//! Only hardware type Ethernet (1) with 6-byte addresses and protocol type
//! IPv4 (0x0800) with 4-byte addresses is accepted: that is the only ARP a
//! router port speaks, and it makes the packet a fixed 28 bytes.

use std::net::Ipv4Addr;

use crate::ethernet::MacAddr;
use crate::{labelled_error, read_u16, write_u16};

/// Hardware type Ethernet (RFC 826, IANA "Hardware Types").
pub const HTYPE_ETHERNET: u16 = 1;
/// Protocol type IPv4.
pub const PTYPE_IPV4: u16 = 0x0800;
/// Operation: request.
pub const OP_REQUEST: u16 = 1;
/// Operation: reply.
pub const OP_REPLY: u16 = 2;
/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;

mod field {
    use core::ops::Range;
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: Range<usize> = 8..14;
    pub const SPA: Range<usize> = 14..18;
    pub const THA: Range<usize> = 18..24;
    pub const TPA: Range<usize> = 24..28;
}

labelled_error! {
    /// Why an ARP packet was refused.
    pub enum ArpError {
        /// Shorter than the 28 bytes of an Ethernet/IPv4 ARP packet.
        Truncated => "truncated",
        /// Hardware type is not Ethernet (1).
        UnsupportedHardwareType => "unsupported_hardware_type",
        /// Protocol type is not IPv4 (0x0800).
        UnsupportedProtocolType => "unsupported_protocol_type",
        /// Hardware address length is not 6.
        BadHardwareLength => "bad_hardware_length",
        /// Protocol address length is not 4.
        BadProtocolLength => "bad_protocol_length",
        /// Operation is neither request (1) nor reply (2) (e.g. RARP).
        UnsupportedOperation => "unsupported_operation",
    }
}

/// A view of an Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }

    /// Wraps `buffer` after checking length, types, address lengths and
    /// operation. Bytes after the 28th (Ethernet padding) are ignored.
    pub fn new_checked(buffer: T) -> Result<Self, ArpError> {
        let b = buffer.as_ref();
        if b.len() < PACKET_LEN {
            return Err(ArpError::Truncated);
        }
        if read_u16(b, field::HTYPE) != HTYPE_ETHERNET {
            return Err(ArpError::UnsupportedHardwareType);
        }
        if read_u16(b, field::PTYPE) != PTYPE_IPV4 {
            return Err(ArpError::UnsupportedProtocolType);
        }
        if b[field::HLEN] != 6 {
            return Err(ArpError::BadHardwareLength);
        }
        if b[field::PLEN] != 4 {
            return Err(ArpError::BadProtocolLength);
        }
        if !matches!(read_u16(b, field::OPER), OP_REQUEST | OP_REPLY) {
            return Err(ArpError::UnsupportedOperation);
        }
        Ok(ArpPacket { buffer })
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Hardware type.
    pub fn htype(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::HTYPE)
    }

    /// Protocol type.
    pub fn ptype(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PTYPE)
    }

    /// Hardware address length.
    pub fn hlen(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// Protocol address length.
    pub fn plen(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// Operation ([`OP_REQUEST`] or [`OP_REPLY`]).
    pub fn oper(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::OPER)
    }

    /// Sender hardware address.
    pub fn sha(&self) -> MacAddr {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::SHA]);
        MacAddr(m)
    }

    /// Sender protocol address.
    pub fn spa(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SPA];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// Target hardware address.
    pub fn tha(&self) -> MacAddr {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::THA]);
        MacAddr(m)
    }

    /// Target protocol address.
    pub fn tpa(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::TPA];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// A gratuitous ARP announces its own address: `spa == tpa`.
    pub fn is_gratuitous(&self) -> bool {
        self.spa() == self.tpa()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Writes the fixed Ethernet/IPv4 header: htype 1, ptype 0x0800, hlen 6, plen 4.
    pub fn set_ethernet_ipv4(&mut self) {
        let b = self.buffer.as_mut();
        write_u16(b, field::HTYPE, HTYPE_ETHERNET);
        write_u16(b, field::PTYPE, PTYPE_IPV4);
        b[field::HLEN] = 6;
        b[field::PLEN] = 4;
    }

    /// Sets the hardware type.
    pub fn set_htype(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::HTYPE, v);
    }

    /// Sets the protocol type.
    pub fn set_ptype(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::PTYPE, v);
    }

    /// Sets the hardware address length.
    pub fn set_hlen(&mut self, v: u8) {
        self.buffer.as_mut()[field::HLEN] = v;
    }

    /// Sets the protocol address length.
    pub fn set_plen(&mut self, v: u8) {
        self.buffer.as_mut()[field::PLEN] = v;
    }

    /// Sets the operation.
    pub fn set_oper(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::OPER, v);
    }

    /// Sets the sender hardware address.
    pub fn set_sha(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::SHA].copy_from_slice(&mac.0);
    }

    /// Sets the sender protocol address.
    pub fn set_spa(&mut self, ip: Ipv4Addr) {
        self.buffer.as_mut()[field::SPA].copy_from_slice(&ip.octets());
    }

    /// Sets the target hardware address.
    pub fn set_tha(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::THA].copy_from_slice(&mac.0);
    }

    /// Sets the target protocol address.
    pub fn set_tpa(&mut self, ip: Ipv4Addr) {
        self.buffer.as_mut()[field::TPA].copy_from_slice(&ip.octets());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Who has 10.0.0.1? Tell 10.0.0.2 (02:00:00:00:00:02).
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // htype ptype hlen plen oper
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 10, 0, 0, 2, // sha spa
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 1, // tha tpa
    ];

    #[test]
    fn parse() {
        let p = ArpPacket::new_checked(&REQUEST[..]).unwrap();
        assert_eq!(
            (p.htype(), p.ptype(), p.hlen(), p.plen()),
            (1, 0x0800, 6, 4)
        );
        assert_eq!(p.oper(), OP_REQUEST);
        assert_eq!(p.sha(), MacAddr([2, 0, 0, 0, 0, 2]));
        assert_eq!(p.spa(), Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(p.tha(), MacAddr::ZERO);
        assert_eq!(p.tpa(), Ipv4Addr::new(10, 0, 0, 1));
        assert!(!p.is_gratuitous());
    }

    #[test]
    fn emit() {
        let mut buf = [0xAAu8; 28];
        let mut p = ArpPacket::new_unchecked(&mut buf[..]);
        p.set_ethernet_ipv4();
        p.set_oper(OP_REQUEST);
        p.set_sha(MacAddr([2, 0, 0, 0, 0, 2]));
        p.set_spa(Ipv4Addr::new(10, 0, 0, 2));
        p.set_tha(MacAddr::ZERO);
        p.set_tpa(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(buf, REQUEST);
    }

    #[test]
    fn rejects() {
        assert_eq!(
            ArpPacket::new_checked(&REQUEST[..27]).unwrap_err(),
            ArpError::Truncated
        );
        let cases: [(usize, u8, ArpError); 5] = [
            (1, 6, ArpError::UnsupportedHardwareType), // IEEE 802 hardware type
            (3, 0xDD, ArpError::UnsupportedProtocolType),
            (4, 8, ArpError::BadHardwareLength),
            (5, 16, ArpError::BadProtocolLength),
            (7, 3, ArpError::UnsupportedOperation), // RARP request
        ];
        for (idx, val, err) in cases {
            let mut b = REQUEST;
            b[idx] = val;
            assert_eq!(ArpPacket::new_checked(&b[..]).unwrap_err(), err);
        }
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(p) = ArpPacket::new_checked(&data[..]) {
                let _ = (p.htype(), p.ptype(), p.hlen(), p.plen(), p.oper());
                let _ = (p.sha(), p.spa(), p.tha(), p.tpa(), p.is_gratuitous());
            }
        }
    }
}
