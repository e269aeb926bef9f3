//! Reads the audit's facts: Kubernetes objects through kube-rs (paged), EC2 subnets through the
//! SDK or an offline `describe-subnets` JSON file. Pods are folded into a tally page by page.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::path::Path;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use super::checks::{PodFacts, PodTally};
use super::facts::{
    COMPUTE_TYPE_LABEL, ClusterFacts, CniFacts, Compute, EniConfig, NodeFacts, RoleMapping, Subnet,
    image_tag,
};
use crate::error::{Error, Result};
use crate::kube::{get_opt, list_pages, with_retries};

const NS: &str = "kube-system";

pub async fn cni(client: &Client) -> Result<Option<CniFacts>> {
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), NS);
    let Some(ds) = get_opt(&api, "aws-node", "get daemonset kube-system/aws-node").await? else {
        return Ok(None);
    };
    let spec = ds.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    let container = spec.and_then(|s| {
        s.containers
            .iter()
            .find(|c| c.name == "aws-node")
            .or_else(|| s.containers.first())
    });
    let image = container.and_then(|c| c.image.clone()).unwrap_or_default();
    let env = container
        .and_then(|c| c.env.as_ref())
        .map(|env| {
            env.iter()
                .filter_map(|e| Some((e.name.clone(), e.value.clone()?)))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    let avoids_hybrid = spec
        .and_then(|s| serde_json::to_value(s.affinity.as_ref()?).ok())
        .and_then(|a| {
            a.pointer(
                "/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
            )
            .and_then(|t| t.as_array())
            .cloned()
        })
        .is_some_and(|terms| {
            !terms.is_empty()
                && terms.iter().all(|t| {
                    t["matchExpressions"].as_array().is_some_and(|ex| {
                        ex.iter().any(|e| {
                            e["key"] == COMPUTE_TYPE_LABEL
                                && e["operator"] == "NotIn"
                                && e["values"]
                                    .as_array()
                                    .is_some_and(|v| v.iter().any(|x| x == "hybrid"))
                        })
                    })
                })
        });
    Ok(Some(CniFacts {
        version: image_tag(&image),
        image,
        env,
        avoids_hybrid,
    }))
}

pub async fn config_map(client: &Client, name: &str) -> Result<Option<BTreeMap<String, String>>> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    Ok(
        get_opt(&api, name, &format!("get configmap kube-system/{name}"))
            .await?
            .map(|cm| cm.data.unwrap_or_default()),
    )
}

/// aws-auth `mapRoles`: a YAML list inside a ConfigMap value.
pub fn parse_map_roles(text: &str) -> Result<Vec<RoleMapping>> {
    let v: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| Error::Input {
        location: "configmap/kube-system/aws-auth data.mapRoles".into(),
        message: format!("not valid YAML: {}", e.without_snippet()),
        help: Some(
            "fix the aws-auth ConfigMap (kubectl edit configmap aws-auth -n kube-system)".into(),
        ),
    })?;
    Ok(v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|r| RoleMapping {
                    rolearn: r["rolearn"].as_str().unwrap_or("").to_string(),
                    groups: r["groups"]
                        .as_array()
                        .map(|g| {
                            g.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default())
}

pub async fn eniconfigs(client: &Client) -> Result<Option<Vec<EniConfig>>> {
    let gvk = GroupVersionKind::gvk("crd.k8s.amazonaws.com", "v1alpha1", "ENIConfig");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "eniconfigs");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let mut out = Vec::new();
    let params = ListParams::default();
    let listed = with_retries("list eniconfigs.crd.k8s.amazonaws.com", || {
        api.list(&params)
    })
    .await;
    let list = match listed {
        Ok(l) => l,
        Err(Error::Kube { message, .. }) if message.contains(" 404 ") => return Ok(None),
        Err(e) => return Err(e),
    };
    for o in list.items {
        let spec = o.data.get("spec").cloned().unwrap_or_default();
        out.push(EniConfig {
            name: o.metadata.name.unwrap_or_default(),
            subnet: spec["subnet"].as_str().map(str::to_string),
            security_groups: spec["securityGroups"]
                .as_array()
                .map(|g| {
                    g.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Some(out))
}

fn node_facts(n: Node, ann_keys: &[&str]) -> NodeFacts {
    let labels: BTreeMap<String, String> = n.metadata.labels.unwrap_or_default();
    let annotations: BTreeMap<String, String> = n
        .metadata
        .annotations
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| ann_keys.contains(&k.as_str()))
        .collect();
    let status = n.status.unwrap_or_default();
    let internal_ip = status
        .addresses
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.type_ == "InternalIP")
        .and_then(|a| a.address.parse::<Ipv4Addr>().ok());
    let capacity_pods = status
        .capacity
        .and_then(|c| c.get("pods").and_then(|q| q.0.parse::<u64>().ok()));
    let compute = match labels.get(COMPUTE_TYPE_LABEL).map(String::as_str) {
        Some("hybrid") => Compute::Hybrid,
        Some("fargate") => Compute::Fargate,
        _ => Compute::Ec2,
    };
    let windows = labels
        .get("kubernetes.io/os")
        .is_some_and(|o| o == "windows");
    NodeFacts {
        name: n.metadata.name.unwrap_or_default(),
        zone: labels
            .get("topology.kubernetes.io/zone")
            .or_else(|| labels.get("failure-domain.beta.kubernetes.io/zone"))
            .cloned(),
        instance_type: labels
            .get("node.kubernetes.io/instance-type")
            .or_else(|| labels.get("beta.kubernetes.io/instance-type"))
            .cloned(),
        labels,
        annotations,
        windows,
        compute,
        internal_ip,
        capacity_pods,
    }
}

pub async fn nodes(client: &Client, cni: Option<&CniFacts>) -> Result<Vec<NodeFacts>> {
    let api: Api<Node> = Api::all(client.clone());
    let ann = cni
        .map(|c| c.annotation_key().to_string())
        .unwrap_or_else(|| super::facts::DEFAULT_ENICONFIG_KEY.into());
    let keys = [ann.as_str()];
    let mut out = Vec::new();
    list_pages(&api, ListParams::default(), "list nodes", |page| {
        out.extend(page.into_iter().map(|n| node_facts(n, &keys)));
    })
    .await?;
    Ok(out)
}

fn pod_facts(p: &Pod) -> PodFacts {
    let spec = p.spec.as_ref();
    let status = p.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref());
    let finished = matches!(phase, Some("Succeeded") | Some("Failed"));
    PodFacts {
        namespace: p.metadata.namespace.clone().unwrap_or_default(),
        name: p.metadata.name.clone().unwrap_or_default(),
        node: spec.and_then(|s| s.node_name.clone()),
        ip: if finished {
            None
        } else {
            status
                .and_then(|s| s.pod_ip.as_deref())
                .and_then(|ip| ip.parse().ok())
        },
        host_network: spec.and_then(|s| s.host_network).unwrap_or(false),
        aws_node: p
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("k8s-app"))
            .is_some_and(|v| v == "aws-node"),
    }
}

/// Streams pods (all namespaces, or one) into the tally, page by page; `progress` sees counts.
pub async fn pods(
    client: &Client,
    namespace: Option<&str>,
    tally: &mut PodTally,
    mut progress: impl FnMut(usize),
) -> Result<usize> {
    let api: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let mut seen = 0;
    list_pages(&api, ListParams::default(), "list pods", |page| {
        for p in &page {
            tally.add(&pod_facts(p));
        }
        seen += page.len();
        progress(seen);
    })
    .await
}

/// Subnets from `aws ec2 describe-subnets` JSON (`{"Subnets": [...]}` or a bare list).
pub fn subnets_from_file(path: &Path) -> Result<HashMap<String, Subnet>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Input {
        location: format!("{}:{}:{}", path.display(), e.line(), e.column()),
        message: format!("not valid JSON: {e}"),
        help: Some("pass the output of `aws ec2 describe-subnets --output json`".into()),
    })?;
    let list = v
        .get("Subnets")
        .unwrap_or(&v)
        .as_array()
        .ok_or_else(|| Error::Input {
            location: path.display().to_string(),
            message: "expected {\"Subnets\": [...]} as `aws ec2 describe-subnets` prints it".into(),
            help: None,
        })?;
    let mut out = HashMap::new();
    for (i, s) in list.iter().enumerate() {
        let field = |k: &str| s.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let bad = |what: &str| Error::Input {
            location: format!("{} Subnets[{i}]", path.display()),
            message: format!("{what} is missing or invalid"),
            help: Some("each subnet needs SubnetId, CidrBlock, AvailabilityZone, VpcId".into()),
        };
        let id = field("SubnetId").ok_or_else(|| bad("SubnetId"))?;
        let cidr = field("CidrBlock")
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad("CidrBlock"))?;
        out.insert(
            id.clone(),
            Subnet {
                id,
                cidr,
                az: field("AvailabilityZone").ok_or_else(|| bad("AvailabilityZone"))?,
                vpc_id: field("VpcId").ok_or_else(|| bad("VpcId"))?,
                available: s
                    .get("AvailableIpAddressCount")
                    .and_then(|x| x.as_u64())
                    .unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// The VPC most nodes' own subnets belong to, when EKS did not say.
pub fn infer_vpc(facts: &ClusterFacts) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for n in &facts.nodes {
        if let Some(s) = n.internal_ip.and_then(|ip| facts.subnet_holding(ip)) {
            *counts.entry(s.vpc_id.clone()).or_default() += 1;
        }
    }
    counts.into_iter().max_by_key(|(_, c)| *c).map(|(v, _)| v)
}
