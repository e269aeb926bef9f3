//! Drift between a release's recorded manifest and the live objects, for any chart.
//!
//! Only what the manifest sets is compared: a field present live but absent from the manifest is
//! the server's or a controller's (defaults, `status`, `managedFields`, `uid`, …), not drift. A
//! manifest field that is changed or gone live is drift. What the API server rewrites without
//! changing the meaning is compared by meaning, so a clean install shows nothing: quantities
//! (`0.1` = `100m`), a port given as a number or as its text, zero values that Go's `omitempty`
//! drops (`{}`, `[]`, `""`, `false`, `0`, null), a Secret's `stringData` (stored as base64 `data`).
//! Besides changed and missing objects, objects that carry the release's ownership metadata but
//! are no longer in its manifest are reported as extra. Secret data is never put in a report.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures::{StreamExt as _, TryStreamExt as _};
use kube::Client;
use kube::api::{DynamicObject, GroupVersionKind, ListParams};
use kube::discovery::{Scope, verbs};
use serde::Serialize;
use serde_json::{Value, json};

use super::apply::{Resolver, gvk_of, own, parse_doc};
use super::hints::Hints;
use super::storage::Release;
use crate::error::Result;
use crate::helm;

/// Reads in flight at once: they are independent, and a remote API server's latency is most of
/// a diff's time.
const PARALLEL: usize = 8;

/// What a Secret's data becomes in reports and diffs.
pub const REDACTED: &str = "(redacted)";

/// Annotations that controllers and kubectl write on objects and pod templates.
const IGNORED_ANNOTATIONS: [&str; 2] = [
    "deprecated.daemonset.template.generation",
    "deployment.kubernetes.io/revision",
];

/// Metadata the API server owns.
const SERVER_METADATA: [&str; 9] = [
    "managedFields",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "namespace",
];

/// Kinds searched for extra objects besides those of the release's manifests (current and kept
/// revisions): the kinds charts most often render, so an object created by hand with the
/// release's labels is found even when no revision ever had its kind.
const COMMON_KINDS: [(&str, &str, &str); 12] = [
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "Service"),
    ("", "v1", "ServiceAccount"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "DaemonSet"),
    ("apps", "v1", "StatefulSet"),
    ("batch", "v1", "Job"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// On the cluster, with fields that differ from the manifest.
    Changed,
    /// In the manifest, not on the cluster.
    Missing,
    /// On the cluster with the release's ownership metadata, not in the manifest.
    Extra,
}

/// One field that differs. `live` or `release` is null when the field is absent on that side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDrift {
    /// Dotted path; list elements as `[name=x]` (matched by name) or `[i]`, keys with dots or
    /// slashes as `["key"]`, e.g. `metadata.annotations["meta.helm.sh/release-name"]`.
    pub path: String,
    pub live: Value,
    pub release: Value,
}

/// One object that drifted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDrift {
    /// `Kind/name`.
    pub object: String,
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub state: State,
    /// The differing fields (changed objects only).
    pub fields: Vec<FieldDrift>,
    /// The release's side as YAML (redacted), for a unified diff; empty for an extra object.
    #[serde(skip)]
    pub release_yaml: String,
    /// The live side as YAML (redacted): for a changed object, the manifest with the live values
    /// of the drifted fields; empty for a missing one.
    #[serde(skip)]
    pub live_yaml: String,
}

/// Live vs release for one revision.
#[derive(Debug, Clone, Default)]
pub struct LiveDrift {
    /// Objects of the manifest that were compared.
    pub checked: usize,
    /// Changed, then missing, then extra; by object within each.
    pub objects: Vec<ObjectDrift>,
}

/// One path step.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
    Named(String),
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Key(k) => s.push_str(&format!("[{}]", Value::String(k.clone()))),
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            Seg::Named(n) => s.push_str(&format!("[name={n}]")),
        }
    }
    s
}

/// How one object is compared.
struct Rules {
    secret: bool,
    /// An HPA scales the object: `spec.replicas` is the autoscaler's.
    autoscaled: bool,
}

fn key_is(seg: Option<&Seg>, k: &str) -> bool {
    matches!(seg, Some(Seg::Key(x)) if x == k)
}

fn ignored(path: &[Seg], r: &Rules) -> bool {
    let n = path.len();
    if n == 1 && key_is(path.first(), "status") {
        return true;
    }
    if n == 2
        && key_is(path.first(), "metadata")
        && matches!(&path[1], Seg::Key(k) if SERVER_METADATA.contains(&k.as_str()))
    {
        return true;
    }
    if n >= 3
        && key_is(path.get(n - 3), "metadata")
        && key_is(path.get(n - 2), "annotations")
        && matches!(&path[n - 1], Seg::Key(k) if k.starts_with("kubectl.kubernetes.io/") || IGNORED_ANNOTATIONS.contains(&k.as_str()))
    {
        return true;
    }
    r.autoscaled && n == 2 && key_is(path.first(), "spec") && key_is(path.get(1), "replicas")
}

/// Go's zero values, which `omitempty` drops from what the server returns.
fn zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// Resource quantities: container and pod `resources`, `overhead`, quota `hard`, volume sizes.
fn is_quantity_path(path: &[Seg]) -> bool {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    let n = keys.len();
    n >= 2
        && (matches!(
            keys[n - 2],
            "limits"
                | "requests"
                | "overhead"
                | "hard"
                | "capacity"
                | "default"
                | "defaultRequest"
                | "max"
                | "min"
                | "maxLimitRequestRatio"
        ) || keys[n - 1] == "sizeLimit")
}

/// A Kubernetes quantity (`100m`, `0.1`, `1Gi`, `1e3`, `2`) as a number.
pub fn quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64(),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    let suffixes: [(&str, f64); 14] = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
    ];
    let (num, mult) = suffixes
        .iter()
        .find_map(|(suf, m)| s.strip_suffix(suf).map(|n| (n, *m)))
        .or_else(|| s.strip_suffix('E').map(|n| (n, 1e18)))
        .unwrap_or((s, 1.0));
    if num.is_empty()
        || !num
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-' | 'e' | 'E'))
    {
        return None;
    }
    num.parse::<f64>().ok().map(|n| n * mult)
}

fn same_number(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Equal scalars, as the API server stores them.
fn scalar_eq(path: &[Seg], rel: &Value, live: &Value, r: &Rules) -> bool {
    if rel == live {
        return true;
    }
    if let (Value::Number(a), Value::Number(b)) = (rel, live)
        && let (Some(a), Some(b)) = (a.as_f64(), b.as_f64())
    {
        return same_number(a, b);
    }
    if r.secret
        && path.len() == 2
        && key_is(path.first(), "data")
        && let (Value::String(a), Value::String(b)) = (rel, live)
    {
        let dec = |s: &str| {
            B64.decode(
                s.bytes()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect::<Vec<_>>(),
            )
            .ok()
        };
        return dec(a).is_some() && dec(a) == dec(b);
    }
    if is_quantity_path(path)
        && let (Some(a), Some(b)) = (quantity(rel), quantity(live))
    {
        return same_number(a, b);
    }
    // An int-or-string port or rollout bound written as text on one side and a number on the other.
    let portish = matches!(path.last(), Some(Seg::Key(k)) if k == "port" || k.ends_with("Port") || k == "maxUnavailable" || k == "maxSurge");
    if portish {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        return text(rel).is_some() && text(rel) == text(live);
    }
    false
}

/// Element names when every element is an object with a distinct string `name`.
fn names(list: &[Value]) -> Option<Vec<String>> {
    let n: Vec<String> = list
        .iter()
        .map(|e| e["name"].as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    let distinct: BTreeSet<&String> = n.iter().collect();
    (distinct.len() == n.len()).then_some(n)
}

type Found = Vec<(Vec<Seg>, Value, Value)>;

/// Walks the manifest's value `rel` against `live`, collecting (path, live, release) of what differs.
fn compare(path: &mut Vec<Seg>, rel: &Value, live: Option<&Value>, r: &Rules, out: &mut Found) {
    if ignored(path, r) {
        return;
    }
    let Some(live) = live.filter(|l| !l.is_null()) else {
        if !zero(rel) {
            out.push((path.clone(), Value::Null, rel.clone()));
        }
        return;
    };
    match (rel, live) {
        (Value::Object(rm), Value::Object(lm)) => {
            // Sorted, so reports list fields in one order whatever the map's.
            let mut keys: Vec<&String> = rm.keys().collect();
            keys.sort();
            for k in keys {
                path.push(Seg::Key(k.clone()));
                compare(path, &rm[k], lm.get(k), r, out);
                path.pop();
            }
        }
        (Value::Array(ra), Value::Array(la)) => {
            if let (Some(rn), Some(ln)) = (names(ra), names(la)) {
                for (rv, name) in ra.iter().zip(&rn) {
                    let lv = ln.iter().position(|n| n == name).map(|i| &la[i]);
                    path.push(Seg::Named(name.clone()));
                    compare(path, rv, lv, r, out);
                    path.pop();
                }
                for (lv, name) in la.iter().zip(&ln) {
                    if !rn.contains(name) {
                        path.push(Seg::Named(name.clone()));
                        out.push((path.clone(), lv.clone(), Value::Null));
                        path.pop();
                    }
                }
            } else if ra.len() == la.len() {
                for (i, (rv, lv)) in ra.iter().zip(la).enumerate() {
                    path.push(Seg::Index(i));
                    compare(path, rv, Some(lv), r, out);
                    path.pop();
                }
            } else {
                out.push((path.clone(), live.clone(), rel.clone()));
            }
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
            if !(zero(rel) && zero(live)) {
                out.push((path.clone(), live.clone(), rel.clone()));
            }
        }
        _ => {
            if !scalar_eq(path, rel, live, r) {
                out.push((path.clone(), live.clone(), rel.clone()));
            }
        }
    }
}

/// Sets (or, with `None`, removes) the value at `path`; a missing list element is appended.
fn set_path(root: &mut Value, path: &[Seg], v: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        if let Some(v) = v {
            *root = v;
        }
        return;
    };
    let mut cur = root;
    for seg in parents {
        let next = match seg {
            Seg::Key(k) => cur.get_mut(k.as_str()),
            Seg::Index(i) => cur.get_mut(*i),
            Seg::Named(n) => cur
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|e| e["name"] == n.as_str())),
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    match (last, v) {
        (Seg::Key(k), Some(v)) => {
            if cur.is_object() {
                cur[k.as_str()] = v;
            }
        }
        (Seg::Key(k), None) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(k);
            }
        }
        (Seg::Index(i), v) => {
            if let Some(a) = cur.as_array_mut()
                && *i < a.len()
            {
                match v {
                    Some(v) => a[*i] = v,
                    None => {
                        a.remove(*i);
                    }
                }
            }
        }
        (Seg::Named(n), v) => {
            if let Some(a) = cur.as_array_mut() {
                let at = a.iter().position(|e| e["name"] == n.as_str());
                match (at, v) {
                    (Some(i), Some(v)) => a[i] = v,
                    (Some(i), None) => {
                        a.remove(i);
                    }
                    (None, Some(v)) => a.push(v),
                    (None, None) => {}
                }
            }
        }
    }
}

/// Every string inside `v` replaced by [`REDACTED`].
fn redact_value(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), redact_value(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact_value).collect()),
        _ => json!(REDACTED),
    }
}

fn is_secret(obj: &Value) -> bool {
    obj["kind"] == "Secret" && obj["apiVersion"] == "v1"
}

/// A Secret with its `data` and `stringData` values redacted; any other object unchanged.
pub fn redact_object(obj: &Value) -> Value {
    let mut o = obj.clone();
    if is_secret(obj) {
        for k in ["data", "stringData"] {
            if o[k].is_object() {
                o[k] = redact_value(&o[k]);
            }
        }
    }
    o
}

/// `stringData` folded into `data` (base64), as the API server stores a Secret.
fn fold_string_data(obj: &mut Value) {
    if !is_secret(obj) {
        return;
    }
    let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return;
    };
    if !obj["data"].is_object() {
        obj["data"] = json!({});
    }
    for (k, v) in sd {
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        obj["data"][k.as_str()] = json!(B64.encode(text.as_bytes()));
    }
}

/// Keys sorted at every level, so YAML is byte-stable whatever the map's order.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let b: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(b.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn yaml(v: &Value) -> String {
    serde_saphyr::to_string(&sorted(v)).unwrap_or_else(|_| format!("{v:#}\n"))
}

/// A live object as people read it: without status and the server's metadata.
fn clean_live(live: &Value) -> Value {
    let mut o = live.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = o["metadata"].as_object_mut() {
        for k in SERVER_METADATA.iter().filter(|k| **k != "namespace") {
            meta.remove(*k);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            a.retain(|k, _| !k.starts_with("kubectl.kubernetes.io/"));
            if a.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    redact_object(&o)
}

/// Compares one manifest object (with the release's ownership metadata) with its live object.
/// Returns the differing fields (Secret data redacted) and the live view for a unified diff.
pub fn compare_object(release: &Value, live: &Value, autoscaled: bool) -> (Vec<FieldDrift>, Value) {
    let mut rel = release.clone();
    fold_string_data(&mut rel);
    let r = Rules {
        secret: is_secret(&rel),
        autoscaled,
    };
    let mut found = Found::new();
    compare(&mut Vec::new(), &rel, Some(live), &r, &mut found);
    let mut view = redact_object(&rel);
    let mut fields = Vec::new();
    for (path, lv, rv) in found {
        let secret_data = r.secret && key_is(path.first(), "data");
        let (lv, rv) = if secret_data {
            (redact_value(&lv), redact_value(&rv))
        } else {
            (lv, rv)
        };
        let shown = if secret_data && !lv.is_null() {
            json!(format!("{REDACTED}, differs from the release"))
        } else {
            lv.clone()
        };
        set_path(&mut view, &path, (!lv.is_null()).then_some(shown));
        fields.push(FieldDrift {
            path: path_text(&path),
            live: lv,
            release: rv,
        });
    }
    (fields, view)
}

/// (group, kind, namespace, name): an object's identity across API versions.
type Identity = (String, String, String, String);

fn identity(gvk: &GroupVersionKind, ns: &str, name: &str) -> Identity {
    (
        gvk.group.clone(),
        gvk.kind.clone(),
        ns.to_string(),
        name.to_string(),
    )
}

/// A manifest object, resolved.
struct Wanted {
    obj: Value,
    gvk: GroupVersionKind,
    namespace: Option<String>,
    name: String,
}

/// The live objects of release revision `rel` compared with its manifest; `history` (the kept
/// revisions) adds kinds to search for extra objects.
pub async fn live_drift(
    client: &Client,
    rel: &Release,
    history: &[Release],
    hints: &Hints,
) -> Result<LiveDrift> {
    let (release, namespace) = (rel.name(), rel.namespace());
    let mut resolver = Resolver::new(client).await?;
    let mut wanted = Vec::new();
    let mut kinds: BTreeMap<(String, String), GroupVersionKind> = BTreeMap::new();
    for text in helm::split_manifests(rel.manifest()) {
        let Some(mut obj) = parse_doc("release manifest", &text, hints)? else {
            continue;
        };
        let (Some(gvk), Some(name)) = (gvk_of(&obj), obj["metadata"]["name"].as_str()) else {
            continue;
        };
        let name = name.to_string();
        own(&mut obj, release, namespace);
        kinds.insert((gvk.group.clone(), gvk.kind.clone()), gvk.clone());
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string();
        wanted.push((obj, gvk, ns, name));
    }
    // Objects the autoscalers scale, by namespace: their replicas are not the release's.
    let namespaces: BTreeSet<String> = std::iter::once(namespace.to_string())
        .chain(wanted.iter().map(|w| w.2.clone()))
        .collect();
    let scaled = autoscaled(&mut resolver, &namespaces).await;

    let mut out = LiveDrift::default();
    let mut ours: BTreeSet<Identity> = BTreeSet::new();
    let mut resolved = Vec::new();
    for (obj, gvk, ns, name) in wanted {
        let (namespace, api) = match resolver.resolve(&gvk).await {
            Ok((ar, caps)) => {
                let namespaced = caps.scope == Scope::Namespaced;
                let api = resolver.api(&ar, &caps, &ns);
                (namespaced.then(|| ns.clone()), Some(api))
            }
            // A kind the cluster no longer serves: its object is missing.
            Err(_) => (Some(ns.clone()), None),
        };
        ours.insert(identity(&gvk, namespace.as_deref().unwrap_or(""), &name));
        resolved.push((
            Wanted {
                obj,
                gvk,
                namespace,
                name,
            },
            api,
        ));
    }
    let lives: Vec<Option<DynamicObject>> =
        futures::stream::iter(resolved.iter().map(|(w, api)| async move {
            match api {
                Some(api) => {
                    let what = format!("get {}/{}", w.gvk.kind, w.name);
                    crate::kube::get_opt(api, &w.name, &what).await
                }
                None => Ok(None),
            }
        }))
        .buffered(PARALLEL)
        .try_collect()
        .await?;
    for ((w, _), live) in resolved.into_iter().zip(lives) {
        out.checked += 1;
        let object = format!("{}/{}", w.gvk.kind, w.name);
        let entry = |state, fields, release_yaml, live_yaml| ObjectDrift {
            object: object.clone(),
            api_version: w.obj["apiVersion"].as_str().unwrap_or("").to_string(),
            kind: w.gvk.kind.clone(),
            namespace: w.namespace.clone(),
            name: w.name.clone(),
            state,
            fields,
            release_yaml,
            live_yaml,
        };
        let Some(live) = live else {
            out.objects.push(entry(
                State::Missing,
                Vec::new(),
                yaml(&redact_object(&w.obj)),
                String::new(),
            ));
            continue;
        };
        let live = serde_json::to_value(&live).unwrap_or(Value::Null);
        let hpa = scaled.contains(&(
            w.gvk.kind.clone(),
            w.namespace.clone().unwrap_or_default(),
            w.name.clone(),
        ));
        let (fields, view) = compare_object(&w.obj, &live, hpa);
        if !fields.is_empty() {
            let mut rel = w.obj.clone();
            fold_string_data(&mut rel);
            out.objects.push(entry(
                State::Changed,
                fields,
                yaml(&redact_object(&rel)),
                yaml(&view),
            ));
        }
    }
    // Objects with the release's ownership that its manifest does not have.
    for r in history {
        for text in helm::split_manifests(r.manifest()) {
            if let Ok(Some(obj)) = parse_doc("release manifest", &text, hints)
                && let Some(gvk) = gvk_of(&obj)
            {
                kinds
                    .entry((gvk.group.clone(), gvk.kind.clone()))
                    .or_insert(gvk);
            }
        }
    }
    for (g, v, k) in COMMON_KINDS {
        kinds
            .entry((g.to_string(), k.to_string()))
            .or_insert_with(|| GroupVersionKind::gvk(g, v, k));
    }
    let hooks: BTreeSet<(String, String)> = rel.0["hooks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| {
            Some((
                h["kind"].as_str()?.to_string(),
                h["name"].as_str()?.to_string(),
            ))
        })
        .collect();
    let lp = ListParams::default().labels("app.kubernetes.io/managed-by=Helm");
    // Every (kind, namespace) list first, then all of them at once.
    let mut lists = Vec::new();
    for gvk in kinds.values() {
        let Ok((ar, caps)) = resolver.resolve(gvk).await else {
            continue;
        };
        if !caps.supports_operation(verbs::LIST) {
            continue;
        }
        match caps.scope {
            Scope::Namespaced => {
                for ns in &namespaces {
                    lists.push((gvk, ar.clone(), resolver.api(&ar, &caps, ns)));
                }
            }
            Scope::Cluster => lists.push((gvk, ar.clone(), resolver.api(&ar, &caps, ""))),
        }
    }
    let pages: Vec<Vec<DynamicObject>> = futures::stream::iter(lists.iter().map(|(_, ar, api)| {
        let lp = lp.clone();
        async move {
            let what = format!(
                "list {} with label app.kubernetes.io/managed-by=Helm",
                ar.plural
            );
            let mut all = Vec::new();
            crate::kube::list_pages(api, lp, &what, |page| all.extend(page)).await?;
            Ok::<_, crate::error::Error>(all)
        }
    }))
    .buffered(PARALLEL)
    .try_collect()
    .await?;
    let mut extra = Vec::new();
    for ((gvk, ar, _), page) in lists.iter().zip(pages) {
        for o in page {
            let ann = o.metadata.annotations.as_ref();
            let a = |k: &str| ann.and_then(|a| a.get(k)).map(String::as_str);
            if a("meta.helm.sh/release-name") != Some(release)
                || a("meta.helm.sh/release-namespace").is_some_and(|n| n != namespace)
            {
                continue;
            }
            let name = o.metadata.name.clone().unwrap_or_default();
            let ns = o.metadata.namespace.clone();
            let id = identity(gvk, ns.as_deref().unwrap_or(""), &name);
            if ours.contains(&id) || hooks.contains(&(gvk.kind.clone(), name.clone())) {
                continue;
            }
            let mut v = serde_json::to_value(&o).unwrap_or(Value::Null);
            v["apiVersion"] = json!(ar.api_version);
            v["kind"] = json!(ar.kind);
            extra.push(ObjectDrift {
                object: format!("{}/{name}", gvk.kind),
                api_version: ar.api_version.clone(),
                kind: gvk.kind.clone(),
                namespace: ns,
                name,
                state: State::Extra,
                fields: Vec::new(),
                release_yaml: String::new(),
                live_yaml: yaml(&clean_live(&v)),
            });
        }
    }
    out.objects.extend(extra);
    out.objects.sort_by(|a, b| {
        (a.state, &a.kind, &a.namespace, &a.name).cmp(&(b.state, &b.kind, &b.namespace, &b.name))
    });
    Ok(out)
}

/// (kind, namespace, name) of every object a HorizontalPodAutoscaler scales in `namespaces`;
/// empty where the cluster serves no autoscaling API or the list is not allowed.
async fn autoscaled(
    resolver: &mut Resolver,
    namespaces: &BTreeSet<String>,
) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let gvk = GroupVersionKind::gvk("autoscaling", "v2", "HorizontalPodAutoscaler");
    let Ok((ar, caps)) = resolver.resolve(&gvk).await else {
        return out;
    };
    for ns in namespaces {
        let api = resolver.api(&ar, &caps, ns);
        let _ = crate::kube::list_pages(
            &api,
            ListParams::default(),
            &format!("list horizontalpodautoscalers in {ns}"),
            |page| {
                for h in page {
                    let t = &h.data["spec"]["scaleTargetRef"];
                    if let (Some(k), Some(n)) = (t["kind"].as_str(), t["name"].as_str()) {
                        out.insert((k.to_string(), ns.clone(), n.to_string()));
                    }
                }
            },
        )
        .await;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(rel: Value, live: Value) -> Vec<(String, Value, Value)> {
        compare_object(&rel, &live, false)
            .0
            .into_iter()
            .map(|f| (f.path, f.live, f.release))
            .collect()
    }

    #[test]
    fn defaults_and_server_fields_are_not_drift() {
        let rel = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "op", "annotations": {}, "labels": {"a": "b"}, "creationTimestamp": null},
            "spec": {"replicas": 2, "template": {"metadata": {"annotations": {"x": "1"}}, "spec": {
                "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "0.1", "memory": "1024Mi"}},
                    "ports": [{"containerPort": 9234, "hostPort": 0}], "env": [{"name": "E", "value": ""}]}],
                "hostNetwork": false, "tolerations": [{"operator": "Exists"}], "volumes": []}}}});
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "op", "uid": "u", "resourceVersion": "7", "generation": 3, "labels": {"a": "b", "extra": "y"},
                "annotations": {"deployment.kubernetes.io/revision": "2"}, "managedFields": []},
            "spec": {"replicas": 2, "progressDeadlineSeconds": 600, "template": {"metadata": {"annotations": {"x": "1", "kubectl.kubernetes.io/restartedAt": "t"}}, "spec": {
                "containers": [{"name": "c", "image": "i", "imagePullPolicy": "IfNotPresent", "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}},
                    "ports": [{"containerPort": 9234, "protocol": "TCP"}], "env": [{"name": "E"}]}],
                "tolerations": [{"operator": "Exists"}], "dnsPolicy": "ClusterFirst"}}},
            "status": {"replicas": 2}});
        assert_eq!(diff(rel, live), vec![]);
    }

    #[test]
    fn changed_and_removed_fields_are_drift() {
        let rel = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
            "annotations": {"meta.helm.sh/release-name": "cilium"}}, "data": {"a": "1", "b": "2"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"x": "y"}}, "data": {"a": "3", "z": "9"}});
        assert_eq!(
            diff(rel, live),
            vec![
                ("data.a".into(), json!("3"), json!("1")),
                ("data.b".into(), Value::Null, json!("2")),
                (
                    "metadata.annotations[\"meta.helm.sh/release-name\"]".into(),
                    Value::Null,
                    json!("cilium")
                ),
            ]
        );
    }

    #[test]
    fn named_lists_match_by_name_and_hpa_owns_replicas() {
        let rel = json!({"kind": "Deployment", "spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}}});
        let live = json!({"kind": "Deployment", "spec": {"replicas": 5, "template": {"spec": {"containers": [
            {"name": "b", "image": "y:1"}, {"name": "a", "image": "x:2"}, {"name": "side", "image": "s"}]}}}});
        let d: Vec<String> = compare_object(&rel, &live, true)
            .0
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(
            d,
            [
                "spec.template.spec.containers[name=a].image",
                "spec.template.spec.containers[name=side]"
            ]
        );
        assert_eq!(diff(rel, live)[0].0, "spec.replicas");
    }

    #[test]
    fn secrets_compare_decoded_and_are_redacted() {
        let rel = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"k": "hunter2"}, "data": {"tls.key": "c2VjcmV0"}});
        let same = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"k": B64.encode("hunter2"), "tls.key": "c2Vj\ncmV0"}, "type": "Opaque"});
        assert_eq!(diff(rel.clone(), same), vec![]);
        let changed = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"k": B64.encode("swordfish")}});
        let (fields, view) = compare_object(&rel, &changed, false);
        let text = format!("{fields:?} {view}");
        assert!(!text.contains("hunter2") && !text.contains(&B64.encode("hunter2")));
        assert!(!text.contains(&B64.encode("swordfish")) && !text.contains("c2VjcmV0"));
        assert_eq!(fields[0].path, "data.k");
        assert_eq!(fields[0].live, json!(REDACTED));
        assert_eq!(fields[1].path, "data[\"tls.key\"]");
        assert_eq!(fields[1].live, Value::Null);
    }

    #[test]
    fn quantities() {
        for (a, b) in [
            ("100m", "0.1"),
            ("1Gi", "1024Mi"),
            ("1k", "1000"),
            ("1e3", "1k"),
        ] {
            assert!(
                same_number(quantity(&json!(a)).unwrap(), quantity(&json!(b)).unwrap()),
                "{a} {b}"
            );
        }
        assert_eq!(quantity(&json!(2)), Some(2.0));
        assert_eq!(quantity(&json!("abc")), None);
        let p = [
            Seg::Key("resources".into()),
            Seg::Key("limits".into()),
            Seg::Key("cpu".into()),
        ];
        assert!(is_quantity_path(&p));
        // Outside a quantity field, "0.1" and "100m" are different strings.
        assert!(!scalar_eq(
            &[Seg::Key("data".into()), Seg::Key("x".into())],
            &json!("0.1"),
            &json!("100m"),
            &Rules {
                secret: false,
                autoscaled: false
            }
        ));
    }
}
