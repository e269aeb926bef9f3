//! Putting a release's objects on the cluster and taking them off: kinds resolved through API
//! discovery, server-side apply under Helm's field manager with Helm's ownership metadata, the
//! charts' `crds/` created once, and pruning of what a new revision no longer has.

use std::collections::HashSet;

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use serde_json::{Value, json};

use super::hints::Hints;
use super::ops::Ops;
use super::storage::go_numbers;
use crate::error::{Error, Result};
use crate::helm;
use crate::kube::with_retries;

/// Default field manager for server-side apply: the Helm CLI's, so Helm and podnet own the same fields.
pub const FIELD_MANAGER: &str = "helm";

/// Objects podnet never deletes, whatever a release records: the Amazon VPC CNI's DaemonSet.
pub const PROTECTED: [&str; 1] = ["aws-node"];

fn kube_err(message: String, help: &str) -> Error {
    Error::Kube {
        message,
        help: Some(help.to_string()),
    }
}

/// Maps kinds to API resources, re-reading discovery once when a kind is unknown (after CRDs).
pub struct Resolver {
    client: Client,
    discovery: Discovery,
}

impl Resolver {
    pub async fn new(client: &Client) -> Result<Resolver> {
        let discovery = Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| crate::kube::api_error("API discovery", &e, 1))?;
        Ok(Resolver {
            client: client.clone(),
            discovery,
        })
    }

    pub async fn resolve(
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

    pub fn api(&self, ar: &ApiResource, caps: &ApiCapabilities, ns: &str) -> Api<DynamicObject> {
        match caps.scope {
            Scope::Namespaced => Api::namespaced_with(self.client.clone(), ns, ar),
            Scope::Cluster => Api::all_with(self.client.clone(), ar),
        }
    }
}

pub fn gvk_of(obj: &Value) -> Option<GroupVersionKind> {
    let api_version = obj["apiVersion"].as_str()?;
    let kind = obj["kind"].as_str()?;
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    Some(GroupVersionKind::gvk(group, version, kind))
}

/// Parses a manifest document; empty or comment-only documents give `None`.
pub fn parse_doc(source: &str, text: &str, hints: &Hints) -> Result<Option<Value>> {
    // Manifests are read as Kubernetes reads them (YAML 1.1): `0400` is octal 256, and a
    // whole number stays an integer so int32 fields accept it.
    let opts = serde_saphyr::options! { legacy_octal_numbers: true };
    let v: Value = serde_saphyr::from_str_with_options(text, opts).map_err(|e| Error::Input {
        location: source.to_string(),
        message: format!(
            "rendered document is not valid YAML: {}",
            e.without_snippet()
        ),
        help: Some(hints.invalid_yaml()),
    })?;
    Ok(if v.is_object() {
        Some(go_numbers(v))
    } else {
        None
    })
}

pub fn object_ref(obj: &Value) -> String {
    format!(
        "{}/{}",
        obj["kind"].as_str().unwrap_or("?"),
        obj["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// Helm's ownership metadata on every object of the release.
pub fn own(obj: &mut Value, release: &str, namespace: &str) {
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

/// The release manifest: every rendered document that is not a hook, with `# Source:` headers.
pub fn manifest_of(docs: &[helm::RenderedDoc]) -> String {
    docs.iter()
        .filter(|d| !d.hook)
        .map(|d| format!("---\n# Source: {}\n{}\n", d.source, d.content))
        .collect()
}

/// A document from a chart's `crds/` folder (not a template).
pub fn is_crds_file(d: &helm::RenderedDoc) -> bool {
    d.source.split('/').any(|seg| seg == "crds") && !d.source.contains("/templates/")
}

/// Creates the CRDs of the charts' `crds/` folders that do not exist yet (Helm never updates them),
/// then waits (up to `timeout`) until the API server has established each, as Helm does: until
/// then it does not serve their kinds, and the chart's custom resources could not be applied.
pub async fn install_crds(
    client: &Client,
    files: &[helm::RenderedDoc],
    field_manager: &str,
    timeout: std::time::Duration,
    hints: &Hints,
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
    let mut created = Vec::new();
    for f in files {
        for text in helm::split_manifests(&f.content) {
            let Some(obj) = parse_doc(&f.source, &text, hints)? else {
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
            created.push(name);
        }
    }
    let deadline = std::time::Instant::now() + timeout;
    for name in created {
        loop {
            let live =
                crate::kube::get_opt(&api, &name, &format!("get CustomResourceDefinition/{name}"))
                    .await?;
            let conditions = live
                .as_ref()
                .and_then(|c| c.data["status"]["conditions"].as_array().cloned())
                .unwrap_or_default();
            let established = conditions
                .iter()
                .any(|c| c["type"] == "Established" && c["status"] == "True");
            if established {
                break;
            }
            if std::time::Instant::now() >= deadline {
                let why: Vec<String> = conditions
                    .iter()
                    .filter(|c| c["status"] != "True" || c["type"] == "NamesAccepted")
                    .map(|c| {
                        format!(
                            "{}={}: {}",
                            c["type"].as_str().unwrap_or("?"),
                            c["status"].as_str().unwrap_or("?"),
                            c["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                return Err(kube_err(
                    format!(
                        "CustomResourceDefinition/{name} was not established within {timeout:?} ({})",
                        why.join("; ")
                    ),
                    "check the CRD's names against the CRDs already on the cluster (kubectl get crd NAME -o yaml)",
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// Who owns a live object, as Helm reads its ownership metadata: `None` when it is this
/// release's (label `app.kubernetes.io/managed-by=Helm`, annotations `meta.helm.sh/release-name`
/// and `meta.helm.sh/release-namespace`), else what is wrong, in Helm's words.
pub fn ownership_problem(live: &DynamicObject, release: &str, namespace: &str) -> Option<String> {
    let labels = live.metadata.labels.as_ref();
    let annotations = live.metadata.annotations.as_ref();
    let label = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
    let annotation = |k: &str| annotations.and_then(|a| a.get(k)).map(String::as_str);
    let mut problems = Vec::new();
    let mut expect = |what: &str, key: &str, got: Option<&str>, want: &str| match got {
        Some(v) if v == want => {}
        Some(v) => problems.push(format!(
            "{what} \"{key}\" must equal \"{want}\": current value is \"{v}\""
        )),
        None => problems.push(format!(
            "missing {what} \"{key}\": must be set to \"{want}\""
        )),
    };
    expect(
        "label",
        "app.kubernetes.io/managed-by",
        label("app.kubernetes.io/managed-by"),
        "Helm",
    );
    expect(
        "annotation",
        "meta.helm.sh/release-name",
        annotation("meta.helm.sh/release-name"),
        release,
    );
    expect(
        "annotation",
        "meta.helm.sh/release-namespace",
        annotation("meta.helm.sh/release-namespace"),
        namespace,
    );
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// One rendered object, resolved and ready to apply.
pub struct Planned {
    api: Api<DynamicObject>,
    name: String,
    ns: String,
    obj: Value,
    source: String,
}

/// Parses and resolves every document that is not a hook, with the release's ownership metadata.
pub async fn plan(
    client: &Client,
    release: &str,
    namespace: &str,
    docs: &[helm::RenderedDoc],
    hints: &Hints,
) -> Result<Vec<Planned>> {
    let mut resolver = Resolver::new(client).await?;
    let mut planned = Vec::new();
    for d in docs.iter().filter(|d| !d.hook) {
        let Some(mut obj) = parse_doc(&d.source, &d.content, hints)? else {
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
        planned.push(Planned {
            api,
            name,
            ns,
            obj,
            source: d.source.clone(),
        });
    }
    Ok(planned)
}

/// As Helm before it records a revision: every planned object that exists must carry this
/// release's ownership metadata, else nothing is changed and the error lists them all, unless
/// `take_ownership` (Helm's `--take-ownership`) adopts them. A kind the cluster does not serve
/// yet (a CRD of the same chart) has no objects to check.
pub async fn check_ownership(
    client: &Client,
    release: &str,
    namespace: &str,
    take_ownership: bool,
    docs: &[helm::RenderedDoc],
    hints: &Hints,
) -> Result<()> {
    if take_ownership {
        return Ok(());
    }
    let resolver = Resolver::new(client).await?;
    let mut foreign = Vec::new();
    for d in docs.iter().filter(|d| !d.hook) {
        let Some(obj) = parse_doc(&d.source, &d.content, hints)? else {
            continue;
        };
        let (Some(gvk), Some(name)) = (gvk_of(&obj), obj["metadata"]["name"].as_str()) else {
            continue;
        };
        let Some((ar, caps)) = resolver.discovery.resolve_gvk(&gvk) else {
            continue;
        };
        let ns = obj["metadata"]["namespace"].as_str().unwrap_or(namespace);
        let api = resolver.api(&ar, &caps, ns);
        let r = object_ref(&obj);
        if let Some(live) = crate::kube::get_opt(&api, name, &format!("get {r}")).await?
            && let Some(problem) = ownership_problem(&live, release, namespace)
        {
            let at = if caps.scope == Scope::Namespaced {
                format!(" in namespace {ns}")
            } else {
                String::new()
            };
            foreign.push(format!(
                "{r}{at} exists and cannot be imported into release {release}: invalid ownership metadata; {problem}"
            ));
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict {
        message: format!(
            "{} object(s) of the release already exist outside it; nothing was changed:\n  {}",
            foreign.len(),
            foreign.join("\n  ")
        ),
        help: Some(
            "rerun with --take-ownership to adopt them (as Helm's --take-ownership), or delete them first"
                .into(),
        ),
    })
}

/// Server-side applies every document that is not a hook, in the given order. Returns how many.
///
/// As Helm v4: a field another manager changed since the last apply (`kubectl edit`, `kubectl
/// patch`) is a conflict that stops the apply, never silently overwritten, unless
/// `ops.force_conflicts` (Helm's `--force-conflicts`).
pub async fn apply_all(
    client: &Client,
    release: &str,
    namespace: &str,
    ops: &Ops<'_>,
    docs: &[helm::RenderedDoc],
    hints: &Hints,
) -> Result<usize> {
    let mut pp = PatchParams::apply(ops.field_manager);
    if ops.force_conflicts {
        pp = pp.force();
    }
    let planned = plan(client, release, namespace, docs, hints).await?;
    let mut n = 0;
    for p in &planned {
        let what = format!("apply {} ({})", object_ref(&p.obj), p.source);
        let patch = Patch::Apply(&p.obj);
        with_retries(&what, || p.api.patch(&p.name, &pp, &patch)).await?;
        tracing::info!("applied {} in {}", object_ref(&p.obj), p.ns);
        n += 1;
    }
    Ok(n)
}

/// The documents of a stored manifest, each named by its `# Source:` header.
pub fn manifest_docs(manifest: &str) -> Vec<helm::RenderedDoc> {
    helm::split_manifests(manifest)
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
        .collect()
}

/// Applies every document of a stored manifest (rollback re-applies what a revision recorded).
pub async fn apply_manifest(
    client: &Client,
    release: &str,
    namespace: &str,
    ops: &Ops<'_>,
    manifest: &str,
    hints: &Hints,
) -> Result<usize> {
    apply_all(
        client,
        release,
        namespace,
        ops,
        &manifest_docs(manifest),
        hints,
    )
    .await
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

/// Deletes objects of `old_manifest` that `new_manifest` no longer has (owned ones only; never
/// a protected object or a CRD).
pub async fn prune(
    client: &Client,
    release_name: &str,
    namespace: &str,
    old_manifest: &str,
    new_manifest: &str,
    hints: &Hints,
) -> Result<Vec<String>> {
    let keep: HashSet<String> = helm::split_manifests(new_manifest)
        .iter()
        .filter_map(|d| parse_doc("release manifest", d, hints).ok().flatten())
        .map(|o| identity(&o, namespace))
        .collect();
    let mut resolver = Resolver::new(client).await?;
    let mut deleted = Vec::new();
    for text in helm::split_manifests(old_manifest).iter().rev() {
        let Some(obj) = parse_doc("release manifest", text, hints)? else {
            continue;
        };
        if keep.contains(&identity(&obj, namespace)) {
            continue;
        }
        let (Some(gvk), Some(name)) = (gvk_of(&obj), obj["metadata"]["name"].as_str()) else {
            continue;
        };
        if PROTECTED.contains(&name) || gvk.kind == "CustomResourceDefinition" {
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
