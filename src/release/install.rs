//! `install`: a new release, as Helm installs one (records `pending-install`, the charts' CRDs,
//! `pre-install` hooks, every object in Helm's order, wait, `post-install` hooks, then
//! `deployed` — or `failed` with the reason).

use kube::Client;
use serde_json::json;

use super::apply::{apply_all, check_ownership, install_crds, is_crds_file, manifest_of};
use super::hooks;
use super::storage::{self, Release, Store, status};
use super::wait::{Ops, Outcome};
use crate::error::{Error, Result};
use crate::helm::{self, Chart, RenderOptions, Values};

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

/// Installs a new release: refuses when one exists, records `pending-install`, applies every
/// object in Helm's order, then records `deployed` (or `failed` with the reason).
pub async fn install(client: &Client, plan: &InstallPlan<'_>) -> Result<Outcome> {
    let hints = plan.ops.hints;
    let store = Store::new(client, plan.namespace, hints);
    let existing = store.history(plan.release).await?;
    if let Some(last) = existing.last() {
        return Err(Error::Conflict {
            message: format!(
                "release {} already exists in {} (revision {}, {})",
                plan.release,
                plan.namespace,
                last.version(),
                last.status()
            ),
            help: Some(hints.exists(last.is_pending())),
        });
    }
    let opts = RenderOptions {
        release_name: plan.release.to_string(),
        namespace: plan.namespace.to_string(),
        is_install: true,
        is_upgrade: false,
        kube_version: None,
        api_versions: vec![],
        include_crds: true,
        ..RenderOptions::default()
    };
    let (crds, docs): (Vec<_>, Vec<_>) = helm::render(plan.chart, plan.values, &opts)
        .map_err(|e| Error::Conflict {
            message: format!("rendering failed: {e}"),
            help: None,
        })?
        .into_iter()
        .partition(is_crds_file);
    // As Helm, before anything is recorded or created: objects of the release that exist
    // already must be this release's, unless --take-ownership.
    check_ownership(
        client,
        plan.release,
        plan.namespace,
        plan.ops.take_ownership,
        &docs,
        &hints,
    )
    .await?;
    // Helm installs the charts' crds/ first, creates only the missing ones, never updates them
    // and does not record them in the release (so uninstall keeps them).
    install_crds(
        client,
        &crds,
        plan.ops.field_manager,
        plan.ops.timeout,
        &hints,
    )
    .await?;
    // NOTES.txt, which Helm keeps in the release (a failure to render it is not fatal).
    let notes = helm::render_notes(plan.chart, plan.values, &opts)
        .ok()
        .flatten()
        .unwrap_or_default();
    let chart_values = storage::chart_values(plan.chart_files)?;
    let now = storage::now_rfc3339();
    let mut rel = Release(json!({
        "name": plan.release,
        "info": {
            "first_deployed": now,
            "last_deployed": now,
            "description": "Initial install underway",
            "status": status::PENDING_INSTALL,
            "notes": notes,
        },
        "chart": storage::chart_record(plan.chart_files, &chart_values)?,
        "config": storage::go_numbers(plan.values.as_json()),
        "manifest": manifest_of(&docs),
        "hooks": hooks::records(&docs, &hints)?,
        "version": 1,
        "namespace": plan.namespace,
        "apply_method": "ssa",
    }));
    store.create(&rel).await?;

    let ops = plan.ops;
    let result = async {
        hooks::run(
            client,
            &mut rel,
            "pre-install",
            ops.field_manager,
            ops.timeout,
            &hints,
        )
        .await?;
        let n = apply_all(client, plan.release, plan.namespace, &ops, &docs, &hints).await?;
        ops.finish(client, &mut rel, "post-install").await?;
        Ok::<_, Error>(n)
    }
    .await;
    match result {
        Ok(applied) => {
            rel.set_status(status::DEPLOYED, "Install complete");
            store.update(&rel).await?;
            Ok(Outcome {
                release: rel,
                applied,
            })
        }
        Err(e) => {
            rel.set_status(
                status::FAILED,
                &format!("Release \"{}\" failed: {e}", plan.release),
            );
            // Best effort: the apply error is the one to report.
            let _ = store.update(&rel).await;
            Err(e)
        }
    }
}
