#!/usr/bin/env python3
"""Copies a kubesim cluster (tests/bench/audit.sh's `eks` scenario) into a bare real cluster of
tests/cluster.sh (started with --apiserver-arg=--storage-media-type=application/json), and
writes the scenario's subnets as `aws ec2 describe-subnets` prints them.

Usage: audit-real-load.py SIM_URL CLUSTER_DIR SUBNETS_OUT [WORKERS]

Through the API (validated, defaulted, admitted): namespaces, ServiceAccounts, the ENIConfig CRD
and ENIConfigs, ConfigMaps, DaemonSets, Deployments, ReplicaSets, the first node, and the first
pod of each kind (namespace x owner: a DaemonSet's pods, a namespace's ReplicaSet pods): created,
then its status (phase, hostIP, podIP, conditions) written through the status subresource as a
kubelet does. Creating 165,000 objects that way takes the better part of an hour on a busy
2-core machine (about 50 pods a second), so the rest are written straight into etcd, in
transactions of 128 puts: each is its kind's reference object as the API server stored it (with
what admission added: the service account token volume, tolerations, priority) with this
object's name, labels, owner, node, uid and status. The API server's watch sees each put, as it
sees its own writes; it stores JSON here, so the values are plain JSON. What the benchmark then
reads is served by the API server alone.
"""

import base64
import copy
import http.client
import json
import queue
import ssl
import sys
import threading
import time
import urllib.request
import uuid

SIM, DIR, SUBNETS_OUT = sys.argv[1], sys.argv[2], sys.argv[3]
WORKERS = int(sys.argv[4]) if len(sys.argv) > 4 else 24

server = next(
    line.split("server:", 1)[1].strip()
    for line in open(f"{DIR}/kubeconfig")
    if "server:" in line
)
host, port = server.removeprefix("https://").split(":")
ports = dict(kv.split("=") for kv in open(f"{DIR}/ports").read().split())
ETCD = f"http://127.0.0.1:{ports['etcd']}"
ctx = ssl.create_default_context(cafile=f"{DIR}/pki/ca.crt")
ctx.load_cert_chain(f"{DIR}/pki/admin.crt", f"{DIR}/pki/admin.key")


class Conn:
    """One keep-alive connection to the real API server."""

    def __init__(self):
        self.c = None

    def call(self, method, path, body=None, ctype="application/json", ok=(200, 201)):
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(5):
            try:
                if self.c is None:
                    self.c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
                self.c.request(method, path, body=data, headers={"Content-Type": ctype})
                r = self.c.getresponse()
                out = r.read()
            except (OSError, http.client.HTTPException):
                self.c = None
                time.sleep(0.5 * (attempt + 1))
                continue
            if r.status in ok:
                return json.loads(out) if out else None
            if r.status == 429 or r.status >= 500:
                time.sleep(0.5 * (attempt + 1))
                continue
            raise SystemExit(f"{method} {path}: HTTP {r.status}: {out[:400].decode(errors='replace')}")
        raise SystemExit(f"{method} {path}: no answer after 5 attempts")


def sim_get(path):
    with urllib.request.urlopen(SIM + path) as r:
        return json.load(r)


def sim_pages(path, limit=5000):
    cont = ""
    while True:
        sep = "&" if "?" in path else "?"
        page = sim_get(f"{path}{sep}limit={limit}" + (f"&continue={cont}" if cont else ""))
        yield page["items"]
        cont = page["metadata"].get("continue", "")
        if not cont:
            return


def clean(o, keep_status=False):
    """The object as a client writes it: no uid, resourceVersion, generation, timestamps."""
    m = o["metadata"]
    o["metadata"] = {
        k: m[k]
        for k in ("name", "namespace", "labels", "annotations", "ownerReferences")
        if k in m
    }
    if not keep_status:
        o.pop("status", None)
    return o


def collection(o):
    api = o["apiVersion"]
    base = f"/api/{api}" if "/" not in api else f"/apis/{api}"
    plural = {
        "Namespace": "namespaces",
        "ServiceAccount": "serviceaccounts",
        "ConfigMap": "configmaps",
        "DaemonSet": "daemonsets",
        "Deployment": "deployments",
        "ReplicaSet": "replicasets",
        "Node": "nodes",
        "ENIConfig": "eniconfigs",
        "Pod": "pods",
        "CustomResourceDefinition": "customresourcedefinitions",
    }[o["kind"]]
    ns = o["metadata"].get("namespace")
    return f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"


def run_parallel(items, work, label):
    """Runs work(conn, item) over items with WORKERS threads; prints progress and the rate."""
    q = queue.Queue(maxsize=WORKERS * 64)
    done = [0]
    lock = threading.Lock()
    errors = []
    t0 = time.monotonic()

    def worker():
        c = Conn()
        while True:
            item = q.get()
            if item is None:
                return
            try:
                work(c, item)
            except BaseException as e:  # reported once the others have stopped
                errors.append(e)
            with lock:
                done[0] += 1
                if done[0] % 10000 == 0:
                    dt = time.monotonic() - t0
                    print(f"load: {label}: {done[0]} in {dt:.0f} s ({done[0] / dt:.0f}/s)", file=sys.stderr)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for item in items:
        if errors:
            break
        q.put(item)
    for _ in threads:
        q.put(None)
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"load: {label}: {errors[0]}")
    dt = time.monotonic() - t0
    print(f"load: {label}: {done[0]} in {dt:.1f} s ({done[0] / max(dt, 1e-9):.0f}/s)", file=sys.stderr)


def create(c, o):
    c.call("POST", collection(o) + "?fieldManager=bench", o, ok=(201, 409))


t_start = time.monotonic()
c = Conn()
# Namespaces, each with the `default` ServiceAccount no controller makes here.
system = {"default", "kube-system", "kube-public", "kube-node-lease"}
namespaces = [n["metadata"]["name"] for n in sim_get("/api/v1/namespaces")["items"]]
for ns in namespaces:
    if ns not in system:
        create(c, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    create(c, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}})
create(
    c,
    {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "eniconfigs.crd.k8s.amazonaws.com"},
        "spec": {
            "group": "crd.k8s.amazonaws.com",
            "scope": "Cluster",
            "names": {"kind": "ENIConfig", "listKind": "ENIConfigList", "plural": "eniconfigs", "singular": "eniconfig"},
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    },
)
for path in (
    "/api/v1/serviceaccounts",
    "/api/v1/namespaces/kube-system/configmaps",
    "/apis/apps/v1/daemonsets",
    "/apis/apps/v1/deployments",
    "/apis/apps/v1/replicasets",
):
    items = [clean(o) for page in sim_pages(path) for o in page]
    run_parallel(items, create, path.rsplit("/", 1)[1])

def b64(x):
    return base64.b64encode(x if isinstance(x, bytes) else x.encode()).decode()


def etcd_puts(batch):
    """One etcd transaction putting (key, object) pairs; the API server's watch sees each."""
    ops = [
        {"requestPut": {"key": b64(k), "value": b64(json.dumps(v, separators=(",", ":")))}}
        for k, v in batch
    ]
    req = urllib.request.Request(f"{ETCD}/v3/kv/txn", data=json.dumps({"success": ops}).encode())
    with urllib.request.urlopen(req, timeout=120) as r:
        if not json.load(r).get("succeeded"):
            raise SystemExit("load: an etcd transaction failed")


def batches(pairs, n=128):
    batch = []
    for p in pairs:
        batch.append(p)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def stored(ref, o):
    """`ref` (as the API server stored it) made into `o`: name, labels, owner, node, status."""
    s = copy.deepcopy(ref)
    m = o["metadata"]
    s["metadata"] = {
        "name": m["name"],
        "uid": str(uuid.uuid4()),
        "creationTimestamp": ref["metadata"]["creationTimestamp"],
        **{k: m[k] for k in ("namespace", "labels", "annotations", "ownerReferences") if k in m},
    }
    for k in ("nodeName", "providerID", "podCIDR", "podCIDRs"):
        if k in o.get("spec", {}):
            s["spec"][k] = o["spec"][k]
    status = copy.deepcopy(o.get("status", {}))
    if "qosClass" in ref.get("status", {}):
        status["qosClass"] = ref["status"]["qosClass"]
    s["status"] = status
    return s


def node_key(o):
    return f"/registry/minions/{o['metadata']['name']}"


def pod_key(o):
    return f"/registry/pods/{o['metadata']['namespace']}/{o['metadata']['name']}"


def through_api(kind, o):
    """Creates `o` through the API (and a pod's status through its subresource); the stored object."""
    if kind == "Pod":
        status = o.pop("status")
        status.pop("qosClass", None)  # the API server's own (from the resources), immutable
        create(c, clean(o))
        path = f"/api/v1/namespaces/{o['metadata']['namespace']}/pods/{o['metadata']['name']}"
        c.call("PATCH", path + "/status", {"status": status}, ctype="application/merge-patch+json")
        return c.call("GET", path)
    create(c, clean(o, keep_status=True))
    return c.call("GET", f"/api/v1/nodes/{o['metadata']['name']}")


refs = {}
counts = {"api": 0, "etcd": 0}


def bulk(objects, group, key, kind):
    """(key, stored object) for each object not created through the API as its group's reference."""
    for o in objects:
        g = group(o)
        if g not in refs:
            refs[g] = through_api(kind, o)
            counts["api"] += 1
            continue
        counts["etcd"] += 1
        yield key(o), stored(refs[g], o)


def pod_group(o):
    owner = (o["metadata"].get("ownerReferences") or [{}])[0]
    return ("Pod", o["metadata"]["namespace"], owner.get("kind"), owner.get("name") if owner.get("kind") == "DaemonSet" else "")


def load_bulk(label, pairs):
    t0 = time.monotonic()
    before = dict(counts)
    run_parallel(batches(pairs), lambda _c, b: etcd_puts(b), f"{label}: etcd transactions")
    print(
        f"load: {label}: {counts['api'] - before['api']} through the API, {counts['etcd'] - before['etcd']} into etcd, {time.monotonic() - t0:.1f} s",
        file=sys.stderr,
    )


nodes = (clean(o, keep_status=True) for page in sim_pages("/api/v1/nodes") for o in page)
load_bulk("nodes", bulk(nodes, lambda o: ("Node",), node_key, "Node"))
deadline = time.monotonic() + 60
while not any(
    x["type"] == "Established" and x["status"] == "True"
    for x in (c.call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/eniconfigs.crd.k8s.amazonaws.com").get("status", {}).get("conditions") or [])
):
    if time.monotonic() > deadline:
        raise SystemExit("load: the ENIConfig CRD was not established within 60 s")
    time.sleep(0.2)
for page in sim_pages("/apis/crd.k8s.amazonaws.com/v1alpha1/eniconfigs"):
    for o in page:
        create(c, clean(o))
pods = (o for page in sim_pages("/api/v1/pods") for o in page)
load_bulk("pods", bulk(pods, pod_group, pod_key, "Pod"))
# The API server has seen every put once its lists count them (its watch lags the writes).
want = {"/api/v1/nodes": None, "/api/v1/pods": None}
for path in want:
    want[path] = sum(len(p) for p in sim_pages(path))
deadline = time.monotonic() + 600
for path, n in want.items():
    while True:
        got = c.call("GET", f"{path}?limit=1")
        have = len(got["items"]) + got["metadata"].get("remainingItemCount", 0)
        if have >= n:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"load: {path}: the API server lists {have} of {n}")
        time.sleep(1)
scenario = sim_get("/api/v1/namespaces/kube-system/configmaps/kubesim-scenario")["data"]
subnets = [
    {
        "SubnetId": s["id"],
        "CidrBlock": s["cidr"],
        "AvailabilityZone": s["zone"],
        "VpcId": "vpc-bench",
        "AvailableIpAddressCount": 2 ** (32 - int(s["cidr"].split("/")[1])) - 5,
    }
    for s in json.loads(scenario["subnets"])
]
with open(SUBNETS_OUT, "w") as f:
    json.dump({"Subnets": subnets}, f)
print(f"load: done in {time.monotonic() - t_start:.1f} s", file=sys.stderr)
