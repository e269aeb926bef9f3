#!/usr/bin/env bash
# Whole-process time of `kubectl podnet cilium validate` on a typical values file (the one
# `cilium values` generates), with hyperfine. Target: <= 20 ms. Usage: bash tests/bench/validate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"
cargo build -q --release -p kubectl-podnet
BIN="$CARGO_TARGET_DIR/release/kubectl-podnet"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
facts=(--remote-pod-network 10.200.0.0/16 --remote-node-network 10.80.0.0/16 --vpc-cidr 10.0.0.0/16 --nodes 40)
"$BIN" cilium values --pod-cidr 10.200.0.0/16 "${facts[@]}" > "$work/values.yaml"
hyperfine --warmup 5 --runs "${RUNS:-100}" -N --export-json "$work/h.json" \
  "$BIN cilium validate -f $work/values.yaml ${facts[*]} -o json" >&2
python3 -c "
import json,sys
r=json.load(open('$work/h.json'))['results'][0]
print(f\"cilium validate whole process: median {r['median']*1000:.1f} ms, mean {r['mean']*1000:.1f} ms, max {r['max']*1000:.1f} ms (target <= 20 ms)\")"
