//! Where packets go when they are not forwarded: a closed set of drop
//! reasons and a closed set of punt (exception) reasons, declared once.
//! Each is a counter per port; the control plane turns the names into
//! metric labels.

macro_rules! reasons {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order (index = `as usize`).
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Number of variants.
            pub const COUNT: usize = Self::ALL.len();

            /// The static label (`<stage>_<reason>`) used in counters and logs.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

reasons! {
    /// Why a packet was dropped by a worker.
    DropReason {
        /// Frame shorter than an Ethernet header.
        L2Truncated => "l2_truncated",
        /// A VLAN tag runs past the end of the frame.
        L2VlanTruncated => "l2_vlan_truncated",
        /// More than two VLAN tags.
        L2TooManyVlans => "l2_too_many_vlans",
        /// Tagged frame for a VLAN with no interface.
        L2UnknownVlan => "l2_unknown_vlan",
        /// Unicast frame for another station's MAC.
        L2OtherHost => "l2_other_host",
        /// Source MAC is multicast or broadcast (invalid, IEEE 802.3).
        L2BadSource => "l2_bad_source",
        /// EtherType the router does not handle.
        L2UnknownEthertype => "l2_unknown_ethertype",
        /// ARP that is not Ethernet/IPv4 or is cut short.
        ArpMalformed => "arp_malformed",
        /// IPv4 header cut short by the frame.
        Ipv4Truncated => "ipv4_truncated",
        /// IP version field is not 4 (RFC 1812 §5.2.2).
        Ipv4BadVersion => "ipv4_bad_version",
        /// IHL below 5 words (RFC 1812 §5.2.2).
        Ipv4HeaderLength => "ipv4_header_length",
        /// IHL points past the end of the frame.
        Ipv4HeaderBeyondFrame => "ipv4_header_beyond_frame",
        /// Total length smaller than the header (RFC 1812 §5.2.2).
        Ipv4TotalLengthBelowHeader => "ipv4_total_length_below_header",
        /// Total length larger than the frame (RFC 1812 §5.2.2).
        Ipv4TotalLengthBeyondFrame => "ipv4_total_length_beyond_frame",
        /// Header checksum does not verify (RFC 1812 §5.2.2).
        Ipv4BadChecksum => "ipv4_bad_checksum",
        /// Source that must never be forwarded from (RFC 1812 §5.3.7):
        /// 0/8, 127/8, 169.254/16, multicast, class E, limited broadcast.
        Ipv4MartianSource => "ipv4_martian_source",
        /// Destination that must never be forwarded to (RFC 1812 §5.3.7):
        /// 0/8, 127/8, 169.254/16, class E.
        Ipv4MartianDestination => "ipv4_martian_destination",
        /// Multicast destination (no multicast routing).
        Ipv4MulticastDestination => "ipv4_multicast_destination",
        /// Limited or directed broadcast destination (RFC 2644: not forwarded).
        Ipv4BroadcastDestination => "ipv4_broadcast_destination",
        /// Unicast IPv4 packet received in a link-layer broadcast or
        /// multicast frame (RFC 1812 §5.3.4).
        Ipv4LinkBroadcast => "ipv4_link_broadcast",
        /// IPv6 header cut short by the frame.
        Ipv6Truncated => "ipv6_truncated",
        /// IP version field is not 6.
        Ipv6BadVersion => "ipv6_bad_version",
        /// Payload length larger than the frame.
        Ipv6PayloadBeyondFrame => "ipv6_payload_beyond_frame",
        /// An extension header runs past the payload.
        Ipv6ExtensionTruncated => "ipv6_extension_truncated",
        /// Extension-header chain longer than the router walks.
        Ipv6ExtensionChainTooLong => "ipv6_extension_chain_too_long",
        /// Jumbogram (payload length 0 with a Jumbo Payload option): no link
        /// here carries one (RFC 2675).
        Ipv6Jumbogram => "ipv6_jumbogram",
        /// Source that must never be forwarded from (RFC 4291): ::, ::1,
        /// multicast.
        Ipv6MartianSource => "ipv6_martian_source",
        /// Destination that must never be forwarded to (RFC 4291): ::, ::1.
        Ipv6MartianDestination => "ipv6_martian_destination",
        /// Multicast destination not for the router (no multicast routing).
        Ipv6MulticastDestination => "ipv6_multicast_destination",
        /// Link-local source or destination on a packet to forward
        /// (RFC 4291 §2.5.6: routers must not forward them).
        Ipv6LinkLocal => "ipv6_link_local",
        /// Hop-by-Hop Options header not right after the IPv6 header
        /// (RFC 8200 §4.3).
        Ipv6HopByHopNotFirst => "ipv6_hop_by_hop_not_first",
        /// Unicast IPv6 packet received in a link-layer multicast frame.
        Ipv6LinkBroadcast => "ipv6_link_broadcast",
        /// Route points to a discard target.
        RouteBlackhole => "route_blackhole",
        /// The exception ring to the control plane was full.
        ExceptionRingFull => "exception_ring_full",
        /// Over the worker's exception rate (control-plane protection).
        ExceptionRateLimited => "exception_rate_limited",
        /// The transmit queue refused the packet.
        TxQueueFull => "tx_queue_full",
        /// No buffer to carry a packet injected by the control plane.
        InjectNoBuffer => "inject_no_buffer",
        /// Injected packet for a port this worker has no queue on.
        InjectBadPort => "inject_bad_port",
    }
}

reasons! {
    /// Why a packet was handed to the control plane instead of forwarded.
    PuntReason {
        /// Addressed to one of the router's own addresses.
        Local => "local",
        /// ARP request or reply.
        Arp => "arp",
        /// Neighbour Discovery (RFC 4861) or other link-scope ICMPv6 for
        /// the router.
        Ndp => "ndp",
        /// TTL or hop limit would reach 0 (ICMP time exceeded).
        TtlExpired => "ttl_expired",
        /// No route (ICMP destination unreachable).
        NoRoute => "no_route",
        /// The next hop's MAC is not known yet (neighbour resolution).
        NeighborUnresolved => "neighbor_unresolved",
        /// Larger than the egress MTU (fragmentation needed / packet too big).
        TooBig => "too_big",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_indices_dense() {
        let mut seen = std::collections::HashSet::new();
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
            assert!(seen.insert(r.as_str()));
        }
        for (i, r) in PuntReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
            assert!(seen.insert(r.as_str()));
        }
    }
}
