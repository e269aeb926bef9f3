//! Sprig v3's template functions and Go's builtins, as one library for the executor.

use crate::crypto::KeyPool;
use crate::sprigcrypto::go_b64_decode;
use gotemplate::error::TemplateError;
use gotemplate::exec::{FunctionLibrary, ParamKind, Signature, State};
use gotemplate::gofmt::sprintf;
use gotemplate::json::{go_json_syntax_error, parse_json};
use gotemplate::strconv::go_quote;
use gotemplate::value::{Object, Value, sprint, strval};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use ParamKind::*;

/// The signature of a known function, or None if undefined.
pub fn signature(name: &str) -> Option<Signature> {
    Some(match name {
        // Go builtins
        "not" | "len" => (&[Any], None),
        "index" | "slice" => (&[Any], Some(Any)),
        "eq" => (&[Any], Some(Any)),
        "ne" | "lt" | "le" | "gt" | "ge" => (&[Any, Any], None),
        "print" | "println" | "html" | "js" | "urlquery" => (&[], Some(Any)),
        "printf" => (&[Str], Some(Any)),
        "and" | "or" => (&[Any], Some(Any)),
        "call" => (&[Any], Some(Any)),
        // strings
        "trim" | "upper" | "lower" | "title" | "untitle" | "nospace" | "initials" | "snakecase"
        | "camelcase" | "kebabcase" | "swapcase" | "shuffle" | "b64enc" | "b64dec" | "b32enc"
        | "b32dec" | "sha1sum" | "sha256sum" | "sha512sum" | "adler32sum" | "base" | "dir"
        | "clean" | "ext" | "isAbs" | "osBase" | "osDir" | "osClean" | "osExt" | "osIsAbs"
        | "regexQuoteMeta" | "atoi" | "urlParse" | "getHostByName" | "bcrypt" | "genPrivateKey"
        | "mustFromJson" => (&[Str], None),
        "htmlDateInZone" => (&[Any, Str], None),
        "trimall" => (&[Str, Str], None),
        "date_in_zone" => (&[Str, Any, Str], None),
        "date_modify" | "must_date_modify" => (&[Str, Time], None),
        "hello" => (&[], None),
        "biggest" => (&[Any], Some(Any)),
        "mustSlice" => (&[Any], Some(Any)),
        "trimAll" | "trimSuffix" | "trimPrefix" | "contains" | "hasPrefix" | "hasSuffix"
        | "split" | "splitList" | "regexMatch" | "mustRegexMatch" | "regexFind"
        | "mustRegexFind" | "regexSplit" | "mustRegexSplit" | "htpasswd" | "encryptAES"
        | "decryptAES" | "buildCustomCert" | "semverCompare" | "toDate" | "mustToDate" => {
            match name {
                "regexSplit" | "mustRegexSplit" => (&[Str, Str, Int], None),
                _ => (&[Str, Str], None),
            }
        }
        "replace"
        | "regexReplaceAll"
        | "mustRegexReplaceAll"
        | "regexReplaceAllLiteral"
        | "mustRegexReplaceAllLiteral" => (&[Str, Str, Str], None),
        "regexFindAll" | "mustRegexFindAll" => (&[Str, Str, Int], None),
        "derivePassword" => (&[Uint32, Str, Str, Str, Str], None),
        "repeat" => (&[Int, Str], None),
        "substr" => (&[Int, Int, Str], None),
        "trunc" | "abbrev" | "wrap" | "indent" | "nindent" => (&[Int, Str], None),
        "abbrevboth" => (&[Int, Int, Str], None),
        "wrapWith" => (&[Int, Str, Str], None),
        "splitn" => (&[Str, Int, Str], None),
        "plural" => (&[Str, Str, Int], None),
        "quote" | "squote" | "cat" | "list" | "tuple" | "dict" | "coalesce" | "all" | "any"
        | "concat" | "add" | "mul" | "addf" | "mulf" | "max" | "min" | "maxf" | "minf" | "seq"
        | "dig" | "uuidv4" | "now" | "randBytes" => match name {
            "add" | "mul" | "max" | "min" | "addf" | "mulf" | "maxf" | "minf" => {
                if name == "add" || name == "addf" {
                    (&[], Some(Any))
                } else {
                    (&[Any], Some(Any))
                }
            }
            "uuidv4" | "now" => (&[], None),
            "seq" => (&[], Some(Int)),
            "randBytes" => (&[Int], None),
            _ => (&[], Some(Any)),
        },
        "join" => (&[Str, Any], None),
        "toString" | "toStrings" | "int" | "int64" | "float64" | "toDecimal" | "add1" | "add1f"
        | "floor" | "ceil" | "empty" | "kindOf" | "typeOf" | "deepCopy" | "mustDeepCopy"
        | "first" | "mustFirst" | "rest" | "mustRest" | "last" | "mustLast" | "initial"
        | "mustInitial" | "reverse" | "mustReverse" | "uniq" | "mustUniq" | "compact"
        | "mustCompact" | "sortAlpha" | "keys" | "values" | "until" | "unixEpoch" | "htmlDate"
        | "ago" | "duration" | "durationRound" | "semver" | "urlJoin" => match name {
            "until" => (&[Int], None),
            "keys" => (&[], Some(Map)),
            "values" => (&[Map], None),
            "unixEpoch" => (&[Time], None),
            _ => (&[Any], None),
        },
        "round" => (&[Any, Int], Some(Float)),
        "sub" | "div" | "mod" => (&[Any, Any], None),
        "randInt" => (&[Int, Int], None),
        "subf" | "divf" => (&[Any], Some(Any)),
        "untilStep" => (&[Int, Int, Int], None),
        "default" => (&[Any], Some(Any)),
        "ternary" => (&[Any, Any, Bool], None),
        "kindIs" | "typeIs" | "typeIsLike" => (&[Str, Any], None),
        "deepEqual" => (&[Any, Any], None),
        "get" => (&[Map, Str], None),
        "set" => (&[Map, Str, Any], None),
        "unset" => (&[Map, Str], None),
        "hasKey" => (&[Map, Str], None),
        "pluck" => (&[Str], Some(Map)),
        "pick" | "omit" => (&[Map], Some(Str)),
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => (&[Map], Some(Map)),
        "append" | "push" | "mustAppend" | "mustPush" | "prepend" | "mustPrepend" => {
            (&[Any, Any], None)
        }
        "without" | "mustWithout" => (&[Any], Some(Any)),
        "has" | "mustHas" => (&[Any, Any], None),
        "chunk" | "mustChunk" => (&[Int, Any], None),
        "date" | "dateInZone" | "dateModify" | "mustDateModify" => match name {
            "dateInZone" => (&[Str, Any, Str], None),
            "dateModify" | "mustDateModify" => (&[Str, Time], None),
            _ => (&[Str, Any], None),
        },
        "genCA" => (&[Str, Int], None),
        "genCAWithKey" => (&[Str, Int, Str], None),
        "genSelfSignedCert" => (&[Str, List, List, Int], None),
        "genSelfSignedCertWithKey" => (&[Str, List, List, Int, Str], None),
        "genSignedCert" => (&[Str, List, List, Int, Any], None),
        "genSignedCertWithKey" => (&[Str, List, List, Int, Any, Str], None),
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => (&[Int], None),
        _ => return None,
    })
}

/// Is `name` a defined function (for the parser)?
pub fn has_function(name: &str) -> bool {
    signature(name).is_some()
}

fn ferr<T>(msg: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError::new(msg))
}

fn s_arg(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn i_arg(v: &Value) -> i64 {
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
fn go_f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

fn trim_zero_decimal(s: &str) -> String {
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
fn go_atoi(s: &str) -> i64 {
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
            Object::ApiVersions(a) => a.is_empty(),
            Object::StrMap(m) => m.as_ref().is_none_or(|m| m.is_empty()),
            Object::Bytes(b, _) => b.is_empty(),
            _ => false,
        },
    }
}

/// Sprig `strslice`.
fn strslice(v: &Value) -> Vec<String> {
    if let Some(a) = api_versions(v) {
        return a.clone();
    }
    match v {
        Value::List(l) => l.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Nil => vec![],
        v => vec![strval(v)],
    }
}

/// `.Capabilities.APIVersions` is a Go `[]string`: Sprig's reflection takes it as a list.
fn api_versions(v: &Value) -> Option<&Vec<String>> {
    match v {
        Value::Object(o) => match o.as_ref() {
            Object::ApiVersions(a) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

fn as_list(v: &Value, fname: &str) -> Result<Vec<Value>, TemplateError> {
    if let Some(a) = api_versions(v) {
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
enum BasicKind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
    Other,
}

fn basic_kind(v: &Value) -> BasicKind {
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

fn go_eq(a: &Value, args: &[Value]) -> Result<bool, TemplateError> {
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
                            gotemplate::gofmt::sprintf("%s", std::slice::from_ref(a)),
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
fn non_comparable(a: &Value) -> String {
    format!(
        "non-comparable type {}: {}",
        gotemplate::gofmt::sprintf("%s", std::slice::from_ref(a)),
        a.type_name()
    )
}

fn uval(v: &Value) -> u64 {
    match v {
        Value::Uint(u) => *u,
        Value::Byte(b) => *b as u64,
        _ => 0,
    }
}

fn go_lt(a: &Value, b: &Value) -> Result<bool, TemplateError> {
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

fn go_index(item: &Value, idx: &[Value]) -> Result<Value, TemplateError> {
    // Go: a nil item is an "untyped nil"; a nil reached while indexing is a "nil pointer"
    if matches!(item, Value::Nil) {
        return ferr("index of untyped nil");
    }
    let mut cur = item.clone();
    for i in idx {
        if let Value::Object(o) = &cur
            && matches!(o.as_ref(), Object::ApiVersions(_))
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
                let n = slice_index(i)?;
                if n < 0 || n as usize >= s.len() {
                    return ferr(format!("index out of range: {}", n));
                }
                Value::Int(s.as_bytes()[n as usize] as i64)
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
fn slice_index(i: &Value) -> Result<i64, TemplateError> {
    match i {
        Value::Int(n) | Value::Int64(n) => Ok(*n),
        _ => ferr(format!(
            "cannot index slice/array with type {}",
            i.type_name()
        )),
    }
}

fn go_len(v: &Value) -> Result<Value, TemplateError> {
    Ok(Value::Int(match v {
        Value::Str(s) => s.len() as i64,
        Value::List(l) => l.len() as i64,
        Value::Map(m) => m.borrow().len() as i64,
        Value::Object(o) => match &**o {
            Object::Files(f) => f.len() as i64,
            Object::ApiVersions(a) => a.len() as i64,
            Object::StrMap(m) => m.as_ref().map_or(0, |m| m.len()) as i64,
            Object::Bytes(b, _) => b.len() as i64,
            _ => return ferr(format!("len of type {}", v.type_name())),
        },
        Value::Nil => return ferr("len of nil pointer"),
        _ => return ferr(format!("len of type {}", v.type_name())),
    }))
}

fn html_escape(s: &str) -> String {
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
fn swap_case(s: &str) -> String {
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
fn go_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if sep.is_empty() {
        s.char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect()
    } else {
        s.split(sep).collect()
    }
}

fn js_escape(s: &str) -> String {
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

fn url_query_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
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

fn go_sprintln(args: &[Value]) -> String {
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

fn eval_args_string(args: &[Value]) -> String {
    // text/template evalArgs: a single string arg is used as-is; otherwise fmt.Sprint
    if args.len() == 1
        && let Value::Str(s) = &args[0]
    {
        return s.to_string();
    }
    go_sprint(args)
}

fn regex(pat: &str) -> Result<regex::Regex, TemplateError> {
    gotemplate::gofmt::go_regex(pat).map_err(TemplateError::new)
}

/// Sprig's non-`must` regex functions use Go's regexp.MustCompile: a bad pattern panics with
/// the pattern quoted in front of the parse error.
fn must_compile(pat: &str) -> Result<regex::Regex, TemplateError> {
    gotemplate::gofmt::go_regex(pat).map_err(|e| {
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
fn regex_for(name: &str, pat: &str) -> Result<regex::Regex, TemplateError> {
    if name.starts_with("must") {
        regex(pat)
    } else {
        must_compile(pat)
    }
}

fn go_title(s: &str) -> String {
    let mut out = String::new();
    let mut prev_letter = false;
    for c in s.chars() {
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
fn go_upper(s: &str) -> String {
    s.chars()
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
fn go_lower(s: &str) -> String {
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// Go's `Regexp.Split`: an empty match at the start adds no leading empty piece, and the
/// text after the last match is added only when it is not empty of the input's end.
fn go_regex_split<'a>(r: &regex::Regex, expr: &str, s: &'a str, n: i64) -> Vec<&'a str> {
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

fn merge_into(dst: &Value, src: &Value, overwrite: bool) {
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

fn cert_map(cert: String, key: String) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Cert".to_string(), Value::string(cert));
    m.insert("Key".to_string(), Value::string(key));
    Value::map(m)
}

/// Sprig's functions and Go's builtins as a library for the executor, without methods.
#[derive(Default)]
pub struct SprigFunctions {
    /// RSA keys searched ahead of the render (`None`: made when asked for).
    pub keys: Option<Arc<KeyPool>>,
}

impl FunctionLibrary for SprigFunctions {
    fn signature(&self, name: &str) -> Option<Signature> {
        signature(name)
    }
    fn call(
        &self,
        st: &mut State,
        name: &str,
        args: Vec<Value>,
        dot: &Value,
    ) -> Result<Value, TemplateError> {
        call(self.keys.as_deref(), st, name, args, dot)
    }
    fn method(&self, _recv: &Value, _name: &str) -> Option<Signature> {
        None
    }
    fn call_method(
        &self,
        _recv: &Value,
        name: &str,
        _args: Vec<Value>,
    ) -> Result<Value, TemplateError> {
        ferr(format!("can't call method {}", name))
    }
}

/// Call a function by name with already-converted arguments.
/// Most items `until`, `untilStep` and `seq` make. Sprig has no limit (Go would try to allocate
/// `until 1e12` and die); a chart needs a few hundred.
pub const MAX_SEQUENCE: i128 = 1_000_000;

/// Refuses a sequence of `n` items from `name` past [`MAX_SEQUENCE`], before it is built.
fn sequence_fits(name: &str, n: i128) -> Result<(), TemplateError> {
    if n > MAX_SEQUENCE {
        return ferr(format!(
            "{name}: a sequence of {n} items is more than the {MAX_SEQUENCE} podnet allows"
        ));
    }
    Ok(())
}

/// Items from `start` towards `stop` (excluded when `inclusive` is false) by `step`.
fn sequence_len(start: i64, stop: i64, step: i64, inclusive: bool) -> i128 {
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

pub fn call(
    keys: Option<&KeyPool>,
    st: &mut State,
    name: &str,
    a: Vec<Value>,
    _dot: &Value,
) -> Result<Value, TemplateError> {
    let s = |i: usize| -> &str { a.get(i).map(s_arg).unwrap_or("") };
    let str_v = |x: String| -> Result<Value, TemplateError> { Ok(Value::string(x)) };
    match name {
        // ---------- Go builtins
        "not" => Ok(Value::Bool(!a[0].truthy())),
        "len" => go_len(&a[0]),
        "index" => go_index(&a[0], &a[1..]),
        "eq" => Ok(Value::Bool(go_eq(&a[0], &a[1..])?)),
        "ne" => Ok(Value::Bool(!go_eq(&a[0], &a[1..])?)),
        "lt" => Ok(Value::Bool(go_lt(&a[0], &a[1])?)),
        "le" => Ok(Value::Bool(go_lt(&a[0], &a[1])? || go_eq(&a[0], &a[1..2])?)),
        "gt" => Ok(Value::Bool(
            !(go_lt(&a[0], &a[1])? || go_eq(&a[0], &a[1..2])?),
        )),
        "ge" => Ok(Value::Bool(!go_lt(&a[0], &a[1])?)),
        "print" => str_v(go_sprint(&a)),
        "println" => str_v(go_sprintln(&a)),
        "printf" => str_v(sprintf(s(0), &a[1..])),
        "html" => str_v(html_escape(&eval_args_string(&a))),
        "js" => str_v(js_escape(&eval_args_string(&a))),
        "urlquery" => str_v(url_query_escape(&eval_args_string(&a))),
        "call" => ferr("call of non-function"),
        // ---------- strings
        "trim" => str_v(s(0).trim_matches(|c: char| c.is_whitespace()).to_string()),
        "trimAll" | "trimall" => str_v(s(1).trim_matches(|c: char| s(0).contains(c)).to_string()),
        "hello" => str_v("Hello!".to_string()),
        "biggest" => Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0))),
        "mustFromJson" => match go_json_syntax_error(s(0))
            .map(Err)
            .unwrap_or_else(|| parse_json(s(0)))
        {
            Ok(v) => Ok(v),
            Err(e) => ferr(e),
        },
        "b32dec" => match gotemplate::gofmt::base32_decode(s(0)) {
            Some(b) => str_v(String::from_utf8_lossy(&b).into_owned()),
            None => str_v("illegal base32 data at input byte 0".to_string()),
        },
        "shuffle" => {
            let mut c: Vec<char> = s(0).chars().collect();
            let mut r = vec![0u8; c.len()];
            let _ = aws_lc_rs::rand::fill(&mut r);
            for i in (1..c.len()).rev() {
                let j = r[i] as usize % (i + 1);
                c.swap(i, j);
            }
            str_v(c.into_iter().collect())
        }
        "randInt" => {
            let (lo, hi) = (to_int64(&a[0]), to_int64(&a[1]));
            if hi <= lo {
                return ferr("invalid argument to Intn");
            }
            let mut r = [0u8; 8];
            let _ = aws_lc_rs::rand::fill(&mut r);
            Ok(Value::Int(
                lo + (u64::from_le_bytes(r) % (hi - lo) as u64) as i64,
            ))
        }
        "randBytes" => {
            use base64::Engine;
            let mut r = vec![0u8; i_arg(&a[0]).max(0) as usize];
            let _ = aws_lc_rs::rand::fill(&mut r);
            str_v(base64::engine::general_purpose::STANDARD.encode(r))
        }
        "trimSuffix" => str_v(s(1).strip_suffix(s(0)).unwrap_or(s(1)).to_string()),
        "trimPrefix" => str_v(s(1).strip_prefix(s(0)).unwrap_or(s(1)).to_string()),
        "upper" => str_v(go_upper(s(0))),
        "lower" => str_v(go_lower(s(0))),
        "title" => str_v(go_title(s(0))),
        "untitle" => {
            let mut out = String::new();
            let mut prev_space = true;
            for c in s(0).chars() {
                if prev_space && c.is_uppercase() {
                    out.extend(c.to_lowercase());
                } else {
                    out.push(c);
                }
                prev_space = c.is_whitespace();
            }
            str_v(out)
        }
        "repeat" => {
            // refused before the memory is spent: the result could only fail the output limit
            let (n, text) = (i_arg(&a[0]).max(0) as u128, s(1));
            let len = n * text.len() as u128;
            if len > st.ctx.max_output as u128 {
                return ferr(format!(
                    "repeat: the result would be {len} bytes, more than the output limit of {} bytes",
                    st.ctx.max_output
                ));
            }
            str_v(text.repeat(n as usize))
        }
        "substr" => {
            // Sprig slices s[start:end] as Go does, panicking on bad bounds
            let (st_, en, x) = (i_arg(&a[0]), i_arg(&a[1]), s(2));
            let b = x.as_bytes();
            let len = b.len() as i64;
            let (lo, hi) = if st_ < 0 {
                (0, en)
            } else if en < 0 || en > len {
                (st_, len)
            } else {
                (st_, en)
            };
            if hi < 0 || hi > len {
                return ferr(format!(
                    "runtime error: slice bounds out of range [:{hi}] with length {len}"
                ));
            }
            if lo > hi {
                return ferr(format!(
                    "runtime error: slice bounds out of range [{lo}:{hi}]"
                ));
            }
            str_v(String::from_utf8_lossy(&b[lo as usize..hi as usize]).into_owned())
        }
        "nospace" => str_v(s(0).chars().filter(|c| !c.is_whitespace()).collect()),
        "trunc" => {
            let (c, x) = (i_arg(&a[0]), s(1));
            let l = x.len() as i64;
            let r = if c < 0 && l + c > 0 {
                &x.as_bytes()[(l + c) as usize..]
            } else if c >= 0 && l > c {
                &x.as_bytes()[..c as usize]
            } else {
                x.as_bytes()
            };
            str_v(String::from_utf8_lossy(r).into_owned())
        }
        "abbrevboth" => {
            let (l, r, x) = (i_arg(&a[0]), i_arg(&a[1]), s(2));
            if r < 4 || l > 0 && r < 7 {
                return str_v(x.to_string());
            }
            str_v(abbreviate_full(x, l, r))
        }
        "abbrev" => {
            let (w, x) = (i_arg(&a[0]) as usize, s(1));
            if w < 4 || x.chars().count() <= w {
                return str_v(x.to_string());
            }
            str_v(format!("{}...", x.chars().take(w - 3).collect::<String>()))
        }
        "initials" => str_v(
            s(0).split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect(),
        ),
        "contains" => Ok(Value::Bool(s(1).contains(s(0)))),
        "hasPrefix" => Ok(Value::Bool(s(1).starts_with(s(0)))),
        "hasSuffix" => Ok(Value::Bool(s(1).ends_with(s(0)))),
        "quote" => str_v(
            a.iter()
                .filter(|v| !v.is_nil())
                .map(|v| go_quote(&strval(v)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "squote" => str_v(
            a.iter()
                .filter(|v| !v.is_nil())
                .map(|v| format!("'{}'", strval(v)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "cat" => str_v(
            go_sprintln(
                &a.iter()
                    .filter(|v| !v.is_nil())
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .trim_end_matches('\n')
            .to_string(),
        ),
        "indent" => {
            let pad = " ".repeat(i_arg(&a[0]).max(0) as usize);
            str_v(format!(
                "{}{}",
                pad,
                s(1).replace('\n', &format!("\n{}", pad))
            ))
        }
        "nindent" => {
            let pad = " ".repeat(i_arg(&a[0]).max(0) as usize);
            str_v(format!(
                "\n{}{}",
                pad,
                s(1).replace('\n', &format!("\n{}", pad))
            ))
        }
        "replace" => str_v(s(2).replace(s(0), s(1))),
        "plural" => str_v(if i_arg(&a[2]) == 1 {
            s(0).to_string()
        } else {
            s(1).to_string()
        }),
        "snakecase" => str_v(gotemplate::gofmt::snake_case(s(0))),
        "camelcase" => str_v(gotemplate::gofmt::camel_case(s(0))),
        "kebabcase" => str_v(gotemplate::gofmt::snake_case(s(0)).replace('_', "-")),
        "swapcase" => str_v(swap_case(s(0))),
        "wrap" => str_v(gotemplate::gofmt::wrap(s(1), i_arg(&a[0]), "", false)),
        "wrapWith" => str_v(gotemplate::gofmt::wrap(s(2), i_arg(&a[0]), s(1), true)),
        "toString" => str_v(strval(&a[0])),
        "toStrings" => Ok(Value::list(
            strslice(&a[0]).into_iter().map(Value::string).collect(),
        )),
        "join" => str_v(strslice(&a[1]).join(s(0))),
        "split" => {
            let mut m = BTreeMap::new();
            for (i, p) in go_split(s(1), s(0)).into_iter().enumerate() {
                m.insert(format!("_{}", i), p.to_string());
            }
            // Sprig's split returns a Go map[string]string
            Ok(Value::Object(Rc::new(Object::StrMap(Some(m)))))
        }
        "splitn" => {
            let mut m = BTreeMap::new();
            let n = i_arg(&a[1]);
            let parts: Vec<&str> = if n < 0 {
                go_split(s(2), s(0))
            } else if s(0).is_empty() {
                // strings.SplitN's explode: n-1 characters, then the rest
                let chars = go_split(s(2), "");
                let n = n as usize;
                if chars.len() > n && n > 0 {
                    let cut: usize = chars[..n - 1].iter().map(|c| c.len()).sum();
                    let mut parts = chars[..n - 1].to_vec();
                    parts.push(&s(2)[cut..]);
                    parts
                } else {
                    chars.into_iter().take(n).collect()
                }
            } else {
                s(2).splitn(n as usize, s(0)).collect()
            };
            for (i, p) in parts.into_iter().enumerate() {
                m.insert(format!("_{}", i), p.to_string());
            }
            Ok(Value::Object(Rc::new(Object::StrMap(Some(m)))))
        }
        "splitList" => {
            if s(0).is_empty() {
                return Ok(Value::list(
                    s(1).chars().map(|c| Value::string(c.to_string())).collect(),
                ));
            }
            Ok(Value::list(s(1).split(s(0)).map(Value::str).collect()))
        }
        "sortAlpha" => {
            let mut v = match &a[0] {
                Value::List(_) => strslice(&a[0]),
                Value::Object(o) if matches!(o.as_ref(), Object::ApiVersions(_)) => strslice(&a[0]),
                // not a slice: Sprig returns `[]string{strval(x)}`, and strval(nil) is "<nil>"
                Value::Nil => vec!["<nil>".to_string()],
                x => vec![strval(x)],
            };
            v.sort();
            Ok(Value::list(v.into_iter().map(Value::string).collect()))
        }
        "b64enc" => {
            use base64::Engine;
            str_v(base64::engine::general_purpose::STANDARD.encode(s(0)))
        }
        "b64dec" => match go_b64_decode(s(0)) {
            Ok(b) => str_v(String::from_utf8_lossy(&b).into_owned()),
            Err(e) => str_v(e),
        },
        "b32enc" => str_v(gotemplate::gofmt::base32_encode(s(0).as_bytes())),
        "sha256sum" => {
            use sha2::Digest;
            str_v(hex_lower(&sha2::Sha256::digest(s(0).as_bytes())))
        }
        "sha512sum" => {
            use sha2::Digest;
            str_v(hex_lower(&sha2::Sha512::digest(s(0).as_bytes())))
        }
        "sha1sum" => {
            use sha1::Digest;
            str_v(hex_lower(&sha1::Sha1::digest(s(0).as_bytes())))
        }
        "adler32sum" => {
            let (mut x, mut y) = (1u32, 0u32);
            for b in s(0).bytes() {
                x = (x + b as u32) % 65521;
                y = (y + x) % 65521;
            }
            str_v(((y << 16) | x).to_string())
        }
        "base" | "osBase" => str_v(gotemplate::gofmt::path_base(s(0))),
        "dir" | "osDir" => str_v(gotemplate::gofmt::path_dir(s(0))),
        "clean" | "osClean" => str_v(gotemplate::gofmt::path_clean(s(0))),
        "ext" | "osExt" => {
            let b = gotemplate::gofmt::path_base(s(0));
            let x = s(0);
            let e = match x.rfind(['.', '/']) {
                Some(i) if x.as_bytes()[i] == b'.' => &x[i..],
                _ => "",
            };
            let _ = b;
            str_v(e.to_string())
        }
        "isAbs" | "osIsAbs" => Ok(Value::Bool(s(0).starts_with('/'))),
        // ---------- regex
        "regexMatch" => Ok(Value::Bool(
            regex(s(0)).map(|r| r.is_match(s(1))).unwrap_or(false),
        )),
        "mustRegexMatch" => Ok(Value::Bool(regex(s(0))?.is_match(s(1)))),
        "regexFind" | "mustRegexFind" => {
            let r = regex_for(name, s(0))?;
            str_v(
                r.find(s(1))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            )
        }
        "regexFindAll" | "mustRegexFindAll" => {
            let r = regex_for(name, s(0))?;
            let n = i_arg(&a[2]);
            let mut v: Vec<Value> = r.find_iter(s(1)).map(|m| Value::str(m.as_str())).collect();
            if n >= 0 {
                v.truncate(n as usize);
            }
            Ok(Value::list(v))
        }
        "regexReplaceAll" | "mustRegexReplaceAll" => {
            let r = regex_for(name, s(0))?;
            str_v(gotemplate::gofmt::go_replace_all(&r, s(1), s(2)))
        }
        "regexReplaceAllLiteral" | "mustRegexReplaceAllLiteral" => {
            let r = regex_for(name, s(0))?;
            str_v(r.replace_all(s(1), regex::NoExpand(s(2))).into_owned())
        }
        "regexSplit" | "mustRegexSplit" => {
            let r = regex_for(name, s(0))?;
            Ok(Value::list(
                go_regex_split(&r, s(0), s(1), i_arg(&a[2]))
                    .into_iter()
                    .map(Value::str)
                    .collect(),
            ))
        }
        "regexQuoteMeta" => str_v(regex::escape(s(0))),
        // ---------- conversions & math
        "atoi" => Ok(Value::Int(go_atoi(s(0)))),
        "int" => Ok(Value::Int(to_int64(&a[0]))),
        "int64" => Ok(Value::Int64(to_int64(&a[0]))),
        "float64" => Ok(Value::Float(to_float64(&a[0]))),
        "toDecimal" => Ok(Value::Int64(
            i64::from_str_radix(&strval(&a[0]), 8).unwrap_or(0),
        )),
        "add" => Ok(Value::Int64(
            a.iter().map(to_int64).fold(0i64, |x, y| x.wrapping_add(y)),
        )),
        "add1" => Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1))),
        "sub" => Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1])))),
        "mul" => Ok(Value::Int64(
            a.iter().map(to_int64).fold(1i64, |x, y| x.wrapping_mul(y)),
        )),
        "div" | "mod" => {
            let d = to_int64(&a[1]);
            if d == 0 {
                return ferr("runtime error: integer divide by zero");
            }
            Ok(Value::Int64(if name == "div" {
                to_int64(&a[0]).wrapping_div(d)
            } else {
                to_int64(&a[0]).wrapping_rem(d)
            }))
        }
        "max" => Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0))),
        "min" => Ok(Value::Int64(a.iter().map(to_int64).min().unwrap_or(0))),
        "addf" | "add1f" | "subf" | "mulf" | "divf" => {
            use crate::decimal::{Op, fold};
            let nums: Vec<f64> = a.iter().map(to_float64).collect();
            let r = match name {
                // Sprig starts addf from 0 and adds 1 for add1f
                "addf" => fold(0.0, &nums, Op::Add),
                "add1f" => fold(nums[0], &[1.0], Op::Add),
                "subf" => fold(nums[0], &nums[1..], Op::Sub),
                "mulf" => fold(nums[0], &nums[1..], Op::Mul),
                _ => fold(nums[0], &nums[1..], Op::Div),
            };
            r.map(Value::Float).map_err(TemplateError::new)
        }
        "maxf" => Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::NEG_INFINITY, f64::max),
        )),
        "minf" => Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::INFINITY, f64::min),
        )),
        "floor" => Ok(Value::Float(to_float64(&a[0]).floor())),
        "ceil" => Ok(Value::Float(to_float64(&a[0]).ceil())),
        "round" => {
            // Sprig: ceil when the fraction reaches the threshold (0.5 unless given), else floor;
            // so negative numbers always round down (round -1.4 0 is -2)
            let round_on = a.get(2).map_or(0.5, to_float64);
            let pow = 10f64.powf(i_arg(&a[1]) as f64);
            let digit = pow * to_float64(&a[0]);
            let r = if digit.fract() >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        }
        "until" => {
            let n = i_arg(&a[0]);
            sequence_fits(name, (n as i128).abs())?;
            let v: Vec<Value> = if n >= 0 {
                (0..n).map(Value::Int).collect()
            } else {
                (n + 1..=0).rev().map(Value::Int).collect()
            };
            Ok(Value::list(v))
        }
        "untilStep" => {
            let (st_, stop, step) = (i_arg(&a[0]), i_arg(&a[1]), i_arg(&a[2]));
            let n = sequence_len(st_, stop, step, false);
            sequence_fits(name, n)?;
            // counted, not stepped to the end: `i += step` could overflow near i64's bounds
            let v = (0..n)
                .map(|k| Value::Int((st_ as i128 + k * step as i128) as i64))
                .collect();
            Ok(Value::list(v))
        }
        "seq" => {
            let nums: Vec<i64> = a.iter().map(to_int64).collect();
            let (st_, step, end) = match nums.len() {
                // Sprig: no arguments or more than three give an empty string
                0 | 4.. => return str_v(String::new()),
                1 => (1, if nums[0] >= 1 { 1 } else { -1 }, nums[0]),
                2 => (nums[0], if nums[1] >= nums[0] { 1 } else { -1 }, nums[1]),
                _ => (nums[0], nums[1], nums[2]),
            };
            if step == 0 {
                return str_v(String::new());
            }
            let n = sequence_len(st_, end, step, true);
            sequence_fits(name, n)?;
            let out: Vec<String> = (0..n)
                .map(|k| ((st_ as i128 + k * step as i128) as i64).to_string())
                .collect();
            str_v(out.join(" "))
        }
        // ---------- defaults & flow
        "default" => {
            if a.len() < 2 || is_empty(&a[1]) {
                Ok(a[0].clone())
            } else {
                Ok(a[1].clone())
            }
        }
        "empty" => Ok(Value::Bool(is_empty(&a[0]))),
        "coalesce" => Ok(a
            .iter()
            .find(|v| !is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil)),
        "all" => Ok(Value::Bool(a.iter().all(|v| !is_empty(v)))),
        "any" => Ok(Value::Bool(a.iter().any(|v| !is_empty(v)))),
        "ternary" => Ok(if a[2].truthy() {
            a[0].clone()
        } else {
            a[1].clone()
        }),
        "kindOf" => str_v(a[0].kind_name().to_string()),
        "kindIs" => Ok(Value::Bool(a[1].kind_name() == s(0))),
        "typeOf" => str_v(a[0].type_name().to_string()),
        "typeIs" => Ok(Value::Bool(a[1].type_name() == s(0))),
        "typeIsLike" => {
            let t = a[1].type_name();
            Ok(Value::Bool(t == s(0) || format!("*{}", t) == s(0)))
        }
        "deepEqual" => Ok(Value::Bool(deep_equal(&a[0], &a[1]))),
        "deepCopy" | "mustDeepCopy" => Ok(a[0].deep_copy()),
        // ---------- lists
        "list" | "tuple" => Ok(Value::list(a)),
        "first" | "mustFirst" => {
            let l = as_list(&a[0], "first")?;
            Ok(l.first().cloned().unwrap_or(Value::Nil))
        }
        "last" | "mustLast" => {
            let l = as_list(&a[0], "last")?;
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        }
        "rest" | "mustRest" => {
            let l = as_list(&a[0], "rest")?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            Ok(Value::list(l[1..].to_vec()))
        }
        "initial" | "mustInitial" => {
            let l = as_list(&a[0], "initial")?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            Ok(Value::list(l[..l.len() - 1].to_vec()))
        }
        "reverse" | "mustReverse" => {
            let mut l = as_list(&a[0], "reverse")?;
            l.reverse();
            Ok(Value::list(l))
        }
        "append" | "push" | "mustAppend" | "mustPush" => {
            let mut l = as_list(&a[0], "push")?;
            l.push(a[1].clone());
            Ok(Value::list(l))
        }
        "prepend" | "mustPrepend" => {
            let mut l = as_list(&a[0], "prepend")?;
            l.insert(0, a[1].clone());
            Ok(Value::list(l))
        }
        "concat" => {
            let mut out = vec![];
            for x in &a {
                match x {
                    Value::List(l) => out.extend(l.iter().cloned()),
                    Value::Nil => return ferr(NIL_DEREF),
                    Value::Object(o) if matches!(o.as_ref(), Object::ApiVersions(_)) => {
                        out.extend(as_list(x, "concat")?)
                    }
                    _ => return ferr(format!("Cannot concat type {} as list", x.kind_name())),
                }
            }
            Ok(Value::list(out))
        }
        "uniq" | "mustUniq" => {
            let l = as_list(&a[0], "uniq")?;
            let mut out: Vec<Value> = vec![];
            for x in l {
                if !out.iter().any(|y| deep_equal(y, &x)) {
                    out.push(x);
                }
            }
            Ok(Value::list(out))
        }
        "compact" | "mustCompact" => {
            let l = as_list(&a[0], "compact")?;
            Ok(Value::list(
                l.into_iter().filter(|x| !is_empty(x)).collect(),
            ))
        }
        "without" | "mustWithout" => {
            let l = as_list(&a[0], "without")?;
            Ok(Value::list(
                l.into_iter()
                    .filter(|x| !a[1..].iter().any(|y| deep_equal(x, y)))
                    .collect(),
            ))
        }
        "has" | "mustHas" => {
            let l = match &a[1] {
                Value::Nil => return Ok(Value::Bool(false)),
                _ => as_list(&a[1], "has")?,
            };
            Ok(Value::Bool(l.iter().any(|x| deep_equal(x, &a[0]))))
        }
        "slice" | "mustSlice" => {
            let l = match &a[0] {
                Value::List(_) | Value::Object(_) | Value::Nil => as_list(&a[0], "slice")?,
                v => {
                    return ferr(format!(
                        "list should be type of slice or array but {}",
                        v.kind_name()
                    ));
                }
            };
            let st_ = a.get(1).map(to_int64).unwrap_or(0) as usize;
            let en = a
                .get(2)
                .map(to_int64)
                .map(|x| x as usize)
                .unwrap_or(l.len());
            if st_ > en || en > l.len() {
                return ferr(format!("slice bounds out of range [{}:{}]", st_, en));
            }
            Ok(Value::list(l[st_..en].to_vec()))
        }
        "chunk" | "mustChunk" => {
            let l = as_list(&a[1], "chunk")?;
            let n = i_arg(&a[0]).max(1) as usize;
            Ok(Value::list(
                l.chunks(n).map(|c| Value::list(c.to_vec())).collect(),
            ))
        }
        // ---------- dicts
        "dict" => {
            let mut m = BTreeMap::new();
            let mut i = 0;
            while i < a.len() {
                let k = strval(&a[i]);
                let v = a.get(i + 1).cloned().unwrap_or(Value::str(""));
                m.insert(k, v);
                i += 2;
            }
            Ok(Value::map(m))
        }
        "get" => Ok(match &a[0] {
            Value::Map(m) => m.borrow().get(s(1)).cloned().unwrap_or(Value::str("")),
            _ => Value::str(""),
        }),
        "set" => {
            match &a[0] {
                Value::Map(m) => {
                    m.borrow_mut().insert(s(1).to_string(), a[2].clone());
                }
                _ => return ferr("assignment to entry in nil map"),
            }
            Ok(a[0].clone())
        }
        "unset" => {
            if let Value::Map(m) = &a[0] {
                m.borrow_mut().remove(s(1));
            }
            Ok(a[0].clone())
        }
        "hasKey" => Ok(Value::Bool(match &a[0] {
            Value::Map(m) => m.borrow().contains_key(s(1)),
            _ => false,
        })),
        "pluck" => Ok(Value::list(
            a[1..].iter().filter_map(|d| d.get(s(0))).collect(),
        )),
        "keys" => {
            let mut ks = vec![];
            for d in &a {
                if let Value::Map(m) = d {
                    ks.extend(m.borrow().keys().cloned());
                }
            }
            Ok(Value::list(ks.into_iter().map(Value::string).collect()))
        }
        "values" => Ok(match &a[0] {
            Value::Map(m) => Value::list(m.borrow().values().cloned().collect()),
            _ => Value::list(vec![]),
        }),
        "pick" => {
            let mut m = BTreeMap::new();
            if let Value::Map(src) = &a[0] {
                for k in &a[1..] {
                    if let Some(v) = src.borrow().get(s_arg(k)) {
                        m.insert(s_arg(k).to_string(), v.clone());
                    }
                }
            }
            Ok(Value::map(m))
        }
        "omit" => {
            let mut m = BTreeMap::new();
            if let Value::Map(src) = &a[0] {
                for (k, v) in src.borrow().iter() {
                    if !a[1..].iter().any(|x| s_arg(x) == k) {
                        m.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(Value::map(m))
        }
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => {
            let dst = match &a[0] {
                Value::Nil => Value::empty_map(),
                d => d.clone(),
            };
            for src in &a[1..] {
                merge_into(&dst, src, name.contains("Overwrite"));
            }
            Ok(dst)
        }
        "dig" => {
            if a.len() < 3 {
                return ferr("dig needs at least three arguments");
            }
            let dict = &a[a.len() - 1];
            let def = &a[a.len() - 2];
            let mut cur = match dict {
                Value::Map(_) => dict.clone(),
                _ => {
                    return ferr(format!(
                        "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                        dict.type_name()
                    ));
                }
            };
            for k in &a[..a.len() - 2] {
                let ks = match k {
                    Value::Str(s) => s.to_string(),
                    _ => {
                        return ferr(format!(
                            "interface conversion: interface {{}} is {}, not string",
                            k.type_name()
                        ));
                    }
                };
                let next = match &cur {
                    Value::Map(m) => m.borrow().get(&ks).cloned(),
                    _ => {
                        return ferr(format!(
                            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                            cur.type_name()
                        ));
                    }
                };
                match next {
                    None => return Ok(def.clone()),
                    Some(v) => cur = v,
                }
            }
            Ok(cur)
        }
        // ---------- semver
        "semverCompare" => match crate::semver::compare(s(0), s(1)) {
            Ok(b) => Ok(Value::Bool(b)),
            Err(e) => ferr(e),
        },
        "semver" => match crate::semver::parse_version_object(&strval(&a[0])) {
            Ok(v) => Ok(v),
            Err(e) => ferr(e),
        },
        // ---------- dates
        "now" => Ok(now_value()),
        "date" => str_v(gotemplate::gofmt::go_date(s(0), &in_utc(&a[1]))),
        "dateInZone" | "date_in_zone" => {
            str_v(gotemplate::gofmt::go_date_in_zone(s(0), &a[1], s(2)))
        }
        "htmlDateInZone" => str_v(gotemplate::gofmt::go_date_in_zone(
            "2006-01-02",
            &a[0],
            s(1),
        )),
        "htmlDate" => str_v(gotemplate::gofmt::go_date("2006-01-02", &in_utc(&a[0]))),
        "toDate" | "mustToDate" => match gotemplate::gotime::parse(s(0), s(1)) {
            Ok((unix_nanos, offset)) => {
                Ok(Value::Object(Rc::new(Object::Time { unix_nanos, offset })))
            }
            Err(e) if name == "mustToDate" => ferr(e),
            Err(_) => Ok(Value::Object(Rc::new(Object::Time {
                unix_nanos: -62_135_596_800_000_000_000,
                offset: 0,
            }))),
        },
        "ago" => {
            let now = now_nanos();
            let t = match &a[0] {
                Value::Object(o) => match &**o {
                    Object::Time { unix_nanos, .. } => *unix_nanos,
                    _ => now,
                },
                Value::Int(i) | Value::Int64(i) => *i as i128 * 1_000_000_000,
                _ => now,
            };
            str_v(gotemplate::gofmt::format_duration(round_to_second(now - t)))
        }
        "durationRound" => {
            let d: i128 = match &a[0] {
                Value::Str(x) => gotemplate::gofmt::parse_duration(x).unwrap_or(0),
                Value::Int64(i) => *i as i128,
                Value::Object(o) => match &**o {
                    Object::Time { unix_nanos, .. } => now_nanos() - unix_nanos,
                    _ => 0,
                },
                _ => 0,
            };
            str_v(duration_round(d))
        }
        "unixEpoch" => str_v(match &a[0] {
            Value::Object(o) => match &**o {
                Object::Time { unix_nanos, .. } => {
                    (unix_nanos.div_euclid(1_000_000_000)).to_string()
                }
                _ => String::new(),
            },
            _ => String::new(),
        }),
        "dateModify" | "mustDateModify" | "date_modify" | "must_date_modify" => {
            match gotemplate::gofmt::parse_duration(s(0)) {
                Some(d) => Ok(match &a[1] {
                    Value::Object(o) => match &**o {
                        Object::Time { unix_nanos, offset } => {
                            Value::Object(Rc::new(Object::Time {
                                unix_nanos: unix_nanos + d,
                                offset: *offset,
                            }))
                        }
                        _ => a[1].clone(),
                    },
                    _ => a[1].clone(),
                }),
                None => {
                    if name == "mustDateModify" || name == "must_date_modify" {
                        ferr(format!("time: invalid duration {}", go_quote(s(0))))
                    } else {
                        Ok(a[1].clone())
                    }
                }
            }
        }
        "duration" => {
            // sprig: only string and int64 inputs count; anything else is 0s
            let n = match &a[0] {
                Value::Str(x) => x.parse::<i64>().unwrap_or(0),
                Value::Int64(i) => *i,
                _ => 0,
            };
            str_v(gotemplate::gofmt::format_duration(
                n as i128 * 1_000_000_000,
            ))
        }
        // ---------- crypto
        "uuidv4" => str_v(crate::crypto::uuidv4()),
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => str_v(
            crate::crypto::rand_string(name, i_arg(&a[0]).max(0) as usize),
        ),
        "genPrivateKey" => crate::crypto::gen_private_key(keys, s(0)).map(Value::string),
        "genCA" => {
            let (c, k) = crate::crypto::gen_ca(keys, s(0), i_arg(&a[1]))?;
            Ok(cert_map(c, k))
        }
        "genSelfSignedCert" => {
            let (c, k) = crate::crypto::gen_self_signed(keys, s(0), &a[1], &a[2], i_arg(&a[3]))?;
            Ok(cert_map(c, k))
        }
        "genSignedCert" => {
            let ca = &a[4];
            let ca_cert = ca.get("Cert").map(|v| strval(&v)).unwrap_or_default();
            let ca_key = ca.get("Key").map(|v| strval(&v)).unwrap_or_default();
            let (c, k) = crate::crypto::gen_signed(
                keys,
                s(0),
                &a[1],
                &a[2],
                i_arg(&a[3]),
                &ca_cert,
                &ca_key,
            )?;
            Ok(cert_map(c, k))
        }
        "buildCustomCert" => {
            use base64::Engine;
            let e = base64::engine::general_purpose::STANDARD;
            let c = e
                .decode(s(0))
                .map_err(|_| TemplateError::new("unable to decode base64 certificate"))?;
            let k = e
                .decode(s(1))
                .map_err(|_| TemplateError::new("unable to decode base64 private key"))?;
            Ok(cert_map(
                String::from_utf8_lossy(&c).into_owned(),
                String::from_utf8_lossy(&k).into_owned(),
            ))
        }
        "htpasswd" => str_v(crate::sprigcrypto::htpasswd(s(0), s(1))),
        "bcrypt" => str_v(crate::sprigcrypto::bcrypt(s(0))),
        "derivePassword" => {
            let counter = i_arg(&a[0]) as u32;
            str_v(crate::sprigcrypto::derive_password(
                counter,
                s(1),
                s(2),
                s(3),
                s(4),
            ))
        }
        "encryptAES" => crate::sprigcrypto::encrypt_aes(s(0), s(1))
            .map(Value::string)
            .map_err(TemplateError::new),
        "decryptAES" => crate::sprigcrypto::decrypt_aes(s(0), s(1))
            .map(Value::string)
            .map_err(TemplateError::new),
        "genCAWithKey" => {
            let (c, k) = crate::crypto::gen_ca_with_key(s(0), i_arg(&a[1]), s(2))?;
            Ok(cert_map(c, k))
        }
        "genSelfSignedCertWithKey" => {
            let (c, k) =
                crate::crypto::gen_self_signed_with_key(s(0), &a[1], &a[2], i_arg(&a[3]), s(4))?;
            Ok(cert_map(c, k))
        }
        "genSignedCertWithKey" => {
            let ca_cert = a[4].get("Cert").map(|v| strval(&v)).unwrap_or_default();
            let ca_key = a[4].get("Key").map(|v| strval(&v)).unwrap_or_default();
            let (c, k) = crate::crypto::gen_signed_with_key(
                s(0),
                &a[1],
                &a[2],
                i_arg(&a[3]),
                &ca_cert,
                &ca_key,
                s(5),
            )?;
            Ok(cert_map(c, k))
        }
        "getHostByName" => str_v(String::new()),
        "urlParse" => gotemplate::gourl::url_parse(s(0)).map_err(TemplateError::new),
        "urlJoin" => gotemplate::gourl::url_join(&a[0])
            .map(Value::string)
            .map_err(TemplateError::new),
        _ => ferr(format!("function {} is not implemented", go_quote(name))),
    }
}

fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
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

fn hex_lower(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{:02x}", x));
    }
    s
}

/// A time at offset 0 (how `date` shows a time in the local zone, which is UTC here).
fn in_utc(v: &Value) -> Value {
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

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Go's Duration.Round(time.Second).
fn round_to_second(d: i128) -> i128 {
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
fn duration_round(d: i128) -> String {
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
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if s.is_empty() || max_width < 4 || len <= max_width {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let sub =
        |from: i64, to: i64| String::from_utf8_lossy(&b[from as usize..to as usize]).into_owned();
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

fn now_value() -> Value {
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
    gotemplate::gofmt::go_date("2006-01-02 15:04:05.999999999 -0700 MST", v)
}
