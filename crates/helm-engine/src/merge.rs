//! Helm's `MergeMaps` (values files, the documents of one file, `--set` layers): maps merge key
//! by key, anything else from the later layer replaces. A leaf: the chart loader, the YAML
//! reader and the coalescing all use it.

use gotemplate::value::Value;
use std::collections::BTreeMap;

/// Helm CLI's `mergeMaps` (for `-f` files and `--set` layers).
pub fn merge_maps(a: &Value, b: &Value) -> Value {
    let out = match a {
        Value::Map(m) => m.borrow().clone(),
        _ => BTreeMap::new(),
    };
    let mut out = out;
    if let Value::Map(bm) = b {
        for (k, v) in bm.borrow().iter() {
            if let Value::Map(_) = v
                && let Some(existing @ Value::Map(_)) = out.get(k)
            {
                let merged = merge_maps(existing, v);
                out.insert(k.clone(), merged);
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    Value::map(out)
}

/// Helm's `loader.MergeMaps` (for `-f` files and the documents of one file): maps merge key by
/// key, anything else from `b` replaces.
pub fn merge_json_maps(
    a: &mut serde_json::Map<String, serde_json::Value>,
    b: &serde_json::Map<String, serde_json::Value>,
) {
    for (k, v) in b {
        if let serde_json::Value::Object(bo) = v
            && let Some(serde_json::Value::Object(ao)) = a.get_mut(k)
        {
            merge_json_maps(ao, bo);
            continue;
        }
        a.insert(k.clone(), v.clone());
    }
}
