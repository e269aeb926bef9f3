//! Cilium releases on the cluster: install, history, get-values, uninstall. Objects are applied
//! with server-side apply under Helm's field manager and carry Helm's ownership metadata, and the
//! release is recorded the way Helm records it, so `helm` and podnet can take turns.

use std::collections::BTreeMap;

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::helm::{self, Chart, RenderOptions, Values};
use crate::kube::with_retries;
use crate::release::{self, Release, Store, status};

/// Default field manager for server-side apply: the Helm CLI's, so Helm and podnet own the same fields.
pub const FIELD_MANAGER: &str = "helm";

/// What `install` needs, already resolved.
pub struct InstallPlan<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub chart: &'a Chart,
    /// The chart archive's files (chart-relative paths), for the release record.
    pub chart_files: &'a [(String, Vec<u8>)],
    pub values: &'a Values,
    /// Server-side apply field manager; Helm's is its program name (`helm` for the CLI).
    pub field_manager: &'a str,
}

pub struct Outcome {
    pub release: Release,
    pub applied: usize,
}

fn kube_err(message: String, help: &str) -> Error {
    Error::Kube {
        message,
        help: Some(help.to_string()),
    }
}

/// Maps kinds to API resources, re-reading discovery once when a kind is unknown (after CRDs).
struct Resolver {
    client: Client,
    discovery: Discovery,
}

impl Resolver {
    async fn new(client: &Client) -> Result<Resolver> {
        let discovery = Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| crate::kube::api_error("API discovery", &e, 1))?;
        Ok(Resolver {
            client: client.clone(),
            discovery,
        })
    }

    async fn resolve(&mut self, gvk: &GroupVersionKind) -> Result<(ApiResource, ApiCapabilities)> {
        if let Some(r) = self.discovery.resolve_gvk(gvk) {
            return Ok(r);
        }
        self.discovery = Discovery::new(self.client.clone())
            .run()
            .await
            .map_err(|e| crate::kube::api_error("API discovery", &e, 1))?;
        self.discovery.resolve_gvk(gvk).ok_or_else(|| {
            kube_err(
                format!("the cluster does not serve {}/{} {}", gvk.group, gvk.version, gvk.kind),
                "install the CRD that defines it, or check the chart's --kube-version / --api-versions",
            )
        })
    }

    fn api(&self, ar: &ApiResource, caps: &ApiCapabilities, ns: &str) -> Api<DynamicObject> {
        match caps.scope {
            Scope::Namespaced => Api::namespaced_with(self.client.clone(), ns, ar),
            Scope::Cluster => Api::all_with(self.client.clone(), ar),
        }
    }
}

fn gvk_of(obj: &Value) -> Option<GroupVersionKind> {
    let api_version = obj["apiVersion"].as_str()?;
    let kind = obj["kind"].as_str()?;
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    Some(GroupVersionKind::gvk(group, version, kind))
}

/// Parses a manifest document; empty or comment-only documents give `None`.
fn parse_doc(source: &str, text: &str) -> Result<Option<Value>> {
    let v: Value = serde_saphyr::from_str(text).map_err(|e| Error::Input {
        location: source.to_string(),
        message: format!(
            "rendered document is not valid YAML: {}",
            e.without_snippet()
        ),
        help: Some(
            "the chart rendered invalid YAML; `kubectl podnet cilium template` shows it".into(),
        ),
    })?;
    Ok(if v.is_object() { Some(v) } else { None })
}

fn object_ref(obj: &Value) -> String {
    format!(
        "{}/{}",
        obj["kind"].as_str().unwrap_or("?"),
        obj["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// Helm's ownership metadata on every object of the release.
fn own(obj: &mut Value, release: &str, namespace: &str) {
    let meta = &mut obj["metadata"];
    if !meta["labels"].is_object() {
        meta["labels"] = json!({});
    }
    meta["labels"]["app.kubernetes.io/managed-by"] = json!("Helm");
    if !meta["annotations"].is_object() {
        meta["annotations"] = json!({});
    }
    meta["annotations"]["meta.helm.sh/release-name"] = json!(release);
    meta["annotations"]["meta.helm.sh/release-namespace"] = json!(namespace);
}

fn manifest_of(docs: &[helm::RenderedDoc]) -> String {
    docs.iter()
        .filter(|d| !d.hook)
        .map(|d| format!("---\n# Source: {}\n{}\n", d.source, d.content))
        .collect()
}

/// Installs a new release: refuses when one exists, records `pending-install`, applies every
/// object in Helm's order, then records `deployed` (or `failed` with the reason).
pub async fn install(client: &Client, plan: &InstallPlan<'_>) -> Result<Outcome> {
    let store = Store::new(client, plan.namespace);
    let existing = store.history(plan.release).await?;
    if let Some(last) = existing.last() {
        let hint = if last.is_pending() {
            "another operation is in progress or was interrupted; wait for it, or recover with `kubectl podnet cilium rollback`"
        } else {
            "use `kubectl podnet cilium upgrade`, or uninstall first"
        };
        return Err(Error::Conflict {
            message: format!(
                "release {} already exists in {} (revision {}, {})",
                plan.release,
                plan.namespace,
                last.version(),
                last.status()
            ),
            help: Some(hint.into()),
        });
    }
    let opts = RenderOptions {
        release_name: plan.release.to_string(),
        namespace: plan.namespace.to_string(),
        revision: 1,
        is_install: true,
        is_upgrade: false,
        kube_version: None,
        api_versions: vec![],
    };
    let docs = helm::render(plan.chart, plan.values, &opts).map_err(|e| Error::Conflict {
        message: format!("rendering failed: {e}"),
        help: None,
    })?;
    // NOTES.txt, which Helm keeps in the release (a failure to render it is not fatal).
    let notes = helm::render::render_files(
        plan.chart,
        &helm::funcs::from_serde(&plan.values.as_json()),
        &opts,
    )
    .ok()
    .and_then(|f| {
        f.into_iter()
            .find(|(k, _)| k.ends_with("templates/NOTES.txt"))
            .map(|(_, v)| v)
    })
    .unwrap_or_default();
    let chart_values = chart_values(plan.chart_files)?;
    let now = release::now_rfc3339();
    let mut rel = Release(json!({
        "name": plan.release,
        "info": {
            "first_deployed": now,
            "last_deployed": now,
            "description": "Initial install underway",
            "status": status::PENDING_INSTALL,
            "notes": notes,
        },
        "chart": release::chart_record(plan.chart_files, &chart_values)?,
        "config": plan.values.as_json(),
        "manifest": manifest_of(&docs),
        "version": 1,
        "namespace": plan.namespace,
        "apply_method": "ssa",
    }));
    store.create(&rel).await?;

    match apply_all(
        client,
        plan.release,
        plan.namespace,
        plan.field_manager,
        &docs,
    )
    .await
    {
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

/// The chart's own values.yaml, JSON-typed as Helm records it.
fn chart_values(files: &[(String, Vec<u8>)]) -> Result<Value> {
    let Some((_, bytes)) = files.iter().find(|(n, _)| n == "values.yaml") else {
        return Ok(json!({}));
    };
    let mut v = Values::new();
    v.add_yaml_file("values.yaml", &String::from_utf8_lossy(bytes))
        .map_err(|e| Error::Conflict {
            message: format!("chart values.yaml: {e}"),
            help: None,
        })?;
    Ok(v.as_json())
}

async fn apply_all(
    client: &Client,
    release: &str,
    namespace: &str,
    field_manager: &str,
    docs: &[helm::RenderedDoc],
) -> Result<usize> {
    let mut resolver = Resolver::new(client).await?;
    let pp = PatchParams::apply(field_manager).force();
    let mut n = 0;
    for d in docs.iter().filter(|d| !d.hook) {
        let Some(mut obj) = parse_doc(&d.source, &d.content)? else {
            continue;
        };
        let gvk = gvk_of(&obj).ok_or_else(|| Error::Input {
            location: d.source.clone(),
            message: "a rendered document has no apiVersion or kind".into(),
            help: None,
        })?;
        let (ar, caps) = resolver.resolve(&gvk).await?;
        own(&mut obj, release, namespace);
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string();
        if caps.scope == Scope::Namespaced {
            obj["metadata"]["namespace"] = json!(ns);
        }
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let api = resolver.api(&ar, &caps, &ns);
        let what = format!("apply {} ({})", object_ref(&obj), d.source);
        let patch = Patch::Apply(&obj);
        with_retries(&what, || api.patch(&name, &pp, &patch)).await?;
        tracing::info!("applied {}", object_ref(&obj));
        n += 1;
    }
    Ok(n)
}

/// Removes the release's objects (never anything it does not own; never aws-node; CRDs only
/// with `purge_crds`) and its records. Returns (deleted, kept-with-reason).
pub async fn uninstall(
    client: &Client,
    release_name: &str,
    namespace: &str,
    purge_crds: bool,
) -> Result<(Vec<String>, Vec<String>)> {
    let store = Store::new(client, namespace);
    let history = store.history(release_name).await?;
    let Some(last) = history.last() else {
        return Err(Error::Conflict {
            message: format!("release {release_name} not found in {namespace}"),
            help: Some(
                "`kubectl podnet cilium history` or `helm list -A` shows the releases".into(),
            ),
        });
    };
    let mut resolver = Resolver::new(client).await?;
    let docs = helm::render::split_manifests(last.manifest());
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    for text in docs.iter().rev() {
        let Some(obj) = parse_doc("release manifest", text)? else {
            continue;
        };
        let Some(gvk) = gvk_of(&obj) else { continue };
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let r = object_ref(&obj);
        if name == "aws-node" {
            kept.push(format!("{r} (podnet never touches aws-node)"));
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
        deleted.push(r);
    }
    if purge_crds {
        purge_cilium_crds(client, &mut deleted).await?;
    }
    for r in &history {
        store.delete(r).await?;
    }
    Ok((deleted, kept))
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

/// Revision table rows: (revision, updated, status, chart, app version, description).
pub fn history_rows(history: &[Release]) -> Vec<[String; 6]> {
    history
        .iter()
        .map(|r| {
            [
                r.version().to_string(),
                r.updated().to_string(),
                r.status().to_string(),
                format!("{}-{}", r.chart_name(), r.chart_version()),
                r.app_version().to_string(),
                r.description().to_string(),
            ]
        })
        .collect()
}

/// Counts of objects per kind in a manifest, for a short install summary.
pub fn kinds(manifest: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for d in helm::render::split_manifests(manifest) {
        if let Some(k) = d.lines().find_map(|l| l.strip_prefix("kind: ")) {
            *m.entry(k.trim().to_string()).or_default() += 1;
        }
    }
    m
}
