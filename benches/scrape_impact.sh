#!/usr/bin/env bash
# Metrics scrape impact: forwarding rate of the looping demo with no
# scrapes versus scrapes of GET /metrics at 10 Hz.
#
# Usage: benches/scrape_impact.sh [SECONDS_PER_PHASE (default 10)] [ROUNDS (default 3)]
#
# Runs `silkroute run` (release build) on a copy of configs/demo.yaml (pcap
# ports that loop, worker pinned as configured), metrics on a free loopback
# port and a private control socket. After a warm-up it alternates phases,
# no-scrape then 10 Hz, ROUNDS times. Each phase reads the forwarded-packet
# counter (sum of silkroute_port_tx_packets_total minus
# silkroute_port_injected_packets_total) from the endpoint at its start and
# end; its rate is the delta over the wall time between the two reads.
# Prints the median of each kind:
#   RESULT scrape_impact pps_no_scrape=... pps_scrape_10hz=... ratio=... \
#          pps_per_worker_cpu_no_scrape=... pps_per_worker_cpu_scrape_10hz=... cpu_ratio=...
# The per-worker-CPU-second rate divides by the CPU time the worker threads
# actually got (/proc/PID/task/TID/stat), so it holds on a loaded machine
# where wall-clock pps swings with preemption.
# Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASE=${1:-10}
ROUNDS=${2:-3}
WARMUP=3
CLK_TCK=$(getconf CLK_TCK)

cargo build --release -q --bin silkroute
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN="$target_dir/release/silkroute"

tmp=$(mktemp -d)
router_pid=""
scraper_pid=""
cleanup() {
    [ -n "$scraper_pid" ] && kill "$scraper_pid" 2>/dev/null || true
    [ -n "$router_pid" ] && kill "$router_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$port/metrics"
cp configs/*.pcap configs/*.txt "$tmp"/
cp configs/demo.yaml "$tmp"/demo.yaml
printf '\nmetrics: { listen: "127.0.0.1:%s" }\ncontrol: { socket: %s/silkroute.sock }\nlog_level: warn\n' \
    "$port" "$tmp" >>"$tmp"/demo.yaml
sed -i 's/^log_level: info$//' "$tmp"/demo.yaml

"$BIN" run --config "$tmp"/demo.yaml >"$tmp"/silkroute.log 2>&1 &
router_pid=$!

for _ in $(seq 100); do
    curl -sf -o /dev/null "$URL" && break
    sleep 0.1
done
curl -sf -o /dev/null "$URL" || { cat "$tmp"/silkroute.log; echo "endpoint never came up" >&2; exit 1; }
sleep "$WARMUP"

# CPU time (clock ticks) the worker threads (silkroute-w*) got so far.
worker_ticks() {
    local t=0 task
    for task in /proc/"$router_pid"/task/*; do
        case "$(cat "$task"/comm 2>/dev/null)" in
        silkroute-w*)
            # Fields 14 and 15 of stat: utime, stime (after the "(comm)").
            t=$((t + $(sed 's/.*) //' "$task"/stat | awk '{ print $12 + $13 }')))
            ;;
        esac
    done
    echo "$t"
}

# "<forwarded packets> <time> <worker ticks>", read from the endpoint.
sample() {
    local now ticks
    now=$(date +%s.%N)
    ticks=$(worker_ticks)
    curl -sf "$URL" | awk -v t="$now" -v k="$ticks" '
        /^silkroute_port_tx_packets_total/ { tx += $NF }
        /^silkroute_port_injected_packets_total/ { inj += $NF }
        END { printf "%.0f %s %s\n", tx - inj, t, k }'
}

# "<packets per second> <packets per worker CPU second>" over one phase.
# The second is immune to the worker being preempted by other load.
phase() {
    local a b
    a=$(sample)
    sleep "$PHASE"
    b=$(sample)
    awk -v a="$a" -v b="$b" -v hz="$CLK_TCK" 'BEGIN { split(a, x, " "); split(b, y, " ");
        cpu = (y[3] - x[3]) / hz; if (cpu <= 0) cpu = 1e-9;
        printf "%.0f %.0f\n", (y[1] - x[1]) / (y[2] - x[2]), (y[1] - x[1]) / cpu }'
}

# Scrapes at 10 Hz on a fixed schedule until SIGTERM, then writes how
# many it did to $tmp/scrapes.
cat >"$tmp"/scraper.py <<'EOF'
import signal, sys, time, urllib.request
url, out = sys.argv[1], sys.argv[2]
n = 0
def stop(*_):
    with open(out, "w") as f:
        f.write(str(n))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
t = time.monotonic()
while True:
    urllib.request.urlopen(url).read()
    n += 1
    t += 0.1
    time.sleep(max(0.0, t - time.monotonic()))
EOF

no_scrape=()
scrape=()
no_scrape_cpu=()
scrape_cpu=()
for r in $(seq "$ROUNDS"); do
    read -r pps cpu < <(phase)
    no_scrape+=("$pps")
    no_scrape_cpu+=("$cpu")
    echo "round $r: no scrape    $pps pps, $cpu pps per worker CPU second" >&2
    python3 "$tmp"/scraper.py "$URL" "$tmp"/scrapes &
    scraper_pid=$!
    sleep 0.3
    read -r pps cpu < <(phase)
    kill "$scraper_pid"
    wait "$scraper_pid" 2>/dev/null || true
    scraper_pid=""
    scrape+=("$pps")
    scrape_cpu+=("$cpu")
    echo "round $r: 10 Hz scrape $pps pps, $cpu pps per worker CPU second ($(cat "$tmp"/scrapes) scrapes)" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m0=$(median "${no_scrape[@]}")
m1=$(median "${scrape[@]}")
c0=$(median "${no_scrape_cpu[@]}")
c1=$(median "${scrape_cpu[@]}")
ratio=$(awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.4f", b / a }')
cpu_ratio=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.4f", b / a }')
echo "RESULT scrape_impact pps_no_scrape=$m0 pps_scrape_10hz=$m1 ratio=$ratio" \
    "pps_per_worker_cpu_no_scrape=$c0 pps_per_worker_cpu_scrape_10hz=$c1 cpu_ratio=$cpu_ratio"
