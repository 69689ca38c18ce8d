#!/usr/bin/env bash
# One worker's forwarding rate on one core (heap backend, full IPv4 table).
# Usage: benches/forward-rate.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p silkroute-control-plane --example forward_rate -- "${1:-5}"
