#!/usr/bin/env bash
# The lifecycle fault soak (tests/lifecycle_soak.rs): RUNS randomized sequences of install,
# upgrade, rollback and uninstall on kubesim, most steps hit by a fault (429, 500, 409, dropped
# connections before and after the request landed, answers past --request-timeout, SIGKILL
# mid-apply), the invariants checked after every step. Prints runs, faults injected by kind,
# outcomes, violations (target 0) and wall time. Not run by CI (CI runs soak_smoke).
#   bash tests/soak.sh [RUNS=200] [SEED=1000] [JOBS=2]
# SOAK_VERBOSE=1 prints every sequence's steps; SOAK_STEPS=N sets the longest sequence (6).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"
export PODNET_PEERS="${PODNET_PEERS:-$HOME/.cache/podnet-peers}"
export PATH="$PODNET_PEERS/bin:$PATH"
bash tests/setup.sh >&2   # helm (the history check) and kubectl
export SOAK_RUNS="${1:-200}" SOAK_SEED="${2:-1000}" SOAK_JOBS="${3:-2}"
exec cargo test --locked --test lifecycle_soak -- --ignored soak_lifecycle --nocapture
