//! IPv6 headers (RFC 8200) as checked-once views, and a bounded walk of the
//! extension-header chain to find the upper-layer protocol.
//!
//! The payload is bounded by the Payload Length field, never by the frame:
//! bytes after `40 + payload_len` are link padding and ignored.
//!
//! Jumbograms (RFC 2675: Payload Length 0 with a Hop-by-Hop header carrying
//! the Jumbo Payload option) only exist on links with an MTU above 65 575
//! bytes, which no silkroute port has; they are refused as
//! [`Ipv6Error::Jumbogram`] so they get their own drop counter.

use std::net::Ipv6Addr;

use crate::{labelled_error, read_u16, read_u32};

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = 40;
/// Next header: Hop-by-Hop Options.
pub const NH_HOP_BY_HOP: u8 = 0;
/// Next header: TCP.
pub const NH_TCP: u8 = 6;
/// Next header: UDP.
pub const NH_UDP: u8 = 17;
/// Next header: Routing.
pub const NH_ROUTING: u8 = 43;
/// Next header: Fragment.
pub const NH_FRAGMENT: u8 = 44;
/// Next header: Encapsulating Security Payload (opaque, the walk stops).
pub const NH_ESP: u8 = 50;
/// Next header: Authentication Header.
pub const NH_AH: u8 = 51;
/// Next header: ICMPv6.
pub const NH_ICMPV6: u8 = 58;
/// Next header: No Next Header.
pub const NH_NONE: u8 = 59;
/// Next header: Destination Options.
pub const NH_DEST_OPTS: u8 = 60;

/// The walk gives up after this many extension headers. RFC 8200 §4.1
/// recommends at most one of each (two Destination Options), i.e. six; 8
/// leaves room for AH and a Mobility-style extra while bounding the work a
/// crafted packet can cause (RFC 7112 motivates keeping chains short).
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// Length of a Fragment extension header.
const FRAGMENT_HEADER_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const VER_TC_FLOW: usize = 0;
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
}

labelled_error! {
    /// Why an IPv6 packet was refused.
    pub enum Ipv6Error {
        /// Shorter than the 40-byte fixed header.
        Truncated => "truncated",
        /// Version field is not 6.
        BadVersion => "bad_version",
        /// 40 + Payload Length is more than the frame holds.
        PayloadBeyondFrame => "payload_beyond_frame",
        /// Payload Length 0 with a Hop-by-Hop header: a jumbogram (RFC 2675),
        /// unsupported.
        Jumbogram => "jumbogram",
        /// An extension header runs past the end of the payload.
        ExtensionHeaderTruncated => "extension_header_truncated",
        /// More than [`MAX_EXTENSION_HEADERS`] extension headers.
        ExtensionChainTooLong => "extension_chain_too_long",
        /// A Hop-by-Hop header that does not immediately follow the IPv6
        /// header (RFC 8200 §4.3; ICMPv6 Parameter Problem code 1).
        HopByHopNotFirst => "hop_by_hop_not_first",
    }
}

/// What the Fragment header said, if one was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Fragment offset in 8-byte units.
    pub offset: u16,
    /// More Fragments.
    pub more: bool,
    /// Identification.
    pub ident: u32,
}

/// The end of the extension-header walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// Upper-layer protocol (or 50 ESP / 59 No Next Header / unknown).
    pub protocol: u8,
    /// Offset of the upper-layer header from the start of the IPv6 header;
    /// `offset <= 40 + payload_len`.
    pub offset: usize,
    /// The Fragment header, if the chain had one.
    pub fragment: Option<Ipv6Fragment>,
    /// Number of extension headers walked.
    pub ext_headers: u8,
}

impl UpperLayer {
    /// A fragment with non-zero offset: what follows is not an upper-layer
    /// header, so there are no ports to read.
    pub fn is_non_first_fragment(&self) -> bool {
        matches!(self.fragment, Some(f) if f.offset != 0)
    }
}

/// A view of an IPv6 packet.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }

    /// Wraps `buffer` after the length, version and jumbogram checks. The
    /// extension headers are only walked by [`upper_layer`](Self::upper_layer).
    pub fn new_checked(buffer: T) -> Result<Self, Ipv6Error> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Ipv6Error::Truncated);
        }
        if b[field::VER_TC_FLOW] >> 4 != 6 {
            return Err(Ipv6Error::BadVersion);
        }
        let payload_len = usize::from(read_u16(b, field::PAYLOAD_LEN));
        if payload_len == 0 && b[field::NEXT_HEADER] == NH_HOP_BY_HOP {
            return Err(Ipv6Error::Jumbogram);
        }
        if HEADER_LEN + payload_len > b.len() {
            return Err(Ipv6Error::PayloadBeyondFrame);
        }
        Ok(Ipv6Packet { buffer })
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The whole underlying buffer (including any link padding).
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn word0(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VER_TC_FLOW)
    }

    /// Version (6 after `new_checked`).
    pub fn version(&self) -> u8 {
        (self.word0() >> 28) as u8
    }

    /// Traffic class (DSCP << 2 | ECN).
    pub fn traffic_class(&self) -> u8 {
        (self.word0() >> 20) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        self.word0() & 0x000F_FFFF
    }

    /// Payload length (extension headers included).
    pub fn payload_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PAYLOAD_LEN)
    }

    /// Next header of the fixed header.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.src_u128())
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.dst_u128())
    }

    /// Source address as a host-order integer (for LPM keys and hashing).
    pub fn src_u128(&self) -> u128 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.buffer.as_ref()[field::SRC]);
        u128::from_be_bytes(b)
    }

    /// Destination address as a host-order integer.
    pub fn dst_u128(&self) -> u128 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.buffer.as_ref()[field::DST]);
        u128::from_be_bytes(b)
    }

    /// End of the packet, clamped to the buffer so slicing never panics.
    fn end(&self) -> usize {
        (HEADER_LEN + usize::from(self.payload_len())).min(self.buffer.as_ref().len())
    }

    /// The payload after the fixed header (extension headers included),
    /// bounded by Payload Length.
    pub fn payload(&self) -> &[u8] {
        let end = self.end();
        &self.buffer.as_ref()[HEADER_LEN..end]
    }

    /// The whole packet, `0..40 + payload_len` (link padding excluded).
    pub fn datagram(&self) -> &[u8] {
        let end = self.end();
        &self.buffer.as_ref()[..end]
    }

    /// Walks the extension headers (at most [`MAX_EXTENSION_HEADERS`]) to
    /// the upper-layer header.
    ///
    /// Walks Hop-by-Hop (0, only first), Routing (43), Destination Options
    /// (60): length `(hdr_ext_len + 1) * 8`; Fragment (44): 8 bytes; AH
    /// (51): `(payload_len + 2) * 4` (RFC 4302 §2.2). Stops at anything
    /// else, including ESP (50) and No Next Header (59), and right after a
    /// non-first Fragment header, whose following bytes are the middle of
    /// the fragmentable part.
    pub fn upper_layer(&self) -> Result<UpperLayer, Ipv6Error> {
        let b = self.buffer.as_ref();
        let end = self.end();
        let mut out = UpperLayer {
            protocol: self.next_header(),
            offset: HEADER_LEN,
            fragment: None,
            ext_headers: 0,
        };
        loop {
            let nh = out.protocol;
            let len = match nh {
                NH_HOP_BY_HOP | NH_ROUTING | NH_DEST_OPTS | NH_AH | NH_FRAGMENT => {
                    if nh == NH_HOP_BY_HOP && out.ext_headers != 0 {
                        return Err(Ipv6Error::HopByHopNotFirst);
                    }
                    if usize::from(out.ext_headers) == MAX_EXTENSION_HEADERS {
                        return Err(Ipv6Error::ExtensionChainTooLong);
                    }
                    if out.offset + 2 > end {
                        return Err(Ipv6Error::ExtensionHeaderTruncated);
                    }
                    let len_field = usize::from(b[out.offset + 1]);
                    match nh {
                        NH_FRAGMENT => FRAGMENT_HEADER_LEN,
                        NH_AH => (len_field + 2) * 4,
                        _ => (len_field + 1) * 8,
                    }
                }
                _ => return Ok(out),
            };
            if out.offset + len > end {
                return Err(Ipv6Error::ExtensionHeaderTruncated);
            }
            let hdr = &b[out.offset..out.offset + len];
            out.protocol = hdr[0];
            out.offset += len;
            out.ext_headers += 1;
            if nh == NH_FRAGMENT {
                let w = read_u16(hdr, 2);
                let frag = Ipv6Fragment {
                    offset: w >> 3,
                    more: w & 1 != 0,
                    ident: read_u32(hdr, 4),
                };
                out.fragment = Some(frag);
                if frag.offset != 0 {
                    return Ok(out);
                }
            }
        }
    }
}

impl<'a> Ipv6Packet<&'a [u8]> {
    /// The payload with the buffer's lifetime rather than the view's.
    pub fn into_payload(self) -> &'a [u8] {
        let end = self.end();
        &self.buffer[HEADER_LEN..end]
    }

    /// The datagram (`0..40 + payload_len`) with the buffer's lifetime.
    pub fn into_datagram(self) -> &'a [u8] {
        let end = self.end();
        &self.buffer[..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn set_word0(&mut self, w: u32) {
        crate::write_u32(self.buffer.as_mut(), field::VER_TC_FLOW, w);
    }

    /// Writes version 6, the traffic class and the flow label at once.
    pub fn set_version_tc_flow(&mut self, traffic_class: u8, flow_label: u32) {
        self.set_word0((6 << 28) | (u32::from(traffic_class) << 20) | (flow_label & 0x000F_FFFF));
    }

    /// Sets the traffic class.
    pub fn set_traffic_class(&mut self, tc: u8) {
        let w = (self.word0() & 0xF00F_FFFF) | (u32::from(tc) << 20);
        self.set_word0(w);
    }

    /// Sets the flow label (low 20 bits of `label`).
    pub fn set_flow_label(&mut self, label: u32) {
        let w = (self.word0() & 0xFFF0_0000) | (label & 0x000F_FFFF);
        self.set_word0(w);
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, v: u16) {
        crate::write_u16(self.buffer.as_mut(), field::PAYLOAD_LEN, v);
    }

    /// Sets the next header of the fixed header.
    pub fn set_next_header(&mut self, v: u8) {
        self.buffer.as_mut()[field::NEXT_HEADER] = v;
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = v;
    }

    /// Decrements the hop limit (IPv6 has no header checksum). The caller
    /// checks it first (RFC 8200 §3: a packet with hop limit <= 1 is not
    /// forwarded); at 0 this does nothing. Returns the new hop limit.
    #[inline]
    pub fn decrement_hop_limit(&mut self) -> u8 {
        let h = self.hop_limit().saturating_sub(1);
        self.set_hop_limit(h);
        h
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, ip: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&ip.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, ip: Ipv6Addr) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&ip.octets());
    }

    /// Mutable payload, bounded by Payload Length.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.end();
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

#[cfg(test)]
#[path = "ipv6_tests.rs"]
mod tests;
