//! Dynamic values as Go templates see them (JSON-typed values plus a few Go types).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

/// A shared, mutable Go map (Go maps are references), seen through one Go map type.
///
/// Go lets a named map type share its map with a plain `map[string]interface{}`: Helm's
/// subchart `.Values` is a `common.Values` while the parent's `.Values.sub` is the same map
/// typed `map[string]interface {}`. So the type travels with the reference, not the map.
#[derive(Clone, Debug)]
pub struct MapRef {
    map: Rc<RefCell<BTreeMap<String, Value>>>,
    /// A reference to a static keeps `MapRef` two words, and so `Value` three.
    type_name: Option<&'static GoTypeName>,
}

/// The name of a named Go map type (`common.Values`), as a static that [`MapRef::typed`] points to.
#[derive(Debug)]
pub struct GoTypeName(pub &'static str);

impl MapRef {
    /// A new `map[string]interface{}`.
    pub fn new(map: BTreeMap<String, Value>) -> MapRef {
        MapRef {
            map: Rc::new(RefCell::new(map)),
            type_name: None,
        }
    }

    /// The same map seen as the named Go type `name` (e.g. `common.Values`), as Go's
    /// conversion `T(m)` gives.
    pub fn typed(&self, name: &'static GoTypeName) -> MapRef {
        MapRef {
            map: self.map.clone(),
            type_name: Some(name),
        }
    }

    /// The same map as a plain `map[string]interface{}`.
    pub fn plain(&self) -> MapRef {
        MapRef {
            map: self.map.clone(),
            type_name: None,
        }
    }

    /// The named Go type this reference sees, if any (`None`: `map[string]interface {}`).
    pub fn type_name(&self) -> Option<&'static str> {
        self.type_name.map(|t| t.0)
    }
}

impl std::ops::Deref for MapRef {
    type Target = Rc<RefCell<BTreeMap<String, Value>>>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

/// A value inside the template engine.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Go `nil` / missing value.
    #[default]
    Nil,
    Bool(bool),
    /// Go `int`.
    Int(i64),
    /// Go `int64`.
    Int64(i64),
    /// Go `uint64` (from YAML integers above `i64::MAX`).
    Uint(u64),
    /// Go `uint8` (`byte`): an element of a `[]byte`.
    Byte(u8),
    /// Go `float64`.
    Float(f64),
    Str(Rc<str>),
    /// Go `[]interface{}`.
    List(Rc<Vec<Value>>),
    /// Go `map[string]interface{}`.
    Map(MapRef),
    /// Helm/Go objects with methods (Files, Capabilities, …).
    Object(Rc<Object>),
}

/// Objects with Go methods or struct formatting.
#[derive(Debug)]
pub enum Object {
    /// `.Files` (a map of path → bytes).
    Files(Rc<BTreeMap<String, Vec<u8>>>),
    /// A Go `[]byte` (a file's content in `.Files`): `toString`/`%s` give the text, `toJson` base64.
    /// The flag is Go's nil slice (a missing file read as a map field): `toJson` gives `null`.
    Bytes(Rc<[u8]>, bool),
    /// A Go `map[string]string` (`.Chart.Annotations`): Sprig's map functions reject it, a
    /// missing key reads as `""`, and `None` is Go's nil map (`toYaml` prints `null`).
    StrMap(Option<BTreeMap<String, String>>),
    /// `.Capabilities.KubeVersion`.
    KubeVersion {
        version: String,
        major: String,
        minor: String,
    },
    /// `.Capabilities.HelmVersion` (BuildInfo).
    HelmVersion {
        version: String,
        git_commit: String,
        git_tree_state: String,
        go_version: String,
        kube_client_version: String,
    },
    /// A Go `[]string`: what splitList, sortAlpha, keys, regexFindAll and `.Files.Lines` return
    /// (typed `[]string` for typeOf, `%T` and `%#v`), or `.Capabilities.APIVersions`.
    Strings(Vec<String>, StringsType),
    /// `.Capabilities`.
    Capabilities {
        kube: Value,
        apis: Value,
        helm: Value,
    },
    /// A Go `time.Time` (unix nanoseconds, offset seconds).
    Time { unix_nanos: i128, offset: i32 },
    /// A Masterminds/semver `*semver.Version` (Sprig's `semver`): a fmt.Stringer and a JSON
    /// string, with methods (`.Major`, `.Compare`, …) that the function library provides.
    Semver(SemanticVersion),
}

/// Which Go type a [`Object::Strings`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringsType {
    /// `[]string`.
    Plain,
    /// Helm's `common.VersionSet` (`.Capabilities.APIVersions`, with its `Has` method).
    VersionSet,
}

/// The parts of a semantic version as Masterminds/semver keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: String,
    pub metadata: String,
    /// The text it was parsed from.
    pub original: String,
}

impl SemanticVersion {
    /// Its `String()`: `major.minor.patch[-prerelease][+metadata]`.
    pub fn text(&self) -> String {
        let mut out = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.prerelease.is_empty() {
            out.push('-');
            out.push_str(&self.prerelease);
        }
        if !self.metadata.is_empty() {
            out.push('+');
            out.push_str(&self.metadata);
        }
        out
    }
}

thread_local! {
    static NIL_MAPS: RefCell<Vec<std::rc::Weak<RefCell<BTreeMap<String, Value>>>>> =
        const { RefCell::new(Vec::new()) };
}

/// Go's nil `map[string]interface{}` (what `fromJson "null"` gives): it reads as an empty map,
/// but JSON and YAML print it as `null`. Kept by identity, as Go's type system would.
pub fn nil_map() -> Value {
    let map = Value::empty_map();
    if let Value::Map(m) = &map {
        NIL_MAPS.with(|maps| {
            let mut maps = maps.borrow_mut();
            maps.retain(|w| w.strong_count() > 0);
            maps.push(Rc::downgrade(m));
        });
    }
    map
}

/// Whether `m` is a nil map from [`nil_map`] (still empty).
pub fn is_nil_map(m: &MapRef) -> bool {
    m.borrow().is_empty()
        && NIL_MAPS.with(|maps| maps.borrow().iter().any(|w| w.as_ptr() == Rc::as_ptr(m)))
}

/// A Go `map[string]string`'s entries as a template map, for the printers that treat both alike.
pub fn str_map_value(m: Option<&BTreeMap<String, String>>) -> Value {
    let entries = m.into_iter().flatten();
    Value::map(entries.map(|(k, x)| (k.clone(), Value::str(x))).collect())
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }
    pub fn string(s: String) -> Value {
        Value::Str(Rc::from(s))
    }
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(v))
    }
    pub fn map(m: BTreeMap<String, Value>) -> Value {
        Value::Map(MapRef::new(m))
    }
    /// A Go `[]string`.
    pub fn strings(items: Vec<String>) -> Value {
        Value::Object(Rc::new(Object::Strings(items, StringsType::Plain)))
    }
    pub fn bytes(b: &[u8]) -> Value {
        Value::Object(Rc::new(Object::Bytes(Rc::from(b), false)))
    }
    pub fn nil_bytes() -> Value {
        Value::Object(Rc::new(Object::Bytes(Rc::from(&[][..]), true)))
    }
    pub fn empty_map() -> Value {
        Value::map(BTreeMap::new())
    }
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The string, or "" for any other value: how functions read an argument whose type the
    /// call's signature has already checked.
    pub fn str_or_empty(&self) -> &str {
        self.as_str().unwrap_or("")
    }
    pub fn as_map(&self) -> Option<&MapRef> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Go's template truthiness (`if`, `and`, `or`, `not`).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Byte(b) => *b != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(o) => match &**o {
                Object::Files(f) => !f.is_empty(),
                Object::Strings(v, _) => !v.is_empty(),
                Object::StrMap(m) => m.as_ref().is_some_and(|m| !m.is_empty()),
                Object::Bytes(b, _) => !b.is_empty(),
                _ => true,
            },
        }
    }

    /// Go's `%T`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint(_) => "uint64",
            Value::Byte(_) => "uint8",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(m) => m.type_name().unwrap_or("map[string]interface {}"),
            Value::Object(o) => match &**o {
                Object::Files(_) => "engine.files",
                Object::StrMap(_) => "map[string]string",
                Object::Bytes(..) => "[]uint8",
                Object::KubeVersion { .. } => "common.KubeVersion",
                Object::HelmVersion { .. } => "version.BuildInfo",
                Object::Strings(_, StringsType::VersionSet) => "common.VersionSet",
                Object::Strings(_, StringsType::Plain) => "[]string",
                Object::Capabilities { .. } => "*common.Capabilities",
                Object::Time { .. } => "time.Time",
                Object::Semver(_) => "*semver.Version",
            },
        }
    }

    /// Go's reflect kind name (sprig `kindOf`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint(_) => "uint64",
            Value::Byte(_) => "uint8",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => match &**o {
                Object::Files(_) | Object::StrMap(_) => "map",
                Object::Strings(..) | Object::Bytes(..) => "slice",
                Object::Capabilities { .. } | Object::Semver(_) => "ptr",
                _ => "struct",
            },
        }
    }

    /// Deep copy (sprig `deepCopy`, values coalescing).
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::List(l) => Value::list(l.iter().map(|v| v.deep_copy()).collect()),
            Value::Map(m) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect(),
            ),
            v => v.clone(),
        }
    }

    /// Normalise to what a JSON round trip gives (ints → float64), as Helm's values are.
    pub fn json_typed(&self) -> Value {
        match self {
            Value::Int(i) | Value::Int64(i) => Value::Float(*i as f64),
            Value::Uint(u) => Value::Float(*u as f64),
            Value::Byte(b) => Value::Float(*b as f64),
            Value::List(l) => Value::list(l.iter().map(|v| v.json_typed()).collect()),
            Value::Map(m) => Value::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.json_typed()))
                    .collect(),
            ),
            v => v.clone(),
        }
    }

    /// Get a key from a map value.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => m.borrow().get(key).cloned(),
            _ => None,
        }
    }
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`, which is also fmt's `%v`.
pub fn format_float_g(f: f64) -> String {
    format_float_g_bits(f, 64)
}

/// `strconv.FormatFloat(f, 'g', -1, bits)`.
pub fn format_float_g_bits(f: f64, bits: u32) -> String {
    // a float32 is the value converted first: past its range it is ±Inf (found by fuzzing)
    let f = if bits == 32 { f as f32 as f64 } else { f };
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let (neg, digits, dp) = shortest_digits(f, bits);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        // %e
        out.push_str(&fmt_e(&digits, exp, None));
    } else {
        out.push_str(&fmt_f(&digits, dp, None));
    }
    out
}

/// Shortest round-trip decimal digits of `f`: (negative, digits, decimal point position).
pub fn shortest_digits(f: f64, bits: u32) -> (bool, Vec<u8>, i32) {
    let neg = f.is_sign_negative();
    let a = f.abs();
    if a == 0.0 {
        return (neg, vec![b'0'], 1);
    }
    let s = if bits == 32 {
        format!("{:e}", a as f32)
    } else {
        format!("{:e}", a)
    };
    let (mant, exp) = s.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    let digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    (neg, digits, exp + 1)
}

fn fmt_e(digits: &[u8], exp: i32, prec: Option<usize>) -> String {
    let mut out = String::new();
    out.push(digits[0] as char);
    let rest = &digits[1..];
    match prec {
        None => {
            if !rest.is_empty() {
                out.push('.');
                out.push_str(std::str::from_utf8(rest).unwrap());
            }
        }
        Some(p) => {
            if p > 0 {
                out.push('.');
                for i in 0..p {
                    out.push(*rest.get(i).unwrap_or(&b'0') as char);
                }
            }
        }
    }
    out.push('e');
    if exp < 0 {
        out.push('-');
    } else {
        out.push('+');
    }
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    let _ = write!(out, "{}", e);
    out
}

fn fmt_f(digits: &[u8], dp: i32, prec: Option<usize>) -> String {
    let mut out = String::new();
    if dp <= 0 {
        out.push('0');
    } else {
        for i in 0..dp as usize {
            out.push(*digits.get(i).unwrap_or(&b'0') as char);
        }
    }
    let frac: Vec<u8> = (0..)
        .map(|i: i32| dp + i)
        .take_while(|&i| i < digits.len() as i32)
        .map(|i| if i < 0 { b'0' } else { digits[i as usize] })
        .collect();
    match prec {
        None => {
            if !frac.is_empty() {
                out.push('.');
                out.push_str(std::str::from_utf8(&frac).unwrap());
            }
        }
        Some(p) => {
            if p > 0 {
                out.push('.');
                for i in 0..p {
                    out.push(*frac.get(i).unwrap_or(&b'0') as char);
                }
            }
        }
    }
    out
}

/// Go `%e` with precision (default 6).
pub fn format_float_e(f: f64, prec: usize, upper: bool) -> String {
    if !f.is_finite() {
        return special_float(f);
    }
    let s = format!("{:.*e}", prec, f);
    let (mant, exp) = s.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    let mut out = String::from(mant);
    out.push(if upper { 'E' } else { 'e' });
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
    out
}

fn special_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// Go `%f` / `strconv.FormatFloat(f, 'f', prec, 64)`; `None` = shortest.
pub fn format_float_f(f: f64, prec: Option<usize>) -> String {
    if !f.is_finite() {
        return special_float(f);
    }
    match prec {
        Some(p) => format!("{:.*}", p, f),
        None => {
            let (neg, d, dp) = shortest_digits(f, 64);
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            s.push_str(&fmt_f(&d, dp, None));
            s
        }
    }
}

/// Go `%g` with explicit precision.
pub fn format_float_g_prec(f: f64, prec: usize) -> String {
    if !f.is_finite() {
        return special_float(f);
    }
    let p = if prec == 0 { 1 } else { prec };
    // Round to p significant digits.
    let s = format!("{:.*e}", p - 1, f.abs());
    let (mant, exp) = s.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    let mut digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && *digits.last().unwrap() == b'0' {
        digits.pop();
    }
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    let eprec = if p > digits.len() && digits.len() as i32 > exp {
        digits.len() as i32
    } else {
        p as i32
    };
    if exp < -4 || exp >= eprec {
        out.push_str(&fmt_e(&digits, exp, None));
    } else {
        out.push_str(&fmt_f(&digits, exp + 1, None));
    }
    out
}

/// Go JSON encoding of a float64 (encoding/json floatEncoder).
pub fn format_float_json(f: f64) -> String {
    let a = f.abs();
    let (neg, digits, dp) = shortest_digits(f, 64);
    let mut out = String::new();
    if neg && f != 0.0 {
        out.push('-');
    }
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let mut s = fmt_e(&digits, dp - 1, None);
        // clean up e-09 to e-9
        if let Some(i) = s.find("e-0") {
            s.replace_range(i..i + 3, "e-");
        } else if let Some(i) = s.find("e+0") {
            s.replace_range(i..i + 3, "e+");
        }
        out.push_str(&s);
    } else {
        out.push_str(&fmt_f(&digits, dp, None));
    }
    out
}

/// Format a value as Go's `fmt` `%v` does (`fmt.Sprint`).
/// Go's `%v` of a []byte: the numbers, `[104 105]`.
fn sprint_bytes(b: &[u8], out: &mut String) {
    out.push('[');
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{}", x);
    }
    out.push(']');
}

pub fn go_sprint_value(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => {
            let _ = write!(out, "{}", i);
        }
        Value::Byte(b) => {
            let _ = write!(out, "{}", b);
        }
        Value::Uint(u) => {
            let _ = write!(out, "{}", u);
        }
        Value::Float(f) => out.push_str(&format_float_g(*f)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                go_sprint_value(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                go_sprint_value(x, out);
            }
            out.push(']');
        }
        Value::Object(o) => match &**o {
            Object::Files(f) => {
                out.push_str("map[");
                for (i, (k, x)) in f.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    sprint_bytes(x, out);
                }
                out.push(']');
            }
            Object::StrMap(m) => go_sprint_value(&str_map_value(m.as_ref()), out),
            Object::Bytes(b, _) => sprint_bytes(b, out),
            // fmt sees a copy of the struct, which lacks the pointer receiver's String method;
            // the second field is the unexported normalized version.
            Object::KubeVersion {
                version,
                major,
                minor,
            } => {
                let _ = write!(out, "{{{version} {version} {major} {minor}}}");
            }
            Object::HelmVersion {
                version,
                git_commit,
                git_tree_state,
                go_version,
                kube_client_version,
            } => {
                let _ = write!(
                    out,
                    "{{{} {} {} {} {}}}",
                    version, git_commit, git_tree_state, go_version, kube_client_version
                );
            }
            Object::Strings(v, _) => {
                out.push('[');
                out.push_str(&v.join(" "));
                out.push(']');
            }
            Object::Capabilities { kube, apis, helm } => {
                out.push_str("&{");
                go_sprint_value(kube, out);
                out.push(' ');
                go_sprint_value(apis, out);
                out.push(' ');
                go_sprint_value(helm, out);
                out.push('}');
            }
            Object::Semver(version) => out.push_str(&version.text()),
            Object::Time { unix_nanos, offset } => out.push_str(&super::gotime::format(
                "2006-01-02 15:04:05.999999999 -0700 MST",
                *unix_nanos,
                *offset,
            )),
        },
    }
}

/// `fmt.Sprint(v)`.
pub fn sprint(v: &Value) -> String {
    let mut s = String::new();
    go_sprint_value(v, &mut s);
    s
}

/// Bytes to text, replacing invalid UTF-8 as Go's decoders (encoding/json, YAML) do. Checks
/// with the fast validator first: the input is almost always valid and `from_utf8_lossy` walks
/// it more slowly. Go's `string(bytes)` keeps the bytes instead: [`crate::gostr::from_bytes`].
pub fn utf8_lossy(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Like [`utf8_lossy`], taking the buffer (no copy when it is valid).
pub fn utf8_lossy_vec(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Sprig `strval`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        // Sprig's strval: a []byte is its text
        Value::Object(o) if let Object::Bytes(b, _) = &**o => crate::gostr::from_bytes(b),
        _ => sprint(v),
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn value_stays_three_words() {
        // every template value is copied around; a wider MapRef would widen them all
        assert_eq!(std::mem::size_of::<MapRef>(), 16);
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
