#!/usr/bin/env bash
# Builds the fuzz seed corpora under fuzz/corpus/<target>/ (gitignored):
#   receive_path  frames from ../shared/data/pcap and configs/*.pcap, their
#                 destination MAC set to the test FIB's p0 (unicast frames
#                 only), so they get past the L2 check; raw-IP captures get
#                 an Ethernet header
#   packet_views  the same frames unchanged
#   config_loader configs/*.yaml, the config crate's test YAML and the
#                 YAML examples in docs/*.md
#   route_file    the route files of configs/ and the config crate's tests,
#                 and the first lines of the shared BGP tables
#   control_request one request line of each command, and `check` lines
#                 carrying the example configs
# One file per input, named by its SHA-1, so reruns add nothing twice.
# Needs python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")"
root=..
shared=${SILKROUTE_SHARED_DATA:-$root/../shared/data}

mkdir -p corpus/receive_path corpus/packet_views corpus/config_loader corpus/route_file \
    corpus/control_request

python3 - "$shared" "$root" <<'PY'
import glob, gzip, hashlib, json, os, struct, sys

shared, root = sys.argv[1], sys.argv[2]
P0_MAC = bytes([0x02, 0, 0, 0, 0, 0x01])
HOST_MAC = bytes([0x02, 0xAA, 0, 0, 0, 0x0A])
# Frames taken per capture: enough variety, few enough that libFuzzer's
# initial pass over the corpus stays well under a second.
PER_CAPTURE = 300
MAX_FRAME = 9216  # jumbo frames and no more

def put(target, data):
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join("corpus", target, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)

def pcap_frames(path):
    """(linktype, frame) of a classic pcap or a pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            yield linktype, data[off + 16:off + 16 + incl]
            off += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        off, e, links = 0, "<", []
        while off + 12 <= len(data):
            btype = struct.unpack(e + "I", data[off:off + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
            if blen < 12:
                break
            body = data[off + 8:off + blen - 4]
            if btype == 1:  # Interface Description
                links.append(struct.unpack(e + "H", body[0:2])[0])
            elif btype == 6:  # Enhanced Packet
                iface, _, _, cap = struct.unpack(e + "IIII", body[0:16])
                lt = links[iface] if iface < len(links) else 1
                yield lt, body[20:20 + cap]
            elif btype == 3:  # Simple Packet
                yield (links[0] if links else 1), body[4:]
            off += blen

def as_ethernet(linktype, frame):
    if linktype == 1:
        return frame
    if linktype in (101, 12, 228, 229) and frame:  # raw IPv4/IPv6
        et = b"\x86\xdd" if frame[0] >> 4 == 6 else b"\x08\x00"
        return P0_MAC + HOST_MAC + et + frame
    return None

captures = sorted(glob.glob(os.path.join(shared, "pcap", "**", "*.pcap"), recursive=True)
                  + glob.glob(os.path.join(shared, "pcap", "**", "*.cap"), recursive=True)
                  + glob.glob(os.path.join(root, "configs", "*.pcap")))
frames = 0
for cap in captures:
    taken = 0
    try:
        for lt, fr in pcap_frames(cap):
            fr = as_ethernet(lt, fr)
            if fr is None or len(fr) > MAX_FRAME:
                continue
            put("packet_views", fr)
            if len(fr) >= 14 and fr[0] & 1 == 0:
                fr = P0_MAC + fr[6:]
            put("receive_path", fr)
            frames += 1
            taken += 1
            if taken == PER_CAPTURE:
                break
    except (struct.error, IndexError) as err:
        print(f"seed: {cap}: stopped early ({err})", file=sys.stderr)

yamls = sorted(glob.glob(os.path.join(root, "configs", "*.yaml"))
               + glob.glob(os.path.join(root, "control-plane", "config", "tests", "data", "*.yaml")))
for y in yamls:
    with open(y, "rb") as f:
        put("config_loader", f.read())
# The YAML examples of the docs (```yaml fenced blocks).
for md in sorted(glob.glob(os.path.join(root, "docs", "*.md"))):
    with open(md, "rb") as f:
        parts = f.read().split(b"```yaml\n")[1:]
    for part in parts:
        put("config_loader", part.split(b"```", 1)[0])
        yamls.append(md)

routes = sorted(glob.glob(os.path.join(root, "configs", "*routes*.txt"))
                + glob.glob(os.path.join(root, "control-plane", "config", "tests", "data", "*.txt")))
for r in routes:
    with open(r, "rb") as f:
        put("route_file", f.read()[:16384])
for gz in sorted(glob.glob(os.path.join(shared, "*.txt.gz"))):
    with gzip.open(gz, "rb") as f:
        head = b"".join(f.readline() for _ in range(200))
    put("route_file", head)
    put("route_file", head[:512])

requests = [
    {"command": "status"},
    {"command": "show_interfaces"},
    {"command": "show_routes"},
    {"command": "show_routes", "prefix": "10.0.0.0/8", "limit": 100},
    {"command": "show_neighbors"},
    {"command": "show_stats"},
    {"command": "lookup", "address": "192.0.2.7"},
    {"command": "lookup", "address": "2001:db8::1"},
    {"command": "reload"},
]
for y in yamls[:8]:
    if y.endswith(".yaml"):
        with open(y, encoding="utf-8", errors="replace") as f:
            requests.append({"command": "check", "path": os.path.abspath(y), "text": f.read()})
for r in requests:
    put("control_request", json.dumps(r).encode() + b"\n")

print(f"seed: {frames} frames from {len(captures)} captures, {len(yamls)} configs, "
      f"{len(routes)} route files + BGP table heads")
PY
for t in receive_path packet_views config_loader route_file control_request; do
    echo "seed: corpus/$t: $(find "corpus/$t" -type f | wc -l) inputs"
done
