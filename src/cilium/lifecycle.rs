//! The Cilium release on the cluster: install, upgrade, rollback, uninstall. The release
//! machinery is [`crate::release`] (chart-agnostic, Helm-compatible); this file adds what is
//! Cilium's: waiting for the agent and operator ([`super::wait`]), the upgrade rules
//! ([`super::upgrade`]), the purge of the `*.cilium.io` CRDs, and the `kubectl podnet cilium`
//! commands named in error hints ([`super::HINTS`]).

use kube::Client;
use kube::api::{Api, DeleteParams};
use serde_json::Value;

use super::HINTS;
use super::wait::Ready;
use crate::error::Result;
use crate::helm::{Chart, Values};
use crate::kube::with_retries;
use crate::release::{
    install as rel_install, rollback as rel_rollback, uninstall as rel_uninstall,
};
use crate::release::{storage::Store, upgrade as rel_upgrade, wait as rel_wait};

pub use crate::release::apply::FIELD_MANAGER;
pub use crate::release::storage::{history_rows, kinds};
pub use crate::release::upgrade::PreparedUpgrade;
pub use crate::release::wait::Outcome;

/// What `install` needs, already resolved.
pub struct InstallPlan<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub chart: &'a Chart,
    /// The chart archive's files (chart-relative paths), for the release record.
    pub chart_files: &'a [(String, Vec<u8>)],
    pub values: &'a Values,
    pub ops: Ops<'a>,
}

/// How changes are applied and awaited, shared by install, upgrade and rollback.
#[derive(Clone, Copy)]
pub struct Ops<'a> {
    /// Server-side apply field manager; Helm's is its program name (`helm` for the CLI).
    pub field_manager: &'a str,
    /// Overwrite fields another field manager owns (Helm v4's `--force-conflicts`).
    pub force_conflicts: bool,
    /// Adopt existing objects that no release owns (Helm's `--take-ownership`).
    pub take_ownership: bool,
    /// Limit for hooks and for `wait`.
    pub timeout: std::time::Duration,
    /// Wait for Cilium to be ready before the post-hooks (Helm's `--wait`), reporting progress here.
    pub wait: Option<&'a dyn Fn(&str)>,
}

impl<'a> Ops<'a> {
    /// The release layer's options, waiting with `ready` (made from `self.wait` by [`Ops::ready`]).
    fn release<'b>(&self, ready: Option<&'b Ready<'a>>) -> rel_wait::Ops<'b>
    where
        'a: 'b,
    {
        rel_wait::Ops {
            field_manager: self.field_manager,
            force_conflicts: self.force_conflicts,
            take_ownership: self.take_ownership,
            timeout: self.timeout,
            wait: ready.map(|r| r as &dyn rel_wait::Wait),
            hints: HINTS,
        }
    }

    fn ready(&self) -> Option<Ready<'a>> {
        self.wait.map(|progress| Ready { progress })
    }
}

/// The release store of `namespace`, with hints that name `kubectl podnet cilium` commands.
pub fn store(client: &Client, namespace: &str) -> Store {
    Store::new(client, namespace, HINTS)
}

/// Installs a new release (see [`crate::release::install::install`]).
pub async fn install(client: &Client, plan: &InstallPlan<'_>) -> Result<Outcome> {
    let ready = plan.ops.ready();
    rel_install::install(
        client,
        &rel_install::InstallPlan {
            release: plan.release,
            namespace: plan.namespace,
            chart: plan.chart,
            chart_files: plan.chart_files,
            values: plan.values,
            ops: plan.ops.release(ready.as_ref()),
        },
    )
    .await
}

/// Options of `upgrade`.
pub struct UpgradePlan<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub chart: &'a Chart,
    pub chart_files: &'a [(String, Vec<u8>)],
    /// New user values, merged over the deployed revision's (Helm's reset-then-reuse).
    pub new_values: &'a Value,
    pub ops: Ops<'a>,
    /// Allow a minor skip or a downgrade.
    pub force: bool,
    /// Mark an interrupted (pending) revision failed and go on from the last deployed one.
    pub recover: bool,
}

/// Upgrades to a new chart and/or values: guards, render, apply, prune, supersede.
pub async fn upgrade(client: &Client, plan: &UpgradePlan<'_>) -> Result<Outcome> {
    let prepared = prepare_upgrade(client, plan).await?;
    apply_upgrade(client, prepared, plan.ops).await
}

/// Writes a prepared upgrade: recovers a stale pending revision, then rolls forward.
pub async fn apply_upgrade(client: &Client, p: PreparedUpgrade, ops: Ops<'_>) -> Result<Outcome> {
    let ready = ops.ready();
    rel_upgrade::apply_upgrade(client, p, ops.release(ready.as_ref())).await
}

/// Reads the history, checks Cilium's upgrade rules, merges the values and renders the new
/// revision.
pub async fn prepare_upgrade(client: &Client, plan: &UpgradePlan<'_>) -> Result<PreparedUpgrade> {
    let force = plan.force;
    let rules = move |p: &rel_upgrade::Proposal<'_>, merged: &mut Value| {
        super::upgrade::rules(p, merged, force)
    };
    rel_upgrade::prepare_upgrade(
        client,
        &rel_upgrade::UpgradePlan {
            release: plan.release,
            namespace: plan.namespace,
            chart: plan.chart,
            chart_files: plan.chart_files,
            new_values: plan.new_values,
            // Preparing applies nothing, so nothing is awaited.
            ops: plan.ops.release(None),
            recover: plan.recover,
            rules: &rules,
        },
    )
    .await
}

/// Rolls back to `to` (default: the revision before the deployed one) as a new revision.
pub async fn rollback(
    client: &Client,
    release_name: &str,
    namespace: &str,
    to: Option<i64>,
    ops: Ops<'_>,
) -> Result<Outcome> {
    let ready = ops.ready();
    rel_rollback::rollback(
        client,
        release_name,
        namespace,
        to,
        ops.release(ready.as_ref()),
    )
    .await
}

/// Removes the release's objects (never aws-node, never what it does not own; CRDs only with
/// `purge_crds`, which also deletes every `*.cilium.io` CRD) and its records. Returns (deleted,
/// kept-with-reason).
pub async fn uninstall(
    client: &Client,
    release_name: &str,
    namespace: &str,
    purge_crds: bool,
    timeout: std::time::Duration,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut removal =
        rel_uninstall::delete_objects(client, release_name, namespace, purge_crds, timeout, &HINTS)
            .await?;
    if purge_crds {
        purge_cilium_crds(client, &mut removal.deleted).await?;
    }
    rel_uninstall::forget(client, namespace, &removal.history, &HINTS).await?;
    Ok((removal.deleted, removal.kept))
}

/// Deletes the `*.cilium.io` CRDs (which the operator, not the chart, creates).
async fn purge_cilium_crds(client: &Client, deleted: &mut Vec<String>) -> Result<()> {
    let api: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> = Api::all(client.clone());
    let mut names = Vec::new();
    crate::kube::list_pages(
        &api,
        Default::default(),
        "list customresourcedefinitions",
        |page| {
            names.extend(
                page.into_iter()
                    .filter_map(|c| c.metadata.name)
                    .filter(|n| n.ends_with(".cilium.io")),
            );
        },
    )
    .await?;
    for n in names {
        let dp = DeleteParams::background();
        with_retries(&format!("delete crd {n}"), || api.delete(&n, &dp)).await?;
        deleted.push(format!("CustomResourceDefinition/{n}"));
    }
    Ok(())
}
