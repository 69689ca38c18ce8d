#!/usr/bin/env bash
# Forwarding rate through a middle network namespace: the Linux kernel
# versus silkroute on af_xdp and on af_packet, same topology, same route
# table (the full ../shared/data/bgp-ipv4.txt.gz plus the test routes),
# same generator, same cores.
#
#   gen (core 0)                 mid (core 1)                   sink (core 0)
#   eth0 10.1.0.2 ---- veth ---- to-gen  [router]  to-sink ---- veth ---- eth0 10.2.0.2
#
# - Generator: benches/src/bin/xdpgen.rs, 64-byte IPv4/UDP frames to
#   198.18.0.1 (the test route 198.18.0.0/15) through an AF_XDP socket on
#   gen's eth0, pinned to core 0; it offers more than either router
#   forwards (the offered rate is printed).
# - Sink: drops in its IP layer (not its address, no forwarding; core 0
#   via RPS); what arrived is the delta of its eth0 rx_packets.
# - The router side gets core 1 alone: silkroute's worker is pinned there;
#   the kernel's forwarding is steered there with RPS on to-gen (and the
#   veth NAPI threads, where XDP runs, are pinned there too).
#
# Usage (root): benches/netns-forwarding.sh [SECONDS]   (default 5)
# Prints one RESULT line per router. Namespaces are removed on exit, also
# on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${1:-5}
TARGET=${CARGO_TARGET_DIR:-target}
ROUTES=../shared/data/bgp-ipv4.txt.gz
GEN_CORE=0
ROUTER_CORE=1
TEST_DST=198.18.0.1

[ "$(id -u)" = 0 ] || { echo "netns-forwarding: needs root" >&2; exit 1; }
[ -f "$ROUTES" ] || { echo "netns-forwarding: $ROUTES missing" >&2; exit 1; }

cargo build --release -q -p silkroute-control-plane --bin silkroute
cargo build --release -q -p silkroute-benches --bin xdpgen
SILKROUTE=$TARGET/release/silkroute
XDPGEN=$TARGET/release/xdpgen

TAG=$$
G=srb-gen-$TAG M=srb-mid-$TAG S=srb-sink-$TAG
WORK=$(mktemp -d /tmp/silkroute-netns-bench.XXXXXX)
ROUTER_PID=

cleanup() {
    [ -n "$ROUTER_PID" ] && kill "$ROUTER_PID" 2>/dev/null && wait "$ROUTER_PID" 2>/dev/null
    for ns in $G $M $S; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mac() { ip -n "$1" -j link show dev "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }
rxp() { ip -n "$1" -j -s link show dev "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
nsx() { ip netns exec "$@"; }

# Pins the NAPI thread of $2 in namespace $1 to core $3 (where veth runs
# XDP); harmless when the interface has no NAPI thread.
pin_napi() {
    nsx "$1" sh -c "echo 1 > /sys/class/net/$2/threaded" 2>/dev/null || return 0
    local pid
    for pid in $(pgrep -f "^napi/$2-" || true); do taskset -p -c "$3" "$pid" >/dev/null 2>&1 || true; done
}

setup() {
    for ns in $G $M $S; do ip netns add "$ns"; done
    nsx $M sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add eth0 netns $G type veth peer name to-gen netns $M
    ip link add eth0 netns $S type veth peer name to-sink netns $M
    for i in to-gen to-sink; do ip -n $M link set "$i" up; done
    ip -n $M link set lo up
    for ns in $G $S; do
        nsx "$ns" ethtool -K eth0 tx off >/dev/null
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
    done
    ip -n $G addr add 10.1.0.2/24 dev eth0
    ip -n $S addr add 10.2.0.2/24 dev eth0
    ip -n $G route add default via 10.1.0.1
    ip -n $G neigh replace 10.1.0.1 lladdr "$(mac $M to-gen)" dev eth0
    # Sink: 198.18.0.1 is not its address and it does not forward, so
    # the IP layer drops each frame after one route lookup; processed on
    # the generator's core.
    nsx $S sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
    # Router side: receive processing on the router's core (STEER=0
    # leaves it where the sender runs, for comparison).
    [ "${STEER:-1}" = 1 ] || return 0
    nsx $M sh -c "echo $(printf %x $((1 << ROUTER_CORE))) > /sys/class/net/to-gen/queues/rx-0/rps_cpus"
    nsx $M sh -c "echo $(printf %x $((1 << ROUTER_CORE))) > /sys/class/net/to-sink/queues/rx-0/rps_cpus"
}

teardown() {
    if [ -n "$ROUTER_PID" ]; then
        kill "$ROUTER_PID" 2>/dev/null || true
        wait "$ROUTER_PID" 2>/dev/null || true
        ROUTER_PID=
    fi
    for ns in $G $M $S; do ip netns del "$ns" 2>/dev/null || true; done
    sleep 0.5
}

# Runs the generator; sets OFFERED (what the generator's socket sent,
# including frames the veth then dropped for want of room), RECEIVED
# (what arrived in sink) and LOSS.
measure() {
    local rx0 rx1 out secs sent
    rx0=$(rxp $S eth0)
    out=$(nsx $G taskset -c $GEN_CORE "$XDPGEN" --interface eth0 --dst-mac "$(mac $M to-gen)" \
        --src-ip 10.1.0.2 --dst-ip $TEST_DST --seconds "$SECONDS_PER_RUN" --core $GEN_CORE)
    sleep 0.3
    rx1=$(rxp $S eth0)
    secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
    sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
    OFFERED=$(python3 -c "print(round($sent / $secs))")
    RECEIVED=$(python3 -c "print(round(($rx1 - $rx0) / $secs))")
    LOSS=$(python3 -c "r=$rx1-$rx0; print('%.4f' % (max(0.0, 1 - r / $sent) if $sent else 1))")
}

# ---------------------------------------------------------------- kernel
setup
ip -n $M addr add 10.1.0.1/24 dev to-gen
ip -n $M addr add 10.2.0.1/24 dev to-sink
ip -n $M neigh replace 10.2.0.2 lladdr "$(mac $S eth0)" dev to-sink
nsx $M sysctl -qw net.ipv4.ip_forward=1
{
    zcat "$ROUTES" | sed 's|^|route replace |; s|$| via 10.2.0.2|'
    echo "route replace 198.18.0.0/15 via 10.2.0.2"
} > "$WORK/routes.batch"
t0=$(date +%s)
ip -n $M -batch "$WORK/routes.batch"
echo "kernel: $(ip -n $M route show | wc -l) routes loaded in $(( $(date +%s) - t0 )) s" >&2
measure
KERNEL_PPS=$RECEIVED
echo "RESULT kernel pps=$RECEIVED loss=$LOSS offered_pps=$OFFERED"
teardown

# ------------------------------------------------------------- silkroute
# Extra driver options: af_xdp's XDP mode (XDP_MODE, default skb: generic
# XDP runs after RPS, on the router's core, like the kernel's forwarding;
# native XDP on veth runs in the sender's NAPI).
opts() { [ "$1" = af_xdp ] && echo ", mode: ${XDP_MODE:-skb}" || true; }

run_silkroute() { # $1 = driver key
    setup
    local gen_mac sink_mac to_gen to_sink
    gen_mac=$(mac $G eth0); sink_mac=$(mac $S eth0)
    to_gen=$(mac $M to-gen); to_sink=$(mac $M to-sink)
    cat > "$WORK/$1.yaml" <<EOF
ports:
  - { name: p0, driver: { $1: { interface: to-gen $(opts "$1") } } }
  - { name: p1, driver: { $1: { interface: to-sink $(opts "$1") } } }
interfaces:
  - { name: to-gen, port: p0, mac: $to_gen, addresses: [10.1.0.1/24] }
  - { name: to-sink, port: p1, mac: $to_sink, addresses: [10.2.0.1/24] }
neighbors:
  - { address: 10.1.0.2, mac: $gen_mac }
  - { address: 10.2.0.2, mac: $sink_mac }
routes:
  - { prefix: 198.18.0.0/15, via: 10.2.0.2 }
route_files:
  - { path: $(realpath "$ROUTES"), via: 10.2.0.2 }
workers:
  - { core: $ROUTER_CORE, rx: [p0, p1] }
control: { socket: $WORK/$1.sock }
metrics: { enabled: false }
EOF
    # Not through a shell function: $! must be silkroute itself.
    ip netns exec $M "$SILKROUTE" run --config "$WORK/$1.yaml" > "$WORK/$1.out" 2> "$WORK/$1.err" &
    ROUTER_PID=$!
    local i
    for i in $(seq 1 600); do
        grep -q "router started" "$WORK/$1.err" && break
        kill -0 $ROUTER_PID 2>/dev/null || { cat "$WORK/$1.err" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "router started" "$WORK/$1.err" || { echo "silkroute ($1) did not start" >&2; exit 1; }
    grep -o 'mode obtained.*' "$WORK/$1.err" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
    if [ "${STEER:-1}" = 1 ] && [ "${PIN_NAPI:-1}" = 1 ]; then
        pin_napi $M to-gen $ROUTER_CORE
        pin_napi $M to-sink $ROUTER_CORE
    fi
    measure
    local ratio
    ratio=$(python3 -c "print('%.2f' % ($RECEIVED / $KERNEL_PPS if $KERNEL_PPS else 0))")
    echo "RESULT $1 pps=$RECEIVED loss=$LOSS ratio_vs_kernel=$ratio offered_pps=$OFFERED"
    teardown
}

run_silkroute af_xdp
run_silkroute af_packet
