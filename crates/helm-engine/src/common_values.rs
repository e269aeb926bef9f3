//! Helm's `common.Values` type (chartutil.Values): the maps `.Values` and `Values.Table` give,
//! with their methods `AsMap`, `YAML`, `Table` and `PathValue`.
//!
//! A template map is a plain Go map; which maps are `common.Values` is remembered here by
//! identity, as Helm's type system would.

use gotemplate::strconv::go_quote;
use gotemplate::value::{MapRef, Value};
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static VALUES_MAPS: RefCell<Vec<std::rc::Weak<RefCell<std::collections::BTreeMap<String, Value>>>>> = const { RefCell::new(Vec::new()) };
}

/// Mark a map as Helm's `common.Values` type (it has methods AsMap, YAML, Table). Maps of
/// finished renders are dropped and a map is marked once, so `.Values.Table` in a loop or many
/// renders in one process do not grow the list.
pub fn mark_values_map(v: &Value) {
    if let Value::Map(m) = v {
        VALUES_MAPS.with(|s| {
            let mut s = s.borrow_mut();
            s.retain(|w| w.strong_count() > 0);
            if !s.iter().any(|w| w.as_ptr() == Rc::as_ptr(m)) {
                s.push(Rc::downgrade(m));
            }
        });
    }
}

pub fn is_values_map(m: &MapRef) -> bool {
    VALUES_MAPS.with(|s| s.borrow().iter().any(|w| w.as_ptr() == Rc::as_ptr(m)))
}

/// Helm's Values.Table: follow dotted keys through maps; the first missing or non-map key
/// fails as `"key" is not a table`.
pub fn values_table(v: &Value, name: &str) -> Result<Value, String> {
    let mut cur = v.clone();
    for seg in name.split('.') {
        cur = match cur.get(seg) {
            Some(t @ Value::Map(_)) => t,
            _ => return Err(format!("{} is not a table", go_quote(seg))),
        };
    }
    mark_values_map(&cur);
    Ok(cur)
}

/// Helm's Values.PathValue: the value (not a table) at a dotted path.
pub fn values_path_value(v: &Value, path: &str) -> Result<Value, String> {
    if path.is_empty() {
        return Err("YAML path cannot be empty".into());
    }
    let (table, key) = match path.rsplit_once('.') {
        Some((t, k)) => (
            values_table(v, t).map_err(|_| format!("{} is not a value", go_quote(k)))?,
            k,
        ),
        None => (v.clone(), path),
    };
    match table.get(key) {
        Some(Value::Map(_)) | None => Err(format!("{} is not a value", go_quote(key))),
        Some(x) => Ok(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked() -> usize {
        VALUES_MAPS.with(|s| s.borrow().len())
    }

    #[test]
    fn values_maps_are_marked_once_and_dropped_with_their_render() {
        let v = Value::empty_map();
        let before = marked();
        mark_values_map(&v);
        mark_values_map(&v);
        assert_eq!(marked(), before + 1);
        let Value::Map(m) = &v else { unreachable!() };
        assert!(is_values_map(m));
        drop(v);
        let other = Value::empty_map();
        mark_values_map(&other);
        // the dropped map's entry is gone; only the live one stays
        assert_eq!(marked(), before + 1);
    }
}
