#!/usr/bin/env bash
# Builds the Go peers pinned by the modules under tests/peers/ into $PODNET_PEERS/bin
# (default ~/.cache/podnet-peers/bin). Each peer has a stamp named after its version and the
# hash of its go.mod + go.sum, so a rerun with unchanged pins builds nothing; change a pin and
# only that peer is rebuilt. Run by tests/setup.sh; run it alone to (re)build the peers.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
PEERS="${PODNET_PEERS:-$HOME/.cache/podnet-peers}"
export GOMODCACHE="${GOMODCACHE:-$HOME/.cache/podnet-go/mod}"
export GOCACHE="${GOCACHE:-$HOME/.cache/go-build}"
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0
bin="$PEERS/bin"
stamps="$PEERS/stamps"
mkdir -p "$bin" "$stamps"

GO="$(command -v go || true)"
[ -n "$GO" ] || GO=/usr/local/go/bin/go
[ -x "$GO" ] || { echo "peers: no Go toolchain (go on PATH or /usr/local/go/bin/go); Go 1.26 is needed" >&2; exit 1; }

# `build.sh PEER...` builds only those peers (default: all).
ONLY=" $* "
wanted() { [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $1 "* ]]; }

# modver DIR MODULE: the version of MODULE that DIR/go.mod requires (or replaces it with).
modver() {
  awk -v m="$2" '
    $1 == "replace" && $2 == m && $3 == "=>" { r = $NF; next }
    $1 == m && $2 == "=>" { r = $NF; next }
    $1 == "require" && $2 == m { v = $3; next }
    $1 == m && $2 ~ /^v/ { v = $2 }
    END { print (r != "" ? r : v) }' "$1/go.mod"
}

# build PEER MODULE BINARIES -- GO-BUILD-ARGS...: builds tests/peers/PEER when its stamp is missing.
# BINARIES lists what go build writes; NAME=INSTALLED installs NAME under another name.
build() {
  local peer="$1" module="$2" binaries="$3"
  shift 4
  local dir="$here/$peer" version sum stamp b missing=0
  wanted "$peer" || return 0
  version="$(modver "$dir" "$module")"
  [ -n "$version" ] || { echo "peers: $peer/go.mod does not require $module" >&2; exit 1; }
  sum="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)"
  stamp="$stamps/$peer-$version-$sum"
  for b in $binaries; do [ -x "$bin/${b#*=}" ] || missing=1; done
  if [ -f "$stamp" ] && [ "$missing" = 0 ]; then
    return 0
  fi
  echo "peers: building $peer $version ($binaries)" >&2
  local start=$SECONDS tmp
  tmp="$(mktemp -d "$PEERS/.build-$peer.XXXXXX")"
  (cd "$dir" && "$GO" build -trimpath -o "$tmp/" "$@") || { rm -rf "$tmp"; echo "peers: $peer build failed" >&2; exit 1; }
  for b in $binaries; do mv -f "$tmp/${b%%=*}" "$bin/${b#*=}"; done
  rm -rf "$tmp"
  rm -f "$stamps/$peer-"*
  echo "$module $version" >"$stamp"
  echo "peers: built $peer $version in $((SECONDS - start)) s" >&2
}

# moddir PEER MODULE: where the Go module cache holds MODULE, as tests/peers/PEER requires it.
moddir() {
  (cd "$here/$1" && "$GO" list -m -f '{{.Dir}}' "$2")
}

build helm helm.sh/helm/v4 "helm" -- \
  -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$(modver "$here/helm" helm.sh/helm/v4)" \
  helm.sh/helm/v4/cmd/helm

# What the kube-apiserver reports as its version (/version, kubectl version), as Kubernetes'
# hack/lib/version.sh sets it: client-go and component-base carry the same values.
kube_version="$(modver "$here/kube" k8s.io/kubernetes)"
kube_minor="${kube_version#v1.}"
kube_minor="${kube_minor%%.*}"
kube_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
# One go build for the three Kubernetes commands and etcd, so their shared packages compile once.
build kube k8s.io/kubernetes "kube-apiserver kube-controller-manager kube-scheduler etcd" -- \
  -ldflags="$kube_ldflags" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler ./etcd

# kwok: the binary holds no stages (kwokctl writes them into its config), so the default ones
# that kwok's module ships (kustomize/stage/{node,pod}/…) go to share/kwok-<version>/, where
# tests/cluster.sh reads them into its kwok configuration.
build kwok sigs.k8s.io/kwok "kwok" -- -ldflags="-s -w" sigs.k8s.io/kwok/cmd/kwok
kwok_version="$(modver "$here/kwok" sigs.k8s.io/kwok)"
kwok_share="$PEERS/share/kwok-$kwok_version"
if wanted kwok && [ ! -f "$kwok_share/pod-delete.yaml" ]; then
  src="$(moddir kwok sigs.k8s.io/kwok)/kustomize/stage"
  mkdir -p "$kwok_share"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    install -m 0644 "$src/$f" "$kwok_share/"
  done
fi

build krew sigs.k8s.io/krew "krew=kubectl-krew" -- \
  -ldflags="-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$(modver "$here/krew" sigs.k8s.io/krew)" \
  sigs.k8s.io/krew/cmd/krew

# cilium-cli (`cilium`), the tool users would otherwise pick, for tests/cilium_cli_peer.rs. Its
# version stamp is the module version, as its Makefile's `git describe` would give on that commit.
build cilium github.com/cilium/cilium "cilium" -- \
  -ldflags="-s -w -X github.com/cilium/cilium/cilium-cli/defaults.CLIVersion=$(modver "$here/cilium" github.com/cilium/cilium)" \
  github.com/cilium/cilium/cilium-cli/cmd/cilium
