//! Plain facts the audit reasons about, and the per-node resolution the VPC CNI itself performs
//! (which ENIConfig a node uses, which subnet its own address sits in). No I/O here.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use crate::net::{Cidr, Ipv4Net};

/// The label that overrides every other ENIConfig selection.
pub const EXTERNAL_ENICONFIG_LABEL: &str = "vpc.amazonaws.com/externalEniConfig";
/// The VPC CNI's default for both ENI_CONFIG_ANNOTATION_DEF and ENI_CONFIG_LABEL_DEF.
pub const DEFAULT_ENICONFIG_KEY: &str = "k8s.amazonaws.com/eniConfig";
pub const COMPUTE_TYPE_LABEL: &str = "eks.amazonaws.com/compute-type";

/// The `aws-node` DaemonSet: image tag and the env vars that steer custom networking.
#[derive(Debug, Clone, Default)]
pub struct CniFacts {
    pub image: String,
    /// Image tag, e.g. `v1.19.2-eksbuild.1`.
    pub version: Option<String>,
    pub env: BTreeMap<String, String>,
    /// The DaemonSet keeps aws-node off hybrid nodes (affinity NotIn hybrid).
    pub avoids_hybrid: bool,
}

impl CniFacts {
    pub fn enabled(&self, name: &str) -> bool {
        self.env
            .get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    pub fn custom_networking(&self) -> bool {
        self.enabled("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG")
    }

    pub fn annotation_key(&self) -> &str {
        self.env
            .get("ENI_CONFIG_ANNOTATION_DEF")
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_ENICONFIG_KEY)
    }

    pub fn label_key(&self) -> &str {
        self.env
            .get("ENI_CONFIG_LABEL_DEF")
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_ENICONFIG_KEY)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EniConfig {
    pub name: String,
    pub subnet: Option<String>,
    pub security_groups: Vec<String>,
}

/// One EC2 subnet as DescribeSubnets reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub cidr: Ipv4Net,
    pub az: String,
    pub vpc_id: String,
    pub available: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compute {
    Ec2,
    Hybrid,
    Fargate,
}

#[derive(Debug, Clone)]
pub struct NodeFacts {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub zone: Option<String>,
    pub instance_type: Option<String>,
    pub windows: bool,
    pub compute: Compute,
    pub internal_ip: Option<Ipv4Addr>,
    pub capacity_pods: Option<u64>,
}

/// One `mapRoles` entry of the aws-auth ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    pub rolearn: String,
    pub groups: Vec<String>,
}

/// Everything read before pods are streamed.
#[derive(Debug, Clone, Default)]
pub struct ClusterFacts {
    /// `None` when the aws-node DaemonSet does not exist.
    pub cni: Option<CniFacts>,
    /// Data of the `amazon-vpc-cni` ConfigMap, `None` when absent.
    pub vpc_cni_config: Option<BTreeMap<String, String>>,
    /// aws-auth `mapRoles`, `None` when the ConfigMap is absent (access entries only).
    pub aws_auth: Option<Vec<RoleMapping>>,
    /// `None` when the ENIConfig CRD is not installed.
    pub eniconfigs: Option<Vec<EniConfig>>,
    pub nodes: Vec<NodeFacts>,
    /// Subnets by ID; `None` when no AWS facts (no --cluster and no --subnets).
    pub subnets: Option<HashMap<String, Subnet>>,
    /// The cluster's VPC (from EKS, or inferred from the nodes' subnets).
    pub vpc_id: Option<String>,
    pub remote_pod_networks: Option<Vec<Cidr>>,
}

/// How a node's ENIConfig was chosen, in the VPC CNI's order of precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    ExternalLabel,
    Annotation(String),
    Label(String),
    DefaultFallback,
}

/// Per-node facts derived once, used while pods stream by.
#[derive(Debug, Clone)]
pub struct NodeView {
    /// ENIConfig name the CNI would use, and how it got there (custom networking only).
    pub eniconfig: Option<(String, Selection)>,
    /// That ENIConfig's subnet, when both exist and AWS facts are known.
    pub pod_subnet: Option<Subnet>,
    /// The subnet holding the node's own InternalIP.
    pub primary_subnet: Option<Subnet>,
}

impl ClusterFacts {
    pub fn eniconfig(&self, name: &str) -> Option<&EniConfig> {
        self.eniconfigs.as_ref()?.iter().find(|e| e.name == name)
    }

    /// The ENIConfig name a node resolves to, following the VPC CNI: external label >
    /// annotation (ENI_CONFIG_ANNOTATION_DEF) > label (ENI_CONFIG_LABEL_DEF) > `default`.
    pub fn select_eniconfig(&self, node: &NodeFacts) -> Option<(String, Selection)> {
        let cni = self.cni.as_ref()?;
        if let Some(v) = node.labels.get(EXTERNAL_ENICONFIG_LABEL) {
            return Some((v.clone(), Selection::ExternalLabel));
        }
        let ann = cni.annotation_key();
        if let Some(v) = node.annotations.get(ann) {
            return Some((v.clone(), Selection::Annotation(ann.to_string())));
        }
        let lab = cni.label_key();
        if let Some(v) = node.labels.get(lab) {
            return Some((v.clone(), Selection::Label(lab.to_string())));
        }
        Some(("default".to_string(), Selection::DefaultFallback))
    }

    pub fn subnet_holding(&self, ip: Ipv4Addr) -> Option<&Subnet> {
        self.subnets
            .as_ref()?
            .values()
            .find(|s| s.cidr.contains(&ip))
    }

    pub fn view(&self, node: &NodeFacts) -> NodeView {
        let custom = self.cni.as_ref().is_some_and(CniFacts::custom_networking);
        let eniconfig = if custom {
            self.select_eniconfig(node)
        } else {
            None
        };
        let pod_subnet = eniconfig
            .as_ref()
            .and_then(|(n, _)| self.eniconfig(n))
            .and_then(|e| e.subnet.as_ref())
            .and_then(|id| self.subnets.as_ref()?.get(id).cloned());
        let primary_subnet = node
            .internal_ip
            .and_then(|ip| self.subnet_holding(ip).cloned());
        NodeView {
            eniconfig,
            pod_subnet,
            primary_subnet,
        }
    }

    /// Nodes whose pods the VPC CNI networks: EC2 Linux nodes.
    pub fn vpc_cni_nodes(&self) -> impl Iterator<Item = &NodeFacts> {
        self.nodes
            .iter()
            .filter(|n| n.compute == Compute::Ec2 && !n.windows)
    }
}

/// Parses the image tag's version: `…/amazon-k8s-cni:v1.19.2-eksbuild.1` → `v1.19.2-eksbuild.1`.
pub fn image_tag(image: &str) -> Option<String> {
    let last = image.rsplit('/').next()?;
    let tag = last.split_once(':')?.1;
    let tag = tag.split('@').next().unwrap_or(tag);
    (!tag.is_empty()).then(|| tag.to_string())
}

/// `(major, minor, patch, eksbuild)` of a VPC CNI tag, for ordering against 1.6.3-eksbuild.2.
pub fn cni_version_key(tag: &str) -> Option<(u64, u64, u64, u64)> {
    let t = tag.trim().trim_start_matches('v');
    let (core, rest) = t.split_once('-').unwrap_or((t, ""));
    let mut p = core.split('.').map(|x| x.parse::<u64>().ok());
    let (a, b, c) = (p.next()??, p.next()??, p.next().flatten().unwrap_or(0));
    let build = rest
        .strip_prefix("eksbuild.")
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    Some((a, b, c, build))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_versions() {
        assert_eq!(
            image_tag(
                "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1"
            )
            .as_deref(),
            Some("v1.19.2-eksbuild.1")
        );
        assert_eq!(image_tag("localhost:5000/cni"), None);
        assert!(cni_version_key("v1.6.3-eksbuild.1") < cni_version_key("v1.6.3-eksbuild.2"));
        assert!(cni_version_key("v1.6.3-eksbuild.2") < cni_version_key("v1.7.0"));
        assert!(cni_version_key("v1.10.0") > cni_version_key("v1.6.3-eksbuild.2"));
    }
}
