//! Helm's `toToml`: BurntSushi/toml's encoder over template values, its output and its
//! error texts.

use std::fmt::Write as _;

use gotemplate::value::{Value, format_float_g, sprint};

/// Helm's `toToml`: BurntSushi/toml's encoder, or its error text.
pub fn to_toml(v: &Value) -> String {
    let mut encoder = TomlEncoder { out: String::new() };
    match encoder.encode(&[], v) {
        Ok(()) => encoder.out,
        Err(e) => e.to_string(),
    }
}

/// BurntSushi/toml's Encoder (Indent "  ") over template values: a map's plain keys first, then
/// its tables and arrays of tables, each group sorted; nested headers indented by depth.
struct TomlEncoder {
    out: String,
}

impl TomlEncoder {
    /// BurntSushi's `newline`: only once something has been written.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent(key: &[&str]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[&str], v: &Value) -> Result<(), &'static str> {
        match v {
            Value::Nil => Ok(()),
            Value::Map(m) => {
                if key.len() == 1 {
                    self.newline();
                }
                if !key.is_empty() {
                    let header = toml_key_path(key);
                    self.out
                        .push_str(&format!("{}[{header}]", Self::indent(key)));
                    self.newline();
                }
                self.map(key, &m.borrow(), false)
            }
            Value::List(l) if toml_table_array(l)? => {
                if key.is_empty() {
                    return Err("toml: top-level values must be Go maps or structs");
                }
                for item in l.iter() {
                    if let Value::Map(m) = item {
                        self.newline();
                        let header = toml_key_path(key);
                        self.out
                            .push_str(&format!("{}[[{header}]]", Self::indent(key)));
                        self.newline();
                        self.map(key, &m.borrow(), false)?;
                    }
                }
                Ok(())
            }
            _ => {
                if let Some(last) = key.last() {
                    self.out
                        .push_str(&format!("{}{} = ", Self::indent(key), toml_key(last)));
                    self.element(v)?;
                    self.newline();
                    Ok(())
                } else {
                    self.element(v)
                }
            }
        }
    }

    fn map(
        &mut self,
        key: &[&str],
        m: &std::collections::BTreeMap<String, Value>,
        inline: bool,
    ) -> Result<(), &'static str> {
        let mut direct = Vec::new();
        let mut tables = Vec::new();
        for (k, x) in m.iter() {
            let is_table = match x {
                Value::Map(_) => true,
                Value::List(l) => toml_table_array(l)?,
                _ => false,
            };
            if is_table {
                tables.push((k, x));
            } else {
                direct.push((k, x));
            }
        }
        if inline {
            self.out.push('{');
        }
        let has_tables = !tables.is_empty();
        for (group, trailing) in [(direct, has_tables), (tables, false)] {
            let n = group.len();
            for (i, (k, x)) in group.into_iter().enumerate() {
                if x.is_nil() {
                    continue;
                }
                if inline {
                    self.out.push_str(&format!("{} = ", toml_key(k)));
                    self.element(x)?;
                    if trailing || i != n - 1 {
                        self.out.push_str(", ");
                    }
                } else {
                    let mut sub = key.to_vec();
                    sub.push(k);
                    self.encode(&sub, x)?;
                }
            }
        }
        if inline {
            self.out.push('}');
        }
        Ok(())
    }

    fn element(&mut self, v: &Value) -> Result<(), &'static str> {
        match v {
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => self.out.push_str(&i.to_string()),
            Value::Uint(u) => self.out.push_str(&u.to_string()),
            Value::Byte(b) => self.out.push_str(&b.to_string()),
            Value::Float(f) if f.is_nan() => {
                self.out
                    .push_str(if f.is_sign_negative() { "-nan" } else { "nan" })
            }
            Value::Float(f) if f.is_infinite() => {
                self.out
                    .push_str(if f.is_sign_negative() { "-inf" } else { "inf" })
            }
            Value::Float(f) => {
                let text = format_float_g(*f);
                self.out.push_str(&text);
                if !text.contains(['e', '.']) {
                    self.out.push_str(".0");
                }
            }
            Value::Str(s) => self.out.push_str(&toml_quote(s)),
            Value::List(l) => {
                self.out.push('[');
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.element(x)?;
                }
                self.out.push(']');
            }
            Value::Map(m) => self.map(&[], &m.borrow(), true)?,
            other => self.out.push_str(&toml_quote(&sprint(other))),
        }
        Ok(())
    }
}

/// BurntSushi's isTableArray: a non-empty array of maps only; a nil element is an error.
fn toml_table_array(l: &[Value]) -> Result<bool, &'static str> {
    if l.is_empty() {
        return Ok(false);
    }
    let mut all_maps = true;
    for x in l {
        match x {
            Value::Nil => return Err("toml: cannot encode array with nil element"),
            Value::Map(_) => {}
            _ => all_maps = false,
        }
    }
    Ok(all_maps)
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    {
        k.to_string()
    } else {
        toml_quote(k)
    }
}

fn toml_key_path(key: &[&str]) -> String {
    key.iter()
        .map(|k| toml_key(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// BurntSushi's dblQuotedReplacer: `"` and `\`, and control characters as TOML escapes.
fn toml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
