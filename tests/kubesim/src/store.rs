//! The in-memory object store: typed buckets, the cluster-wide resourceVersion counter, watch history.

use crate::error::{ApiError, ApiResult};
use crate::fields;
use crate::obj::Obj;
use crate::resources::{self, ResourceType};
use crate::util::{self, name_of, ns_of, uid_of};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

pub type Bucket = BTreeMap<(String, String), Arc<Obj>>;

#[derive(Debug)]
pub struct WatchEvent {
    pub rv: u64,
    pub key: String,
    pub etype: &'static str,
    pub obj: Arc<Obj>,
    /// The object before this change (MODIFIED only), for selector transitions.
    pub prev: Option<Arc<Obj>>,
}

pub struct Snapshot {
    pub items: Arc<Vec<Arc<Obj>>>,
    pub rv: u64,
    pub created: std::time::Instant,
}

#[derive(Default, Clone)]
pub struct WriteOpts {
    pub dry_run: bool,
    pub manager: String,
    /// Store as written: keep status, uid, timestamps (used by --load and scenarios).
    pub as_loaded: bool,
    /// Internal writes by the simulated controllers: no managedFields churn.
    pub system: bool,
    /// The object carries managedFields computed by server-side apply.
    pub keep_managed: bool,
}

#[derive(Default, Clone)]
pub struct DeleteOpts {
    pub dry_run: bool,
    pub propagation: Option<String>,
    pub grace_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

pub struct Store {
    pub rv: u64,
    pub types: Vec<Arc<ResourceType>>,
    pub buckets: HashMap<String, Bucket>,
    pub history: VecDeque<Arc<WatchEvent>>,
    pub history_cap: usize,
    /// Oldest resourceVersion a watch may start from.
    pub history_floor: u64,
    pub tx: broadcast::Sender<Arc<WatchEvent>>,
    pub loaded: HashSet<String>,
    pub dependents: HashMap<String, BTreeSet<(String, String, String)>>,
    pub snapshots: HashMap<u64, Snapshot>,
    pub snap_seq: u64,
    pub service_ip_next: u32,
    pub node_port_next: u32,
    /// Wakes the controllers after every committed change.
    pub notify: Arc<tokio::sync::Notify>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(65_536);
        let mut s = Store {
            rv: 1000,
            types: resources::builtins().into_iter().map(Arc::new).collect(),
            buckets: HashMap::new(),
            history: VecDeque::new(),
            history_cap: 200_000,
            history_floor: 1000,
            tx,
            loaded: HashSet::new(),
            dependents: HashMap::new(),
            snapshots: HashMap::new(),
            snap_seq: 0,
            service_ip_next: 10,
            node_port_next: 0,
            notify: Arc::new(tokio::sync::Notify::new()),
        };
        let nsrt = s.find("", "v1", "namespaces").expect("namespaces");
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = s.create(&nsrt, "", obj, &WriteOpts::default());
        }
        let svc = s.find("", "v1", "services").expect("services");
        let k = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.100.0.1", "clusterIPs": ["10.100.0.1"], "type": "ClusterIP",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}});
        let _ = s.create(&svc, "default", k, &WriteOpts::default());
        s
    }

    // ---------------------------------------------------------------- types

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
            .cloned()
    }

    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        let (g, v) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        self.types
            .iter()
            .find(|t| t.group == g && t.version == v && t.kind == kind)
            .cloned()
    }

    pub fn preferred(&self, key: &str) -> Option<Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.key() == key && t.preferred)
            .or_else(|| self.types.iter().find(|t| t.key() == key))
            .cloned()
    }

    fn serve_crd(&mut self, crd: &Value) {
        let name = name_of(crd).to_string();
        self.types
            .retain(|t| t.crd.as_deref() != Some(name.as_str()));
        for rt in resources::from_crd(crd) {
            // never shadow a built-in
            if self
                .types
                .iter()
                .any(|t| t.group == rt.group && t.version == rt.version && t.plural == rt.plural)
            {
                continue;
            }
            self.types.push(Arc::new(rt));
        }
    }

    // ---------------------------------------------------------------- primitives

    pub fn bucket(&self, key: &str) -> Option<&Bucket> {
        self.buckets.get(key)
    }

    /// The stored object, parsed.
    pub fn get_raw(&self, key: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.get_obj(key, ns, name).map(|o| Arc::new(o.value()))
    }

    pub fn get_obj(&self, key: &str, ns: &str, name: &str) -> Option<Arc<Obj>> {
        self.buckets
            .get(key)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    pub fn exists(&self, key: &str, ns: &str, name: &str) -> bool {
        self.buckets
            .get(key)
            .is_some_and(|b| b.contains_key(&(ns.to_string(), name.to_string())))
    }

    /// All objects of a storage key, parsed (for small kinds like nodes and namespaces).
    pub fn values(&self, key: &str) -> Vec<Arc<Value>> {
        self.buckets
            .get(key)
            .map(|b| b.values().map(|o| Arc::new(o.value())).collect())
            .unwrap_or_default()
    }

    /// All objects of a storage key, unparsed.
    pub fn objs(&self, key: &str) -> Vec<Arc<Obj>> {
        self.buckets
            .get(key)
            .map(|b| b.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn owner_uids(v: &Value) -> Vec<String> {
        v["metadata"]["ownerReferences"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| o["uid"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn emit(
        &mut self,
        key: &str,
        etype: &'static str,
        obj: Arc<Obj>,
        prev: Option<Arc<Obj>>,
        rv: u64,
    ) {
        let ev = Arc::new(WatchEvent {
            rv,
            key: key.to_string(),
            etype,
            obj,
            prev,
        });
        self.history.push_back(ev.clone());
        while self.history.len() > self.history_cap {
            if let Some(old) = self.history.pop_front() {
                self.history_floor = old.rv;
            }
        }
        let _ = self.tx.send(ev);
        self.notify.notify_one();
    }

    /// Commits an object (already carrying its new resourceVersion) and emits a watch event.
    fn commit(&mut self, key: &str, mut obj: Value, etype: &'static str) -> Arc<Value> {
        let rv = self.next_rv();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let ns = ns_of(&obj).to_string();
        let name = name_of(&obj).to_string();
        let stored = Arc::new(Obj::from_value(&obj));
        let old = self
            .buckets
            .entry(key.to_string())
            .or_default()
            .insert((ns.clone(), name.clone()), stored.clone());
        let entry = (key.to_string(), ns, name);
        if let Some(old) = &old {
            for o in old.owners.iter() {
                if let Some(s) = self.dependents.get_mut(&**o) {
                    s.remove(&entry);
                }
            }
        }
        for o in Self::owner_uids(&obj) {
            self.dependents.entry(o).or_default().insert(entry.clone());
        }
        let etype = if old.is_none() { "ADDED" } else { etype };
        self.emit(key, etype, stored, old, rv);
        Arc::new(obj)
    }

    /// Removes an object for good, emitting DELETED; returns it.
    fn remove(&mut self, key: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        let old = self
            .buckets
            .get_mut(key)?
            .remove(&(ns.to_string(), name.to_string()))?;
        let entry = (key.to_string(), ns.to_string(), name.to_string());
        for o in old.owners.iter() {
            if let Some(s) = self.dependents.get_mut(&**o) {
                s.remove(&entry);
            }
        }
        let rv = self.next_rv();
        let mut v = old.value();
        v["metadata"]["resourceVersion"] = json!(rv.to_string());
        self.loaded.remove(&*old.uid);
        self.emit(key, "DELETED", Arc::new(Obj::from_value(&v)), None, rv);
        Some(Arc::new(v))
    }

    // ---------------------------------------------------------------- verbs

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<Arc<Value>> {
        let ns = if rt.namespaced { ns } else { "" };
        self.get_raw(&rt.key(), ns, name)
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    fn check_namespace(&self, rt: &ResourceType, ns: &str) -> ApiResult<()> {
        if !rt.namespaced {
            return Ok(());
        }
        if ns.is_empty() {
            return Err(ApiError::bad_request(
                "the server could not find the requested resource: namespace is required",
            ));
        }
        match self.get_obj("namespaces", "", ns) {
            None => Err(ApiError::not_found("", "namespaces", ns)),
            Some(n) if n.deleting => Err(ApiError::new(
                403,
                "Forbidden",
                format!(
                    "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    rt.plural, ""
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Create without handing back a copy (bulk loads).
    pub fn create_quiet(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        obj: Value,
        opts: &WriteOpts,
    ) -> ApiResult<()> {
        self.create_inner(rt, ns, obj, opts).map(|_| ())
    }

    /// Create. `obj` must already be decoded; kind/apiVersion are set from `rt` when missing.
    pub fn create(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        obj: Value,
        opts: &WriteOpts,
    ) -> ApiResult<Value> {
        self.create_inner(rt, ns, obj, opts).map(|v| (*v).clone())
    }

    fn create_inner(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        mut obj: Value,
        opts: &WriteOpts,
    ) -> ApiResult<Arc<Value>> {
        if !obj.is_object() {
            return Err(ApiError::bad_request("body must be a JSON object"));
        }
        let ns = if rt.namespaced { ns } else { "" };
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        let m = util::obj_mut(&mut obj, "metadata");
        if rt.namespaced {
            if let Some(bns) = m.get("namespace").and_then(Value::as_str)
                && !bns.is_empty()
                && bns != ns
            {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            m.insert("namespace".into(), json!(ns));
        } else {
            m.remove("namespace");
        }
        let mut name = m
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            match m.get("generateName").and_then(Value::as_str) {
                Some(g) if !g.is_empty() => {
                    loop {
                        name = format!("{g}{}", util::rand_suffix(5));
                        if !self.exists(&rt.key(), ns, &name) {
                            break;
                        }
                    }
                    m.insert("name".into(), json!(name));
                }
                _ => {
                    return Err(ApiError::invalid(
                        &rt.kind,
                        &rt.group,
                        "",
                        "metadata.name: Required value: name or generateName is required",
                    ));
                }
            }
        }
        if !valid_name(&name, rt) {
            return Err(ApiError::invalid(
                &rt.kind,
                &rt.group,
                &name,
                format!(
                    "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
                ),
            ));
        }
        self.check_namespace(rt, ns)?;
        if self.exists(&rt.key(), ns, &name) {
            return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
        }
        let m = util::obj_mut(&mut obj, "metadata");
        if !opts.as_loaded || !m.contains_key("uid") {
            m.insert("uid".into(), json!(util::new_uid()));
        }
        if !opts.as_loaded || !m.contains_key("creationTimestamp") {
            m.insert("creationTimestamp".into(), json!(util::now_rfc3339()));
        }
        m.remove("resourceVersion");
        m.remove("deletionTimestamp");
        if !opts.as_loaded && !opts.keep_managed {
            m.remove("managedFields");
        }
        if obj.get("spec").is_some() || rt.crd.is_some() {
            obj["metadata"]["generation"] = json!(1);
        }
        if rt.status
            && !opts.as_loaded
            && let Some(o) = obj.as_object_mut()
        {
            o.remove("status");
        }
        self.default_object(rt, &mut obj, None)?;
        if rt.kind == "CustomResourceDefinition" {
            resources::validate_crd(&obj)
                .map_err(|e| ApiError::invalid(&rt.kind, &rt.group, &name, e))?;
            let st = resources::crd_status(&obj);
            obj["status"] = st;
        }
        if !opts.system && !opts.as_loaded && !opts.keep_managed {
            fields::record_update(
                &mut obj,
                None,
                &opts.manager,
                &rt.api_version(),
                "Update",
                "",
            );
        }
        if opts.dry_run {
            obj["metadata"]["resourceVersion"] = json!("");
            return Ok(Arc::new(obj));
        }
        let uid = uid_of(&obj).to_string();
        let stored = self.commit(&rt.key(), obj, "ADDED");
        if opts.as_loaded {
            self.loaded.insert(uid);
        }
        if rt.kind == "CustomResourceDefinition" {
            self.serve_crd(&stored);
        }
        Ok(stored)
    }

    /// Defaulting and type-specific fix-ups run on create and update.
    fn default_object(
        &mut self,
        rt: &ResourceType,
        obj: &mut Value,
        old: Option<&Value>,
    ) -> ApiResult<()> {
        match (rt.group.as_str(), rt.kind.as_str()) {
            ("", "Namespace") => {
                let name = name_of(obj).to_string();
                let labels = util::obj_mut(util::obj_mut_v(obj, "metadata"), "labels");
                labels.insert("kubernetes.io/metadata.name".into(), json!(name));
                if obj["status"]["phase"].as_str().is_none() {
                    obj["status"] = json!({"phase": "Active"});
                }
                if obj["spec"]["finalizers"].is_null() {
                    obj["spec"] = json!({"finalizers": ["kubernetes"]});
                }
            }
            ("", "Secret") => {
                if let Some(sd) = obj.get("stringData").and_then(Value::as_object).cloned() {
                    let data = util::obj_mut(obj, "data");
                    for (k, v) in sd {
                        let s = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        data.insert(k, json!(util::base64_encode(s.as_bytes())));
                    }
                    obj.as_object_mut().map(|o| o.remove("stringData"));
                }
                if obj.get("type").is_none() {
                    obj["type"] = json!("Opaque");
                }
            }
            ("", "Service") => {
                let spec = util::obj_mut(obj, "spec");
                if !spec.contains_key("type") {
                    spec.insert("type".into(), json!("ClusterIP"));
                }
                let old_ip = old
                    .and_then(|o| o["spec"]["clusterIP"].as_str())
                    .map(str::to_string);
                if !spec.contains_key("clusterIP") || spec["clusterIP"].as_str() == Some("") {
                    let ip = match old_ip {
                        Some(ip) => ip,
                        None => {
                            self.service_ip_next += 1;
                            util::ipv4(
                                util::parse_ipv4("10.100.0.0").unwrap_or(0) + self.service_ip_next,
                            )
                        }
                    };
                    spec.insert("clusterIP".into(), json!(ip));
                    spec.insert("clusterIPs".into(), json!([ip]));
                }
                if !spec.contains_key("sessionAffinity") {
                    spec.insert("sessionAffinity".into(), json!("None"));
                }
                let node_ports = matches!(
                    spec.get("type").and_then(Value::as_str),
                    Some("NodePort") | Some("LoadBalancer")
                );
                if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports {
                        if node_ports && p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) == 0
                        {
                            self.node_port_next += 1;
                            p["nodePort"] = json!(30000 + (self.node_port_next % 2768));
                        }
                        if p.get("protocol").is_none() {
                            p["protocol"] = json!("TCP");
                        }
                        if p.get("targetPort").is_none() {
                            p["targetPort"] = p["port"].clone();
                        }
                    }
                }
            }
            ("", "Pod") => {
                let spec = util::obj_mut(obj, "spec");
                for (k, v) in [
                    ("restartPolicy", json!("Always")),
                    ("dnsPolicy", json!("ClusterFirst")),
                    ("schedulerName", json!("default-scheduler")),
                    ("terminationGracePeriodSeconds", json!(30)),
                    ("serviceAccountName", json!("default")),
                ] {
                    spec.entry(k).or_insert(v);
                }
                if obj["status"]["phase"].as_str().is_none() {
                    let qos = util::qos_class(&obj["spec"]);
                    let st = util::obj_mut(obj, "status");
                    st.insert("phase".into(), json!("Pending"));
                    st.insert("qosClass".into(), json!(qos));
                }
            }
            ("apps", "Deployment") => {
                let spec = util::obj_mut(obj, "spec");
                spec.entry("replicas").or_insert(json!(1));
                spec.entry("revisionHistoryLimit").or_insert(json!(10));
                spec.entry("progressDeadlineSeconds").or_insert(json!(600));
                spec.entry("strategy")
                    .or_insert(json!({"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}));
            }
            ("apps", "DaemonSet") => {
                let spec = util::obj_mut(obj, "spec");
                spec.entry("revisionHistoryLimit").or_insert(json!(10));
                spec.entry("updateStrategy")
                    .or_insert(json!({"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}));
            }
            ("apps", "ReplicaSet") | ("apps", "StatefulSet") => {
                util::obj_mut(obj, "spec")
                    .entry("replicas")
                    .or_insert(json!(1));
            }
            _ => {}
        }
        Ok(())
    }

    /// Replace (PUT). For `subresource == "status"` only the status is taken from `obj`.
    pub fn update(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        mut obj: Value,
        subresource: &str,
        opts: &WriteOpts,
    ) -> ApiResult<Value> {
        let ns = if rt.namespaced { ns } else { "" };
        let cur = self.get(rt, ns, name)?;
        if !obj.is_object() {
            return Err(ApiError::bad_request("body must be a JSON object"));
        }
        if let Some(bn) = util::str_at(&obj, &["metadata", "name"])
            && !bn.is_empty()
            && bn != name
        {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        if let Some(rv) = util::str_at(&obj, &["metadata", "resourceVersion"])
            && !rv.is_empty()
            && rv != util::str_at(&cur, &["metadata", "resourceVersion"]).unwrap_or("")
        {
            return Err(ApiError::conflict(
                &rt.group,
                &rt.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        let mut new = match subresource {
            "status" => {
                let mut n = (*cur).clone();
                n["status"] = obj.get("status").cloned().unwrap_or(Value::Null);
                n
            }
            _ => {
                obj["apiVersion"] = json!(rt.api_version());
                obj["kind"] = json!(rt.kind);
                if rt.status && !opts.as_loaded {
                    match cur.get("status") {
                        Some(s) => obj["status"] = s.clone(),
                        None => {
                            obj.as_object_mut().map(|o| o.remove("status"));
                        }
                    }
                }
                obj
            }
        };
        // immutable metadata
        {
            let m = util::obj_mut(&mut new, "metadata");
            for k in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            ] {
                match cur["metadata"].get(k) {
                    Some(v) => {
                        m.insert(k.into(), v.clone());
                    }
                    None => {
                        m.remove(k);
                    }
                }
            }
            m.insert("name".into(), json!(name));
            if rt.namespaced {
                m.insert("namespace".into(), json!(ns));
            } else {
                m.remove("namespace");
            }
            if subresource != "status"
                && m.get("managedFields").is_none()
                && let Some(mf) = cur["metadata"].get("managedFields")
            {
                m.insert("managedFields".into(), mf.clone());
            }
        }
        self.default_object(rt, &mut new, Some(&cur))?;
        // generation bumps when anything but metadata/status changes
        let strip = |v: &Value| -> Value {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("metadata");
                o.remove("status");
            }
            v
        };
        let gen_ = cur["metadata"]["generation"].as_i64();
        if strip(&new) != strip(&cur) {
            if let Some(g) = gen_ {
                new["metadata"]["generation"] = json!(g + 1);
            } else if new.get("spec").is_some() {
                new["metadata"]["generation"] = json!(1);
            }
        } else if let Some(g) = gen_ {
            new["metadata"]["generation"] = json!(g);
        }
        if rt.kind == "CustomResourceDefinition" && subresource != "status" {
            resources::validate_crd(&new)
                .map_err(|e| ApiError::invalid(&rt.kind, &rt.group, name, e))?;
            new["status"] = resources::crd_status(&new);
        }
        if !opts.system && !opts.as_loaded && !opts.manager.is_empty() {
            fields::record_update(
                &mut new,
                Some(&cur),
                &opts.manager,
                &rt.api_version(),
                "Update",
                subresource,
            );
        }
        // no-op updates keep the resourceVersion
        let mut cmp_new = new.clone();
        cmp_new["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone();
        if cmp_new == *cur {
            return Ok((*cur).clone());
        }
        if opts.dry_run {
            return Ok(new);
        }
        // finalizers removed from an object being deleted: finish the deletion
        if new["metadata"].get("deletionTimestamp").is_some()
            && new["metadata"]["finalizers"]
                .as_array()
                .is_none_or(|a| a.is_empty())
        {
            let key = rt.key();
            let stored = self.commit(&key, new, "MODIFIED");
            self.finish_delete(rt, &stored);
            return Ok((*stored).clone());
        }
        if !opts.system && !opts.as_loaded {
            // a client changed it: the simulated controllers take over
            self.loaded.remove(uid_of(&new));
        }
        let stored = self.commit(&rt.key(), new, "MODIFIED");
        if rt.kind == "CustomResourceDefinition" {
            self.serve_crd(&stored);
        }
        Ok((*stored).clone())
    }

    /// Internal write used by controllers and by patch handlers after computing the new object.
    pub fn put_system(&mut self, rt: &ResourceType, obj: Value) -> Option<Arc<Value>> {
        let cur = self.get_raw(&rt.key(), ns_of(&obj), name_of(&obj))?;
        let mut cmp = obj.clone();
        cmp["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone();
        if cmp == *cur {
            return Some(cur);
        }
        Some(self.commit(&rt.key(), obj, "MODIFIED"))
    }

    pub fn delete(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        opts: &DeleteOpts,
    ) -> ApiResult<Value> {
        let ns = if rt.namespaced { ns } else { "" };
        let cur = self.get(rt, ns, name)?;
        if let Some(u) = &opts.precondition_uid
            && u != uid_of(&cur)
        {
            return Err(ApiError::conflict(
                &rt.group,
                &rt.plural,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {u}, UID in object meta: {}",
                    uid_of(&cur)
                ),
            ));
        }
        if let Some(rv) = &opts.precondition_rv
            && Some(rv.as_str()) != util::str_at(&cur, &["metadata", "resourceVersion"])
        {
            return Err(ApiError::conflict(
                &rt.group,
                &rt.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        if opts.dry_run {
            return Ok((*cur).clone());
        }
        let finalizers: Vec<Value> = cur["metadata"]["finalizers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut finalizers = finalizers;
        let propagation = opts
            .propagation
            .clone()
            .unwrap_or_else(|| "Background".into());
        if propagation == "Foreground"
            && self
                .dependents
                .get(uid_of(&cur))
                .is_some_and(|d| !d.is_empty())
        {
            let f = json!("foregroundDeletion");
            if !finalizers.contains(&f) {
                finalizers.push(f);
            }
        }
        if propagation == "Orphan" {
            self.orphan_dependents(uid_of(&cur));
        }
        // Graceful pod deletion: mark, the pod controller removes it shortly after.
        let graceful_pod = rt.kind == "Pod"
            && rt.group.is_empty()
            && opts.grace_seconds != Some(0)
            && cur["spec"]["nodeName"]
                .as_str()
                .is_some_and(|n| !n.is_empty())
            && !self.loaded.contains(uid_of(&cur));
        // Namespaces: delete content first.
        if rt.kind == "Namespace" && rt.group.is_empty() {
            let mut n = (*cur).clone();
            if n["metadata"].get("deletionTimestamp").is_none() {
                n["metadata"]["deletionTimestamp"] = json!(util::now_rfc3339());
                n["status"]["phase"] = json!("Terminating");
                self.commit("namespaces", n, "MODIFIED");
            }
            self.purge_namespace(name);
            let out = (*self.get_raw("namespaces", "", name).unwrap_or(cur.clone())).clone();
            self.remove("namespaces", "", name);
            return Ok(out);
        }
        if !finalizers.is_empty() || graceful_pod {
            let mut n = (*cur).clone();
            if n["metadata"].get("deletionTimestamp").is_none() {
                n["metadata"]["deletionTimestamp"] = json!(util::now_rfc3339());
                let grace = opts
                    .grace_seconds
                    .or_else(|| cur["spec"]["terminationGracePeriodSeconds"].as_i64())
                    .unwrap_or(0);
                n["metadata"]["deletionGracePeriodSeconds"] =
                    json!(if graceful_pod { grace } else { 0 });
                n["metadata"]["finalizers"] = json!(finalizers);
                let stored = self.commit(&rt.key(), n, "MODIFIED");
                if propagation == "Foreground" {
                    self.delete_dependents(uid_of(&stored), "Foreground");
                    // the GC pass removes the finalizer once dependents are gone
                    self.foreground_check(rt, &stored);
                }
                return Ok(self
                    .get_raw(&rt.key(), ns, name)
                    .map(|v| (*v).clone())
                    .unwrap_or_else(|| (*stored).clone()));
            }
            return Ok((*cur).clone());
        }
        let out = self
            .remove(&rt.key(), ns, name)
            .map(|v| (*v).clone())
            .unwrap_or_default();
        self.after_removed(rt, &out, &propagation);
        Ok(out)
    }

    /// Called when an object with deletionTimestamp has no finalizers left.
    fn finish_delete(&mut self, rt: &ResourceType, obj: &Value) {
        if let Some(v) = self.remove(&rt.key(), ns_of(obj), name_of(obj)) {
            let v = (*v).clone();
            self.after_removed(rt, &v, "Background");
        }
    }

    fn after_removed(&mut self, rt: &ResourceType, obj: &Value, propagation: &str) {
        if rt.kind == "CustomResourceDefinition" && rt.group == "apiextensions.k8s.io" {
            let name = name_of(obj).to_string();
            let key = name.clone(); // "<plural>.<group>" is the storage key
            if let Some(b) = self.buckets.get(&key) {
                let keys: Vec<_> = b.keys().cloned().collect();
                for (ns, n) in keys {
                    self.remove(&key, &ns, &n);
                }
            }
            self.buckets.remove(&key);
            self.types
                .retain(|t| t.crd.as_deref() != Some(name.as_str()));
        }
        if propagation != "Orphan" {
            self.delete_dependents(uid_of(obj), "Background");
        }
    }

    fn orphan_dependents(&mut self, uid: &str) {
        let deps: Vec<_> = self
            .dependents
            .get(uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        for (key, ns, name) in deps {
            if let Some(o) = self.get_raw(&key, &ns, &name) {
                let mut o = (*o).clone();
                if let Some(a) = o["metadata"]["ownerReferences"].as_array_mut() {
                    a.retain(|r| r["uid"].as_str() != Some(uid));
                }
                self.commit(&key, o, "MODIFIED");
            }
        }
    }

    /// Garbage collection: removes objects all of whose owners are gone.
    pub fn delete_dependents(&mut self, uid: &str, propagation: &str) {
        let deps: Vec<_> = self
            .dependents
            .get(uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        for (key, ns, name) in deps {
            let Some(o) = self.get_raw(&key, &ns, &name) else {
                continue;
            };
            // keep it if another owner still exists
            let others_alive = o["metadata"]["ownerReferences"]
                .as_array()
                .map(|a| {
                    a.iter().any(|r| {
                        let ru = r["uid"].as_str().unwrap_or("");
                        ru != uid && self.uid_exists(ru)
                    })
                })
                .unwrap_or(false);
            if others_alive {
                continue;
            }
            let Some(rt) = self.preferred(&key) else {
                continue;
            };
            let _ = self.delete(
                &rt,
                &ns,
                &name,
                &DeleteOpts {
                    propagation: Some(propagation.into()),
                    grace_seconds: Some(0),
                    ..Default::default()
                },
            );
        }
        if self.dependents.get(uid).is_some_and(|d| d.is_empty()) {
            self.dependents.remove(uid);
        }
    }

    fn foreground_check(&mut self, rt: &ResourceType, obj: &Value) {
        if self
            .dependents
            .get(uid_of(obj))
            .is_none_or(|d| d.is_empty())
        {
            let Some(cur) = self.get_raw(&rt.key(), ns_of(obj), name_of(obj)) else {
                return;
            };
            let mut n = (*cur).clone();
            if let Some(a) = n["metadata"]["finalizers"].as_array_mut() {
                a.retain(|f| f.as_str() != Some("foregroundDeletion"));
            }
            if n["metadata"]["finalizers"]
                .as_array()
                .is_none_or(|a| a.is_empty())
            {
                self.commit(&rt.key(), n, "MODIFIED");
                self.finish_delete(rt, &cur);
            } else {
                self.commit(&rt.key(), n, "MODIFIED");
            }
        }
    }

    /// Linear scan; only used for the rare owner liveness check.
    pub fn uid_exists(&self, uid: &str) -> bool {
        if uid.is_empty() {
            return false;
        }
        self.buckets
            .values()
            .any(|b| b.values().any(|o| &*o.uid == uid))
    }

    fn purge_namespace(&mut self, ns: &str) {
        let keys: Vec<String> = self.buckets.keys().cloned().collect();
        for key in keys {
            let Some(rt) = self.preferred(&key) else {
                continue;
            };
            if !rt.namespaced {
                continue;
            }
            let names: Vec<String> = self.buckets[&key]
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|((_, name), _)| name.clone())
                .collect();
            for name in names {
                self.remove(&key, ns, &name);
            }
        }
    }

    /// All objects of a type, optionally in one namespace, in key order.
    pub fn list(&self, rt: &ResourceType, ns: Option<&str>) -> Vec<Arc<Obj>> {
        let Some(b) = self.buckets.get(&rt.key()) else {
            return vec![];
        };
        match ns {
            Some(ns) if rt.namespaced => b
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            _ => b.values().cloned().collect(),
        }
    }

    /// Completes deletions of pods marked for graceful deletion (simulated kubelet).
    pub fn reap_terminating_pods(&mut self) {
        let victims: Vec<(String, String)> = self
            .buckets
            .get("pods")
            .map(|b| {
                b.iter()
                    .filter(|(_, p)| p.deleting && !p.has_finalizers)
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        for (ns, name) in victims {
            self.remove("pods", &ns, &name);
        }
    }

    /// Drops list snapshots older than a minute.
    pub fn gc_snapshots(&mut self) {
        self.snapshots
            .retain(|_, s| s.created.elapsed() < std::time::Duration::from_secs(120));
    }
}

fn valid_name(name: &str, rt: &ResourceType) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    // RBAC and a few others allow path segment names
    if rt.group == "rbac.authorization.k8s.io" {
        return !name.contains('/') && name != "." && name != "..";
    }
    let ok_chars = name.bytes().all(|c| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == b'-'
            || c == b'.'
            || (rt.crd.is_some() && c == b':')
    });
    let b = name.as_bytes();
    ok_chars && b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
}
