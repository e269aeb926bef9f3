//! Validation rules for Cilium values on EKS Hybrid Nodes. Pure: values + facts → findings.
//!
//! Each rule has a stable ID (see the README's table). Rules read the values the way the chart
//! does, including its defaults for keys a file leaves out: a file without a pod CIDR list gets
//! the chart's 10.0.0.0/8, and that is what is checked.

use serde_json::Value;

use super::facts::{NetworkFacts, Source, eks_default_service_candidates};
use super::versions::{CHART_DEFAULT_MASK, CHART_DEFAULT_POOL, Minor};
use crate::input::kind;
use crate::net::{self, AddressClass, Cidr, Ipv4Net, MAX_MASK};
use crate::report::{Finding, Subject};

pub const POOL_PATH: &str = "ipam.operator.clusterPoolIPv4PodCIDRList";
pub const MASK_PATH: &str = "ipam.operator.clusterPoolIPv4MaskSize";
pub const HYBRID_LABEL: &str = "eks.amazonaws.com/compute-type";
const DOCS_CILIUM: &str =
    "https://docs.aws.amazon.com/eks/latest/userguide/hybrid-nodes-cilium.html";
const DOCS_NETWORK: &str =
    "https://docs.aws.amazon.com/eks/latest/userguide/hybrid-nodes-networking.html";
const DOCS_POOL: &str = "https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/";

/// What to check against, besides the values themselves.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub minor: Minor,
    pub facts: &'a NetworkFacts,
    /// Expected number of hybrid nodes (`--nodes`).
    pub nodes: Option<u64>,
}

/// One pod CIDR entry as read from the values (or the chart default).
struct PoolEntry {
    path: String,
    cidr: Option<Cidr>,
}

pub fn validate(values: &Value, ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mode = get(values, "ipam.mode")
        .and_then(Value::as_str)
        .unwrap_or("cluster-pool");
    if mode != "cluster-pool" {
        out.push(
            Finding::error(
                "ipam-mode-not-cluster-pool",
                format!("IPAM mode is `{mode}`; hybrid nodes need Cilium's cluster-pool IPAM"),
            )
            .at("ipam.mode")
            .fix("set ipam.mode: cluster-pool")
            .docs(DOCS_CILIUM),
        );
    }
    ipv6_rules(values, ctx, &mut out);
    if mode == "cluster-pool" {
        let pool = read_pool(values, &mut out);
        let v4: Vec<(&PoolEntry, Ipv4Net)> = pool
            .iter()
            .filter_map(|e| e.cidr.and_then(|c| c.as_v4()).map(|n| (e, n)))
            .collect();
        pool_rules(&v4, ctx, &mut out);
        let mask = read_mask(values, &mut out);
        if let Some(mask) = mask {
            capacity_rules(&v4, mask, ctx, &mut out);
        }
    }
    affinity_rules(values, &mut out);
    kube_proxy_rules(values, &mut out);
    envoy_rule(values, ctx, &mut out);
    watcher_rule(values, &mut out);
    unknown_keys(values, &ctx.minor.key_tree(), "", &mut out);
    skipped(ctx, &mut out);
    out
}

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    crate::input::get(v, path).filter(|v| !v.is_null())
}

fn truthy(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "strict" | "yes" => Some(true),
            "false" | "disabled" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        _ => None,
    }
}

fn read_pool(values: &Value, out: &mut Vec<Finding>) -> Vec<PoolEntry> {
    let Some(list) = get(values, POOL_PATH) else {
        let cidr = CHART_DEFAULT_POOL.parse().ok();
        return vec![PoolEntry {
            path: format!("{POOL_PATH} (chart default {CHART_DEFAULT_POOL})"),
            cidr,
        }];
    };
    let Some(items) = list.as_array() else {
        out.push(
            Finding::error(
                "pod-cidr-invalid",
                format!("the pod CIDR list is {}, not a list", kind(list)),
            )
            .at(POOL_PATH)
            .fix("write it as a YAML list, e.g. [\"10.200.0.0/16\"]"),
        );
        return Vec::new();
    };
    if items.is_empty() {
        out.push(
            Finding::error(
                "pod-cidr-invalid",
                "the pod CIDR list is empty: the operator has no pod CIDRs to give hybrid nodes",
            )
            .at(POOL_PATH)
            .fix("list your remote pod networks, e.g. --pod-cidr 10.200.0.0/16")
            .docs(DOCS_CILIUM),
        );
    }
    let mut pool = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{POOL_PATH}[{i}]");
        let parsed = match item {
            Value::String(s) => s.parse::<Cidr>().map_err(|e| e.to_string()),
            other => Err(format!("{} is {}, not a CIDR string", other, kind(other))),
        };
        match parsed {
            Ok(Cidr::V6(_)) => {
                out.push(
                    Finding::error(
                        "ipv6-not-supported",
                        format!("{item} is an IPv6 range in the IPv4 pod CIDR list; hybrid nodes are IPv4 only"),
                    )
                    .at(&path)
                    .fix("use an IPv4 RFC 1918 range")
                    .docs(DOCS_NETWORK),
                );
            }
            Ok(c) => pool.push(PoolEntry {
                path,
                cidr: Some(c),
            }),
            Err(msg) => out.push(
                Finding::error("pod-cidr-invalid", msg)
                    .at(&path)
                    .fix("write an IPv4 CIDR with its network address, e.g. 10.200.0.0/16"),
            ),
        }
    }
    pool
}

fn pool_rules(v4: &[(&PoolEntry, Ipv4Net)], ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let facts = ctx.facts;
    for (e, n) in v4 {
        match net::classify(n) {
            AddressClass::Rfc1918 => {}
            AddressClass::Cgnat => out.push(
                Finding::warning(
                    "pod-cidr-not-private",
                    format!("{n} is CGNAT space (100.64.0.0/10), not RFC 1918; EKS requires RFC 1918 pod networks for hybrid nodes"),
                )
                .at(&e.path)
                .fix("prefer a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
                .docs(DOCS_NETWORK),
            ),
            AddressClass::Public => out.push(
                Finding::error(
                    "pod-cidr-not-private",
                    format!("{n} is not in RFC 1918 private space; EKS rejects public remote pod networks"),
                )
                .at(&e.path)
                .fix("use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
                .docs(DOCS_NETWORK),
            ),
        }
    }
    for i in 0..v4.len() {
        for j in i + 1..v4.len() {
            let (a, b) = (v4[i].1, v4[j].1);
            if Cidr::V4(a).overlaps(&Cidr::V4(b)) {
                out.push(
                    Finding::error(
                        "pod-cidrs-overlap",
                        format!(
                            "{b} overlaps {a} ({}): Cilium would hand out the same addresses twice",
                            v4[i].0.path
                        ),
                    )
                    .at(&v4[j].0.path)
                    .fix("remove one of them or make them disjoint"),
                );
            }
        }
    }
    let against =
        |list: &[Cidr], id: &'static str, what: &str, fix: &str, out: &mut Vec<Finding>| {
            for (e, n) in v4 {
                for c in list {
                    if c.overlaps(&Cidr::V4(*n)) {
                        out.push(
                            Finding::error(id, format!("{n} overlaps the {what} {c}"))
                                .at(&e.path)
                                .fix(fix)
                                .docs(DOCS_NETWORK),
                        );
                    }
                }
            }
        };
    against(
        &facts.vpc_cidrs,
        "pod-cidr-overlaps-vpc",
        "VPC CIDR",
        "pick a pod range outside every CIDR block of the cluster's VPC",
        out,
    );
    against(
        &facts.remote_node_networks,
        "pod-cidr-overlaps-remote-node-network",
        "remote node network",
        "pod and node networks must be disjoint: pick a pod range outside your on-premises node subnets",
        out,
    );
    match facts.effective_service_cidr() {
        Some((svc, source)) => {
            let what = match source {
                Source::EksDefault => "service CIDR (EKS's default for this VPC)",
                _ => "service CIDR",
            };
            against(
                &[svc],
                "pod-cidr-overlaps-service-cidr",
                what,
                "pick a pod range outside the Kubernetes service CIDR",
                out,
            );
        }
        None => {
            for (e, n) in v4 {
                for c in eks_default_service_candidates() {
                    if c.overlaps(&Cidr::V4(*n)) {
                        out.push(
                            Finding::warning(
                                "pod-cidr-overlaps-service-cidr",
                                format!("{n} overlaps {c}, a service CIDR EKS picks by default; the cluster's service CIDR is unknown"),
                            )
                            .at(&e.path)
                            .fix("pass --service-cidr (or --cluster) to check for certain, or pick a range outside 10.100.0.0/16 and 172.20.0.0/16")
                            .docs(DOCS_NETWORK),
                        );
                    }
                }
            }
        }
    }
    if !facts.remote_pod_networks.is_empty() {
        for (e, n) in v4 {
            let inside = facts
                .remote_pod_networks
                .iter()
                .any(|r| r.contains(&Cidr::V4(*n)));
            if !inside {
                out.push(
                    Finding::error(
                        "pod-cidr-not-in-remote-pod-networks",
                        format!(
                            "{n} is not inside the cluster's remote pod networks ({}); the control plane cannot reach pods there",
                            super::facts::join(&facts.remote_pod_networks)
                        ),
                    )
                    .at(&e.path)
                    .fix("use the remote pod networks configured on the EKS cluster, or add this range to them")
                    .docs(DOCS_CILIUM),
                );
            }
        }
        for r in &facts.remote_pod_networks {
            if !v4.iter().any(|(_, n)| r.overlaps(&Cidr::V4(*n))) {
                out.push(
                    Finding::warning(
                        "remote-pod-network-not-in-pool",
                        format!("remote pod network {r} is configured on the cluster but no pod CIDR in the values uses it"),
                    )
                    .at(POOL_PATH)
                    .fix(format!("add {r} to {POOL_PATH}, or remove it from the cluster's remote pod networks")),
                );
            }
        }
    }
}

fn read_mask(values: &Value, out: &mut Vec<Finding>) -> Option<u8> {
    let Some(v) = get(values, MASK_PATH) else {
        return Some(CHART_DEFAULT_MASK);
    };
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(f) if f.fract() == 0.0 && (1.0..=f64::from(MAX_MASK)).contains(&f) => Some(f as u8),
        Some(f) if f.fract() == 0.0 && f > f64::from(MAX_MASK) && f <= 32.0 => {
            out.push(
                Finding::error(
                    "mask-size-invalid",
                    format!("mask /{f} leaves {} addresses for pods per node; Cilium needs /{MAX_MASK} or shorter", net::pods_per_node(f as u8)),
                )
                .at(MASK_PATH)
                .fix("use a mask between /16 and /29; /25 gives 124 pods per node")
                .docs(DOCS_POOL),
            );
            None
        }
        _ => {
            out.push(
                Finding::error(
                    "mask-size-invalid",
                    format!("{v} is not a prefix length between 1 and {MAX_MASK}"),
                )
                .at(MASK_PATH)
                .fix("set a whole number such as 25 (124 pods per node) or 24 (252)")
                .docs(DOCS_POOL),
            );
            None
        }
    }
}

fn capacity_rules(
    v4: &[(&PoolEntry, Ipv4Net)],
    mask: u8,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    for (e, n) in v4 {
        if n.prefix_len() > mask {
            out.push(
                Finding::error(
                    "mask-size-smaller-than-pool",
                    format!("per-node mask /{mask} is larger than the pod CIDR {n} itself; it yields no node block"),
                )
                .at(&e.path)
                .fix(format!("use a mask of /{} or longer, or a larger pod CIDR", n.prefix_len()))
                .docs(DOCS_POOL),
            );
        }
    }
    let nets: Vec<Ipv4Net> = v4.iter().map(|(_, n)| *n).collect();
    if nets.is_empty() {
        return;
    }
    let cap = net::pool_capacity(&nets, mask);
    let Some(nodes) = ctx.nodes else { return };
    if cap.blocks < u128::from(nodes) {
        out.push(
            Finding::error(
                "pool-too-small",
                format!(
                    "the pool yields {} /{mask} blocks but {nodes} nodes need one each",
                    cap.blocks
                ),
            )
            .at(POOL_PATH)
            .fix("add a pod CIDR to the list (never change existing ones) or use a longer mask")
            .docs(DOCS_POOL),
        );
    } else if net::utilisation(nodes, cap.blocks) > 80.0 {
        out.push(
            Finding::warning(
                "pool-nearly-full",
                format!(
                    "{nodes} nodes use {:.0}% of the {} /{mask} blocks; growth will exhaust the pool",
                    net::utilisation(nodes, cap.blocks),
                    cap.blocks
                ),
            )
            .at(POOL_PATH)
            .fix("plan another pod CIDR before adding nodes")
            .docs(DOCS_POOL),
        );
    }
}

fn ipv6_rules(values: &Value, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if truthy(get(values, "ipv6.enabled")) == Some(true) {
        out.push(
            Finding::error(
                "ipv6-not-supported",
                "IPv6 is enabled; EKS Hybrid Nodes support IPv4 only",
            )
            .at("ipv6.enabled")
            .fix("set ipv6.enabled: false")
            .docs(DOCS_NETWORK),
        );
    }
    if ctx.facts.ip_family.as_deref() == Some("ipv6") {
        out.push(
            Finding::error(
                "ipv6-not-supported",
                "the EKS cluster uses the IPv6 family; hybrid nodes need an IPv4 cluster",
            )
            .on(Subject::Input("cluster ipFamily".into()))
            .docs(DOCS_NETWORK),
        );
    }
}

/// True when `affinity` / `nodeSelector` confine pods to hybrid nodes: every required node
/// selector term (terms are ORed) demands compute-type In [hybrid], or the nodeSelector does.
fn confined_to_hybrid(affinity: Option<&Value>, node_selector: Option<&Value>) -> bool {
    if node_selector
        .and_then(|s| s.get(HYBRID_LABEL))
        .and_then(Value::as_str)
        == Some("hybrid")
    {
        return true;
    }
    let terms = affinity
        .and_then(|a| {
            a.pointer(
                "/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
            )
        })
        .and_then(Value::as_array);
    let Some(terms) = terms.filter(|t| !t.is_empty()) else {
        return false;
    };
    terms.iter().all(|term| {
        term.get("matchExpressions")
            .and_then(Value::as_array)
            .is_some_and(|exprs| {
                exprs.iter().any(|e| {
                    let values = e.get("values").and_then(Value::as_array);
                    e.get("key").and_then(Value::as_str) == Some(HYBRID_LABEL)
                        && e.get("operator").and_then(Value::as_str) == Some("In")
                        && values.is_some_and(|v| {
                            !v.is_empty() && v.iter().all(|x| x.as_str() == Some("hybrid"))
                        })
                })
            })
    })
}

/// True when an `affinity` value keeps pods on hybrid nodes.
pub fn validate_affinity_value(affinity: &Value) -> bool {
    confined_to_hybrid(Some(affinity), None)
}

fn affinity_rules(values: &Value, out: &mut Vec<Finding>) {
    let agent_on = truthy(get(values, "agent")) != Some(false);
    if agent_on && !confined_to_hybrid(get(values, "affinity"), get(values, "nodeSelector")) {
        out.push(
            Finding::error(
                "agent-hybrid-affinity-missing",
                "the Cilium agent is not confined to hybrid nodes: it would also start on EC2 nodes, where the VPC CNI runs",
            )
            .at("affinity")
            .fix(format!("require {HYBRID_LABEL} In [hybrid] in every affinity.nodeAffinity nodeSelectorTerm"))
            .docs(DOCS_CILIUM),
        );
    }
    let operator_on = truthy(get(values, "operator.enabled")) != Some(false);
    if operator_on
        && !confined_to_hybrid(
            get(values, "operator.affinity"),
            get(values, "operator.nodeSelector"),
        )
    {
        out.push(
            Finding::error(
                "operator-hybrid-affinity-missing",
                "the Cilium operator is not confined to hybrid nodes",
            )
            .at("operator.affinity")
            .fix(format!("require {HYBRID_LABEL} In [hybrid] in every operator.affinity.nodeAffinity nodeSelectorTerm"))
            .docs(DOCS_CILIUM),
        );
    }
}

fn kube_proxy_rules(values: &Value, out: &mut Vec<Finding>) {
    if truthy(get(values, "kubeProxyReplacement")) != Some(true) {
        return;
    }
    let empty = |p: &str| match get(values, p) {
        None => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    let missing: Vec<&str> = ["k8sServiceHost", "k8sServicePort"]
        .into_iter()
        .filter(|p| empty(p))
        .collect();
    if !missing.is_empty() {
        out.push(
            Finding::error(
                "kube-proxy-replacement-needs-service-host",
                format!(
                    "kube-proxy replacement is on but {} {} not set: without kube-proxy the agent cannot reach the API server through its service IP",
                    missing.join(" and "),
                    if missing.len() == 1 { "is" } else { "are" }
                ),
            )
            .at(missing[0])
            .fix("set k8sServiceHost to the EKS API endpoint host and k8sServicePort to 443 (--k8s-service-host/--k8s-service-port)")
            .docs(DOCS_CILIUM),
        );
    }
}

fn envoy_rule(values: &Value, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let enabled = truthy(get(values, "envoy.enabled")).unwrap_or(ctx.minor.envoy_default_enabled());
    if enabled {
        out.push(
            Finding::info(
                "envoy-enabled",
                "the Envoy L7 proxy is enabled; AWS's default hybrid-node support covers Cilium without it",
            )
            .at("envoy.enabled")
            .fix("set envoy.enabled: false unless you need L7 policies or Cilium ingress")
            .docs(DOCS_CILIUM),
        );
    }
}

fn watcher_rule(values: &Value, out: &mut Vec<Finding>) {
    if truthy(get(values, "operator.unmanagedPodWatcher.restart")) != Some(false) {
        out.push(
            Finding::warning(
                "unmanaged-pod-watcher-restart",
                "the operator restarts pods it thinks Cilium does not manage; on mixed clusters that includes pods on EC2 nodes",
            )
            .at("operator.unmanagedPodWatcher.restart")
            .fix("set operator.unmanagedPodWatcher.restart: false")
            .docs(DOCS_CILIUM),
        );
    }
}

/// Keys in the values that the chart neither defaults nor reads, with a "did you mean".
fn unknown_keys(values: &Value, tree: &Value, prefix: &str, out: &mut Vec<Finding>) {
    let (Value::Object(map), Value::Object(known)) = (values, tree) else {
        return;
    };
    for (k, v) in map {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match known.get(k) {
            Some(sub @ Value::Object(_)) => unknown_keys(v, sub, &path, out),
            Some(_) => {}
            None => {
                let mut f = Finding::warning(
                    "values-unknown-key",
                    format!("`{k}` is not a value of the Cilium chart; Helm ignores it silently"),
                )
                .at(&path);
                if let Some(s) = suggest(k, known.keys()) {
                    f = f.fix(format!(
                        "did you mean `{}`?",
                        if prefix.is_empty() {
                            s
                        } else {
                            format!("{prefix}.{s}")
                        }
                    ));
                } else {
                    f = f.fix("remove it, or check the key against the chart's values for this Cilium version");
                }
                out.push(f);
            }
        }
    }
}

fn suggest<'a>(key: &str, known: impl Iterator<Item = &'a String>) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    let mut best: Option<(usize, &String)> = None;
    for k in known {
        let d = if k.to_ascii_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &k.to_ascii_lowercase())
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .map(|(_, k)| k.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn skipped(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let mut missing = Vec::new();
    if f.vpc_cidrs.is_empty() {
        missing.push("VPC CIDRs (--vpc-cidr)");
    }
    if f.remote_node_networks.is_empty() {
        missing.push("remote node networks (--remote-node-network)");
    }
    if f.remote_pod_networks.is_empty() {
        missing.push("remote pod networks (--remote-pod-network)");
    }
    if !missing.is_empty() {
        out.push(
            Finding::info(
                "check-skipped",
                format!("not checked, facts unknown: {}", missing.join(", ")),
            )
            .on(Subject::Input("network facts".into()))
            .fix("pass the flags, or --cluster NAME to read them from EKS"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["kubeProxyReplacement".to_string(), "ipam".to_string()];
        assert_eq!(
            suggest("kubeProxyReplacment", keys.iter()).as_deref(),
            Some("kubeProxyReplacement")
        );
        assert_eq!(suggest("IPAM", keys.iter()).as_deref(), Some("ipam"));
        assert_eq!(suggest("zzzzzz", keys.iter()), None);
    }

    #[test]
    fn affinity_terms_are_ored() {
        let good = serde_json::json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": HYBRID_LABEL, "operator": "In", "values": ["hybrid"]}]}]}}});
        assert!(confined_to_hybrid(Some(&good), None));
        let leaky = serde_json::json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": HYBRID_LABEL, "operator": "In", "values": ["hybrid"]}]},
            {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}});
        assert!(!confined_to_hybrid(Some(&leaky), None));
        let notin = serde_json::json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": HYBRID_LABEL, "operator": "NotIn", "values": ["hybrid"]}]}]}}});
        assert!(!confined_to_hybrid(Some(&notin), None));
        assert!(confined_to_hybrid(
            None,
            Some(&serde_json::json!({HYBRID_LABEL: "hybrid"}))
        ));
        assert!(!confined_to_hybrid(None, None));
    }
}
