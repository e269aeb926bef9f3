//! `kubectl podnet cilium validate`: a values file checked against the cluster's networks and the
//! hybrid-node rules.

use std::path::PathBuf;

use clap::Args;

use super::plan::{CAPACITY_HELP, gather_facts, load_merged, with_flag_facts};
use crate::cilium::validate::{self, Context};
use crate::cilium::versions;
use crate::cli::flags::{FactArgs, FleetArgs, GlobalArgs, Output};
use crate::cli::out::{self, render_report};
use crate::error::{Error, Result};
use crate::fleet::report::FleetReport;
use crate::fleet::{self, NameFrom};
use crate::report::{FailOn, Report};

pub const ABOUT: &str = "Check a Cilium values file for EKS Hybrid Nodes.\n\n\
Pod CIDRs must be RFC 1918, disjoint from each other, the VPC, the service CIDR and the remote node \
networks, and inside the remote pod networks; the mask must fit the nodes; agent and operator must be \
confined to hybrid nodes. Findings have stable IDs; -o json gives a machine-readable report.\n\n\
Many clusters at once: --contexts a,b,c or --all-contexts checks the values against every context's \
EKS cluster (DescribeCluster, DescribeVpcs, as --cluster reads one; the name from --cluster-name-from), \
--parallel at a time, each within --cluster-timeout, in one report with a section per cluster and a fleet \
summary. Exit 2 if a cluster could not be read, else 1 if a finding reaches --fail-on, else 0.\n\n\
Examples:\n  kubectl podnet cilium validate -f cilium-values.yaml --vpc-cidr 10.0.0.0/16 --nodes 40\n  \
kubectl podnet cilium validate -f cilium-values.yaml --all-contexts --cluster-name-from eks-arn";

#[derive(Debug, Args)]
#[command(after_help = CAPACITY_HELP)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub facts: FactArgs,
    /// Values file(s) to check, merged in order like Helm's -f; `-` reads stdin
    #[arg(short = 'f', long = "values", value_name = "FILE", required = true)]
    pub values: Vec<PathBuf>,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// In a fleet run: each context's EKS cluster name is the context's name, or the name in its
    /// cluster's ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME, whose region is used)
    #[arg(
        long,
        value_enum,
        value_name = "FROM",
        default_value = "context",
        help_heading = "Fleet"
    )]
    pub cluster_name_from: NameFrom,
}

pub fn run(a: ValidateArgs, g: &GlobalArgs) -> Result<u8> {
    if matches!(g.output, Some(Output::Yaml)) {
        return Err(Error::flag_help(
            "--output",
            "validate prints table or json (and sarif or junit with --contexts/--all-contexts)",
            "use -o table or -o json",
        ));
    }
    let minor = versions::resolve(a.facts.cilium_version.as_deref())?;
    let doc = load_merged(&a.values, false)?
        .ok_or_else(|| Error::flag("--values", "a values file is required"))?;
    if let Some(sel) = a.fleet.selection(g)? {
        if a.facts.cluster.is_some() {
            return Err(Error::flag_help(
                "--cluster",
                "names one EKS cluster, but a fleet run has many",
                "drop --cluster: each context's cluster is read (see --cluster-name-from)",
            ));
        }
        let rt = out::runtime()?;
        return rt.block_on(async {
            let fleet = fleet::Fleet::load(&g.target(), &sel)?;
            let session =
                crate::aws::Session::load(a.facts.region.clone(), a.facts.profile.clone()).await;
            let (a, session, doc) = (&a, &session, &doc);
            let outcomes = fleet::run(
                &fleet,
                a.fleet.limits(),
                |r: &Report| match r.findings.len() {
                    0 => "valid".to_string(),
                    n => format!("{n} finding(s)"),
                },
                |job| async move {
                    let (name, region) = job.member.eks_cluster(a.cluster_name_from)?;
                    job.say(format!("reading EKS cluster {name}"));
                    let facts = with_flag_facts(
                        session.discover(&name, region.as_deref()).await?,
                        &a.facts,
                    )?;
                    let ctx = Context {
                        minor,
                        facts: &facts,
                        nodes: a.facts.nodes,
                    };
                    Ok(Report::new(validate::validate(&doc.value, &ctx)))
                },
            )
            .await;
            out::fleet_output(
                &FleetReport {
                    command: "cilium validate",
                    outcomes,
                },
                g,
                a.fail_on,
            )
        });
    }
    let facts = gather_facts(&a.facts)?;
    let ctx = Context {
        minor,
        facts: &facts,
        nodes: a.facts.nodes,
    };
    let report = Report::new(validate::validate(&doc.value, &ctx));
    render_report(&report, g, false)?;
    Ok(if report.fails(a.fail_on) {
        out::EXIT_FINDINGS
    } else {
        0
    })
}
