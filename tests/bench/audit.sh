#!/usr/bin/env bash
# Audit benchmark, in one run on one server: kubesim with 5,000 nodes / 150,000 pods;
# `kubectl podnet audit` (whole process) against `kubectl get pods -A -o json > /dev/null`.
# Prints both times, the ratio, and podnet's peak RSS. Usage: bash tests/bench/audit.sh [NODES PODS]
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES="${1:-5000}"
PODS="${2:-150000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"
cargo build -q --release -p kubectl-podnet -p kubesim
BIN="$CARGO_TARGET_DIR/release"
work="$(mktemp -d)"
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT

"$BIN/kubesim" --scenario "eks:nodes=$NODES,pods=$PODS,hybrid=0,misplaced=10" --no-controllers \
  --kubeconfig-out "$work/kubeconfig" > "$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 1 600); do [ -s "$work/kubeconfig" ] && grep -q serving "$work/sim.log" && break; sleep 0.1; done
grep serving "$work/sim.log" >&2

export KUBECONFIG="$work/kubeconfig"
hyperfine --warmup 1 --runs "${RUNS:-3}" --export-json "$work/h.json" \
  -n kubectl 'kubectl get pods -A -o json > /dev/null' \
  -n podnet "$BIN/kubectl-podnet audit -o json > /dev/null || [ \$? -eq 1 ]" >&2
rss_kb=$( { /usr/bin/time -f '%M' "$BIN/kubectl-podnet" audit -o json > /dev/null || true; } 2>&1 | tail -1)
python3 - "$work/h.json" "$rss_kb" "$NODES" "$PODS" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, p = r["kubectl"]["median"], r["podnet"]["median"]
print(f"audit benchmark: {sys.argv[3]} nodes, {sys.argv[4]} pods")
print(f"  kubectl get pods -A -o json: {k*1000:.0f} ms (median)")
print(f"  kubectl podnet audit:        {p*1000:.0f} ms (median)")
print(f"  ratio podnet/kubectl:        {p/k:.2f}x (target <= 1.5x)")
print(f"  podnet peak RSS:             {int(sys.argv[2])/1024:.1f} MB (target <= 150 MB)")
PY
