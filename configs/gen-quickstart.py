#!/usr/bin/env python3
"""Writes the quickstart captures (configs/quickstart-p0.pcap, quickstart-p1.pcap).

Standard library only. The topology is the one in configs/quickstart.yaml:

    host A 192.0.2.10 / 2001:db8:0:1::10      router p0 192.0.2.1 / 2001:db8:0:1::1
        (02:aa:00:00:00:0a)  ---- p0 ----     (02:00:00:00:00:01)
    router p1 198.51.100.1 / 2001:db8:0:2::1  ---- p1 ----  routers B1 198.51.100.2,
        (02:00:00:00:00:02), MTU 1400                        B2 198.51.100.3 / 2001:db8:0:2::2

p0 carries traffic from host A: flows to routed prefixes (single next hop and
ECMP), and packets that must be dropped or answered (TTL 1, no route, bad
checksum, ARP request, echo requests, neighbour solicitation, too big,
malformed). p1 carries return traffic from the B routers to host A.

Run: python3 configs/gen-quickstart.py   (rewrites both files)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

R0 = bytes.fromhex("020000000001")
R1 = bytes.fromhex("020000000002")
HOST_A = bytes.fromhex("02aa0000000a")
B1 = bytes.fromhex("02bb00000002")
BCAST = b"\xff" * 6


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ttl=64, df=False, ident=1, bad_csum=False):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000 if df else 0,
                      ttl, proto, 0, ip4(src), ip4(dst))
    c = csum(hdr)
    if bad_csum:
        c ^= 0x5555
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def udp4(src, dst, sport, dport, data):
    length = 8 + len(data)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, length)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo + hdr + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + data


def icmp4(typ, code, rest, data):
    msg = struct.pack("!BBH", typ, code, 0) + rest + data
    c = csum(msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + ip6(src) + ip6(dst) + payload


def l4sum6(src, dst, nh, data):
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(data), nh)
    return csum(pseudo + data)


def udp6(src, dst, sport, dport, data):
    length = 8 + len(data)
    hdr = struct.pack("!HHHH", sport, dport, length, 0) + data
    c = l4sum6(src, dst, 17, hdr) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + data


def icmp6(src, dst, typ, code, body):
    msg = struct.pack("!BBH", typ, code, 0) + body
    c = l4sum6(src, dst, 58, msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def arp_request(sha, spa, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sha, ip4(spa), b"\0" * 6, ip4(tpa))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000, i, len(fr), len(fr)) + fr)


def v4(src, dst, payload, **kw):
    return eth(R0, HOST_A, 0x0800, ipv4(src, dst, 17, payload, **kw))


def main():
    a4, a6 = "192.0.2.10", "2001:db8:0:1::10"
    p0 = []
    # 1. IPv4 flows to 203.0.113.0/24 (via B1) and 198.18.0.0/15 (ECMP B1/B2).
    for i in range(16):
        p0.append(v4(a4, "203.0.113.%d" % (i + 1), udp4(a4, "203.0.113.%d" % (i + 1), 40000 + i, 53, b"quickstart-v4 %02d" % i)))
    for i in range(16):
        dst = "198.18.%d.%d" % (i, i + 1)
        p0.append(v4(a4, dst, udp4(a4, dst, 41000 + i, 443, b"quickstart-ecmp %02d" % i)))
    # 2. IPv6 flows to 2001:db8:100::/48 (via B1).
    for i in range(16):
        dst = "2001:db8:100::%x" % (i + 1)
        p0.append(eth(R0, HOST_A, 0x86DD, ipv6(a6, dst, 17, udp6(a6, dst, 42000 + i, 53, b"quickstart-v6 %02d" % i))))
    # 3. TTL 1 and hop limit 1: answered with time exceeded.
    p0.append(eth(R0, HOST_A, 0x0800, ipv4(a4, "203.0.113.99", 17, udp4(a4, "203.0.113.99", 33434, 33434, b"traceroute"), ttl=1)))
    p0.append(eth(R0, HOST_A, 0x86DD, ipv6(a6, "2001:db8:100::99", 17, udp6(a6, "2001:db8:100::99", 33434, 33434, b"traceroute6"), hlim=1)))
    # 4. No route: answered with destination unreachable.
    p0.append(v4(a4, "8.8.8.8", udp4(a4, "8.8.8.8", 40100, 53, b"no route")))
    p0.append(eth(R0, HOST_A, 0x86DD, ipv6(a6, "2001:4860::8888", 17, udp6(a6, "2001:4860::8888", 40100, 53, b"no route v6"))))
    # 5. Bad IPv4 header checksum: dropped.
    p0.append(v4(a4, "203.0.113.7", udp4(a4, "203.0.113.7", 40200, 53, b"bad checksum"), bad_csum=True))
    # 6. ARP request for the router: answered.
    p0.append(eth(BCAST, HOST_A, 0x0806, arp_request(HOST_A, a4, "192.0.2.1")))
    # 7. Echo requests to the router: answered.
    p0.append(eth(R0, HOST_A, 0x0800, ipv4(a4, "192.0.2.1", 1, icmp4(8, 0, struct.pack("!HH", 0x1234, 1), b"ping silkroute"))))
    p0.append(eth(R0, HOST_A, 0x86DD, ipv6(a6, "2001:db8:0:1::1", 58, icmp6(a6, "2001:db8:0:1::1", 128, 0, struct.pack("!HH", 0x1234, 1) + b"ping6 silkroute"))))
    # 8. Neighbour solicitation for the router's address: answered.
    target = "2001:db8:0:1::1"
    sn = "ff02::1:ff00:1"
    ns = icmp6(a6, sn, 135, 0, b"\0\0\0\0" + ip6(target) + b"\x01\x01" + HOST_A)
    p0.append(eth(bytes.fromhex("3333ff000001"), HOST_A, 0x86DD, ipv6(a6, sn, 58, ns, hlim=255)))
    # 9. Too big for p1's MTU 1400 with DF: answered with fragmentation needed.
    big = b"x" * 1450
    p0.append(v4(a4, "203.0.113.8", udp4(a4, "203.0.113.8", 40300, 9, big), df=True))
    # 10. Malformed: truncated IPv4 header, IHL < 5.
    p0.append(eth(R0, HOST_A, 0x0800, ipv4(a4, "203.0.113.9", 17, b"")[:12]))
    bad_ihl = bytearray(ipv4(a4, "203.0.113.9", 17, b"\0" * 8))
    bad_ihl[0] = 0x44
    p0.append(eth(R0, HOST_A, 0x0800, bytes(bad_ihl)))
    # 11. A frame for another station: dropped.
    p0.append(eth(bytes.fromhex("02cc00000001"), HOST_A, 0x0800, ipv4(a4, "203.0.113.10", 17, udp4(a4, "203.0.113.10", 1, 2, b"other host"))))

    p1 = []
    # Return traffic from B1 to host A (static neighbour on p0).
    for i in range(16):
        src = "203.0.113.%d" % (i + 1)
        p1.append(eth(R1, B1, 0x0800, ipv4(src, a4, 17, udp4(src, a4, 53, 40000 + i, b"reply-v4 %02d" % i))))
    for i in range(16):
        src = "2001:db8:100::%x" % (i + 1)
        p1.append(eth(R1, B1, 0x86DD, ipv6(src, a6, 17, udp6(src, a6, 53, 42000 + i, b"reply-v6 %02d" % i))))
    write_pcap(os.path.join(HERE, "quickstart-p0.pcap"), p0)
    write_pcap(os.path.join(HERE, "quickstart-p1.pcap"), p1)
    print("wrote %d + %d frames" % (len(p0), len(p1)))


if __name__ == "__main__":
    main()
