//! IPv4 headers (RFC 791) as checked-once views.
//!
//! `new_checked` performs the length checks of RFC 1812 §5.2.2 (a router
//! MUST check: length >= 20, version 4, IHL >= 5, total length >= header
//! length; and the frame must hold what the header claims). It does *not*
//! verify the header checksum: that is a separate, named check
//! ([`Ipv4Packet::check_checksum`]) so the caller can skip it when the NIC
//! already did it.
//!
//! The payload is bounded by the total length, never by the frame length:
//! an Ethernet frame carrying a short datagram is padded to 60 bytes.

use std::net::Ipv4Addr;

use crate::{checksum, labelled_error, read_u16, read_u32, write_u16, write_u32};

/// Length of a header without options.
pub const MIN_HEADER_LEN: usize = 20;
/// Protocol number of ICMP.
pub const PROTO_ICMP: u8 = 1;
pub use crate::l4::{PROTO_TCP, PROTO_UDP};

mod field {
    use core::ops::Range;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
    pub const OPTIONS: usize = 20;
}

/// Don't Fragment bit in the flags/fragment-offset word.
const FLAG_DF: u16 = 0x4000;
/// More Fragments bit in the flags/fragment-offset word.
const FLAG_MF: u16 = 0x2000;
/// Fragment offset (in 8-byte units) in the flags/fragment-offset word.
const FRAG_OFFSET_MASK: u16 = 0x1FFF;

labelled_error! {
    /// Why an IPv4 packet was refused.
    pub enum Ipv4Error {
        /// Shorter than the 20-byte minimum header.
        Truncated => "truncated",
        /// Version field is not 4.
        BadVersion => "bad_version",
        /// IHL below 5 (header shorter than 20 bytes).
        HeaderLengthTooShort => "header_length_too_short",
        /// IHL * 4 is more than the frame holds.
        HeaderBeyondFrame => "header_beyond_frame",
        /// Total length smaller than the header length.
        TotalLengthBelowHeader => "total_length_below_header",
        /// Total length is more than the frame holds.
        TotalLengthBeyondFrame => "total_length_beyond_frame",
        /// Header checksum does not verify (only from `check_checksum`).
        BadChecksum => "bad_checksum",
    }
}

/// A view of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps `buffer` after the RFC 1812 §5.2.2 length and version checks.
    pub fn new_checked(buffer: T) -> Result<Self, Ipv4Error> {
        let b = buffer.as_ref();
        if b.len() < MIN_HEADER_LEN {
            return Err(Ipv4Error::Truncated);
        }
        if b[field::VER_IHL] >> 4 != 4 {
            return Err(Ipv4Error::BadVersion);
        }
        let header_len = usize::from(b[field::VER_IHL] & 0x0F) * 4;
        if header_len < MIN_HEADER_LEN {
            return Err(Ipv4Error::HeaderLengthTooShort);
        }
        if header_len > b.len() {
            return Err(Ipv4Error::HeaderBeyondFrame);
        }
        let total_len = usize::from(read_u16(b, field::TOTAL_LEN));
        if total_len < header_len {
            return Err(Ipv4Error::TotalLengthBelowHeader);
        }
        if total_len > b.len() {
            return Err(Ipv4Error::TotalLengthBeyondFrame);
        }
        Ok(Ipv4Packet { buffer })
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The whole underlying buffer (including any padding after total length).
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Version (4 after `new_checked`).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// Internet Header Length in 32-bit words.
    pub fn ihl(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] & 0x0F
    }

    /// Header length in bytes (`ihl * 4`).
    pub fn header_len(&self) -> usize {
        usize::from(self.ihl()) * 4
    }

    /// The DSCP/ECN byte (former TOS).
    pub fn dscp_ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN]
    }

    /// Differentiated Services Code Point (RFC 2474).
    pub fn dscp(&self) -> u8 {
        self.dscp_ecn() >> 2
    }

    /// Explicit Congestion Notification bits (RFC 3168).
    pub fn ecn(&self) -> u8 {
        self.dscp_ecn() & 0x03
    }

    /// Total length (header + payload) in bytes.
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::TOTAL_LEN)
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// The three flag bits (reserved, DF, MF) as the top bits of a `u8`: `0b0DM`.
    pub fn flags(&self) -> u8 {
        (read_u16(self.buffer.as_ref(), field::FLAGS_FRAG) >> 13) as u8
    }

    /// Don't Fragment.
    pub fn dont_frag(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLAGS_FRAG) & FLAG_DF != 0
    }

    /// More Fragments.
    pub fn more_frags(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLAGS_FRAG) & FLAG_MF != 0
    }

    /// Fragment offset in 8-byte units (the raw field).
    pub fn frag_offset(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLAGS_FRAG) & FRAG_OFFSET_MASK
    }

    /// Fragment offset in bytes.
    pub fn frag_offset_bytes(&self) -> u32 {
        u32::from(self.frag_offset()) * 8
    }

    /// Part of a fragmented datagram (MF set or offset non-zero).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// A fragment other than the first: it carries no L4 header.
    pub fn is_non_first_fragment(&self) -> bool {
        self.frag_offset() != 0
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// Protocol number of the payload.
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }

    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.src_u32())
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.dst_u32())
    }

    /// Source address as a host-order integer (for LPM keys and hashing).
    pub fn src_u32(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SRC.start)
    }

    /// Destination address as a host-order integer.
    pub fn dst_u32(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::DST.start)
    }

    /// Clamped `(header_len, total_len)` so slicing can never panic, even
    /// after a setter wrote an inconsistent IHL or total length.
    fn bounds(&self) -> (usize, usize) {
        let len = self.buffer.as_ref().len();
        let end = usize::from(self.total_len()).min(len);
        let start = self.header_len().clamp(MIN_HEADER_LEN.min(end), end);
        (start, end)
    }

    /// The header, options included.
    pub fn header(&self) -> &[u8] {
        let (hl, _) = self.bounds();
        &self.buffer.as_ref()[..hl]
    }

    /// The options (bytes 20..header_len), possibly empty.
    pub fn options(&self) -> &[u8] {
        let (hl, _) = self.bounds();
        &self.buffer.as_ref()[field::OPTIONS.min(hl)..hl]
    }

    /// The payload, `header_len..total_len` (link padding excluded).
    pub fn payload(&self) -> &[u8] {
        let (hl, tl) = self.bounds();
        &self.buffer.as_ref()[hl..tl]
    }

    /// The whole datagram, `0..total_len` (link padding excluded).
    pub fn datagram(&self) -> &[u8] {
        let (_, tl) = self.bounds();
        &self.buffer.as_ref()[..tl]
    }

    /// True when the header checksum verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.header()) == 0xFFFF
    }

    /// [`verify_checksum`](Self::verify_checksum) as a named check.
    pub fn check_checksum(&self) -> Result<(), Ipv4Error> {
        if self.verify_checksum() {
            Ok(())
        } else {
            Err(Ipv4Error::BadChecksum)
        }
    }
}

impl<'a> Ipv4Packet<&'a [u8]> {
    /// The payload with the buffer's lifetime rather than the view's.
    pub fn into_payload(self) -> &'a [u8] {
        let (hl, tl) = self.bounds();
        &self.buffer[hl..tl]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets version 4 and the header length in bytes (a multiple of 4, 20..=60).
    pub fn set_version_and_header_len(&mut self, header_len: usize) {
        self.buffer.as_mut()[field::VER_IHL] = 0x40 | ((header_len / 4) as u8 & 0x0F);
    }

    /// Sets the DSCP/ECN byte.
    pub fn set_dscp_ecn(&mut self, v: u8) {
        self.buffer.as_mut()[field::DSCP_ECN] = v;
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::TOTAL_LEN, v);
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::IDENT, v);
    }

    /// Sets DF, MF and the fragment offset (8-byte units, 13 bits); the
    /// reserved bit is cleared.
    pub fn set_flags_and_frag_offset(&mut self, df: bool, mf: bool, frag_offset: u16) {
        let mut w = frag_offset & FRAG_OFFSET_MASK;
        if df {
            w |= FLAG_DF;
        }
        if mf {
            w |= FLAG_MF;
        }
        write_u16(self.buffer.as_mut(), field::FLAGS_FRAG, w);
    }

    /// Sets the TTL (checksum not updated; see [`decrement_ttl`](Self::decrement_ttl)).
    pub fn set_ttl(&mut self, v: u8) {
        self.buffer.as_mut()[field::TTL] = v;
    }

    /// Sets the protocol.
    pub fn set_protocol(&mut self, v: u8) {
        self.buffer.as_mut()[field::PROTOCOL] = v;
    }

    /// Sets the header checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Sets the source address (checksum not updated).
    pub fn set_src_addr(&mut self, ip: Ipv4Addr) {
        write_u32(self.buffer.as_mut(), field::SRC.start, ip.into());
    }

    /// Sets the destination address (checksum not updated).
    pub fn set_dst_addr(&mut self, ip: Ipv4Addr) {
        write_u32(self.buffer.as_mut(), field::DST.start, ip.into());
    }

    /// Recomputes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        let c = checksum::ipv4_header(self.header());
        self.set_checksum(c);
    }

    /// Decrements the TTL and updates the checksum incrementally per
    /// RFC 1624 eqn. 3 over the TTL/protocol word. Returns the new TTL.
    ///
    /// The caller checks TTL first (RFC 1812 §5.3.1: a packet arriving with
    /// TTL <= 1 is not forwarded); at TTL 0 this does nothing and returns 0.
    #[inline]
    pub fn decrement_ttl(&mut self) -> u8 {
        let ttl = self.ttl();
        if ttl == 0 {
            return 0;
        }
        let proto = self.protocol();
        let old = u16::from_be_bytes([ttl, proto]);
        let new = u16::from_be_bytes([ttl - 1, proto]);
        let c = checksum::incremental_update16(self.checksum(), old, new);
        self.set_ttl(ttl - 1);
        self.set_checksum(c);
        ttl - 1
    }

    /// Mutable options (bytes 20..header_len).
    pub fn options_mut(&mut self) -> &mut [u8] {
        let (hl, _) = self.bounds();
        &mut self.buffer.as_mut()[field::OPTIONS.min(hl)..hl]
    }

    /// Mutable payload, `header_len..total_len`.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (hl, tl) = self.bounds();
        &mut self.buffer.as_mut()[hl..tl]
    }
}

#[cfg(test)]
#[path = "ipv4_tests.rs"]
mod tests;
