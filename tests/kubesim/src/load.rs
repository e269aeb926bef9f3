//! `--load`: multi-document YAML (a file, or every *.yaml / *.yml / *.json in a folder),
//! CRDs first, then namespaces, then everything else, stored as written (status included).

use crate::store::{Store, WriteOpts};
use crate::util::{name_of, ns_of};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn yaml_options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.budget = None;
    o
}

/// Parses multi-document YAML (or JSON) into objects; `kind: List` is flattened.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = if text.trim_start().starts_with('{') {
        vec![serde_json::from_str(text).map_err(|e| e.to_string())?]
    } else {
        serde_saphyr::from_multiple_with_options(text, yaml_options()).map_err(|e| e.to_string())?
    };
    let mut out = vec![];
    for d in docs {
        if d.is_null() {
            continue;
        }
        if d["kind"].as_str().is_some_and(|k| k.ends_with("List")) && d["items"].is_array() {
            out.extend(d["items"].as_array().cloned().unwrap_or_default());
        } else {
            out.push(d);
        }
    }
    Ok(out)
}

fn files(p: &Path) -> Result<Vec<PathBuf>, String> {
    if p.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| {
                f.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
            })
            .collect();
        v.sort();
        Ok(v)
    } else {
        Ok(vec![p.to_path_buf()])
    }
}

pub fn load_path(st: &mut Store, p: &Path) -> Result<usize, String> {
    let mut objs = vec![];
    for f in files(p)? {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        objs.extend(parse_documents(&text).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    load_objects(st, objs)
}

fn rank(o: &Value) -> u8 {
    match o["kind"].as_str() {
        Some("CustomResourceDefinition") => 0,
        Some("Namespace") => 1,
        _ => 2,
    }
}

/// Stores objects as written (CRDs first). Missing namespaces are created.
pub fn load_objects(st: &mut Store, mut objs: Vec<Value>) -> Result<usize, String> {
    objs.sort_by_key(rank);
    let mut n = 0;
    for o in objs {
        load_one(st, o)?;
        n += 1;
    }
    Ok(n)
}

/// Stores one object as written; its namespace is created when missing.
pub fn load_one(st: &mut Store, o: Value) -> Result<(), String> {
    let opts = WriteOpts {
        as_loaded: true,
        ..Default::default()
    };
    let av = o["apiVersion"].as_str().unwrap_or("").to_string();
    let kind = o["kind"].as_str().unwrap_or("").to_string();
    let Some(rt) = st.find_kind(&av, &kind) else {
        return Err(format!(
            "no resource type for {av} {kind} ({})",
            name_of(&o)
        ));
    };
    let ns = if rt.namespaced {
        let ns = ns_of(&o);
        if ns.is_empty() {
            "default".to_string()
        } else {
            ns.to_string()
        }
    } else {
        String::new()
    };
    if rt.namespaced && !st.exists("namespaces", "", &ns) {
        let nsrt = st.find("", "v1", "namespaces").ok_or("namespaces")?;
        st.create(
            &nsrt,
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            &WriteOpts::default(),
        )
        .map_err(|e| e.message)?;
    }
    let name = name_of(&o).to_string();
    if st.exists(&rt.key(), &ns, &name) {
        // a later document replaces an earlier one
        let _ = st.delete(&rt, &ns, &name, &Default::default());
    }
    st.create_quiet(&rt, &ns, o, &opts)
        .map_err(|e| format!("{kind} {name}: {}", e.message))?;
    Ok(())
}
