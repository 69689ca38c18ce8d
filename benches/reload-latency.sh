#!/usr/bin/env bash
# Reload latency: request -> every worker on the new FIB.
# Usage: benches/reload-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p silkroute-control-plane --example reload_latency
