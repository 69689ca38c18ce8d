//! ICMPv6 (RFC 4443) as a checked-once view.
//!
//! Every defined ICMPv6 message (errors, echo, NDP) has at least type,
//! code, checksum and a 4-byte body field, so the view requires 8 bytes.
//! The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1) and the
//! whole message; the view is given exactly the ICMPv6 message.

use std::net::Ipv6Addr;

use crate::ipv6::NH_ICMPV6;
use crate::{checksum, labelled_error, read_u16, read_u32, write_u16, write_u32};

/// Destination Unreachable.
pub const TYPE_DEST_UNREACHABLE: u8 = 1;
/// Packet Too Big.
pub const TYPE_PACKET_TOO_BIG: u8 = 2;
/// Time Exceeded.
pub const TYPE_TIME_EXCEEDED: u8 = 3;
/// Parameter Problem.
pub const TYPE_PARAMETER_PROBLEM: u8 = 4;
/// Echo Request.
pub const TYPE_ECHO_REQUEST: u8 = 128;
/// Echo Reply.
pub const TYPE_ECHO_REPLY: u8 = 129;
/// Router Solicitation (RFC 4861).
pub const TYPE_ROUTER_SOLICITATION: u8 = 133;
/// Router Advertisement (RFC 4861).
pub const TYPE_ROUTER_ADVERTISEMENT: u8 = 134;
/// Neighbor Solicitation (RFC 4861).
pub const TYPE_NEIGHBOR_SOLICITATION: u8 = 135;
/// Neighbor Advertisement (RFC 4861).
pub const TYPE_NEIGHBOR_ADVERTISEMENT: u8 = 136;
/// Redirect (RFC 4861).
pub const TYPE_REDIRECT: u8 = 137;

/// Destination Unreachable codes (RFC 4443 §3.1).
pub mod unreach {
    /// No route to destination.
    pub const NO_ROUTE: u8 = 0;
    /// Communication with destination administratively prohibited.
    pub const ADMIN_PROHIBITED: u8 = 1;
    /// Beyond scope of source address.
    pub const BEYOND_SCOPE: u8 = 2;
    /// Address unreachable.
    pub const ADDRESS: u8 = 3;
    /// Port unreachable.
    pub const PORT: u8 = 4;
    /// Source address failed ingress/egress policy.
    pub const SOURCE_POLICY: u8 = 5;
    /// Reject route to destination.
    pub const REJECT_ROUTE: u8 = 6;
}

/// Length of the ICMPv6 header including the 4-byte message body word.
pub const HEADER_LEN: usize = 8;

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const REST: usize = 4;
    pub const ECHO_IDENT: usize = 4;
    pub const ECHO_SEQ: usize = 6;
    pub const DATA: usize = 8;
}

labelled_error! {
    /// Why an ICMPv6 message was refused.
    pub enum Icmpv6Error {
        /// Shorter than 8 bytes.
        Truncated => "truncated",
        /// Checksum does not verify (only from `check_checksum`).
        BadChecksum => "bad_checksum",
    }
}

/// True for ICMPv6 error messages: types 0..=127 (RFC 4443 §2.1).
pub const fn is_error_type(msg_type: u8) -> bool {
    msg_type < 128
}

/// A view of an ICMPv6 message.
#[derive(Debug, Clone)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Icmpv6Packet { buffer }
    }

    /// Wraps `buffer` after checking it holds 8 bytes.
    pub fn new_checked(buffer: T) -> Result<Self, Icmpv6Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Icmpv6Error::Truncated);
        }
        Ok(Icmpv6Packet { buffer })
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Message type.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    /// Message code.
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The 4-byte word after the checksum (MTU for Packet Too Big, pointer
    /// for Parameter Problem, identifier/sequence for echo, flags for NA).
    pub fn rest_of_header(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::REST)
    }

    /// MTU of a Packet Too Big message.
    pub fn mtu(&self) -> u32 {
        self.rest_of_header()
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// Echo sequence number.
    pub fn echo_seq(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQ)
    }

    /// Everything after the first 8 bytes.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// True for error messages (types 0..=127).
    pub fn is_error(&self) -> bool {
        is_error_type(self.msg_type())
    }

    /// True when the checksum (pseudo-header included) verifies.
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let ph = checksum::pseudo_header_v6(src, dst, b.len() as u32, NH_ICMPV6);
        checksum::add(ph, checksum::sum(b)) == 0xFFFF
    }

    /// [`verify_checksum`](Self::verify_checksum) as a named check.
    pub fn check_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> Result<(), Icmpv6Error> {
        if self.verify_checksum(src, dst) {
            Ok(())
        } else {
            Err(Icmpv6Error::BadChecksum)
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, v: u8) {
        self.buffer.as_mut()[field::TYPE] = v;
    }

    /// Sets the message code.
    pub fn set_code(&mut self, v: u8) {
        self.buffer.as_mut()[field::CODE] = v;
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Sets the 4-byte word after the checksum.
    pub fn set_rest_of_header(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::REST, v);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_IDENT, v);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_SEQ, v);
    }

    /// Mutable data after the first 8 bytes.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }

    /// Computes and stores the checksum over the pseudo-header and the
    /// whole buffer.
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let ph = checksum::pseudo_header_v6(src, dst, b.len() as u32, NH_ICMPV6);
        let c = checksum::finish(checksum::add(ph, checksum::sum(b)));
        self.set_checksum(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addrs() -> (Ipv6Addr, Ipv6Addr) {
        ("fe80::1".parse().unwrap(), "fe80::2".parse().unwrap())
    }

    /// Echo request fe80::1 -> fe80::2, id 0x1234, seq 1, no data.
    /// Checksum by hand: pseudo-header fe80+1+fe80+2+8+58 = 0x1fd45 -> 0xfd46;
    /// message 0x8000+0x1234+0x0001 = 0x9235; total 0x18f7b -> 0x8f7c; ~ = 0x7083.
    const ECHO: [u8; 8] = [128, 0, 0x70, 0x83, 0x12, 0x34, 0x00, 0x01];

    #[test]
    fn parse_echo() {
        let (s, d) = addrs();
        let p = Icmpv6Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!(
            (p.msg_type(), p.code(), p.echo_ident(), p.echo_seq()),
            (TYPE_ECHO_REQUEST, 0, 0x1234, 1)
        );
        assert!(p.data().is_empty() && !p.is_error());
        assert!(p.verify_checksum(&s, &d));
        assert_eq!(
            p.check_checksum(&d, &"fe80::3".parse().unwrap()),
            Err(Icmpv6Error::BadChecksum)
        );
    }

    #[test]
    fn emit_echo() {
        let (s, d) = addrs();
        let mut buf = [0u8; 8];
        let mut p = Icmpv6Packet::new_unchecked(&mut buf[..]);
        p.set_msg_type(TYPE_ECHO_REQUEST);
        p.set_code(0);
        p.set_echo_ident(0x1234);
        p.set_echo_seq(1);
        p.fill_checksum(&s, &d);
        assert_eq!(buf, ECHO);
    }

    #[test]
    fn packet_too_big() {
        let (s, d) = addrs();
        let mut buf = [0u8; 16];
        let mut p = Icmpv6Packet::new_unchecked(&mut buf[..]);
        p.set_msg_type(TYPE_PACKET_TOO_BIG);
        p.set_rest_of_header(1280);
        p.data_mut().fill(0xAB);
        p.fill_checksum(&s, &d);
        assert!(p.is_error() && p.verify_checksum(&s, &d));
        assert_eq!(p.mtu(), 1280);
        assert_eq!(
            Icmpv6Packet::new_checked(&buf[..7]).unwrap_err(),
            Icmpv6Error::Truncated
        );
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let (s, d) = addrs();
            if let Ok(p) = Icmpv6Packet::new_checked(&data[..]) {
                let _ = (p.msg_type(), p.code(), p.checksum(), p.mtu(), p.echo_ident(), p.echo_seq());
                let _ = (p.data(), p.is_error(), p.verify_checksum(&s, &d));
            }
        }
    }
}
