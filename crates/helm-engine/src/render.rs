//! The render engine: values coalescing, template set construction, execution, Helm's error
//! shapes, manifest splitting/sorting and the `helm template` output stream.

use super::chart::Chart;
use super::functions::{HelmFunctions, strip_no_value};
use gotemplate::error::TemplateError;
use gotemplate::exec::{Ctx, State, TemplateSet};
use gotemplate::parse;
use gotemplate::value::{Object, Value};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

mod coalesce;
mod dependencies;
mod error;

pub use crate::merge::merge_maps;
mod manifest;
use coalesce::{chart_alias_name, coalesce, go_type_name};
use dependencies::process_dependencies;
pub use error::RenderError;

/// Output of one template execution (a file, `include` or `tpl`). Helm has no limit; a larger
/// manifest could not be stored in a release or applied (etcd takes 1.5 MiB per object), and
/// the cap keeps a runaway loop or `repeat` from taking all memory.
pub const MAX_TEMPLATE_OUTPUT: usize = 100 * 1024 * 1024;

/// Options for one render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub release_name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_install: bool,
    pub is_upgrade: bool,
    /// e.g. "v1.33.0" or "1.33"; default v1.36.0 (Helm v4.2's built-in).
    pub kube_version: Option<String>,
    /// Extra API versions (`G/V` or `G/V/Kind`).
    pub api_versions: Vec<String>,
    /// Prepend the charts' `crds/` files (`helm template --include-crds`).
    pub include_crds: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            kube_version: None,
            api_versions: vec![],
            include_crds: false,
        }
    }
}

fn chart_meta_map(c: &Chart, is_root: bool) -> Value {
    let md = &c.metadata;
    let s = |k: &str| {
        Value::string(
            md.get(k)
                .map(|v| {
                    if v.is_nil() {
                        String::new()
                    } else {
                        gotemplate::value::strval(&v)
                    }
                })
                .unwrap_or_default(),
        )
    };
    let list = |k: &str| match md.get(k) {
        Some(v @ Value::List(_)) => v,
        _ => Value::list(vec![]),
    };
    let mut m = BTreeMap::new();
    m.insert("APIVersion".into(), s("apiVersion"));
    // Helm keeps Metadata.Annotations a Go map[string]string, nil when Chart.yaml has none
    let annotations = match md.get("annotations") {
        Some(Value::Map(a)) => Some(
            a.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), gotemplate::value::strval(v)))
                .collect(),
        ),
        _ => None,
    };
    m.insert(
        "Annotations".into(),
        Value::Object(Rc::new(Object::StrMap(annotations))),
    );
    m.insert("AppVersion".into(), s("appVersion"));
    m.insert("Condition".into(), s("condition"));
    let deps = match md.get("dependencies") {
        Some(Value::List(l)) => Value::list(
            l.iter()
                .map(|d| {
                    let g = |k: &str| d.get(k).unwrap_or(Value::str(""));
                    let mut dm = BTreeMap::new();
                    dm.insert("Name".into(), g("name"));
                    dm.insert("Version".into(), g("version"));
                    dm.insert("Repository".into(), g("repository"));
                    dm.insert("Condition".into(), g("condition"));
                    dm.insert("Tags".into(), d.get("tags").unwrap_or(Value::list(vec![])));
                    dm.insert("Enabled".into(), Value::Bool(true));
                    dm.insert(
                        "ImportValues".into(),
                        d.get("import-values").unwrap_or(Value::list(vec![])),
                    );
                    dm.insert("Alias".into(), g("alias"));
                    Value::map(dm)
                })
                .collect(),
        ),
        _ => Value::list(vec![]),
    };
    m.insert("Dependencies".into(), deps);
    m.insert(
        "Deprecated".into(),
        Value::Bool(md.get("deprecated").is_some_and(|v| v.truthy())),
    );
    m.insert("Description".into(), s("description"));
    m.insert("Home".into(), s("home"));
    m.insert("Icon".into(), s("icon"));
    m.insert("IsRoot".into(), Value::Bool(is_root));
    m.insert("Keywords".into(), list("keywords"));
    m.insert("KubeVersion".into(), s("kubeVersion"));
    let maint = match md.get("maintainers") {
        Some(Value::List(l)) => Value::list(
            l.iter()
                .map(|x| {
                    let mut mm = BTreeMap::new();
                    let g = |k: &str| {
                        Value::string(
                            x.get(k)
                                .map(|v| {
                                    if v.is_nil() {
                                        String::new()
                                    } else {
                                        gotemplate::value::strval(&v)
                                    }
                                })
                                .unwrap_or_default(),
                        )
                    };
                    mm.insert("Email".into(), g("email"));
                    mm.insert("Name".into(), g("name"));
                    mm.insert("URL".into(), g("url"));
                    Value::map(mm)
                })
                .collect(),
        ),
        _ => Value::list(vec![]),
    };
    m.insert("Maintainers".into(), maint);
    m.insert("Name".into(), s("name"));
    m.insert("Sources".into(), list("sources"));
    m.insert("Tags".into(), s("tags"));
    m.insert("Type".into(), s("type"));
    m.insert("Version".into(), s("version"));
    Value::map(m)
}

fn capabilities(opts: &RenderOptions) -> Value {
    let kv = opts
        .kube_version
        .clone()
        .unwrap_or_else(|| "v1.36.0".into());
    let kv = if kv.starts_with('v') {
        kv
    } else {
        format!("v{}", kv)
    };
    let core = kv.trim_start_matches('v');
    let mut parts = core.split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    let version = if core.split('.').count() == 2 {
        format!("{}.0", kv)
    } else {
        kv.clone()
    };
    let mut apis: Vec<String> = include_str!("apiversions.txt")
        .lines()
        .map(|s| s.to_string())
        .collect();
    apis.extend(opts.api_versions.iter().cloned());
    Value::Object(Rc::new(Object::Capabilities {
        kube: Value::Object(Rc::new(Object::KubeVersion {
            version,
            major,
            minor,
        })),
        apis: Value::Object(Rc::new(Object::Strings(
            apis,
            gotemplate::value::StringsType::VersionSet,
        ))),
        helm: Value::Object(Rc::new(Object::HelmVersion {
            version: "v4.2".into(),
            git_commit: String::new(),
            git_tree_state: String::new(),
            go_version: "go1.26.6".into(),
            kube_client_version: "v1.36".into(),
        })),
    }))
}

struct Renderable {
    src: Rc<str>,
    vals: Value,
    base_path: String,
}

fn full_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{}/charts/{}", parent, name)
    }
}

fn rec_all_tpls(
    c: &Chart,
    parent_path: &str,
    top: &Value,
    values: &Value,
    is_root: bool,
    out: &mut BTreeMap<String, Renderable>,
) -> Value {
    let subcharts = Value::empty_map();
    let mut next = BTreeMap::new();
    next.insert("Chart".to_string(), chart_meta_map(c, is_root));
    next.insert(
        "Files".to_string(),
        Value::Object(Rc::new(Object::Files(c.files.clone()))),
    );
    next.insert(
        "Release".to_string(),
        top.get("Release").unwrap_or_default(),
    );
    next.insert(
        "Capabilities".to_string(),
        top.get("Capabilities").unwrap_or_default(),
    );
    next.insert(
        "Values".to_string(),
        super::common_values::as_values(values),
    );
    next.insert("Subcharts".to_string(), subcharts.clone());
    let next = Value::map(next);
    // each template's dot is a common.Values (`printf "%T" .`), `.Subcharts.x` a plain map
    let dot = super::common_values::as_values(&next);
    let path = full_path(parent_path, &c.name());
    for sub in &c.dependencies {
        let name = chart_alias_name(sub, c);
        let sv = match values.get(&name) {
            Some(v @ Value::Map(_)) => v,
            _ => Value::empty_map(),
        };
        let r = rec_all_tpls(sub, &path, top, &sv, false, out);
        subcharts
            .as_map()
            .unwrap()
            .borrow_mut()
            .insert(sub.name(), r);
    }
    let lib = c
        .metadata
        .get("type")
        .and_then(|t| t.as_str().map(|s| s == "library"))
        .unwrap_or(false);
    for (name, src) in &c.templates {
        if lib && !name.rsplit('/').next().unwrap_or("").starts_with('_') {
            continue;
        }
        out.insert(
            format!("{}/{}", path, name),
            Renderable {
                src: src.clone(),
                vals: dot.clone(),
                base_path: format!("{}/templates", path),
            },
        );
    }
    next
}

fn sort_templates(keys: &mut [String]) {
    // sort.Reverse(byPathLen): deeper paths first, then reverse lexical
    keys.sort_by(|a, b| {
        let ca = a.matches('/').count();
        let cb = b.matches('/').count();
        cb.cmp(&ca).then_with(|| b.cmp(a))
    });
}

/// Helm's cleanupParseError.
fn cleanup_parse_error(filename: &str, msg: &str) -> String {
    let toks: Vec<&str> = msg.split(": ").collect();
    if toks.len() == 1 {
        return format!("parse error in ({}): {}", filename, msg);
    }
    format!("parse error at ({}): {}", toks[1], toks[toks.len() - 1])
}

struct Traceable {
    location: String,
    message: String,
    exec_fn: String,
}

fn parse_exec_error_string(s: &str) -> Option<Traceable> {
    let rem = s.strip_prefix("template: ")?;
    if rem.starts_with("no template ") {
        return Some(Traceable {
            location: String::new(),
            message: s.to_string(),
            exec_fn: String::new(),
        });
    }
    if let Some((tname, after)) = rem.split_once(": executing ") {
        if let Some(a) = after.strip_prefix('"')
            && let Some(eq) = a.find('"')
        {
            let fname = &a[..eq];
            let after_fn = &a[eq + 1..];
            if let Some(after_at) = after_fn.strip_prefix(" at <")
                && let Some((loc, msg)) = after_at.split_once(">: ")
            {
                let mut msg = msg.to_string();
                if let Some(cut) = msg.find(" template:") {
                    msg.truncate(cut);
                }
                return Some(Traceable {
                    location: tname.to_string(),
                    message: msg,
                    exec_fn: format!("executing \"{}\" at <{}>:", fname, loc),
                });
            }
        }
        return None;
    }
    if let Some(sep) = rem.rfind(": ") {
        let mut msg = rem[sep + 2..].to_string();
        if let Some(cut) = msg.find(" template:") {
            msg.truncate(cut);
        }
        return Some(Traceable {
            location: rem[..sep].to_string(),
            message: msg,
            exec_fn: String::new(),
        });
    }
    None
}

/// Helm's reformatExecErrorMsg.
fn reformat_exec_error(filename: &str, err: &TemplateError) -> String {
    if !err.exec {
        return err.msg.clone();
    }
    let toks: Vec<&str> = err.msg.splitn(3, ": ").collect();
    if toks.len() != 3 {
        return format!("execution error in ({}): {}", filename, err.msg);
    }
    let location = toks[1];
    if let Some(st) = toks[2].find("HELM_ERR_START") {
        let rest = &toks[2][st + "HELM_ERR_START".len()..];
        if let Some(en) = rest.rfind("HELM_ERR_END") {
            return format!("execution error at ({}): {}", location, &rest[..en]);
        }
    }
    let mut locs: Vec<Traceable> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        match parse_exec_error_string(&e.msg) {
            Some(t) => {
                let dup = locs.last().is_some_and(|l| {
                    l.location == t.location && l.message == t.message && l.exec_fn == t.exec_fn
                });
                if !dup {
                    locs.push(t);
                }
            }
            None => return err.msg.clone(),
        }
        cur = e.wrapped.as_deref();
    }
    let mut s = String::new();
    for t in locs {
        if !t.location.is_empty() {
            s.push_str(&format!("{}\n  ", t.location));
        }
        if !t.exec_fn.is_empty() {
            s.push_str(&format!("{}\n    ", t.exec_fn));
        }
        if !t.message.is_empty() {
            s.push_str(&format!("{}\n", t.message));
        }
    }
    s.trim().to_string()
}

/// Render all templates of a chart; returns template path → rendered text (NOTES.txt included,
/// partials excluded), exactly as Helm's engine does.
pub fn render_files(
    chart: &Chart,
    user_values: &Value,
    opts: &RenderOptions,
) -> Result<BTreeMap<String, String>, RenderError> {
    let mut chart = chart.clone();
    // coalesce
    let vals = match user_values {
        Value::Map(_) => user_values.deep_copy(),
        _ => Value::empty_map(),
    };
    process_dependencies(&mut chart, &vals)?;
    coalesce(&chart, &vals)?;
    validate_schemas(&chart, &vals)?;
    let mut release = BTreeMap::new();
    release.insert("Name".into(), Value::str(&opts.release_name));
    release.insert("Namespace".into(), Value::str(&opts.namespace));
    release.insert("Revision".into(), Value::Int(opts.revision));
    release.insert("IsInstall".into(), Value::Bool(opts.is_install));
    release.insert("IsUpgrade".into(), Value::Bool(opts.is_upgrade));
    release.insert("Service".into(), Value::str("Helm"));
    let mut top = BTreeMap::new();
    top.insert("Release".to_string(), Value::map(release));
    top.insert("Capabilities".to_string(), capabilities(opts));
    top.insert("Values".to_string(), vals.clone());
    let top = Value::map(top);
    let mut tpls = BTreeMap::new();
    rec_all_tpls(&chart, "", &top, &vals, true, &mut tpls);
    let mut keys: Vec<String> = tpls.keys().cloned().collect();
    sort_templates(&mut keys);
    let mut set: TemplateSet = HashMap::new();
    for k in &keys {
        let r = &tpls[k];
        let (tree, defs) = parse::parse(k, &r.src, &super::functions::has_function)
            .map_err(|e| RenderError(cleanup_parse_error(k, &e.0)))?;
        for d in defs {
            if set.contains_key(&d.name) && parse::tree_is_empty(&d) {
                continue;
            }
            set.insert(d.name.clone(), Rc::new(d));
        }
        let tree = Rc::new(tree);
        if !(set.contains_key(k) && parse::tree_is_empty(&tree)) {
            set.insert(k.clone(), tree);
        }
    }
    let set = Rc::new(set);
    // keys: start searching now for the ones the render can reach
    let probe = Ctx {
        funcs: Box::new(HelmFunctions::new(None)),
        max_output: MAX_TEMPLATE_OUTPUT,
    };
    let files: Vec<_> = keys
        .iter()
        .filter(|k| !k.rsplit('/').next().unwrap_or("").starts_with('_'))
        .filter_map(|k| Some((set.get(k)?.clone(), tpls[k].vals.clone())))
        .collect();
    let nkeys = super::keyreach::reachable_key_calls(&probe, &set, &files);
    drop(files);
    let ctx = Ctx {
        funcs: Box::new(HelmFunctions::new(Some(sprig::crypto::KeyPool::start(
            nkeys.min(6),
        )))),
        max_output: MAX_TEMPLATE_OUTPUT,
    };
    let mut out = BTreeMap::new();
    for k in &keys {
        if k.rsplit('/').next().unwrap_or("").starts_with('_') {
            continue;
        }
        let r = &tpls[k];
        if let Value::Map(m) = &r.vals {
            let mut t = BTreeMap::new();
            t.insert("Name".to_string(), Value::str(k));
            t.insert("BasePath".to_string(), Value::str(&r.base_path));
            let template = super::common_values::as_values(&Value::map(t));
            m.borrow_mut().insert("Template".into(), template);
        }
        let tree = set.get(k).cloned().unwrap();
        let mut st = State::new(&ctx, set.clone(), tree, r.vals.clone());
        let mut buf = String::new();
        if let Err(e) = st.execute(&r.vals, &mut buf) {
            return Err(RenderError(reformat_exec_error(k, &e)));
        }
        out.insert(k.clone(), strip_no_value(buf));
    }
    Ok(out)
}

/// Helm's ValidateAgainstSchema: the chart's schema, then each (enabled) subchart's against its
/// own values, every violation listed under the chart's name.
fn schema_violations(c: &Chart, vals: &Value, out: &mut String) {
    if let Some(src) = &c.schema {
        match super::jsonschema::validate(src, vals) {
            Ok(None) => {}
            Ok(Some(text)) => {
                out.push_str(&format!("{}:\n{}", c.name(), text));
            }
            Err(e) => out.push_str(&format!("{}:\n{}", c.name(), e)),
        }
    }
    for sub in &c.dependencies {
        let name = sub.name();
        match vals.get(&name) {
            None | Some(Value::Nil) => {}
            Some(sv @ Value::Map(_)) => schema_violations(sub, &sv, out),
            Some(other) => out.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                name,
                go_type_name(&other)
            )),
        }
    }
}

/// Validate coalesced values against `values.schema.json` of the chart and its subcharts.
pub fn validate_schemas(c: &Chart, vals: &Value) -> Result<(), RenderError> {
    let mut out = String::new();
    schema_violations(c, vals, &mut out);
    if out.is_empty() {
        Ok(())
    } else {
        Err(RenderError(format!(
            "values don't meet the specifications of the schema(s) in the following chart(s):\n{out}"
        )))
    }
}

/// One manifest document of the `helm template` stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedDoc {
    /// Template path, e.g. `cilium/templates/cilium-agent/daemonset.yaml`.
    pub source: String,
    /// Document text (as Helm stores it, without the `---` separator).
    pub content: String,
    /// `kind` of the document ("" if none).
    pub kind: String,
    /// Whether it is a Helm hook.
    pub hook: bool,
}

/// Split a rendered file into documents as Helm's SplitManifests does.
pub fn split_manifests(s: &str) -> Vec<String> {
    let t = s.trim_start();
    let mut docs = Vec::new();
    let mut cur = String::new();
    let mut first = true;
    for line in t.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim_start_matches([' ', '\t']);
            // "---" then spaces/tabs are removed; the remainder (possibly text) starts the next doc
            docs.push(std::mem::take(&mut cur));
            cur.push_str(rest);
            first = false;
            continue;
        }
        cur.push_str(line);
    }
    let _ = first;
    docs.push(cur);
    docs.into_iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim_start().to_string())
        .collect()
}

const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn kind_less(a: &str, b: &str) -> bool {
    let pa = INSTALL_ORDER.iter().position(|k| *k == a);
    let pb = INSTALL_ORDER.iter().position(|k| *k == b);
    match (pa, pb) {
        (None, None) => a < b,
        (None, Some(_)) => false,
        (Some(_), None) => true,
        (Some(x), Some(y)) => x < y,
    }
}

/// Sort rendered files into Helm's manifest order (hooks separately, last).
pub fn sort_manifests(files: &BTreeMap<String, String>) -> Result<Vec<RenderedDoc>, RenderError> {
    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    for (path, content) in files {
        if path.rsplit('/').next().unwrap_or("").starts_with('_') || path.ends_with("NOTES.txt") {
            continue;
        }
        if content.trim().is_empty() {
            continue;
        }
        for d in split_manifests(content) {
            let head = super::yaml::parse(&d)
                .and_then(|head| match manifest::simple_head_error(&head) {
                    Some(e) => Err(super::yaml::YamlError(e)),
                    None => Ok(head),
                })
                .map_err(|e| RenderError(format!("YAML parse error on {path}: {e}")))?;
            let kind = head
                .get("kind")
                .map(|k| gotemplate::value::strval(&k))
                .unwrap_or_default();
            let hook = head
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get("helm.sh/hook"))
                .is_some();
            let doc = RenderedDoc {
                source: path.clone(),
                content: d,
                kind,
                hook,
            };
            if doc.hook {
                hooks.push(doc)
            } else {
                generic.push(doc)
            }
        }
    }
    let sorter = |v: &mut Vec<RenderedDoc>| {
        // stable sort by kind order
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| {
            if kind_less(&v[i].kind, &v[j].kind) {
                std::cmp::Ordering::Less
            } else if kind_less(&v[j].kind, &v[i].kind) {
                std::cmp::Ordering::Greater
            } else {
                i.cmp(&j)
            }
        });
        let sorted: Vec<RenderedDoc> = idx.into_iter().map(|i| v[i].clone()).collect();
        *v = sorted;
    };
    sorter(&mut generic);
    sorter(&mut hooks);
    generic.extend(hooks);
    Ok(generic)
}

/// CRD documents of a chart and its enabled subcharts, as `helm template --include-crds` prints
/// them (before all other manifests, file content as is).
pub fn crd_docs(chart: &Chart, user_values: &Value) -> Vec<RenderedDoc> {
    let mut c = chart.clone();
    let vals = match user_values {
        Value::Map(_) => user_values.deep_copy(),
        _ => Value::empty_map(),
    };
    let _ = process_dependencies(&mut c, &vals);
    let mut out = Vec::new();
    fn rec(c: &Chart, parent: &str, out: &mut Vec<RenderedDoc>) {
        let path = full_path(parent, &c.name());
        for (name, data) in c.files.iter() {
            let manifest_ext = [".yaml", ".yml", ".json"]
                .iter()
                .any(|e| name.to_ascii_lowercase().ends_with(e));
            if name.starts_with("crds/") && manifest_ext {
                out.push(RenderedDoc {
                    source: format!("{}/{}", path, name),
                    content: String::from_utf8_lossy(data).into_owned(),
                    kind: "CustomResourceDefinition".into(),
                    hook: false,
                });
            }
        }
        for d in &c.dependencies {
            rec(d, &path, out);
        }
    }
    rec(&c, "", &mut out);
    out
}
