#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600) from the seeds in fuzz/seeds/<target> (written by
# make_seeds.py), FUZZ_JOBS targets at a time (default 1), and prints per target: executions,
# coverage (edges), and crashes (libFuzzer's artifacts in fuzz/artifacts/<target>/).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Not run by CI.
#   fuzz/run.sh 600                    # every target, 10 minutes each
#   FUZZ_JOBS=4 fuzz/run.sh 600        # four at a time (each still runs 600 s of wall time)
#   fuzz/run.sh 60 yaml set            # some targets
set -euo pipefail
secs=${1:-600}
shift || true
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(template yaml set chart_tgz schema coalesce oci_manifest validate)
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/target}
jobs=${FUZZ_JOBS:-1}
cargo +nightly fuzz build -O
mkdir -p logs
run_one() {
  local t=$1
  mkdir -p "corpus/$t"
  # a 10 s input is a hang; 2 GB is past what the plugin may use (the hostile-input tests: 1 GB)
  cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 >"logs/$t.log" 2>&1 || true
}
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
printf '%-13s %12s %8s %8s %s\n' target executions edges crashes seconds
for t in "${targets[@]}"; do
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
  edges=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*')
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%-13s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${edges:-?}" "$crashes" "$secs"
done
