//! Helm's `common.Values` type (chartutil.Values): the maps `.Values` and `Values.Table` give,
//! with their methods `AsMap`, `YAML`, `Table` and `PathValue`.
//!
//! A template map is a plain Go map; a reference typed `common.Values` (see
//! [`gotemplate::value::MapRef::typed`]) shares it, as a Go conversion does.

use gotemplate::strconv::go_quote;
use gotemplate::value::{GoTypeName, MapRef, Value};

/// Go's name of Helm's values type.
pub static VALUES_TYPE: GoTypeName = GoTypeName("common.Values");

/// `v` seen as Helm's `common.Values` (with its methods AsMap, YAML, Table, PathValue); the
/// map stays shared, so a parent that reaches it as `.Values.sub` still sees a plain map.
pub fn as_values(v: &Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(m.typed(&VALUES_TYPE)),
        other => other.clone(),
    }
}

/// Whether this reference sees its map as `common.Values`.
pub fn is_values_map(m: &MapRef) -> bool {
    m.type_name() == Some(VALUES_TYPE.0)
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
    Ok(as_values(&cur))
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

    #[test]
    fn the_type_travels_with_the_reference_not_the_map() {
        let plain = Value::empty_map();
        let typed = as_values(&plain);
        let (Value::Map(p), Value::Map(t)) = (&plain, &typed) else {
            unreachable!()
        };
        assert!(is_values_map(t) && !is_values_map(p));
        t.borrow_mut().insert("k".into(), Value::Int(1));
        assert_eq!(plain.get("k").map(|v| v.type_name()), Some("int"));
        assert_eq!(typed.type_name(), "common.Values");
        assert_eq!(plain.type_name(), "map[string]interface {}");
    }
}
