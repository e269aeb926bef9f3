//! What the function modules share: argument conversion, Go's comparisons, indexing and
//! length, escaping, regexes, time helpers. A leaf of `functions`: it calls none of them.

pub(super) use crate::crypto::KeyPool;
pub(super) use crate::sprigcrypto::go_b64_decode;
pub(super) use gotemplate::error::TemplateError;
pub(super) use gotemplate::exec::State;
pub(super) use gotemplate::json::{go_json_syntax_error, parse_json};
pub(super) use gotemplate::sprintf::sprintf;
pub(super) use gotemplate::strconv::go_quote;
pub(super) use gotemplate::value::{Object, Value, sprint, strval};
pub(super) use std::collections::BTreeMap;
pub(super) use std::rc::Rc;

pub(super) use gotemplate::error::fail as ferr;

/// A function's arguments, read the way Sprig's Go signatures coerce them.
pub(super) struct Args<'a>(pub(super) &'a [Value]);

impl Args<'_> {
    /// Argument `i` as a string (`""` when missing or not a string).
    pub(super) fn s(&self, i: usize) -> &str {
        self.0.get(i).map(Value::str_or_empty).unwrap_or("")
    }

    /// Argument `i` as Go's bytes of the string.
    pub(super) fn bytes(&self, i: usize) -> std::borrow::Cow<'_, [u8]> {
        gotemplate::gostr::to_bytes(self.s(i))
    }
}

/// A string result.
pub(super) fn str_v(x: String) -> Result<Value, TemplateError> {
    Ok(Value::string(x))
}

pub(super) fn i_arg(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

/// spf13/cast ToInt64.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint(u) => *u as i64,
        Value::Byte(b) => *b as i64,
        Value::Float(f) => go_f64_to_i64(*f),
        Value::Bool(b) => *b as i64,
        Value::Str(s) => {
            let t = trim_zero_decimal(s);
            gotemplate::strconv::go_parse_int(&t).unwrap_or(0)
        }
        _ => 0,
    }
}

/// Go's float64→int64 conversion on amd64 (out of range → MinInt64).
pub(super) fn go_f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

pub(super) fn trim_zero_decimal(s: &str) -> String {
    let mut found_zero = false;
    let b = s.as_bytes();
    for i in (0..b.len()).rev() {
        match b[i] {
            b'.' => {
                if found_zero {
                    return s[..i].to_string();
                }
                return s.to_string();
            }
            b'0' => found_zero = true,
            _ => return s.to_string(),
        }
    }
    s.to_string()
}

/// Go's strconv.Atoi with the error dropped (Sprig): 0 for bad syntax, the clamped value when
/// out of range.
pub(super) fn go_atoi(s: &str) -> i64 {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return 0;
    }
    s.parse::<i64>().unwrap_or(if s.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// spf13/cast ToFloat64.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::Byte(b) => *b as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        Value::Str(s) => gotemplate::strconv::go_parse_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Sprig `empty`.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Byte(b) => *b == 0,
        Value::Float(f) => *f == 0.0,
        Value::Str(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.borrow().is_empty(),
        Value::Object(o) => match &**o {
            Object::Files(f) => f.is_empty(),
            Object::Strings(a, _) => a.is_empty(),
            Object::StrMap(m) => m.as_ref().is_none_or(|m| m.is_empty()),
            Object::Bytes(b, _) => b.is_empty(),
            _ => false,
        },
    }
}

/// Sprig `strslice`.
pub(super) fn strslice(v: &Value) -> Vec<String> {
    if let Some(a) = string_slice(v) {
        return a.clone();
    }
    match v {
        Value::List(l) => l.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Nil => vec![],
        v => vec![strval(v)],
    }
}

/// A Go `[]string` (`.Capabilities.APIVersions`, splitList, keys, …): Sprig's reflection takes it as a list.
pub(super) fn string_slice(v: &Value) -> Option<&Vec<String>> {
    match v {
        Value::Object(o) => match o.as_ref() {
            Object::Strings(a, _) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

pub(super) const NIL_DEREF: &str =
    "runtime error: invalid memory address or nil pointer dereference";

pub(super) fn as_list(v: &Value, fname: &str) -> Result<Vec<Value>, TemplateError> {
    if let Some(a) = string_slice(v) {
        return Ok(a.iter().map(|s| Value::str(s)).collect());
    }
    if let Value::Object(o) = v
        && let Object::Bytes(b, _) = &**o
    {
        return Ok(b.iter().map(|x| Value::Byte(*x)).collect());
    }
    match v {
        Value::List(l) => Ok(l.as_ref().clone()),
        // Sprig asks reflect.TypeOf(nil).Kind(): a nil-pointer panic that Go reports as an error
        Value::Nil => ferr(NIL_DEREF),
        // Sprig names the reflect kind ("map"), and says "push"/"prepend" without "find"
        _ if matches!(fname, "push" | "prepend") => {
            ferr(format!("Cannot {} on type {}", fname, v.kind_name()))
        }
        _ => ferr(format!("Cannot find {} on type {}", fname, v.kind_name())),
    }
}

/// Go's eq/lt basic kinds.
#[derive(PartialEq, Clone, Copy, Debug)]
pub(super) enum BasicKind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
    Other,
}

pub(super) fn basic_kind(v: &Value) -> BasicKind {
    match v {
        Value::Nil => BasicKind::Invalid,
        Value::Bool(_) => BasicKind::Bool,
        Value::Int(_) | Value::Int64(_) => BasicKind::Int,
        Value::Uint(_) | Value::Byte(_) => BasicKind::Uint,
        Value::Float(_) => BasicKind::Float,
        Value::Str(_) => BasicKind::Str,
        _ => BasicKind::Other,
    }
}

pub(super) fn go_eq(a: &Value, args: &[Value]) -> Result<bool, TemplateError> {
    if args.is_empty() {
        return ferr("missing argument for comparison");
    }
    let k1 = basic_kind(a);
    for b in args {
        let k2 = basic_kind(b);
        let truth;
        if k1 != k2 {
            match (k1, k2) {
                (BasicKind::Int, BasicKind::Uint) => {
                    truth = i_arg(a) >= 0 && i_arg(a) as u64 == uval(b)
                }
                (BasicKind::Uint, BasicKind::Int) => {
                    truth = i_arg(b) >= 0 && uval(a) == i_arg(b) as u64
                }
                _ => {
                    if !a.is_nil() && !b.is_nil() {
                        return ferr(format!(
                            "incompatible types for comparison: {} and {}",
                            a.type_name(),
                            b.type_name()
                        ));
                    }
                    truth = false;
                }
            }
        } else {
            truth = match k1 {
                BasicKind::Bool => a.truthy() == b.truthy(),
                BasicKind::Int => i_arg(a) == i_arg(b),
                BasicKind::Uint => uval(a) == uval(b),
                BasicKind::Float => to_float64(a) == to_float64(b),
                BasicKind::Str => a.as_str() == b.as_str(),
                BasicKind::Invalid => true,
                BasicKind::Other => {
                    // Go: kinds must match, a nil map is equal only to nil, maps and slices are
                    // not comparable (the error names the right-hand side), structs compare fields
                    if a.kind_name() != b.kind_name() {
                        return ferr(format!(
                            "non-comparable types {}: {}, {}: {}",
                            gotemplate::sprintf::sprintf("%s", std::slice::from_ref(a)),
                            a.type_name(),
                            b.type_name(),
                            sprint(b)
                        ));
                    }
                    let nil_map = |v: &Value| matches!(v, Value::Object(o) if matches!(**o, Object::StrMap(None)));
                    if nil_map(a) || nil_map(b) {
                        nil_map(a) && nil_map(b)
                    } else if matches!(b.kind_name(), "map" | "slice") {
                        return ferr(non_comparable(b));
                    } else {
                        a.type_name() == b.type_name() && sprint(a) == sprint(b)
                    }
                }
            };
        }
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's text/template formats the value with `%s` here, so numbers inside show as `%!s(…)`.
pub(super) fn non_comparable(a: &Value) -> String {
    format!(
        "non-comparable type {}: {}",
        gotemplate::sprintf::sprintf("%s", std::slice::from_ref(a)),
        a.type_name()
    )
}

pub(super) fn uval(v: &Value) -> u64 {
    match v {
        Value::Uint(u) => *u,
        Value::Byte(b) => *b as u64,
        _ => 0,
    }
}

pub(super) fn go_lt(a: &Value, b: &Value) -> Result<bool, TemplateError> {
    let k1 = basic_kind(a);
    let k2 = basic_kind(b);
    if matches!(k1, BasicKind::Invalid | BasicKind::Other | BasicKind::Bool)
        || matches!(k2, BasicKind::Invalid | BasicKind::Other | BasicKind::Bool)
    {
        return ferr("invalid type for comparison");
    }
    if k1 != k2 {
        return match (k1, k2) {
            (BasicKind::Int, BasicKind::Uint) => Ok(i_arg(a) < 0 || (i_arg(a) as u64) < uval(b)),
            (BasicKind::Uint, BasicKind::Int) => Ok(i_arg(b) >= 0 && uval(a) < i_arg(b) as u64),
            _ => ferr(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            )),
        };
    }
    Ok(match k1 {
        BasicKind::Int => i_arg(a) < i_arg(b),
        BasicKind::Uint => uval(a) < uval(b),
        BasicKind::Float => to_float64(a) < to_float64(b),
        BasicKind::Str => a.as_str() < b.as_str(),
        _ => false,
    })
}

pub(super) fn go_index(item: &Value, idx: &[Value]) -> Result<Value, TemplateError> {
    // Go: a nil item is an "untyped nil"; a nil reached while indexing is a "nil pointer"
    if matches!(item, Value::Nil) {
        return ferr("index of untyped nil");
    }
    let mut cur = item.clone();
    for i in idx {
        if let Value::Object(o) = &cur
            && matches!(o.as_ref(), Object::Strings(..))
        {
            cur = Value::list(as_list(&cur, "index")?);
        }
        cur = match &cur {
            Value::List(l) => {
                let n = match i {
                    Value::Int(n) | Value::Int64(n) => *n,
                    Value::Uint(u) => *u as i64,
                    Value::Byte(b) => *b as i64,
                    Value::Nil => return ferr("cannot index slice/array with nil"),
                    _ => {
                        return ferr(format!(
                            "cannot index slice/array with type {}",
                            i.type_name()
                        ));
                    }
                };
                if n < 0 || n as usize >= l.len() {
                    return ferr(format!("index out of range: {}", n));
                }
                l[n as usize].clone()
            }
            Value::Str(s) => {
                // a string's element is a byte: uint8, as Go's reflect gives it
                let n = slice_index(i)?;
                let b = gotemplate::gostr::to_bytes(s);
                match usize::try_from(n).ok().and_then(|n| b.get(n)) {
                    Some(x) => Value::Byte(*x),
                    None => return ferr(format!("index out of range: {}", n)),
                }
            }
            Value::Map(m) => match i {
                Value::Str(k) => m.borrow().get(&**k).cloned().unwrap_or(Value::Nil),
                Value::Nil => return ferr("value is nil; should be of type string"),
                _ => {
                    return ferr(format!(
                        "value has type {}; should be string",
                        i.type_name()
                    ));
                }
            },
            Value::Object(o) => match (&**o, i) {
                (Object::Files(f), Value::Str(k)) => f
                    .get(&**k)
                    .map_or_else(Value::nil_bytes, |b| Value::bytes(b)),
                (Object::Bytes(b, _), i) => {
                    let n = slice_index(i)?;
                    match usize::try_from(n).ok().and_then(|n| b.get(n)) {
                        Some(x) => Value::Byte(*x),
                        None => return ferr(format!("index out of range: {}", n)),
                    }
                }
                (Object::StrMap(m), Value::Str(k)) => {
                    Value::str(m.as_ref().and_then(|m| m.get(&**k)).map_or("", |s| s))
                }
                (Object::StrMap(_) | Object::Files(_), Value::Nil) => {
                    return ferr("value is nil; should be of type string");
                }
                (Object::StrMap(_) | Object::Files(_), _) => {
                    return ferr(format!(
                        "value has type {}; should be string",
                        i.type_name()
                    ));
                }
                _ => return ferr(format!("can't index item of type {}", cur.type_name())),
            },
            Value::Nil => return ferr("index of nil pointer"),
            _ => return ferr(format!("can't index item of type {}", cur.type_name())),
        };
    }
    Ok(cur)
}

/// An index into a string or []byte: Go takes only integers here.
pub(super) fn slice_index(i: &Value) -> Result<i64, TemplateError> {
    match i {
        Value::Int(n) | Value::Int64(n) => Ok(*n),
        _ => ferr(format!(
            "cannot index slice/array with type {}",
            i.type_name()
        )),
    }
}

pub(super) fn go_len(v: &Value) -> Result<Value, TemplateError> {
    Ok(Value::Int(match v {
        Value::Str(s) => gotemplate::gostr::len(s) as i64,
        Value::List(l) => l.len() as i64,
        Value::Map(m) => m.borrow().len() as i64,
        Value::Object(o) => match &**o {
            Object::Files(f) => f.len() as i64,
            Object::Strings(a, _) => a.len() as i64,
            Object::StrMap(m) => m.as_ref().map_or(0, |m| m.len()) as i64,
            Object::Bytes(b, _) => b.len() as i64,
            _ => return ferr(format!("len of type {}", v.type_name())),
        },
        Value::Nil => return ferr("len of nil pointer"),
        _ => return ferr(format!("len of type {}", v.type_name())),
    }))
}

pub(super) fn html_escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("&#34;"),
            '\'' => o.push_str("&#39;"),
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\0' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// goutils.SwapCase: upper and title case to lower; lower case to upper, or to title case
/// after white space (or at the start). Go maps one rune to one rune, so `ß` stays `ß`.
pub(super) fn swap_case(s: &str) -> String {
    fn single(mut mapped: impl Iterator<Item = char>, c: char) -> char {
        match (mapped.next(), mapped.next()) {
            (Some(m), None) => m,
            _ => c,
        }
    }
    // the four Latin digraphs whose title case differs from their upper case
    fn title_of_lower(c: char) -> Option<char> {
        match c {
            '\u{1C6}' => Some('\u{1C5}'),
            '\u{1C9}' => Some('\u{1C8}'),
            '\u{1CC}' => Some('\u{1CB}'),
            '\u{1F3}' => Some('\u{1F2}'),
            _ => None,
        }
    }
    let is_title = |c: char| matches!(c, '\u{1C5}' | '\u{1C8}' | '\u{1CB}' | '\u{1F2}');
    let mut whitespace = true;
    s.chars()
        .map(|c| {
            if c.is_uppercase() || is_title(c) {
                whitespace = false;
                single(c.to_lowercase(), c)
            } else if c.is_lowercase() {
                let start = whitespace;
                whitespace = false;
                match title_of_lower(c) {
                    Some(t) if start => t,
                    _ => single(c.to_uppercase(), c),
                }
            } else {
                whitespace = c.is_whitespace();
                c
            }
        })
        .collect()
}

/// strings.Split: an empty separator splits after each UTF-8 character.
pub(super) fn go_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if sep.is_empty() {
        s.char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect()
    } else {
        s.split(sep).collect()
    }
}

pub(super) fn js_escape(s: &str) -> String {
    // text/template's JSEscape: ASCII controls as \u00XX, other runes as they are unless
    // strconv.IsPrint rejects them (U+2028, U+00A0, …), then \uXXXX.
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '<' => o.push_str("\\u003C"),
            '>' => o.push_str("\\u003E"),
            '&' => o.push_str("\\u0026"),
            '=' => o.push_str("\\u003D"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) >= 0x80 && !gotemplate::strconv::go_is_print(c) => {
                o.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

pub(super) fn url_query_escape(s: &str) -> String {
    let mut o = String::new();
    for &b in gotemplate::gostr::to_bytes(s).iter() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            _ => o.push_str(&format!("%{:02X}", b)),
        }
    }
    o
}

/// Go's fmt.Sprint (spaces between operands when neither is a string).
pub fn go_sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        gotemplate::value::go_sprint_value(a, &mut out);
    }
    out
}

pub(super) fn go_sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        gotemplate::value::go_sprint_value(a, &mut out);
    }
    out.push('\n');
    out
}

pub(super) fn eval_args_string(args: &[Value]) -> String {
    // text/template evalArgs: a single string arg is used as-is; otherwise fmt.Sprint
    if args.len() == 1
        && let Value::Str(s) = &args[0]
    {
        return s.to_string();
    }
    go_sprint(args)
}

pub(super) fn regex(pat: &str) -> Result<regex::Regex, TemplateError> {
    gotemplate::regexp::go_regex(pat).map_err(TemplateError::new)
}

/// Sprig's non-`must` regex functions use Go's regexp.MustCompile: a bad pattern panics with
/// the pattern quoted in front of the parse error.
pub(super) fn must_compile(pat: &str) -> Result<regex::Regex, TemplateError> {
    gotemplate::regexp::go_regex(pat).map_err(|e| {
        let backquotable = !pat
            .chars()
            .any(|c| c == '`' || c == '\u{feff}' || (c.is_control() && c != '\t'));
        let quoted = if backquotable {
            format!("`{pat}`")
        } else {
            gotemplate::strconv::go_quote(pat)
        };
        TemplateError::new(format!("regexp: Compile({quoted}): {e}"))
    })
}

/// The compiler for a Sprig regex function: `must*` variants return the error, the others panic.
pub(super) fn regex_for(name: &str, pat: &str) -> Result<regex::Regex, TemplateError> {
    if name.starts_with("must") {
        regex(pat)
    } else {
        must_compile(pat)
    }
}

pub(super) fn go_title(s: &str) -> String {
    let mut out = String::new();
    let mut prev_letter = false;
    for c in gotemplate::gostr::replacing_invalid(s).chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

/// Sprig's merge/mergeOverwrite (mergo): a nil source value is skipped, or set when
/// overwriting; maps on both sides merge deeply (a destination map still empty afterwards takes
/// the source map); otherwise the source value replaces a missing or empty destination value,
/// or any destination value when overwriting.
/// Go's `strings.ToUpper`: one rune to one rune (`ß` stays), unlike full Unicode case mapping.
/// strings.ToUpper: rune by rune, so a byte that is not UTF-8 becomes U+FFFD (as in lower,
/// title, swapcase).
pub(super) fn go_upper(s: &str) -> String {
    gotemplate::gostr::replacing_invalid(s)
        .chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToLower` (simple mapping: `İ` → `i`).
pub(super) fn go_lower(s: &str) -> String {
    gotemplate::gostr::replacing_invalid(s)
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// Go's `Regexp.Split`: an empty match at the start adds no leading empty piece, and the
/// text after the last match is added only when it is not empty of the input's end.
pub(super) fn go_regex_split<'a>(r: &regex::Regex, expr: &str, s: &'a str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return vec![];
    }
    if !expr.is_empty() && s.is_empty() {
        return vec![""];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in r.find_iter(s) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(&s[beg..end]);
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(&s[beg..]);
    }
    out
}

pub(super) fn merge_into(dst: &Value, src: &Value, overwrite: bool) {
    if let (Value::Map(d), Value::Map(s)) = (dst, src) {
        if Rc::ptr_eq(d, s) {
            return;
        }
        let src_entries: Vec<(String, Value)> = s
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, sv) in src_entries {
            if sv.is_nil() {
                if overwrite {
                    d.borrow_mut().insert(k, Value::Nil);
                }
                continue;
            }
            let dv = d.borrow().get(&k).cloned();
            match dv {
                Some(dv @ Value::Map(_)) if matches!(sv, Value::Map(_)) => {
                    merge_into(&dv, &sv, overwrite);
                    if is_empty(&dv) {
                        d.borrow_mut().insert(k, sv);
                    }
                }
                Some(dv) => {
                    if overwrite || is_empty(&dv) {
                        d.borrow_mut().insert(k, sv);
                    }
                }
                None => {
                    d.borrow_mut().insert(k, sv);
                }
            }
        }
    }
}

pub(super) fn cert_map(cert: String, key: String) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Cert".to_string(), Value::string(cert));
    m.insert("Key".to_string(), Value::string(key));
    Value::map(m)
}

/// Sprig's functions and Go's builtins as a library for the executor, without methods.
/// Call a function by name with already-converted arguments.
/// Most items `until`, `untilStep` and `seq` make. Sprig has no limit (Go would try to allocate
/// `until 1e12` and die); a chart needs a few hundred.
pub const MAX_SEQUENCE: i128 = 1_000_000;

/// Refuses a sequence of `n` items from `name` past [`MAX_SEQUENCE`], before it is built.
pub(super) fn sequence_fits(name: &str, n: i128) -> Result<(), TemplateError> {
    if n > MAX_SEQUENCE {
        return ferr(format!(
            "{name}: a sequence of {n} items is more than the {MAX_SEQUENCE} podnet allows"
        ));
    }
    Ok(())
}

/// Items from `start` towards `stop` (excluded when `inclusive` is false) by `step`.
pub(super) fn sequence_len(start: i64, stop: i64, step: i64, inclusive: bool) -> i128 {
    let (start, stop, step) = (start as i128, stop as i128, step as i128);
    let span = if step > 0 { stop - start } else { start - stop };
    let step = step.abs();
    if step == 0 || span < 0 || (span == 0 && !inclusive) {
        return 0;
    }
    if inclusive {
        span / step + 1
    } else {
        (span + step - 1) / step
    }
}

pub(super) fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => match (&**x, &**y) {
            (Object::Strings(p, pt), Object::Strings(q, qt)) => pt == qt && p == q,
            _ => false,
        },
        (Value::Map(x), Value::Map(y)) => {
            let x = x.borrow();
            let y = y.borrow();
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        _ => false,
    }
}

pub(super) fn hex_lower(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{:02x}", x));
    }
    s
}

/// A time at offset 0 (how `date` shows a time in the local zone, which is UTC here).
pub(super) fn in_utc(v: &Value) -> Value {
    match v {
        Value::Object(o) => match &**o {
            Object::Time { unix_nanos, .. } => Value::Object(Rc::new(Object::Time {
                unix_nanos: *unix_nanos,
                offset: 0,
            })),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

pub(super) fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Go's Duration.Round(time.Second).
pub(super) fn round_to_second(d: i128) -> i128 {
    let s = 1_000_000_000i128;
    let r = d.rem_euclid(s);
    let base = d - r;
    if d < 0 {
        // round half away from zero
        let down = d - d % s;
        let rem = (d % s).abs();
        if rem * 2 >= s { down - s } else { down }
    } else if r * 2 >= s {
        base + s
    } else {
        base
    }
}

/// Sprig's durationRound.
pub(super) fn duration_round(d: i128) -> String {
    let u = d.unsigned_abs();
    let hour: u128 = 3_600_000_000_000;
    let (year, month, day, minute, second) = (
        hour * 24 * 365,
        hour * 24 * 30,
        hour * 24,
        60_000_000_000u128,
        1_000_000_000u128,
    );
    if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > hour {
        format!("{}h", u / hour)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > second {
        format!("{}s", u / second)
    } else {
        "0s".into()
    }
}

/// goutils.AbbreviateFull (byte offsets, as in Go).
pub(super) fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> String {
    let b = gotemplate::gostr::to_bytes(s);
    let len = b.len() as i64;
    if s.is_empty() || max_width < 4 || len <= max_width {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let sub = |from: i64, to: i64| gotemplate::gostr::from_bytes(&b[from as usize..to as usize]);
    if offset <= 4 {
        return format!("{}...", sub(0, max_width - 3));
    }
    if max_width < 7 {
        return String::new();
    }
    if offset + max_width - 3 < len {
        return format!(
            "...{}",
            abbreviate_full(&sub(offset, len), 0, max_width - 3)
        );
    }
    format!("...{}", sub(len - (max_width - 3), len))
}

pub(super) fn now_value() -> Value {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Value::Object(Rc::new(Object::Time {
        unix_nanos: d.as_nanos() as i128,
        offset: 0,
    }))
}

/// `time.Time.String()`.
pub fn time_string(v: &Value) -> String {
    gotemplate::dates::go_date("2006-01-02 15:04:05.999999999 -0700 MST", v)
}
