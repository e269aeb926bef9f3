#!/usr/bin/env python3
"""Helm v4 release actions through helm-python-sdk: the Python path of testkit's `Helm` type.

argv: KUBECONFIG NAMESPACE ACTION ARGS_JSON; prints the release (or list of releases) as JSON.
"""
import json
import sys

from helm_python import Config

kubeconfig, namespace, action, args = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
name = args.get("name")
timeout = args.get("timeout", 60)
with Config(kubeconfig_path=kubeconfig, namespace=namespace) as cfg:
    if action == "install":
        r = cfg.install(args["chart"], name, args["values"], timeout=timeout, wait=args.get("wait"))
    elif action == "upgrade":
        r = cfg.upgrade(args["chart"], name, args["values"], timeout=timeout,
                        reuse_values=args.get("reuse_values", False))
    elif action == "rollback":
        cfg.rollback(name, version=args["revision"], timeout=timeout)
        r = cfg.status(name)
    elif action == "uninstall":
        r = cfg.uninstall(name, timeout=timeout)
    elif action == "list":
        r = cfg.list()
    elif action == "history":
        r = cfg.history(name)
    elif action == "status":
        r = cfg.status(name)
    elif action == "values":
        r = cfg.get_values(name)
    elif action == "test":
        r = cfg.test(name, timeout=timeout)
        r = r.get("release", r)
    else:
        raise SystemExit("unknown action " + action)
    if isinstance(r, dict):
        r.pop("manifest", None)
        r.pop("notes", None)
    print(json.dumps(r))
