//! ICMP for IPv4 (RFC 792) as a checked-once view.
//!
//! Every ICMPv4 message starts with type, code, checksum and a 4-byte
//! "rest of header" (echo identifier/sequence, unused, next-hop MTU, ...),
//! so the view requires 8 bytes. The checksum covers the whole ICMP
//! message with no pseudo-header; the view is given exactly the ICMP
//! message (the IPv4 payload, not the frame).

use crate::{checksum, labelled_error, read_u16, read_u32, write_u16, write_u32};

/// Echo Reply.
pub const TYPE_ECHO_REPLY: u8 = 0;
/// Destination Unreachable.
pub const TYPE_DEST_UNREACHABLE: u8 = 3;
/// Source Quench (deprecated by RFC 6633, still an error message).
pub const TYPE_SOURCE_QUENCH: u8 = 4;
/// Redirect.
pub const TYPE_REDIRECT: u8 = 5;
/// Echo Request.
pub const TYPE_ECHO_REQUEST: u8 = 8;
/// Time Exceeded.
pub const TYPE_TIME_EXCEEDED: u8 = 11;
/// Parameter Problem.
pub const TYPE_PARAMETER_PROBLEM: u8 = 12;

/// Destination Unreachable codes (RFC 792, RFC 1812 §5.2.7.1).
pub mod unreach {
    /// Network unreachable.
    pub const NET: u8 = 0;
    /// Host unreachable.
    pub const HOST: u8 = 1;
    /// Protocol unreachable.
    pub const PROTOCOL: u8 = 2;
    /// Port unreachable.
    pub const PORT: u8 = 3;
    /// Fragmentation needed and DF set (RFC 1191).
    pub const FRAG_NEEDED: u8 = 4;
    /// Communication administratively prohibited (RFC 1812).
    pub const ADMIN_PROHIBITED: u8 = 13;
}

/// Length of the ICMP header (type, code, checksum, rest of header).
pub const HEADER_LEN: usize = 8;

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const REST: usize = 4;
    pub const ECHO_IDENT: usize = 4;
    pub const ECHO_SEQ: usize = 6;
    pub const NEXT_HOP_MTU: usize = 6;
    pub const DATA: usize = 8;
}

labelled_error! {
    /// Why an ICMPv4 message was refused.
    pub enum Icmpv4Error {
        /// Shorter than the 8-byte ICMP header.
        Truncated => "truncated",
        /// Checksum does not verify (only from `check_checksum`).
        BadChecksum => "bad_checksum",
    }
}

/// True for ICMPv4 error messages (RFC 1812 §4.3.2.7: never answer one
/// of these with an ICMP error). Queries are echo (0/8), router
/// advertisement/solicitation (9/10), timestamp, information and address
/// mask (13..=18) and extended echo (42/43, RFC 8335); anything else,
/// unknown types included, counts as an error: sending nothing is always
/// allowed.
pub const fn is_error_type(msg_type: u8) -> bool {
    !matches!(
        msg_type,
        TYPE_ECHO_REPLY | TYPE_ECHO_REQUEST | 9 | 10 | 13..=18 | 42 | 43
    )
}

/// A view of an ICMPv4 message.
#[derive(Debug, Clone)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Icmpv4Packet { buffer }
    }

    /// Wraps `buffer` after checking it holds the 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Self, Icmpv4Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Icmpv4Error::Truncated);
        }
        Ok(Icmpv4Packet { buffer })
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
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

    /// The 4-byte rest of header as a `u32`.
    pub fn rest_of_header(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::REST)
    }

    /// Echo identifier (echo request/reply).
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// Echo sequence number (echo request/reply).
    pub fn echo_seq(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQ)
    }

    /// Next-hop MTU of a Fragmentation Needed message (RFC 1191).
    pub fn next_hop_mtu(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::NEXT_HOP_MTU)
    }

    /// Everything after the 8-byte header (for errors: the invoking
    /// datagram's header and first bytes).
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// True for error messages (see [`is_error_type`]).
    pub fn is_error(&self) -> bool {
        is_error_type(self.msg_type())
    }

    /// True when the checksum over the whole message verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.buffer.as_ref()) == 0xFFFF
    }

    /// [`verify_checksum`](Self::verify_checksum) as a named check.
    pub fn check_checksum(&self) -> Result<(), Icmpv4Error> {
        if self.verify_checksum() {
            Ok(())
        } else {
            Err(Icmpv4Error::BadChecksum)
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
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

    /// Sets the 4-byte rest of header.
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

    /// Sets the next-hop MTU (RFC 1191); the unused half is left as is.
    pub fn set_next_hop_mtu(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::NEXT_HOP_MTU, v);
    }

    /// Mutable data after the 8-byte header.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }

    /// Computes and stores the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.buffer.as_ref());
        self.set_checksum(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Echo request id 0x1234 seq 1, data "abcd"; checksum precomputed.
    const ECHO: [u8; 12] = [
        8, 0, 0x21, 0x04, 0x12, 0x34, 0x00, 0x01, b'a', b'b', b'c', b'd',
    ];

    #[test]
    fn parse_echo() {
        let p = Icmpv4Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!((p.msg_type(), p.code()), (TYPE_ECHO_REQUEST, 0));
        assert_eq!(
            (p.echo_ident(), p.echo_seq(), p.rest_of_header()),
            (0x1234, 1, 0x1234_0001)
        );
        assert_eq!(p.data(), b"abcd");
        assert!(!p.is_error());
        assert!(
            p.verify_checksum(),
            "checksum {:#06x}",
            checksum::checksum(&ECHO)
        );
    }

    #[test]
    fn emit_echo() {
        let mut buf = [0u8; 12];
        let mut p = Icmpv4Packet::new_unchecked(&mut buf[..]);
        p.set_msg_type(TYPE_ECHO_REQUEST);
        p.set_code(0);
        p.set_echo_ident(0x1234);
        p.set_echo_seq(1);
        p.data_mut().copy_from_slice(b"abcd");
        p.fill_checksum();
        assert_eq!(buf, ECHO);
    }

    #[test]
    fn frag_needed_and_errors() {
        let mut buf = [0u8; 8];
        let mut p = Icmpv4Packet::new_unchecked(&mut buf[..]);
        p.set_msg_type(TYPE_DEST_UNREACHABLE);
        p.set_code(unreach::FRAG_NEEDED);
        p.set_next_hop_mtu(1400);
        p.fill_checksum();
        assert_eq!(p.next_hop_mtu(), 1400);
        assert!(p.is_error() && p.verify_checksum());
        p.set_checksum(p.checksum() ^ 1);
        assert_eq!(p.check_checksum(), Err(Icmpv4Error::BadChecksum));
        assert_eq!(
            Icmpv4Packet::new_checked(&buf[..7]).unwrap_err(),
            Icmpv4Error::Truncated
        );
        for t in [3, 4, 5, 11, 12, 200] {
            assert!(is_error_type(t), "{t}");
        }
        for t in [0, 8, 9, 10, 13, 14, 17, 18, 42, 43] {
            assert!(!is_error_type(t), "{t}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(p) = Icmpv4Packet::new_checked(&data[..]) {
                let _ = (p.msg_type(), p.code(), p.checksum(), p.rest_of_header());
                let _ = (p.echo_ident(), p.echo_seq(), p.next_hop_mtu(), p.data(), p.verify_checksum());
            }
        }
    }
}
