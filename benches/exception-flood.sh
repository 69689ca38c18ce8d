#!/usr/bin/env bash
# Exception flood vs transit forwarding and ARP/NDP for a real neighbour:
# one worker pinned to core 1, full IPv4 table, memory and capture ports.
# Usage: benches/exception-flood.sh [WINDOW_SECONDS] [ROUNDS] [FRACTION_OF_CAPACITY]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p silkroute-control-plane --example exception_flood -- "${1:-3}" "${2:-3}" "${3:-0.6}"
