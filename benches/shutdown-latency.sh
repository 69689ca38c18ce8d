#!/usr/bin/env bash
# Time from SIGTERM to process exit while the router forwards at full speed
# (looping demo captures), median of 5 runs.
# Usage: benches/shutdown-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin silkroute
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp configs/quickstart-p0.pcap configs/quickstart-p1.pcap configs/quickstart-routes.txt "$dir/"
sed -e "s|^log_level: .*|log_level: warn|" configs/demo.yaml > "$dir/demo.yaml"
cat >> "$dir/demo.yaml" <<YAML
control: { socket: $dir/ctl.sock }
metrics: { enabled: false }
YAML
times=()
for i in 1 2 3 4 5; do
    ./target/release/silkroute run --config "$dir/demo.yaml" > "$dir/out.txt" 2>&1 &
    pid=$!
    sleep 2
    start=$(date +%s%N)
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    end=$(date +%s%N)
    grep -q "^received" "$dir/out.txt" || { echo "run $i: no summary (exit $rc)" >&2; exit 1; }
    times+=( $(( (end - start) / 1000000 )) )
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | sed -n 3p)
echo "RESULT shutdown runs=5 ms=[$(echo $sorted | tr ' ' ',')] median_ms=$median"
