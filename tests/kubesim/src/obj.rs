//! Compact stored objects: the JSON bytes plus a small index of the fields that lists,
//! selectors, watches and the garbage collector need without parsing.

use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Obj {
    raw: Box<[u8]>,
    pub name: Box<str>,
    pub ns: Box<str>,
    pub uid: Box<str>,
    pub api_version: Box<str>,
    labels: Option<Box<Map<String, Value>>>,
    pub owners: Box<[Box<str>]>,
    pub deleting: bool,
    pub has_finalizers: bool,
    pub node_name: Option<Box<str>>,
    pub phase: Option<Box<str>>,
}

fn bs(v: Option<&str>) -> Box<str> {
    v.unwrap_or("").into()
}

impl Obj {
    pub fn from_value(v: &Value) -> Obj {
        let m = &v["metadata"];
        Obj {
            raw: serde_json::to_vec(v).unwrap_or_default().into_boxed_slice(),
            name: bs(m["name"].as_str()),
            ns: bs(m["namespace"].as_str()),
            uid: bs(m["uid"].as_str()),
            api_version: bs(v["apiVersion"].as_str()),
            labels: m["labels"]
                .as_object()
                .filter(|l| !l.is_empty())
                .map(|l| Box::new(l.clone())),
            owners: m["ownerReferences"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o["uid"].as_str().map(Into::into))
                        .collect()
                })
                .unwrap_or_default(),
            deleting: m.get("deletionTimestamp").is_some_and(|d| !d.is_null()),
            has_finalizers: m["finalizers"].as_array().is_some_and(|a| !a.is_empty()),
            node_name: v["spec"]["nodeName"].as_str().map(Into::into),
            phase: v["status"]["phase"].as_str().map(Into::into),
        }
    }

    /// The object as JSON bytes.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Parses the object.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or(Value::Null)
    }

    pub fn labels(&self) -> Option<&Map<String, Value>> {
        self.labels.as_deref()
    }

    /// Indexed field values for field selectors; None when the field is not indexed.
    pub fn indexed_field(&self, path: &str) -> Option<String> {
        Some(match path {
            "metadata.name" => self.name.to_string(),
            "metadata.namespace" => self.ns.to_string(),
            "metadata.uid" => self.uid.to_string(),
            "spec.nodeName" => self.node_name.as_deref().unwrap_or("").to_string(),
            "status.phase" => self.phase.as_deref().unwrap_or("").to_string(),
            _ => return None,
        })
    }
}
