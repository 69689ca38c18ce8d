#!/usr/bin/env bash
# Forwarding rate through a middle network namespace: the Linux kernel
# versus silkroute on af_xdp and on af_packet, same topology, same route
# table (the full ../shared/data/bgp-ipv4.txt.gz plus the test routes),
# same generator, same ingress path, same cores.
#
#   gen (core 0)                 mid (core 1)                   sink (core 0)
#   eth0 10.1.0.2 ---- veth ---- to-gen  [router]  to-sink ---- veth ---- eth0 10.2.0.2
#
# - Generator: benches/src/bin/xdpgen.rs, an XDP program run in the
#   kernel with BPF_PROG_RUN (live frames) on core 0, redirecting 64-byte
#   IPv4/UDP frames to 198.18.0.1 (the test route 198.18.0.0/15) into
#   gen's eth0. Each frame lands in to-gen's XDP ring (veth ndo_xdp_xmit)
#   or, when the ring is full, is dropped there (to-gen rx_dropped): the
#   generator does not wait for the router, so it offers the same rate
#   whichever router runs, well above what either forwards (offered_pps).
# - Ingress, the same for all three routers: GRO on on to-gen (veth then
#   has NAPI, which ndo_xdp_xmit needs; no XDP program is added for the
#   kernel and af_packet), and to-gen's NAPI in a thread pinned to core 1.
#   That thread runs silkroute's XDP program (af_xdp, native mode) or
#   turns the frames into skbs for the kernel's forwarding (kernel) or for
#   the packet socket (af_packet).
# - Router core: core 1 holds the NAPI thread and silkroute's worker;
#   the kernel forwards in the NAPI thread itself (RPS=1 also steers
#   to-gen's receive to core 1 with RPS, as the older method did).
# - Sink: drops in its IP layer (not its address, no forwarding), on
#   core 0 via RPS; what arrived is the delta of its eth0 rx_packets.
#
# Usage (root): benches/netns-forwarding.sh [SECONDS]   (default 5)
# XDP_MODE=native|skb|auto picks af_xdp's attach mode (default native).
# Prints one RESULT line per router. Namespaces are removed on exit, also
# on failure. Needs Linux 5.18+ (live frames), ethtool, python3.
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
stat64() { ip -n "$1" -j -s link show dev "$2" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['$3']['$4'])"; }
rxp() { stat64 "$1" "$2" rx packets; }
nsx() { ip netns exec "$@"; }

# Pins the NAPI threads of $2 in namespace $1 to core $3.
pin_napi() {
    local pid
    for pid in $(pgrep "^napi/$2-" || true); do taskset -p -c "$3" "$pid" >/dev/null; done
}

setup() {
    for ns in $G $M $S; do ip netns add "$ns"; done
    nsx $M sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add eth0 netns $G type veth peer name to-gen netns $M
    ip link add eth0 netns $S type veth peer name to-sink netns $M
    for i in to-gen to-sink; do ip -n $M link set "$i" up; done
    ip -n $M link set lo up
    # NAPI on to-gen (the generator's frames need it), threaded, on the
    # router's core.
    nsx $M ethtool -K to-gen gro on >/dev/null
    nsx $M sh -c 'echo 1 > /sys/class/net/to-gen/threaded'
    pin_napi $M to-gen $ROUTER_CORE
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
    nsx $S sh -c "echo $(printf %x $((1 << GEN_CORE))) > /sys/class/net/eth0/queues/rx-0/rps_cpus"
    [ "${RPS:-0}" = 1 ] || return 0
    nsx $M sh -c "echo $(printf %x $((1 << ROUTER_CORE))) > /sys/class/net/to-gen/queues/rx-0/rps_cpus"
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

# Runs the generator; sets OFFERED (frames the generator redirected into
# gen's eth0 per second), RECEIVED (what arrived in sink per second) and
# LOSS; prints where the rest was dropped: in to-gen's XDP ring (the
# router side did not keep up) or on the way into sink.
measure() {
    local rx0 rx1 ring0 ring1 sd0 sd1 out secs sent
    rx0=$(rxp $S eth0); ring0=$(stat64 $M to-gen rx dropped); sd0=$(stat64 $M to-sink tx dropped)
    out=$(nsx $G "$XDPGEN" --interface eth0 --dst-mac "$(mac $M to-gen)" \
        --src-ip 10.1.0.2 --dst-ip $TEST_DST --seconds "$SECONDS_PER_RUN" --core $GEN_CORE)
    sleep 0.3
    rx1=$(rxp $S eth0); ring1=$(stat64 $M to-gen rx dropped); sd1=$(stat64 $M to-sink tx dropped)
    secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
    sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
    OFFERED=$(python3 -c "print(round($sent / $secs))")
    RECEIVED=$(python3 -c "print(round(($rx1 - $rx0) / $secs))")
    LOSS=$(python3 -c "r=$rx1-$rx0; print('%.4f' % (max(0.0, 1 - r / $sent) if $sent else 1))")
    echo "  offered $sent frames in $secs s; dropped in to-gen's ring: $((ring1 - ring0)); on the way into sink: $((sd1 - sd0))" >&2
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
# Extra driver options: af_xdp's XDP mode (XDP_MODE, default native: the
# program runs in to-gen's NAPI thread, on the router's core; skb: it
# runs there too, after the frame became an skb).
opts() { [ "$1" = af_xdp ] && echo ", mode: ${XDP_MODE:-native}" || true; }

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
    # Attaching an XDP program may restart to-gen's NAPI thread.
    pin_napi $M to-gen $ROUTER_CORE
    measure
    local ratio
    ratio=$(python3 -c "print('%.2f' % ($RECEIVED / $KERNEL_PPS if $KERNEL_PPS else 0))")
    echo "RESULT $1 pps=$RECEIVED loss=$LOSS ratio_vs_kernel=$ratio offered_pps=$OFFERED"
    teardown
}

run_silkroute af_xdp
run_silkroute af_packet
