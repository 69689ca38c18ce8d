//! The whole receive path on one frame: parse, validate, look up and
//! rewrite (`forward_one`, arriving on each of the test FIB's ports), and
//! for a punt, the control plane's exception handler over the same
//! exception/inject rings a worker uses.
//!
//! Checked beyond "no panic": a frame is written only when forwarded (and
//! then keeps its length); the batched lookup agrees with the single one;
//! every reply the handler sends is a well-formed Ethernet frame that fits
//! a slot, with a valid IPv4 header checksum, and an ICMP error never
//! answers an ICMP error (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e.1)).
#![no_main]

use libfuzzer_sys::fuzz_target;
use silkroute_control_plane::exception::ExceptionHandler;
use silkroute_fuzz::{fib, handler_config};
use silkroute_packet::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use silkroute_packet::{icmp, icmpv6, ipv4, ipv6, parse_l2, Ipv4Packet, Ipv6Packet};
use silkroute_router::exception::{self, SLOT_BYTES};
use silkroute_router::fib::Fib;
use silkroute_router::forward::{classify, forward_one, Classified, Pending, Verdict};

fuzz_target!(|data: &[u8]| {
    let fib = fib();
    for in_port in 0..fib.ports.len() as u16 {
        let mut frame = data.to_vec();
        let verdict = forward_one(&mut frame, in_port, fib);
        match verdict {
            Verdict::Forward(out) => {
                assert!(usize::from(out) < fib.ports.len(), "egress {out} unknown");
                assert_eq!(frame.len(), data.len());
            }
            Verdict::Drop(_) => assert_eq!(frame, data, "a dropped frame was written"),
            Verdict::Punt(reason, info) => {
                assert_eq!(frame, data, "a punted frame was written");
                let _ = reason.as_str();
                handle_punt(&frame, in_port, reason, info, fib);
            }
        }
        batched_lookup_agrees(data, in_port, fib);
    }
});

/// The worker looks destinations up in batches; one key must give what
/// `forward_one`'s single lookup gave.
fn batched_lookup_agrees(data: &[u8], in_port: u16, fib: &Fib) {
    let Some(port) = fib.ports.get(usize::from(in_port)) else {
        return;
    };
    match classify(data, &port.mac) {
        Classified::Lookup(Pending::V4 { dst, .. }) => {
            let mut out = [0u32; 1];
            fib.v4.lookup_batch(&[dst], &mut out);
            assert_eq!(out[0], fib.v4.lookup(dst));
        }
        Classified::Lookup(Pending::V6 { dst, .. }) => {
            let mut out = [0u32; 1];
            fib.v6.lookup_batch(&[dst], &mut out);
            assert_eq!(out[0], fib.v6.lookup(dst));
        }
        Classified::Done(_) => {}
    }
}

/// Hands the punt to a fresh exception handler the way a worker does (a
/// slot on its exception ring) and checks what comes back on the inject
/// ring.
fn handle_punt(
    frame: &[u8],
    in_port: u16,
    reason: silkroute_router::forward::reason::PuntReason,
    info: silkroute_router::exception::PuntInfo,
    fib: &Fib,
) {
    let (mut worker, mut control) = exception::rings(2, 4);
    let queued = worker.exceptions.push_with(|slot| {
        let len = frame.len().min(SLOT_BYTES);
        slot.reason = reason;
        slot.in_port = in_port;
        slot.info = info;
        slot.fib_generation = fib.generation;
        slot.orig_len = frame.len() as u32;
        slot.len = len as u16;
        slot.data[..len].copy_from_slice(&frame[..len]);
    });
    assert!(queued);
    let mut handler = ExceptionHandler::new(handler_config());
    assert_eq!(handler.drain(0, &mut control, fib), 1);
    while let Some(()) = worker.inject.pop_with(|slot| {
        assert!(
            usize::from(slot.port) < fib.ports.len(),
            "reply to port {}",
            slot.port
        );
        check_reply(slot.frame());
    }) {}
}

fn check_reply(reply: &[u8]) {
    assert!(
        reply.len() >= 60 && reply.len() <= SLOT_BYTES,
        "reply of {} bytes",
        reply.len()
    );
    let l2 = parse_l2(reply).unwrap_or_else(|e| panic!("reply with bad L2: {e}"));
    assert_eq!(l2.vlan_count, 0, "replies are untagged");
    let l3 = &reply[l2.l3_offset..];
    match l2.ethertype {
        ETHERTYPE_IPV4 => {
            let ip = Ipv4Packet::new_checked(l3).unwrap_or_else(|e| panic!("reply: {e}"));
            assert!(
                ip.verify_checksum(),
                "reply with a bad IPv4 header checksum"
            );
            if ip.protocol() == ipv4::PROTO_ICMP {
                let msg = ip.payload();
                if msg.first().is_some_and(|t| icmp::is_error_type(*t)) {
                    assert!(!quotes_icmpv4_error(msg.get(8..).unwrap_or(&[])));
                }
            }
        }
        ETHERTYPE_IPV6 => {
            let ip = Ipv6Packet::new_checked(l3).unwrap_or_else(|e| panic!("reply: {e}"));
            if ip.next_header() == ipv6::NH_ICMPV6 {
                let msg = ip.payload();
                if msg.first().is_some_and(|t| icmpv6::is_error_type(*t)) {
                    assert!(!quotes_icmpv6_error(msg.get(8..).unwrap_or(&[])));
                }
            }
        }
        _ => {}
    }
}

/// True when the quoted invoking datagram is itself an ICMP error.
fn quotes_icmpv4_error(quoted: &[u8]) -> bool {
    let Some(&ver_ihl) = quoted.first() else {
        return false;
    };
    let ihl = usize::from(ver_ihl & 0xf) * 4;
    let frag = quoted
        .get(6..8)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) & 0x1fff);
    quoted.get(9) == Some(&ipv4::PROTO_ICMP)
        && frag == 0
        && quoted.get(ihl).is_some_and(|t| icmp::is_error_type(*t))
}

/// True when the quoted invoking packet carries an ICMPv6 error right
/// after its fixed header (extension chains are the builder's own walk).
fn quotes_icmpv6_error(quoted: &[u8]) -> bool {
    quoted.get(6) == Some(&ipv6::NH_ICMPV6)
        && quoted
            .get(ipv6::HEADER_LEN)
            .is_some_and(|t| icmpv6::is_error_type(*t))
}
