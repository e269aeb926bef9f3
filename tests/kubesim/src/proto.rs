//! Decoding of Kubernetes protobuf request bodies for the kinds typed clients write with
//! protobuf (Helm's release storage writes Secrets and ConfigMaps this way).
//! Responses are always JSON; clients decode by the response Content-Type.

use crate::util;
use serde_json::{Map, Value, json};

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, i: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut out = 0u64;
        let mut shift = 0;
        loop {
            let c = *self.b.get(self.i).ok_or("truncated varint")?;
            self.i += 1;
            out |= ((c & 0x7f) as u64) << shift;
            if c & 0x80 == 0 {
                return Ok(out);
            }
            shift += 7;
            if shift > 63 {
                return Err("varint too long".into());
            }
        }
    }

    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, String> {
        if self.i >= self.b.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (num, wt) = (key >> 3, key & 7);
        let f = match wt {
            0 => Field::Varint(self.varint()?),
            2 => {
                let n = self.varint()? as usize;
                let end = self
                    .i
                    .checked_add(n)
                    .filter(|e| *e <= self.b.len())
                    .ok_or("truncated field")?;
                let s = &self.b[self.i..end];
                self.i = end;
                Field::Bytes(s)
            }
            1 => {
                self.i += 8;
                Field::Other
            }
            5 => {
                self.i += 4;
                Field::Other
            }
            _ => return Err(format!("unsupported wire type {wt}")),
        };
        Ok(Some((num, f)))
    }
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn map_entry(b: &[u8]) -> Result<(String, Vec<u8>), String> {
    let mut r = Reader::new(b);
    let (mut k, mut v) = (String::new(), vec![]);
    while let Some((n, f)) = r.next()? {
        if let Field::Bytes(x) = f {
            match n {
                1 => k = s(x),
                2 => v = x.to_vec(),
                _ => {}
            }
        }
    }
    Ok((k, v))
}

fn time(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut secs = 0i64;
    while let Some((n, f)) = r.next()? {
        if let (1, Field::Varint(v)) = (n, f) {
            secs = v as i64;
        }
    }
    Ok(json!(util::rfc3339(secs)))
}

fn owner_ref(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut o = Map::new();
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (5, Field::Bytes(x)) => {
                o.insert("apiVersion".into(), json!(s(x)));
            }
            (1, Field::Bytes(x)) => {
                o.insert("kind".into(), json!(s(x)));
            }
            (3, Field::Bytes(x)) => {
                o.insert("name".into(), json!(s(x)));
            }
            (4, Field::Bytes(x)) => {
                o.insert("uid".into(), json!(s(x)));
            }
            (6, Field::Varint(v)) => {
                o.insert("controller".into(), json!(v != 0));
            }
            (7, Field::Varint(v)) => {
                o.insert("blockOwnerDeletion".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    Ok(Value::Object(o))
}

fn object_meta(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut m = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut owners = vec![];
    let mut finalizers = vec![];
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(x)) => {
                m.insert("name".into(), json!(s(x)));
            }
            (2, Field::Bytes(x)) => {
                m.insert("generateName".into(), json!(s(x)));
            }
            (3, Field::Bytes(x)) => {
                m.insert("namespace".into(), json!(s(x)));
            }
            (5, Field::Bytes(x)) => {
                m.insert("uid".into(), json!(s(x)));
            }
            (6, Field::Bytes(x)) => {
                m.insert("resourceVersion".into(), json!(s(x)));
            }
            (7, Field::Varint(v)) => {
                m.insert("generation".into(), json!(v as i64));
            }
            (8, Field::Bytes(x)) => {
                m.insert("creationTimestamp".into(), time(x)?);
            }
            (11, Field::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                labels.insert(k, json!(s(&v)));
            }
            (12, Field::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                annotations.insert(k, json!(s(&v)));
            }
            (13, Field::Bytes(x)) => owners.push(owner_ref(x)?),
            (14, Field::Bytes(x)) => finalizers.push(json!(s(x))),
            _ => {}
        }
    }
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), Value::Object(annotations));
    }
    if !owners.is_empty() {
        m.insert("ownerReferences".into(), Value::Array(owners));
    }
    if !finalizers.is_empty() {
        m.insert("finalizers".into(), Value::Array(finalizers));
    }
    Ok(Value::Object(m))
}

fn secret(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut o = json!({"apiVersion": "v1", "kind": "Secret"});
    let mut data = Map::new();
    let mut sdata = Map::new();
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(x)) => o["metadata"] = object_meta(x)?,
            (2, Field::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                data.insert(k, json!(util::base64_encode(&v)));
            }
            (3, Field::Bytes(x)) => o["type"] = json!(s(x)),
            (4, Field::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                sdata.insert(k, json!(s(&v)));
            }
            (5, Field::Varint(v)) => o["immutable"] = json!(v != 0),
            _ => {}
        }
    }
    if !data.is_empty() {
        o["data"] = Value::Object(data);
    }
    if !sdata.is_empty() {
        o["stringData"] = Value::Object(sdata);
    }
    Ok(o)
}

fn config_map(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut o = json!({"apiVersion": "v1", "kind": "ConfigMap"});
    let mut data = Map::new();
    let mut bdata = Map::new();
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(x)) => o["metadata"] = object_meta(x)?,
            (2, Field::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                data.insert(k, json!(s(&v)));
            }
            (3, Field::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                bdata.insert(k, json!(util::base64_encode(&v)));
            }
            (4, Field::Varint(v)) => o["immutable"] = json!(v != 0),
            _ => {}
        }
    }
    if !data.is_empty() {
        o["data"] = Value::Object(data);
    }
    if !bdata.is_empty() {
        o["binaryData"] = Value::Object(bdata);
    }
    Ok(o)
}

fn delete_options(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut o = json!({"kind": "DeleteOptions", "apiVersion": "v1"});
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Varint(v)) => o["gracePeriodSeconds"] = json!(v as i64),
            (4, Field::Bytes(x)) => o["propagationPolicy"] = json!(s(x)),
            (5, Field::Bytes(x)) => {
                o["dryRun"]
                    .as_array_mut()
                    .map(|a| a.push(json!(s(x))))
                    .unwrap_or_else(|| {
                        o["dryRun"] = json!([s(x)]);
                    });
            }
            _ => {}
        }
    }
    Ok(o)
}

/// Decodes a `k8s\0`-prefixed protobuf envelope into JSON.
pub fn decode(b: &[u8]) -> Result<Value, String> {
    let body = b.strip_prefix(b"k8s\0").ok_or("missing protobuf magic")?;
    let mut r = Reader::new(body);
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                let mut t = Reader::new(tm);
                while let Some((tn, tf)) = t.next()? {
                    match (tn, tf) {
                        (1, Field::Bytes(x)) => api_version = s(x),
                        (2, Field::Bytes(x)) => kind = s(x),
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(x)) => raw = x,
            _ => {}
        }
    }
    let mut v = match kind.as_str() {
        "Secret" => secret(raw)?,
        "ConfigMap" => config_map(raw)?,
        "DeleteOptions" => delete_options(raw)?,
        k if k.ends_with("Review") => serde_json::json!({"kind": k, "spec": {}}),
        other => {
            return Err(format!(
                "kubesim decodes protobuf only for Secret, ConfigMap and DeleteOptions (got {other:?}); use JSON"
            ));
        }
    };
    if !api_version.is_empty() && kind != "DeleteOptions" {
        v["apiVersion"] = json!(api_version);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, data: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, data.len() as u8];
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn secret_roundtrip() {
        let mut meta = field(1, b"sh.helm.release.v1.x.v1");
        let mut lbl = field(1, b"owner");
        lbl.extend(field(2, b"helm"));
        meta.extend(field(11, &lbl));
        let mut raw = field(1, &meta);
        let mut d = field(1, b"release");
        d.extend(field(2, b"abc"));
        raw.extend(field(2, &d));
        raw.extend(field(3, b"helm.sh/release.v1"));
        let mut tm = field(1, b"v1");
        tm.extend(field(2, b"Secret"));
        let mut env = b"k8s\0".to_vec();
        env.extend(field(1, &tm));
        env.extend(field(2, &raw));
        let v = decode(&env).unwrap();
        assert_eq!(v["metadata"]["name"], "sh.helm.release.v1.x.v1");
        assert_eq!(v["metadata"]["labels"]["owner"], "helm");
        assert_eq!(v["data"]["release"], "YWJj");
        assert_eq!(v["type"], "helm.sh/release.v1");
    }
}
