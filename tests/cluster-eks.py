#!/usr/bin/env python3
"""The EKS look of the test cluster (tests/cluster.sh), as kubesim's `eks:` scenario builds it
(tests/kubesim/src/scenario.rs): EC2 nodes ip-10-0-X-Y.<region>.compute.internal in three zones,
hybrid nodes mi-<17 hex>, the aws-node and kube-proxy DaemonSets with EKS's node affinity, VPC CNI
custom networking (ENIConfig CRD, one ENIConfig per zone) and the kube-system ConfigMaps the audit
reads, including `kubesim-scenario` with the VPC layout (subnet ids, CIDRs, zones).

Unlike kubesim, nothing here carries a status but the nodes' capacity, addresses and nodeInfo:
kwok makes the nodes Ready and runs the pods, the real controllers fill in the rest. Every node
gets a spec.podCIDR, which kwok takes the pod IPs from: a /24 of its zone's ENIConfig (pod)
subnet for an EC2 node, a /24 of the remote pod network for a hybrid node. Names and ids are
derived from the node's index, so every `up` with the same sizes builds the same cluster.

usage: cluster-eks.py NODES HYBRID KUBE_VERSION OUT_DIR
writes OUT_DIR/eks.json (a v1 List of everything, for people and kubectl) and, for tests/cluster.sh
to create the objects with plain POSTs, one file per object and OUT_DIR/create.txt, one line per
object in creation order: "PATH FILE" (the collection to POST FILE to). The ENIConfigs come last,
in OUT_DIR/create-late.txt: their CRD must be established first.
"""

import hashlib
import json
import os
import sys

REGION = "us-west-2"
ZONES = [REGION + z for z in "abc"]
ECR = f"602401143452.dkr.ecr.{REGION}.amazonaws.com"
CNI = "v1.19.2-eksbuild.1"
CLUSTER = "my-cluster"
# (instance type, max pods, cpu, memory) as kubesim's TYPES
TYPES = [
    ("m5.large", 29, "2", "7910788Ki"),
    ("m5.xlarge", 58, "4", "15900360Ki"),
    ("c5.2xlarge", 58, "8", "15900360Ki"),
]


def hexid(what, n):
    return hashlib.sha256(what.encode()).hexdigest()[:n]


def node_ip(i):
    z = i % len(ZONES)
    return z, f"10.0.{z * 32}.{10 + i // len(ZONES)}"


def main():
    nodes, hybrid, kube_version, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    node_subnets = [f"subnet-0{hexid(f'node-subnet-{z}', 16)}" for z in range(len(ZONES))]
    pod_subnets = [f"subnet-0{hexid(f'pod-subnet-{z}', 16)}" for z in range(len(ZONES))]
    sg = f"sg-0{hexid('sg', 16)}"
    minor = kube_version.lstrip("v")
    kubelet = f"{kube_version}-eks-{hexid('kubelet', 7)}"

    subnets = []
    for z, zone in enumerate(ZONES):
        subnets.append({"id": node_subnets[z], "cidr": f"10.0.{z * 32}.0/19", "zone": zone, "role": "node"})
        subnets.append({"id": pod_subnets[z], "cidr": f"100.{64 + z}.0.0/16", "zone": zone, "role": "pod"})

    crds = [{
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "eniconfigs.crd.k8s.amazonaws.com"},
        "spec": {"group": "crd.k8s.amazonaws.com", "scope": "Cluster",
                 "names": {"kind": "ENIConfig", "listKind": "ENIConfigList", "plural": "eniconfigs",
                           "singular": "eniconfig"},
                 "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                   "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                   "metadata": {"type": "object"},
                                   "spec": {"type": "object", "properties": {
                                       "securityGroups": {"type": "array", "items": {"type": "string"}},
                                       "subnet": {"type": "string"}}},
                                   "status": {"type": "object",
                                              "x-kubernetes-preserve-unknown-fields": True}}}}}]}}]
    eniconfigs = [{"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
                   "metadata": {"name": zone}, "spec": {"subnet": pod_subnets[z], "securityGroups": [sg]}}
                  for z, zone in enumerate(ZONES)]

    objs = []
    cm = lambda name, data, labels=None: {  # noqa: E731
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "kube-system", **({"labels": labels} if labels else {})},
        "data": data}
    objs.append(cm("kubesim-scenario", {
        "spec": json.dumps(f"eks nodes={nodes} hybrid={hybrid} pods=0"),
        "vpcCidr": "10.0.0.0/16", "secondaryCidr": "100.64.0.0/10",
        "remoteNodeNetwork": "172.16.0.0/16", "remotePodNetwork": "192.168.64.0/18",
        "securityGroup": sg, "subnets": json.dumps(subnets, separators=(",", ":"))}))
    objs.append(cm("amazon-vpc-cni", {
        "enable-network-policy-controller": "false", "enable-windows-ipam": "false",
        "enable-windows-prefix-delegation": "false", "warm-ip-target": "1", "minimum-ip-target": "3"},
        {"app.kubernetes.io/name": "aws-node", "app.kubernetes.io/instance": "aws-vpc-cni"}))
    role = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/{r}\n  username: system:node:{{{{{u}}}}}\n"
    objs.append(cm("aws-auth", {"mapRoles": role.format(r="eks-node-role", u="EC2PrivateDNSName")
                                + role.format(r="eks-hybrid-nodes-role", u="SessionName")}))
    objs.append(cm("kube-proxy-config", {"config": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
                                         "kind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: \"\"\n"}))
    for sa in ("aws-node", "kube-proxy", "coredns"):
        objs.append({"apiVersion": "v1", "kind": "ServiceAccount",
                     "metadata": {"name": sa, "namespace": "kube-system"}})

    for i in range(nodes):
        z, ip = node_ip(i)
        itype, maxpods, cpu, mem = TYPES[i % len(TYPES)]
        name = f"ip-{ip.replace('.', '-')}.{REGION}.compute.internal"
        labels = {
            "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": itype, "beta.kubernetes.io/instance-type": itype,
            "topology.kubernetes.io/zone": ZONES[z], "topology.kubernetes.io/region": REGION,
            "failure-domain.beta.kubernetes.io/zone": ZONES[z],
            "eks.amazonaws.com/nodegroup": "ng-default", "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup-image": "ami-0abcdef1234567890",
            "k8s.amazonaws.com/eniConfig": ZONES[z],
        }
        objs.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels,
                         "annotations": {"alpha.kubernetes.io/provided-node-ip": ip,
                                         "node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"providerID": f"aws:///{ZONES[z]}/i-0{hexid(f'instance-{i}', 16)}",
                     "podCIDR": f"100.{64 + z}.{i // len(ZONES)}.0/24",
                     "podCIDRs": [f"100.{64 + z}.{i // len(ZONES)}.0/24"]},
            "status": {
                "capacity": {"cpu": cpu, "memory": mem, "pods": str(maxpods), "ephemeral-storage": "83873772Ki"},
                "allocatable": {"cpu": cpu, "memory": mem, "pods": str(maxpods),
                                "ephemeral-storage": "76224326324"},
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "InternalDNS", "address": name},
                              {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": kubelet, "kubeProxyVersion": kubelet,
                             "osImage": "Amazon Linux 2023.6.20250115",
                             "containerRuntimeVersion": "containerd://1.7.25",
                             "kernelVersion": "6.1.124-134.200.amzn2023.x86_64",
                             "operatingSystem": "linux", "architecture": "amd64",
                             "machineID": hexid(f"machine-{i}", 32), "systemUUID": "ec2" + hexid(f"uuid-{i}", 29),
                             "bootID": ""}}})
    for i in range(hybrid):
        name = f"mi-0{hexid(f'hybrid-{i}', 16)}"
        ip = f"172.16.0.{10 + i}"
        objs.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                "eks.amazonaws.com/compute-type": "hybrid",
                "eks.amazonaws.com/hybrid-credential-provider": "ssm"}},
            "spec": {"providerID": f"eks-hybrid:///{REGION}/{CLUSTER}/{name}",
                     "podCIDR": f"192.168.{64 + i}.0/24", "podCIDRs": [f"192.168.{64 + i}.0/24"]},
            "status": {
                "capacity": {"cpu": "4", "memory": "16000000Ki", "pods": "110"},
                "allocatable": {"cpu": "4", "memory": "15800000Ki", "pods": "110"},
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": kubelet, "osImage": "Ubuntu 22.04.5 LTS",
                             "containerRuntimeVersion": "containerd://1.7.24",
                             "kernelVersion": "5.15.0-130-generic", "operatingSystem": "linux",
                             "architecture": "amd64", "machineID": "", "systemUUID": "", "bootID": "",
                             "kubeProxyVersion": ""}}})

    aws_env = [{"name": k, "value": v} for k, v in [
        ("ADDITIONAL_ENI_TAGS", "{}"), ("ANNOTATE_POD_IP", "false"), ("AWS_VPC_CNI_NODE_PORT_SUPPORT", "true"),
        ("AWS_VPC_ENI_MTU", "9001"), ("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true"),
        ("AWS_VPC_K8S_CNI_EXTERNALSNAT", "false"), ("AWS_VPC_K8S_CNI_LOGLEVEL", "DEBUG"),
        ("AWS_VPC_K8S_CNI_VETHPREFIX", "eni"), ("CLUSTER_NAME", CLUSTER), ("ENABLE_IPv4", "true"),
        ("ENABLE_IPv6", "false"), ("ENABLE_POD_ENI", "false"), ("ENABLE_PREFIX_DELEGATION", "false"),
        ("ENI_CONFIG_LABEL_DEF", "topology.kubernetes.io/zone"), ("VPC_ID", "vpc-0123456789abcdef0"),
        ("WARM_ENI_TARGET", "1"), ("WARM_PREFIX_TARGET", "1")]]
    aws_env.append({"name": "MY_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                       "fieldPath": "spec.nodeName"}}})

    def affinity(exprs):
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": k, "operator": op, "values": v} for k, op, v in exprs]}]}}}

    def daemonset(name, labels, selector, tmpl_labels, spec):
        return {"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": name, "namespace": "kube-system", "labels": labels},
                "spec": {"selector": {"matchLabels": selector},
                         "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
                         "template": {"metadata": {"labels": tmpl_labels}, "spec": spec}}}

    aws_labels = {"app.kubernetes.io/instance": "aws-vpc-cni", "app.kubernetes.io/name": "aws-node",
                  "k8s-app": "aws-node"}
    objs.append(daemonset(
        "aws-node", {**aws_labels, "app.kubernetes.io/version": CNI.split("-")[0]}, {"k8s-app": "aws-node"},
        aws_labels, {
            "affinity": affinity([("kubernetes.io/os", "In", ["linux"]),
                                  ("kubernetes.io/arch", "In", ["amd64", "arm64"]),
                                  ("eks.amazonaws.com/compute-type", "NotIn", ["fargate", "hybrid", "auto"])]),
            "hostNetwork": True, "priorityClassName": "system-node-critical", "serviceAccountName": "aws-node",
            "tolerations": [{"operator": "Exists"}],
            "initContainers": [{"name": "aws-vpc-cni-init", "image": f"{ECR}/amazon-k8s-cni-init:{CNI}",
                                "env": [{"name": "DISABLE_TCP_EARLY_DEMUX", "value": "false"},
                                        {"name": "ENABLE_IPv6", "value": "false"}]}],
            "containers": [
                {"name": "aws-node", "image": f"{ECR}/amazon-k8s-cni:{CNI}", "env": aws_env,
                 "ports": [{"containerPort": 61678, "name": "metrics", "protocol": "TCP"}],
                 "resources": {"requests": {"cpu": "25m"}}},
                {"name": "aws-eks-nodeagent", "image": f"{ECR}/amazon/aws-network-policy-agent:v1.1.6-eksbuild.1",
                 "args": ["--enable-ipv6=false", "--enable-network-policy=false"]}]}))
    objs.append(daemonset(
        "kube-proxy", {"eks.amazonaws.com/component": "kube-proxy", "k8s-app": "kube-proxy"},
        {"k8s-app": "kube-proxy"}, {"k8s-app": "kube-proxy"}, {
            "affinity": affinity([("kubernetes.io/os", "In", ["linux"]),
                                  ("eks.amazonaws.com/compute-type", "NotIn", ["fargate", "auto"])]),
            "hostNetwork": True, "priorityClassName": "system-node-critical", "serviceAccountName": "kube-proxy",
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "kube-proxy", "image": f"{ECR}/eks/kube-proxy:v{minor}-minimal-eksbuild.1",
                            "command": ["kube-proxy", "--v=2",
                                        "--config=/var/lib/kube-proxy-config/config"]}]}))

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "eks.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": crds + objs + eniconfigs}, f, indent=1)
    for index, items in (("create.txt", crds + objs), ("create-late.txt", eniconfigs)):
        with open(os.path.join(out, index), "w") as idx:
            for n, o in enumerate(items):
                fname = f"{index[:-4]}-{n:03d}-{o['kind'].lower()}.json"
                with open(os.path.join(out, fname), "w") as f:
                    json.dump(o, f)
                idx.write(f"{collection(o)} {fname}\n")


PLURAL = {"CustomResourceDefinition": "customresourcedefinitions", "ConfigMap": "configmaps",
          "ServiceAccount": "serviceaccounts", "Node": "nodes", "DaemonSet": "daemonsets",
          "ENIConfig": "eniconfigs"}


def collection(o):
    """The API path of the collection an object is created in."""
    group_version = o["apiVersion"]
    base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
    ns = o["metadata"].get("namespace")
    return f"{base}{f'/namespaces/{ns}' if ns else ''}/{PLURAL[o['kind']]}"

if __name__ == "__main__":
    main()
