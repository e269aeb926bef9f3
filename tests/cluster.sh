#!/usr/bin/env bash
# A real Kubernetes control plane with fake nodes that looks like EKS, for the tests:
#
#   bash tests/cluster.sh up DIR [--nodes N] [--hybrid-nodes M]    (defaults: 2 EC2, 2 hybrid)
#   bash tests/cluster.sh up DIR --bare
#        ... [--owner PID|none]                                   (default: the calling process)
#        ... [--apiserver-arg ARG]...                             (more kube-apiserver flags)
#   bash tests/cluster.sh down DIR
#   bash tests/cluster.sh reap
#
# `up` starts, on 127.0.0.1 with free ports and everything kept in DIR: etcd, kube-apiserver
# (TLS, client certificates, authorization Node,RBAC, service CIDR 172.20.0.0/16),
# kube-controller-manager (all default controllers, one service account each), kube-scheduler and
# kwok (the fake kubelets: nodes Ready, pods Running/Ready with IPs from their node's podCIDR).
# The binaries come from $PODNET_PEERS/bin (tests/setup.sh builds them). It creates the EKS
# objects (tests/cluster-eks.py) and returns once the apiserver is healthy, every node is Ready and
# the aws-node and kube-proxy DaemonSets are fully ready, leaving DIR/kubeconfig (admin). On a
# failure it prints the failing component's log tail (DIR/logs/), stops what it started and exits 1.
# A previous run in DIR that crashed or was never taken down is stopped first. DIR/logs/up.log
# has each step's time; PODNET_CLUSTER_TIMEOUT (seconds, default 120) bounds each wait.
# `--bare` starts etcd and kube-apiserver only: no controllers, scheduler or kwok, no EKS objects,
# no nodes. For tests that create every object themselves and need it to stay exactly as written
# (the audit's scenarios: nodes without kubelets, pods whose status the test sets through the
# status subresource, DaemonSets without pods); the real API server still validates, defaults,
# pages and serves subresources.
# `down` stops every process serving DIR (recorded in DIR/run/, or found by its arguments: the
# apiserver and its clients first, then etcd) and returns once none is left, not even a zombie.
#
# Owner: a cluster belongs to a process (`--owner PID`, default the caller of `up`, i.e. the test
# process; `--owner none`: until `down`), recorded with its start time in DIR/owner. A process
# killed outright (SIGKILL, a crash, a timeout) never runs its clean-up, so `up` also starts a
# watchdog (DIR/logs/watchdog.log) that brings the cluster down, and deletes its etcd data, within
# about a second of the owner's end. `reap` stops every cluster whose owner has gone (also those
# whose watchdog was killed too, or whose DIR was deleted); every `up` runs it first.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
PEERS_BIN="${PODNET_PEERS:-$HOME/.cache/podnet-peers}/bin"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
SERVICE_CIDR=172.20.0.0/16
SERVICE_IP=172.20.0.1 # the `kubernetes` Service
TIMEOUT="${PODNET_CLUSTER_TIMEOUT:-120}"

usage() {
  echo "usage: $0 up DIR [--nodes N] [--hybrid-nodes M | --bare] [--owner PID|none] [--apiserver-arg ARG]... | down DIR | reap" >&2
  exit 2
}

die() {
  echo "cluster: $*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# phase WHAT: records in DIR/logs/up.log when a step of `up` ended (ms since up began).
phase() { echo "$(($(now_ms) - T0)) ms $*" >>"$DIR/logs/up.log"; }

# pid_of DIR NAME: the pid recorded for NAME, if that process still runs and is ours (its
# command line names DIR, so a pid reused by another program is never touched).
pid_of() {
  local f="$1/run/$2.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$1/" || return 1
  echo "$pid"
}

STOPPED=() # pids stop() has ended

running() { # alive and not a zombie
  local state
  state="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)"
  [ -n "$state" ] && [ "$state" != Z ]
}

# ours DIR NAMES...: the pids of our NAMES serving DIR: the pids recorded in DIR/run/, and any
# process running $PEERS_BIN/NAME with DIR in its arguments (left behind when DIR/run/ was lost).
ours() {
  local dir="$1" name pid cmd
  shift
  for name in "$@"; do
    pid_of "$dir" "$name" || true
  done
  for pid in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$pid/cmdline")" || continue
    for name in "$@"; do
      case "$cmd" in
      "$PEERS_BIN/$name "*"$dir/"*) echo "${pid#/proc/}" ;;
      "bash "*"/cluster.sh watch $dir/ "*) if [ "$name" = watchdog ]; then echo "${pid#/proc/}"; fi ;;
      esac
    done
  done
}

# stop DIR GRACE NAMES...: SIGTERM, up to GRACE tenths of a second to exit, then SIGKILL.
stop() {
  local dir="$1" grace="$2" pid pids=() i
  shift 2
  for pid in $(ours "$dir" "$@" | sort -u); do
    [ "$pid" != "$$" ] || continue # the watchdog bringing its own cluster down
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  STOPPED+=("${pids[@]}")
  for ((i = 0; i < grace; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do running "$pid" && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do running "$pid" && kill -KILL "$pid" 2>/dev/null; done
  return 0
}

# down: the apiserver and its clients first (with etcd still up, the apiserver exits in about a
# second; without it, it hangs on its storage), then etcd. Returns once the processes are gone,
# not even zombies (whoever adopted them reaps them, within a second or two).
cmd_down() {
  local dir="$1" pid i left
  STOPPED=()
  stop "$dir" 10 watchdog
  stop "$dir" 50 kwok kube-scheduler kube-controller-manager kube-apiserver
  stop "$dir" 50 etcd
  for ((i = 0; i < 50; i++)); do
    left=0
    for pid in ${STOPPED[@]+"${STOPPED[@]}"}; do [ -d "/proc/$pid" ] && left=1; done
    ((left)) || break
    sleep 0.1
  done
  rm -f "$dir"/run/*.pid
}

# free_ports N: N distinct free TCP ports on 127.0.0.1.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# pki DIR: a CA, the apiserver's serving certificate, client certificates and the service account
# signing key, all ECDSA P-256 (instant to make, as kubesim's), with openssl, in parallel.
pki() {
  local p="$1/pki"
  mkdir -p "$p"
  (
    cd "$p"
    local jobs=()
    { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sa.key &&
      openssl pkey -in sa.key -pubout -out sa.pub; } 2>/dev/null &
    jobs+=($!)
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ca.key -out ca.crt \
      -days 3650 -subj "/CN=kubernetes" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,digitalSignature,keyCertSign,cRLSign" 2>/dev/null
    # cert NAME SERIAL SUBJECT EXTENSIONS
    cert() {
      openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$1.key" -subj "$3" \
        -out "$1.csr" 2>/dev/null
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$2" -days 3650 -out "$1.crt" \
        -extfile <(printf '%s\n' "$4") 2>/dev/null
      rm -f "$1.csr"
    }
    local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    cert apiserver 2 "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" &
    jobs+=($!)
    cert admin 3 "/O=system:masters/CN=kubernetes-admin" "$client" &
    jobs+=($!)
    cert kube-controller-manager 4 "/CN=system:kube-controller-manager" "$client" &
    jobs+=($!)
    cert kube-scheduler 5 "/CN=system:kube-scheduler" "$client" &
    jobs+=($!)
    cert kwok 6 "/O=system:masters/CN=kwok" "$client" &
    jobs+=($!)
    local j
    for j in "${jobs[@]}"; do wait "$j" || { echo "cluster: openssl failed making $p" >&2; exit 1; }; done
  )
}

# kubeconfig FILE USER SERVER PKI: a kubeconfig with the certificates inline.
kubeconfig() {
  local b64="base64 -w0"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: podnet-test
  cluster:
    server: $3
    certificate-authority-data: $($b64 "$4/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 "$4/$2.crt")
    client-key-data: $($b64 "$4/$2.key")
contexts:
- name: podnet-test
  context:
    cluster: podnet-test
    user: $2
current-context: podnet-test
EOF
}

# start DIR NAME ARGS...: runs $PEERS_BIN/NAME in its own session, log in DIR/logs/NAME.log,
# pid in DIR/run/NAME.pid (written by the process itself, before it execs).
start() {
  local dir="$1" name="$2"
  shift 2
  # The pid file appears whole (temp file + rename): a reader never sees it empty, which
  # wait_until would take for a component that died.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1.tmp" && mv "$1.tmp" "$1"; shift; exec "$@"' _ "$dir/run/$name.pid" "$PEERS_BIN/$name" "$@" \
    </dev/null >"$dir/logs/$name.log" 2>&1 &
}

fail() {
  local dir="$1" what="$2" name
  shift 2
  echo "cluster: up failed: $what" >&2
  for name in "$@"; do
    echo "---- $dir/logs/$name.log (last 40 lines)" >&2
    tail -n 40 "$dir/logs/$name.log" >&2 2>/dev/null || true
  done
  cmd_down "$dir"
  exit 1
}

# wait_until DIR WHAT LOGS CMD...: polls CMD until it succeeds; fails with the LOGS' tails (a
# space-separated list of components) when TIMEOUT passes or a component has died.
wait_until() {
  local dir="$1" what="$2" logs="$3" deadline name
  shift 3
  deadline=$((SECONDS + TIMEOUT))
  # shellcheck disable=SC2206
  local components=($logs)
  until "$@" >/dev/null 2>&1; do
    for name in "${COMPONENTS[@]}"; do
      # dead twice, 0.2 s apart: a process caught between its shell and exec is not dead
      if [ -f "$dir/run/$name.pid" ] && ! pid_of "$dir" "$name" >/dev/null &&
        sleep 0.2 && ! pid_of "$dir" "$name" >/dev/null; then
        fail "$dir" "$name exited while waiting for $what" "$name"
      fi
    done
    ((SECONDS < deadline)) || fail "$dir" "timed out after ${TIMEOUT}s waiting for $what" "${components[@]}"
    sleep 0.1
  done
}

# proc_start PID: the process's start time (field 22 of /proc/PID/stat, clock ticks since boot),
# which tells it from a later process given the same pid.
proc_start() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # after the command name, which may hold spaces
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# owner_alive DIR: DIR/owner is "none", or names a process that still runs (same pid, same start
# time, not a zombie).
owner_alive() {
  local pid start
  read -r pid start <"$1/owner" 2>/dev/null || return 1
  [ "$pid" = none ] && return 0
  [ -n "$start" ] && [ "$(proc_start "$pid")" = "$start" ] && running "$pid"
}

# wipe DIR: deletes the cluster's etcd data and keys once no etcd of DIR runs. On a loaded machine
# etcd can outlive `down`'s wait and write while `rm -rf` walks its directory, leaving it behind.
wipe() {
  local dir="$1" i
  for ((i = 0; i < 100; i++)); do
    if [ -z "$(ours "$dir" etcd)" ]; then
      rm -rf "$dir/etcd" "$dir/pki" 2>/dev/null || true
      [ -e "$dir/etcd" ] || [ -e "$dir/pki" ] || return 0
    fi
    sleep 0.1
  done
  rm -rf "$dir/etcd" "$dir/pki"
}

# cmd_watch DIR: the watchdog `up` starts. Once the owner has gone, brings the cluster down and
# deletes its etcd data and keys (`down` stops the watchdog first when it comes before).
cmd_watch() {
  local dir="${1%/}"
  echo $$ >"$dir/run/watchdog.pid"
  while owner_alive "$dir"; do sleep 1; done
  echo "$(date -u +%FT%TZ) owner $(cat "$dir/owner" 2>/dev/null) has gone: bringing the cluster down"
  rm -f "$dir/run/watchdog.pid"
  cmd_down "$dir"
  wipe "$dir"
  echo "$(date -u +%FT%TZ) cluster down"
}

# cmd_reap: brings down every cluster whose owner has gone. Clusters are found by their processes
# (etcd's --data-dir=DIR/etcd, the apiserver's --tls-cert-file=DIR/pki/apiserver.crt), so one is
# found without its watchdog, and reaped when its DIR was deleted. A DIR without an owner file
# (a cluster from before owners were recorded) is left alone.
cmd_reap() {
  local pid cmd dir dirs=()
  for pid in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$pid/cmdline")" || continue
    case "$cmd" in
    "$PEERS_BIN/etcd "*"--data-dir="*) dir="${cmd#*--data-dir=}" && dir="${dir%%/etcd *}" ;;
    "$PEERS_BIN/kube-apiserver "*"--tls-cert-file="*) dir="${cmd#*--tls-cert-file=}" && dir="${dir%%/pki/apiserver.crt *}" ;;
    *) continue ;;
    esac
    [[ "$dir" == /* && "$dir" != *" "* ]] && dirs+=("$dir")
  done
  ((${#dirs[@]})) || return 0
  while read -r dir; do
    if [ -f "$dir/owner" ]; then
      owner_alive "$dir" && continue
    elif [ -d "$dir" ]; then
      continue
    fi
    echo "cluster: reaping the cluster in $dir: its owner ($(cat "$dir/owner" 2>/dev/null || echo "and its directory")) has gone" >&2
    cmd_down "$dir"
    wipe "$dir"
  done < <(printf '%s\n' "${dirs[@]}" | sort -u)
}

cmd_up() {
  local dir="$1" nodes="$2" hybrid="$3" bare="$4" owner="$5" t0 name
  t0="$(now_ms)"
  T0="$t0"
  for name in "${COMPONENTS[@]}"; do
    [ -x "$PEERS_BIN/$name" ] || die "$PEERS_BIN/$name is missing: run bash tests/setup.sh"
  done
  local kwok_stages
  kwok_stages="$(find "${PEERS_BIN%/bin}/share" -maxdepth 1 -name 'kwok-*' -type d 2>/dev/null | sort | tail -n 1)"
  [ -f "$kwok_stages/pod-ready.yaml" ] || die "kwok's stages are missing in ${PEERS_BIN%/bin}/share: run bash tests/setup.sh"

  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/.podnet-cluster" ]; then
    die "$dir is not empty and not a test cluster's directory; refusing to use it"
  fi
  # Clusters whose owner has gone, and a previous run in DIR: stop what is left, start afresh.
  cmd_reap
  cmd_down "$dir"
  rm -rf "$dir/etcd" "$dir/pki" "$dir/logs" "$dir/run" "$dir/manifests" "$dir/kwok.yaml" "$dir/kubeconfig" \
    "$dir/ports"
  mkdir -p "$dir/logs" "$dir/run"
  touch "$dir/.podnet-cluster"
  DIR="$dir"
  # The owner before any process starts, so that `reap` never sees a cluster without one.
  if [ "$owner" = none ]; then
    echo none >"$dir/owner"
  else
    local owner_start
    owner_start="$(proc_start "$owner")" || die "--owner $owner: no such process"
    echo "$owner $owner_start" >"$dir/owner"
    setsid bash "$here/cluster.sh" watch "$dir/" </dev/null >>"$dir/logs/watchdog.log" 2>&1 &
  fi
  phase "cleaned up $dir"

  local ports etcd_port peer_port api_port
  read -r etcd_port peer_port api_port <<<"$(free_ports 3)"
  ports="etcd=$etcd_port etcd-peer=$peer_port kube-apiserver=$api_port"
  echo "$ports" >"$dir/ports"
  local server="https://127.0.0.1:$api_port" kube_version
  # The version tests/peers/build.sh stamped (faster than starting the binary), else ask it.
  kube_version="$(cat "${PEERS_BIN%/bin}"/stamps/kube-v* 2>/dev/null | awk '{print $2; exit}')"
  [ -n "$kube_version" ] || kube_version="$("$PEERS_BIN/kube-apiserver" --version | awk '{print $2}')"

  # etcd needs no certificates: start it first, make the PKI while it starts.
  start "$dir" etcd --name=podnet --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="podnet=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level=warn
  phase "etcd started"
  pki "$dir"
  phase "pki made"
  local p="$dir/pki"
  kubeconfig "$dir/kubeconfig" admin "$server" "$p"
  for name in kube-controller-manager kube-scheduler kwok; do kubeconfig "$p/$name.kubeconfig" "$name" "$server" "$p"; done
  ((bare)) || python3 "$here/cluster-eks.py" "$nodes" "$hybrid" "$kube_version" "$dir/manifests"
  # kwok's stages, as kwokctl configures them (fast node start, heartbeat with leases, fast pods).
  # No KwokConfiguration document: with one, kwok would not default the options left out.
  local f
  for f in node-initialize node-heartbeat-with-lease pod-ready pod-complete pod-delete; do
    printf -- '---\n'
    cat "$kwok_stages/$f.yaml"
  done >"$dir/kwok.yaml"

  phase "kwok config and EKS objects written"
  start "$dir" kube-apiserver --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" --client-ca-file="$p/ca.crt" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local --profiling=false \
    --endpoint-reconciler-type=none ${APISERVER_ARGS[@]+"${APISERVER_ARGS[@]}"}
  # (--endpoint-reconciler-type=none: the `kubernetes` Service cannot have a loopback endpoint.)
  # The rest retry until the apiserver answers; starting them now overlaps their start-up with its.
  ((bare)) || start "$dir" kube-controller-manager --kubeconfig="$p/kube-controller-manager.kubeconfig" \
    --secure-port=0 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false --cluster-name=my-cluster \
    --controllers='*' --profiling=false
  ((bare)) || start "$dir" kube-scheduler --kubeconfig="$p/kube-scheduler.kubeconfig" --secure-port=0 --leader-elect=false \
    --profiling=false
  # Leases as a kubelet renews them (kwok leaves them off by default, and without them the node
  # lifecycle controller marks every node NotReady after its grace period).
  ((bare)) || start "$dir" kwok --kubeconfig="$p/kwok.kubeconfig" --config="$dir/kwok.yaml" --manage-all-nodes=true \
    --node-lease-duration-seconds=40

  # Plain HTTPS with curl from here on: a kubectl process costs far more than the request.
  # (The apiserver pretty-prints JSON for a curl user agent; the checks below read compact JSON.)
  local tls=(-sS --max-time 10 -A podnet-cluster.sh --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key")
  api() { curl "${tls[@]}" "$@"; }
  wait_until "$dir" "the apiserver to be ready ($server/readyz)" "kube-apiserver etcd" api -f "$server/readyz"
  phase "apiserver ready"
  local t_api
  t_api="$(now_ms)"
  if ((bare)); then
    # No controller manager: a namespace gets no `default` ServiceAccount, which the admission
    # of a pod without serviceAccountName requires; tests create it.
    echo "cluster: up (bare: etcd + kube-apiserver) in $((($(now_ms) - t0) / 1000)).$(printf '%03d' $((($(now_ms) - t0) % 1000))) s: $server, kubernetes $kube_version" >&2
    echo "cluster: KUBECONFIG=$dir/kubeconfig" >&2
    owned_by "$owner"
    return 0
  fi
  # post INDEX: creates the objects DIR/manifests/INDEX lists ("PATH FILE" lines) with one curl
  # (one connection); 201, or 409 (there already, from an earlier try), count as done. Field
  # manager "eks", as on EKS's add-ons.
  post() {
    local path file files=() args=() code url failed=0 i=0
    while read -r path file; do
      ((${#args[@]} == 0)) || args+=(--next)
      args+=("${tls[@]}" -H 'Content-Type: application/json' --data-binary "@$dir/manifests/$file"
        -o "$dir/manifests/$file.response" -w '%{http_code} %{url_effective}\n' "$server$path?fieldManager=eks")
      files+=("$file")
    done <"$dir/manifests/$1"
    while read -r code url; do
      case "$code" in
      201 | 409) ;;
      *)
        echo "POST $url (${files[i]}): HTTP $code $(cat "$dir/manifests/${files[i]}.response" 2>/dev/null)" >>"$dir/logs/post.log"
        failed=1
        ;;
      esac
      i=$((i + 1))
    done < <(api "${args[@]}")
    ((failed == 0 && i == ${#files[@]}))
  }
  post create.txt || fail "$dir" "creating the EKS objects: $(tail -n 3 "$dir/logs/post.log" 2>/dev/null)" kube-apiserver
  phase "objects created"
  local total=$((nodes + hybrid))
  # Go writes a NodeCondition's type and status first, in that order.
  ready_nodes() {
    [ "$(api -f "$server/api/v1/nodes" | grep -o '"type":"Ready","status":"True"' | grep -c .)" = "$total" ]
  }
  wait_until "$dir" "$total nodes to be Ready" kwok ready_nodes
  phase "nodes Ready"
  # ds_ready N NAME: desired = ready = available = up to date = N, for the current generation
  ds_ready() {
    local ds field
    ds="$(api -f "$server/apis/apps/v1/namespaces/kube-system/daemonsets/$2")" || return 1
    num() { grep -o "\"$1\":[0-9]*" <<<"$ds" | head -n 1 | cut -d: -f2; }
    [ "$(num generation)" = "$(num observedGeneration)" ] || return 1
    for field in desiredNumberScheduled numberReady numberAvailable updatedNumberScheduled; do
      [ "$(num "$field")" = "$1" ] || return 1
    done
  }
  ((nodes == 0)) || wait_until "$dir" "DaemonSet kube-system/aws-node to be ready on $nodes nodes" \
    "kube-controller-manager kube-scheduler kwok" ds_ready "$nodes" aws-node
  phase "aws-node ready"
  ((total == 0)) || wait_until "$dir" "DaemonSet kube-system/kube-proxy to be ready on $total nodes" \
    "kube-controller-manager kube-scheduler kwok" ds_ready "$total" kube-proxy
  phase "kube-proxy ready"
  # The ENIConfigs last: by now their CRD, created with the other objects, is established.
  wait_until "$dir" "the ENIConfigs to be created (CRD eniconfigs.crd.k8s.amazonaws.com established)" kube-apiserver \
    post create-late.txt
  phase "ENIConfigs created"
  local t1
  t1="$(now_ms)"
  echo "cluster: up in $(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000))) s (apiserver ready after $(((t_api - t0) / 1000)).$(printf '%03d' $(((t_api - t0) % 1000))) s): $server, $nodes EC2 + $hybrid hybrid nodes, kubernetes $kube_version" >&2
  echo "cluster: KUBECONFIG=$dir/kubeconfig" >&2
  owned_by "$owner"
}

owned_by() {
  if [ "$1" = none ]; then
    echo "cluster: no owner (--owner none): it runs until \`$0 down DIR\`" >&2
  else
    echo "cluster: owned by process $1 ($(cat "/proc/$1/comm" 2>/dev/null)): it stops within a second of that process's end (--owner none: until down)" >&2
  fi
}

if [ "${1:-}" = reap ]; then
  [ $# -eq 1 ] || usage
  cmd_reap
  exit 0
fi
[ $# -ge 2 ] || usage
action="$1"
dir="$2"
shift 2
case "$action" in
up)
  nodes=2
  hybrid=2
  bare=0
  owner="$PPID"
  APISERVER_ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
    --apiserver-arg) APISERVER_ARGS+=("${2:?--apiserver-arg needs a flag}"); shift 2 ;;
    --apiserver-arg=*) APISERVER_ARGS+=("${1#*=}"); shift ;;
    --owner) owner="${2:?--owner needs a pid or none}"; shift 2 ;;
    --owner=*) owner="${1#*=}"; shift ;;
    --bare) bare=1; shift ;;
    --nodes) nodes="${2:?--nodes needs a number}"; shift 2 ;;
    --nodes=*) nodes="${1#*=}"; shift ;;
    --hybrid-nodes) hybrid="${2:?--hybrid-nodes needs a number}"; shift 2 ;;
    --hybrid-nodes=*) hybrid="${1#*=}"; shift ;;
    *) usage ;;
    esac
  done
  [[ "$nodes" =~ ^[0-9]+$ && "$hybrid" =~ ^[0-9]+$ && "$owner" =~ ^([0-9]+|none)$ ]] || usage
  cmd_up "$dir" "$nodes" "$hybrid" "$bare" "$owner"
  ;;
down)
  [ $# -eq 0 ] || usage
  # (DIR may be gone: processes left serving it are still found and stopped)
  dir="$(realpath -m "$dir")"
  t0="$(now_ms)"
  cmd_down "$dir"
  t1="$(now_ms)"
  echo "cluster: down in $(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000))) s" >&2
  ;;
watch)
  cmd_watch "$dir"
  ;;
*) usage ;;
esac
