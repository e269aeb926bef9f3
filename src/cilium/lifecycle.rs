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
    pub ops: Ops<'a>,
}

/// How changes are applied and awaited, shared by install, upgrade and rollback.
#[derive(Clone, Copy)]
pub struct Ops<'a> {
    /// Server-side apply field manager; Helm's is its program name (`helm` for the CLI).
    pub field_manager: &'a str,
    /// Limit for hooks and for `wait`.
    pub timeout: std::time::Duration,
    /// Wait for Cilium to be ready before the post-hooks (Helm's `--wait`), reporting progress here.
    pub wait: Option<&'a dyn Fn(&str)>,
}

impl Ops<'_> {
    /// Helm's order after applying: wait (if asked), then the `post` hooks.
    async fn finish(&self, client: &Client, rel: &mut Release, post: &str) -> Result<()> {
        if let Some(progress) = self.wait {
            wait_ready(client, rel.name(), rel.namespace(), self.timeout, progress).await?;
        }
        super::hooks::run(client, rel, post, self.field_manager, self.timeout).await?;
        Ok(())
    }
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
pub(super) struct Resolver {
    client: Client,
    discovery: Discovery,
}

impl Resolver {
    pub(super) async fn new(client: &Client) -> Result<Resolver> {
        let discovery = Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| crate::kube::api_error("API discovery", &e, 1))?;
        Ok(Resolver {
            client: client.clone(),
            discovery,
        })
    }

    pub(super) async fn resolve(
        &mut self,
        gvk: &GroupVersionKind,
    ) -> Result<(ApiResource, ApiCapabilities)> {
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

    pub(super) fn api(
        &self,
        ar: &ApiResource,
        caps: &ApiCapabilities,
        ns: &str,
    ) -> Api<DynamicObject> {
        match caps.scope {
            Scope::Namespaced => Api::namespaced_with(self.client.clone(), ns, ar),
            Scope::Cluster => Api::all_with(self.client.clone(), ar),
        }
    }
}

pub(super) fn gvk_of(obj: &Value) -> Option<GroupVersionKind> {
    let api_version = obj["apiVersion"].as_str()?;
    let kind = obj["kind"].as_str()?;
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    Some(GroupVersionKind::gvk(group, version, kind))
}

/// Parses a manifest document; empty or comment-only documents give `None`.
pub(super) fn parse_doc(source: &str, text: &str) -> Result<Option<Value>> {
    // Manifests are read as Kubernetes reads them (YAML 1.1): `0400` is octal 256, and a
    // whole number stays an integer so int32 fields accept it.
    let opts = serde_saphyr::options! { legacy_octal_numbers: true };
    let v: Value = serde_saphyr::from_str_with_options(text, opts).map_err(|e| Error::Input {
        location: source.to_string(),
        message: format!(
            "rendered document is not valid YAML: {}",
            e.without_snippet()
        ),
        help: Some(
            "the chart rendered invalid YAML; `kubectl podnet cilium template` shows it".into(),
        ),
    })?;
    Ok(if v.is_object() {
        Some(release::go_numbers(v))
    } else {
        None
    })
}

pub(super) fn object_ref(obj: &Value) -> String {
    format!(
        "{}/{}",
        obj["kind"].as_str().unwrap_or("?"),
        obj["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// Helm's ownership metadata on every object of the release.
pub(super) fn own(obj: &mut Value, release: &str, namespace: &str) {
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
            "another operation is in progress or was interrupted; wait for it, or recover with `kubectl podnet cilium upgrade --recover`"
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
    // Helm installs the charts' crds/ first, creates only the missing ones, never updates them
    // and does not record them in the release (so uninstall keeps them).
    install_crds(client, &crds, plan.ops.field_manager).await?;
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
        "config": release::go_numbers(plan.values.as_json()),
        "manifest": manifest_of(&docs),
        "hooks": super::hooks::records(&docs)?,
        "version": 1,
        "namespace": plan.namespace,
        "apply_method": "ssa",
    }));
    store.create(&rel).await?;

    let ops = plan.ops;
    let result = async {
        super::hooks::run(
            client,
            &mut rel,
            "pre-install",
            ops.field_manager,
            ops.timeout,
        )
        .await?;
        let n = apply_all(
            client,
            plan.release,
            plan.namespace,
            ops.field_manager,
            &docs,
        )
        .await?;
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

/// A document from a chart's `crds/` folder (not a template).
fn is_crds_file(d: &helm::RenderedDoc) -> bool {
    d.source.split('/').any(|seg| seg == "crds") && !d.source.contains("/templates/")
}

async fn install_crds(
    client: &Client,
    files: &[helm::RenderedDoc],
    field_manager: &str,
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let api: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    for f in files {
        for text in helm::render::split_manifests(&f.content) {
            let Some(obj) = parse_doc(&f.source, &text)? else {
                continue;
            };
            let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
            let what = format!("CustomResourceDefinition/{name} ({})", f.source);
            if crate::kube::get_opt(&api, &name, &format!("get {what}"))
                .await?
                .is_some()
            {
                continue;
            }
            let pp = PatchParams::apply(field_manager);
            let patch = Patch::Apply(&obj);
            with_retries(&format!("create {what}"), || api.patch(&name, &pp, &patch)).await?;
        }
    }
    Ok(())
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

/// Options of `upgrade`.
pub struct UpgradePlan<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub chart: &'a Chart,
    pub chart_files: &'a [(String, Vec<u8>)],
    /// New user values, merged over the deployed revision's (Helm's reset-then-reuse).
    pub new_values: &'a serde_json::Value,
    pub ops: Ops<'a>,
    /// Allow a minor skip or a downgrade.
    pub force: bool,
    /// Mark an interrupted (pending) revision failed and go on from the last deployed one.
    pub recover: bool,
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

/// `(major, minor, patch)` of a chart version such as `1.17.6-0`.
fn mmp(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim_start_matches('v').split(['-', '+']).next()?;
    let mut p = core.split('.').map(|x| x.parse::<u64>().ok());
    Some((p.next()??, p.next()??, p.next().flatten().unwrap_or(0)))
}

/// Keys the AWS guide forbids changing after install.
const FROZEN: [&str; 3] = [
    "ipam.mode",
    "ipam.operator.clusterPoolIPv4PodCIDRList",
    "ipam.operator.clusterPoolIPv4MaskSize",
];

/// The checks `upgrade` makes before touching anything; errors say what to do instead.
pub fn upgrade_guards(
    old_chart: &str,
    new_chart: &str,
    old_values: &Value,
    new_values: &Value,
    force: bool,
) -> Result<()> {
    for key in FROZEN {
        let (a, b) = (
            crate::input::get(old_values, key),
            crate::input::get(new_values, key),
        );
        if a != b {
            return Err(Error::Conflict {
                message: format!(
                    "the upgrade changes {key} ({} → {}); Cilium cannot renumber running pods",
                    a.map(ToString::to_string).unwrap_or_else(|| "chart default".into()),
                    b.map(ToString::to_string).unwrap_or_else(|| "chart default".into())
                ),
                help: Some("keep the deployed value; to grow the pool, add a new CIDR in a planned migration (AWS: do not change clusterPoolIPv4PodCIDRList or clusterPoolIPv4MaskSize after deploying)".into()),
            });
        }
    }
    let (Some(o), Some(n)) = (mmp(old_chart), mmp(new_chart)) else {
        return Ok(());
    };
    if force {
        return Ok(());
    }
    if n < o {
        return Err(Error::Conflict {
            message: format!(
                "chart {new_chart} is older than the deployed {old_chart}: a downgrade"
            ),
            help: Some(
                "use `kubectl podnet cilium rollback` to return to an earlier revision, or --force"
                    .into(),
            ),
        });
    }
    if n.0 == o.0 && n.1 > o.1 + 1 {
        return Err(Error::Conflict {
            message: format!(
                "{old_chart} → {new_chart} skips a minor version; Cilium supports one minor at a time"
            ),
            help: Some(format!(
                "go one minor at a time: the newest 1.{}.x patch first, then the newest 1.{}.x, … up to 1.{} (`kubectl podnet cilium versions` lists them)",
                o.1,
                o.1 + 1,
                n.1
            )),
        });
    }
    Ok(())
}

fn identity(obj: &Value, namespace: &str) -> String {
    format!(
        "{}|{}|{}|{}",
        obj["apiVersion"].as_str().unwrap_or(""),
        obj["kind"].as_str().unwrap_or(""),
        obj["metadata"]["namespace"].as_str().unwrap_or(namespace),
        obj["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// Deletes objects of `old_manifest` that `new_manifest` no longer has (owned ones only).
async fn prune(
    client: &Client,
    release_name: &str,
    namespace: &str,
    old_manifest: &str,
    new_manifest: &str,
) -> Result<Vec<String>> {
    let keep: std::collections::HashSet<String> = helm::render::split_manifests(new_manifest)
        .iter()
        .filter_map(|d| parse_doc("release manifest", d).ok().flatten())
        .map(|o| identity(&o, namespace))
        .collect();
    let mut resolver = Resolver::new(client).await?;
    let mut deleted = Vec::new();
    for text in helm::render::split_manifests(old_manifest).iter().rev() {
        let Some(obj) = parse_doc("release manifest", text)? else {
            continue;
        };
        if keep.contains(&identity(&obj, namespace)) {
            continue;
        }
        let (Some(gvk), Some(name)) = (gvk_of(&obj), obj["metadata"]["name"].as_str()) else {
            continue;
        };
        if name == "aws-node" || gvk.kind == "CustomResourceDefinition" {
            continue;
        }
        let Ok((ar, caps)) = resolver.resolve(&gvk).await else {
            continue;
        };
        let ns = obj["metadata"]["namespace"].as_str().unwrap_or(namespace);
        let api = resolver.api(&ar, &caps, ns);
        let Some(live) =
            crate::kube::get_opt(&api, name, &format!("get {}", object_ref(&obj))).await?
        else {
            continue;
        };
        let owned = live
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("meta.helm.sh/release-name"))
            .map(String::as_str)
            == Some(release_name);
        if owned {
            let dp = DeleteParams::background();
            with_retries(&format!("delete {}", object_ref(&obj)), || {
                api.delete(name, &dp)
            })
            .await?;
            deleted.push(object_ref(&obj));
        }
    }
    Ok(deleted)
}

/// Applies every document of a stored manifest (rollback re-applies what a revision recorded).
async fn apply_manifest(
    client: &Client,
    release: &str,
    namespace: &str,
    field_manager: &str,
    manifest: &str,
) -> Result<usize> {
    let docs: Vec<helm::RenderedDoc> = helm::render::split_manifests(manifest)
        .into_iter()
        .map(|text| {
            let source = text
                .lines()
                .find_map(|l| l.strip_prefix("# Source: "))
                .unwrap_or("release manifest")
                .to_string();
            helm::RenderedDoc {
                source,
                content: text,
                kind: String::new(),
                hook: false,
            }
        })
        .collect();
    apply_all(client, release, namespace, field_manager, &docs).await
}

/// Writes revision `next` as pending, applies it, prunes what the deployed revision had extra,
/// supersedes the old revision and records the outcome.
async fn roll_forward(
    client: &Client,
    store: &Store,
    mut next: Release,
    deployed: Option<Release>,
    ops: Ops<'_>,
    event: &str,
    done: &str,
) -> Result<Outcome> {
    store.create(&next).await?;
    let name = next.name().to_string();
    let ns = next.namespace().to_string();
    let result = async {
        let fm = ops.field_manager;
        super::hooks::run(client, &mut next, &format!("pre-{event}"), fm, ops.timeout).await?;
        let n = apply_manifest(client, &name, &ns, fm, next.manifest()).await?;
        if let Some(old) = &deployed {
            prune(client, &name, &ns, old.manifest(), next.manifest()).await?;
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

fn pending_guard(history: &[Release]) -> Result<()> {
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
            help: Some("wait for it to finish; if it was interrupted, `kubectl podnet cilium upgrade --recover` goes on from the last deployed revision and `kubectl podnet cilium rollback` returns to it".into()),
        });
    }
    Ok(())
}

/// Upgrades to a new chart and/or values: guards, render, apply, prune, supersede.
pub async fn upgrade(client: &Client, plan: &UpgradePlan<'_>) -> Result<Outcome> {
    let prepared = prepare_upgrade(client, plan).await?;
    apply_upgrade(client, prepared, plan.ops).await
}

/// Writes a prepared upgrade: recovers a stale pending revision, then rolls forward.
pub async fn apply_upgrade(client: &Client, p: PreparedUpgrade, ops: Ops<'_>) -> Result<Outcome> {
    let store = Store::new(client, p.next.namespace());
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

/// Reads the history, checks the guards, merges the values and renders the new revision.
pub async fn prepare_upgrade(client: &Client, plan: &UpgradePlan<'_>) -> Result<PreparedUpgrade> {
    let store = Store::new(client, plan.namespace);
    let history = store.history(plan.release).await?;
    let Some(last) = history.last() else {
        return Err(Error::Conflict {
            message: format!("release {} not found in {}", plan.release, plan.namespace),
            help: Some("install it first: kubectl podnet cilium install".into()),
        });
    };
    let stale = if plan.recover && last.is_pending() {
        Some(last.clone())
    } else {
        pending_guard(&history)?;
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
    let new_version = plan
        .chart
        .metadata
        .get("version")
        .map(|v| helm::funcs::strval(&v))
        .unwrap_or_default();
    upgrade_guards(
        base.chart_version(),
        &new_version,
        base.config(),
        &merged,
        plan.force,
    )?;
    if crate::input::get(&merged, "upgradeCompatibility").is_none()
        && let Some((maj, min, _)) = history.first().and_then(|r| mmp(r.chart_version()))
        && mmp(&new_version).is_some_and(|n| (n.0, n.1) != (maj, min))
    {
        merged["upgradeCompatibility"] = json!(format!("{maj}.{min}"));
    }
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
    let now = release::now_rfc3339();
    let first = history
        .first()
        .map(|r| r.0["info"]["first_deployed"].clone())
        .unwrap_or(json!(now));
    let next = Release(json!({
        "name": plan.release,
        "info": {"first_deployed": first, "last_deployed": now, "description": "Preparing upgrade", "status": status::PENDING_UPGRADE, "notes": ""},
        "chart": release::chart_record(plan.chart_files, &chart_values(plan.chart_files)?)?,
        "config": release::go_numbers(merged),
        "manifest": manifest_of(&docs),
        "hooks": super::hooks::records(&docs)?,
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

/// Rolls back to `to` (default: the revision before the deployed one) as a new revision.
pub async fn rollback(
    client: &Client,
    release_name: &str,
    namespace: &str,
    to: Option<i64>,
    ops: Ops<'_>,
) -> Result<Outcome> {
    let store = Store::new(client, namespace);
    let history = store.history(release_name).await?;
    let Some(last) = history.last() else {
        return Err(Error::Conflict {
            message: format!("release {release_name} not found in {namespace}"),
            help: None,
        });
    };
    let deployed = history
        .iter()
        .rev()
        .find(|r| r.status() == status::DEPLOYED)
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
            help: Some("`kubectl podnet cilium history` lists the revisions".into()),
        })?;
    // An interrupted operation leaves a pending revision: rolling back recovers from it.
    if last.is_pending() {
        let mut stale = last.clone();
        stale.set_status(status::FAILED, "interrupted; recovered by rollback");
        store.update(&stale).await?;
    }
    let mut next = target.clone();
    next.0["version"] = json!(last.version() + 1);
    next.0["info"]["last_deployed"] = json!(release::now_rfc3339());
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

/// What `cilium status` reports: facts plus findings.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub release: Option<Value>,
    pub agent: Option<Value>,
    pub operator: Option<Value>,
    pub hybrid_nodes: usize,
    pub hybrid_nodes_without_agent: Vec<String>,
    pub pool: Option<Value>,
    pub findings: Vec<crate::report::Finding>,
}

fn images(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> Vec<String> {
    spec.map(|s| {
        s.containers
            .iter()
            .filter_map(|c| c.image.clone())
            .collect()
    })
    .unwrap_or_default()
}

/// Release, agent and operator readiness, hybrid nodes without an agent, pool usage.
pub async fn status(client: &Client, release_name: &str, namespace: &str) -> Result<StatusReport> {
    use crate::report::Finding;
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
    use k8s_openapi::api::core::v1::{Node, Pod};
    let mut findings = Vec::new();
    let history = Store::new(client, namespace).history(release_name).await?;
    let last = history.last();
    match last {
        None => findings.push(
            Finding::error(
                "release-not-found",
                format!("no release {release_name} in {namespace}"),
            )
            .fix("kubectl podnet cilium install"),
        ),
        Some(r) if r.status() != status::DEPLOYED => findings.push(
            Finding::error(
                "release-not-deployed",
                format!(
                    "revision {} is {}: {}",
                    r.version(),
                    r.status(),
                    r.description()
                ),
            )
            .fix("kubectl podnet cilium rollback, or upgrade again"),
        ),
        Some(_) => {}
    }
    let release = last.map(|r| json!({"name": r.name(), "revision": r.version(), "status": r.status(), "chart": format!("{}-{}", r.chart_name(), r.chart_version()), "updated": r.updated()}));

    let ds_api: Api<DaemonSet> = Api::namespaced(client.clone(), namespace);
    let agent = crate::kube::get_opt(&ds_api, "cilium", "get daemonset cilium").await?;
    let agent_json = agent.as_ref().map(|d| {
        let s = d.status.clone().unwrap_or_default();
        json!({"desired": s.desired_number_scheduled, "ready": s.number_ready, "updated": s.updated_number_scheduled.unwrap_or(0), "available": s.number_available.unwrap_or(0),
               "images": images(d.spec.as_ref().and_then(|s| s.template.spec.as_ref()))})
    });
    if let Some(a) = &agent_json
        && a["ready"] != a["desired"]
    {
        findings.push(Finding::error("agent-not-ready", format!("cilium agents ready {}/{}", a["ready"], a["desired"])).fix("kubectl -n kube-system get pods -l k8s-app=cilium -o wide; kubectl describe the ones not Ready"));
    }
    let dep_api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let op = crate::kube::get_opt(
        &dep_api,
        "cilium-operator",
        "get deployment cilium-operator",
    )
    .await?;
    let op_json = op.as_ref().map(|d| {
        let s = d.status.clone().unwrap_or_default();
        json!({"replicas": d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1), "available": s.available_replicas.unwrap_or(0),
               "images": images(d.spec.as_ref().and_then(|s| s.template.spec.as_ref()))})
    });
    if let Some(o) = &op_json
        && o["available"].as_i64().unwrap_or(0) < o["replicas"].as_i64().unwrap_or(1)
    {
        findings.push(
            Finding::error(
                "operator-not-available",
                format!(
                    "cilium-operator available {}/{}",
                    o["available"], o["replicas"]
                ),
            )
            .fix("kubectl -n kube-system describe deployment cilium-operator"),
        );
    }

    let mut hybrid = Vec::new();
    let nodes: Api<Node> = Api::all(client.clone());
    crate::kube::list_pages(
        &nodes,
        kube::api::ListParams::default().labels("eks.amazonaws.com/compute-type=hybrid"),
        "list hybrid nodes",
        |page| {
            hybrid.extend(page.into_iter().filter_map(|n| n.metadata.name));
        },
    )
    .await?;
    let mut with_agent = std::collections::HashSet::new();
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    crate::kube::list_pages(
        &pods,
        kube::api::ListParams::default().labels("k8s-app=cilium"),
        "list cilium agent pods",
        |page| {
            for p in page {
                let ready = p
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
                if ready && let Some(n) = p.spec.and_then(|s| s.node_name) {
                    with_agent.insert(n);
                }
            }
        },
    )
    .await?;
    let without: Vec<String> = hybrid
        .iter()
        .filter(|n| !with_agent.contains(*n))
        .cloned()
        .collect();
    if !without.is_empty() {
        findings.push(
            Finding::error(
                "hybrid-node-without-agent",
                format!(
                    "{} hybrid node(s) have no ready Cilium agent: {}",
                    without.len(),
                    without.join(", ")
                ),
            )
            .fix("check the agent's affinity and the pods' events on those nodes"),
        );
    }

    // Pool usage: node blocks handed out (CiliumNodes) against the release's pool.
    let pool = match last {
        Some(r) => {
            let cfg = r.config();
            let list: Vec<crate::net::Ipv4Net> =
                crate::input::get(cfg, "ipam.operator.clusterPoolIPv4PodCIDRList")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|c| c.as_str()?.parse().ok()).collect())
                    .unwrap_or_default();
            let mask = crate::input::get(cfg, "ipam.operator.clusterPoolIPv4MaskSize")
                .and_then(Value::as_f64)
                .map_or(super::versions::CHART_DEFAULT_MASK, |m| m as u8);
            let gvk = GroupVersionKind::gvk("cilium.io", "v2", "CiliumNode");
            let ar = ApiResource::from_gvk_with_plural(&gvk, "ciliumnodes");
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
            let params = kube::api::ListParams::default();
            let used = match with_retries("list ciliumnodes", || api.list(&params)).await {
                Ok(l) => Some(
                    l.items
                        .iter()
                        .map(|n| {
                            n.data["spec"]["ipam"]["podCIDRs"]
                                .as_array()
                                .map_or(0, Vec::len)
                        })
                        .sum::<usize>(),
                ),
                Err(_) => None,
            };
            (!list.is_empty()).then(|| {
                let cap = crate::net::pool_capacity(&list, mask);
                if let Some(u) = used
                    && crate::net::utilisation(u as u64, cap.blocks) > 80.0
                {
                    findings.push(Finding::warning("pool-nearly-full", format!("{u} of {} /{mask} node blocks are in use", cap.blocks)).fix("add a pod CIDR to the pool before adding nodes"));
                }
                json!({"cidrs": list.iter().map(ToString::to_string).collect::<Vec<_>>(), "mask": mask, "blocks": cap.blocks.to_string(), "blocksInUse": used})
            })
        }
        None => None,
    };
    Ok(StatusReport {
        release,
        agent: agent_json,
        operator: op_json,
        hybrid_nodes: hybrid.len(),
        hybrid_nodes_without_agent: without,
        pool,
        findings,
    })
}

/// Release name of the preflight check (AWS's guide uses the same).
pub const PREFLIGHT_RELEASE: &str = "cilium-preflight";

/// Result of `upgrade --preflight`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    pub passed: bool,
    pub chart: String,
    /// Nodes that run the Cilium agent, and on which the preflight pod must be ready.
    pub agent_nodes: usize,
    pub ready_nodes: usize,
    pub deployment_ready: bool,
    /// Why it did not pass: pods not ready and their reasons.
    pub problems: Vec<String>,
    pub cleaned_up: bool,
}

/// AWS's preflight, steps 2–5 as one: render the target chart with `preflight.enabled=true`,
/// `agent=false`, `operator.enabled=false` as release `cilium-preflight`, wait until the
/// pre-flight DaemonSet is ready on every node running the agent and its Deployment is ready,
/// then remove it, whatever happened.
pub async fn preflight(
    client: &Client,
    namespace: &str,
    chart: &Chart,
    chart_files: &[(String, Vec<u8>)],
    base: &Value,
    field_manager: &str,
    timeout: std::time::Duration,
) -> Result<PreflightReport> {
    let store = Store::new(client, namespace);
    if !store.history(PREFLIGHT_RELEASE).await?.is_empty() {
        uninstall(client, PREFLIGHT_RELEASE, namespace, false).await?;
    }
    let mut v = base.clone();
    if !v.is_object() {
        v = json!({});
    }
    crate::input::merge(
        &mut v,
        &json!({"preflight": {"enabled": true}, "agent": false, "operator": {"enabled": false}}),
    );
    // Run the check where the agent runs: reuse the agent's affinity for the pre-flight pods.
    if let Some(aff) = crate::input::get(base, "affinity").filter(|a| a.is_object()) {
        v["preflight"]["affinity"] = aff.clone();
    }
    let mut values = Values::new();
    values.add_json(&v);
    let version = chart
        .metadata
        .get("version")
        .map(|x| helm::funcs::strval(&x))
        .unwrap_or_default();
    let plan = InstallPlan {
        release: PREFLIGHT_RELEASE,
        namespace,
        chart,
        chart_files,
        values: &values,
        ops: Ops {
            field_manager,
            timeout,
            wait: None,
        },
    };
    // Ctrl-C stops the wait, not the clean-up: the pre-flight objects never outlive the command.
    let waited = tokio::select! {
        w = async {
            match install(client, &plan).await {
                Ok(_) => wait_preflight(client, namespace, timeout).await,
                Err(e) => Err(Error::Conflict {
                    message: format!("preflight install failed: {e}"),
                    help: None,
                }),
            }
        } => w,
        _ = tokio::signal::ctrl_c() => Err(Error::Conflict {
            message: "preflight interrupted (Ctrl-C)".into(),
            help: Some(format!("{PREFLIGHT_RELEASE} was removed; run the preflight again")),
        }),
    };
    // Clean up on every path; report a clean-up failure next to the result.
    let cleaned = uninstall(client, PREFLIGHT_RELEASE, namespace, false).await;
    let (agent_nodes, ready_nodes, deployment_ready, problems) = waited?;
    let passed = problems.is_empty();
    if let Err(e) = &cleaned {
        tracing::warn!("preflight clean-up failed: {e}");
    }
    Ok(PreflightReport {
        passed,
        chart: version,
        agent_nodes,
        ready_nodes,
        deployment_ready,
        problems,
        cleaned_up: cleaned.is_ok(),
    })
}

type Waited = (usize, usize, bool, Vec<String>);

async fn wait_preflight(
    client: &Client,
    namespace: &str,
    timeout: std::time::Duration,
) -> Result<Waited> {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let deps: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let mut agent_nodes = std::collections::BTreeSet::new();
        let mut ready = std::collections::BTreeSet::new();
        let mut problems = Vec::new();
        let lp = kube::api::ListParams::default();
        let list = with_retries("list pods", || pods.list(&lp)).await?;
        for p in &list.items {
            let labels = p.metadata.labels.clone().unwrap_or_default();
            let node = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default();
            let is_ready = p
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            match labels.get("k8s-app").map(String::as_str) {
                Some("cilium") => {
                    agent_nodes.insert(node);
                }
                Some("cilium-pre-flight-check") => {
                    if is_ready {
                        ready.insert(node);
                    } else {
                        let reason = p
                            .status
                            .as_ref()
                            .and_then(|s| s.container_statuses.as_ref())
                            .and_then(|cs| {
                                cs.iter().find_map(|c| {
                                    c.state.as_ref()?.waiting.as_ref()?.reason.clone()
                                })
                            })
                            .unwrap_or_else(|| "not ready".into());
                        problems.push(format!(
                            "pod/{} on node/{node}: {reason}",
                            p.metadata.name.clone().unwrap_or_default()
                        ));
                    }
                }
                _ => {}
            }
        }
        let missing: Vec<&String> = agent_nodes.iter().filter(|n| !ready.contains(*n)).collect();
        let dep = crate::kube::get_opt(
            &deps,
            "cilium-pre-flight-check",
            "get deployment cilium-pre-flight-check",
        )
        .await?;
        let dep_ready = dep.as_ref().is_none_or(|d| {
            d.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0)
                >= d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
        });
        if missing.is_empty() && dep_ready && !agent_nodes.is_empty() {
            return Ok((agent_nodes.len(), ready.len(), dep_ready, vec![]));
        }
        if std::time::Instant::now() >= deadline {
            if agent_nodes.is_empty() {
                problems.push(
                    "no Cilium agent pods found: is Cilium installed in this namespace?".into(),
                );
            }
            for n in missing {
                if !problems.iter().any(|p| p.contains(&format!("node/{n}:"))) {
                    problems.push(format!("node/{n}: no ready pre-flight pod"));
                }
            }
            if !dep_ready {
                problems.push("deployment/cilium-pre-flight-check is not ready (CiliumNetworkPolicy validation)".into());
            }
            problems.sort();
            problems.dedup();
            return Ok((agent_nodes.len(), ready.len(), dep_ready, problems));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Waits until the agent is ready on every hybrid node and the operator is available; on
/// timeout the error lists what is not ready and why (waiting reasons such as ImagePullBackOff).
pub async fn wait_ready(
    client: &Client,
    release_name: &str,
    namespace: &str,
    timeout: std::time::Duration,
    mut progress: impl FnMut(&str),
) -> Result<StatusReport> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let s = status(client, release_name, namespace).await?;
        // Waiting happens before the revision is marked deployed: only the pods count.
        let pending: Vec<String> = s
            .findings
            .iter()
            .filter(|f| {
                f.severity == crate::report::Severity::Error && f.id != "release-not-deployed"
            })
            .map(|f| f.message.clone())
            .collect();
        if pending.is_empty() {
            return Ok(s);
        }
        progress(&pending.join("; "));
        if std::time::Instant::now() >= deadline {
            let reasons = not_ready_reasons(client, namespace)
                .await
                .unwrap_or_default();
            let mut msg = format!(
                "timed out after {timeout:?} waiting for Cilium: {}",
                pending.join("; ")
            );
            for r in reasons.iter().take(10) {
                msg.push_str(&format!("\n  {r}"));
            }
            return Err(Error::Kube {
                message: msg,
                help: Some("check the pods' events (kubectl -n kube-system describe pod …); `kubectl podnet cilium status` shows the state".into()),
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// `pod/name on node/x: Reason` for Cilium pods that are not ready.
async fn not_ready_reasons(client: &Client, namespace: &str) -> Result<Vec<String>> {
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut out = Vec::new();
    for sel in ["k8s-app=cilium", "io.cilium/app=operator"] {
        let lp = kube::api::ListParams::default().labels(sel);
        for p in with_retries("list cilium pods", || pods.list(&lp))
            .await?
            .items
        {
            let st = p.status.clone().unwrap_or_default();
            let ready = st
                .conditions
                .as_ref()
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            if ready {
                continue;
            }
            let reason = st
                .container_statuses
                .as_ref()
                .and_then(|cs| {
                    cs.iter().find_map(|c| {
                        let w = c.state.as_ref()?.waiting.as_ref()?;
                        Some(format!(
                            "{}{}",
                            w.reason.clone().unwrap_or_default(),
                            w.message
                                .as_ref()
                                .map(|m| format!(" ({m})"))
                                .unwrap_or_default()
                        ))
                    })
                })
                .or(st.phase.clone())
                .unwrap_or_else(|| "not ready".into());
            let node = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_else(|| "<unscheduled>".into());
            out.push(format!(
                "pod/{} on node/{node}: {reason}",
                p.metadata.name.unwrap_or_default()
            ));
        }
    }
    Ok(out)
}

/// DaemonSets of other CNIs that must not run beside Cilium on hybrid nodes.
const FOREIGN_CNIS: [&str; 5] = [
    "calico-node",
    "kube-flannel-ds",
    "kube-router",
    "weave-net",
    "antrea-agent",
];

/// Cluster checks before an install: hybrid nodes, another CNI, kube-proxy against
/// `kubeProxyReplacement`, a Cilium DaemonSet that no release owns.
pub async fn preinstall_checks(
    client: &Client,
    namespace: &str,
    values: &Value,
) -> Result<Vec<crate::report::Finding>> {
    use crate::report::Finding;
    use k8s_openapi::api::apps::v1::DaemonSet;
    use k8s_openapi::api::core::v1::Node;
    let mut out = Vec::new();
    let nodes: Api<Node> = Api::all(client.clone());
    let mut hybrid = 0;
    crate::kube::list_pages(
        &nodes,
        kube::api::ListParams::default().labels("eks.amazonaws.com/compute-type=hybrid"),
        "list hybrid nodes",
        |p| hybrid += p.len(),
    )
    .await?;
    if hybrid == 0 {
        out.push(
            Finding::warning(
                "no-hybrid-nodes",
                "no hybrid nodes have joined yet; the agents start when they do",
            )
            .fix("join hybrid nodes (nodeadm), or check the kubeconfig context"),
        );
    }
    let all: Api<DaemonSet> = Api::all(client.clone());
    let mut dss = Vec::new();
    crate::kube::list_pages(
        &all,
        kube::api::ListParams::default(),
        "list daemonsets",
        |p| dss.extend(p),
    )
    .await?;
    for ds in &dss {
        let name = ds.metadata.name.clone().unwrap_or_default();
        let ns = ds.metadata.namespace.clone().unwrap_or_default();
        if FOREIGN_CNIS.contains(&name.as_str()) {
            out.push(Finding::error("foreign-cni-present", format!("daemonset/{ns}/{name} is another CNI; two CNIs on hybrid nodes break pod networking")).on(crate::report::Subject::Object(format!("daemonset/{ns}/{name}"))).fix("remove it from hybrid nodes before installing Cilium"));
        }
        let owned = ds
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("meta.helm.sh/release-name"))
            .is_some();
        if name == "cilium" && ns == namespace && !owned {
            out.push(
                Finding::error(
                    "cilium-not-managed",
                    format!("daemonset/{ns}/cilium exists but belongs to no Helm release"),
                )
                .fix("remove the old Cilium first (it was not installed with Helm or podnet)"),
            );
        }
    }
    let kube_proxy = dss
        .iter()
        .any(|d| d.metadata.name.as_deref() == Some("kube-proxy"));
    let kpr = matches!(
        crate::input::get(values, "kubeProxyReplacement"),
        Some(Value::Bool(true))
    ) || crate::input::get(values, "kubeProxyReplacement")
        .and_then(Value::as_str)
        .is_some_and(|s| s == "true" || s == "strict");
    if kpr && kube_proxy {
        out.push(Finding::error("kube-proxy-with-replacement", "kubeProxyReplacement is on but the kube-proxy DaemonSet exists; both would program services").fix("keep kube-proxy off the hybrid nodes (node affinity) or turn kube-proxy replacement off"));
    }
    if !kpr && !kube_proxy {
        out.push(Finding::error("kube-proxy-missing", "kubeProxyReplacement is off but there is no kube-proxy DaemonSet: services would not work").fix("install the kube-proxy add-on, or use --kube-proxy-replacement values"));
    }
    Ok(out)
}
