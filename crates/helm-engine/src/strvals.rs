//! Helm's `--set` syntax (strvals): `a.b[0].c=x,list={a,b}`, backslash escapes, int64 typing.

use serde_json::{Map, Value as J};

/// Maximum list index and key nesting accepted (as Helm).
pub const MAX_INDEX: usize = 65536;
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// `--set`: typed values (bool, null, int64).
    Typed,
    /// `--set-string`.
    Str,
    /// `--set-json`: JSON values (numbers float64).
    Json,
    /// `--set-file`: the value is a path; the reader loads it.
    File,
}

struct StrvalsParser<'a> {
    s: Vec<char>,
    i: usize,
    mode: Mode,
    file_reader: Option<&'a dyn Fn(&str) -> Result<String, String>>,
}

enum Stop {
    Char(char),
    Eof,
}

impl<'a> StrvalsParser<'a> {
    fn until(&mut self, stops: &[char]) -> (String, Stop) {
        let mut v = String::new();
        while self.i < self.s.len() {
            let c = self.s[self.i];
            self.i += 1;
            if stops.contains(&c) {
                return (v, Stop::Char(c));
            }
            if c == '\\' {
                if self.i >= self.s.len() {
                    return (v, Stop::Eof);
                }
                v.push(self.s[self.i]);
                self.i += 1;
                continue;
            }
            v.push(c);
        }
        (v, Stop::Eof)
    }

    fn reader(&self, raw: &str) -> Result<J, String> {
        match self.mode {
            Mode::Str => Ok(J::String(raw.to_string())),
            Mode::Typed | Mode::Json => Ok(typed_val(raw)),
            Mode::File => match self.file_reader {
                Some(r) => r(raw).map(J::String),
                None => Err("no file reader".into()),
            },
        }
    }

    /// Returns Ok(true) at EOF.
    fn key(&mut self, data: &mut Map<String, J>, level: usize) -> Result<bool, String> {
        let (k, last) = self.until(&['=', '[', ',', '.']);
        match last {
            Stop::Eof => {
                if k.is_empty() {
                    return Ok(true);
                }
                Err(format!("key {:?} has no value", k))
            }
            Stop::Char('[') => {
                let i = self.key_index()?;
                let mut list = match data.get(&k) {
                    Some(J::Array(a)) => a.clone(),
                    Some(_) => return Err("unable to parse key: interface conversion: interface {} is not []interface {}".into()),
                    None => vec![],
                };
                let r = self.list_item(&mut list, i, level);
                set(data, &k, J::Array(list));
                r.map(|_| false)
            }
            Stop::Char('=') => {
                if self.mode == Mode::Json {
                    if self.empty_val() {
                        set(data, &k, J::Null);
                        return Ok(false);
                    }
                    let v = self.json_value()?;
                    set(data, &k, v);
                    self.empty_val();
                    return Ok(false);
                }
                match self.val_list()? {
                    Some(Ok(l)) => {
                        set(data, &k, J::Array(l));
                        Ok(false)
                    }
                    Some(Err(())) => {
                        set(data, &k, J::String(String::new()));
                        Ok(true)
                    }
                    None => {
                        let (raw, _) = self.until(&[',']);
                        let v = self.reader(&raw)?;
                        set(data, &k, v);
                        Ok(false)
                    }
                }
            }
            Stop::Char(',') => {
                set(data, &k, J::String(String::new()));
                Err(format!("key {:?} has no value (cannot end with ,)", k))
            }
            Stop::Char(_) => {
                // '.'
                if level + 1 > MAX_NESTED_NAME_LEVEL {
                    return Err(format!(
                        "value name nested level is greater than maximum supported nested level of {}",
                        MAX_NESTED_NAME_LEVEL
                    ));
                }
                let mut inner = match data.get(&k) {
                    Some(J::Object(m)) => m.clone(),
                    Some(_) => return Err("unable to parse key: interface conversion: interface {} is not map[string]interface {}".into()),
                    None => Map::new(),
                };
                let r = self.key(&mut inner, level + 1);
                if matches!(r, Ok(false)) && inner.is_empty() {
                    return Err(format!("key map {:?} has no value", k));
                }
                if !inner.is_empty() {
                    set(data, &k, J::Object(inner));
                }
                r
            }
        }
    }

    fn key_index(&mut self) -> Result<usize, String> {
        let (v, last) = self.until(&[']']);
        if matches!(last, Stop::Eof) {
            return Err("error parsing index: EOF".into());
        }
        let i: i64 = v.parse().map_err(|_| {
            format!(
                "error parsing index: strconv.Atoi: parsing {:?}: invalid syntax",
                v
            )
        })?;
        if i < 0 {
            return Err(format!("negative {} index not allowed", i));
        }
        Ok(i as usize)
    }

    fn list_item(&mut self, list: &mut Vec<J>, i: usize, level: usize) -> Result<(), String> {
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return Err(format!("unexpected data at end of array index: {:?}", k));
        }
        match last {
            Stop::Eof => Err("EOF".into()),
            Stop::Char('=') => {
                if self.mode == Mode::Json {
                    if self.empty_val() {
                        return set_index(list, i, J::Null);
                    }
                    let v = self.json_value()?;
                    set_index(list, i, v)?;
                    self.empty_val();
                    return Ok(());
                }
                match self.val_list()? {
                    Some(Ok(l)) => set_index(list, i, J::Array(l)),
                    Some(Err(_)) => set_index(list, i, J::String(String::new())),
                    None => {
                        let (raw, _) = self.until(&[',']);
                        let v = self.reader(&raw)?;
                        set_index(list, i, v)
                    }
                }
            }
            Stop::Char('[') => {
                let next = self.key_index()?;
                let mut cur = match list.get(i) {
                    Some(J::Array(a)) => a.clone(),
                    _ => vec![],
                };
                self.list_item(&mut cur, next, level)?;
                set_index(list, i, J::Array(cur))
            }
            Stop::Char(_) => {
                let mut inner = match list.get(i) {
                    Some(J::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                self.key(&mut inner, level)?;
                set_index(list, i, J::Object(inner))
            }
        }
    }

    fn empty_val(&mut self) -> bool {
        while self.i < self.s.len() {
            let c = self.s[self.i];
            self.i += 1;
            if c == ',' {
                return true;
            }
            if !c.is_whitespace() {
                self.i -= 1;
                return false;
            }
        }
        true
    }

    fn json_value(&mut self) -> Result<J, String> {
        let rest: String = self.s[self.i..].iter().collect();
        let mut it = serde_json::Deserializer::from_str(&rest).into_iter::<J>();
        let v = match it.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("EOF".into()),
        };
        let consumed = rest[..it.byte_offset()].chars().count();
        self.i += consumed;
        Ok(floats(v))
    }

    /// `{a,b}` list; None if not a list; Some(Err) at EOF.
    fn val_list(&mut self) -> Result<Option<Result<Vec<J>, ()>>, String> {
        if self.i >= self.s.len() {
            return Ok(Some(Err(())));
        }
        if self.s[self.i] != '{' {
            return Ok(None);
        }
        self.i += 1;
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.until(&[',', '}']);
            match last {
                Stop::Eof => return Err("list must terminate with '}'".into()),
                Stop::Char('}') => {
                    if self.i < self.s.len() && self.s[self.i] == ',' {
                        self.i += 1;
                    }
                    list.push(self.reader(&rs)?);
                    return Ok(Some(Ok(list)));
                }
                Stop::Char(_) => list.push(self.reader(&rs)?),
            }
        }
    }
}

fn set(data: &mut Map<String, J>, k: &str, v: J) {
    if !k.is_empty() {
        data.insert(k.to_string(), v);
    }
}

fn set_index(list: &mut Vec<J>, i: usize, v: J) -> Result<(), String> {
    if i > MAX_INDEX {
        return Err(format!(
            "index of {} is greater than maximum supported index of {}",
            i, MAX_INDEX
        ));
    }
    if list.len() <= i {
        list.resize(i + 1, J::Null);
    }
    list[i] = v;
    Ok(())
}

fn floats(v: J) -> J {
    match v {
        J::Number(n) => serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0))
            .map(J::Number)
            .unwrap_or(J::Null),
        J::Array(a) => J::Array(a.into_iter().map(floats).collect()),
        J::Object(o) => J::Object(o.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        v => v,
    }
}

/// strvals typedVal: true/false/null (any case), "0", and base-10 int64 without leading zero.
fn typed_val(s: &str) -> J {
    if s.eq_ignore_ascii_case("true") {
        return J::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return J::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return J::Null;
    }
    if s == "0" {
        return J::from(0i64);
    }
    if !s.is_empty()
        && !s.starts_with('0')
        && let Ok(i) = s.parse::<i64>()
    {
        return J::from(i);
    }
    J::String(s.to_string())
}

fn run(
    expr: &str,
    dest: &mut Map<String, J>,
    mode: Mode,
    reader: Option<&dyn Fn(&str) -> Result<String, String>>,
) -> Result<(), String> {
    let mut p = StrvalsParser {
        s: expr.chars().collect(),
        i: 0,
        mode,
        file_reader: reader,
    };
    loop {
        match p.key(dest, 0) {
            Ok(true) => return Ok(()),
            Ok(false) => {
                if p.i >= p.s.len() {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// `--set` into `dest`.
pub fn parse_into(expr: &str, dest: &mut Map<String, J>) -> Result<(), String> {
    run(expr, dest, Mode::Typed, None)
}

/// `--set-string` into `dest`.
pub fn parse_into_string(expr: &str, dest: &mut Map<String, J>) -> Result<(), String> {
    run(expr, dest, Mode::Str, None)
}

/// `--set-json` into `dest`.
pub fn parse_json(expr: &str, dest: &mut Map<String, J>) -> Result<(), String> {
    run(expr, dest, Mode::Json, None)
}

/// `--set-file` into `dest` (`reader` loads a path).
pub fn parse_into_file(
    expr: &str,
    dest: &mut Map<String, J>,
    reader: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    run(expr, dest, Mode::File, Some(reader))
}
