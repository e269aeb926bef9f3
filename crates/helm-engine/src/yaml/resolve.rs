//! From nodes to values: go-yaml v2's resolution of plain scalars (YAML 1.1 booleans, numbers,
//! timestamps), tags, merge keys, and sigs.k8s.io/yaml's JSON typing of the result.

use super::error::{ParseResult, YamlError};
use super::parser::Node;
use gotemplate::strconv::{go_parse_float, go_parse_int, go_parse_uint};
use gotemplate::value::Value;
use std::collections::BTreeMap;

/// A resolved YAML scalar (go-yaml v2 `resolve`).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
    Timestamp,
    Merge,
}

/// go-yaml v2's resolution of a plain scalar.
pub fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    let b = s.as_bytes()[0];
    if b == b'.' {
        if let Some(f) = go_parse_float(s) {
            return Resolved::Float(f);
        }
        return Resolved::Str;
    }
    if b.is_ascii_digit() || b == b'+' || b == b'-' {
        if is_timestamp(s) {
            return Resolved::Timestamp;
        }
        let plain: String = s.chars().filter(|&c| c != '_').collect();
        if let Some(i) = go_parse_int(&plain) {
            return Resolved::Int(i);
        }
        if let Some(u) = go_parse_uint(&plain) {
            return Resolved::Uint(u);
        }
        if yaml_style_float(&plain)
            && let Some(f) = go_parse_float(&plain)
        {
            return Resolved::Float(f);
        }
        if let Some(r) = plain.strip_prefix("0b")
            && let Ok(i) = i64::from_str_radix(r, 2)
        {
            return Resolved::Int(i);
        }
        if let Some(r) = plain.strip_prefix("-0b")
            && let Ok(i) = i64::from_str_radix(r, 2)
        {
            return Resolved::Int(-i);
        }
    }
    Resolved::Str
}

pub(super) fn yaml_style_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml v2 parseTimestamp (only whether it matches).
pub(super) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    // quick check: 4 digits then '-'
    if b.len() < 8 || !b[..4].iter().all(|c| c.is_ascii_digit()) || b[4] != b'-' {
        return false;
    }
    // formats: 2006-1-2T15:4:5.999999999Z07:00, 2006-1-2t15:4:5..., "2006-1-2 15:4:5.999999999", 2006-1-2
    let mut i = 5;
    let num = |i: &mut usize, max: usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - st < max {
            *i += 1;
        }
        *i - st
    };
    if num(&mut i, 2) == 0 || i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    if num(&mut i, 2) == 0 {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b[i];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return false;
    }
    i += 1;
    if num(&mut i, 2) == 0 || i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    if num(&mut i, 2) == 0 || i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    if num(&mut i, 2) == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if num(&mut i, 9) == 0 {
            return false;
        }
    }
    if sep == b' ' {
        return i == b.len();
    }
    if i == b.len() {
        return false;
    }
    if b[i] == b'Z' {
        return i + 1 == b.len();
    }
    if b[i] == b'+' || b[i] == b'-' {
        i += 1;
        if num(&mut i, 2) != 2 || i >= b.len() || b[i] != b':' {
            return false;
        }
        i += 1;
        return num(&mut i, 2) == 2 && i == b.len();
    }
    false
}

/// Convert a parsed node to a JSON-typed value (sigs.k8s.io/yaml semantics), failing as that
/// library does, in its order: go-yaml's decoding errors first (in document order), then the
/// JSON conversion's (a key JSON cannot hold), then `json.Marshal`'s (a number it cannot write).
pub(super) fn to_value(n: &Node) -> ParseResult<Value> {
    let mut d = Decoder::default();
    let v = d.value(n)?;
    match (d.conversion, d.marshal) {
        (Some(e), _) | (None, Some(e)) => Err(YamlError(e)),
        (None, None) => Ok(v),
    }
}

/// The first error of each later stage, kept while decoding goes on.
#[derive(Default)]
struct Decoder {
    conversion: Option<String>,
    marshal: Option<String>,
}

impl Decoder {
    fn value(&mut self, n: &Node) -> ParseResult<Value> {
        Ok(match n {
            Node::Null => Value::Nil,
            Node::Scalar { text, plain, tag } => {
                let v = scalar_value(text, *plain, tag.as_deref())?;
                if let Value::Float(f) = v
                    && !f.is_finite()
                {
                    self.marshal.get_or_insert_with(|| {
                        format!(
                            "json: unsupported value: {}",
                            gotemplate::value::format_float_g(f)
                        )
                    });
                }
                v
            }
            Node::Seq(items) => Value::list(
                items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<ParseResult<Vec<_>>>()?,
            ),
            Node::Map(entries) => {
                let mut m = BTreeMap::new();
                self.map_into(entries, &mut m)?;
                Value::map(m)
            }
        })
    }

    fn map_into(
        &mut self,
        entries: &[(Node, Node)],
        m: &mut BTreeMap<String, Value>,
    ) -> ParseResult<()> {
        const MERGE_ERROR: &str = "yaml: map merge requires map or sequence of maps as the value";
        for (k, v) in entries {
            if let Node::Scalar {
                text,
                plain: true,
                tag: None,
            } = k
                && text == "<<"
            {
                match v {
                    Node::Map(e) => self.map_into(e, m)?,
                    Node::Seq(items) => {
                        for it in items.iter().rev() {
                            match it {
                                Node::Map(e) => self.map_into(e, m)?,
                                _ => return Err(YamlError(MERGE_ERROR.into())),
                            }
                        }
                    }
                    _ => return Err(YamlError(MERGE_ERROR.into())),
                }
                continue;
            }
            if matches!(k, Node::Seq(_) | Node::Map(_)) {
                // go-yaml decodes into map[interface{}]interface{}: a slice or map is no key
                return Err(YamlError(format!(
                    "yaml: invalid map key: {}",
                    go_sharp_v(k)
                )));
            }
            let value = self.value(v)?;
            match key_string(k) {
                Ok(key) => {
                    m.insert(key, value);
                }
                Err((type_name, key)) => {
                    self.conversion.get_or_insert_with(|| {
                        format!(
                            "unsupported map key of type: {type_name}, key: {key}, value: {}",
                            go_sharp_v(v)
                        )
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether go-yaml resolves a scalar (a plain one, untagged or tagged with a resolving type);
/// anything else stays the string it reads.
fn resolves(plain: bool, tag: Option<&str>) -> bool {
    plain && matches!(tag, None | Some("!!int" | "!!float" | "!!bool" | "!!null"))
}

/// A scalar key as sigs.k8s.io/yaml writes it for JSON; a key it refuses gives its Go type
/// (`%s` of the reflect type) and value (`%#v`) for the error.
pub(super) fn key_string(k: &Node) -> Result<String, (&'static str, String)> {
    let text = match k {
        Node::Scalar { text, plain, tag } => {
            if !resolves(*plain, tag.as_deref()) {
                return Ok(text.clone());
            }
            text
        }
        _ => return Err(("%!s(<nil>)", "<nil>".into())),
    };
    Ok(match resolve_plain(text) {
        Resolved::Null => return Err(("%!s(<nil>)", "<nil>".into())),
        Resolved::Uint(u) => return Err(("uint64", format!("{u:#x}"))),
        Resolved::Bool(b) => b.to_string(),
        Resolved::Int(i) => i.to_string(),
        Resolved::Float(f) => {
            let s = gotemplate::value::format_float_g_bits(f, 32);
            match s.as_str() {
                "+Inf" => ".inf".into(),
                "-Inf" => "-.inf".into(),
                "NaN" => ".nan".into(),
                _ => s,
            }
        }
        _ => text.clone(),
    })
}

/// Go's `%#v` of what go-yaml v2 decodes a node into (an `interface{}`): the text its errors show.
pub(super) fn go_sharp_v(n: &Node) -> String {
    use gotemplate::strconv::go_quote;
    match n {
        Node::Null => "<nil>".into(),
        Node::Scalar { text, plain, tag } => {
            if !resolves(*plain, tag.as_deref()) {
                return go_quote(text);
            }
            match resolve_plain(text) {
                Resolved::Null => "<nil>".into(),
                Resolved::Bool(b) => b.to_string(),
                Resolved::Int(i) => i.to_string(),
                Resolved::Uint(u) => format!("{u:#x}"),
                Resolved::Float(f) => gotemplate::value::format_float_g(f),
                _ => go_quote(text),
            }
        }
        Node::Seq(items) => {
            let items: Vec<String> = items.iter().map(go_sharp_v).collect();
            format!("[]interface {{}}{{{}}}", items.join(", "))
        }
        Node::Map(entries) => {
            // fmt prints map entries sorted by key
            let mut items: Vec<(String, String)> = entries
                .iter()
                .map(|(k, v)| (go_sharp_v(k), go_sharp_v(v)))
                .collect();
            items.sort();
            let items: Vec<String> = items.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", items.join(", "))
        }
    }
}

pub(super) fn scalar_value(text: &str, plain: bool, tag: Option<&str>) -> ParseResult<Value> {
    match tag {
        Some("!!str") | Some("!") => return Ok(Value::str(text)),
        Some("!!binary") => {
            use base64::Engine;
            let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            return match base64::engine::general_purpose::STANDARD.decode(cleaned) {
                Ok(b) => Ok(Value::string(String::from_utf8_lossy(&b).into_owned())),
                Err(_) => Err(YamlError(
                    "yaml: !!binary value contains invalid base64 data".into(),
                )),
            };
        }
        Some("!!int") | Some("!!float") | Some("!!bool") | Some("!!null") => {}
        Some(_) => return Ok(Value::str(text)),
        None => {
            if !plain {
                return Ok(Value::str(text));
            }
        }
    }
    let r = resolve_plain(text);
    let v = match r {
        Resolved::Null => Value::Nil,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Float(i as f64),
        Resolved::Uint(u) => Value::Float(u as f64),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Str | Resolved::Timestamp | Resolved::Merge => Value::str(text),
    };
    if let Some(t) = tag {
        let ok = matches!(
            (t, &v),
            ("!!int", Value::Float(_))
                | ("!!float", Value::Float(_))
                | ("!!bool", Value::Bool(_))
                | ("!!null", Value::Nil)
        );
        if !ok {
            return Err(YamlError(format!(
                "yaml: cannot decode !!str `{}` as a {}",
                text, t
            )));
        }
    }
    Ok(v)
}
