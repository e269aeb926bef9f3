//! Reading values documents from files or stdin, with errors that point at file:line:col.
//!
//! Values become `serde_json::Value`, the JSON-typed tree Helm itself works on. A second, typed
//! pass over the same text checks the keys podnet reasons about, so a wrong type (a string where a
//! list belongs) is reported with its exact location instead of surfacing later as a vague finding.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Largest values file podnet reads. Real values files are kilobytes; a larger input is almost
/// certainly the wrong file, and reading it would only burn memory.
pub const MAX_VALUES_BYTES: usize = 16 * 1024 * 1024;

/// A parsed values document and where it came from.
#[derive(Debug, Clone)]
pub struct ValuesDoc {
    /// `path/to/file.yaml` or `<stdin>`.
    pub source: String,
    pub value: Value,
}

/// Reads `path` (or stdin for `-`). `allow_empty` accepts an empty document as `{}`.
pub fn read_values(path: &Path, allow_empty: bool) -> Result<ValuesDoc> {
    let (source, bytes) = read_source(path)?;
    parse_values(&source, &bytes, allow_empty)
}

/// As [`read_values`], also returning the text, for readers with other YAML rules (Helm's).
pub fn read_values_with_text(path: &Path, allow_empty: bool) -> Result<(ValuesDoc, String)> {
    let (source, bytes) = read_source(path)?;
    let doc = parse_values(&source, &bytes, allow_empty)?;
    Ok((doc, String::from_utf8_lossy(&bytes).into_owned()))
}

/// The text of a values file or stdin (`-`), within [`MAX_VALUES_BYTES`] and valid UTF-8 (else
/// the error names the line and column of the first bad byte). Returns (source name, text).
pub fn read_text(path: &Path) -> Result<(String, String)> {
    let (source, bytes) = read_source(path)?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok((source, s)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let (l, c) = line_col(e.as_bytes(), at);
            Err(Error::input(
                format!("{source}:{l}:{c}"),
                "is not valid UTF-8 (YAML text must be)",
            )
            .with_help("save the file as UTF-8"))
        }
    }
}

fn read_source(path: &Path) -> Result<(String, Vec<u8>)> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let (source, reader): (String, Box<dyn Read>) = if path == Path::new("-") {
        ("<stdin>".to_string(), Box::new(std::io::stdin().lock()))
    } else {
        let meta = std::fs::metadata(path).map_err(read_err)?;
        if meta.is_dir() {
            return Err(Error::input(
                path.display().to_string(),
                "is a directory, not a values file",
            )
            .with_help("pass a YAML file, e.g. -f cilium-values.yaml"));
        }
        if meta.len() > MAX_VALUES_BYTES as u64 {
            return Err(too_big(&path.display().to_string(), meta.len()));
        }
        let f = std::fs::File::open(path).map_err(read_err)?;
        (path.display().to_string(), Box::new(f))
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_VALUES_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Read {
            path: PathBuf::from(&source),
            source: e,
        })?;
    if bytes.len() > MAX_VALUES_BYTES {
        return Err(too_big(&source, bytes.len() as u64));
    }
    Ok((source, bytes))
}

fn too_big(source: &str, len: u64) -> Error {
    Error::input(
        source,
        format!(
            "is {:.1} MB; values files are read up to {} MiB",
            len as f64 / 1e6,
            MAX_VALUES_BYTES >> 20
        ),
    )
    .with_help("is this the right file? Helm values files are normally a few kilobytes")
}

/// Line and column (1-based) of byte offset `at` in `bytes`.
fn line_col(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, col)
}

/// Parses one YAML document of values. Public so `-f -` and tests share the exact rules.
pub fn parse_values(source: &str, bytes: &[u8], allow_empty: bool) -> Result<ValuesDoc> {
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        let (l, c) = line_col(bytes, at);
        return Err(Error::input(
            format!("{source}:{l}:{c}"),
            "contains a NUL byte: this is a binary file, not YAML",
        )
        .with_help("pass the Helm values file (YAML text)"));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (l, c) = line_col(bytes, e.valid_up_to());
            return Err(
                Error::input(format!("{source}:{l}:{c}"), "is not valid UTF-8 text")
                    .with_help("save the file as UTF-8; YAML files must be text"),
            );
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs: Vec<Value> =
        serde_saphyr::from_str_multiple(text).map_err(|e| yaml_error(source, &e))?;
    let value = merge_documents(source, docs)?;
    let value = match value {
        Value::Null if allow_empty => Value::Object(Map::new()),
        Value::Null => {
            return Err(Error::input(
                format!("{source}:1:1"),
                "is empty: there are no values to check",
            )
            .with_help("pass a values file with at least one key, e.g. from `kubectl podnet cilium values`"));
        }
        Value::Object(_) => value,
        other => {
            return Err(Error::input(
                format!("{source}:1:1"),
                format!(
                    "the document is {}, but Helm values must be a mapping of keys",
                    kind(&other)
                ),
            )
            .with_help("a values file looks like `ipam:\\n  mode: cluster-pool`"));
        }
    };
    check_known_types(source, text)?;
    Ok(ValuesDoc {
        source: source.to_string(),
        value,
    })
}

/// Helm v4 reads a values file's documents (`---`) and merges them, later ones winning and maps
/// merging key by key (its LoadValues); an empty document adds nothing.
fn merge_documents(source: &str, docs: Vec<Value>) -> Result<Value> {
    let count = docs.len();
    let mut merged = Value::Null;
    for (i, doc) in docs.into_iter().enumerate() {
        match (doc, &mut merged) {
            (Value::Null, _) => {}
            (doc @ Value::Object(_), Value::Null) => merged = doc,
            (Value::Object(doc), Value::Object(into)) => crate::helm::merge_json_maps(into, &doc),
            (other, _) if count > 1 => {
                return Err(Error::input(
                    source.to_string(),
                    format!(
                        "document {} of {count} is {}, but Helm values must be a mapping of keys",
                        i + 1,
                        kind(&other)
                    ),
                )
                .with_help("every document of a values file must be a mapping; Helm merges them"));
            }
            (other, _) => merged = other,
        }
    }
    Ok(merged)
}

fn yaml_error(source: &str, e: &serde_saphyr::Error) -> Error {
    let plain = e.without_snippet().to_string();
    // The crate prefixes "line L column C: "; the place goes in front of ours instead.
    let mut message = plain.strip_prefix("error: ").unwrap_or(&plain);
    if let Some((head, rest)) = message.split_once(": ")
        && head.starts_with("line ")
    {
        message = rest;
    }
    let message = message
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace(
            "; use from_str_multiple or from_str_multiple_with_options",
            "",
        )
        .replace("expected sequence start", "expected a list")
        .replace("expected mapping start", "expected a mapping");
    // The position is already in front; drop the crate's trailing copy of it.
    let message = match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => message[..i].to_string(),
        _ => message,
    };
    let location = match e.location() {
        Some(l) => format!("{source}:{}:{}", l.line(), l.column()),
        None => source.to_string(),
    };
    Error::input(location, format!("not valid YAML: {message}"))
        .with_help("fix the YAML at that position; `yamllint` or an editor with YAML support helps")
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The keys podnet reasons about, with the types the Cilium chart expects. Unknown keys are
/// ignored here; `values-unknown-key` deals with them.
mod known {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(untagged)]
    #[allow(dead_code)]
    pub enum Scalar {
        B(bool),
        N(f64),
        S(String),
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct Root {
        pub ipam: Option<Ipam>,
        pub affinity: Option<Affinity>,
        pub operator: Option<Operator>,
        pub kube_proxy_replacement: Option<Scalar>,
        pub k8s_service_host: Option<Scalar>,
        pub k8s_service_port: Option<Scalar>,
        pub envoy: Option<Enabled>,
        pub ipv6: Option<Enabled>,
        pub node_selector: Option<std::collections::BTreeMap<String, Option<Scalar>>>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub struct Ipam {
        pub mode: Option<String>,
        pub operator: Option<IpamOperator>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub struct IpamOperator {
        #[serde(rename = "clusterPoolIPv4PodCIDRList")]
        pub v4_list: Option<Vec<Option<Scalar>>>,
        #[serde(rename = "clusterPoolIPv4MaskSize")]
        pub v4_mask: Option<Scalar>,
        #[serde(rename = "clusterPoolIPv6PodCIDRList")]
        pub v6_list: Option<Vec<Option<Scalar>>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct Operator {
        pub affinity: Option<Affinity>,
        pub unmanaged_pod_watcher: Option<Watcher>,
        pub enabled: Option<Scalar>,
        pub node_selector: Option<std::collections::BTreeMap<String, Option<Scalar>>>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub struct Watcher {
        pub restart: Option<Scalar>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub struct Enabled {
        pub enabled: Option<Scalar>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct Affinity {
        pub node_affinity: Option<NodeAffinity>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct NodeAffinity {
        pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct NodeSelector {
        pub node_selector_terms: Option<Vec<Term>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct Term {
        pub match_expressions: Option<Vec<Expr>>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub struct Expr {
        pub key: Option<String>,
        pub operator: Option<String>,
        pub values: Option<Vec<Option<Scalar>>>,
    }
}

fn check_known_types(source: &str, text: &str) -> Result<()> {
    match serde_saphyr::from_str_multiple::<Option<known::Root>, Vec<_>>(text) {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = yaml_error(source, &e);
            Err(match err {
                Error::Input {
                    location, message, ..
                } => Error::Input {
                    location,
                    message: message.replacen("not valid YAML: ", "wrong type: ", 1),
                    help: Some(
                        "see the Cilium chart's values reference for this key's type".to_string(),
                    ),
                },
                other => other,
            })
        }
    }
}

/// Helm's coalescing of user values: maps merge key by key, anything else replaces, and a `null`
/// in the overriding document deletes the key.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else if let Some(slot) = b.get_mut(k) {
                    if slot.is_object() && v.is_object() {
                        merge(slot, v);
                    } else {
                        *slot = v.clone();
                    }
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Looks up a dotted path (`ipam.operator.clusterPoolIPv4MaskSize`).
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, key| cur.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ValuesDoc> {
        parse_values("v.yaml", s.as_bytes(), false)
    }

    #[test]
    fn errors_carry_locations() {
        let e = parse("a: [1, 2\n").unwrap_err().to_string();
        assert!(e.starts_with("v.yaml:1:4: not valid YAML"), "{e}");
        let e = parse("").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = parse("- a\n").unwrap_err().to_string();
        assert!(e.contains("a list"), "{e}");
        let e = parse_values("b.bin", b"ab\n\x00", false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("b.bin:2:1:"), "{e}");
        let e = parse_values("b.bin", b"a: \xff\n", false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("b.bin:1:4:"), "{e}");
        let e = parse("ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: 10.0.0.0/8\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("v.yaml:3:"), "{e}");
        assert!(e.contains("wrong type"), "{e}");
        assert!(parse_values("e.yaml", b"", true).unwrap().value.is_object());
        // documents merge as Helm v4's LoadValues merges them
        let v = parse_values(
            "m.yaml",
            b"a: {x: 1, y: 2}\nb: 1\n---\na: {y: 3}\n---\n# nothing\n",
            false,
        )
        .unwrap()
        .value;
        assert_eq!(v, serde_json::json!({"a": {"x": 1, "y": 3}, "b": 1}));
        let e = parse_values("m.yaml", b"a: 1\n---\n- x\n", false).unwrap_err();
        assert!(e.to_string().contains("document 2 of 2 is a list"), "{e}");
        let e =
            parse("a: 1\n---\nipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: 10.0.0.0/8\n")
                .unwrap_err()
                .to_string();
        assert!(
            e.starts_with("v.yaml:5:") && e.contains("wrong type"),
            "{e}"
        );
    }

    #[test]
    fn merge_like_helm() {
        let mut a: Value = serde_json::json!({"a": {"b": 1, "c": 2}, "l": [1], "d": 1});
        merge(
            &mut a,
            &serde_json::json!({"a": {"b": 3}, "l": [2], "d": null}),
        );
        assert_eq!(a, serde_json::json!({"a": {"b": 3, "c": 2}, "l": [2]}));
        assert_eq!(get(&a, "a.c"), Some(&serde_json::json!(2)));
    }
}
