//! `kubectl podnet cilium rollback`: an earlier revision applied again as a new one (also recovers
//! an interrupted operation).

use clap::Args;

use super::outcome::print_outcome;
use crate::cilium::lifecycle;
use crate::cli::flags::{ApplyArgs, GlobalArgs};
use crate::cli::out::{self, Progress};
use crate::error::Result;

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Revision to return to [default: the one before the deployed revision]
    pub revision: Option<i64>,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

pub fn run(a: RollbackArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    let progress = Progress::start();
    let say = |m: &str| progress.say(m);
    let o = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        lifecycle::rollback(&client, &a.release, &ns, a.revision, a.apply.ops(&say)).await
    })?;
    drop(progress);
    print_outcome(&o, g)?;
    Ok(0)
}
