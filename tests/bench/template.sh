#!/usr/bin/env bash
# Chart engine benchmark, in one run: the whole process of `kubectl podnet cilium template`
# (release build: start-up, chart load, values, render, sort, stream through a pipe) against Helm v4's
# in-process render of the same chart and values through helm-python-sdk, three ways:
#   warm:  chart loaded once, render timed alone after a warm-up (the most favourable for Helm);
#   load:  Chart.load + render, in the same warmed-up process;
#   cold:  Chart.load + first render in a fresh process (library imported, untimed) — the same
#          work as our whole process does once.
#   (a) engine: the hybrid values + hubble.tls.auto.method=cronJob (no keys are generated)
#   (b) end to end: the hybrid values as they are (Hubble TLS: genCA + genSignedCert, RSA-2048)
# Targets: (a) >= 20x, (b) >= 3x, peak RSS <= 40 MB.
# Usage: bash tests/bench/template.sh [CHART.tgz]   (RUNS=N, COLD_RUNS=N for more samples)
set -euo pipefail
cd "$(dirname "$0")/../.."
# Test charts as the tests find them (testkit::charts): $PODNET_TEST_CHARTS, else ../shared/charts.
CHART="$(realpath "${1:-${PODNET_TEST_CHARTS:-../shared/charts}/cilium-1.17.18.tgz}")"
RUNS="${RUNS:-30}"
COLD_RUNS="${COLD_RUNS:-15}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"
PY="${PODNET_VENV:-$HOME/.cache/podnet-venv}/bin/python"
cargo build -q --release -p kubectl-podnet
BIN="$CARGO_TARGET_DIR/release/kubectl-podnet"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
HYBRID="tests/fixtures/values/cilium-hybrid.yaml"
printf 'hubble:\n  tls:\n    auto:\n      method: cronJob\n' > "$work/cron.yaml"

run_case() { # label, extra -f args...
  local label="$1"; shift
  # the stream goes to stdout, read through a pipe (as `| kubectl apply -f -` would)
  local args=(cilium template --chart "$CHART" -f "$HYBRID" "$@")
  # Helm v4 in-process: load once, render RUNS times, median.
  local helm_ms
  helm_ms=$("$PY" - "$CHART" "$RUNS" "$HYBRID" "$@" <<'PY'
import sys, time, helm_python as helm
chart, runs, files = sys.argv[1], int(sys.argv[2]), [a for a in sys.argv[3:] if a != "-f"]
def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
values = {}
for f in files:
    values = merge(values, helm.values_from_yaml(open(f).read()))
ts, tl = [], []
with helm.Chart.load(chart) as c:
    c.render(values, name="cilium", namespace="kube-system")  # warm-up
    for _ in range(runs):
        t0 = time.perf_counter()
        c.render(values, name="cilium", namespace="kube-system")
        ts.append((time.perf_counter() - t0) * 1000)
for _ in range(runs):  # the same work as our whole process: load the .tgz, then render
    t0 = time.perf_counter()
    with helm.Chart.load(chart) as c:
        c.render(values, name="cilium", namespace="kube-system")
    tl.append((time.perf_counter() - t0) * 1000)
ts.sort(); tl.sort()
print(f"{ts[len(ts)//2]:.2f} {tl[len(tl)//2]:.2f}")
PY
)
  # Helm v4 cold: one fresh process per sample, median; peak RSS of the last one
  local cold=() helm_rss_kb=0 out i
  for ((i = 0; i < COLD_RUNS; i++)); do
    out=$("$PY" - "$CHART" "$HYBRID" "$@" <<'PY'
import resource, sys, time, helm_python as helm
chart, files = sys.argv[1], [a for a in sys.argv[2:] if a != "-f"]
def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
values = {}
for f in files:
    values = merge(values, helm.values_from_yaml(open(f).read()))
t0 = time.perf_counter()
with helm.Chart.load(chart) as c:
    c.render(values, name="cilium", namespace="kube-system")
print(f"{(time.perf_counter() - t0) * 1000:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
PY
)
    cold+=("${out% *}")
    helm_rss_kb="${out#* }"
  done
  helm_ms="$helm_ms $(printf '%s\n' "${cold[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $helm_rss_kb"
  hyperfine -N --warmup 3 --runs "$RUNS" --output=pipe --export-json "$work/h.json" \
    "$BIN ${args[*]}" > /dev/null 2>&1
  local rss_kb
  rss_kb=$( { /usr/bin/time -f '%M' "$BIN" "${args[@]}" > /dev/null; } 2>&1 | tail -1)
  python3 - "$work/h.json" "$helm_ms" "$rss_kb" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
ours, rss = r["median"] * 1000, int(sys.argv[3]) / 1024
helm, helm_load, helm_cold, helm_rss = (float(x) for x in sys.argv[2].split())
print(f"{sys.argv[4]}:\n"
      f"  kubectl-podnet cilium template  {ours:7.1f} ms  (median, whole process; min {r['min']*1000:.1f}, max {r['max']*1000:.1f}), peak RSS {rss:.1f} MB\n"
      f"  helm v4 warm render             {helm:7.1f} ms  -> ratio {helm/ours:5.2f}x\n"
      f"  helm v4 warm load+render        {helm_load:7.1f} ms  -> ratio {helm_load/ours:5.2f}x\n"
      f"  helm v4 cold load+first render  {helm_cold:7.1f} ms  -> ratio {helm_cold/ours:5.2f}x  (helm process peak RSS {helm_rss/1024:.1f} MB)")
PY
}
echo "chart: $CHART, values: $HYBRID, $RUNS runs each, $(nproc) cores" >&2
run_case "(a) engine, hubble.tls.auto.method=cronJob" -f "$work/cron.yaml"
run_case "(b) end to end, keys included"
