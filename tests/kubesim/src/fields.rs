//! Field ownership (managedFields, fieldsV1) and server-side apply.

use crate::patch::merge_keys;
use crate::util;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

type Path = Vec<String>;
type Set = BTreeSet<Path>;

const SKIP_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

fn key_elem(item: &Value, keys: &[&str]) -> Option<String> {
    let mut m = Map::new();
    for k in keys {
        match item.get(*k) {
            Some(v) => {
                m.insert((*k).to_string(), v.clone());
            }
            None if *k == "protocol" => {}
            None => return None,
        }
    }
    if m.is_empty() {
        return None;
    }
    Some(format!("k:{}", Value::Object(m)))
}

fn collect(v: &Value, field: &str, prefix: &mut Path, out: &mut Set) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                prefix.push(format!("f:{k}"));
                collect(c, k, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let keyed = merge_keys(field, a).filter(|_| a.iter().all(Value::is_object));
            match keyed {
                Some(keys) if a.iter().all(|i| key_elem(i, keys).is_some()) => {
                    for item in a {
                        let e = key_elem(item, keys).expect("checked");
                        prefix.push(e);
                        prefix.push(".".into());
                        out.insert(prefix.clone());
                        prefix.pop();
                        collect(item, "", prefix, out);
                        prefix.pop();
                    }
                }
                _ => {
                    if !prefix.is_empty() {
                        out.insert(prefix.clone());
                    }
                }
            }
        }
        _ => {
            if !prefix.is_empty() {
                out.insert(prefix.clone());
            }
        }
    }
}

/// The leaf field paths an object sets, excluding identity and system fields.
/// `status_only` selects the status subresource's fields; otherwise status is excluded.
pub fn leaves(obj: &Value, status_only: bool) -> Set {
    let mut out = Set::new();
    let Some(m) = obj.as_object() else { return out };
    for (k, v) in m {
        if k == "apiVersion" || k == "kind" {
            continue;
        }
        if (k == "status") != status_only && k != "metadata" {
            continue;
        }
        if k == "metadata" {
            if status_only {
                continue;
            }
            if let Some(mm) = v.as_object() {
                for (mk, mv) in mm {
                    if SKIP_META.contains(&mk.as_str()) {
                        continue;
                    }
                    let mut p = vec!["f:metadata".to_string(), format!("f:{mk}")];
                    collect(mv, mk, &mut p, &mut out);
                }
            }
            continue;
        }
        let mut p = vec![format!("f:{k}")];
        collect(v, k, &mut p, &mut out);
    }
    out
}

/// Looks a path up in an object. "." means the containing item itself.
pub fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for e in path {
        if e == "." {
            continue;
        }
        if let Some(f) = e.strip_prefix("f:") {
            cur = cur.get(f)?;
        } else if let Some(k) = e.strip_prefix("k:") {
            let kv: Value = serde_json::from_str(k).ok()?;
            let km = kv.as_object()?;
            cur = cur.as_array()?.iter().find(|i| {
                km.iter().all(|(kk, vv)| {
                    i.get(kk) == Some(vv)
                        || (kk == "protocol" && i.get(kk).is_none() && vv == "TCP")
                })
            })?;
        } else if let Some(v) = e.strip_prefix("v:") {
            let vv: Value = serde_json::from_str(v).ok()?;
            cur = cur.as_array()?.iter().find(|i| **i == vv)?;
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Removes a path from an object (a map key or a keyed list item).
fn remove_at(obj: &mut Value, path: &[String]) {
    let path: Vec<&String> = path.iter().filter(|e| *e != ".").collect();
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for e in parents {
        let next = if let Some(f) = e.strip_prefix("f:") {
            cur.get_mut(f)
        } else if let Some(k) = e.strip_prefix("k:") {
            let Ok(kv) = serde_json::from_str::<Value>(k) else {
                return;
            };
            let Some(km) = kv.as_object().cloned() else {
                return;
            };
            cur.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|i| km.iter().all(|(kk, vv)| i.get(kk) == Some(vv)))
            })
        } else {
            None
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:")
        && let Ok(kv) = serde_json::from_str::<Value>(k)
        && let Some(km) = kv.as_object()
        && let Some(a) = cur.as_array_mut()
    {
        a.retain(|i| !km.iter().all(|(kk, vv)| i.get(kk) == Some(vv)));
    }
}

/// fieldsV1 JSON from a set of paths.
pub fn encode(set: &Set) -> Value {
    let mut root = Value::Object(Map::new());
    for p in set {
        let mut cur = &mut root;
        for e in p {
            cur = cur
                .as_object_mut()
                .expect("object")
                .entry(e.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    root
}

/// Paths of a fieldsV1 JSON.
pub fn decode(v: &Value) -> Set {
    fn walk(v: &Value, prefix: &mut Path, out: &mut Set) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, c) in m {
                    prefix.push(k.clone());
                    walk(c, prefix, out);
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            }
        }
    }
    let mut out = Set::new();
    walk(v, &mut vec![], &mut out);
    out
}

#[derive(Clone, Debug)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: String,
    set: Set,
}

fn entries(obj: &Value) -> Vec<Entry> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or_default().to_string(),
                    operation: e["operation"].as_str().unwrap_or("Update").to_string(),
                    api_version: e["apiVersion"].as_str().unwrap_or_default().to_string(),
                    subresource: e["subresource"].as_str().unwrap_or_default().to_string(),
                    time: e["time"].as_str().unwrap_or_default().to_string(),
                    set: decode(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn write_entries(obj: &mut Value, es: Vec<Entry>) {
    let arr: Vec<Value> = es
        .into_iter()
        .filter(|e| !e.set.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": encode(&e.set),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if arr.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(arr));
        }
    }
}

/// Records an Update by `manager`: it takes the fields it changed; removed fields leave every set.
pub fn record_update(
    new: &mut Value,
    old: Option<&Value>,
    manager: &str,
    api_version: &str,
    operation: &str,
    subresource: &str,
) {
    if manager.is_empty() {
        return;
    }
    let status_only = subresource == "status";
    let new_set = leaves(new, status_only);
    let (old_set, mut es) = match old {
        Some(o) => (leaves(o, status_only), entries(o)),
        None => (Set::new(), vec![]),
    };
    let changed: Set = new_set
        .iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .cloned()
        .collect();
    let removed: Set = old_set.difference(&new_set).cloned().collect();
    for e in es.iter_mut() {
        e.set.retain(|p| !removed.contains(p));
        if !(e.manager == manager && e.operation == operation && e.subresource == subresource) {
            e.set.retain(|p| !changed.contains(p));
        }
    }
    if !changed.is_empty() {
        let now = util::now_rfc3339();
        match es.iter_mut().find(|e| {
            e.manager == manager && e.operation == operation && e.subresource == subresource
        }) {
            Some(e) => {
                e.set.extend(changed);
                e.time = now;
                e.api_version = api_version.to_string();
            }
            None => es.push(Entry {
                manager: manager.into(),
                operation: operation.into(),
                api_version: api_version.into(),
                subresource: subresource.into(),
                time: now,
                set: changed,
            }),
        }
    }
    write_entries(new, es);
}

/// Human path for conflict messages: `.spec.containers[name="x"].image`.
pub fn path_string(p: &[String]) -> String {
    let mut s = String::new();
    for e in p {
        if let Some(f) = e.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = e.strip_prefix("k:") {
            let kv: Value = serde_json::from_str(k).unwrap_or(Value::Null);
            let parts: Vec<String> = kv
                .as_object()
                .map(|m| m.iter().map(|(a, b)| format!("{a}={b}")).collect())
                .unwrap_or_default();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = e.strip_prefix("v:") {
            s.push_str(&format!("[{v}]"));
        }
    }
    s
}

pub struct Conflict {
    pub manager: String,
    pub api_version: String,
    pub path: String,
}

/// Deep merge of an applied configuration into the live object.
fn apply_merge(live: &Value, applied: &Value, field: &str) -> Value {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            let mut out = l.clone();
            for (k, v) in a {
                let cur = out.get(k).cloned().unwrap_or(Value::Null);
                out.insert(k.clone(), apply_merge(&cur, v, k));
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(a)) if a.iter().all(Value::is_object) => {
            let mut sample = a.clone();
            sample.extend(l.iter().cloned());
            match merge_keys(field, &sample) {
                Some(keys) if a.iter().all(|i| key_elem(i, keys).is_some()) => {
                    let mut out = l.clone();
                    for item in a {
                        let e = key_elem(item, keys);
                        match out.iter().position(|x| key_elem(x, keys) == e) {
                            Some(i) => out[i] = apply_merge(&out[i], item, ""),
                            None => out.push(item.clone()),
                        }
                    }
                    Value::Array(out)
                }
                _ => applied.clone(),
            }
        }
        _ => applied.clone(),
    }
}

/// Server-side apply. `live` is the current object (None to create).
/// Returns the merged object with managedFields, or the conflicts.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
    subresource: &str,
) -> Result<Value, Vec<Conflict>> {
    let status_only = subresource == "status";
    let applied_set = leaves(applied, status_only);
    let empty = json!({});
    let live_v = live.unwrap_or(&empty);
    let mut es = entries(live_v);
    let mut conflicts = vec![];
    let mut conflicted: Set = Set::new();
    for p in &applied_set {
        let lv = value_at(live_v, p);
        if lv.is_none() || lv == value_at(applied, p) || p.last().is_some_and(|e| e == ".") {
            continue;
        }
        for e in &es {
            if e.manager == manager && e.subresource == subresource {
                continue;
            }
            if e.subresource != subresource {
                continue;
            }
            if e.set.contains(p) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    api_version: e.api_version.clone(),
                    path: path_string(p),
                });
                conflicted.insert(p.clone());
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    let mut merged = apply_merge(live_v, applied, "");
    // fields this manager applied before but no longer does
    let prev: Set = es
        .iter()
        .find(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource)
        .map(|e| e.set.clone())
        .unwrap_or_default();
    for p in prev.difference(&applied_set) {
        let owned_elsewhere = es.iter().any(|e| {
            !(e.manager == manager && e.operation == "Apply")
                && e.subresource == subresource
                && e.set.contains(p)
        });
        if !owned_elsewhere {
            remove_at(&mut merged, p);
        }
    }
    for e in es.iter_mut() {
        if e.manager == manager && e.operation == "Apply" {
            continue;
        }
        e.set.retain(|p| !conflicted.contains(p));
        // a value changed by this apply is no longer what the others set
        e.set.retain(|p| {
            !(applied_set.contains(p) && value_at(live_v, p) != value_at(applied, p) && force)
        });
    }
    let now = util::now_rfc3339();
    match es
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource)
    {
        Some(e) => {
            e.set = applied_set;
            e.time = now;
            e.api_version = api_version.into();
        }
        None => es.push(Entry {
            manager: manager.into(),
            operation: "Apply".into(),
            api_version: api_version.into(),
            subresource: subresource.into(),
            time: now,
            set: applied_set,
        }),
    }
    write_entries(&mut merged, es);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_and_encode() {
        let o = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"a": "1"}},
            "data": {"k": "v"}});
        let s = leaves(&o, false);
        assert!(s.contains(&vec!["f:data".to_string(), "f:k".to_string()]));
        let enc = encode(&s);
        assert_eq!(decode(&enc), s);
        assert_eq!(enc["f:metadata"]["f:labels"]["f:a"], json!({}));
    }

    #[test]
    fn apply_conflict_and_force() {
        let mut live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x"}, "data": {"k": "v"}});
        record_update(&mut live, None, "kubectl-create", "v1", "Update", "");
        let applied = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x"}, "data": {"k": "w", "n": "1"}});
        let err = apply(Some(&live), &applied, "me", "v1", false, "")
            .err()
            .unwrap();
        assert_eq!(err[0].manager, "kubectl-create");
        assert_eq!(err[0].path, ".data.k");
        let merged = apply(Some(&live), &applied, "me", "v1", true, "")
            .ok()
            .unwrap();
        assert_eq!(merged["data"]["k"], "w");
        // dropping a field removes it
        let applied2 = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x"}, "data": {"k": "w"}});
        let m2 = apply(Some(&merged), &applied2, "me", "v1", false, "")
            .ok()
            .unwrap();
        assert!(m2["data"].get("n").is_none());
    }

    #[test]
    fn keyed_lists() {
        let o = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let s = leaves(&o, false);
        let p = vec![
            "f:spec".to_string(),
            "f:containers".into(),
            "k:{\"name\":\"a\"}".into(),
            "f:image".into(),
        ];
        assert!(s.contains(&p));
        assert_eq!(value_at(&o, &p), Some(&json!("x")));
        assert_eq!(path_string(&p), ".spec.containers[name=\"a\"].image");
    }
}
