//! `upgrade`: a new revision from a new chart and/or values, merged over the deployed
//! revision's values; a chart's own rules may refuse it or adjust the values. Applying it
//! (shared with rollback) writes the revision `pending-*`, runs the `pre-*` hooks, applies,
//! prunes what the deployed revision had extra, waits, runs the `post-*` hooks, supersedes the
//! old revision and records the outcome. An interrupted operation (a `pending-*` revision) blocks
//! upgrades until `recover` marks it failed.

use kube::Client;
use serde_json::{Value, json};

use super::apply::{apply_manifest, check_ownership, manifest_docs, manifest_of, prune};
use super::hints::Hints;
use super::hooks;
use super::storage::{self, Release, Store, status};
use super::wait::{Ops, Outcome};
use crate::error::{Error, Result};
use crate::helm::{self, Chart, RenderOptions, Values};

/// What a chart's upgrade rules see: the release's kept revisions (oldest first), the revision
/// the upgrade starts from, and the new chart's version.
pub struct Proposal<'a> {
    pub history: &'a [Release],
    pub base: &'a Release,
    pub chart_version: &'a str,
}

/// A chart's rules for an upgrade: refuse it (the error says what to do instead) or adjust the
/// merged values before they are rendered.
pub type Rules<'a> = &'a dyn Fn(&Proposal<'_>, &mut Value) -> Result<()>;

/// Options of `upgrade`.
pub struct UpgradePlan<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub chart: &'a Chart,
    pub chart_files: &'a [(String, Vec<u8>)],
    /// New user values, merged over the deployed revision's (Helm's reset-then-reuse).
    pub new_values: &'a Value,
    pub ops: Ops<'a>,
    /// Mark an interrupted (pending) revision failed and go on from the last deployed one.
    pub recover: bool,
    pub rules: Rules<'a>,
}

/// An upgrade worked out but not yet applied: what `--diff` shows and `apply_upgrade` writes.
pub struct PreparedUpgrade {
    /// The revision the upgrade starts from (deployed, else the last).
    pub base: Release,
    pub deployed: Option<Release>,
    /// The new revision, `pending-upgrade`.
    pub next: Release,
    /// A pending revision that `recover` will mark failed.
    pub stale: Option<Release>,
}

/// Writes revision `next` as pending, applies it, prunes what the deployed revision had extra,
/// supersedes the old revision and records the outcome.
pub(super) async fn roll_forward(
    client: &Client,
    store: &Store,
    mut next: Release,
    deployed: Option<Release>,
    ops: Ops<'_>,
    event: &str,
    done: &str,
) -> Result<Outcome> {
    let hints = ops.hints;
    check_ownership(
        client,
        next.name(),
        next.namespace(),
        ops.take_ownership,
        &manifest_docs(next.manifest()),
        &hints,
    )
    .await?;
    store.create(&next).await?;
    let name = next.name().to_string();
    let ns = next.namespace().to_string();
    let result = async {
        let fm = ops.field_manager;
        hooks::run(
            client,
            &mut next,
            &format!("pre-{event}"),
            fm,
            ops.timeout,
            &hints,
        )
        .await?;
        let n = apply_manifest(client, &name, &ns, &ops, next.manifest(), &hints).await?;
        if let Some(old) = &deployed {
            prune(client, &name, &ns, old.manifest(), next.manifest(), &hints).await?;
        }
        ops.finish(client, &mut next, &format!("post-{event}"))
            .await?;
        Ok::<_, Error>(n)
    }
    .await;
    match result {
        Ok(applied) => {
            if let Some(mut old) = deployed {
                let desc = old.description().to_string();
                old.set_status(status::SUPERSEDED, &desc);
                store.update(&old).await?;
            }
            next.set_status(status::DEPLOYED, done);
            store.update(&next).await?;
            store.prune(&name).await?;
            Ok(Outcome {
                release: next,
                applied,
            })
        }
        Err(e) => {
            next.set_status(status::FAILED, &format!("Release \"{name}\" failed: {e}"));
            let _ = store.update(&next).await;
            Err(e)
        }
    }
}

/// Refuses to go on while the last revision is pending (another operation, or an interrupted one)
/// or being uninstalled: Helm's upgrade finds no deployed revision there either.
fn pending_guard(history: &[Release], hints: &Hints) -> Result<()> {
    if let Some(last) = history.last()
        && last.status() == status::UNINSTALLING
    {
        return Err(Error::Conflict {
            message: format!(
                "release {} has revision {} in state uninstalling: an uninstall is running or was interrupted",
                last.name(),
                last.version()
            ),
            help: Some(hints.uninstalling()),
        });
    }
    if let Some(last) = history.last()
        && last.is_pending()
    {
        return Err(Error::Conflict {
            message: format!(
                "release {} has revision {} in state {}: another operation is running or was interrupted",
                last.name(),
                last.version(),
                last.status()
            ),
            help: Some(hints.pending()),
        });
    }
    Ok(())
}

/// Upgrades to a new chart and/or values: rules, render, apply, prune, supersede.
pub async fn upgrade(client: &Client, plan: &UpgradePlan<'_>) -> Result<Outcome> {
    let prepared = prepare_upgrade(client, plan).await?;
    apply_upgrade(client, prepared, plan.ops).await
}

/// Writes a prepared upgrade: recovers a stale pending revision, then rolls forward.
pub async fn apply_upgrade(client: &Client, p: PreparedUpgrade, ops: Ops<'_>) -> Result<Outcome> {
    let store = Store::new(client, p.next.namespace(), ops.hints);
    if let Some(mut stale) = p.stale {
        stale.set_status(
            status::FAILED,
            "interrupted; recovered by upgrade --recover",
        );
        store.update(&stale).await?;
    }
    roll_forward(
        client,
        &store,
        p.next,
        p.deployed,
        ops,
        "upgrade",
        "Upgrade complete",
    )
    .await
}

/// Reads the history, merges the values, applies the chart's rules and renders the new revision.
pub async fn prepare_upgrade(client: &Client, plan: &UpgradePlan<'_>) -> Result<PreparedUpgrade> {
    let hints = plan.ops.hints;
    let store = Store::new(client, plan.namespace, hints);
    let history = store.history(plan.release).await?;
    let Some(last) = history.last() else {
        return Err(Error::Conflict {
            message: format!("release {} not found in {}", plan.release, plan.namespace),
            help: Some(hints.install_first()),
        });
    };
    let stale = if plan.recover && last.is_pending() {
        Some(last.clone())
    } else {
        pending_guard(&history, &hints)?;
        None
    };
    let deployed = history
        .iter()
        .rev()
        .find(|r| r.status() == status::DEPLOYED)
        .cloned();
    let base = deployed.as_ref().unwrap_or(last);
    let mut merged = base.config().clone();
    if !merged.is_object() {
        merged = json!({});
    }
    crate::input::merge(&mut merged, plan.new_values);
    let new_version = plan.chart.version();
    (plan.rules)(
        &Proposal {
            history: &history,
            base,
            chart_version: &new_version,
        },
        &mut merged,
    )?;
    let mut values = Values::new();
    values.add_json(&merged);
    let revision = last.version() + 1;
    let opts = RenderOptions {
        release_name: plan.release.to_string(),
        namespace: plan.namespace.to_string(),
        revision,
        is_install: false,
        is_upgrade: true,
        kube_version: None,
        ..RenderOptions::default()
    };
    let docs = helm::render(plan.chart, &values, &opts).map_err(|e| Error::Conflict {
        message: format!("rendering failed: {e}"),
        help: None,
    })?;
    let now = storage::now_rfc3339();
    let first = history
        .first()
        .map(|r| r.0["info"]["first_deployed"].clone())
        .unwrap_or(json!(now));
    let next = Release(json!({
        "name": plan.release,
        "info": {"first_deployed": first, "last_deployed": now, "description": "Preparing upgrade", "status": status::PENDING_UPGRADE, "notes": ""},
        "chart": storage::chart_record(plan.chart_files, &storage::chart_values(plan.chart_files)?)?,
        "config": storage::go_numbers(merged),
        "manifest": manifest_of(&docs),
        "hooks": hooks::records(&docs, &hints)?,
        "version": revision,
        "namespace": plan.namespace,
        "apply_method": "ssa",
    }));
    Ok(PreparedUpgrade {
        base: base.clone(),
        deployed,
        next,
        stale,
    })
}
