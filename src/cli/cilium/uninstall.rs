//! `kubectl podnet cilium uninstall`: the release's objects (never aws-node, never what it does
//! not own) and its records removed, after confirmation.

use clap::Args;

use crate::cilium::{lifecycle, preflight};
use crate::cli::flags::GlobalArgs;
use crate::cli::out::{self, confirm, stdout_write};
use crate::error::Result;

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Also delete the *.cilium.io CRDs (and with them every Cilium custom resource)
    #[arg(long)]
    pub purge_crds: bool,
    /// How long to wait for the deleted objects to be gone; those still held by finalizers then
    /// are listed as kept, with their finalizers
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = crate::cli::flags::parse_duration)]
    pub timeout: std::time::Duration,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(a: UninstallArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    if !a.yes {
        let what = if a.purge_crds {
            " and delete every *.cilium.io CRD with all Cilium resources"
        } else {
            ""
        };
        if !confirm(&format!(
            "Uninstall release {} from {ns}{what}? Pods on hybrid nodes lose networking.",
            a.release
        ))? {
            eprintln!("aborted; nothing was changed");
            return Ok(out::EXIT_ERROR);
        }
    }
    let (deleted, kept, leftover) = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        let (deleted, kept) =
            lifecycle::uninstall(&client, &a.release, &ns, a.purge_crds, a.timeout).await?;
        // a pre-flight check killed before its own clean-up goes with the Cilium it checked
        let leftover = preflight::remove_leftover(&client, &ns, a.timeout).await?;
        Ok::<_, crate::error::Error>((deleted, kept, leftover))
    })?;
    let mut out = format!(
        "release \"{}\" uninstalled: {} object(s) deleted\n",
        a.release,
        deleted.len()
    );
    for k in &kept {
        out.push_str(&format!("kept: {k}\n"));
    }
    if leftover {
        out.push_str(&format!(
            "also removed release \"{}\": a pre-flight check left by an interrupted run\n",
            preflight::PREFLIGHT_RELEASE
        ));
    }
    out.push_str("note: Cilium leaves interfaces (cilium_host, cilium_net, cilium_vxlan), routes and iptables rules on the hybrid nodes; reboot or clean them before installing another CNI.\n");
    stdout_write(out.as_bytes())?;
    Ok(0)
}
