//! `cilium values`: builds hybrid-node values from the embedded base, the network plan and the
//! user's own values file, refusing contradictions instead of silently picking a side.

use serde_json::{Value, json};

use super::facts::{NetworkFacts, join};
use super::validate::{HYBRID_LABEL, MASK_PATH, POOL_PATH};
use super::versions::Minor;
use crate::error::{Error, Result};
use crate::input::{self, ValuesDoc};
use crate::net::{self, Cidr, Ipv4Net};

/// Everything `cilium values` needs, already parsed from flags and facts.
#[derive(Debug, Clone)]
pub struct Plan {
    pub minor: Minor,
    /// `--pod-cidr`; empty means "use the remote pod networks" (what AWS's guide prescribes).
    pub pod_cidrs: Vec<Cidr>,
    pub mask_size: Option<u8>,
    pub pods_per_node: Option<u64>,
    pub nodes: Option<u64>,
    pub kube_proxy_replacement: bool,
    pub k8s_service_host: Option<String>,
    pub k8s_service_port: Option<u16>,
    pub bgp: bool,
    pub facts: NetworkFacts,
    pub user: Option<ValuesDoc>,
}

/// The generated document and the text to print.
#[derive(Debug, Clone)]
pub struct Generated {
    pub values: Value,
    pub pool: Vec<Ipv4Net>,
    pub mask: u8,
}

/// Network and affinity keys podnet owns: a user file may repeat them but not contradict them.
const OWNED: &[&str] = &[
    "ipam.mode",
    POOL_PATH,
    MASK_PATH,
    "kubeProxyReplacement",
    "k8sServiceHost",
    "k8sServicePort",
    "bgpControlPlane.enabled",
];

pub fn generate(plan: &Plan) -> Result<Generated> {
    let user = plan.user.as_ref().map(|d| &d.value);
    let pool = pick_pool(plan, user)?;
    let mask = pick_mask(plan, user)?;

    let mut values = plan.minor.base_values();
    let mut ours = json!({
        "ipam": {"operator": {
            "clusterPoolIPv4PodCIDRList": pool.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "clusterPoolIPv4MaskSize": mask,
        }},
        "kubeProxyReplacement": if plan.kube_proxy_replacement { "true" } else { "false" },
    });
    if plan.kube_proxy_replacement {
        let host = plan.k8s_service_host.clone().ok_or_else(|| {
            Error::flag_help(
                "--kube-proxy-replacement",
                "needs --k8s-service-host and --k8s-service-port",
                "without kube-proxy, Cilium must reach the API server directly: pass the EKS API endpoint host (without https://) and port 443",
            )
        })?;
        let port = plan.k8s_service_port.ok_or_else(|| {
            Error::flag_help(
                "--kube-proxy-replacement",
                "needs --k8s-service-port",
                "the EKS API endpoint listens on 443",
            )
        })?;
        ours["k8sServiceHost"] = json!(host);
        ours["k8sServicePort"] = json!(port);
    } else if plan.k8s_service_host.is_some() || plan.k8s_service_port.is_some() {
        if let Some(h) = &plan.k8s_service_host {
            ours["k8sServiceHost"] = json!(h);
        }
        if let Some(p) = plan.k8s_service_port {
            ours["k8sServicePort"] = json!(p);
        }
    }
    if plan.bgp {
        ours["bgpControlPlane"] = json!({"enabled": true});
    }
    input::merge(&mut values, &ours);

    if let Some(doc) = &plan.user {
        check_contradictions(doc, &values)?;
        input::merge(&mut values, &doc.value);
    }
    Ok(Generated { values, pool, mask })
}

fn pick_pool(plan: &Plan, user: Option<&Value>) -> Result<Vec<Ipv4Net>> {
    let from_flags: Vec<Cidr> = if plan.pod_cidrs.is_empty() {
        plan.facts.remote_pod_networks.clone()
    } else {
        plan.pod_cidrs.clone()
    };
    let chosen = if from_flags.is_empty() {
        // Fall back to the user's file.
        let list = user
            .and_then(|u| input::get(u, POOL_PATH))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let c = v
                .as_str()
                .ok_or(())
                .and_then(|s| s.parse::<Cidr>().map_err(|_| ()))
                .map_err(|_| {
                    Error::input(
                        plan.user
                            .as_ref()
                            .map(|d| d.source.clone())
                            .unwrap_or_default(),
                        format!("{POOL_PATH}[{i}] = {v} is not an IPv4 CIDR"),
                    )
                })?;
            out.push(c);
        }
        out
    } else {
        from_flags
    };
    if chosen.is_empty() {
        return Err(Error::flag_help(
            "--pod-cidr",
            "no pod CIDR given",
            "pass --pod-cidr (the remote pod network of your cluster, e.g. 10.200.0.0/16), --remote-pod-network, or --cluster NAME to read it from EKS",
        ));
    }
    chosen
        .into_iter()
        .map(|c| {
            c.as_v4().ok_or_else(|| {
                Error::flag_help(
                    "--pod-cidr",
                    format!("{c} is IPv6; EKS Hybrid Nodes support IPv4 only"),
                    "use an IPv4 RFC 1918 range",
                )
            })
        })
        .collect()
}

fn pick_mask(plan: &Plan, user: Option<&Value>) -> Result<u8> {
    let mask = match (plan.mask_size, plan.pods_per_node) {
        (Some(_), Some(_)) => {
            return Err(Error::Conflict {
                message: "--mask-size and --pods-per-node both set the per-node block".into(),
                help: Some("pass only one of them".into()),
            });
        }
        (Some(m), None) => m,
        (None, Some(p)) => net::mask_for_pods(p).ok_or_else(|| {
            Error::flag_help(
                "--pods-per-node",
                format!("{p} pods do not fit one node block"),
                format!(
                    "the largest block a node can get holds {} pods",
                    net::pods_per_node(1)
                ),
            )
        })?,
        (None, None) => user
            .and_then(|u| input::get(u, MASK_PATH))
            .and_then(Value::as_u64)
            .and_then(|m| u8::try_from(m).ok())
            .unwrap_or(25),
    };
    if !(1..=net::MAX_MASK).contains(&mask) {
        return Err(Error::flag_help(
            "--mask-size",
            format!("/{mask} is out of range"),
            format!(
                "use 1 to {}; /25 gives {} pods per node",
                net::MAX_MASK,
                net::pods_per_node(25)
            ),
        ));
    }
    Ok(mask)
}

/// A user key that podnet also sets must agree with podnet's value.
fn check_contradictions(doc: &ValuesDoc, ours: &Value) -> Result<()> {
    for path in OWNED {
        if let (Some(theirs), Some(mine)) = (input::get(&doc.value, path), input::get(ours, path))
            && !theirs.is_null()
            && !same(theirs, mine)
        {
            {
                return Err(Error::Conflict {
                    message: format!(
                        "{} sets {path} = {theirs}, but the network flags give {path} = {mine}",
                        doc.source
                    ),
                    help: Some(format!(
                        "remove {path} from {} or change the flag so both agree",
                        doc.source
                    )),
                });
            }
        }
    }
    for path in ["affinity", "operator.affinity"] {
        if let Some(theirs) = input::get(&doc.value, path).filter(|v| !v.is_null()) {
            let fine = super::validate::validate_affinity_value(theirs);
            if !fine {
                return Err(Error::Conflict {
                    message: format!(
                        "{} sets {path}, which does not keep pods on hybrid nodes; podnet's {path} requires {HYBRID_LABEL} In [hybrid]",
                        doc.source
                    ),
                    help: Some(format!(
                        "remove {path} from {} or add the {HYBRID_LABEL} In [hybrid] expression to every nodeSelectorTerm",
                        doc.source
                    )),
                });
            }
        }
    }
    Ok(())
}

/// Equality as Helm would render it: `25` and `"25"`, `true` and `"true"` are the same setting.
fn same(a: &Value, b: &Value) -> bool {
    let norm = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    a == b || norm(a) == norm(b)
}

/// The leading comment: inputs and computed capacity, so a reviewer sees the plan at a glance.
pub fn header(plan: &Plan, g: &Generated) -> String {
    let f = &plan.facts;
    let cap = net::pool_capacity(&g.pool, g.mask);
    let mut h = String::new();
    h.push_str(&format!(
        "# Cilium {} values for Amazon EKS Hybrid Nodes, generated by kubectl-podnet {}.\n",
        plan.minor.name(),
        env!("CARGO_PKG_VERSION")
    ));
    if let Some(c) = &f.cluster {
        h.push_str(&format!("# Cluster: {c}\n"));
    }
    let pods = g
        .pool
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    h.push_str(&format!("# Pod CIDRs: {pods}\n"));
    h.push_str(&format!(
        "# Remote pod networks: {}\n",
        join(&f.remote_pod_networks)
    ));
    h.push_str(&format!(
        "# Remote node networks: {}\n",
        join(&f.remote_node_networks)
    ));
    h.push_str(&format!("# VPC CIDRs: {}\n", join(&f.vpc_cidrs)));
    match f.effective_service_cidr() {
        Some((c, super::facts::Source::EksDefault)) => {
            h.push_str(&format!("# Service CIDR: {c} (EKS default for this VPC)\n"))
        }
        Some((c, _)) => h.push_str(&format!("# Service CIDR: {c}\n")),
        None => h.push_str("# Service CIDR: unknown\n"),
    }
    h.push_str(&format!(
        "# Capacity: /{} per node = {} pods per node (2^(32-{}) - 4: network, broadcast, router, health); {} node blocks",
        g.mask, cap.pods_per_node, g.mask, cap.blocks
    ));
    if let Some(n) = plan.nodes {
        h.push_str(&format!(
            " for {n} nodes ({:.0}% used)",
            net::utilisation(n, cap.blocks)
        ));
    }
    h.push('\n');
    h
}

/// A copy with every map's keys in sorted order, whatever map type serde_json was built with.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// YAML text of the values; keys sorted, so output is byte-stable across runs.
pub fn to_yaml(values: &Value) -> Result<String> {
    serde_saphyr::to_string(&sorted(values)).map_err(|e| Error::Conflict {
        message: format!("cannot write values as YAML: {e}"),
        help: None,
    })
}
