//! The audit's checks: facts (and a tally of pods folded in page by page) → one result per check.
//! Pure functions, so every check is tested without a server.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use serde::Serialize;

use super::facts::{ClusterFacts, Compute, NodeView, Selection, cni_version_key};
use super::maxpods::{self, Mode};
use crate::net::Cidr;
use crate::report::Severity;

const DOCS_CUSTOM: &str =
    "https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network-tutorial.html";
const DOCS_SUBNETS: &str = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html";
const DOCS_WINDOWS: &str =
    "https://docs.aws.amazon.com/eks/latest/userguide/launch-windows-workers.html";
const DOCS_HYBRID: &str = "https://docs.aws.amazon.com/eks/latest/userguide/hybrid-nodes-cni.html";
const DOCS_MAXPODS: &str =
    "https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html";

/// Objects listed per check in JSON; the table shows the first 10.
const MAX_EXAMPLES: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub id: &'static str,
    pub severity: Severity,
    pub status: Status,
    pub message: String,
    /// Affected objects (`node/…`, `pod/ns/name`, `eniconfig/…`); capped at 1000.
    pub objects: Vec<String>,
    /// How many objects are affected in all (may exceed `objects.len()`).
    pub object_count: usize,
    pub remediation: &'static str,
    pub docs: &'static str,
}

/// Every check ID with its severity, in report order.
pub const CHECKS: &[(&str, Severity)] = &[
    ("custom-networking-disabled", Severity::Warning),
    ("cni-version-too-old", Severity::Error),
    ("ipv6-with-custom-networking", Severity::Error),
    ("eniconfig-missing-for-node", Severity::Error),
    ("eniconfig-default-fallback", Severity::Warning),
    ("eniconfig-subnet-not-found", Severity::Error),
    ("eniconfig-subnet-wrong-az", Severity::Error),
    ("eniconfig-subnet-wrong-vpc", Severity::Error),
    ("eniconfig-no-security-groups", Severity::Info),
    ("eniconfig-unused", Severity::Info),
    ("pod-ip-outside-eniconfig-subnet", Severity::Error),
    ("node-needs-replacement", Severity::Error),
    ("max-pods-exceeds-capacity", Severity::Error),
    ("subnet-ip-exhaustion", Severity::Error),
    ("security-groups-for-pods-override", Severity::Info),
    ("external-snat-required", Severity::Info),
    ("windows-ipam-disabled", Severity::Error),
    ("aws-auth-windows-role-missing-groups", Severity::Error),
    ("aws-auth-shared-node-role", Severity::Warning),
    ("hybrid-node-runs-aws-node", Severity::Error),
    ("hybrid-pod-ip-outside-remote-pod-networks", Severity::Error),
];

/// A pod as the audit needs it.
#[derive(Debug, Clone)]
pub struct PodFacts {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub ip: Option<Ipv4Addr>,
    pub host_network: bool,
    /// Pod of the aws-node DaemonSet (label k8s-app=aws-node).
    pub aws_node: bool,
}

#[derive(Debug, Default, Clone)]
struct Examples {
    count: usize,
    items: Vec<String>,
}

impl Examples {
    fn add(&mut self, s: impl FnOnce() -> String) {
        self.count += 1;
        if self.items.len() < MAX_EXAMPLES {
            self.items.push(s());
        }
    }
}

/// Pods folded in page by page: counts and examples, never the pod list itself.
#[derive(Debug)]
pub struct PodTally {
    views: HashMap<String, NodeView>,
    /// Per node: `Some(true)` hybrid, `Some(false)` EC2 Linux (VPC CNI), absent otherwise.
    kind: HashMap<String, bool>,
    remote_pod_networks: Option<Vec<Cidr>>,
    pub pods_seen: usize,
    /// VPC-CNI pods per node.
    per_node: HashMap<String, u64>,
    outside: Examples,
    in_primary: BTreeMap<String, u64>,
    hybrid_aws_node: Examples,
    hybrid_outside: Examples,
}

impl PodTally {
    pub fn new(facts: &ClusterFacts) -> Self {
        let views = facts
            .nodes
            .iter()
            .map(|n| (n.name.clone(), facts.view(n)))
            .collect();
        let kind = facts
            .nodes
            .iter()
            .filter_map(|n| match n.compute {
                Compute::Hybrid => Some((n.name.clone(), true)),
                Compute::Ec2 if !n.windows => Some((n.name.clone(), false)),
                _ => None,
            })
            .collect();
        PodTally {
            views,
            kind,
            remote_pod_networks: facts.remote_pod_networks.clone(),
            pods_seen: 0,
            per_node: HashMap::new(),
            outside: Examples::default(),
            in_primary: BTreeMap::new(),
            hybrid_aws_node: Examples::default(),
            hybrid_outside: Examples::default(),
        }
    }

    pub fn add(&mut self, pod: &PodFacts) {
        self.pods_seen += 1;
        let Some(node) = pod.node.as_deref() else {
            return;
        };
        let kind = self.kind.get(node).copied();
        if kind == Some(true) {
            if pod.aws_node {
                self.hybrid_aws_node
                    .add(|| format!("pod/{}/{} on node/{node}", pod.namespace, pod.name));
            }
            if let (false, Some(ip), Some(nets)) =
                (pod.host_network, pod.ip, &self.remote_pod_networks)
            {
                let inside = nets
                    .iter()
                    .any(|n| n.as_v4().is_some_and(|v| v.contains(&ip)));
                if !inside {
                    self.hybrid_outside
                        .add(|| format!("pod/{}/{} ({ip})", pod.namespace, pod.name));
                }
            }
            return;
        }
        if kind != Some(false) || pod.host_network {
            return;
        }
        let Some(ip) = pod.ip else { return };
        *self.per_node.entry(node.to_string()).or_default() += 1;
        let Some(view) = self.views.get(node) else {
            return;
        };
        let Some(pod_subnet) = &view.pod_subnet else {
            return;
        };
        if pod_subnet.cidr.contains(&ip) {
            return;
        }
        if view
            .primary_subnet
            .as_ref()
            .is_some_and(|s| s.cidr.contains(&ip))
        {
            *self.in_primary.entry(node.to_string()).or_default() += 1;
        } else {
            self.outside.add(|| {
                format!(
                    "pod/{}/{} ({ip}, node/{node}, expected {})",
                    pod.namespace, pod.name, pod_subnet.cidr
                )
            });
        }
    }
}

struct Ctx<'a> {
    facts: &'a ClusterFacts,
    tally: &'a PodTally,
}

fn result(
    id: &'static str,
    status: Status,
    message: impl Into<String>,
    objects: Vec<String>,
    remediation: &'static str,
    docs: &'static str,
) -> CheckResult {
    let severity = CHECKS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, s)| *s)
        .unwrap_or(Severity::Error);
    let object_count = objects.len();
    let mut objects = objects;
    objects.truncate(MAX_EXAMPLES);
    CheckResult {
        id,
        severity,
        status,
        message: message.into(),
        objects,
        object_count,
        remediation,
        docs,
    }
}

fn skipped(id: &'static str, why: impl Into<String>) -> CheckResult {
    result(id, Status::Skipped, why, vec![], "", "")
}

/// Pass when `objects` is empty, else fail with `fail_msg`.
fn verdict(
    id: &'static str,
    objects: Vec<String>,
    pass_msg: &str,
    fail_msg: String,
    remediation: &'static str,
    docs: &'static str,
) -> CheckResult {
    if objects.is_empty() {
        result(id, Status::Pass, pass_msg, vec![], remediation, docs)
    } else {
        result(id, Status::Fail, fail_msg, objects, remediation, docs)
    }
}

/// Runs every check. `selected` (if not empty) limits to those IDs; `skip` removes some.
pub fn run(facts: &ClusterFacts, tally: &PodTally) -> Vec<CheckResult> {
    let c = Ctx { facts, tally };
    vec![
        custom_networking_disabled(&c),
        cni_version(&c),
        ipv6(&c),
        eniconfig_missing(&c),
        default_fallback(&c),
        subnet_not_found(&c),
        wrong_az(&c),
        wrong_vpc(&c),
        no_security_groups(&c),
        unused(&c),
        pods_outside(&c),
        needs_replacement(&c),
        max_pods(&c),
        exhaustion(&c),
        sgp_override(&c),
        external_snat(&c),
        windows_ipam(&c),
        windows_role(&c),
        shared_role(&c),
        hybrid_aws_node(&c),
        hybrid_pod_ips(&c),
    ]
}

/// The check applies only with custom networking on; otherwise why it is skipped.
fn needs_custom(c: &Ctx<'_>, id: &'static str) -> Option<CheckResult> {
    match &c.facts.cni {
        None => Some(skipped(
            id,
            "the aws-node DaemonSet was not found in kube-system",
        )),
        Some(cni) if !cni.custom_networking() => Some(skipped(
            id,
            "custom networking is off (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG is not true)",
        )),
        Some(_) => None,
    }
}

fn needs_subnets(c: &Ctx<'_>, id: &'static str) -> Option<CheckResult> {
    c.facts.subnets.is_none().then(|| {
        skipped(
            id,
            "no subnet facts: pass --cluster (EC2 DescribeSubnets) or --subnets FILE",
        )
    })
}

fn custom_networking_disabled(c: &Ctx<'_>) -> CheckResult {
    let id = "custom-networking-disabled";
    let Some(cni) = &c.facts.cni else {
        return skipped(id, "the aws-node DaemonSet was not found in kube-system");
    };
    if cni.custom_networking() {
        return result(
            id,
            Status::Pass,
            "custom networking is on (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true)",
            vec![],
            "",
            DOCS_CUSTOM,
        );
    }
    let with_configs = c.facts.eniconfigs.as_ref().is_some_and(|e| !e.is_empty());
    let msg = if with_configs {
        "ENIConfigs exist but AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG is not true: pods still take IPs from the nodes' subnets"
    } else {
        "custom networking is off (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG is not true); its checks are skipped"
    };
    result(
        id,
        Status::Fail,
        msg,
        vec!["daemonset/kube-system/aws-node".into()],
        "kubectl set env daemonset aws-node -n kube-system AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true, then replace the nodes",
        DOCS_CUSTOM,
    )
}

fn cni_version(c: &Ctx<'_>) -> CheckResult {
    let id = "cni-version-too-old";
    let Some(cni) = &c.facts.cni else {
        return skipped(id, "the aws-node DaemonSet was not found in kube-system");
    };
    let Some(tag) = &cni.version else {
        return skipped(
            id,
            format!(
                "cannot read a version from the aws-node image `{}`",
                cni.image
            ),
        );
    };
    let Some(key) = cni_version_key(tag) else {
        return skipped(id, format!("cannot parse the aws-node image tag `{tag}`"));
    };
    if key >= (1, 6, 3, 2) {
        result(
            id,
            Status::Pass,
            format!("VPC CNI {tag} supports custom networking"),
            vec![],
            "",
            DOCS_CUSTOM,
        )
    } else {
        result(
            id,
            Status::Fail,
            format!(
                "VPC CNI {tag} is older than 1.6.3-eksbuild.2, the first version with custom networking"
            ),
            vec!["daemonset/kube-system/aws-node".into()],
            "update the Amazon VPC CNI add-on (aws eks update-addon --addon-name vpc-cni)",
            DOCS_CUSTOM,
        )
    }
}

fn ipv6(c: &Ctx<'_>) -> CheckResult {
    let id = "ipv6-with-custom-networking";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    let cni = c
        .facts
        .cni
        .as_ref()
        .map(|c| c.enabled("ENABLE_IPv6"))
        .unwrap_or(false);
    verdict(
        id,
        if cni {
            vec!["daemonset/kube-system/aws-node".into()]
        } else {
            vec![]
        },
        "IPv6 is off",
        "ENABLE_IPv6=true with custom networking: custom networking is IPv4 only".into(),
        "turn off custom networking on IPv6 clusters (pods get IPv6 addresses from the node's subnet)",
        DOCS_CUSTOM,
    )
}

fn eniconfig_missing(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-missing-for-node";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    if c.facts.eniconfigs.is_none() {
        let nodes: Vec<String> = c
            .facts
            .vpc_cni_nodes()
            .map(|n| format!("node/{}", n.name))
            .collect();
        return verdict(
            id,
            nodes,
            "no EC2 Linux nodes",
            "the ENIConfig CRD is not installed: no node can find its ENIConfig".into(),
            "install the ENIConfig CRD (it ships with the VPC CNI) and create one ENIConfig per zone",
            DOCS_CUSTOM,
        );
    }
    let mut objects = Vec::new();
    for n in c.facts.vpc_cni_nodes() {
        if let Some((name, sel)) = c.facts.select_eniconfig(n)
            && c.facts.eniconfig(&name).is_none()
        {
            let how = match sel {
                Selection::ExternalLabel => "external label".to_string(),
                Selection::Annotation(k) => format!("annotation {k}"),
                Selection::Label(k) => format!("label {k}"),
                Selection::DefaultFallback => "fallback".to_string(),
            };
            objects.push(format!("node/{} → eniconfig/{name} ({how})", n.name));
        }
    }
    let n = objects.len();
    verdict(
        id,
        objects,
        "every EC2 Linux node resolves to an existing ENIConfig",
        format!(
            "{n} node(s) point at an ENIConfig that does not exist: the CNI cannot give their pods IPs"
        ),
        "create the missing ENIConfigs (one per zone, named like the zone when ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone)",
        DOCS_CUSTOM,
    )
}

fn default_fallback(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-default-fallback";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    let objects: Vec<String> = c
        .facts
        .vpc_cni_nodes()
        .filter(|n| {
            matches!(
                c.facts.select_eniconfig(n),
                Some((_, Selection::DefaultFallback))
            )
        })
        .filter(|_| c.facts.eniconfig("default").is_some())
        .map(|n| format!("node/{}", n.name))
        .collect();
    let n = objects.len();
    verdict(
        id,
        objects,
        "no node relies on the `default` ENIConfig",
        format!(
            "{n} node(s) use the ENIConfig named `default` only because nothing else selects one; all zones then share one subnet"
        ),
        "set ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone and name ENIConfigs after zones, or annotate the nodes",
        DOCS_CUSTOM,
    )
}

/// ENIConfigs used by at least one EC2 Linux node.
fn used_eniconfigs(c: &Ctx<'_>) -> BTreeMap<String, Vec<String>> {
    let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in c.facts.vpc_cni_nodes() {
        if let Some((name, _)) = c.facts.select_eniconfig(n) {
            used.entry(name).or_default().push(n.name.clone());
        }
    }
    used
}

fn subnet_not_found(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-subnet-not-found";
    if let Some(r) = needs_custom(c, id).or_else(|| needs_subnets(c, id)) {
        return r;
    }
    let subnets = c.facts.subnets.as_ref();
    let objects: Vec<String> = c
        .facts
        .eniconfigs
        .iter()
        .flatten()
        .filter(|e| match &e.subnet {
            None => true,
            Some(s) => subnets.is_none_or(|m| !m.contains_key(s)),
        })
        .map(|e| {
            format!(
                "eniconfig/{} (subnet {})",
                e.name,
                e.subnet.as_deref().unwrap_or("unset")
            )
        })
        .collect();
    let n = objects.len();
    verdict(
        id,
        objects,
        "every ENIConfig names an existing subnet",
        format!("{n} ENIConfig(s) name a subnet EC2 does not know"),
        "fix spec.subnet to an existing subnet ID in the cluster's VPC",
        DOCS_CUSTOM,
    )
}

fn wrong_az(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-subnet-wrong-az";
    if let Some(r) = needs_custom(c, id).or_else(|| needs_subnets(c, id)) {
        return r;
    }
    let mut objects = Vec::new();
    for n in c.facts.vpc_cni_nodes() {
        let v = c.facts.view(n);
        if let (Some(zone), Some(sub), Some((name, _))) = (&n.zone, &v.pod_subnet, &v.eniconfig)
            && &sub.az != zone
        {
            objects.push(format!(
                "node/{} in {zone} → eniconfig/{name} subnet {} in {}",
                n.name, sub.id, sub.az
            ));
        }
    }
    let n = objects.len();
    verdict(
        id,
        objects,
        "every node's ENIConfig subnet is in the node's zone",
        format!(
            "{n} node(s) use an ENIConfig whose subnet is in another availability zone: ENIs cannot attach there"
        ),
        "use one ENIConfig per zone with a subnet in that zone",
        DOCS_CUSTOM,
    )
}

fn wrong_vpc(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-subnet-wrong-vpc";
    if let Some(r) = needs_custom(c, id).or_else(|| needs_subnets(c, id)) {
        return r;
    }
    let Some(vpc) = &c.facts.vpc_id else {
        return skipped(
            id,
            "the cluster's VPC is unknown (pass --cluster, or include the nodes' subnets in --subnets)",
        );
    };
    let subnets = c.facts.subnets.as_ref();
    let objects: Vec<String> = c
        .facts
        .eniconfigs
        .iter()
        .flatten()
        .filter_map(|e| {
            let s = subnets?.get(e.subnet.as_ref()?)?;
            (&s.vpc_id != vpc)
                .then(|| format!("eniconfig/{} (subnet {} in {})", e.name, s.id, s.vpc_id))
        })
        .collect();
    let n = objects.len();
    verdict(
        id,
        objects,
        "every ENIConfig subnet is in the cluster's VPC",
        format!("{n} ENIConfig subnet(s) are outside the cluster's VPC {vpc}"),
        "pick subnets from the cluster's VPC (associate a secondary CIDR block if it is full)",
        DOCS_CUSTOM,
    )
}

fn no_security_groups(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-no-security-groups";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    let objects: Vec<String> = c
        .facts
        .eniconfigs
        .iter()
        .flatten()
        .filter(|e| e.security_groups.is_empty())
        .map(|e| format!("eniconfig/{}", e.name))
        .collect();
    let n = objects.len();
    verdict(
        id,
        objects,
        "every ENIConfig names its security groups",
        format!(
            "{n} ENIConfig(s) have no securityGroups: the node's primary ENI groups apply (CNI ≥ 1.8.0)"
        ),
        "set spec.securityGroups if pod ENIs need other groups",
        DOCS_CUSTOM,
    )
}

fn unused(c: &Ctx<'_>) -> CheckResult {
    let id = "eniconfig-unused";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    let used = used_eniconfigs(c);
    let objects: Vec<String> = c
        .facts
        .eniconfigs
        .iter()
        .flatten()
        .filter(|e| !used.contains_key(&e.name))
        .map(|e| format!("eniconfig/{}", e.name))
        .collect();
    let n = objects.len();
    verdict(
        id,
        objects,
        "every ENIConfig is used by a node",
        format!("{n} ENIConfig(s) are used by no node"),
        "delete them, or check the node labels and annotations that should select them",
        DOCS_CUSTOM,
    )
}

fn pods_outside(c: &Ctx<'_>) -> CheckResult {
    let id = "pod-ip-outside-eniconfig-subnet";
    if let Some(r) = needs_custom(c, id).or_else(|| needs_subnets(c, id)) {
        return r;
    }
    let ex = &c.tally.outside;
    let mut r = verdict(
        id,
        ex.items.clone(),
        "every VPC CNI pod IP is inside its node's ENIConfig subnet",
        format!(
            "{} pod(s) have IPs outside their node's ENIConfig subnet",
            ex.count
        ),
        "find how these pods got their IPs (a second CNI, a stale ENI); recycle their nodes",
        DOCS_CUSTOM,
    );
    r.object_count = ex.count;
    r
}

fn needs_replacement(c: &Ctx<'_>) -> CheckResult {
    let id = "node-needs-replacement";
    if let Some(r) = needs_custom(c, id).or_else(|| needs_subnets(c, id)) {
        return r;
    }
    let objects: Vec<String> = c
        .tally
        .in_primary
        .iter()
        .map(|(n, k)| format!("node/{n} ({k} pod(s) in the node's own subnet)"))
        .collect();
    let n = objects.len();
    verdict(
        id,
        objects,
        "no node keeps pods in its own subnet",
        format!("{n} node(s) predate custom networking: their pods still use the node's subnet"),
        "cordon, drain and replace these nodes (new nodes pick up the ENIConfig)",
        DOCS_CUSTOM,
    )
}

/// Max pods the VPC CNI allows a node, from its instance type and the CNI settings.
fn node_max_pods(c: &Ctx<'_>, instance_type: &str) -> Option<u64> {
    let cni = c.facts.cni.as_ref()?;
    let limits = maxpods::lookup(instance_type).ok()?;
    let mode = Mode {
        custom_networking: cni.custom_networking(),
        prefix_delegation: cni.enabled("ENABLE_PREFIX_DELEGATION") && limits.nitro,
    };
    maxpods::max_pods(&limits, mode, None).ok()
}

fn max_pods(c: &Ctx<'_>) -> CheckResult {
    let id = "max-pods-exceeds-capacity";
    if c.facts.cni.is_none() {
        return skipped(id, "the aws-node DaemonSet was not found in kube-system");
    }
    let mut objects = Vec::new();
    let mut unknown = 0;
    for n in c.facts.vpc_cni_nodes() {
        let (Some(t), Some(cap)) = (&n.instance_type, n.capacity_pods) else {
            unknown += 1;
            continue;
        };
        match node_max_pods(c, t) {
            Some(max) if cap > max => objects.push(format!(
                "node/{} ({t}: capacity {cap} pods, VPC CNI allows {max})",
                n.name
            )),
            Some(_) => {}
            None => unknown += 1,
        }
    }
    let n = objects.len();
    let mut pass = "every node's pod capacity fits its instance type".to_string();
    if unknown > 0 {
        pass.push_str(&format!(
            " ({unknown} node(s) without instance type or capacity not checked)"
        ));
    }
    verdict(
        id,
        objects,
        &pass,
        format!(
            "{n} node(s) advertise more pods than the VPC CNI can address: pods beyond it stay ContainerCreating"
        ),
        "lower kubelet --max-pods (node group maxPods) to the figure `kubectl podnet max-pods --custom-networking` gives, then replace the nodes",
        DOCS_MAXPODS,
    )
}

fn exhaustion(c: &Ctx<'_>) -> CheckResult {
    let id = "subnet-ip-exhaustion";
    if let Some(r) = needs_custom(c, id).or_else(|| needs_subnets(c, id)) {
        return r;
    }
    // Demand per pod subnet: the pods its nodes may still start.
    let mut demand: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for n in c.facts.vpc_cni_nodes() {
        let v = c.facts.view(n);
        let Some(sub) = v.pod_subnet else { continue };
        let max = n
            .instance_type
            .as_deref()
            .and_then(|t| node_max_pods(c, t))
            .or(n.capacity_pods)
            .unwrap_or(0);
        let running = c.tally.per_node.get(&n.name).copied().unwrap_or(0);
        let e = demand.entry(sub.id.clone()).or_insert((0, sub.available));
        e.0 += max.saturating_sub(running);
    }
    let mut objects = Vec::new();
    let mut worst = Status::Pass;
    let mut severity = Severity::Warning;
    for (sub, (need, free)) in &demand {
        if *free < *need {
            objects.push(format!(
                "subnet/{sub} ({free} free IPs, nodes may need {need})"
            ));
            severity = Severity::Error;
            worst = Status::Fail;
        } else if *need as f64 >= 0.8 * *free as f64 && *need > 0 {
            objects.push(format!(
                "subnet/{sub} ({free} free IPs, nodes may need {need}: ≥ 80 %)"
            ));
            worst = Status::Fail;
        }
    }
    let n = objects.len();
    let mut r = verdict(
        id,
        objects,
        "every pod subnet has room for its nodes' pods",
        format!("{n} pod subnet(s) are short of free IPs for the pods their nodes may start"),
        "add subnets (a secondary VPC CIDR) with more ENIConfigs, or lower max pods",
        DOCS_SUBNETS,
    );
    if worst == Status::Fail {
        r.severity = severity;
    }
    r
}

fn sgp_override(c: &Ctx<'_>) -> CheckResult {
    let id = "security-groups-for-pods-override";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    let on = c
        .facts
        .cni
        .as_ref()
        .is_some_and(|c| c.enabled("ENABLE_POD_ENI"));
    verdict(id, if on { vec!["daemonset/kube-system/aws-node".into()] } else { vec![] }, "security groups for pods is off", "ENABLE_POD_ENI=true: pods matched by a SecurityGroupPolicy get its groups, not the ENIConfig's".into(), "expected when you use SecurityGroupPolicies; check that each policy's groups allow what the ENIConfig groups did", DOCS_CUSTOM)
}

fn external_snat(c: &Ctx<'_>) -> CheckResult {
    let id = "external-snat-required";
    if let Some(r) = needs_custom(c, id) {
        return r;
    }
    let on = c
        .facts
        .cni
        .as_ref()
        .is_some_and(|c| c.enabled("AWS_VPC_K8S_CNI_EXTERNALSNAT"));
    verdict(id, if on { vec!["daemonset/kube-system/aws-node".into()] } else { vec![] }, "the CNI SNATs pod egress to the primary ENI address", "AWS_VPC_K8S_CNI_EXTERNALSNAT=true: pod traffic leaves the VPC with pod IPs, so the ENIConfig subnets need a NAT gateway route".into(), "route the ENIConfig subnets' 0.0.0.0/0 through a NAT gateway, or set AWS_VPC_K8S_CNI_EXTERNALSNAT=false", DOCS_CUSTOM)
}

fn windows_nodes(c: &Ctx<'_>) -> Vec<String> {
    c.facts
        .nodes
        .iter()
        .filter(|n| n.windows && n.compute == Compute::Ec2)
        .map(|n| n.name.clone())
        .collect()
}

fn windows_ipam(c: &Ctx<'_>) -> CheckResult {
    let id = "windows-ipam-disabled";
    let win = windows_nodes(c);
    if win.is_empty() {
        return result(
            id,
            Status::Pass,
            "no Windows nodes",
            vec![],
            "",
            DOCS_WINDOWS,
        );
    }
    let on = c
        .facts
        .vpc_cni_config
        .as_ref()
        .and_then(|m| m.get("enable-windows-ipam"))
        .is_some_and(|v| v.trim() == "true");
    verdict(
        id,
        if on {
            vec![]
        } else {
            vec!["configmap/kube-system/amazon-vpc-cni".into()]
        },
        "Windows IPAM is enabled",
        format!(
            "{} Windows node(s), but enable-windows-ipam is not \"true\" in the amazon-vpc-cni ConfigMap: Windows pods get no IPs",
            win.len()
        ),
        "kubectl patch configmap amazon-vpc-cni -n kube-system --type merge -p '{\"data\":{\"enable-windows-ipam\":\"true\"}}'",
        DOCS_WINDOWS,
    )
}

const WINDOWS_GROUPS: [&str; 3] = [
    "eks:kube-proxy-windows",
    "system:bootstrappers",
    "system:nodes",
];

fn windows_role(c: &Ctx<'_>) -> CheckResult {
    let id = "aws-auth-windows-role-missing-groups";
    if windows_nodes(c).is_empty() {
        return result(
            id,
            Status::Pass,
            "no Windows nodes",
            vec![],
            "",
            DOCS_WINDOWS,
        );
    }
    let Some(roles) = &c.facts.aws_auth else {
        return skipped(
            id,
            "no aws-auth ConfigMap (the cluster may use access entries, which podnet does not read yet)",
        );
    };
    let ok = roles.iter().any(|r| {
        WINDOWS_GROUPS
            .iter()
            .all(|g| r.groups.iter().any(|x| x == g))
    });
    let objects = if ok {
        vec![]
    } else {
        let mut v: Vec<String> = roles
            .iter()
            .filter(|r| r.groups.iter().any(|g| g == "system:nodes"))
            .map(|r| format!("role {} (groups: {})", r.rolearn, r.groups.join(", ")))
            .collect();
        if v.is_empty() {
            v.push("configmap/kube-system/aws-auth".into());
        }
        v
    };
    verdict(id, objects, "a node role carries eks:kube-proxy-windows, system:bootstrappers and system:nodes", "no aws-auth role has all of eks:kube-proxy-windows, system:bootstrappers, system:nodes: Windows nodes cannot join".into(), "add the Windows node role to aws-auth mapRoles with those three groups", DOCS_WINDOWS)
}

fn shared_role(c: &Ctx<'_>) -> CheckResult {
    let id = "aws-auth-shared-node-role";
    let has_linux = c
        .facts
        .nodes
        .iter()
        .any(|n| !n.windows && n.compute == Compute::Ec2);
    if windows_nodes(c).is_empty() || !has_linux {
        return result(
            id,
            Status::Pass,
            "Linux and Windows nodes do not both exist",
            vec![],
            "",
            DOCS_WINDOWS,
        );
    }
    let Some(roles) = &c.facts.aws_auth else {
        return skipped(
            id,
            "no aws-auth ConfigMap (the cluster may use access entries, which podnet does not read yet)",
        );
    };
    let node_roles: Vec<&_> = roles
        .iter()
        .filter(|r| r.groups.iter().any(|g| g == "system:nodes"))
        .collect();
    let shared: Vec<String> = if node_roles.len() == 1
        && node_roles[0]
            .groups
            .iter()
            .any(|g| g == "eks:kube-proxy-windows")
    {
        vec![format!("role {}", node_roles[0].rolearn)]
    } else {
        vec![]
    };
    verdict(id, shared, "Linux and Windows nodes have their own roles", "Linux and Windows nodes share one IAM role: removing Windows support breaks Linux nodes and vice versa".into(), "give Windows nodes their own IAM role and aws-auth entry", DOCS_WINDOWS)
}

fn hybrid_aws_node(c: &Ctx<'_>) -> CheckResult {
    let id = "hybrid-node-runs-aws-node";
    let hybrid = c.facts.nodes.iter().any(|n| n.compute == Compute::Hybrid);
    if !hybrid {
        return result(id, Status::Pass, "no hybrid nodes", vec![], "", DOCS_HYBRID);
    }
    let mut objects = c.tally.hybrid_aws_node.items.clone();
    if objects.is_empty()
        && let Some(cni) = &c.facts.cni
        && !cni.avoids_hybrid
    {
        objects.push("daemonset/kube-system/aws-node (no anti-affinity for eks.amazonaws.com/compute-type=hybrid)".into());
    }
    verdict(id, objects, "aws-node stays off hybrid nodes", "aws-node runs, or may run, on hybrid nodes, where the VPC CNI cannot work (use Cilium there)".into(), "keep the aws-node DaemonSet's node affinity `eks.amazonaws.com/compute-type NotIn [hybrid]` (EKS's default); never remove it", DOCS_HYBRID)
}

fn hybrid_pod_ips(c: &Ctx<'_>) -> CheckResult {
    let id = "hybrid-pod-ip-outside-remote-pod-networks";
    if !c.facts.nodes.iter().any(|n| n.compute == Compute::Hybrid) {
        return result(id, Status::Pass, "no hybrid nodes", vec![], "", DOCS_HYBRID);
    }
    if c.facts.remote_pod_networks.is_none() {
        return skipped(
            id,
            "the cluster's remote pod networks are unknown (pass --cluster or --remote-pod-network)",
        );
    }
    let ex = &c.tally.hybrid_outside;
    let mut r = verdict(
        id,
        ex.items.clone(),
        "every hybrid pod IP is inside the remote pod networks",
        format!(
            "{} pod(s) on hybrid nodes have IPs outside the cluster's remote pod networks: the control plane cannot reach them",
            ex.count
        ),
        "make Cilium's clusterPoolIPv4PodCIDRList match the remote pod networks (kubectl podnet cilium validate)",
        DOCS_HYBRID,
    );
    r.object_count = ex.count;
    r
}
