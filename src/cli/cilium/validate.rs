//! `kubectl podnet cilium validate`: a values file checked against the cluster's networks and the
//! hybrid-node rules.

use std::path::PathBuf;

use clap::Args;

use super::plan::{CAPACITY_HELP, gather_facts, load_merged};
use crate::cilium::validate::{self, Context};
use crate::cilium::versions;
use crate::cli::flags::{FactArgs, GlobalArgs, Output};
use crate::cli::out::{self, render_report};
use crate::error::{Error, Result};
use crate::report::{FailOn, Report};

pub const ABOUT: &str = "Check a Cilium values file for EKS Hybrid Nodes.\n\n\
Pod CIDRs must be RFC 1918, disjoint from each other, the VPC, the service CIDR and the remote node \
networks, and inside the remote pod networks; the mask must fit the nodes; agent and operator must be \
confined to hybrid nodes. Findings have stable IDs; -o json gives a machine-readable report.\n\n\
Example:\n  kubectl podnet cilium validate -f cilium-values.yaml --vpc-cidr 10.0.0.0/16 --nodes 40";

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
}

pub fn run(a: ValidateArgs, g: &GlobalArgs) -> Result<u8> {
    if matches!(g.output, Some(Output::Yaml)) {
        return Err(Error::flag_help(
            "--output",
            "validate prints table or json",
            "use -o table or -o json",
        ));
    }
    let minor = versions::resolve(a.facts.cilium_version.as_deref())?;
    let doc = load_merged(&a.values, false)?
        .ok_or_else(|| Error::flag("--values", "a values file is required"))?;
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
