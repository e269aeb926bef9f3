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

/// Convert a parsed node to a JSON-typed value (sigs.k8s.io/yaml semantics).
pub(super) fn to_value(n: &Node) -> ParseResult<Value> {
    Ok(match n {
        Node::Null => Value::Nil,
        Node::Scalar { text, plain, tag } => scalar_value(text, *plain, tag.as_deref())?,
        Node::Seq(items) => Value::list(
            items
                .iter()
                .map(to_value)
                .collect::<ParseResult<Vec<_>>>()?,
        ),
        Node::Map(entries) => {
            let mut m = BTreeMap::new();
            map_into(entries, &mut m)?;
            Value::map(m)
        }
    })
}

pub(super) fn map_into(
    entries: &[(Node, Node)],
    m: &mut BTreeMap<String, Value>,
) -> ParseResult<()> {
    for (k, v) in entries {
        if let Node::Scalar {
            text,
            plain: true,
            tag: None,
        } = k
            && text == "<<"
        {
            match v {
                Node::Map(e) => map_into(e, m)?,
                Node::Seq(items) => {
                    for it in items.iter().rev() {
                        match it {
                            Node::Map(e) => map_into(e, m)?,
                            _ => {
                                return Err(YamlError(
                                    "yaml: map merge requires map or sequence of maps as the value"
                                        .into(),
                                ));
                            }
                        }
                    }
                }
                _ => {
                    return Err(YamlError(
                        "yaml: map merge requires map or sequence of maps as the value".into(),
                    ));
                }
            }
            continue;
        }
        let key = key_string(k)?;
        m.insert(key, to_value(v)?);
    }
    Ok(())
}

pub(super) fn key_string(k: &Node) -> ParseResult<String> {
    match k {
        Node::Scalar { text, plain, tag } => {
            if !*plain || tag.as_deref() == Some("!!str") {
                return Ok(text.clone());
            }
            if let Some(t) = tag
                && t != "!!int"
                && t != "!!float"
                && t != "!!bool"
                && t != "!!null"
            {
                return Ok(text.clone());
            }
            Ok(match resolve_plain(text) {
                Resolved::Null => {
                    return Err(YamlError(
                        "error converting YAML to JSON: yaml: unsupported map key of type: <nil>"
                            .into(),
                    ));
                }
                Resolved::Bool(b) => b.to_string(),
                Resolved::Int(i) => i.to_string(),
                Resolved::Uint(u) => u.to_string(),
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
        Node::Null => Err(YamlError(
            "error converting YAML to JSON: yaml: unsupported map key of type: <nil>".into(),
        )),
        _ => Err(YamlError(
            "error converting YAML to JSON: yaml: unsupported map key".into(),
        )),
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
                Err(e) => Err(YamlError(format!(
                    "yaml: !!binary value contains invalid base64 data: {e}"
                ))),
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
        Resolved::Float(f) => {
            if !f.is_finite() {
                return Err(YamlError(format!(
                    "error converting YAML to JSON: json: unsupported value: {}",
                    gotemplate::value::format_float_g(f)
                )));
            }
            Value::Float(f)
        }
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
