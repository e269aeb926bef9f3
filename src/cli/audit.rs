//! `kubectl podnet audit`: one read-only pass over the cluster (and EC2) for VPC CNI custom
//! networking problems.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use kube::Client;

use super::flags::{FleetArgs, GlobalArgs, Output};
use super::out::{self, stdout_write};
use crate::audit::checks::{self, CHECKS, CheckResult, PodTally};
use crate::audit::collect;
use crate::audit::facts::{ClusterFacts, Subnet};
use crate::audit::report::AuditReport;
use crate::aws::Session;
use crate::error::{Error, Result};
use crate::fleet::report::{ClusterReport, FleetReport};
use crate::fleet::{self, NameFrom};
use crate::net::Cidr;
use crate::report::FailOn;
use crate::report::ci::JunitCases;
use crate::report::text::TextStyle;

#[derive(Debug, Args)]
#[command(long_about = "Audit Amazon VPC CNI custom networking, read-only.\n\n\
Reads the aws-node DaemonSet, the amazon-vpc-cni and aws-auth ConfigMaps, ENIConfigs, nodes and pods \
(in pages), and EC2 subnets (--cluster, or --subnets with `aws ec2 describe-subnets` JSON). Every pod on an \
EC2 Linux node must have an IP in its node's ENIConfig subnet; pods in the node's own subnet mean the node \
predates custom networking. A check without the data it needs is reported as skipped, never as passed.\n\n\
Many clusters at once: --contexts a,b,c or --all-contexts audits each kubeconfig context \
(--parallel at a time, each within --cluster-timeout) into one report, a section per cluster and a fleet \
summary; -o json/sarif/junit hold every cluster. --subnets applies to every cluster; with --region, each \
cluster's EKS facts are read under the name --cluster-name-from gives. Exit 2 if a cluster could not be \
checked (unreachable, timed out, forbidden), else 1 if a finding reaches --fail-on, else 0.\n\n\
Examples:\n  kubectl podnet audit --cluster my-cluster --region us-west-2 -o json\n  \
kubectl podnet audit --all-contexts --region us-west-2 --cluster-name-from eks-arn")]
pub struct AuditArgs {
    /// Read the VPC, subnets and remote pod networks from this EKS cluster
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// AWS region of --cluster (in a fleet run: read every cluster's EKS facts in this region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile for --cluster (or --region in a fleet run)
    #[arg(long, value_name = "PROFILE")]
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
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// In a fleet run with --region: each context's EKS cluster name is the context's name, or
    /// the name in its cluster's ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME, whose region is used)
    #[arg(
        long,
        value_enum,
        value_name = "FROM",
        default_value = "context",
        help_heading = "Fleet"
    )]
    pub cluster_name_from: NameFrom,
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
    let selection = a.fleet.selection(g)?;
    for (flag, given) in [("--region", &a.region), ("--profile", &a.profile)] {
        if given.is_some() && a.cluster.is_none() && selection.is_none() {
            return Err(Error::flag_help(
                flag,
                "applies to --cluster",
                "pass --cluster NAME (or --contexts/--all-contexts to read each cluster's EKS facts)",
            ));
        }
    }
    if selection.is_some() {
        if a.cluster.is_some() {
            return Err(Error::flag_help(
                "--cluster",
                "names one EKS cluster, but a fleet run has many",
                "use --region (and --cluster-name-from) to read each context's EKS cluster",
            ));
        }
        if a.subnets.is_some() && a.region.is_some() {
            return Err(Error::flag_help(
                "--subnets",
                "offline subnets and --region (subnets read from EC2) exclude each other",
                "drop one of them",
            ));
        }
    }
    let rt = out::runtime()?;
    match selection {
        None => rt.block_on(audit_one(a, g)),
        Some(sel) => rt.block_on(audit_fleet(a, g, &sel)),
    }
}

/// Where the audit's AWS facts come from, loaded once for every cluster of a run.
enum AwsData {
    None,
    /// `--subnets FILE`, read once.
    Subnets(HashMap<String, Subnet>),
    /// EKS and EC2: one session, the cluster named by --cluster or by each context.
    Eks(Box<Session>),
}

impl AwsData {
    async fn load(a: &AuditArgs, fleet: bool) -> Result<AwsData> {
        Ok(if a.cluster.is_some() || (fleet && a.region.is_some()) {
            AwsData::Eks(Box::new(
                Session::load(a.region.clone(), a.profile.clone()).await,
            ))
        } else if let Some(path) = &a.subnets {
            AwsData::Subnets(collect::subnets_from_file(path)?)
        } else {
            AwsData::None
        })
    }
}

/// One cluster's audit, owned, so a fleet run can hold many.
pub struct AuditRun {
    facts: ClusterFacts,
    pods_seen: usize,
    aws_source: Option<&'static str>,
    checks: Vec<CheckResult>,
}

impl AuditRun {
    fn report(&self) -> AuditReport<'_> {
        AuditReport {
            facts: &self.facts,
            pods_seen: self.pods_seen,
            aws_source: self.aws_source,
            checks: self.checks.clone(),
        }
    }
}

impl ClusterReport for AuditRun {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.report().json()).unwrap_or_default()
    }
    fn text(&self, style: &TextStyle) -> String {
        self.report().table(style)
    }
    fn findings(&self) -> usize {
        self.report().summary().fail
    }
    fn fails(&self, fail_on: FailOn) -> bool {
        self.report().fails(fail_on)
    }
    fn sarif_run(&self) -> Option<serde_json::Value> {
        Some(self.report().sarif_run())
    }
    fn junit_cases(&self) -> Option<JunitCases> {
        Some(self.report().junit_cases())
    }
}

/// Reads one cluster's facts (independent reads at once), then runs the checks. `eks` names the
/// EKS cluster and its region when AWS facts are read from EKS.
async fn audit_cluster(
    client: &Client,
    a: &AuditArgs,
    namespace: Option<&str>,
    aws: &AwsData,
    eks: Option<(String, Option<String>)>,
    say: &(dyn Fn(String) + Sync),
) -> Result<AuditRun> {
    say("reading aws-node, ConfigMaps, ENIConfigs".into());
    let (cni, vpc_cni_config, aws_auth, eniconfigs) = futures::try_join!(
        collect::cni(client),
        collect::config_map(client, "amazon-vpc-cni"),
        collect::config_map(client, "aws-auth"),
        collect::eniconfigs(client),
    )?;
    let mut facts = ClusterFacts {
        cni,
        vpc_cni_config,
        aws_auth: match aws_auth {
            Some(data) => Some(collect::parse_map_roles(
                data.get("mapRoles").map(String::as_str).unwrap_or("[]"),
            )?),
            None => None,
        },
        eniconfigs,
        ..Default::default()
    };
    let wanted: Vec<String> = facts
        .eniconfigs
        .iter()
        .flatten()
        .filter_map(|e| e.subnet.clone())
        .collect();
    let aws_facts = async {
        match (aws, &eks) {
            (AwsData::Eks(session), Some((name, region))) => {
                say(format!(
                    "listing nodes; reading EKS cluster {name} and its subnets"
                ));
                session
                    .audit_facts(name, region.as_deref(), &wanted)
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    };
    say("listing nodes".into());
    let (nodes, aws_facts) =
        futures::try_join!(collect::nodes(client, facts.cni.as_ref()), aws_facts)?;
    facts.nodes = nodes;
    let mut aws_source = None;
    if let Some(aws) = aws_facts {
        facts.vpc_id = aws.vpc_id;
        facts.subnets = Some(aws.subnets);
        facts.remote_pod_networks = Some(aws.remote_pod_networks);
        aws_source = Some("cluster");
    } else if let AwsData::Subnets(subnets) = aws {
        facts.subnets = Some(subnets.clone());
        aws_source = Some("file");
    }
    if !a.remote_pod_network.is_empty() {
        facts.remote_pod_networks = Some(a.remote_pod_network.clone());
    }
    if facts.vpc_id.is_none() {
        facts.vpc_id = collect::infer_vpc(&facts);
    }

    let mut tally = PodTally::new(&facts);
    let pods_seen = collect::pods(client, namespace, &mut tally, |n| {
        say(format!("checking pods: {n}"))
    })
    .await?;
    let mut results = checks::run(&facts, &tally);
    results.retain(|c| {
        (a.checks.is_empty() || a.checks.iter().any(|x| x == c.id))
            && !a.skip.iter().any(|x| x == c.id)
    });
    Ok(AuditRun {
        facts,
        pods_seen,
        aws_source,
        checks: results,
    })
}

async fn audit_one(a: AuditArgs, g: &GlobalArgs) -> Result<u8> {
    let target = g.target();
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
    let aws = AwsData::load(&a, false).await?;
    let eks = a.cluster.clone().map(|n| (n, None));
    let run = audit_cluster(&client, &a, g.namespace.as_deref(), &aws, eks, &say).await;
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    let run = run?;
    let report = run.report();
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

/// The audit over every selected context: the kubeconfig and the AWS data are read once.
async fn audit_fleet(a: AuditArgs, g: &GlobalArgs, sel: &fleet::Selection) -> Result<u8> {
    let fleet = fleet::Fleet::load(&g.target(), sel)?;
    let aws = AwsData::load(&a, true).await?;
    let (a, aws, ns) = (&a, &aws, g.namespace.as_deref());
    let outcomes = fleet::run(
        &fleet,
        a.fleet.limits(),
        |r: &AuditRun| match r.findings() {
            0 => "ok".to_string(),
            n => format!("{n} failed check(s)"),
        },
        |job| async move {
            let eks = match aws {
                AwsData::Eks(_) => Some(job.member.eks_cluster(a.cluster_name_from)?),
                _ => None,
            };
            let client = job.client().await?;
            audit_cluster(&client, a, ns, aws, eks, &|m| job.say(m)).await
        },
    )
    .await;
    let report = FleetReport {
        command: "audit",
        outcomes,
    };
    out::fleet_output(&report, g, a.fail_on)
}
