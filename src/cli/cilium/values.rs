//! `kubectl podnet cilium values`: Cilium Helm values for EKS Hybrid Nodes from the network plan.

use std::path::PathBuf;

use clap::Args;

use super::plan::{CAPACITY_HELP, generate_values, load_merged};
use crate::cilium::generate;
use crate::cli::flags::{GlobalArgs, Output, PlanArgs};
use crate::cli::out::{self, stdout_write};
use crate::error::{Error, Result};

pub const ABOUT: &str = "Generate Cilium Helm values for EKS Hybrid Nodes.\n\n\
The values pin the Cilium agent and operator to hybrid nodes (eks.amazonaws.com/compute-type In [hybrid]), \
use cluster-pool IPAM with your pod CIDRs, disable Envoy and the unmanaged-pod watcher's restarts, and \
turn on service topology, as AWS's hybrid nodes guide prescribes. Network facts come from flags or from \
EKS (--cluster); flags win. The result is validated and refused if invalid (unless --force).\n\n\
Capacity: the operator gives each node one /MASK block of the pod CIDRs; blocks = Σ 2^(MASK − prefix). \
Of each block, the network and broadcast addresses are not assignable and the router (cilium_host) and \
health endpoint take two more, so pods per node = 2^(32 − MASK) − 4 (/25 → 124, /24 → 252).\n\n\
Example:\n  kubectl podnet cilium values --pod-cidr 10.200.0.0/16 --remote-node-network 10.80.0.0/16 --vpc-cidr 10.0.0.0/16";

#[derive(Debug, Args)]
#[command(after_help = CAPACITY_HELP)]
pub struct ValuesArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Your own values to merge in (kept, unless they contradict the network or affinity keys)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Write to this file (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Print the values even if validation finds errors
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: ValuesArgs, g: &GlobalArgs) -> Result<u8> {
    if matches!(g.output, Some(Output::Table)) {
        return Err(Error::flag_help(
            "--output",
            "values are printed as yaml or json",
            "use -o yaml or -o json",
        ));
    }
    let user = load_merged(&a.values, true)?;
    let (plan, generated, report) = generate_values(&a.plan, user, None, g)?;
    if !report.valid && !a.force {
        eprintln!(
            "error: the generated values are invalid (see above); fix the inputs or pass --force to print them anyway"
        );
        return Ok(out::EXIT_FINDINGS);
    }
    let text = match g.output {
        Some(Output::Json) => format!(
            "{}\n",
            serde_json::to_string_pretty(&generated.values).map_err(|e| Error::Conflict {
                message: format!("cannot write values as JSON: {e}"),
                help: None,
            })?
        ),
        _ => format!(
            "{}{}",
            generate::header(&plan, &generated),
            generate::to_yaml(&generated.values)?
        ),
    };
    match &a.output_file {
        Some(path) => {
            crate::fsutil::atomic_write(path, text.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
        None => stdout_write(text.as_bytes())?,
    }
    Ok(0)
}
