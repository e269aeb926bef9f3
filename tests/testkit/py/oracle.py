#!/usr/bin/env python3
"""Helm v4 oracle: answers JSON-lines requests on stdin with JSON lines on stdout.

Request:  {"op": "render", "chart": PATH, "values_yaml": [STR...], "values": {...}|null,
           "name": STR, "namespace": STR, "is_upgrade": bool}
Response: {"ok": true, "manifests": {path: text}} | {"ok": false, "error": STR, "kind": STR}
Other ops: {"op": "values_from_yaml", "yaml": STR}, {"op": "ping"}, {"op": "crds", "chart": PATH},
           {"op": "strvals", "kind": "set"|"set-string"|"set-json", "expr": STR}.
"""
import json
import sys

import helm_python as helm


def merge_maps(a, b):
    """Helm CLI's mergeMaps for -f files (later wins, maps merge recursively)."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out


def load_values(text):
    """Helm v4.3's LoadValues, for -f files and values.yaml: a final line break is added, the
    documents between lines starting with `---` are read one by one (by the SDK's reader) and
    merged, later ones winning. The SDK reads one document only; the CLI we pin does this."""
    if text and not text.endswith("\n"):
        text += "\n"
    values, doc = {}, []
    for line in text.split("\n")[:-1] if text else []:
        line = line[:-1] if line.endswith("\r") else line
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise ValueError("error reading yaml document: invalid Yaml document separator: " + rest)
            if doc:
                values = merge_maps(values, helm.values_from_yaml("".join(doc)) or {})
                doc = []
            continue
        doc.append(line + "\n")
    if doc:
        values = merge_maps(values, helm.values_from_yaml("".join(doc)) or {})
    return values


def handle(req):
    op = req.get("op")
    if op == "ping":
        return {"ok": True, "version": helm.helm_sdk_version() if hasattr(helm, "helm_sdk_version") else ""}
    if op == "values_from_yaml":
        return {"ok": True, "values": load_values(req["yaml"])}
    if op == "strvals":
        fn = {"set": helm.parse_set_string, "set-string": helm.parse_set_string_values,
              "set-json": helm.parse_set_json}[req["kind"]]
        return {"ok": True, "values": fn(req["expr"])}
    if op == "bench":
        import time
        values = {}
        for y in req.get("values_yaml") or []:
            values = merge_maps(values, load_values(y))
        times = []
        with helm.Chart.load(req["chart"]) as chart:
            for _ in range(int(req.get("n", 10))):
                t0 = time.perf_counter()
                chart.render(values, name="cilium", namespace="kube-system")
                times.append((time.perf_counter() - t0) * 1000.0)
        times.sort()
        return {"ok": True, "median_ms": times[len(times) // 2], "min_ms": times[0]}
    if op == "crds":
        with helm.Chart.load(req["chart"]) as chart:
            return {"ok": True, "crds": chart.crds}
    if op == "render":
        values = {}
        for y in req.get("values_yaml") or []:
            values = merge_maps(values, load_values(y))
        if req.get("values"):
            values = merge_maps(values, req["values"])
        kwargs = {"name": req.get("name", "release-name"), "namespace": req.get("namespace", "default")}
        if req.get("is_upgrade"):
            kwargs["is_upgrade"] = True
            kwargs["is_install"] = False
        with helm.Chart.load(req["chart"]) as chart:
            return {"ok": True, "manifests": chart.render(values, **kwargs)}
    return {"ok": False, "error": "unknown op", "kind": "protocol"}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            resp = handle(json.loads(line))
        except Exception as e:  # noqa: BLE001 - report every failure to the caller
            resp = {"ok": False, "error": str(e), "kind": type(e).__name__}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
