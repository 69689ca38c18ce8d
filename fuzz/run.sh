#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on any crash, hang
# (an input taking more than 10 s), leak or out-of-memory (2 GiB).
#
#   fuzz/run.sh [SECONDS_PER_TARGET]     default 30
#
# Installs cargo-fuzz if missing, seeds the corpora (fuzz/seed.sh), builds
# once, then runs FUZZ_JOBS targets at a time (default: 2, or 1 on a
# single core). libFuzzer needs nightly-only rustc flags; the stable
# toolchain accepts them with RUSTC_BOOTSTRAP=1. Inputs that grow coverage
# are kept in fuzz/corpus/<target>, crashes go to fuzz/artifacts/<target>,
# logs to fuzz/logs/<target>.log. See docs/fuzzing.md for longer runs.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-30}
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
cores=$(nproc 2>/dev/null || echo 1)
jobs=${FUZZ_JOBS:-$((cores >= 2 ? 2 : 1))}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

./seed.sh
cargo fuzz build
targets=$(cargo fuzz list)
mkdir -p logs

run_target() {
    local t=$1
    mkdir -p "artifacts/$t" "corpus/$t"
    # -timeout: one input may take 10 s (a hang otherwise); -rss_limit_mb:
    # 2 GiB before it counts as a leak/OOM; -print_final_stats: the
    # execution count printed below.
    if cargo fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"logs/$t.log" 2>&1; then
        local execs
        execs=$(awk '/stat::number_of_executed_units/ {print $2}' "logs/$t.log" | tail -n1)
        echo "fuzz: $t: ${execs:-?} executions in ${seconds}s, corpus $(find "corpus/$t" -type f | wc -l)"
    else
        echo "fuzz: $t: FAILED (log: fuzz/logs/$t.log, input: fuzz/artifacts/$t/)" >&2
        grep -E "^==[0-9]+==|panicked|SUMMARY|Test unit written|Leak|timeout" "logs/$t.log" | head -n 20 >&2 || true
        return 1
    fi
}

failed=0
pids=()
for t in $targets; do
    run_target "$t" &
    pids+=("$!")
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: a target failed" >&2
    exit 1
fi
echo "fuzz: all targets clean"
