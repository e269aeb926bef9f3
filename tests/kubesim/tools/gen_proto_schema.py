#!/usr/bin/env python3
"""Builds src/proto_schema.txt: field numbers of the Kubernetes protobuf messages kubesim decodes.

Usage: gen_proto_schema.py OUT FILE.proto...   (the generated.proto files of k8s.io/api and
k8s.io/apimachinery). Output lines: `M <full message name>` then `<num> <json name> <o|r|p> <type>`
(o: optional, r: repeated, p: map with `<key>,<value>` types). Only messages reachable from the
kinds listed in ROOTS are kept.
"""
import re
import sys

ROOTS = [
    "k8s.io.api.core.v1." + k
    for k in "Namespace Node Pod Service Endpoints ConfigMap Secret ServiceAccount Event PersistentVolumeClaim PersistentVolume LimitRange ResourceQuota".split()
] + [
    "k8s.io.api.apps.v1." + k for k in "DaemonSet Deployment ReplicaSet StatefulSet ControllerRevision".split()
] + [
    "k8s.io.api.batch.v1.Job", "k8s.io.api.batch.v1.CronJob",
    "k8s.io.api.rbac.v1.Role", "k8s.io.api.rbac.v1.RoleBinding", "k8s.io.api.rbac.v1.ClusterRole", "k8s.io.api.rbac.v1.ClusterRoleBinding",
    "k8s.io.api.policy.v1.PodDisruptionBudget", "k8s.io.api.policy.v1.Eviction",
    "k8s.io.api.networking.v1.NetworkPolicy", "k8s.io.api.networking.v1.Ingress", "k8s.io.api.networking.v1.IngressClass",
    "k8s.io.api.scheduling.v1.PriorityClass", "k8s.io.api.coordination.v1.Lease",
    "k8s.io.api.storage.v1.StorageClass", "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler",
    "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions",
]

SCALARS = {"string", "int32", "int64", "bool", "bytes", "double", "float", "uint32", "uint64", "fixed64", "fixed32", "sint32", "sint64"}


def parse(path, messages):
    text = open(path).read()
    pkg = re.search(r"^package ([\w.]+);", text, re.M).group(1)
    stack = []
    for line in text.splitlines():
        line = line.split("//")[0].strip()
        m = re.match(r"message (\w+) \{", line)
        if m:
            stack.append(m.group(1))
            messages[pkg + "." + ".".join(stack)] = (pkg, [])
            continue
        if line == "}" and stack:
            stack.pop()
            continue
        if not stack:
            continue
        cur = messages[pkg + "." + ".".join(stack)][1]
        m = re.match(r"map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)", line)
        if m:
            cur.append((int(m.group(4)), m.group(3), "p", (m.group(1), m.group(2))))
            continue
        m = re.match(r"(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)", line)
        if m:
            cur.append((int(m.group(4)), m.group(3), m.group(1)[0].replace("q", "o"), m.group(2)))


def resolve(t, pkg, messages):
    if t in SCALARS:
        return t
    t = t.lstrip(".")
    if t in messages:
        return t
    if pkg + "." + t in messages:
        return pkg + "." + t
    return t  # unknown message: decoded as skipped


def main():
    out = sys.argv[1]
    messages = {}
    for p in sys.argv[2:]:
        parse(p, messages)
    keep = []
    seen = set()
    todo = list(ROOTS)
    while todo:
        n = todo.pop()
        if n in seen or n not in messages:
            continue
        seen.add(n)
        keep.append(n)
        pkg, fields = messages[n]
        for _, _, kind, t in fields:
            ts = t if kind == "p" else (t,)
            for x in ts:
                r = resolve(x, pkg, messages)
                if r not in SCALARS:
                    todo.append(r)
    with open(out, "w") as f:
        for n in sorted(keep):
            pkg, fields = messages[n]
            f.write(f"M {n}\n")
            for num, name, kind, t in sorted(fields):
                if kind == "p":
                    t = resolve(t[0], pkg, messages) + "," + resolve(t[1], pkg, messages)
                else:
                    t = resolve(t, pkg, messages)
                f.write(f"{num} {name} {kind} {t}\n")


main()
