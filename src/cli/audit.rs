//! `kubectl podnet audit`: one read-only pass over the cluster (and EC2) for VPC CNI custom
//! networking problems.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::flags::{GlobalArgs, Output};
use super::out::{self, stdout_write};
use crate::audit::checks::{self, CHECKS, PodTally};
use crate::audit::collect;
use crate::audit::report::AuditReport;
use crate::aws::ClusterRef;
use crate::error::{Error, Result};
use crate::kube::Target;
use crate::net::Cidr;
use crate::report::FailOn;

#[derive(Debug, Args)]
#[command(long_about = "Audit Amazon VPC CNI custom networking, read-only.\n\n\
Reads the aws-node DaemonSet, the amazon-vpc-cni and aws-auth ConfigMaps, ENIConfigs, nodes and pods \
(in pages), and EC2 subnets (--cluster, or --subnets with `aws ec2 describe-subnets` JSON). Every pod on an \
EC2 Linux node must have an IP in its node's ENIConfig subnet; pods in the node's own subnet mean the node \
predates custom networking. A check without the data it needs is reported as skipped, never as passed.\n\n\
Example:\n  kubectl podnet audit --cluster my-cluster --region us-west-2 -o json")]
pub struct AuditArgs {
    /// Read the VPC, subnets and remote pod networks from this EKS cluster
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// AWS region of --cluster
    #[arg(long, value_name = "REGION", requires = "cluster")]
    pub region: Option<String>,
    /// AWS profile for --cluster
    #[arg(long, value_name = "PROFILE", requires = "cluster")]
    pub profile: Option<String>,
    /// Subnets offline: the JSON of `aws ec2 describe-subnets`
    #[arg(long, value_name = "FILE", conflicts_with = "cluster")]
    pub subnets: Option<PathBuf>,
    /// The cluster's remote pod networks (hybrid nodes), when not read with --cluster
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = |s: &str| s.parse::<Cidr>().map_err(|e| e.to_string()))]
    pub remote_pod_network: Vec<Cidr>,
    /// Run only these checks (repeatable)
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// Leave out these checks (repeatable)
    #[arg(long = "skip", value_name = "ID")]
    pub skip: Vec<String>,
    /// Exit 1 when a failed check reaches this severity
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
}

fn known(ids: &[String], flag: &str) -> Result<()> {
    for id in ids {
        if !CHECKS.iter().any(|(c, _)| c == id) {
            return Err(Error::flag_help(
                flag,
                format!("unknown check `{id}`"),
                format!(
                    "checks: {}",
                    CHECKS
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

pub fn run(a: AuditArgs, g: &GlobalArgs) -> Result<u8> {
    known(&a.checks, "--check")?;
    known(&a.skip, "--skip")?;
    if matches!(g.output, Some(Output::Yaml)) {
        return Err(Error::flag_help(
            "--output",
            "audit prints table, json, sarif or junit",
            "use -o json for machines",
        ));
    }
    let rt = out::runtime()?;
    rt.block_on(audit(a, g))
}

async fn audit(a: AuditArgs, g: &GlobalArgs) -> Result<u8> {
    let target = Target {
        kubeconfig: g.kubeconfig.clone(),
        context: g.context.clone(),
    };
    let client = crate::kube::client(&target).await?;
    let progress = if std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(pb)
    } else {
        None
    };
    let say = |m: String| {
        if let Some(pb) = &progress {
            pb.set_message(m);
        }
    };

    say("reading aws-node, ConfigMaps, ENIConfigs".into());
    let mut facts = crate::audit::facts::ClusterFacts {
        cni: collect::cni(&client).await?,
        vpc_cni_config: collect::config_map(&client, "amazon-vpc-cni").await?,
        ..Default::default()
    };
    facts.aws_auth = match collect::config_map(&client, "aws-auth").await? {
        Some(data) => Some(collect::parse_map_roles(
            data.get("mapRoles").map(String::as_str).unwrap_or("[]"),
        )?),
        None => None,
    };
    facts.eniconfigs = collect::eniconfigs(&client).await?;
    say("listing nodes".into());
    facts.nodes = collect::nodes(&client, facts.cni.as_ref()).await?;

    let mut aws_source = None;
    if let Some(name) = &a.cluster {
        say(format!("reading EKS cluster {name} and its subnets"));
        let wanted: Vec<String> = facts
            .eniconfigs
            .iter()
            .flatten()
            .filter_map(|e| e.subnet.clone())
            .collect();
        let aws = crate::aws::audit_facts(
            &ClusterRef {
                name: name.clone(),
                region: a.region.clone(),
                profile: a.profile.clone(),
            },
            &wanted,
        )
        .await?;
        facts.vpc_id = aws.vpc_id;
        facts.subnets = Some(aws.subnets);
        facts.remote_pod_networks = Some(aws.remote_pod_networks);
        aws_source = Some("cluster");
    } else if let Some(path) = &a.subnets {
        facts.subnets = Some(collect::subnets_from_file(path)?);
        aws_source = Some("file");
    }
    if !a.remote_pod_network.is_empty() {
        facts.remote_pod_networks = Some(a.remote_pod_network.clone());
    }
    if facts.vpc_id.is_none() {
        facts.vpc_id = collect::infer_vpc(&facts);
    }

    let mut tally = PodTally::new(&facts);
    let pods = collect::pods(&client, g.namespace.as_deref(), &mut tally, |n| {
        say(format!("checking pods: {n}"))
    })
    .await?;
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    let mut results = checks::run(&facts, &tally);
    results.retain(|c| {
        (a.checks.is_empty() || a.checks.iter().any(|x| x == c.id))
            && !a.skip.iter().any(|x| x == c.id)
    });
    let report = AuditReport {
        facts: &facts,
        pods_seen: pods,
        aws_source,
        checks: results,
    };
    let text = match g.output {
        Some(Output::Json) => report.json(),
        Some(Output::Sarif) => report.sarif(),
        Some(Output::Junit) => report.junit(),
        _ => report.table(&g.text_style(crate::report::Stream::Stdout)),
    };
    stdout_write(text.as_bytes())?;
    Ok(if report.fails(a.fail_on) {
        out::EXIT_FINDINGS
    } else {
        0
    })
}
