//! EKS and EC2 facts for planning: DescribeCluster for remote networks, service CIDR and IP
//! family, DescribeVpcs for every associated VPC CIDR. Credentials come from aws-config's
//! standard chain; `AWS_ENDPOINT_URL` redirects every call (moto in tests).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ec2::types::VpcCidrBlockStateCode;
use aws_sdk_eks::error::DisplayErrorContext;

use crate::cilium::facts::{NetworkFacts, Source};
use crate::error::{Error, Result};
use crate::net::Cidr;

/// Which cluster to read, and how to reach AWS.
#[derive(Debug, Clone)]
pub struct ClusterRef {
    pub name: String,
    pub region: Option<String>,
    pub profile: Option<String>,
}

async fn config(target: &ClusterRef) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Throttling and transient faults are retried with exponential backoff and jitter.
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(r) = &target.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    loader.load().await
}

fn endpoint(service: &str, region: &str) -> String {
    std::env::var(format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase()))
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| format!("https://{service}.{region}.amazonaws.com"))
}

/// Turns an SDK error into one that names the call, the endpoint and what to do.
fn explain(call: &str, target: &ClusterRef, region: &str, service: &str, raw: String) -> Error {
    let ep = endpoint(service, region);
    let lower = raw.to_ascii_lowercase();
    let (message, help) = if lower.contains("resourcenotfound") {
        (
            format!("EKS cluster `{}` not found in region {region}", target.name),
            "check the name and --region (aws eks list-clusters lists the clusters)".to_string(),
        )
    } else if lower.contains("no credentials")
        || lower.contains("credentials provider")
        || lower.contains("credentialsnotloaded")
    {
        (
            format!("{call}: no AWS credentials found"),
            "configure credentials (aws configure, AWS_PROFILE / --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)".to_string(),
        )
    } else if lower.contains("throttl") || lower.contains("rate exceeded") {
        (
            format!("{call} at {ep}: still throttled after 5 attempts"),
            "wait a minute and retry, or raise the account's API rate limits".to_string(),
        )
    } else if lower.contains("dispatch failure")
        || lower.contains("connect")
        || lower.contains("timeout")
        || lower.contains("timed out")
    {
        (
            format!("{call}: cannot reach {ep}"),
            "check network access to AWS (proxy, VPN) or AWS_ENDPOINT_URL".to_string(),
        )
    } else if lower.contains("accessdenied") || lower.contains("unauthorized") {
        (
            format!("{call} at {ep}: access denied"),
            format!("the identity needs permission for {call}"),
        )
    } else {
        (
            format!("{call} at {ep} failed"),
            "retry with -v for details".to_string(),
        )
    };
    tracing::debug!(call, endpoint = %ep, error = %raw, "AWS call failed");
    Error::Aws {
        message: format!("{message}: {}", first_line(&raw)),
        help: Some(help),
    }
}

/// The readable part of an SDK error chain, without the Debug dump the SDK appends.
fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or(s);
    const DUMPS: [&str; 5] = [
        " (DispatchFailure(",
        " (ServiceError(",
        " (TimeoutError(",
        " (ResponseError(",
        " (ConstructionFailure(",
    ];
    let cut = DUMPS
        .iter()
        .filter_map(|d| line.find(d))
        .min()
        .unwrap_or(line.len());
    &line[..cut]
}

fn parse_all(what: &str, list: &[String]) -> Result<Vec<Cidr>> {
    list.iter()
        .map(|s| {
            s.parse::<Cidr>().map_err(|e| Error::Aws {
                message: format!("EKS reported a {what} podnet cannot parse: {e}"),
                help: None,
            })
        })
        .collect()
}

/// Reads the network facts of a hybrid-nodes cluster. Errors if the cluster has no remote
/// networks (not a hybrid cluster) or uses IPv6.
/// The cluster's VPC. EKS always reports it; when an endpoint does not, the cluster's subnets
/// name it (one DescribeSubnets call).
async fn cluster_vpc(
    ec2: &aws_sdk_ec2::Client,
    cluster: &aws_sdk_eks::types::Cluster,
    target: &ClusterRef,
    region: &str,
) -> Result<Option<String>> {
    let config = cluster.resources_vpc_config();
    if let Some(v) = config.and_then(|v| v.vpc_id()) {
        return Ok(Some(v.to_string()));
    }
    let subnets = config.map(|v| v.subnet_ids().to_vec()).unwrap_or_default();
    if subnets.is_empty() {
        return Ok(None);
    }
    tracing::info!(?subnets, "DescribeSubnets (to find the cluster VPC)");
    let out = ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .map_err(|e| {
            explain(
                "ec2:DescribeSubnets",
                target,
                region,
                "ec2",
                DisplayErrorContext(&e).to_string(),
            )
        })?;
    Ok(out
        .subnets()
        .iter()
        .find_map(|s| s.vpc_id())
        .map(str::to_string))
}

/// AWS configuration loaded once (profile, credentials, default region) for many clusters: a
/// fleet run shares its credential cache and only changes the region per cluster.
#[derive(Debug, Clone)]
pub struct Session {
    conf: aws_config::SdkConfig,
}

impl Session {
    pub async fn load(region: Option<String>, profile: Option<String>) -> Session {
        let conf = config(&ClusterRef {
            name: String::new(),
            region,
            profile,
        })
        .await;
        Session { conf }
    }

    /// The configuration for a cluster in `region` (the session's region when `None`).
    fn for_region(&self, region: Option<&str>) -> aws_config::SdkConfig {
        match region {
            Some(r) => self
                .conf
                .to_builder()
                .region(aws_config::Region::new(r.to_string()))
                .build(),
            None => self.conf.clone(),
        }
    }

    /// [`audit_facts`] for cluster `name` (in `region`, else the session's).
    pub async fn audit_facts(
        &self,
        name: &str,
        region: Option<&str>,
        eniconfig_subnets: &[String],
    ) -> Result<AuditAws> {
        let (target, conf) = self.target(name, region);
        audit_facts_in(conf, &target, eniconfig_subnets).await
    }

    /// [`discover`] for cluster `name` (in `region`, else the session's).
    pub async fn discover(&self, name: &str, region: Option<&str>) -> Result<NetworkFacts> {
        let (target, conf) = self.target(name, region);
        discover_in(conf, &target).await
    }

    fn target(&self, name: &str, region: Option<&str>) -> (ClusterRef, aws_config::SdkConfig) {
        let conf = self.for_region(region);
        (
            ClusterRef {
                name: name.to_string(),
                region: conf.region().map(|r| r.to_string()),
                profile: None,
            },
            conf,
        )
    }
}

/// DescribeCluster, with the loaded config and region for follow-up calls.
async fn describe_cluster(
    conf: aws_config::SdkConfig,
    target: &ClusterRef,
) -> Result<(aws_config::SdkConfig, String, aws_sdk_eks::types::Cluster)> {
    let region = conf.region().map(|r| r.to_string()).ok_or_else(|| {
        Error::flag_help(
            "--region",
            "no AWS region configured",
            "pass --region, or set AWS_REGION / a region in your AWS profile",
        )
    })?;
    let eks = aws_sdk_eks::Client::new(&conf);
    tracing::info!(cluster = %target.name, %region, "DescribeCluster");
    let out = eks
        .describe_cluster()
        .name(&target.name)
        .send()
        .await
        .map_err(|e| {
            explain(
                "eks:DescribeCluster",
                target,
                &region,
                "eks",
                DisplayErrorContext(&e).to_string(),
            )
        })?;
    let cluster = out.cluster().cloned().ok_or_else(|| Error::Aws {
        message: format!(
            "eks:DescribeCluster returned no cluster for `{}`",
            target.name
        ),
        help: None,
    })?;
    Ok((conf, region, cluster))
}

pub async fn discover(target: &ClusterRef) -> Result<NetworkFacts> {
    discover_in(config(target).await, target).await
}

async fn discover_in(conf: aws_config::SdkConfig, target: &ClusterRef) -> Result<NetworkFacts> {
    let (conf, region, cluster) = describe_cluster(conf, target).await?;
    let cluster = &cluster;

    let mut facts = NetworkFacts {
        cluster: Some(target.name.clone()),
        ..Default::default()
    };
    let knc = cluster.kubernetes_network_config();
    facts.ip_family = knc
        .and_then(|k| k.ip_family())
        .map(|f| f.as_str().to_ascii_lowercase());
    if facts.ip_family.as_deref() == Some("ipv6") {
        return Err(Error::Aws {
            message: format!(
                "cluster `{}` uses the IPv6 family; EKS Hybrid Nodes require an IPv4 cluster",
                target.name
            ),
            help: Some("hybrid nodes can only join IPv4 clusters; create an IPv4 cluster".into()),
        });
    }
    if let Some(svc) = knc.and_then(|k| k.service_ipv4_cidr()) {
        let c = svc.parse::<Cidr>().map_err(|e| Error::Aws {
            message: format!("EKS reported a service CIDR podnet cannot parse: {e}"),
            help: None,
        })?;
        facts.service_cidr = Some((c, Source::Cluster));
    }
    let remote = cluster.remote_network_config();
    let nodes: Vec<String> = remote
        .map(|r| {
            r.remote_node_networks()
                .iter()
                .flat_map(|n| n.cidrs().iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    let pods: Vec<String> = remote
        .map(|r| {
            r.remote_pod_networks()
                .iter()
                .flat_map(|n| n.cidrs().iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    if nodes.is_empty() {
        return Err(Error::Aws {
            message: format!("cluster `{}` has no remote node networks: it is not set up for hybrid nodes", target.name),
            help: Some("add remote node and pod networks to the cluster (aws eks update-cluster-config --remote-network-config …), or pass the networks as flags".into()),
        });
    }
    facts.remote_node_networks = parse_all("remote node network", &nodes)?;
    facts.remote_pod_networks = parse_all("remote pod network", &pods)?;
    if pods.is_empty() {
        facts.notes.push(format!(
            "cluster `{}` has no remote pod networks: webhooks on hybrid nodes will not be reachable from the control plane",
            target.name
        ));
    }

    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc_id = cluster_vpc(&ec2, cluster, target, &region).await?;
    if let Some(vpc_id) = vpc_id.as_deref() {
        facts.vpc_id = Some(vpc_id.to_string());
        tracing::info!(%vpc_id, "DescribeVpcs");
        let out = ec2
            .describe_vpcs()
            .vpc_ids(vpc_id)
            .send()
            .await
            .map_err(|e| {
                explain(
                    "ec2:DescribeVpcs",
                    target,
                    &region,
                    "ec2",
                    DisplayErrorContext(&e).to_string(),
                )
            })?;
        let mut cidrs = Vec::new();
        for vpc in out.vpcs() {
            let assoc = vpc.cidr_block_association_set();
            if assoc.is_empty() {
                cidrs.extend(vpc.cidr_block().map(str::to_string));
            }
            for a in assoc {
                let live = a
                    .cidr_block_state()
                    .and_then(|s| s.state())
                    .is_none_or(|s| {
                        matches!(
                            s,
                            VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating
                        )
                    });
                if live {
                    cidrs.extend(a.cidr_block().map(str::to_string));
                }
            }
        }
        cidrs.sort();
        cidrs.dedup();
        facts.vpc_cidrs = parse_all("VPC CIDR", &cidrs)?;
    }
    Ok(facts)
}

/// Live ENI limits of one instance type (EC2 DescribeInstanceTypes), for `max-pods --region`.
pub async fn instance_limits(
    region: &str,
    profile: Option<&str>,
    instance_type: &str,
) -> Result<crate::audit::maxpods::InstanceLimits> {
    let target = ClusterRef {
        name: String::new(),
        region: Some(region.to_string()),
        profile: profile.map(str::to_string),
    };
    let conf = config(&target).await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let out = ec2
        .describe_instance_types()
        .instance_types(aws_sdk_ec2::types::InstanceType::from(instance_type))
        .send()
        .await
        .map_err(|e| {
            let raw = DisplayErrorContext(&e).to_string();
            if raw.contains("InvalidInstanceType") {
                Error::flag_help(
                    "--instance-type",
                    format!("EC2 does not know instance type `{instance_type}` in {region}"),
                    "check the spelling, e.g. m5.large",
                )
            } else {
                explain("ec2:DescribeInstanceTypes", &target, region, "ec2", raw)
            }
        })?;
    let info = out.instance_types().first().ok_or_else(|| {
        Error::flag_help(
            "--instance-type",
            format!("EC2 does not know instance type `{instance_type}` in {region}"),
            "check the spelling, e.g. m5.large",
        )
    })?;
    let net = info.network_info();
    let default_card = net
        .and_then(|n| n.default_network_card_index())
        .unwrap_or(0);
    let enis = net
        .and_then(|n| {
            n.network_cards()
                .iter()
                .find(|c| c.network_card_index() == Some(default_card))
                .and_then(|c| c.maximum_network_interfaces())
                .or(n.maximum_network_interfaces())
        })
        .unwrap_or(0);
    let ips = net
        .and_then(|n| n.ipv4_addresses_per_interface())
        .unwrap_or(0);
    let nitro = info
        .hypervisor()
        .map(|h| h.as_str() == "nitro")
        .unwrap_or(false)
        || info.bare_metal().unwrap_or(false);
    Ok(crate::audit::maxpods::InstanceLimits {
        instance_type: instance_type.to_string(),
        enis: u32::try_from(enis).unwrap_or(0),
        ipv4_per_eni: u32::try_from(ips).unwrap_or(0),
        vcpus: info
            .v_cpu_info()
            .and_then(|v| v.default_v_cpus())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        nitro,
    })
}

/// What the audit reads from AWS: the cluster's VPC, remote pod networks, and every subnet of the
/// VPC plus any subnet an ENIConfig names (which may sit in another VPC).
pub struct AuditAws {
    pub vpc_id: Option<String>,
    pub remote_pod_networks: Vec<Cidr>,
    pub subnets: std::collections::HashMap<String, crate::audit::facts::Subnet>,
}

pub async fn audit_facts(target: &ClusterRef, eniconfig_subnets: &[String]) -> Result<AuditAws> {
    audit_facts_in(config(target).await, target, eniconfig_subnets).await
}

async fn audit_facts_in(
    conf: aws_config::SdkConfig,
    target: &ClusterRef,
    eniconfig_subnets: &[String],
) -> Result<AuditAws> {
    let (conf, region, cluster) = describe_cluster(conf, target).await?;
    let pods: Vec<String> = cluster
        .remote_network_config()
        .map(|r| {
            r.remote_pod_networks()
                .iter()
                .flat_map(|n| n.cidrs().iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc_id = cluster_vpc(&ec2, &cluster, target, &region).await?;
    let mut subnets = std::collections::HashMap::new();
    let add = |subnets: &mut std::collections::HashMap<String, crate::audit::facts::Subnet>,
               list: &[aws_sdk_ec2::types::Subnet]| {
        for s in list {
            let (Some(id), Some(cidr), Some(az), Some(vpc)) = (
                s.subnet_id(),
                s.cidr_block().and_then(|c| c.parse().ok()),
                s.availability_zone(),
                s.vpc_id(),
            ) else {
                continue;
            };
            subnets.insert(
                id.to_string(),
                crate::audit::facts::Subnet {
                    id: id.to_string(),
                    cidr,
                    az: az.to_string(),
                    vpc_id: vpc.to_string(),
                    available: s
                        .available_ip_address_count()
                        .and_then(|n| u64::try_from(n).ok())
                        .unwrap_or(0),
                },
            );
        }
    };
    let fail = |call: &str, e: String| explain(call, target, &region, "ec2", e);
    if let Some(vpc) = &vpc_id {
        let mut pages = ec2
            .describe_subnets()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(vpc)
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| fail("ec2:DescribeSubnets", DisplayErrorContext(&e).to_string()))?;
            add(&mut subnets, page.subnets());
        }
    }
    // ENIConfig subnets outside the VPC, asked one by one so a missing one does not hide the rest.
    for id in eniconfig_subnets {
        if subnets.contains_key(id) {
            continue;
        }
        match ec2.describe_subnets().subnet_ids(id).send().await {
            Ok(out) => add(&mut subnets, out.subnets()),
            Err(e) => {
                let raw = DisplayErrorContext(&e).to_string();
                if !raw.contains("InvalidSubnetID") {
                    return Err(fail("ec2:DescribeSubnets", raw));
                }
            }
        }
    }
    Ok(AuditAws {
        vpc_id,
        remote_pod_networks: parse_all("remote pod network", &pods)?,
        subnets,
    })
}
