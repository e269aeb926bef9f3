#!/usr/bin/env python3
"""Helm v4 chart packaging and registry actions through helm-python-sdk (testkit::helm::sdk).

argv: REQUEST_JSON with "op": "package" | "push" | "pull"; prints the answer as JSON.
"""
import json
import os
import sys
import tarfile
import tempfile

import helm_python as helm

req = json.loads(sys.argv[1])
op = req["op"]
out = {}
if op == "package":
    work = tempfile.mkdtemp()
    tarfile.open(req["src"]).extractall(work)
    name = [d for d in os.listdir(work)][0]
    out["charts"] = {}
    for v in req["versions"]:
        out["charts"][v] = helm.package(os.path.join(work, name), destination=req["dest"], version=v)
elif op == "push":
    plain = not req.get("tls")
    client = helm.RegistryClient(plain_http=plain, credentials_file=req["credentials_file"])
    host = req["remote"][len("oci://"):].split("/")[0]
    if req.get("username"):
        client.login(host, req["username"], req["password"], plain_http=plain)
    out["digests"] = {}
    for path in req["charts"]:
        client.push(path, req["remote"])
        base = os.path.basename(path)[:-len(".tgz")]
        name, version = base.split("-", 1)
        tag = version.replace("+", "_")
        out["digests"][version] = client.resolve(req["remote"] + "/" + name + ":" + tag)["digest"]
elif op == "pull":
    client = helm.RegistryClient(plain_http=True, credentials_file=req["credentials_file"])
    r = client.pull(req["ref"], destination=req["dest"], version=req.get("version"), plain_http=True)
    out["files"] = sorted(os.listdir(req["dest"]))
print(json.dumps(out))
