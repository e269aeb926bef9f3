#!/usr/bin/env python3
"""Writes the key tree of a chart's values.yaml, for podnet's `values-unknown-key` check.

Usage: chart_keys.py CHART.tgz > values/keys-<minor>.json

Keys come from values.yaml and from every `.Values.a.b` a template reads (charts read keys they
leave commented out, such as kubeProxyReplacement). Tree: a map is an object of its keys; a leaf (scalar or list) is null; a map whose default is
empty or null is "*" (free-form: any key is valid below it).
"""
import json, re, sys, tarfile, yaml

# Kubernetes object fields: the chart passes them through, so any sub-key is valid.
OPEN = {
    "affinity", "nodeSelector", "resources", "securityContext", "podSecurityContext",
    "annotations", "labels", "podAnnotations", "podLabels", "updateStrategy", "strategy",
    "livenessProbe", "readinessProbe", "startupProbe", "extraConfig", "extraArgs",
    "topologySpreadConstraints", "tolerations", "extraEnv", "extraVolumes", "extraVolumeMounts",
}

def tree(v, name=""):
    if name in OPEN:
        return "*"
    if isinstance(v, dict):
        if not v:
            return "*"
        return {str(k): tree(x, str(k)) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if v is None:
        return "*"
    return None

def add_path(t, parts):
    """Adds a `.Values.a.b` reference from a template: keys the chart reads but does not default."""
    for i, part in enumerate(parts):
        if t == "*" or not isinstance(t, dict):
            return
        last = i == len(parts) - 1
        if part not in t:
            t[part] = None if last else {}
        elif t[part] is None and not last:
            t[part] = {}
        t = t[part]

with tarfile.open(sys.argv[1]) as tf:
    members = tf.getmembers()
    member = next(m for m in members if m.name.count("/") == 1 and m.name.endswith("/values.yaml"))
    keys = tree(yaml.safe_load(tf.extractfile(member)))
    ref = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
    for m in members:
        if m.isfile() and m.name.count("/") >= 2 and m.name.split("/")[1] == "templates":
            text = tf.extractfile(m).read().decode("utf-8", "replace")
            for path in ref.findall(text):
                add_path(keys, path.strip(".").split("."))
json.dump(keys, sys.stdout, separators=(",", ":"), sort_keys=True)
sys.stdout.write("\n")
