//! Go's encoding/json as templates see it: Marshal (with or without HTML escaping), MarshalIndent,
//! the scanner's syntax errors and decoding into template values.

use super::error::{TemplateError, fail as ferr};
use super::value::{Object, Value, format_float_json};

/// Go's JSON encoding (encoding/json.Marshal), with optional HTML escaping.
pub fn to_json_string(v: &Value, escape_html: bool) -> Result<String, TemplateError> {
    let mut out = String::new();
    json_enc(v, escape_html, &mut out)?;
    Ok(out)
}

fn json_str(s: &str, escape_html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if crate::gostr::unescape(c).is_some() {
            // a byte that is not UTF-8: encoding/json writes the replacement character
            out.push_str("\\ufffd");
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => match c {
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                _ => out.push_str(&format!("\\u{:04x}", c as u32)),
            },
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_enc(v: &Value, eh: bool, out: &mut String) -> Result<(), TemplateError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Byte(b) => out.push_str(&b.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return ferr(format!(
                    "json: unsupported value: {}",
                    super::value::format_float_g(*f)
                ));
            }
            out.push_str(&format_float_json(*f))
        }
        Value::Str(s) => json_str(s, eh, out),
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_enc(x, eh, out)?;
            }
            out.push(']');
        }
        Value::Map(m) if super::value::is_nil_map(m) => out.push_str("null"),
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(k, eh, out);
                out.push(':');
                json_enc(x, eh, out)?;
            }
            out.push('}');
        }
        Value::Object(o) => match &**o {
            Object::Files(f) => {
                use base64::Engine;
                out.push('{');
                for (i, (k, x)) in f.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_str(k, eh, out);
                    out.push(':');
                    json_str(
                        &base64::engine::general_purpose::STANDARD.encode(x),
                        eh,
                        out,
                    );
                }
                out.push('}');
            }
            Object::KubeVersion {
                version,
                major,
                minor,
            } => {
                // Helm v4's KubeVersion has no json tags: Go's field names
                out.push_str("{\"Version\":");
                json_str(version, eh, out);
                out.push_str(",\"Major\":");
                json_str(major, eh, out);
                out.push_str(",\"Minor\":");
                json_str(minor, eh, out);
                out.push('}');
            }
            Object::HelmVersion {
                version,
                git_commit,
                git_tree_state,
                go_version,
                kube_client_version,
            } => {
                // BuildInfo's tags: all omitempty but kube_client_version
                out.push('{');
                let fields = [
                    ("version", version, true),
                    ("git_commit", git_commit, true),
                    ("git_tree_state", git_tree_state, true),
                    ("go_version", go_version, true),
                    ("kube_client_version", kube_client_version, false),
                ];
                let mut first = true;
                for (k, v, omit_empty) in fields {
                    if omit_empty && v.is_empty() {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    json_str(k, eh, out);
                    out.push(':');
                    json_str(v, eh, out);
                }
                out.push('}');
            }
            Object::Capabilities { kube, apis, helm } => {
                out.push_str("{\"KubeVersion\":");
                json_enc(kube, eh, out)?;
                out.push_str(",\"APIVersions\":");
                json_enc(apis, eh, out)?;
                out.push_str(",\"HelmVersion\":");
                json_enc(helm, eh, out)?;
                out.push('}');
            }
            Object::Strings(a, _) => {
                json_enc(
                    &Value::list(a.iter().map(|s| Value::str(s)).collect()),
                    eh,
                    out,
                )?;
            }
            Object::Time { unix_nanos, offset } => json_str(
                &super::gotime::format("2006-01-02T15:04:05.999999999Z07:00", *unix_nanos, *offset),
                eh,
                out,
            ),
            Object::Semver(version) => json_str(&version.text(), eh, out),
            Object::StrMap(None) => out.push_str("null"),
            Object::Bytes(_, true) => out.push_str("null"),
            Object::Bytes(b, _) => {
                use base64::Engine;
                json_str(
                    &base64::engine::general_purpose::STANDARD.encode(b),
                    eh,
                    out,
                )
            }
            Object::StrMap(Some(m)) => json_enc(&super::value::str_map_value(Some(m)), eh, out)?,
        },
    }
    Ok(())
}

/// Go's json.MarshalIndent(v, "", "  ") of compact JSON text: keys stay in their order (structs
/// keep field order), numbers keep Go's spelling, empty `{}`/`[]` stay on one line.
pub fn json_indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// The error Go's `encoding/json` scanner reports for invalid JSON text, or None when the text
/// is valid JSON.
pub fn go_json_syntax_error(s: &str) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Ctx {
        Key,
        Value,
        Elem,
    }
    let b = s.as_bytes();
    let quote = |c: u8| -> String {
        match c {
            b'\'' => "'\\''".to_string(),
            b'"' => "'\"'".to_string(),
            _ => {
                let q = super::strconv::go_quote(&(c as char).to_string());
                format!("'{}'", &q[1..q.len() - 1])
            }
        }
    };
    let bad = |c: u8, ctx: &str| Some(format!("invalid character {} {}", quote(c), ctx));
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut stack: Vec<Ctx> = Vec::new();
    let mut i = 0;
    // parse one value starting at i (after whitespace), then the separators after it
    'value: loop {
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Some("unexpected end of JSON input".into());
        };
        match c {
            b'{' | b'[' => {
                i += 1;
                while i < b.len() && ws(b[i]) {
                    i += 1;
                }
                let close = if c == b'{' { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    i += 1;
                } else if c == b'{' {
                    match b.get(i) {
                        None => return Some("unexpected end of JSON input".into()),
                        Some(b'"') => {
                            stack.push(Ctx::Key);
                            continue 'value;
                        }
                        Some(&x) => return bad(x, "looking for beginning of object key string"),
                    }
                } else {
                    stack.push(Ctx::Elem);
                    continue 'value;
                }
            }
            b'"' => {
                i += 1;
                loop {
                    let Some(&x) = b.get(i) else {
                        return Some("unexpected end of JSON input".into());
                    };
                    i += 1;
                    match x {
                        b'"' => break,
                        b'\\' => {
                            let Some(&e) = b.get(i) else {
                                return Some("unexpected end of JSON input".into());
                            };
                            i += 1;
                            match e {
                                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {}
                                b'u' => {
                                    for _ in 0..4 {
                                        let Some(&h) = b.get(i) else {
                                            return Some("unexpected end of JSON input".into());
                                        };
                                        if !h.is_ascii_hexdigit() {
                                            return bad(h, "in \\u hexadecimal character escape");
                                        }
                                        i += 1;
                                    }
                                }
                                _ => return bad(e, "in string escape code"),
                            }
                        }
                        x if x < 0x20 => return bad(x, "in string literal"),
                        _ => {}
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                if c == b'-' {
                    i += 1;
                    match b.get(i).copied().unwrap_or(b' ') {
                        b'0'..=b'9' => {}
                        x => return bad(x, "in numeric literal"),
                    }
                }
                if b[i] == b'0' {
                    i += 1;
                } else {
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    match b.get(i).copied().unwrap_or(b' ') {
                        b'0'..=b'9' => {}
                        x => return bad(x, "after decimal point in numeric literal"),
                    }
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
                if matches!(b.get(i), Some(b'e' | b'E')) {
                    i += 1;
                    if matches!(b.get(i), Some(b'+' | b'-')) {
                        i += 1;
                    }
                    match b.get(i).copied().unwrap_or(b' ') {
                        b'0'..=b'9' => {}
                        x => return bad(x, "in exponent of numeric literal"),
                    }
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                let name = std::str::from_utf8(word).unwrap();
                for (k, &w) in word.iter().enumerate().skip(1) {
                    // at the end Go's scanner steps a space
                    match b.get(i + k).copied().or(Some(b' ')) {
                        Some(x) if x != w => {
                            return bad(x, &format!("in literal {name} (expecting {})", quote(w)));
                        }
                        _ => {}
                    }
                }
                i += word.len();
            }
            _ => return bad(c, "looking for beginning of value"),
        }
        // after a value: close containers or move to the next key / element
        loop {
            while i < b.len() && ws(b[i]) {
                i += 1;
            }
            let Some(top) = stack.last().copied() else {
                return b.get(i).and_then(|&x| bad(x, "after top-level value"));
            };
            let Some(&x) = b.get(i) else {
                return Some("unexpected end of JSON input".into());
            };
            i += 1;
            match (top, x) {
                (Ctx::Key, b':') => {
                    *stack.last_mut().unwrap() = Ctx::Value;
                    continue 'value;
                }
                (Ctx::Key, _) => return bad(x, "after object key"),
                (Ctx::Value, b',') => {
                    *stack.last_mut().unwrap() = Ctx::Key;
                    while i < b.len() && ws(b[i]) {
                        i += 1;
                    }
                    match b.get(i) {
                        None => return Some("unexpected end of JSON input".into()),
                        Some(b'"') => continue 'value,
                        Some(&y) => return bad(y, "looking for beginning of object key string"),
                    }
                }
                (Ctx::Value, b'}') | (Ctx::Elem, b']') => {
                    stack.pop();
                }
                (Ctx::Value, _) => return bad(x, "after object key:value pair"),
                (Ctx::Elem, b',') => continue 'value,
                (Ctx::Elem, _) => return bad(x, "after array element"),
            }
        }
    }
}

/// The JSON kind Go's `UnmarshalTypeError` names for a decoded value.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

/// Parse JSON into a JSON-typed value (numbers float64).
pub fn parse_json(s: &str) -> Result<Value, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
    Ok(from_serde(&v))
}

pub fn from_serde(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(a) => Value::list(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Value::map(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect())
        }
    }
}
