#!/usr/bin/env bash
# The LPM comparison benchmark (docs/performance.md, "LPM lookups"):
# silkroute-lpm against DPDK's rte_lpm, rte_fib, rte_lpm6, rte_fib6 and the
# Rust crates prefix-trie and ip_network_table, one core, same keys.
# Installs nothing: needs libdpdk-dev, pkg-config and libclang-dev (.ci/run
# installs them). Arguments go to the binary (--help lists them), e.g.
#   benches/lpm-compare.sh                       # the full run (16M keys, 5 passes)
#   benches/lpm-compare.sh --keys 1000000 --passes 1 --max-routes 200000   # CI
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p silkroute-benches --features dpdk --bin lpm-compare -- "$@"
