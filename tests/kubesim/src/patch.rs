//! JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.

use serde_json::{Map, Value};

/// The merge keys of the built-in kinds' common lists, by field name.
/// Returns all key fields (for server-side apply); the first is the strategic-merge key.
pub fn merge_keys(field: &str, sample: &[Value]) -> Option<&'static [&'static str]> {
    let has = |k: &str| sample.iter().any(|i| i.get(k).is_some());
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "readinessGates"
        | "secrets" => {
            if field == "readinessGates" {
                &["conditionType"]
            } else {
                &["name"]
            }
        }
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        "ports" => {
            if has("containerPort") {
                &["containerPort", "protocol"]
            } else if has("port") {
                &["port", "protocol"]
            } else {
                return None;
            }
        }
        "conditions" => &["type"],
        "ownerReferences" => &["uid"],
        "hostAliases" => &["ip"],
        "taints" => &["key", "effect"],
        "addresses" if has("type") && has("address") && !has("ip") => &["type"],
        "topologySpreadConstraints" => &["topologyKey", "whenUnsatisfiable"],
        "containerStatuses" | "initContainerStatuses" => &["name"],
        _ => return None,
    })
}

fn key_match(a: &Value, b: &Value, keys: &[&str]) -> bool {
    // strategic merge uses only the first key; protocol defaults to TCP
    let k = keys[0];
    a.get(k).is_some() && a.get(k) == b.get(k)
}

// ------------------------------------------------------------------ JSON merge patch

pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut out = match target {
                Value::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let cur = out.get(k).cloned().unwrap_or(Value::Null);
                    out.insert(k.clone(), merge_patch(&cur, v));
                }
            }
            Value::Object(out)
        }
        _ => patch.clone(),
    }
}

// ------------------------------------------------------------------ JSON patch

fn unescape(t: &str) -> String {
    t.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    if !path.starts_with('/') {
        return Err(format!("invalid JSON pointer {path:?}"));
    }
    Ok(path[1..].split('/').map(unescape).collect())
}

fn parent_mut<'a>(doc: &'a mut Value, parts: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for p in &parts[..parts.len() - 1] {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(p)
                .ok_or_else(|| format!("path segment {p:?} not found"))?,
            Value::Array(a) => {
                let i: usize = p.parse().map_err(|_| format!("invalid index {p:?}"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("index {i} out of range"))?
            }
            _ => return Err(format!("path segment {p:?} not found")),
        };
    }
    Ok(cur)
}

fn jp_get(doc: &Value, path: &str) -> Result<Value, String> {
    doc.pointer(path)
        .cloned()
        .ok_or_else(|| format!("path {path:?} not found"))
}

fn jp_remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = pointer_parts(path)?;
    if parts.is_empty() {
        return Err("cannot remove root".into());
    }
    let last = parts.last().expect("non-empty").clone();
    match parent_mut(doc, &parts)? {
        Value::Object(m) => m
            .remove(&last)
            .ok_or_else(|| format!("unable to remove nonexistent key: {last}: missing value")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid index {last:?}"))?;
            if i >= a.len() {
                return Err(format!("index {i} out of range"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("path {path:?} not found")),
    }
}

fn jp_add(doc: &mut Value, path: &str, val: Value, replace: bool) -> Result<(), String> {
    let parts = pointer_parts(path)?;
    if parts.is_empty() {
        *doc = val;
        return Ok(());
    }
    let last = parts.last().expect("non-empty").clone();
    match parent_mut(doc, &parts)? {
        Value::Object(m) => {
            if replace && !m.contains_key(&last) {
                return Err(format!(
                    "replace operation does not apply: doc is missing key: {path}"
                ));
            }
            m.insert(last, val);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(val);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("invalid index {last:?}"))?;
                if replace {
                    *a.get_mut(i)
                        .ok_or_else(|| format!("index {i} out of range"))? = val;
                } else {
                    if i > a.len() {
                        return Err(format!("index {i} out of range"));
                    }
                    a.insert(i, val);
                }
            }
        }
        _ => return Err(format!("doc is missing path: {path}")),
    }
    Ok(())
}

pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, String> {
    let ops = patch
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    let mut doc = target.clone();
    for op in ops {
        let path = op["path"].as_str().unwrap_or_default();
        match op["op"].as_str().unwrap_or_default() {
            "add" => jp_add(&mut doc, path, op["value"].clone(), false)?,
            "replace" => jp_add(&mut doc, path, op["value"].clone(), true)?,
            "remove" => {
                jp_remove(&mut doc, path)?;
            }
            "move" => {
                let from = op["from"].as_str().unwrap_or_default();
                let v = jp_remove(&mut doc, from)?;
                jp_add(&mut doc, path, v, false)?;
            }
            "copy" => {
                let from = op["from"].as_str().unwrap_or_default();
                let v = jp_get(&doc, from)?;
                jp_add(&mut doc, path, v, false)?;
            }
            "test" => {
                let v = jp_get(&doc, path)?;
                if v != op["value"] {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(doc)
}

// ------------------------------------------------------------------ strategic merge patch

pub fn strategic_merge(orig: &Value, patch: &Value) -> Result<Value, String> {
    Ok(smp_value(orig, patch, "").unwrap_or(Value::Null))
}

/// Returns None when the value is to be deleted.
fn smp_value(orig: &Value, patch: &Value, field: &str) -> Option<Value> {
    match patch {
        Value::Object(p) => {
            match p.get("$patch").and_then(Value::as_str) {
                Some("delete") => return None,
                Some("replace") => {
                    let mut p = p.clone();
                    p.remove("$patch");
                    return Some(Value::Object(p));
                }
                _ => {}
            }
            let mut out = match orig {
                Value::Object(o) => o.clone(),
                _ => Map::new(),
            };
            if let Some(keep) = p.get("$retainKeys").and_then(Value::as_array) {
                let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
                out.retain(|k, _| keep.contains(&k.as_str()));
            }
            let mut orders: Vec<(String, Vec<Value>)> = vec![];
            for (k, v) in p {
                if k == "$patch" || k == "$retainKeys" {
                    continue;
                }
                if let Some(f) = k.strip_prefix("$setElementOrder/") {
                    orders.push((f.to_string(), v.as_array().cloned().unwrap_or_default()));
                    continue;
                }
                if let Some(f) = k.strip_prefix("$deleteFromPrimitiveList/") {
                    if let (Some(Value::Array(a)), Some(del)) = (out.get_mut(f), v.as_array()) {
                        a.retain(|x| !del.contains(x));
                    }
                    continue;
                }
                if v.is_null() {
                    out.remove(k);
                    continue;
                }
                let cur = out.get(k).cloned().unwrap_or(Value::Null);
                match smp_value(&cur, v, k) {
                    Some(nv) => {
                        out.insert(k.clone(), nv);
                    }
                    None => {
                        out.remove(k);
                    }
                }
            }
            for (f, order) in orders {
                if let Some(Value::Array(a)) = out.get_mut(&f) {
                    reorder(a, &order, &f);
                }
            }
            let _ = field;
            Some(Value::Object(out))
        }
        Value::Array(pa) => {
            let oa = orig.as_array().cloned().unwrap_or_default();
            // [{"$patch": "replace"}, ...]
            if pa
                .iter()
                .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
            {
                return Some(Value::Array(
                    pa.iter()
                        .filter(|i| i.get("$patch").is_none())
                        .cloned()
                        .collect(),
                ));
            }
            let mut sample = pa.clone();
            sample.extend(oa.iter().cloned());
            let Some(keys) = merge_keys(field, &sample) else {
                return Some(patch.clone());
            };
            if !pa.iter().all(Value::is_object) {
                return Some(patch.clone());
            }
            let mut out = oa;
            for item in pa {
                let is_delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                let pos = out.iter().position(|o| key_match(o, item, keys));
                match (pos, is_delete) {
                    (Some(i), true) => {
                        out.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => {
                        if let Some(nv) = smp_value(&out[i], item, "") {
                            out[i] = nv;
                        }
                    }
                    (None, false) => {
                        if let Some(nv) = smp_value(&Value::Null, item, "") {
                            out.push(nv);
                        }
                    }
                }
            }
            Some(Value::Array(out))
        }
        _ => Some(patch.clone()),
    }
}

fn reorder(a: &mut Vec<Value>, order: &[Value], field: &str) {
    let mut sample = order.to_vec();
    sample.extend(a.iter().cloned());
    let keys = merge_keys(field, &sample);
    let mut out = Vec::with_capacity(a.len());
    let mut rest = std::mem::take(a);
    for o in order {
        let pos = match keys {
            Some(k) => rest.iter().position(|x| key_match(x, o, k)),
            None => rest.iter().position(|x| x == o),
        };
        if let Some(i) = pos {
            out.push(rest.remove(i));
        }
    }
    out.extend(rest);
    *a = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge() {
        let t = json!({"a": 1, "b": {"c": 2, "d": 3}});
        let p = json!({"a": null, "b": {"c": 5}});
        assert_eq!(merge_patch(&t, &p), json!({"b": {"c": 5, "d": 3}}));
    }

    #[test]
    fn jsonpatch() {
        let t = json!({"a": [1, 2], "b": "x"});
        let p = json!([{"op": "add", "path": "/a/-", "value": 3},
                       {"op": "replace", "path": "/b", "value": "y"},
                       {"op": "remove", "path": "/a/0"}]);
        assert_eq!(json_patch(&t, &p).unwrap(), json!({"a": [2, 3], "b": "y"}));
        assert!(json_patch(&t, &json!([{"op": "remove", "path": "/zz"}])).is_err());
    }

    #[test]
    fn strategic() {
        let t = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        let p = json!({"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "c", "image": "w"}]}});
        let r = strategic_merge(&t, &p).unwrap();
        assert_eq!(r["spec"]["containers"].as_array().unwrap().len(), 3);
        assert_eq!(r["spec"]["containers"][1]["image"], "z");
        let p2 = json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}],
                                 "$setElementOrder/containers": [{"name": "c"}, {"name": "b"}]}});
        let r2 = strategic_merge(&r, &p2).unwrap();
        assert_eq!(r2["spec"]["containers"][0]["name"], "c");
        assert_eq!(r2["spec"]["containers"].as_array().unwrap().len(), 2);
        let p3 = json!({"metadata": {"labels": {"x": null}}, "$retainKeys": ["metadata"]});
        let r3 =
            strategic_merge(&json!({"metadata": {"labels": {"x": "1"}}, "spec": 1}), &p3).unwrap();
        assert_eq!(r3, json!({"metadata": {"labels": {}}}));
    }
}
