#!/bin/sh
# Runs the measurements of docs/performance.md side by side, one JVM per measurement, and prints
# one JSON object per line (label first). Build first: mvn -B -q package -DskipTests.
# Run on an idle machine: sh tools/bench_performance.sh | tee runs/performance.jsonl
set -eu
cd "$(dirname "$0")/.."
run() {
    label=$1
    shift
    out=$("$@" 2>/dev/null | tail -n 1)
    printf '{"label": "%s", "result": %s}\n' "$label" "$out"
}
anchor=configs/bench/anchor-dpo.yaml
large=configs/bench/large-dgpo.yaml
run gemm-jemalloc sh -c 'bin/dgpo bench gemm | sed "s/^\([0-9.]*\) GFLOP.*/{\"gflops\": \1}/"'
for alloc in system glibc jemalloc; do
    run "anchor-dpo-live-shared/$alloc" env DGPO_ALLOCATOR=$alloc bin/dgpo bench train --config $anchor --steps 10 --warmup 2 --json
done
run anchor-dpo-live-separate/jemalloc bin/dgpo bench train --config $anchor --set prefix_sharing=false --steps 10 --warmup 2 --json
run anchor-dpo-precomputed-shared/jemalloc bin/dgpo bench train --config $anchor --set precompute_ref_log_probs=true --steps 10 --warmup 2 --json
run anchor-dpo-precomputed-separate/jemalloc bin/dgpo bench train --config $anchor --set precompute_ref_log_probs=true --set prefix_sharing=false --steps 10 --warmup 2 --json
run anchor-simpo-shared/jemalloc bin/dgpo bench train --config $anchor --set loss_type=simpo --set beta=2.5 --steps 10 --warmup 2 --json
run anchor-dgpo-shared/jemalloc bin/dgpo bench train --config $anchor --set loss_type=dgpo --set beta=2.5 --steps 10 --warmup 2 --json
run anchor-dgpo-shared-two-pass/jemalloc bin/dgpo bench train --config $anchor --set loss_type=dgpo --set beta=2.5 --set one_pass_head=false --steps 10 --warmup 2 --json
run anchor-dgpo-separate/jemalloc bin/dgpo bench train --config $anchor --set loss_type=dgpo --set beta=2.5 --set prefix_sharing=false --steps 10 --warmup 2 --json
run logprobs/jemalloc bin/dgpo bench logprobs --json
run large-dgpo/jemalloc bin/dgpo bench train --config $large --steps 4 --warmup 2 --json
run large-dgpo-batch8/jemalloc bin/dgpo bench train --config $large --set per_device_train_batch_size=8 --steps 3 --warmup 1 --json
