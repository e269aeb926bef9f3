//! Generated EKS-like clusters (`--scenario eks:nodes=…,pods=…`).
//!
//! Spec: `eks[:key=value,…]` with keys
//! `nodes` (EC2 nodes, default 6), `hybrid` (hybrid nodes `mi-…`, default 2), `fargate` (0),
//! `windows` (0), `pods` (workload pods over EC2 nodes, default 10 per EC2 node), `zones` (3),
//! `region` (us-west-2), `custom` (VPC CNI custom networking with ENIConfigs, default true),
//! `misplaced` (pods whose IP lies outside their node's pod subnet, default 0),
//! `cni` (aws-node image tag, default v1.19.2-eksbuild.1), `seed` (1).
//!
//! Everything is stored as loaded (frozen for the controllers). A ConfigMap
//! `kube-system/kubesim-scenario` records the VPC layout (subnet ids, CIDRs, zones) so tests
//! can mirror it in a fake EC2.

use crate::load::load_one;
use crate::store::Store;
use crate::util::{self, ipv4, parse_ipv4, rfc3339, splitmix};
use serde_json::{Value, json};

pub struct Params {
    pub nodes: usize,
    pub hybrid: usize,
    pub fargate: usize,
    pub windows: usize,
    pub pods: usize,
    pub zones: usize,
    pub region: String,
    pub custom: bool,
    pub misplaced: usize,
    pub cni: String,
    pub seed: u64,
}

impl Params {
    pub fn parse(spec: &str) -> Result<Params, String> {
        let (name, rest) = spec.split_once(':').unwrap_or((spec, ""));
        if name != "eks" {
            return Err(format!("unknown scenario {name:?} (known: eks)"));
        }
        let mut p = Params {
            nodes: 6,
            hybrid: 2,
            fargate: 0,
            windows: 0,
            pods: usize::MAX,
            zones: 3,
            region: "us-west-2".into(),
            custom: true,
            misplaced: 0,
            cni: "v1.19.2-eksbuild.1".into(),
            seed: 1,
        };
        for kv in rest.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("scenario: expected key=value, got {kv:?}"))?;
            let n = || {
                v.parse::<usize>()
                    .map_err(|_| format!("scenario: {k} must be a number"))
            };
            match k {
                "nodes" => p.nodes = n()?,
                "hybrid" => p.hybrid = n()?,
                "fargate" => p.fargate = n()?,
                "windows" => p.windows = n()?,
                "pods" => p.pods = n()?,
                "zones" => p.zones = n()?.clamp(1, 6),
                "misplaced" => p.misplaced = n()?,
                "seed" => p.seed = n()? as u64,
                "region" => p.region = v.to_string(),
                "cni" => p.cni = v.to_string(),
                "custom" => p.custom = matches!(v, "true" | "1" | "yes"),
                _ => return Err(format!("scenario: unknown key {k:?}")),
            }
        }
        if p.pods == usize::MAX {
            p.pods = p.nodes * 10;
        }
        Ok(p)
    }
}

/// A distinct 5-character name suffix for each n below 27^5 (Kubernetes' alphabet).
fn suffix(n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut x = (n.wrapping_add(1_000_003).wrapping_mul(7_368_787)) % 14_348_907;
    (0..5)
        .map(|_| {
            let c = ALPHABET[(x % 27) as usize] as char;
            x /= 27;
            c
        })
        .collect()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        splitmix(self.0)
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

const TYPES: &[(&str, u32, &str, &str)] = &[
    ("m5.large", 29, "2", "7910788Ki"),
    ("m5.xlarge", 58, "4", "15900360Ki"),
    ("c5.2xlarge", 58, "8", "15900360Ki"),
];

pub fn generate(st: &mut Store, spec: &str) -> Result<usize, String> {
    let p = Params::parse(spec)?;
    let mut n = 0;
    let mut err = None;
    build_into(&p, &mut |o| {
        if err.is_none() {
            match load_one(st, o) {
                Ok(()) => n += 1,
                Err(e) => err = Some(e),
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(n),
    }
}

/// Builds the scenario's objects.
pub fn build(p: &Params) -> Vec<Value> {
    let mut v = vec![];
    build_into(p, &mut |o| v.push(o));
    v
}

/// Builds the scenario's objects, handing each to `sink` as it is made (CRDs come first).
pub fn build_into(p: &Params, sink: &mut dyn FnMut(Value)) {
    let mut out = Sink(sink);
    let mut rng = Rng(p.seed.wrapping_mul(0x9E37_79B9));
    let created = rfc3339(util::now_secs() - 86_400 * 3);
    let zones: Vec<String> = (0..p.zones)
        .map(|z| format!("{}{}", p.region, (b'a' + z as u8) as char))
        .collect();
    let vpc_base = parse_ipv4("10.0.0.0").unwrap_or(0);
    // node subnet per zone: 10.0.(z*32).0/19; pod subnet per zone: 100.(64+z).0.0/16
    let node_subnet = |z: usize| (vpc_base + ((z as u32 * 32) << 8), 19u8);
    let pod_subnet = |z: usize| {
        (
            parse_ipv4("100.64.0.0").unwrap_or(0) + ((z as u32) << 16),
            16u8,
        )
    };
    let node_subnet_ids: Vec<String> = (0..p.zones)
        .map(|_| format!("subnet-0{}", rng.hex(16)))
        .collect();
    let pod_subnet_ids: Vec<String> = (0..p.zones)
        .map(|_| format!("subnet-0{}", rng.hex(16)))
        .collect();
    let sg = format!("sg-0{}", rng.hex(16));

    // ---- layout record
    let mut subnets = vec![];
    for z in 0..p.zones {
        let (b, l) = node_subnet(z);
        subnets.push(json!({"id": node_subnet_ids[z], "cidr": format!("{}/{l}", ipv4(b)), "zone": zones[z], "role": "node"}));
        if p.custom {
            let (b, l) = pod_subnet(z);
            subnets.push(json!({"id": pod_subnet_ids[z], "cidr": format!("{}/{l}", ipv4(b)), "zone": zones[z], "role": "pod"}));
        }
    }
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kubesim-scenario", "namespace": "kube-system", "creationTimestamp": created},
        "data": {"spec": format!("{spec:?}", spec = format!("eks nodes={} hybrid={} pods={}", p.nodes, p.hybrid, p.pods)),
                 "vpcCidr": "10.0.0.0/16", "secondaryCidr": "100.64.0.0/10",
                 "remoteNodeNetwork": "172.16.0.0/16", "remotePodNetwork": "192.168.64.0/18",
                 "securityGroup": sg,
                 "subnets": serde_json::to_string(&subnets).unwrap_or_default()}}));

    // ---- CRD + ENIConfigs
    out.push(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "eniconfigs.crd.k8s.amazonaws.com", "creationTimestamp": created},
        "spec": {"group": "crd.k8s.amazonaws.com", "scope": "Cluster",
            "names": {"kind": "ENIConfig", "listKind": "ENIConfigList", "plural": "eniconfigs", "singular": "eniconfig"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                    "spec": {"type": "object", "properties": {"securityGroups": {"type": "array", "items": {"type": "string"}}, "subnet": {"type": "string"}}},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]}}));
    if p.custom {
        for z in 0..p.zones {
            out.push(
                json!({"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
                "metadata": {"name": zones[z], "creationTimestamp": created},
                "spec": {"subnet": pod_subnet_ids[z], "securityGroups": [sg]}}),
            );
        }
    }

    // ---- ConfigMaps
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "amazon-vpc-cni", "namespace": "kube-system", "creationTimestamp": created,
                     "labels": {"app.kubernetes.io/name": "aws-node", "app.kubernetes.io/instance": "aws-vpc-cni"}},
        "data": {"enable-network-policy-controller": "false", "enable-windows-ipam": "false",
                 "enable-windows-prefix-delegation": "false", "warm-ip-target": "1", "minimum-ip-target": "3"}}));
    let map_roles = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-node-role\n  username: system:node:{{EC2PrivateDNSName}}\n- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/eks-hybrid-nodes-role\n  username: system:node:{{SessionName}}\n".to_string();
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "aws-auth", "namespace": "kube-system", "creationTimestamp": created},
        "data": {"mapRoles": map_roles}}));
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kube-proxy-config", "namespace": "kube-system", "creationTimestamp": created},
        "data": {"config": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: \"\"\n"}}));

    // ---- nodes
    struct N {
        name: String,
        zone: usize,
        ip: u32,
        ec2: bool,
        linux: bool,
        fargate: bool,
    }
    let mut nodes: Vec<N> = vec![];
    let ec2_windows = p.nodes + p.windows;
    for i in 0..ec2_windows {
        let z = i % p.zones;
        let (base, _) = node_subnet(z);
        let ip = base + 10 + (i / p.zones) as u32;
        let windows = i >= p.nodes;
        let (itype, maxpods, cpu, mem) = TYPES[i % TYPES.len()];
        let name = format!(
            "ip-{}.{}.compute.internal",
            ipv4(ip).replace('.', "-"),
            p.region
        );
        let iid = format!("i-0{}", rng.hex(16));
        let mut labels = json!({
            "kubernetes.io/os": if windows { "windows" } else { "linux" },
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": if windows { "windows" } else { "linux" },
            "beta.kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": itype,
            "beta.kubernetes.io/instance-type": itype,
            "topology.kubernetes.io/zone": zones[z],
            "topology.kubernetes.io/region": p.region,
            "failure-domain.beta.kubernetes.io/zone": zones[z],
            "eks.amazonaws.com/nodegroup": if windows { "ng-windows" } else { "ng-default" },
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup-image": "ami-0abcdef1234567890",
        });
        if p.custom && !windows {
            labels["k8s.amazonaws.com/eniConfig"] = json!(zones[z]);
        }
        out.push(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "creationTimestamp": created, "labels": labels,
                         "annotations": {"alpha.kubernetes.io/provided-node-ip": ipv4(ip), "node.alpha.kubernetes.io/ttl": "0"},
                         "uid": util::new_uid()},
            "spec": {"providerID": format!("aws:///{}/{iid}", zones[z])},
            "status": {
                "capacity": {"cpu": cpu, "memory": mem, "pods": maxpods.to_string(), "ephemeral-storage": "83873772Ki"},
                "allocatable": {"cpu": cpu, "memory": mem, "pods": maxpods.to_string(), "ephemeral-storage": "76224326324"},
                "addresses": [{"type": "InternalIP", "address": ipv4(ip)},
                              {"type": "InternalDNS", "address": name},
                              {"type": "Hostname", "address": name}],
                "conditions": [
                    {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "lastHeartbeatTime": created, "lastTransitionTime": created, "message": "kubelet has sufficient memory available"},
                    {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "lastHeartbeatTime": created, "lastTransitionTime": created, "message": "kubelet has no disk pressure"},
                    {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "lastHeartbeatTime": created, "lastTransitionTime": created, "message": "kubelet has sufficient PID available"},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": created, "lastTransitionTime": created, "message": "kubelet is posting ready status"}],
                "nodeInfo": {"kubeletVersion": "v1.33.1-eks-1234567", "kubeProxyVersion": "v1.33.1-eks-1234567",
                    "osImage": if windows { "Windows Server 2022 Datacenter" } else { "Amazon Linux 2023.6.20250115" },
                    "containerRuntimeVersion": "containerd://1.7.25", "kernelVersion": if windows { "10.0.20348.2966" } else { "6.1.124-134.200.amzn2023.x86_64" },
                    "operatingSystem": if windows { "windows" } else { "linux" }, "architecture": "amd64",
                    "machineID": rng.hex(32), "systemUUID": format!("ec2{}", rng.hex(29)), "bootID": util::new_uid()}}}));
        nodes.push(N {
            name,
            zone: z,
            ip,
            ec2: !windows,
            linux: !windows,
            fargate: false,
        });
    }
    for i in 0..p.fargate {
        let z = i % p.zones;
        let (base, _) = node_subnet(z);
        let ip = base + 4000 + i as u32;
        let name = format!(
            "fargate-ip-{}.{}.compute.internal",
            ipv4(ip).replace('.', "-"),
            p.region
        );
        out.push(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "creationTimestamp": created,
                "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                           "eks.amazonaws.com/compute-type": "fargate", "topology.kubernetes.io/zone": zones[z],
                           "topology.kubernetes.io/region": p.region}},
            "spec": {"providerID": format!("aws:///{}/{}/fargate-{name}", zones[z], util::new_uid()),
                     "taints": [{"key": "eks.amazonaws.com/compute-type", "value": "fargate", "effect": "NoSchedule"}]},
            "status": {"capacity": {"cpu": "2", "memory": "3977000Ki", "pods": "1"},
                "allocatable": {"cpu": "2", "memory": "3874600Ki", "pods": "1"},
                "addresses": [{"type": "InternalIP", "address": ipv4(ip)}],
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": created, "lastTransitionTime": created}],
                "nodeInfo": {"kubeletVersion": "v1.33.1-eks-1234567", "osImage": "Amazon Linux 2", "containerRuntimeVersion": "containerd://1.7.25",
                             "kernelVersion": "5.10.230", "operatingSystem": "linux", "architecture": "amd64"}}}));
        nodes.push(N {
            name,
            zone: z,
            ip,
            ec2: false,
            linux: true,
            fargate: true,
        });
    }
    for i in 0..p.hybrid {
        let ip = parse_ipv4("172.16.0.0").unwrap_or(0) + 10 + i as u32;
        let name = format!("mi-0{}", rng.hex(16));
        out.push(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "creationTimestamp": created,
                "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                           "eks.amazonaws.com/compute-type": "hybrid", "eks.amazonaws.com/hybrid-credential-provider": "ssm"}},
            "spec": {"providerID": format!("eks-hybrid:///{}/my-cluster/{name}", p.region)},
            "status": {"capacity": {"cpu": "4", "memory": "16000000Ki", "pods": "110"},
                "allocatable": {"cpu": "4", "memory": "15800000Ki", "pods": "110"},
                "addresses": [{"type": "InternalIP", "address": ipv4(ip)}, {"type": "Hostname", "address": name}],
                "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "lastHeartbeatTime": created, "lastTransitionTime": created,
                                "message": "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"}],
                "nodeInfo": {"kubeletVersion": "v1.33.1-eks-1234567", "osImage": "Ubuntu 22.04.5 LTS", "containerRuntimeVersion": "containerd://1.7.24",
                             "kernelVersion": "5.15.0-130-generic", "operatingSystem": "linux", "architecture": "amd64"}}}));
        nodes.push(N {
            name,
            zone: 0,
            ip,
            ec2: false,
            linux: true,
            fargate: false,
        });
    }

    // ---- DaemonSets (aws-node, kube-proxy) and their pods
    let ec2_linux: Vec<&N> = nodes.iter().filter(|n| n.ec2 && n.linux).collect();
    let proxy_nodes: Vec<&N> = nodes.iter().filter(|n| n.linux && !n.fargate).collect();
    let ecr = format!("602401143452.dkr.ecr.{}.amazonaws.com", p.region);
    let aws_node_uid = util::new_uid();
    let proxy_uid = util::new_uid();
    let ds_status = |n: usize| {
        json!({"currentNumberScheduled": n, "desiredNumberScheduled": n, "numberAvailable": n,
        "numberMisscheduled": 0, "numberReady": n, "observedGeneration": 1, "updatedNumberScheduled": n})
    };
    let aws_env = json!([
        {"name": "ADDITIONAL_ENI_TAGS", "value": "{}"},
        {"name": "ANNOTATE_POD_IP", "value": "false"},
        {"name": "AWS_VPC_CNI_NODE_PORT_SUPPORT", "value": "true"},
        {"name": "AWS_VPC_ENI_MTU", "value": "9001"},
        {"name": "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "value": if p.custom { "true" } else { "false" }},
        {"name": "AWS_VPC_K8S_CNI_EXTERNALSNAT", "value": "false"},
        {"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG"},
        {"name": "AWS_VPC_K8S_CNI_VETHPREFIX", "value": "eni"},
        {"name": "CLUSTER_NAME", "value": "my-cluster"},
        {"name": "ENABLE_IPv4", "value": "true"},
        {"name": "ENABLE_IPv6", "value": "false"},
        {"name": "ENABLE_POD_ENI", "value": "false"},
        {"name": "ENABLE_PREFIX_DELEGATION", "value": "false"},
        {"name": "ENI_CONFIG_LABEL_DEF", "value": "topology.kubernetes.io/zone"},
        {"name": "VPC_ID", "value": "vpc-0123456789abcdef0"},
        {"name": "WARM_ENI_TARGET", "value": "1"},
        {"name": "WARM_PREFIX_TARGET", "value": "1"},
        {"name": "MY_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
    ]);
    let aws_tmpl_spec = json!({
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
            {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate", "hybrid", "auto"]}]}]}}},
        "hostNetwork": true, "priorityClassName": "system-node-critical", "serviceAccountName": "aws-node",
        "tolerations": [{"operator": "Exists"}],
        "initContainers": [{"name": "aws-vpc-cni-init", "image": format!("{ecr}/amazon-k8s-cni-init:{}", p.cni),
                            "env": [{"name": "DISABLE_TCP_EARLY_DEMUX", "value": "false"}, {"name": "ENABLE_IPv6", "value": "false"}]}],
        "containers": [
            {"name": "aws-node", "image": format!("{ecr}/amazon-k8s-cni:{}", p.cni), "env": aws_env,
             "ports": [{"containerPort": 61678, "name": "metrics", "protocol": "TCP"}],
             "resources": {"requests": {"cpu": "25m"}}},
            {"name": "aws-eks-nodeagent", "image": format!("{ecr}/amazon/aws-network-policy-agent:v1.1.6-eksbuild.1"),
             "args": ["--enable-ipv6=false", "--enable-network-policy=false"]}],
    });
    let cni_hash = util::short_hash(&p.cni);
    out.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "aws-node", "namespace": "kube-system", "uid": aws_node_uid, "generation": 1, "creationTimestamp": created,
            "labels": {"app.kubernetes.io/instance": "aws-vpc-cni", "app.kubernetes.io/name": "aws-node", "app.kubernetes.io/version": p.cni.split('-').next().unwrap_or(""), "k8s-app": "aws-node"}},
        "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/instance": "aws-vpc-cni", "app.kubernetes.io/name": "aws-node", "k8s-app": "aws-node"}},
                         "spec": aws_tmpl_spec.clone()}},
        "status": ds_status(ec2_linux.len())}));
    let proxy_image = format!("{ecr}/eks/kube-proxy:v1.33.0-minimal-eksbuild.2");
    let proxy_tmpl_spec = json!({
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
            {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate", "auto"]}]}]}}},
        "hostNetwork": true, "priorityClassName": "system-node-critical", "serviceAccountName": "kube-proxy",
        "tolerations": [{"operator": "Exists"}],
        "containers": [{"name": "kube-proxy", "image": proxy_image, "command": ["kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config"]}]});
    out.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "uid": proxy_uid, "generation": 1, "creationTimestamp": created,
            "labels": {"eks.amazonaws.com/component": "kube-proxy", "k8s-app": "kube-proxy"}},
        "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}}, "spec": proxy_tmpl_spec.clone()}},
        "status": ds_status(proxy_nodes.len())}));
    for (sa, ns) in [
        ("aws-node", "kube-system"),
        ("kube-proxy", "kube-system"),
        ("coredns", "kube-system"),
    ] {
        out.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns, "creationTimestamp": created}}));
    }
    let host_pod = |name: String,
                    owner: (&str, &str, &str),
                    labels: Value,
                    spec: &Value,
                    node: &N,
                    rng: &mut Rng|
     -> Value {
        let mut spec = spec.clone();
        spec["nodeName"] = json!(node.name);
        spec.as_object_mut().map(|o| o.remove("affinity"));
        let cs: Vec<Value> = spec["containers"].as_array().cloned().unwrap_or_default().iter().map(|c| json!({
            "name": c["name"], "image": c["image"], "imageID": format!("{}@sha256:{}", c["image"].as_str().unwrap_or(""), rng.hex(64)),
            "containerID": format!("containerd://{}", rng.hex(64)), "ready": true, "started": true, "restartCount": 0,
            "state": {"running": {"startedAt": created}}})).collect();
        let ip = ipv4(node.ip);
        let qos = util::qos_class(&spec);
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "kube-system", "creationTimestamp": created, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner.0, "name": owner.1, "uid": owner.2, "controller": true, "blockOwnerDeletion": true}]},
            "spec": spec,
            "status": {"phase": "Running", "hostIP": ip, "hostIPs": [{"ip": ip}], "podIP": ip, "podIPs": [{"ip": ip}],
                "startTime": created, "qosClass": qos,
                "conditions": [{"type": "Initialized", "status": "True", "lastTransitionTime": created},
                               {"type": "Ready", "status": "True", "lastTransitionTime": created},
                               {"type": "ContainersReady", "status": "True", "lastTransitionTime": created},
                               {"type": "PodScheduled", "status": "True", "lastTransitionTime": created}],
                "containerStatuses": cs}})
    };
    for (i, n) in ec2_linux.iter().enumerate() {
        let name = format!("aws-node-{}", suffix(i as u64));
        out.push(host_pod(name, ("DaemonSet", "aws-node", &aws_node_uid),
            json!({"k8s-app": "aws-node", "app.kubernetes.io/name": "aws-node", "app.kubernetes.io/instance": "aws-vpc-cni", "controller-revision-hash": cni_hash}),
            &aws_tmpl_spec, n, &mut rng));
    }
    for (i, n) in proxy_nodes.iter().enumerate() {
        let name = format!("kube-proxy-{}", suffix(i as u64));
        out.push(host_pod(
            name,
            ("DaemonSet", "kube-proxy", &proxy_uid),
            json!({"k8s-app": "kube-proxy", "controller-revision-hash": "5f8d9b7c6d"}),
            &proxy_tmpl_spec,
            n,
            &mut rng,
        ));
    }

    // ---- workload pods over EC2 linux nodes, grouped into Deployments / ReplicaSets
    if !ec2_linux.is_empty() && p.pods > 0 {
        let per_app = 100usize;
        let apps = p.pods.div_ceil(per_app);
        let mut next_ip: Vec<u32> = (0..p.zones).map(|_| 10).collect();
        let mut misplaced_left = p.misplaced;
        let mut pod_i = 0usize;
        for a in 0..apps {
            let ns = format!("apps-{}", a % 10);
            let app = format!("app-{a}");
            let hash = util::short_hash(&app);
            let rs_name = format!("{app}-{hash}");
            let d_uid = util::new_uid();
            let rs_uid = util::new_uid();
            let count = per_app.min(p.pods - pod_i);
            let tmpl = json!({"metadata": {"labels": {"app": app, "pod-template-hash": hash}},
                "spec": {"containers": [{"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27", "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}});
            let st_ok = json!({"replicas": count, "readyReplicas": count, "availableReplicas": count, "updatedReplicas": count, "observedGeneration": 1});
            out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "namespace": ns, "uid": d_uid, "generation": 1, "creationTimestamp": created,
                             "annotations": {"deployment.kubernetes.io/revision": "1"}, "labels": {"app": app}},
                "spec": {"replicas": count, "selector": {"matchLabels": {"app": app}},
                         "template": {"metadata": {"labels": {"app": app}}, "spec": tmpl["spec"].clone()},
                         "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}},
                "status": {"replicas": count, "readyReplicas": count, "availableReplicas": count, "updatedReplicas": count, "observedGeneration": 1,
                    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastUpdateTime": created, "lastTransitionTime": created, "message": "Deployment has minimum availability."},
                                   {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastUpdateTime": created, "lastTransitionTime": created, "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")}]}}));
            out.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid, "generation": 1, "creationTimestamp": created,
                             "labels": {"app": app, "pod-template-hash": hash},
                             "annotations": {"deployment.kubernetes.io/revision": "1"},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "uid": d_uid, "controller": true, "blockOwnerDeletion": true}]},
                "spec": {"replicas": count, "selector": {"matchLabels": {"app": app, "pod-template-hash": hash}}, "template": tmpl.clone()},
                "status": st_ok}));
            for _ in 0..count {
                let node = ec2_linux[pod_i % ec2_linux.len()];
                let z = node.zone;
                let (base, len) = if p.custom {
                    pod_subnet(z)
                } else {
                    node_subnet(z)
                };
                let size = 1u32 << (32 - len as u32);
                let mut ip = base + (next_ip[z] % (size - 20)).max(10);
                next_ip[z] += 1;
                if misplaced_left > 0 {
                    // an address in another zone's pod subnet (or outside the VPC with one zone)
                    let other = (z + 1) % p.zones;
                    ip = if other != z {
                        (if p.custom {
                            pod_subnet(other)
                        } else {
                            node_subnet(other)
                        })
                        .0 + 5000
                            + misplaced_left as u32
                    } else {
                        parse_ipv4("10.200.0.0").unwrap_or(0) + misplaced_left as u32
                    };
                    misplaced_left -= 1;
                }
                let pod_ip = ipv4(ip);
                let host = ipv4(node.ip);
                out.push(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{rs_name}-{}", suffix(pod_i as u64)), "namespace": ns, "creationTimestamp": created,
                        "labels": {"app": app, "pod-template-hash": hash},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}]},
                    "spec": {"nodeName": node.name, "containers": tmpl["spec"]["containers"].clone(), "restartPolicy": "Always",
                             "serviceAccountName": "default", "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30},
                    "status": {"phase": "Running", "hostIP": host, "hostIPs": [{"ip": host}], "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
                        "startTime": created, "qosClass": util::qos_class(&tmpl["spec"]),
                        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": created},
                                       {"type": "PodScheduled", "status": "True", "lastTransitionTime": created}],
                        "containerStatuses": [{"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27", "ready": true, "started": true,
                                               "restartCount": 0, "state": {"running": {"startedAt": created}}}]}}));
                pod_i += 1;
            }
        }
    }
}

struct Sink<'a>(&'a mut dyn FnMut(Value));
impl Sink<'_> {
    fn push(&mut self, v: Value) {
        (self.0)(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_objects;

    #[test]
    fn small_eks() {
        let p =
            Params::parse("eks:nodes=4,hybrid=2,pods=10,fargate=1,windows=1,misplaced=2").unwrap();
        let objs = build(&p);
        let nodes: Vec<&Value> = objs.iter().filter(|o| o["kind"] == "Node").collect();
        assert_eq!(nodes.len(), 8);
        assert_eq!(
            nodes
                .iter()
                .filter(|n| n["metadata"]["name"].as_str().unwrap().starts_with("mi-"))
                .count(),
            2
        );
        let aws_pods = objs
            .iter()
            .filter(|o| o["kind"] == "Pod" && o["metadata"]["labels"]["k8s-app"] == "aws-node")
            .count();
        assert_eq!(aws_pods, 4);
        // As the real API server computes it: kube-proxy requests nothing, aws-node 25m of cpu.
        let qos = |app: &str| {
            objs.iter()
                .find(|o| o["kind"] == "Pod" && o["metadata"]["labels"]["k8s-app"] == app)
                .unwrap()["status"]["qosClass"]
                .clone()
        };
        assert_eq!(qos("kube-proxy"), "BestEffort");
        assert_eq!(qos("aws-node"), "Burstable");
        let mut st = Store::new();
        let n = load_objects(&mut st, objs).unwrap();
        assert!(n > 20);
        assert!(Params::parse("gke").is_err());
        let names: std::collections::HashSet<String> = (0..200_000).map(suffix).collect();
        assert_eq!(names.len(), 200_000);
    }
}
