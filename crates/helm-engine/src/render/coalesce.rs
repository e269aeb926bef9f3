//! Values coalescing as Helm's chartutil does it: `-f`/`--set` layers merged, then each chart's
//! defaults, globals and subchart tables coalesced into the user's values.

use super::error::RenderError;
use crate::chart::Chart;
use gotemplate::value::Value;

pub(super) fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

pub(super) fn clean_nil_values(v: &Value) {
    if let Value::Map(m) = v {
        m.borrow_mut().retain(|_, x| !x.is_nil());
        for x in m.borrow().values() {
            clean_nil_values(x);
        }
    }
}

/// chartutil coalesceTablesFullKey (dst has precedence).
pub(super) fn coalesce_tables(dst: &Value, src: &Value, merge: bool) {
    let (Value::Map(d), Value::Map(s)) = (dst, src) else {
        return;
    };
    let src_non_nil: std::collections::HashSet<String> = s
        .borrow()
        .iter()
        .filter(|(_, v)| !v.is_nil())
        .map(|(k, _)| k.clone())
        .collect();
    let dst_nils: Vec<String> = d
        .borrow()
        .iter()
        .filter(|(_, v)| v.is_nil())
        .map(|(k, _)| k.clone())
        .collect();
    for k in dst_nils {
        s.borrow_mut().insert(k, Value::Nil);
    }
    let src_entries: Vec<(String, Value)> = s
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, sv) in src_entries {
        let dv = d.borrow().get(&k).cloned();
        match dv {
            Some(Value::Nil) if !merge && src_non_nil.contains(&k) => {
                d.borrow_mut().remove(&k);
            }
            None => {
                d.borrow_mut().insert(k, sv);
            }
            Some(dv) => {
                if is_table(&sv) && is_table(&dv) {
                    coalesce_tables(&dv, &sv, merge);
                }
            }
        }
    }
}

/// chartutil coalesceValues for one chart: defaults `c.values` into `v` (`merge`: keep nulls,
/// as MergeValues does).
pub(super) fn coalesce_values(c: &Chart, v: &Value, merge: bool) {
    let vc = c.values.deep_copy();
    let (Value::Map(vm), Value::Map(dm)) = (v, &vc) else {
        return;
    };
    let defaults: Vec<(String, Value)> = dm
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, dv) in defaults {
        let uv = vm.borrow().get(&k).cloned();
        match uv {
            Some(Value::Nil) => {
                if !merge {
                    vm.borrow_mut().remove(&k);
                }
            }
            Some(uv @ Value::Map(_)) => {
                if is_table(&dv) {
                    let merge = merge || c.dependencies.iter().any(|d| d.name() == k);
                    if !merge {
                        clean_nil_values(&dv);
                    }
                    coalesce_tables(&uv, &dv, merge);
                }
            }
            Some(_) => {}
            None => {
                if !merge {
                    if dv.is_nil() {
                        continue;
                    }
                    clean_nil_values(&dv);
                }
                vm.borrow_mut().insert(k, dv);
            }
        }
    }
}

pub(super) fn chart_alias_name(c: &Chart, _parent: &Chart) -> String {
    c.name()
}

pub(super) fn coalesce_globals(dest: &Value, src: &Value) {
    let dg = match dest.get("global") {
        None => Value::empty_map(),
        Some(g @ Value::Map(_)) => g,
        Some(_) => return,
    };
    let sg = match src.get("global") {
        None => Value::empty_map(),
        Some(g @ Value::Map(_)) => g,
        Some(_) => return,
    };
    let entries: Vec<(String, Value)> = sg
        .as_map()
        .unwrap()
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, val) in entries {
        if let Value::Map(vm) = &val {
            let vv = Value::map(vm.borrow().clone());
            let existing = dg.get(&k);
            match existing {
                None => {
                    dg.as_map().unwrap().borrow_mut().insert(k, vv);
                }
                Some(dv @ Value::Map(_)) => {
                    coalesce_tables(&vv, &dv, true);
                    dg.as_map().unwrap().borrow_mut().insert(k, vv);
                }
                Some(_) => {}
            }
        } else if dg.get(&k).is_some_and(|d| is_table(&d)) {
        } else {
            dg.as_map().unwrap().borrow_mut().insert(k, val);
        }
    }
    dest.as_map()
        .unwrap()
        .borrow_mut()
        .insert("global".into(), dg);
}

/// Coalesce a chart (and its subcharts) into `v` (Helm's CoalesceValues, or MergeValues when
/// `merge`).
pub(super) fn coalesce_mode(c: &Chart, v: &Value, merge: bool) -> Result<(), RenderError> {
    coalesce_values(c, v, merge);
    for sub in &c.dependencies {
        let name = sub.name();
        let m = v.as_map().unwrap();
        let existing = m.borrow().get(&name).cloned();
        let sv = match existing {
            Some(x @ Value::Map(_)) => x,
            None => {
                let n = Value::empty_map();
                m.borrow_mut().insert(name.clone(), n.clone());
                n
            }
            Some(other) => {
                return Err(RenderError(format!(
                    "type mismatch on {}: {}",
                    name,
                    go_t_verb(&other)
                )));
            }
        };
        coalesce_globals(&sv, v);
        coalesce_mode(sub, &sv, merge)?;
    }
    Ok(())
}

/// Go's `%t` of a non-map value (`%!t(string=x)` for non-booleans).
pub(super) fn go_t_verb(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::List(l) => format!(
            "[{}]",
            l.iter().map(go_t_verb).collect::<Vec<_>>().join(" ")
        ),
        Value::Nil => "%!t(<nil>)".into(),
        other => format!(
            "%!t({}={})",
            go_type_name(other),
            gotemplate::value::sprint(other)
        ),
    }
}

pub(super) fn coalesce(c: &Chart, v: &Value) -> Result<(), RenderError> {
    coalesce_mode(c, v, false)
}

/// `Values.PathValue` / `Table` lookups: walk dotted `path` through maps.
pub(super) fn path_lookup(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v.clone();
    for seg in path.split('.') {
        cur = match &cur {
            Value::Map(_) => cur.get(seg)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Go's `%T` of a values node (as Helm prints it in schema errors).
pub(super) fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) => "int64",
        Value::Uint(_) => "uint64",
        Value::Byte(_) => "uint8",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
        Value::Object(_) => "interface {}",
    }
}
