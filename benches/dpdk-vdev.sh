#!/usr/bin/env bash
# DPDK I/O path on virtual devices: Debian's dpdk-testpmd in io forward
# mode (no lookup at all: the ceiling of this path) versus silkroute's
# dpdk ports with the full BGP table, same devices, same capture, same
# cores, for IPv4 and IPv6, with hugepages and without (--no-huge).
#
#   capture p0 --> net_pcap0 (rx, infinite_rx=1) \                 / net_pcap0 tx: drop
#                                                 [forwarder, lcore 1]
#   capture p1 --> net_pcap1 (rx, infinite_rx=1) /                 \ net_pcap1 tx: drop
#
# - Captures: benches/src/bin/bgp_capture.rs, 65536 frames per port
#   (FRAMES), 64-byte IPv4/UDP (60 bytes + FCS) or the smallest IPv6/UDP
#   frame, 66 bytes (62 + FCS); each destination is a random address
#   inside a prefix drawn from ../shared/data/bgp-ipv4.txt.gz or
#   bgp-ipv6.txt.gz; addressed to silkroute's interface MAC of that port.
# - net_pcap with infinite_rx=1 copies the capture into mbufs once at
#   start-up and replays it from memory for ever (one 60-byte memcpy per
#   frame); with no tx_pcap its transmit side counts and frees each mbuf
#   (the cheapest sink; DPDK's "tx drop" mode). Both programs get the
#   same two vdev strings. The RX queue's mempool must hold the whole
#   capture (FRAMES mbufs per port on top of the descriptors), or the vdev
#   refuses to start.
# - Cores: EAL -l 0,1, main lcore 0 (control threads, this script's
#   sampling), one forwarding lcore 1: testpmd --nb-cores=1, silkroute one
#   worker on core 1 polling both ports.
# - silkroute loads the family's full table as one route file, all routes
#   via one neighbour on p1 (frames arriving on p1 go back out of p1).
# - Rate: transmitted packets of both ports, read twice WARMUP seconds
#   after start-up, SECONDS apart, divided by the wall time between the
#   reads: testpmd's through DPDK telemetry (/ethdev/stats opackets),
#   silkroute's from its metrics (silkroute_port_tx_packets_total minus
#   silkroute_port_injected_packets_total; where its EAL has a telemetry
#   socket, the ports' own counters are read too and shown on stderr).
#   cpu = CPU-seconds per second the process got in the window (1.00: the
#   forwarding core to itself); mpps_per_cpu = the rate per CPU-second,
#   steadier when other work preempts the forwarder. A silkroute run that
#   does not start, forwards nothing, or drops more than 1% of what it
#   receives fails the script; no figure is printed for it.
# - Hugepages: HUGEPAGES (default 1024) 2 MiB pages are reserved through
#   /sys/kernel/mm/hugepages for the hugepage runs and a private hugetlbfs
#   is mounted; both are undone on exit, also on failure.
#
# Usage (root): benches/dpdk-vdev.sh [SECONDS]   (default 5; about 2 min
# after the build). Environment: FRAMES, HUGEPAGES, WARMUP, and
# TESTPMD_ONLY=1 to measure only testpmd (no silkroute build needed).
# Prints, per family and hugepage setting:
#   RESULT testpmd family=ipv4 hugepages=yes mpps=... cpu=... mpps_per_cpu=...
#   RESULT silkroute family=ipv4 hugepages=yes mpps=... ratio_vs_testpmd=... cpu=... mpps_per_cpu=...
# Needs dpdk-testpmd (Debian package dpdk-dev), libdpdk-dev, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${1:-5}
WARMUP=${WARMUP:-2}
FRAMES=${FRAMES:-65536}
HUGEPAGES=${HUGEPAGES:-1024}
TESTPMD_ONLY=${TESTPMD_ONLY:-0}
# EAL memory (-m) of either program. testpmd's pool below needs ~330 MiB.
MEM_MB=1024
MAIN_CORE=0
FWD_CORE=1
DESCRIPTORS=1024
# testpmd's one mbuf pool: both captures held by the vdevs, plus
# descriptors, bursts and per-lcore caches with room to spare.
TESTPMD_MBUFS=$((2 * FRAMES + 16384))
# silkroute has one pool per port: its capture, plus descriptors, bursts
# and caches (each pool ~160 MiB with the default FRAMES).
SILK_MBUFS=$((FRAMES + 8191))
DATA=../shared/data
CLK_TCK=$(getconf CLK_TCK)
HP_NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HP_FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
# Drops above this share of what silkroute received fail the run: the
# capture is meant to be forwarded whole, and drops are cheaper than
# forwarding, so such a rate would flatter silkroute.
MAX_DROP_SHARE=0.01

die() { echo "dpdk-vdev: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (hugepages, hugetlbfs mount)"
command -v dpdk-testpmd >/dev/null ||
    die "dpdk-testpmd not found: install Debian's dpdk-dev package (apt-get install dpdk-dev)"
for tool in curl python3; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
for f in bgp-ipv4.txt.gz bgp-ipv6.txt.gz; do
    [ -f "$DATA/$f" ] || die "$DATA/$f missing"
done
[ -w "$HP_NR" ] || die "$HP_NR not writable: no 2 MiB hugepage support?"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (main lcore $MAIN_CORE, forwarding lcore $FWD_CORE)"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cargo build --release -q -p silkroute-benches --bin bgp-capture
if [ "$TESTPMD_ONLY" != 1 ]; then
    cargo build --release -q -p silkroute-control-plane --features dpdk --bin silkroute ||
        die "silkroute with the dpdk feature does not build"
fi
CAPGEN=$target_dir/release/bgp-capture
SILKROUTE=$target_dir/release/silkroute

WORK=$(mktemp -d /tmp/silkroute-dpdk-vdev.XXXXXX)
HUGE_MNT=$WORK/huge
TAG=srb$$
HP_ORIG=$(cat "$HP_NR")
PID=
METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# Stops $PID: $1 is the signal; SIGKILL after 15 s.
stop() {
    [ -n "$PID" ] || return 0
    kill -"$1" "$PID" 2>/dev/null || true
    for _ in $(seq 150); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
}

release_hugepages() {
    if mountpoint -q "$HUGE_MNT" 2>/dev/null; then
        umount "$HUGE_MNT" || echo "dpdk-vdev: could not unmount $HUGE_MNT" >&2
    fi
    if [ "$(cat "$HP_NR")" != "$HP_ORIG" ]; then
        echo "$HP_ORIG" >"$HP_NR" || echo "dpdk-vdev: could not restore $HP_NR to $HP_ORIG" >&2
    fi
}

cleanup() {
    stop TERM
    release_hugepages
    rm -rf /var/run/dpdk/"$TAG"-* "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "dpdk-vdev: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Reserves HUGEPAGES free 2 MiB pages (on top of what others hold) and
# mounts a private hugetlbfs for them.
reserve_hugepages() {
    local free want got
    free=$(cat "$HP_FREE")
    if [ "$free" -lt "$HUGEPAGES" ]; then
        want=$(($(cat "$HP_NR") + HUGEPAGES - free))
        echo "$want" >"$HP_NR"
        got=$(cat "$HP_NR")
        [ "$got" -ge "$want" ] ||
            die "asked for $want 2 MiB hugepages, the kernel gave $got (fragmented memory?)"
    fi
    mkdir -p "$HUGE_MNT"
    mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_MNT"
    echo "hugepages: $(cat "$HP_FREE") free of $(cat "$HP_NR") 2 MiB pages (was $HP_ORIG), hugetlbfs at $HUGE_MNT" >&2
}

# ---------------------------------------------------------------- captures
# Port k's frames come from a host on its subnet, to its interface MAC.
PORT_MAC=(02:00:00:00:00:01 02:00:00:00:00:02)
HOST_MAC=(02:aa:00:00:00:0a 02:bb:00:00:00:0a)
NH_MAC=02:bb:00:00:00:02
declare -A SRC_IP=([ipv4-0]=192.0.2.10 [ipv4-1]=198.51.100.10
    [ipv6-0]=2001:db8:0:1::10 [ipv6-1]=2001:db8:0:2::10)
declare -A NEXT_HOP=([ipv4]=198.51.100.2 [ipv6]=2001:db8:0:2::2)

for family in ipv4 ipv6; do
    for p in 0 1; do
        "$CAPGEN" --family "$family" --routes "$DATA/bgp-$family.txt.gz" --frames "$FRAMES" \
            --dst-mac "${PORT_MAC[$p]}" --src-mac "${HOST_MAC[$p]}" --src-ip "${SRC_IP[$family-$p]}" \
            --seed $((p + 1)) --out "$WORK/$family-p$p.pcap" >&2
    done
done

# The two vdevs of a family's run, the same strings for both programs.
vdevs() {
    echo "net_pcap0,rx_pcap=$WORK/$1-p0.pcap,infinite_rx=1"
    echo "net_pcap1,rx_pcap=$WORK/$1-p1.pcap,infinite_rx=1"
}

# --------------------------------------------------------------- sampling
# CPU time (clock ticks) process $PID got so far: utime + stime, fields
# 14 and 15 of /proc/PID/stat (12 and 13 after the "(comm)").
cpu_ticks() {
    sed 's/.*) //' /proc/"$PID"/stat | awk '{ print $12 + $13 }'
}

# "<packets> <time>": packets the ports of the DPDK process behind the
# telemetry socket $1 transmitted so far (/ethdev/stats opackets, summed).
pmd_tx() {
    python3 - "$1" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(16384)
def ask(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(1 << 16))
ports = ask("/ethdev/list")["/ethdev/list"]
now = time.time()
tx = sum(ask(f"/ethdev/stats,{p}")["/ethdev/stats"]["opackets"] for p in ports)
print(tx, f"{now:.6f}")
EOF
}

# "<packets> <time> <cpu ticks>" of testpmd (telemetry socket $1).
sample_testpmd() {
    local ticks
    ticks=$(cpu_ticks)
    echo "$(pmd_tx "$1") $ticks"
}

# "<forwarded> <time> <cpu ticks> <received> <dropped> <pmd packets>
# <pmd time>" of silkroute: its metrics, then, where the EAL's telemetry
# socket $1 exists, the ports' own transmit counters ("- -" otherwise).
sample_silkroute() {
    local now ticks m pmd="- -"
    ticks=$(cpu_ticks)
    now=$(date +%s.%N)
    m=$(curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v t="$now" -v k="$ticks" '
        /^silkroute_port_tx_packets_total/ { tx += $NF }
        /^silkroute_port_injected_packets_total/ { inj += $NF }
        /^silkroute_port_rx_packets_total/ { rx += $NF }
        /^silkroute_port_dropped_packets_total/ { drop += $NF }
        END { printf "%.0f %s %s %.0f %.0f\n", tx - inj, t, k, rx, drop }')
    if [ -S "$1" ]; then pmd=$(pmd_tx "$1"); fi
    echo "$m $pmd"
}

# Waits WARMUP, samples with "$@", waits SECONDS_PER_RUN, samples again;
# sets A and B to the two samples.
window() {
    sleep "$WARMUP"
    A=$("$@") || die "first sample failed"
    sleep "$SECONDS_PER_RUN"
    B=$("$@") || die "second sample failed"
}

# "<mpps> <cpu> <mpps per cpu>" between samples $1 and $2 (fields 1 =
# packets, 2 = time, 3 = CPU ticks): the rate; the CPU-seconds per second
# the process got (1.00: its forwarding core to itself; less: other load
# preempted it); and the rate per CPU-second, which moves less with such
# load (the forwarder polls: all its CPU time is forwarding or polling).
mpps() {
    awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { split(a, x, " "); split(b, y, " ");
        secs = y[2] - x[2]; cpu = (y[3] - x[3]) / hz; mpps = (y[1] - x[1]) / secs / 1e6;
        printf "%.3f %.2f %.3f\n", mpps, cpu / secs, (cpu > 0 ? mpps * secs / cpu : 0) }'
}

# Waits up to $2 seconds for $1 to appear in the log $3 while $PID lives.
wait_for() {
    for _ in $(seq $(($2 * 10))); do
        grep -qs "$1" "$3" && return 0
        kill -0 "$PID" 2>/dev/null || { tail -30 "$3" >&2; die "$4 exited during start-up"; }
        sleep 0.1
    done
    tail -30 "$3" >&2
    die "$4 did not start within $2 s"
}


# ---------------------------------------------------------------- testpmd
declare -A TESTPMD_MPPS

run_testpmd() { # $1 = family, $2 = hugepages yes/no
    local prefix=$TAG-testpmd-$1-$2 log=$WORK/testpmd-$1-$2.log args=() v
    args=(-l "$MAIN_CORE,$FWD_CORE" --main-lcore "$MAIN_CORE" -m "$MEM_MB" --no-pci
        --file-prefix "$prefix")
    if [ "$2" = yes ]; then args+=(--huge-dir "$HUGE_MNT"); else args+=(--no-huge); fi
    while read -r v; do args+=(--vdev "$v"); done < <(vdevs "$1")
    # --stats-period keeps testpmd running without a terminal (it would
    # otherwise exit at the end of stdin); the period is long so the
    # main lcore stays quiet.
    dpdk-testpmd "${args[@]}" -- --forward-mode=io --nb-cores=1 \
        --rxd="$DESCRIPTORS" --txd="$DESCRIPTORS" --total-num-mbufs="$TESTPMD_MBUFS" \
        --stats-period 3600 </dev/null >"$log" 2>&1 &
    PID=$!
    wait_for "start packet forwarding" 30 "$log" testpmd
    local sock=/var/run/dpdk/$prefix/dpdk_telemetry.v2
    [ -S "$sock" ] || die "testpmd: no telemetry socket $sock"
    window sample_testpmd "$sock"
    stop INT
    grep -q "Forward statistics for port 0" "$log" || { tail -30 "$log" >&2; die "testpmd did not exit cleanly"; }
    local rate cpu per_cpu
    read -r rate cpu per_cpu < <(mpps "$A" "$B")
    awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || die "testpmd ($1, hugepages=$2) transmitted nothing"
    TESTPMD_MPPS[$1-$2]=$rate
    echo "RESULT testpmd family=$1 hugepages=$2 mpps=$rate cpu=$cpu mpps_per_cpu=$per_cpu"
}

# -------------------------------------------------------------- silkroute
silkroute_config() { # $1 = family, $2 = hugepages yes/no
    local no_huge=false extra="[]" v list=""
    if [ "$2" = yes ]; then
        extra="[\"--huge-dir\", \"$HUGE_MNT\"]"
    else
        no_huge=true
    fi
    while read -r v; do list+="${list:+, }\"$v\""; done < <(vdevs "$1")
    cat <<EOF
log_level: info
dpdk:
  cores: [$MAIN_CORE, $FWD_CORE]
  memory_mb: $MEM_MB
  no_huge: $no_huge
  vdevs: [$list]
  extra_args: $extra
  file_prefix: $TAG-silkroute-$1-$2
ports:
  - name: p0
    driver:
      dpdk: { device: net_pcap0, rx_queues: 1, tx_queues: 1, rx_descriptors: $DESCRIPTORS, tx_descriptors: $DESCRIPTORS, rss: false, promiscuous: false, mbufs: $SILK_MBUFS }
  - name: p1
    driver:
      dpdk: { device: net_pcap1, rx_queues: 1, tx_queues: 1, rx_descriptors: $DESCRIPTORS, tx_descriptors: $DESCRIPTORS, rss: false, promiscuous: false, mbufs: $SILK_MBUFS }
interfaces:
  - { name: eth0, port: p0, mac: ${PORT_MAC[0]}, addresses: [192.0.2.1/24, "2001:db8:0:1::1/64"] }
  - { name: eth1, port: p1, mac: ${PORT_MAC[1]}, addresses: [198.51.100.1/24, "2001:db8:0:2::1/64"] }
neighbors:
  - { address: ${NEXT_HOP[ipv4]}, mac: $NH_MAC }
  - { address: "${NEXT_HOP[ipv6]}", mac: $NH_MAC }
route_files:
  - { path: $(realpath "$DATA/bgp-$1.txt.gz"), via: "${NEXT_HOP[$1]}" }
workers:
  - { core: $FWD_CORE, rx: [p0, p1] }
control: { socket: $WORK/silkroute.sock }
metrics: { listen: "127.0.0.1:$METRICS_PORT" }
EOF
}

run_silkroute() { # $1 = family, $2 = hugepages yes/no
    local cfg=$WORK/silkroute-$1-$2.yaml log=$WORK/silkroute-$1-$2.log out=$WORK/silkroute-$1-$2.out
    silkroute_config "$1" "$2" >"$cfg"
    "$SILKROUTE" run --config "$cfg" >"$out" 2>"$log" &
    PID=$!
    wait_for "router started" 120 "$log" silkroute
    curl -sf -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics" || die "silkroute: no metrics on 127.0.0.1:$METRICS_PORT"
    window sample_silkroute "/var/run/dpdk/$TAG-silkroute-$1-$2/dpdk_telemetry.v2"
    stop TERM
    grep -E "^received" "$out" >&2 || echo "dpdk-vdev: silkroute printed no summary" >&2
    local rate cpu per_cpu rx drop fwd
    read -r rate cpu per_cpu < <(mpps "$A" "$B")
    read -r fwd rx drop < <(awk -v a="$A" -v b="$B" 'BEGIN { split(a, x, " "); split(b, y, " ");
        print y[1] - x[1], y[4] - x[4], y[5] - x[5] }')
    echo "silkroute $1 hugepages=$2: in the window received $rx, forwarded $fwd, dropped $drop" >&2
    # The same window through the ports' own counters, as testpmd is read.
    awk -v a="$A" -v b="$B" 'BEGIN { split(a, x, " "); split(b, y, " ");
        if (x[6] == "-" || y[6] == "-") print "silkroute: no DPDK telemetry socket; metrics only";
        else printf "silkroute: ports transmitted %.3f Mpps by their DPDK counters\n", (y[6] - x[6]) / (y[7] - x[7]) / 1e6 }' >&2
    [ "$fwd" -gt 0 ] || { cat "$out" >&2; die "silkroute ($1, hugepages=$2) forwarded nothing"; }
    awk -v d="$drop" -v r="$rx" -v m="$MAX_DROP_SHARE" 'BEGIN { exit !(d <= m * r) }' ||
        { cat "$out" >&2; die "silkroute ($1, hugepages=$2) dropped $drop of $rx frames (see the drop reasons above)"; }
    local base=${TESTPMD_MPPS[$1-$2]}
    local ratio
    ratio=$(awk -v s="$rate" -v t="$base" 'BEGIN { printf "%.3f\n", s / t }')
    echo "RESULT silkroute family=$1 hugepages=$2 mpps=$rate ratio_vs_testpmd=$ratio cpu=$cpu mpps_per_cpu=$per_cpu"
}

# ------------------------------------------------------------------- runs
echo "dpdk-vdev: $FRAMES frames per port, warm-up $WARMUP s, window $SECONDS_PER_RUN s; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for huge in yes no; do
    if [ "$huge" = yes ]; then reserve_hugepages; fi
    for family in ipv4 ipv6; do
        run_testpmd "$family" "$huge"
        if [ "$TESTPMD_ONLY" != 1 ]; then run_silkroute "$family" "$huge"; fi
    done
    if [ "$huge" = yes ]; then release_hugepages; fi
done
echo "dpdk-vdev: done; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
