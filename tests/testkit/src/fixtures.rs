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

/// The aws-node DaemonSet as EKS ships it (kept off hybrid and Fargate nodes), with `env`.
pub fn aws_node(env: &[(&str, &str)]) -> Value {
    let env: Vec<Value> = env
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "aws-node", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}}, "template": {
            "metadata": {"labels": {"k8s-app": "aws-node"}},
            "spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["hybrid", "fargate"]}]}]}}},
             "containers": [{"name": "aws-node", "image": CNI_IMAGE, "env": env}]}}}})
}

/// The ENIConfig CustomResourceDefinition of the VPC CNI.
pub fn eniconfig_crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "eniconfigs.crd.k8s.amazonaws.com"},
        "spec": {"group": "crd.k8s.amazonaws.com", "scope": "Cluster",
            "names": {"kind": "ENIConfig", "listKind": "ENIConfigList", "plural": "eniconfigs", "singular": "eniconfig"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}})
}

/// aws-auth `mapRoles` of the Linux node role.
pub const LINUX_ROLE: &str = "- rolearn: arn:aws:iam::111122223333:role/eks-linux-nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n";

/// A small EKS cluster after AWS's custom networking tutorial (its subnets are
/// [`tutorial_subnets`]): two zones, ENIConfigs named by zone, ENI_CONFIG_LABEL_DEF set, nodes
/// recycled (pods in the ENIConfig subnets), max pods lowered. Every audit check passes on it.
pub fn tutorial_objects() -> Vec<Value> {
    let env = [
        ("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true"),
        ("ENI_CONFIG_LABEL_DEF", "topology.kubernetes.io/zone"),
        ("AWS_VPC_K8S_CNI_EXTERNALSNAT", "false"),
    ];
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}),
        eniconfig_crd(),
        aws_node(&env),
        config_map("amazon-vpc-cni", json!({"enable-windows-ipam": "false"})),
        config_map("aws-auth", json!({"mapRoles": LINUX_ROLE})),
        eniconfig("us-west-2a", "subnet-pod-a", &["sg-1"]),
        eniconfig("us-west-2b", "subnet-pod-b", &["sg-1"]),
        node(
            "ip-192-168-0-10",
            "us-west-2a",
            "192.168.0.10",
            "m5.large",
            "linux",
            20,
        ),
        node(
            "ip-192-168-32-10",
            "us-west-2b",
            "192.168.32.10",
            "m5.large",
            "linux",
            20,
        ),
        pod("apps", "web-a", "ip-192-168-0-10", "100.64.0.5"),
        pod("apps", "web-b", "ip-192-168-32-10", "100.65.0.5"),
    ]
}
