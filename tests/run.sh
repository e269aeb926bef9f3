#!/usr/bin/env bash
# The project's test command: installs the peers, then fmt, clippy (-D warnings) and every test.
# Build cache outside the clone so reruns (and CI) are fast.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"
export PODNET_VENV="${PODNET_VENV:-$HOME/.cache/podnet-venv}"
export PODNET_PEERS="${PODNET_PEERS:-$HOME/.cache/podnet-peers}"
# Each clone is a new path, so incremental caches never get reused; they only fill the disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CI="${CI:-true}"   # insta: never write snapshots here, fail on a mismatch

PODNET_SETUP_GO_PEERS=0 bash tests/setup.sh
# The Go peers (helm, kube-apiserver, etcd, kwok, krew, cilium) build beside the Rust build: on a fresh
# machine both take long, and Go's module downloads overlap rustc's work. Its log is kept outside
# the clone and shown when it fails.
mkdir -p "$PODNET_PEERS"
peers_log="$PODNET_PEERS/build.log"
bash tests/peers/build.sh >"$peers_log" 2>&1 &
peers_pid=$!
wait_peers() {
  if ! wait "$peers_pid"; then
    tail -n 60 "$peers_log" >&2
    echo "run.sh: building the Go peers failed (log: $peers_log)" >&2
    exit 1
  fi
  cat "$peers_log" >&2
}
trap 'kill "$peers_pid" 2>/dev/null || true' EXIT
# The Go peers and, on a machine without one, kubectl.
export PATH="$PODNET_PEERS/bin:$PATH"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Supply chain (deny.toml): licences, duplicate versions, sources; offline, ~2 s. Advisories need the
# RustSec database from GitHub: the release workflow checks them.
command -v cargo-deny >/dev/null 2>&1 || cargo install cargo-deny --locked
# cargo-deny reads the metadata of every target platform; a fresh machine has only the host's crates.
cargo fetch --locked
cargo deny --frozen check --hide-inclusion-graph licenses bans sources
cargo test --workspace --locked --no-run
wait_peers
trap - EXIT
cargo test --workspace --locked
