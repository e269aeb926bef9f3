//! The JSON documents the validator reads: schema and values, numbers kept as written.

use gotemplate::value::Value;

/// A JSON document as the schema validator sees it: numbers keep their literal text.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<JsonValue>),
    Obj(Vec<(String, JsonValue)>),
}

impl JsonValue {
    pub(super) fn get(&self, k: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Obj(m) => m.iter().find(|(x, _)| x == k).map(|(_, v)| v),
            _ => None,
        }
    }
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "boolean",
            JsonValue::Num(_) => "number",
            JsonValue::Str(_) => "string",
            JsonValue::Arr(_) => "array",
            JsonValue::Obj(_) => "object",
        }
    }
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        match self.s.get(self.i) {
            None => Err("unexpected EOF".into()),
            Some(c) => Err(format!(
                "invalid character {} {}",
                go_char_quote(*c as char),
                what
            )),
        }
    }
    fn value(&mut self, depth: usize) -> Result<JsonValue, String> {
        if depth > 1000 {
            return Err("exceeded max depth".into());
        }
        self.ws();
        match self.s.get(self.i) {
            None => Err("unexpected EOF".into()),
            Some(b'{') => {
                self.i += 1;
                let mut m: Vec<(String, JsonValue)> = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(JsonValue::Obj(m));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return self.err("looking for beginning of object key string");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return self.err("after object key");
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    if let Some(slot) = m.iter_mut().find(|(x, _)| *x == k) {
                        slot.1 = v;
                    } else {
                        m.push((k, v));
                    }
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(JsonValue::Obj(m));
                        }
                        _ => return self.err("after object key:value pair"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(JsonValue::Arr(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(JsonValue::Arr(a));
                        }
                        _ => return self.err("after array element"),
                    }
                }
            }
            Some(b'"') => Ok(JsonValue::Str(self.string()?)),
            Some(b't') => self.lit("true", JsonValue::Bool(true)),
            Some(b'f') => self.lit("false", JsonValue::Bool(false)),
            Some(b'n') => self.lit("null", JsonValue::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(),
            _ => self.err("looking for beginning of value"),
        }
    }
    fn lit(&mut self, w: &str, v: JsonValue) -> Result<JsonValue, String> {
        for b in w.bytes() {
            if self.s.get(self.i) != Some(&b) {
                return self.err(&format!(
                    "in literal {w} (expecting {})",
                    go_char_quote(b as char)
                ));
            }
            self.i += 1;
        }
        Ok(v)
    }
    fn number(&mut self) -> Result<JsonValue, String> {
        let st = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        let digits = |r: &mut Self| {
            let a = r.i;
            while r.i < r.s.len() && r.s[r.i].is_ascii_digit() {
                r.i += 1;
            }
            r.i - a
        };
        if self.s.get(self.i) == Some(&b'0') {
            self.i += 1;
        } else if digits(self) == 0 {
            return self.err("in numeric literal");
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return self.err("after decimal point in numeric literal");
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("in exponent of numeric literal");
            }
        }
        Ok(JsonValue::Num(gotemplate::value::utf8_lossy(
            &self.s[st..self.i],
        )))
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("unexpected EOF")?;
        let h = std::str::from_utf8(h).map_err(|e| e.to_string())?;
        let v = u32::from_str_radix(h, 16)
            .map_err(|_| "invalid character in \\u hexadecimal character escape".to_string())?;
        self.i += 4;
        Ok(v)
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("unexpected EOF".into());
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(gotemplate::value::utf8_lossy_vec(out));
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.s.get(self.i) else {
                        return Err("unexpected EOF".into());
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\x08',
                        b'f' => '\x0c',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    self.i = save;
                                }
                            }
                            char::from_u32(cp).unwrap_or('\u{FFFD}')
                        }
                        _ => {
                            self.i -= 1;
                            return self.err("in string escape code");
                        }
                    };
                    let mut b = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                }
                c if c < 0x20 => return self.err("in string literal"),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

fn go_char_quote(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\n' => "'\\n'".into(),
        '\t' => "'\\t'".into(),
        '\r' => "'\\r'".into(),
        c if (c as u32) < 0x20 => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

/// Parse a JSON document (numbers kept as written).
pub fn parse_json(src: &str) -> Result<JsonValue, String> {
    if src.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Err("EOF".into());
    }
    let mut r = Reader {
        s: src.as_bytes(),
        i: 0,
    };
    let v = r.value(0)?;
    r.ws();
    if r.i < r.s.len() {
        return Err("invalid character after top-level value".into());
    }
    Ok(v)
}

/// Engine values → JSON (numbers as Go's `fmt.Sprint` prints them).
pub fn from_value(v: &Value) -> JsonValue {
    match v {
        Value::Nil => JsonValue::Null,
        Value::Bool(b) => JsonValue::Bool(*b),
        Value::Int(i) | Value::Int64(i) => JsonValue::Num(i.to_string()),
        Value::Uint(u) => JsonValue::Num(u.to_string()),
        Value::Byte(b) => JsonValue::Num(b.to_string()),
        Value::Float(f) => JsonValue::Num(gotemplate::value::format_float_g(*f)),
        Value::Str(s) => JsonValue::Str(s.to_string()),
        Value::List(l) => JsonValue::Arr(l.iter().map(from_value).collect()),
        Value::Map(m) => JsonValue::Obj(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), from_value(v)))
                .collect(),
        ),
        Value::Object(_) => JsonValue::Null,
    }
}
