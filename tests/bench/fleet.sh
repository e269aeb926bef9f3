#!/usr/bin/env bash
# Fleet benchmark, in one run: N kubesim clusters (default 50; `eks` scenario with 20 nodes and 400
# pods each, every request delayed by --latency, default 50ms, as a remote API server's round trip)
# in one kubeconfig. `kubectl podnet audit --all-contexts` (one whole process, default --parallel 8)
# against the sum of N single runs `kubectl podnet audit --context C` (one whole process each, one
# after another) on the same clusters. Prints both wall times, the ratio and the fleet run's peak RSS.
# Targets: ratio <= 0.2, peak RSS <= 200 MB. Usage: bash tests/bench/fleet.sh [N]   (LATENCY=50ms;
# PROFILE=dev measures the debug build when no release build is at hand; BUILD=0 skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-50}"
LATENCY="${LATENCY:-50ms}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"
PROFILE="${PROFILE:-release}"
# Two builds, as krew/dist.sh builds the plugin alone: one `-p a -p b` build would unify their
# dependencies' features and rebuild the AWS SDKs in that profile.
# BUILD=0 takes the binaries already there (e.g. PROFILE=dev after `cargo test`).
if [ "${BUILD:-1}" = 1 ]; then
  cargo build -q --profile "$PROFILE" -p kubectl-podnet --bin kubectl-podnet
  cargo build -q --profile "$PROFILE" -p kubesim
fi
OUT="$CARGO_TARGET_DIR/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")"
work="$(mktemp -d)"
# Copies: the target dir may be shared with other checkouts whose builds replace these files.
BIN="$work/bin"
mkdir -p "$BIN"
cp "$OUT/kubectl-podnet" "$OUT/kubesim" "$BIN/"
"$BIN/kubectl-podnet" audit --help | grep -q -- --all-contexts \
  || { echo "the $PROFILE binary lacks --all-contexts: another checkout's build? rerun" >&2; exit 2; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

for i in $(seq 1 "$N"); do
  "$BIN/kubesim" --scenario "eks:nodes=20,pods=400,hybrid=0,misplaced=2" --no-controllers \
    --latency "$LATENCY" > "$work/sim$i.url" 2> "$work/sim$i.log" &
  pids+=("$!")
done
for i in $(seq 1 "$N"); do
  for _ in $(seq 1 600); do [ -s "$work/sim$i.url" ] && break; sleep 0.1; done
  [ -s "$work/sim$i.url" ] || { cat "$work/sim$i.log" >&2; exit 2; }
done

# One kubeconfig, a context per cluster (named like `aws eks update-kubeconfig` names them).
{
  echo "apiVersion: v1"; echo "kind: Config"; echo "clusters:"
  for i in $(seq 1 "$N"); do
    printf -- "- name: arn:aws:eks:us-west-2:111122223333:cluster/c%s\n  cluster:\n    server: %s\n" "$i" "$(head -1 "$work/sim$i.url")"
  done
  echo "contexts:"
  for i in $(seq 1 "$N"); do
    printf -- "- name: c%s\n  context:\n    cluster: arn:aws:eks:us-west-2:111122223333:cluster/c%s\n    user: admin\n" "$i" "$i"
  done
  echo "current-context: c1"
  printf "users:\n- name: admin\n  user:\n    username: admin\n"
} > "$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"

now() { date +%s.%N; }
# Warm-up (page cache, binary): one single run.
"$BIN/kubectl-podnet" audit --context c1 -o json > /dev/null || [ $? -eq 1 ]

t0=$(now)
for i in $(seq 1 "$N"); do
  "$BIN/kubectl-podnet" audit --context "c$i" -o json > /dev/null || [ $? -eq 1 ]
done
t1=$(now)
code=0
/usr/bin/time -f '%U %S %e %M' -o "$work/fleet.time" \
  "$BIN/kubectl-podnet" audit --all-contexts -o json > "$work/fleet.json" || code=$?
[ "$code" -le 1 ] || { echo "fleet run exited $code" >&2; exit 2; }

python3 - "$work/fleet.json" "$work/fleet.time" "$t0" "$t1" "$N" "$LATENCY" "$PROFILE" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
user, system, wall, rss_kb = open(sys.argv[2]).read().split()[-4:]
single_sum = float(sys.argv[4]) - float(sys.argv[3])
fleet = float(wall)
s = doc["summary"]
assert s["clusters"] == int(sys.argv[5]) and s["notChecked"] == 0, s
print(f"fleet benchmark ({sys.argv[7]} build): {sys.argv[5]} kubesim clusters, {sys.argv[6]} per request, audit")
print(f"  sum of {sys.argv[5]} single runs:  {single_sum:.2f} s ({single_sum / int(sys.argv[5]) * 1000:.0f} ms each)")
print(f"  one fleet run (--parallel 8): {fleet:.2f} s")
print(f"  ratio fleet/sum:              {fleet / single_sum:.3f} (target <= 0.2)")
print(f"  fleet CPU time (user+sys):    {float(user) + float(system):.2f} s")
print(f"  fleet peak RSS:               {int(rss_kb) / 1024:.1f} MB (target <= 200 MB)")
PY
