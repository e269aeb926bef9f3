//! `uninstall`: the release's objects deleted in reverse install order (never an object it does
//! not own, never a protected one, CRDs only when asked), then its records. The two steps are
//! separate so a chart's layer can clean up its own leftovers in between.

use std::time::{Duration, Instant};

use kube::Client;
use kube::api::DeleteParams;

use super::apply::{PROTECTED, Resolver, gvk_of, object_ref, parse_doc};
use super::hints::Hints;
use super::storage::{Release, Store, status};
use crate::error::{Error, Result};
use crate::helm;
use crate::kube::with_retries;

/// What [`delete_objects`] did, and the records [`forget`] deletes afterwards.
pub struct Removal {
    pub history: Vec<Release>,
    pub deleted: Vec<String>,
    /// Objects left in place, each with the reason.
    pub kept: Vec<String>,
}

/// Removes the release's objects and its records. Returns (deleted, kept-with-reason).
pub async fn uninstall(
    client: &Client,
    release_name: &str,
    namespace: &str,
    purge_crds: bool,
    timeout: Duration,
    hints: &Hints,
) -> Result<(Vec<String>, Vec<String>)> {
    let removal =
        delete_objects(client, release_name, namespace, purge_crds, timeout, hints).await?;
    forget(client, namespace, &removal.history, hints).await?;
    Ok((removal.deleted, removal.kept))
}

/// Deletes the objects of the release's last revision (owned ones only; CRDs only with
/// `purge_crds`), then waits up to `timeout` for them to be gone: an object a finalizer holds
/// (deletionTimestamp set, finalizers left) is reported in `kept` with its finalizers, never
/// waited on longer. The records stay until [`forget`].
pub async fn delete_objects(
    client: &Client,
    release_name: &str,
    namespace: &str,
    purge_crds: bool,
    timeout: Duration,
    hints: &Hints,
) -> Result<Removal> {
    let store = Store::new(client, namespace, *hints);
    let history = store.history(release_name).await?;
    let Some(last) = history.last() else {
        return Err(Error::Conflict {
            message: format!("release {release_name} not found in {namespace}"),
            help: Some(hints.list_releases()),
        });
    };
    // As Helm does: the last revision says `uninstalling` before anything is deleted, so an
    // uninstall cut short is seen (by `status`, `helm history`) and finished by the next one.
    if last.status() != status::UNINSTALLING {
        let mut marked = last.clone();
        marked.set_status(
            status::UNINSTALLING,
            "Deletion in progress (or silently failed)",
        );
        marked.set_deleted_now();
        store.update(&marked).await?;
    }
    let mut resolver = Resolver::new(client).await?;
    let docs = helm::split_manifests(last.manifest());
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    let mut gone = Vec::new();
    for text in docs.iter().rev() {
        let Some(obj) = parse_doc("release manifest", text, hints)? else {
            continue;
        };
        let Some(gvk) = gvk_of(&obj) else { continue };
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let r = object_ref(&obj);
        if PROTECTED.contains(&name.as_str()) {
            kept.push(format!("{r} (podnet never touches {name})"));
            continue;
        }
        if gvk.kind == "CustomResourceDefinition" && !purge_crds {
            kept.push(format!("{r} (CRDs are kept; --purge-crds removes them)"));
            continue;
        }
        let Ok((ar, caps)) = resolver.resolve(&gvk).await else {
            kept.push(format!("{r} (its kind is no longer served)"));
            continue;
        };
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string();
        let api = resolver.api(&ar, &caps, &ns);
        let live = crate::kube::get_opt(&api, &name, &format!("get {r}")).await?;
        let Some(live) = live else { continue };
        let owner = live
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("meta.helm.sh/release-name"))
            .map(String::as_str);
        if owner != Some(release_name) {
            kept.push(format!("{r} (not owned by release {release_name})"));
            continue;
        }
        let dp = DeleteParams::background();
        with_retries(&format!("delete {r}"), || api.delete(&name, &dp)).await?;
        gone.push((api, name, r));
    }
    // Deleted objects without finalizers vanish at once; the others stay, terminating, until
    // whatever owns the finalizer removes it. Wait for them, but never past `timeout`.
    let deadline = Instant::now() + timeout;
    loop {
        let mut held = Vec::new();
        for (api, name, r) in &gone {
            if let Some(live) = crate::kube::get_opt(api, name, &format!("get {r}")).await? {
                held.push((r.clone(), live.metadata.finalizers.unwrap_or_default()));
            }
        }
        if held.is_empty() || Instant::now() >= deadline {
            let held_refs: Vec<&String> = held.iter().map(|(r, _)| r).collect();
            for (_, _, r) in &gone {
                if !held_refs.contains(&r) {
                    deleted.push(r.clone());
                }
            }
            for (r, finalizers) in held {
                kept.push(format!(
                    "{r} (terminating after {timeout:?}: finalizers [{}] hold it until their controller removes them; \
                     if none will, `kubectl patch` the object with finalizers set to null)",
                    finalizers.join(", ")
                ));
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(Removal {
        history,
        deleted,
        kept,
    })
}

/// Deletes the release's records (every kept revision).
pub async fn forget(
    client: &Client,
    namespace: &str,
    history: &[Release],
    hints: &Hints,
) -> Result<()> {
    let store = Store::new(client, namespace, *hints);
    for r in history {
        store.delete(r).await?;
    }
    Ok(())
}
