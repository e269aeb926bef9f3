//! `rollback`: a revision's recorded manifest and values applied again as a new revision; it also
//! recovers from an interrupted operation (a `pending-*` revision is marked failed first).

use kube::Client;
use serde_json::json;

use super::storage::{self, Release, Store, status};
use super::upgrade::roll_forward;
use super::wait::{Ops, Outcome};
use crate::error::{Error, Result};

/// Rolls back to `to` (default: the revision before the deployed one) as a new revision.
pub async fn rollback(
    client: &Client,
    release_name: &str,
    namespace: &str,
    to: Option<i64>,
    ops: Ops<'_>,
) -> Result<Outcome> {
    let store = Store::new(client, namespace, ops.hints);
    let history = store.history(release_name).await?;
    let Some(last) = history.last() else {
        return Err(Error::Conflict {
            message: format!("release {release_name} not found in {namespace}"),
            help: None,
        });
    };
    // The revision the rollback supersedes: the deployed one, or one an interrupted uninstall
    // left `uninstalling` (Helm's rollback supersedes its current revision whatever its state).
    let deployed = history
        .iter()
        .rev()
        .find(|r| r.status() == status::DEPLOYED || r.status() == status::UNINSTALLING)
        .cloned();
    let target_rev = match to {
        Some(r) => r,
        None => {
            let cur = deployed
                .as_ref()
                .map(Release::version)
                .unwrap_or(last.version());
            history
                .iter()
                .rev()
                .map(Release::version)
                .find(|v| *v < cur)
                .ok_or_else(|| Error::Conflict {
                    message: format!(
                        "release {release_name} has no revision before {cur} to roll back to"
                    ),
                    help: None,
                })?
        }
    };
    let target = history
        .iter()
        .find(|r| r.version() == target_rev)
        .ok_or_else(|| Error::Conflict {
            message: format!(
                "revision {target_rev} of {release_name} not found (kept: {})",
                history
                    .iter()
                    .map(|r| r.version().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            help: Some(ops.hints.list_revisions()),
        })?;
    // An interrupted operation leaves a pending revision: rolling back recovers from it.
    if last.is_pending() {
        let mut stale = last.clone();
        stale.set_status(status::FAILED, "interrupted; recovered by rollback");
        store.update(&stale).await?;
    }
    let mut next = target.clone();
    next.0["version"] = json!(last.version() + 1);
    next.0["info"]["last_deployed"] = json!(storage::now_rfc3339());
    next.set_status(status::PENDING_ROLLBACK, "Rollback in progress");
    roll_forward(
        client,
        &store,
        next,
        deployed,
        ops,
        "rollback",
        &format!("Rollback to {target_rev}"),
    )
    .await
}
