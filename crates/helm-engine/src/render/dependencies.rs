//! Chart dependencies as Helm's ProcessDependencies handles them: aliases, tags and conditions
//! (disabled subcharts removed), then import-values.

use super::coalesce::{coalesce, coalesce_mode, coalesce_tables, path_lookup};
use super::error::RenderError;
use crate::chart::Chart;
use gotemplate::value::Value;
use std::collections::BTreeMap;

pub(super) fn dep_str(d: &Value, k: &str) -> String {
    match d.get(k) {
        Some(Value::Nil) | None => String::new(),
        Some(x) => gotemplate::value::strval(&x),
    }
}

pub(super) fn set_dependencies_meta(c: &mut Chart, deps: Vec<Value>) {
    if let Value::Map(md) = &c.metadata {
        let md2 = md.borrow().clone();
        let mut md2 = md2;
        md2.insert("dependencies".into(), Value::list(deps));
        c.metadata = Value::map(md2);
    }
}

/// Helm's processDependencyEnabled: aliases applied (a chart listed twice under two aliases is
/// used twice), tags then conditions (a condition that resolves to a bool wins), disabled
/// subcharts removed, recursively with the condition paths prefixed by the subchart names.
#[expect(
    clippy::nonminimal_bool,
    reason = "the tags rule written as Helm's Go code writes it"
)]
pub(super) fn process_dependency_enabled(
    c: &mut Chart,
    v: &Value,
    path: &str,
) -> Result<(), RenderError> {
    let reqs: Vec<Value> = match c.metadata.get("dependencies") {
        Some(Value::List(l)) => l.iter().map(|d| d.deep_copy()).collect(),
        _ => return Ok(()),
    };
    // Helm's IsCompatibleRange: the chart's version must satisfy the dependency's constraint
    let compatible = |r: &Value, ch: &Chart| {
        let v = match ch.metadata.get("version") {
            Some(Value::Nil) | None => String::new(),
            Some(x) => gotemplate::value::strval(&x),
        };
        sprig::semver::compare(&dep_str(r, "version"), &v).unwrap_or(false)
    };
    let mut charts: Vec<Chart> = c
        .dependencies
        .iter()
        .filter(|ch| {
            !reqs
                .iter()
                .any(|r| dep_str(r, "name") == ch.name() && compatible(r, ch))
        })
        .cloned()
        .collect();
    for r in &reqs {
        let name = dep_str(r, "name");
        if let Some(ch) = c
            .dependencies
            .iter()
            .find(|ch| ch.name() == name && compatible(r, ch))
        {
            let mut ch = ch.clone();
            let alias = dep_str(r, "alias");
            if !alias.is_empty()
                && let Value::Map(md) = &ch.metadata
            {
                let mut md2 = md.borrow().clone();
                md2.insert("name".into(), Value::string(alias.clone()));
                ch.metadata = Value::map(md2);
            }
            charts.push(ch);
        }
        let alias = dep_str(r, "alias");
        if !alias.is_empty()
            && let Value::Map(rm) = r
        {
            rm.borrow_mut().insert("name".into(), Value::string(alias));
        }
    }
    c.dependencies = charts;
    let cvals = match v {
        Value::Map(_) => v.deep_copy(),
        _ => Value::empty_map(),
    };
    coalesce(c, &cvals)?;
    let tags = match cvals.get("tags") {
        Some(t @ Value::Map(_)) => Some(t),
        _ => None,
    };
    let mut disabled: Vec<String> = vec![];
    for r in &reqs {
        let mut enabled = true;
        if let Some(tv) = &tags {
            let (mut has_true, mut has_false) = (false, false);
            if let Some(Value::List(ts)) = r.get("tags") {
                for t in ts.iter() {
                    if let Some(Value::Bool(b)) = tv.get(&gotemplate::value::strval(t)) {
                        if b { has_true = true } else { has_false = true }
                    }
                }
            }
            enabled = !((!has_true) && has_false);
        }
        for cond in dep_str(r, "condition").trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(Value::Bool(b)) = path_lookup(&cvals, &format!("{path}{cond}")) {
                enabled = b;
                break;
            }
        }
        if !enabled {
            disabled.push(dep_str(r, "name"));
        }
    }
    c.dependencies.retain(|ch| !disabled.contains(&ch.name()));
    let kept: Vec<Value> = reqs
        .into_iter()
        .filter(|r| !disabled.contains(&dep_str(r, "name")))
        .collect();
    for sub in c.dependencies.iter_mut() {
        let sp = format!("{}{}.", path, sub.name());
        process_dependency_enabled(sub, &cvals, &sp)?;
    }
    set_dependencies_meta(c, kept);
    Ok(())
}

/// MergeTables (dst wins; nulls kept).
pub(super) fn merge_tables(dst: &Value, src: &Value) {
    coalesce_tables(dst, src, true);
}

/// Nest `data` under a dotted path (`.` means the top level).
pub(super) fn path_to_map(path: &str, data: Value) -> Value {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for seg in path.split('.').rev() {
        let mut m = BTreeMap::new();
        m.insert(seg.to_string(), cur);
        cur = Value::map(m);
    }
    cur
}

/// Helm's processImportValues (merge mode), bottom-up: a parent imports each dependency's
/// `exports.<name>` (string form) or `<child>` table into `<parent>` (map form); the parent's
/// own values win over imported ones.
pub(super) fn process_import_values(c: &mut Chart) -> Result<(), RenderError> {
    for sub in c.dependencies.iter_mut() {
        process_import_values(sub)?;
    }
    let reqs: Vec<Value> = match c.metadata.get("dependencies") {
        Some(Value::List(l)) => l.iter().cloned().collect(),
        _ => return Ok(()),
    };
    let cvals = Value::empty_map();
    coalesce_mode(c, &cvals, true)?;
    let b = Value::empty_map();
    let mut new_reqs = Vec::new();
    for r in &reqs {
        let name = dep_str(r, "name");
        let mut outiv = Vec::new();
        if let Some(Value::List(ivs)) = r.get("import-values") {
            for iv in ivs.iter() {
                let (child, parent) = match iv {
                    Value::Map(_) => {
                        let g = |k: &str| match iv.get(k) {
                            Some(x) => gotemplate::value::strval(&x),
                            None => "<nil>".to_string(),
                        };
                        (g("child"), g("parent"))
                    }
                    Value::Str(s) => (format!("exports.{s}"), ".".to_string()),
                    _ => continue,
                };
                let mut pm = BTreeMap::new();
                pm.insert("child".to_string(), Value::string(child.clone()));
                pm.insert("parent".to_string(), Value::string(parent.clone()));
                outiv.push(Value::map(pm));
                let Some(t @ Value::Map(_)) = path_lookup(&cvals, &format!("{name}.{child}"))
                else {
                    continue;
                };
                let t = t.deep_copy();
                let src = if parent == "." && matches!(iv, Value::Str(_)) {
                    t
                } else {
                    path_to_map(&parent, t)
                };
                merge_tables(&b, &src);
            }
        }
        let r2 = r.deep_copy();
        if let Value::Map(rm) = &r2
            && r.get("import-values").is_some()
        {
            rm.borrow_mut()
                .insert("import-values".into(), Value::list(outiv));
        }
        new_reqs.push(r2);
    }
    let merged = cvals.deep_copy();
    merge_tables(&merged, &b);
    c.values = merged;
    set_dependencies_meta(c, new_reqs);
    Ok(())
}

/// Process dependencies as Helm's ProcessDependencies does: enabled/disabled subcharts, then
/// import-values.
pub(super) fn process_dependencies(c: &mut Chart, vals: &Value) -> Result<(), RenderError> {
    process_dependency_enabled(c, vals, "")?;
    process_import_values(c)
}
