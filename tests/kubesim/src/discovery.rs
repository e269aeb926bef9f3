//! Discovery documents: /version, /api, /apis, /apis/<g>, resource lists.

use crate::resources::ResourceType;
use crate::store::Store;
use serde_json::{Value, json};

pub fn version(v: &str) -> Value {
    let v = v.trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("33");
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": format!("v{v}"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn api_versions(addr: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr}],
    })
}

/// Groups in first-seen order with their versions (preferred first).
fn groups(st: &Store) -> Vec<(String, Vec<String>, String)> {
    let mut out: Vec<(String, Vec<String>, String)> = vec![];
    for t in &st.types {
        if t.group.is_empty() {
            continue;
        }
        match out.iter_mut().find(|g| g.0 == t.group) {
            Some(g) => {
                if !g.1.contains(&t.version) {
                    g.1.push(t.version.clone());
                }
                if t.preferred {
                    g.2 = t.version.clone();
                }
            }
            None => out.push((t.group.clone(), vec![t.version.clone()], t.version.clone())),
        }
    }
    for g in out.iter_mut() {
        let pref = g.2.clone();
        g.1.sort_by_key(|v| (v != &pref, std::cmp::Reverse(version_rank(v))));
    }
    out
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first.
fn version_rank(v: &str) -> (u8, u32, u32) {
    let rest = v.trim_start_matches('v');
    let num: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major: u32 = num.parse().unwrap_or(0);
    let tail = &rest[num.len()..];
    if tail.is_empty() {
        (3, major, 0)
    } else if let Some(b) = tail.strip_prefix("beta") {
        (2, major, b.parse().unwrap_or(0))
    } else if let Some(a) = tail.strip_prefix("alpha") {
        (1, major, a.parse().unwrap_or(0))
    } else {
        (0, major, 0)
    }
}

fn group_json(g: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({
        "name": g,
        "versions": vs,
        "preferredVersion": {"groupVersion": format!("{g}/{}", versions[0]), "version": versions[0]},
    })
}

pub fn api_groups(st: &Store) -> Value {
    let gs: Vec<Value> = groups(st)
        .iter()
        .map(|(g, vs, _)| group_json(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": gs})
}

pub fn api_group(st: &Store, group: &str) -> Option<Value> {
    let gs = groups(st);
    let (g, vs, _) = gs.iter().find(|g| g.0 == group)?;
    let mut v = group_json(g, vs);
    v["kind"] = json!("APIGroup");
    v["apiVersion"] = json!("v1");
    Some(v)
}

fn resource_json(t: &ResourceType) -> Vec<Value> {
    let mut r = json!({
        "name": t.plural,
        "singularName": t.singular,
        "namespaced": t.namespaced,
        "kind": t.kind,
        "verbs": t.verbs,
        "storageVersionHash": crate::util::short_hash(&t.key()),
    });
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    let mut out = vec![r];
    if t.status {
        out.push(json!({"name": format!("{}/status", t.plural), "singularName": "", "namespaced": t.namespaced,
            "kind": t.kind, "verbs": ["get", "patch", "update"]}));
    }
    if t.scale {
        out.push(json!({"name": format!("{}/scale", t.plural), "singularName": "", "namespaced": t.namespaced,
            "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]}));
    }
    if t.group.is_empty() && t.kind == "Pod" {
        out.push(
            json!({"name": "pods/eviction", "singularName": "", "namespaced": true,
            "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]}),
        );
        out.push(
            json!({"name": "pods/log", "singularName": "", "namespaced": true,
            "kind": "Pod", "verbs": ["get"]}),
        );
    }
    if t.group.is_empty() && t.kind == "ServiceAccount" {
        out.push(json!({"name": "serviceaccounts/token", "singularName": "", "namespaced": true,
            "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"]}));
    }
    out
}

pub fn resource_list(st: &Store, group: &str, version: &str) -> Option<Value> {
    let rs: Vec<Value> = st
        .types
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .flat_map(|t| resource_json(t))
        .collect();
    if rs.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs}),
    )
}

/// Content type of aggregated discovery (apidiscovery.k8s.io/v2).
pub const AGGREGATED_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn resource_v2(t: &ResourceType) -> Value {
    let gvk = |g: &str, v: &str, k: &str| json!({"group": g, "version": v, "kind": k});
    let mut subs = vec![];
    if t.status {
        subs.push(
            json!({"subresource": "status", "responseKind": gvk(&t.group, &t.version, &t.kind),
                         "verbs": ["get", "patch", "update"]}),
        );
    }
    if t.scale {
        subs.push(
            json!({"subresource": "scale", "responseKind": gvk("autoscaling", "v1", "Scale"),
                         "verbs": ["get", "patch", "update"]}),
        );
    }
    if t.group.is_empty() && t.kind == "Pod" {
        subs.push(json!({"subresource": "eviction", "responseKind": gvk("policy", "v1", "Eviction"), "verbs": ["create"]}));
        subs.push(
            json!({"subresource": "log", "responseKind": gvk("", "v1", "Pod"), "verbs": ["get"]}),
        );
    }
    if t.group.is_empty() && t.kind == "ServiceAccount" {
        subs.push(json!({"subresource": "token", "responseKind": gvk("authentication.k8s.io", "v1", "TokenRequest"), "verbs": ["create"]}));
    }
    let mut r = json!({
        "resource": t.plural,
        "responseKind": gvk(&t.group, &t.version, &t.kind),
        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": t.singular,
        "verbs": t.verbs,
    });
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    if !subs.is_empty() {
        r["subresources"] = json!(subs);
    }
    r
}

/// Aggregated discovery for `/api` (core) or `/apis` (all groups).
pub fn aggregated(st: &Store, core: bool) -> Value {
    let mut items = vec![];
    if core {
        let rs: Vec<Value> = st
            .types
            .iter()
            .filter(|t| t.group.is_empty())
            .map(|t| resource_v2(t))
            .collect();
        items.push(json!({"metadata": {"creationTimestamp": null},
                          "versions": [{"version": "v1", "resources": rs, "freshness": "Current"}]}));
    } else {
        for (g, vs, _) in groups(st) {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| {
                    let rs: Vec<Value> = st
                        .types
                        .iter()
                        .filter(|t| t.group == g && &t.version == v)
                        .map(|t| resource_v2(t))
                        .collect();
                    json!({"version": v, "resources": rs, "freshness": "Current"})
                })
                .collect();
            items.push(
                json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions}),
            );
        }
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}
