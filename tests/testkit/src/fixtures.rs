//! Kubernetes and EC2 objects as the tests write them: one builder per kind, so every test file
//! describes a cluster (or values) with the same shapes.

use serde_json::{Value, json};

/// The VPC CNI image EKS runs for the clusters the tests describe.
pub const CNI_IMAGE: &str =
    "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1";

/// AWS's node affinity for hybrid nodes (`eks.amazonaws.com/compute-type In [hybrid]`).
pub fn hybrid_affinity() -> Value {
    json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "eks.amazonaws.com/compute-type", "operator": "In", "values": ["hybrid"]}]}
    ]}}})
}

/// An EC2 subnet as DescribeSubnets returns it (the `--subnets FILE` form).
pub fn subnet(id: &str, cidr: &str, az: &str, vpc: &str, free: u64) -> Value {
    json!({"SubnetId": id, "CidrBlock": cidr, "AvailabilityZone": az, "VpcId": vpc, "AvailableIpAddressCount": free})
}

/// A Ready EC2 node of `itype` in `zone` with `os` and `pods` pods of capacity.
pub fn node(name: &str, zone: &str, ip: &str, itype: &str, os: &str, pods: u64) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
            "topology.kubernetes.io/zone": zone, "node.kubernetes.io/instance-type": itype,
            "kubernetes.io/os": os, "kubernetes.io/hostname": name}},
        "spec": {"providerID": format!("aws:///{zone}/i-0{}", name.len())},
        "status": {"addresses": [{"type": "InternalIP", "address": ip}],
            "capacity": {"pods": pods.to_string(), "cpu": "2"}, "allocatable": {"pods": pods.to_string()},
            "conditions": [{"type": "Ready", "status": "True"}]}})
}

/// A Running pod on `node` with `ip`.
pub fn pod(ns: &str, name: &str, node: &str, ip: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})
}

/// An ENIConfig naming its pod subnet and security groups.
pub fn eniconfig(name: &str, subnet: &str, sgs: &[&str]) -> Value {
    json!({"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig", "metadata": {"name": name},
        "spec": {"subnet": subnet, "securityGroups": sgs}})
}

/// A ConfigMap in kube-system.
pub fn config_map(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "kube-system"}, "data": data})
}

/// The custom networking tutorial's VPC (vpc-1): node subnets 192.168.0.0/19 and 192.168.32.0/19,
/// pod subnets 100.64.0.0/16 and 100.65.0.0/16, in us-west-2a and us-west-2b.
pub fn tutorial_subnets() -> Vec<Value> {
    vec![
        subnet(
            "subnet-node-a",
            "192.168.0.0/19",
            "us-west-2a",
            "vpc-1",
            8000,
        ),
        subnet(
            "subnet-node-b",
            "192.168.32.0/19",
            "us-west-2b",
            "vpc-1",
            8000,
        ),
        subnet(
            "subnet-pod-a",
            "100.64.0.0/16",
            "us-west-2a",
            "vpc-1",
            65000,
        ),
        subnet(
            "subnet-pod-b",
            "100.65.0.0/16",
            "us-west-2b",
            "vpc-1",
            65000,
        ),
    ]
}
