//! What Helm's manifest sorter reads of each document: its `SimpleHead` (apiVersion, kind,
//! metadata name and annotations), decoded from JSON as Go's encoding/json would.

use gotemplate::json::json_kind;
use gotemplate::value::Value;

const METADATA_TYPE: &str = "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }";

/// The error `yaml.Unmarshal(doc, &SimpleHead{})` gives for a document that parsed, if any:
/// a document that is not a map, or a head field of the wrong JSON type. Go reports the first
/// such field in JSON (sorted key) order; numbers and booleans are no error where a string is
/// wanted, since sigs.k8s.io/yaml turns them into strings first.
pub(super) fn simple_head_error(doc: &Value) -> Option<String> {
    let wrap = |e: String| format!("error unmarshaling JSON: while decoding JSON: json: {e}");
    let map = match doc {
        Value::Nil => return None,
        Value::Map(m) => m,
        other => {
            return Some(wrap(format!(
                "cannot unmarshal {} into Go value of type util.SimpleHead",
                json_kind(other)
            )));
        }
    };
    for (key, value) in map.borrow().iter() {
        let field = ["apiVersion", "kind", "metadata"]
            .into_iter()
            .find(|f| f.eq_ignore_ascii_case(key));
        let error = match (field, value) {
            (None, _) | (_, Value::Nil) => None,
            (Some("metadata"), Value::Map(meta)) => metadata_error(&meta.borrow()),
            (Some("metadata"), other) => Some(format!(
                "cannot unmarshal {} into Go struct field SimpleHead.metadata of type {METADATA_TYPE}",
                json_kind(other)
            )),
            (Some(f), other) => not_a_string(other).map(|t| {
                format!("cannot unmarshal {t} into Go struct field SimpleHead.{f} of type string")
            }),
        };
        if let Some(e) = error {
            return Some(wrap(e));
        }
    }
    None
}

fn metadata_error(meta: &std::collections::BTreeMap<String, Value>) -> Option<String> {
    for (key, value) in meta {
        let error = if key.eq_ignore_ascii_case("name") {
            not_a_string(value).map(|t| {
                format!("cannot unmarshal {t} into Go struct field .metadata.name of type string")
            })
        } else if key.eq_ignore_ascii_case("annotations") {
            match value {
                Value::Nil => None,
                Value::Map(a) => a.borrow().values().find_map(not_a_string).map(|t| {
                    format!("cannot unmarshal {t} into Go struct field .metadata.annotations of type string")
                }),
                other => Some(format!(
                    "cannot unmarshal {} into Go struct field .metadata.annotations of type map[string]string",
                    json_kind(other)
                )),
            }
        } else {
            None
        };
        if error.is_some() {
            return error;
        }
    }
    None
}

/// The JSON type of a value where Go wants a string, if it cannot become one.
fn not_a_string(v: &Value) -> Option<&'static str> {
    matches!(v, Value::List(_) | Value::Map(_)).then(|| json_kind(v))
}
