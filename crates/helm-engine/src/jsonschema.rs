//! `values.schema.json` validation as Helm v4 does it (JSON Schema draft-04 … 2020-12, the
//! behaviour and messages of the validator Helm uses).
//!
//! Helm compiles the chart's schema (no `$schema` means draft 2020-12), validates the coalesced
//! values and lists every violation, one `- at '<json pointer>': <message>` line each, nested
//! causes indented by two spaces. Numbers in messages are printed the way Go's
//! `golang.org/x/text/message` English printer prints them (`1,500`, `1.2345675×10⁰⁶`).
//! Object keys are visited in sorted order (Helm visits them in Go's random map order, so only
//! the order of sibling lines can differ).

use gotemplate::value::Value;
use std::cell::RefCell;
use std::collections::HashMap;

/// A JSON document as the schema validator sees it: numbers keep their literal text.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn get(&self, k: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().find(|(x, _)| x == k).map(|(_, v)| v),
            _ => None,
        }
    }
    fn type_name(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "boolean",
            J::Num(_) => "number",
            J::Str(_) => "string",
            J::Arr(_) => "array",
            J::Obj(_) => "object",
        }
    }
}

// ---------------------------------------------------------------- JSON reader

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
    fn value(&mut self, depth: usize) -> Result<J, String> {
        if depth > 1000 {
            return Err("exceeded max depth".into());
        }
        self.ws();
        match self.s.get(self.i) {
            None => Err("unexpected EOF".into()),
            Some(b'{') => {
                self.i += 1;
                let mut m: Vec<(String, J)> = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(m));
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
                            return Ok(J::Obj(m));
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
                    return Ok(J::Arr(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(a));
                        }
                        _ => return self.err("after array element"),
                    }
                }
            }
            Some(b'"') => Ok(J::Str(self.string()?)),
            Some(b't') => self.lit("true", J::Bool(true)),
            Some(b'f') => self.lit("false", J::Bool(false)),
            Some(b'n') => self.lit("null", J::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(),
            _ => self.err("looking for beginning of value"),
        }
    }
    fn lit(&mut self, w: &str, v: J) -> Result<J, String> {
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
    fn number(&mut self) -> Result<J, String> {
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
        Ok(J::Num(gotemplate::value::utf8_lossy(&self.s[st..self.i])))
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
pub fn parse_json(src: &str) -> Result<J, String> {
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
pub fn from_value(v: &Value) -> J {
    match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) | Value::Int64(i) => J::Num(i.to_string()),
        Value::Uint(u) => J::Num(u.to_string()),
        Value::Float(f) => J::Num(gotemplate::value::format_float_g(*f)),
        Value::Str(s) => J::Str(s.to_string()),
        Value::List(l) => J::Arr(l.iter().map(from_value).collect()),
        Value::Map(m) => J::Obj(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), from_value(v)))
                .collect(),
        ),
        Value::Object(_) => J::Null,
    }
}

// ---------------------------------------------------------------- exact decimals

/// A decimal 0.d1d2d3… × 10^exp (digits without leading or trailing zeros; empty = 0).
#[derive(Debug, Clone, PartialEq)]
struct Dec {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Dec {
    fn parse(s: &str) -> Option<Dec> {
        let s = s.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mant, e) = match s.find(['e', 'E']) {
            Some(p) => (&s[..p], s[p + 1..].parse::<i64>().ok()?),
            None => (s, 0),
        };
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        if !ip.bytes().chain(fp.bytes()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut digits: Vec<u8> = ip.bytes().chain(fp.bytes()).map(|c| c - b'0').collect();
        let mut exp = ip.len() as i64 + e;
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        exp -= lead as i64;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Dec {
                neg: false,
                digits,
                exp: 0,
            });
        }
        Some(Dec { neg, digits, exp })
    }
    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }
    fn is_integer(&self) -> bool {
        self.is_zero() || self.digits.len() as i64 <= self.exp
    }
    fn cmp(&self, o: &Dec) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        let sign = |d: &Dec| {
            if d.is_zero() {
                0
            } else if d.neg {
                -1
            } else {
                1
            }
        };
        let (a, b) = (sign(self), sign(o));
        if a != b {
            return a.cmp(&b);
        }
        if a == 0 {
            return Equal;
        }
        let mag = self
            .exp
            .cmp(&o.exp)
            .then_with(|| self.digits.cmp(&o.digits));
        if a < 0 { mag.reverse() } else { mag }
    }
    fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let s: String = self.digits.iter().map(|d| (b'0' + d) as char).collect();
        let f: f64 = format!("0.{}e{}", s, self.exp).parse().unwrap_or(0.0);
        if self.neg { -f } else { f }
    }
    /// (integer of all digits, power of ten it is scaled by)
    fn int_scaled(&self) -> Option<(u128, i64)> {
        if self.digits.len() > 38 {
            return None;
        }
        let mut n: u128 = 0;
        for d in &self.digits {
            n = n * 10 + *d as u128;
        }
        Some((n, self.exp - self.digits.len() as i64))
    }
    /// Whether self / m is an integer.
    fn multiple_of(&self, m: &Dec) -> bool {
        if self.is_zero() {
            return true;
        }
        if m.is_zero() {
            return false;
        }
        let (Some((a, pa)), Some((b, pb))) = (self.int_scaled(), m.int_scaled()) else {
            let q = self.to_f64() / m.to_f64();
            return q.is_finite() && q.fract() == 0.0;
        };
        let k = pa - pb;
        if k >= 0 {
            let mut r = a % b;
            for _ in 0..k.min(100_000) {
                r = (r * 10) % b;
                if r == 0 {
                    break;
                }
            }
            r == 0
        } else {
            let mut d = b;
            for _ in 0..(-k) {
                match d.checked_mul(10) {
                    Some(x) => d = x,
                    None => return false,
                }
            }
            a % d == 0
        }
    }
}

// ---------------------------------------------------------------- localized numbers

fn group_int(s: &str) -> String {
    let mut out = String::new();
    let n = s.len();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `%d` of golang.org/x/text/message's English printer.
fn lint(i: i64) -> String {
    let g = group_int(&i.unsigned_abs().to_string());
    if i < 0 { format!("-{g}") } else { g }
}

fn superscript(e: i64) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::new();
    if e < 0 {
        out.push('⁻');
    }
    let d = format!("{:02}", e.unsigned_abs());
    for c in d.bytes() {
        out.push(SUP[(c - b'0') as usize]);
    }
    out
}

/// `%v` of a float64 by golang.org/x/text/message's English printer.
fn lfloat(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "∞".into() } else { "-∞".into() };
    }
    if f == 0.0 {
        return "0".into();
    }
    let (neg, digits, dp) = gotemplate::value::shortest_digits(f, 64);
    let digits: Vec<char> = digits.iter().map(|d| *d as char).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let exp = dp as i64 - 1;
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push('.');
            out.extend(&digits[1..]);
        }
        out.push_str("×10");
        out.push_str(&superscript(exp));
    } else if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.extend(&digits);
    } else {
        let dp = dp as usize;
        let mut ip: String = digits.iter().take(dp).collect();
        while ip.len() < dp {
            ip.push('0');
        }
        out.push_str(&group_int(&ip));
        if digits.len() > dp {
            out.push('.');
            out.extend(&digits[dp..]);
        }
    }
    out
}

fn lnum(d: &Dec) -> String {
    lfloat(d.to_f64())
}

/// The validator's `quote`: Go's `%q` with `"` unescaped and `'` escaped, in single quotes.
fn quote(s: &str) -> String {
    let q = gotemplate::strconv::go_quote(s);
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

fn join_quoted(a: &[String]) -> String {
    a.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
}

/// `fmt.Sprintf("%v")` of a primitive schema value (numbers as written).
fn display(v: &J) -> String {
    match v {
        J::Str(s) => quote(s),
        J::Num(n) => n.clone(),
        J::Bool(b) => b.to_string(),
        J::Null => "<nil>".into(),
        _ => "value".into(),
    }
}

// ---------------------------------------------------------------- errors

#[derive(Debug, Clone)]
enum Msg {
    Group,
    Ref,
    Text(String),
}

#[derive(Debug, Clone)]
struct VErr {
    loc: Vec<String>,
    msg: Msg,
    causes: Vec<VErr>,
}

fn ptr(loc: &[String]) -> String {
    let mut s = String::new();
    for t in loc {
        s.push('/');
        s.push_str(&t.replace('~', "~0").replace('/', "~1"));
    }
    s
}

impl VErr {
    fn display(&self, out: &mut String, indent: usize) {
        let mut indent = indent;
        let skip = matches!(self.msg, Msg::Ref) && self.causes.len() == 1;
        if !skip {
            if indent > 0 {
                out.push('\n');
                for _ in 0..indent - 1 {
                    out.push_str("  ");
                }
                out.push_str("- ");
            }
            indent += 1;
            let m = match &self.msg {
                Msg::Group | Msg::Ref => "validation failed",
                Msg::Text(t) => t.as_str(),
            };
            out.push_str(&format!("at {}: {}", quote(&ptr(&self.loc)), m));
        }
        for c in &self.causes {
            c.display(out, indent);
        }
    }
}

// ---------------------------------------------------------------- validator

struct Validator<'a> {
    root: &'a J,
    draft: u32,
    regexes: RefCell<HashMap<String, Option<regex::Regex>>>,
    depth: RefCell<usize>,
}

/// `min<kind>` / `max<kind>` (Items, Length, Properties) against a size `n`.
fn size_bounds(s: &J, kind: &str, n: i64, loc: &[String], errs: &mut Vec<VErr>) {
    for (key, out_of_bounds) in [
        (format!("min{kind}"), (|n, l| n < l) as fn(i64, i64) -> bool),
        (format!("max{kind}"), |n, l| n > l),
    ] {
        if let Some(limit) = usize_of(s.get(&key))
            && out_of_bounds(n, limit)
        {
            errs.push(err(
                loc,
                format!("{key}: got {}, want {}", lint(n), lint(limit)),
            ));
        }
    }
}

fn err(loc: &[String], m: String) -> VErr {
    VErr {
        loc: loc.to_vec(),
        msg: Msg::Text(m),
        causes: vec![],
    }
}

fn equals(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Null, J::Null) => true,
        (J::Bool(x), J::Bool(y)) => x == y,
        (J::Str(x), J::Str(y)) => x == y,
        (J::Num(x), J::Num(y)) => match (Dec::parse(x), Dec::parse(y)) {
            (Some(x), Some(y)) => x.cmp(&y) == std::cmp::Ordering::Equal,
            _ => false,
        },
        (J::Arr(x), J::Arr(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equals(p, q)),
        (J::Obj(x), J::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && equals(v, v2)))
        }
        _ => false,
    }
}

fn num_of(j: &J) -> Option<Dec> {
    match j {
        J::Num(n) => Dec::parse(n),
        _ => None,
    }
}

fn usize_of(j: Option<&J>) -> Option<i64> {
    num_of(j?).map(|d| d.to_f64() as i64)
}

fn finish(loc: &[String], mut errs: Vec<VErr>) -> Option<VErr> {
    match errs.len() {
        0 => None,
        1 => errs.pop(),
        _ => Some(VErr {
            loc: loc.to_vec(),
            msg: Msg::Group,
            causes: errs,
        }),
    }
}

fn child(loc: &[String], tok: String) -> Vec<String> {
    let mut l = loc.to_vec();
    l.push(tok);
    l
}

impl Validator<'_> {
    fn regex(&self, pat: &str) -> Option<regex::Regex> {
        self.regexes
            .borrow_mut()
            .entry(pat.to_string())
            .or_insert_with(|| gotemplate::gofmt::go_regex(pat).ok())
            .clone()
    }

    fn resolve(&self, r: &str) -> Result<(&J, String), String> {
        resolve_in(self.root, r)
    }
}

/// Where a subschema sits in the document and how validation got there (to detect `$ref`
/// cycles and name them as Helm's validator does).
struct Scope<'p> {
    ptr: String,
    via_ref: bool,
    vid: u32,
    parent: Option<&'p Scope<'p>>,
}

impl Scope<'_> {
    fn kw_loc(&self) -> String {
        let mut loc = String::new();
        let mut sc = self;
        while let Some(p) = sc.parent {
            if sc.via_ref {
                loc = format!("/$ref{loc}");
            } else {
                loc = format!(
                    "{}{loc}",
                    encode_ptr(sc.ptr.get(p.ptr.len()..).unwrap_or(""))
                );
            }
            sc = p;
        }
        loc
    }
}

/// Properties / items not yet evaluated by any keyword (for `unevaluatedProperties` and
/// `unevaluatedItems`), tracked as Helm's validator tracks them.
#[derive(Default, Clone)]
struct Uneval {
    props: Option<std::collections::BTreeSet<String>>,
    items: Option<std::collections::BTreeSet<usize>>,
}

impl Uneval {
    fn from(draft: u32, v: &J, s: &J, caller_needs: bool) -> Uneval {
        let mut u = Uneval::default();
        if draft < 2019 {
            return u;
        }
        let is_obj = matches!(s, J::Obj(_));
        match v {
            J::Obj(m) => {
                let all = is_obj && s.get("additionalProperties").is_some();
                if !all && (caller_needs || s.get("unevaluatedProperties").is_some()) {
                    u.props = Some(m.iter().map(|(k, _)| k.clone()).collect());
                }
            }
            J::Arr(a) => {
                let (all, num) = if !is_obj {
                    (false, 0)
                } else if draft < 2020 {
                    match s.get("items") {
                        Some(J::Arr(t)) => (s.get("additionalItems").is_some(), t.len()),
                        Some(_) => (true, 0),
                        None => (s.get("additionalItems").is_some(), 0),
                    }
                } else {
                    let num = match s.get("prefixItems") {
                        Some(J::Arr(p)) => p.len(),
                        _ => 0,
                    };
                    (s.get("items").is_some(), num)
                };
                if !all && (caller_needs || s.get("unevaluatedItems").is_some()) && num < a.len() {
                    u.items = Some((num..a.len()).collect());
                }
            }
            _ => {}
        }
        u
    }
    fn is_empty(&self) -> bool {
        self.props.as_ref().is_none_or(|p| p.is_empty())
            && self.items.as_ref().is_none_or(|i| i.is_empty())
    }
    fn merge(&mut self, other: &Uneval) {
        if let Some(p) = &mut self.props {
            p.retain(|k| other.props.as_ref().is_some_and(|o| o.contains(k)));
        }
        if let Some(i) = &mut self.items {
            i.retain(|k| other.items.as_ref().is_some_and(|o| o.contains(k)));
        }
    }
}

fn const_message(c: &J) -> String {
    match c {
        J::Arr(_) | J::Obj(_) => "'const' failed".to_string(),
        c => format!("value must be {}", display(c)),
    }
}

/// Go's url.PathEscape of each token of a JSON pointer (how schema locations are printed).
fn encode_ptr(p: &str) -> String {
    p.split('/')
        .map(|tok| {
            let mut out = String::new();
            for b in tok.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~$&+:=@".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Resolve a `$ref` inside the schema document (Helm's validator resolves against
/// `file:///values.schema.json`; other documents would be read from `/`).
fn resolve_in<'a>(root: &'a J, r: &str) -> Result<(&'a J, String), String> {
    let Some(frag) = r.strip_prefix('#') else {
        if r.starts_with("http://") || r.starts_with("https://") {
            return Err(format!(
                "unsupported $ref {r:?}: schemas are not fetched over the network"
            ));
        }
        let path = r.split('#').next().unwrap_or("");
        let path = path.trim_start_matches("file://").trim_start_matches('/');
        return Err(format!(
            "failing loading \"file:///{path}\": open /{path}: no such file or directory"
        ));
    };
    let frag = percent_decode(frag);
    let mut cur = root;
    if frag.is_empty() {
        return Ok((cur, String::new()));
    }
    let not_found = || format!("json-pointer in \"file:///values.schema.json#{frag}\" not found");
    let Some(p) = frag.strip_prefix('/') else {
        return find_anchor(root, &frag, String::new())
            .ok_or_else(|| format!("anchor in \"file:///values.schema.json#{frag}\" not found"));
    };
    let mut ptr = String::new();
    for tok in p.split('/') {
        let tok = tok.replace("~1", "/").replace("~0", "~");
        ptr.push('/');
        ptr.push_str(&esc(&tok));
        cur = match cur {
            J::Obj(_) => cur.get(&tok),
            J::Arr(a) => tok.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
        .ok_or_else(not_found)?;
    }
    Ok((cur, ptr))
}

/// A subschema named by `$anchor` (2019-09+) or `$id: "#name"` (drafts 6/7).
fn find_anchor<'a>(node: &'a J, name: &str, ptr: String) -> Option<(&'a J, String)> {
    match node {
        J::Obj(m) => {
            let hit = m.iter().any(|(k, v)| {
                matches!(v, J::Str(x) if (k == "$anchor" && x == name)
                    || ((k == "$id" || k == "id") && x.strip_prefix('#') == Some(name)))
            });
            if hit {
                return Some((node, ptr));
            }
            m.iter()
                .find_map(|(k, v)| find_anchor(v, name, format!("{ptr}/{}", esc(k))))
        }
        J::Arr(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_anchor(v, name, format!("{ptr}/{i}"))),
        _ => None,
    }
}

/// Every `$ref` must resolve before validation starts (Helm compiles the whole schema first).
fn check_refs(root: &J, node: &J) -> Result<(), String> {
    match node {
        J::Obj(m) => {
            for (k, v) in m {
                if k == "$ref"
                    && let J::Str(r) = v
                {
                    resolve_in(root, r)?;
                }
                check_refs(root, v)?;
            }
        }
        J::Arr(a) => {
            for v in a {
                check_refs(root, v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

impl Validator<'_> {
    fn vself(
        &self,
        sc: &Scope,
        rel: &str,
        s: &J,
        v: &J,
        loc: &[String],
        ue: &mut Uneval,
    ) -> Result<Option<VErr>, String> {
        let child = Scope {
            ptr: format!("{}{}", sc.ptr, rel),
            via_ref: false,
            vid: sc.vid,
            parent: Some(sc),
        };
        let (e, cue) = self.validate(s, v, loc, &child, !ue.is_empty())?;
        if e.is_none() {
            ue.merge(&cue);
        }
        Ok(e)
    }

    fn vval(
        &self,
        sc: &Scope,
        rel: &str,
        s: &J,
        v: &J,
        loc: &[String],
    ) -> Result<Option<VErr>, String> {
        let child = Scope {
            ptr: format!("{}{}", sc.ptr, rel),
            via_ref: false,
            vid: sc.vid + 1,
            parent: Some(sc),
        };
        Ok(self.validate(s, v, loc, &child, false)?.0)
    }

    fn validate_ref(
        &self,
        sc: &Scope,
        target: &J,
        target_ptr: String,
        v: &J,
        loc: &[String],
        ue: &mut Uneval,
    ) -> Result<Option<VErr>, String> {
        let child = Scope {
            ptr: target_ptr,
            via_ref: true,
            vid: sc.vid,
            parent: Some(sc),
        };
        let (e, cue) = self.validate(target, v, loc, &child, !ue.is_empty())?;
        if e.is_none() {
            ue.merge(&cue);
        }
        Ok(e.map(|e| {
            let causes = if matches!(e.msg, Msg::Group) {
                e.causes
            } else {
                vec![e]
            };
            VErr {
                loc: loc.to_vec(),
                msg: Msg::Ref,
                causes,
            }
        }))
    }

    fn validate(
        &self,
        s: &J,
        v: &J,
        loc: &[String],
        sc: &Scope,
        caller_needs: bool,
    ) -> Result<(Option<VErr>, Uneval), String> {
        {
            let mut d = self.depth.borrow_mut();
            *d += 1;
            if *d > 400 {
                *d -= 1;
                return Err("values.schema.json: schema and values nested too deeply to validate (limit 400 levels)".into());
            }
        }
        let mut ue = Uneval::from(self.draft, v, s, caller_needs);
        let r = self.validate_inner(s, v, loc, sc, &mut ue);
        *self.depth.borrow_mut() -= 1;
        Ok((r?, ue))
    }

    fn validate_inner(
        &self,
        s: &J,
        v: &J,
        loc: &[String],
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<Option<VErr>, String> {
        match s {
            J::Bool(true) => return Ok(None),
            J::Bool(false) => return Ok(Some(err(loc, "false schema".into()))),
            J::Obj(_) => {}
            _ => return Ok(None),
        }
        // a schema re-entered for the same value without progress: a reference cycle
        let mut p = sc.parent;
        while let Some(ps) = p {
            if ps.vid != sc.vid {
                break;
            }
            if ps.ptr == sc.ptr {
                return Ok(Some(err(
                    loc,
                    format!(
                        "both {} and {} resolve to {} causing reference cycle",
                        sc.kw_loc(),
                        ps.kw_loc(),
                        gotemplate::strconv::go_quote(&format!(
                            "file:///values.schema.json#{}",
                            encode_ptr(&sc.ptr)
                        ))
                    ),
                )));
            }
            p = ps.parent;
        }
        let draft = self.draft;
        // before 2019-09 a `$ref` makes every other keyword of its object ignored
        // (Helm's validator still checks `const` first in drafts 6 and 7)
        if draft < 2019
            && let Some(J::Str(r)) = s.get("$ref")
        {
            if draft >= 6
                && let Some(c) = s.get("const")
                && !equals(v, c)
            {
                return Ok(Some(err(loc, const_message(c))));
            }
            let (target, tptr) = self.resolve(r)?;
            return self.validate_ref(sc, target, tptr, v, loc, ue);
        }
        // type
        if let Some(t) = s.get("type") {
            let names: Vec<&str> = match t {
                J::Str(x) => vec![x.as_str()],
                J::Arr(a) => a
                    .iter()
                    .filter_map(|x| match x {
                        J::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            };
            const ORDER: [&str; 7] = [
                "null", "boolean", "number", "integer", "string", "array", "object",
            ];
            let want: Vec<&str> = ORDER
                .iter()
                .copied()
                .filter(|o| names.contains(o))
                .collect();
            if !want.is_empty() {
                let got = v.type_name();
                let matched = want.contains(&got)
                    || (want.contains(&"integer")
                        && got == "number"
                        && num_of(v).is_some_and(|d| d.is_integer()));
                if !matched {
                    return Ok(Some(err(
                        loc,
                        format!("got {}, want {}", got, want.join(" or ")),
                    )));
                }
            }
        }
        // const
        if draft >= 6
            && let Some(c) = s.get("const")
            && !equals(v, c)
        {
            return Ok(Some(err(loc, const_message(c))));
        }
        // enum
        if let Some(J::Arr(items)) = s.get("enum")
            && !items.iter().any(|i| equals(v, i))
        {
            let prim = items.iter().all(|i| !matches!(i, J::Arr(_) | J::Obj(_)));
            let m = if !prim {
                "'enum' failed".to_string()
            } else if items.len() == 1 {
                format!("value must be {}", display(&items[0]))
            } else {
                format!(
                    "value must be one of {}",
                    items.iter().map(display).collect::<Vec<_>>().join(", ")
                )
            };
            return Ok(Some(err(loc, m)));
        }
        // format (asserted by default for drafts before 2019-09)
        if draft < 2019
            && let Some(J::Str(f)) = s.get("format")
            && let J::Str(x) = v
            && let Some(Err(e)) = check_format(f, x)
        {
            return Ok(Some(err(
                loc,
                format!("{} is not valid {}: {}", quote(x), f, e),
            )));
        }
        let mut errs = Vec::new();
        // $ref
        if let Some(J::Str(r)) = s.get("$ref") {
            let (target, tptr) = self.resolve(r)?;
            let e = self.validate_ref(sc, target, tptr, v, loc, ue)?;
            if draft < 2019 {
                return Ok(e);
            }
            errs.extend(e);
        }
        match v {
            J::Obj(obj) => self.object(s, obj, loc, &mut errs, sc, ue)?,
            J::Arr(arr) => self.array(s, arr, loc, &mut errs, sc, ue)?,
            J::Str(st) => self.string(s, st, loc, &mut errs),
            J::Num(n) => {
                if let Some(d) = Dec::parse(n) {
                    self.number(s, &d, loc, &mut errs)
                }
            }
            _ => {}
        }
        self.conditional(s, v, loc, &mut errs, sc, ue)?;
        if draft >= 2019 {
            if let (J::Obj(obj), Some(us)) = (v, s.get("unevaluatedProperties")) {
                for k in ue.props.take().unwrap_or_default() {
                    if let Some((_, pv)) = obj.iter().find(|(x, _)| *x == k) {
                        errs.extend(self.vval(
                            sc,
                            "/unevaluatedProperties",
                            us,
                            pv,
                            &child(loc, k.clone()),
                        )?);
                    }
                }
            }
            if let (J::Arr(arr), Some(us)) = (v, s.get("unevaluatedItems")) {
                for i in ue.items.take().unwrap_or_default() {
                    errs.extend(self.vval(
                        sc,
                        "/unevaluatedItems",
                        us,
                        &arr[i],
                        &child(loc, i.to_string()),
                    )?);
                }
            }
        }
        Ok(finish(loc, errs))
    }

    fn object(
        &self,
        s: &J,
        obj: &[(String, J)],
        loc: &[String],
        errs: &mut Vec<VErr>,
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<(), String> {
        let draft = self.draft;
        size_bounds(s, "Properties", obj.len() as i64, loc, errs);
        let has = |k: &str| obj.iter().any(|(x, _)| x == k);
        let missing = |req: &J| -> Vec<String> {
            match req {
                J::Arr(a) => a
                    .iter()
                    .filter_map(|x| match x {
                        J::Str(s) if !has(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            }
        };
        if let Some(req) = s.get("required") {
            let m = missing(req);
            if m.len() == 1 {
                errs.push(err(loc, format!("missing property {}", quote(&m[0]))));
            } else if !m.is_empty() {
                errs.push(err(loc, format!("missing properties {}", join_quoted(&m))));
            }
        }
        // `dependencies` is honoured in every draft by Helm's validator
        if let Some(J::Obj(deps)) = s.get("dependencies") {
            for (p, dep) in deps {
                if !has(p) {
                    continue;
                }
                match dep {
                    J::Arr(_) => {
                        let m = missing(dep);
                        if !m.is_empty() {
                            errs.push(err(
                                loc,
                                format!(
                                    "properties {} required, if {} exists",
                                    join_quoted(&m),
                                    quote(p)
                                ),
                            ));
                        }
                    }
                    sch => errs.extend(self.vself(
                        sc,
                        &format!("/dependencies/{}", esc(p)),
                        sch,
                        &J::Obj(obj.to_vec()),
                        loc,
                        ue,
                    )?),
                }
            }
        }
        let props = s.get("properties");
        let pats: Vec<(&String, &J)> = match s.get("patternProperties") {
            Some(J::Obj(p)) => p.iter().map(|(k, v)| (k, v)).collect(),
            _ => vec![],
        };
        let additional = s.get("additionalProperties");
        let mut extra = Vec::new();
        for (k, pv) in obj {
            let mut evaluated = false;
            if let Some(sch) = props.and_then(|p| p.get(k)) {
                evaluated = true;
                errs.extend(self.vval(
                    sc,
                    &format!("/properties/{}", esc(k)),
                    sch,
                    pv,
                    &child(loc, k.clone()),
                )?);
            }
            for (re, sch) in &pats {
                let Some(rx) = self.regex(re) else {
                    return Err(format!(
                        "values.schema.json: invalid patternProperties regex {re:?}"
                    ));
                };
                if rx.is_match(k) {
                    evaluated = true;
                    errs.extend(self.vval(
                        sc,
                        &format!("/patternProperties/{}", esc(re)),
                        sch,
                        pv,
                        &child(loc, k.clone()),
                    )?);
                }
            }
            if !evaluated && let Some(a) = additional {
                evaluated = true;
                match a {
                    J::Bool(false) => extra.push(k.clone()),
                    J::Bool(true) => {}
                    sch => errs.extend(self.vval(
                        sc,
                        "/additionalProperties",
                        sch,
                        pv,
                        &child(loc, k.clone()),
                    )?),
                }
            }
            if evaluated && let Some(p) = &mut ue.props {
                p.remove(k);
            }
        }
        if !extra.is_empty() {
            errs.push(err(
                loc,
                format!("additional properties {} not allowed", join_quoted(&extra)),
            ));
        }
        if draft >= 6
            && let Some(pn) = s.get("propertyNames")
        {
            for (k, _) in obj {
                let root = Scope {
                    ptr: format!("{}/propertyNames", sc.ptr),
                    via_ref: false,
                    vid: 0,
                    parent: None,
                };
                if let (Some(e), _) = self.validate(pn, &J::Str(k.clone()), &[], &root, false)? {
                    let causes = if matches!(e.msg, Msg::Group) {
                        e.causes
                    } else {
                        vec![e]
                    };
                    errs.push(VErr {
                        loc: vec![],
                        msg: Msg::Text(format!("invalid propertyName {}", quote(k))),
                        causes,
                    });
                }
            }
        }
        if draft >= 2019 {
            if let Some(J::Obj(ds)) = s.get("dependentSchemas") {
                for (p, sch) in ds {
                    if has(p) {
                        errs.extend(self.vself(
                            sc,
                            &format!("/dependentSchemas/{}", esc(p)),
                            sch,
                            &J::Obj(obj.to_vec()),
                            loc,
                            ue,
                        )?);
                    }
                }
            }
            if let Some(J::Obj(dr)) = s.get("dependentRequired") {
                for (p, req) in dr {
                    if has(p) {
                        let m = missing(req);
                        if !m.is_empty() {
                            errs.push(err(
                                loc,
                                format!(
                                    "properties {} required, if {} exists",
                                    join_quoted(&m),
                                    quote(p)
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn array(
        &self,
        s: &J,
        arr: &[J],
        loc: &[String],
        errs: &mut Vec<VErr>,
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<(), String> {
        let draft = self.draft;
        size_bounds(s, "Items", arr.len() as i64, loc, errs);
        if let Some(J::Bool(true)) = s.get("uniqueItems")
            && arr.len() > 1
        {
            'outer: for i in 1..arr.len() {
                for j in 0..i {
                    if equals(&arr[i], &arr[j]) {
                        errs.push(err(
                            loc,
                            format!(
                                "items at {} and {} are equal",
                                lint(j as i64),
                                lint(i as i64)
                            ),
                        ));
                        break 'outer;
                    }
                }
            }
        }
        if draft < 2020 {
            let mut evaluated = 0;
            match s.get("items") {
                Some(J::Arr(tuple)) => {
                    let n = tuple.len().min(arr.len());
                    for i in 0..n {
                        errs.extend(self.vval(
                            sc,
                            &format!("/items/{i}"),
                            &tuple[i],
                            &arr[i],
                            &child(loc, i.to_string()),
                        )?);
                    }
                    evaluated = n;
                }
                Some(sch @ (J::Obj(_) | J::Bool(_))) => {
                    for (i, it) in arr.iter().enumerate() {
                        errs.extend(self.vval(
                            sc,
                            "/items",
                            sch,
                            it,
                            &child(loc, i.to_string()),
                        )?);
                    }
                    evaluated = arr.len();
                }
                _ => {}
            }
            match s.get("additionalItems") {
                Some(J::Bool(false)) if evaluated != arr.len() => {
                    errs.push(err(
                        loc,
                        format!(
                            "last {} additionalItem(s) not allowed",
                            lint((arr.len() - evaluated) as i64)
                        ),
                    ));
                }
                Some(sch @ J::Obj(_)) => {
                    // the index is relative to the first additional item, as in Helm's validator
                    for (i, it) in arr[evaluated..].iter().enumerate() {
                        errs.extend(self.vval(
                            sc,
                            "/additionalItems",
                            sch,
                            it,
                            &child(loc, i.to_string()),
                        )?);
                    }
                }
                _ => {}
            }
        } else {
            let prefix: &[J] = match s.get("prefixItems") {
                Some(J::Arr(p)) => p,
                _ => &[],
            };
            let n = prefix.len().min(arr.len());
            for i in 0..n {
                errs.extend(self.vval(
                    sc,
                    &format!("/prefixItems/{i}"),
                    &prefix[i],
                    &arr[i],
                    &child(loc, i.to_string()),
                )?);
            }
            if let Some(sch) = s.get("items") {
                for (i, it) in arr[n..].iter().enumerate() {
                    errs.extend(self.vval(sc, "/items", sch, it, &child(loc, i.to_string()))?);
                }
            }
        }
        if draft >= 6
            && let Some(c) = s.get("contains")
        {
            let mut cerrs = Vec::new();
            let mut matched: Vec<usize> = Vec::new();
            for (i, it) in arr.iter().enumerate() {
                match self.vval(sc, "/contains", c, it, &child(loc, i.to_string()))? {
                    Some(e) => cerrs.push(e),
                    None => {
                        matched.push(i);
                        if draft >= 2020
                            && let Some(items) = &mut ue.items
                        {
                            items.remove(&i);
                        }
                    }
                }
            }
            let min_c = if draft >= 2019 {
                usize_of(s.get("minContains"))
            } else {
                None
            };
            let list = |m: &[usize]| {
                m.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if let Some(mc) = min_c {
                if (matched.len() as i64) < mc {
                    let m = if matched.is_empty() {
                        format!(
                            "min {} items required to match contains schema, but none matched",
                            lint(mc)
                        )
                    } else {
                        format!(
                            "min {} items required to match contains schema, but matched {} items at {}",
                            lint(mc),
                            lint(matched.len() as i64),
                            list(&matched)
                        )
                    };
                    errs.push(VErr {
                        loc: loc.to_vec(),
                        msg: Msg::Text(m),
                        causes: cerrs,
                    });
                }
            } else if matched.is_empty() {
                errs.push(VErr {
                    loc: loc.to_vec(),
                    msg: Msg::Text("no items match contains schema".into()),
                    causes: cerrs,
                });
            }
            if draft >= 2019
                && let Some(mx) = usize_of(s.get("maxContains"))
                && matched.len() as i64 > mx
            {
                errs.push(err(
                    loc,
                    format!(
                        "max {} items required to match contains schema, but matched {} items at {}",
                        lint(mx),
                        lint(matched.len() as i64),
                        list(&matched)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn string(&self, s: &J, st: &str, loc: &[String], errs: &mut Vec<VErr>) {
        size_bounds(s, "Length", st.chars().count() as i64, loc, errs);
        if let Some(J::Str(p)) = s.get("pattern")
            && let Some(rx) = self.regex(p)
            && !rx.is_match(st)
        {
            errs.push(err(
                loc,
                format!("{} does not match pattern {}", quote(st), quote(p)),
            ));
        }
    }

    fn number(&self, s: &J, d: &Dec, loc: &[String], errs: &mut Vec<VErr>) {
        use std::cmp::Ordering::*;
        let draft = self.draft;
        let mut minimum = s.get("minimum").and_then(num_of);
        let mut maximum = s.get("maximum").and_then(num_of);
        let mut xmin = None;
        let mut xmax = None;
        if draft == 4 {
            if let Some(J::Bool(true)) = s.get("exclusiveMinimum") {
                xmin = minimum.take();
            }
            if let Some(J::Bool(true)) = s.get("exclusiveMaximum") {
                xmax = maximum.take();
            }
        } else {
            xmin = s.get("exclusiveMinimum").and_then(num_of);
            xmax = s.get("exclusiveMaximum").and_then(num_of);
        }
        let mut check =
            |name: &str, lim: &Option<Dec>, bad: &dyn Fn(std::cmp::Ordering) -> bool| {
                if let Some(l) = lim
                    && bad(d.cmp(l))
                {
                    errs.push(err(
                        loc,
                        format!("{}: got {}, want {}", name, lnum(d), lnum(l)),
                    ));
                }
            };
        check("minimum", &minimum, &|o| o == Less);
        check("maximum", &maximum, &|o| o == Greater);
        check("exclusiveMinimum", &xmin, &|o| o != Greater);
        check("exclusiveMaximum", &xmax, &|o| o != Less);
        if let Some(m) = s.get("multipleOf").and_then(num_of)
            && !d.multiple_of(&m)
        {
            errs.push(err(
                loc,
                format!("multipleOf: got {}, want {}", lnum(d), lnum(&m)),
            ));
        }
    }

    fn conditional(
        &self,
        s: &J,
        v: &J,
        loc: &[String],
        errs: &mut Vec<VErr>,
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<(), String> {
        if let Some(n) = s.get("not")
            && self.vself(sc, "/not", n, v, loc, ue)?.is_none()
        {
            errs.push(err(loc, "'not' failed".into()));
        }
        if let Some(J::Arr(all)) = s.get("allOf") {
            let mut es = Vec::new();
            for (i, sch) in all.iter().enumerate() {
                es.extend(self.vself(sc, &format!("/allOf/{i}"), sch, v, loc, ue)?);
            }
            if !es.is_empty() {
                errs.push(VErr {
                    loc: loc.to_vec(),
                    msg: Msg::Text("'allOf' failed".into()),
                    causes: es,
                });
            }
        }
        if let Some(J::Arr(any)) = s.get("anyOf") {
            let mut es = Vec::new();
            let mut matched = false;
            for (i, sch) in any.iter().enumerate() {
                match self.vself(sc, &format!("/anyOf/{i}"), sch, v, loc, ue)? {
                    Some(e) => es.push(e),
                    None => {
                        matched = true;
                        // later subschemas still count for unevaluated* when it matters
                        if ue.is_empty() {
                            break;
                        }
                    }
                }
            }
            if !matched {
                errs.push(VErr {
                    loc: loc.to_vec(),
                    msg: Msg::Text("'anyOf' failed".into()),
                    causes: es,
                });
            }
        }
        if let Some(J::Arr(one)) = s.get("oneOf") {
            let mut es = Vec::new();
            let mut matched: Option<usize> = None;
            for (i, sch) in one.iter().enumerate() {
                match self.vself(sc, &format!("/oneOf/{i}"), sch, v, loc, ue)? {
                    Some(e) => {
                        if matched.is_none() {
                            es.push(e)
                        }
                    }
                    None => match matched {
                        None => matched = Some(i),
                        Some(first) => {
                            errs.push(err(
                                loc,
                                format!(
                                    "'oneOf' failed, subschemas {}, {} matched",
                                    lint(first as i64),
                                    lint(i as i64)
                                ),
                            ));
                            break;
                        }
                    },
                }
            }
            if matched.is_none() {
                errs.push(VErr {
                    loc: loc.to_vec(),
                    msg: Msg::Text("'oneOf' failed, none matched".into()),
                    causes: es,
                });
            }
        }
        if self.draft >= 7
            && let Some(cond) = s.get("if")
        {
            if self.vself(sc, "/if", cond, v, loc, ue)?.is_none() {
                if let Some(t) = s.get("then") {
                    errs.extend(self.vself(sc, "/then", t, v, loc, ue)?);
                }
            } else if let Some(e) = s.get("else") {
                errs.extend(self.vself(sc, "/else", e, v, loc, ue)?);
            }
        }
        Ok(())
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    gotemplate::value::utf8_lossy_vec(out)
}

fn draft_of(schema: &J) -> u32 {
    match schema.get("$schema") {
        Some(J::Str(u)) => {
            if u.contains("draft-04") {
                4
            } else if u.contains("draft-06") {
                6
            } else if u.contains("draft-07") {
                7
            } else if u.contains("2019-09") {
                2019
            } else {
                2020
            }
        }
        _ => 2020,
    }
}

/// Go's `%q` of a rune.
fn go_rune_quote(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        '\n' => "'\\n'".into(),
        '\t' => "'\\t'".into(),
        '\r' => "'\\r'".into(),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            gotemplate::strconv::go_quote(s)
        ));
    }
    s.parse::<i64>().map_err(|_| {
        format!(
            "strconv.Atoi: parsing {}: value out of range",
            gotemplate::strconv::go_quote(s)
        )
    })
}

fn hostname(s: &str) -> Result<(), String> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() > 253 {
        return Err("more than 253 characters long".into());
    }
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("label must be 1 to 63 characters long".into());
        }
        if label.starts_with('-') {
            return Err("label starts with hyphen".into());
        }
        if label.ends_with('-') {
            return Err("label ends with hyphen".into());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("invalid character {}", go_rune_quote(c)));
        }
    }
    Ok(())
}

fn ipv4(s: &str) -> Result<(), String> {
    let groups: Vec<&str> = s.split('.').collect();
    if groups.len() != 4 {
        return Err("expected four decimals".into());
    }
    for g in groups {
        if g.len() > 1 && g.starts_with('0') {
            return Err("leading zeros".into());
        }
        let n = go_atoi(g)?;
        if !(0..=255).contains(&n) {
            return Err("decimal must be between 0 and 255".into());
        }
    }
    Ok(())
}

/// Go's netip.ParseAddr error: `ParseAddr("in"): msg (at "rest")`.
fn addr_err(input: &str, msg: &str, at: Option<&str>) -> String {
    let q = gotemplate::strconv::go_quote;
    match at {
        Some(a) if !a.is_empty() => format!("ParseAddr({}): {} (at {})", q(input), msg, q(a)),
        _ => format!("ParseAddr({}): {}", q(input), msg),
    }
}

/// netip's parseIPv4Fields over `input[off..end]`.
fn ipv4_fields(input: &str, off: usize, end: usize) -> Result<(), String> {
    let s = &input.as_bytes()[off..end];
    let (mut val, mut pos, mut dig) = (0u32, 0, 0);
    for i in 0..s.len() {
        let c = s[i];
        if c.is_ascii_digit() {
            if dig == 1 && val == 0 {
                return Err(addr_err(
                    input,
                    "IPv4 field has octet with leading zero",
                    None,
                ));
            }
            val = val * 10 + (c - b'0') as u32;
            dig += 1;
            if val > 255 {
                return Err(addr_err(input, "IPv4 field has value >255", None));
            }
        } else if c == b'.' {
            if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                let at = String::from_utf8_lossy(&s[i..]).into_owned();
                return Err(addr_err(
                    input,
                    "IPv4 field must have at least one digit",
                    Some(&at),
                ));
            }
            if pos == 3 {
                return Err(addr_err(input, "IPv4 address too long", None));
            }
            pos += 1;
            val = 0;
            dig = 0;
        } else {
            let at = String::from_utf8_lossy(&s[i..]).into_owned();
            return Err(addr_err(input, "unexpected character", Some(&at)));
        }
    }
    if pos < 3 {
        return Err(addr_err(input, "IPv4 address too short", None));
    }
    Ok(())
}

/// netip's parseIPv6; returns whether a zone was given.
fn ipv6_parse(input: &str) -> Result<bool, String> {
    let (mut s, zone) = match input.find('%') {
        Some(i) => (&input[..i], Some(&input[i + 1..])),
        None => (input, None),
    };
    if zone == Some("") {
        return Err(addr_err(input, "zone must be a non-empty string", None));
    }
    let mut ellipsis: i32 = -1;
    if s.starts_with("::") {
        ellipsis = 0;
        s = &s[2..];
        if s.is_empty() {
            return Ok(zone.is_some());
        }
    }
    let mut i = 0;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < b.len() {
            let c = b[off];
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + d as u32;
            if off > 3 {
                return Err(addr_err(
                    input,
                    "each group must have 4 or less digits",
                    Some(s),
                ));
            }
            if acc > 0xffff {
                return Err(addr_err(input, "IPv6 field has value >=2^16", Some(s)));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_err(
                input,
                "each colon-separated field must have at least one digit",
                Some(s),
            ));
        }
        if off < b.len() && b[off] == b'.' {
            if ellipsis < 0 && i != 12 {
                return Err(addr_err(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(s),
                ));
            }
            if i + 4 > 16 {
                return Err(addr_err(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(s),
                ));
            }
            let mut end = input.len();
            if let Some(z) = zone {
                end -= z.len() + 1;
            }
            ipv4_fields(input, end - s.len(), end)?;
            s = "";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(addr_err(input, "unexpected character, want colon", Some(s)));
        } else if s.len() == 1 {
            return Err(addr_err(
                input,
                "colon must be followed by more characters",
                Some(s),
            ));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis >= 0 {
                return Err(addr_err(input, "multiple :: in address", Some(s)));
            }
            ellipsis = i;
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(addr_err(input, "trailing garbage after address", Some(s)));
    }
    if i < 16 {
        if ellipsis < 0 {
            return Err(addr_err(input, "address string too short", None));
        }
    } else if ellipsis >= 0 {
        return Err(addr_err(
            input,
            "the :: must expand to at least one field of zeros",
            None,
        ));
    }
    Ok(zone.is_some())
}

fn ipv6(s: &str) -> Result<(), String> {
    if !s.contains(':') {
        return Err("missing colon".into());
    }
    // netip.ParseAddr: the first of '.', ':' or '%' decides the family
    let zoned = match s.bytes().find(|c| matches!(c, b'.' | b':' | b'%')) {
        Some(b'.') => {
            ipv4_fields(s, 0, s.len())?;
            false
        }
        Some(b':') => ipv6_parse(s)?,
        _ => return Err(addr_err(s, "missing IPv6 address", None)),
    };
    if zoned {
        return Err("zone id is not a part of ipv6 address".into());
    }
    Ok(())
}

fn email(s: &str) -> Result<(), String> {
    if s.len() > 254 {
        return Err("more than 255 characters long".into());
    }
    let Some(at) = s.rfind('@') else {
        return Err("missing @".into());
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.len() > 64 {
        return Err("local part more than 64 characters long".into());
    }
    if local.len() > 1 && local.starts_with('"') {
        let inner = &local[1..local.len() - 1];
        if inner.contains('\\') || inner.contains('"') {
            return Err("backslash and quote are not allowed within quoted local part".into());
        }
    } else {
        if local.starts_with('.') {
            return Err("starts with dot".into());
        }
        if local.ends_with('.') {
            return Err("ends with dot".into());
        }
        if local.contains("..") {
            return Err("consecutive dots".into());
        }
        if let Some(c) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".!#$%&'*+-/=?^_`{|}~".contains(*c)))
        {
            return Err(format!("invalid character {}", go_rune_quote(c)));
        }
    }
    if domain.len() >= 2 && domain.starts_with('[') && domain.ends_with(']') {
        let d = &domain[1..domain.len() - 1];
        if let Some(rem) = d.strip_prefix("IPv6:") {
            return ipv6(rem).map_err(|e| format!("invalid ipv6 address: {e}"));
        }
        return ipv4(d).map_err(|e| format!("invalid ipv4 address: {e}"));
    }
    hostname(domain).map_err(|e| format!("invalid domain: {e}"))
}

/// Go's `time.Parse("2006-01-02", s)`.
fn date(s: &str) -> Result<(), String> {
    let q = gotemplate::strconv::go_quote;
    let cannot = |rest: &str, elem: &str| {
        format!(
            "parsing time {} as \"2006-01-02\": cannot parse {} as {}",
            q(s),
            q(rest),
            q(elem)
        )
    };
    let b = s.as_bytes();
    let num = |i: usize, n: usize| -> Option<u32> {
        let t = b.get(i..i + n)?;
        if t.iter().all(|c| c.is_ascii_digit()) {
            std::str::from_utf8(t).ok()?.parse().ok()
        } else {
            None
        }
    };
    let year = num(0, 4).ok_or_else(|| cannot(s, "2006"))?;
    if b.get(4) != Some(&b'-') {
        return Err(cannot(s.get(4..).unwrap_or(""), "-"));
    }
    let month = num(5, 2).ok_or_else(|| cannot(s.get(5..).unwrap_or(""), "01"))?;
    if !(1..=12).contains(&month) {
        return Err(format!("parsing time {}: month out of range", q(s)));
    }
    if b.get(7) != Some(&b'-') {
        return Err(cannot(s.get(7..).unwrap_or(""), "-"));
    }
    let day = num(8, 2).ok_or_else(|| cannot(s.get(8..).unwrap_or(""), "02"))?;
    if b.len() > 10 {
        return Err(format!(
            "parsing time {}: extra text: {}",
            q(s),
            q(s.get(10..).unwrap_or(""))
        ));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let dim = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > dim {
        return Err(format!("parsing time {}: day out of range", q(s)));
    }
    Ok(())
}

fn time_of_day(st: &str) -> Result<(), String> {
    let b = st.as_bytes();
    if b.len() < 9 {
        return Err("less than 9 characters long".into());
    }
    if b[2] != b':' || b[5] != b':' {
        return Err("missing colon in correct place".into());
    }
    if !st.is_char_boundary(8) {
        return Err("invalid hour/min/sec".into());
    }
    let mut hms = vec![];
    for tok in st[..8].splitn(3, ':') {
        let i = go_atoi(tok).map_err(|_| "invalid hour/min/sec".to_string())?;
        if i < 0 {
            return Err("non-positive hour/min/sec".into());
        }
        hms.push(i);
    }
    let (mut h, mut m, sec) = (hms[0], hms[1], hms[2]);
    if h > 23 || m > 59 || sec > 60 {
        return Err("hour/min/sec out of range".into());
    }
    let mut rest = &st[8..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err("no digits in second fraction".into());
        }
        rest = &r[n..];
    }
    if rest != "z" && rest != "Z" {
        if rest.len() != 6 {
            return Err("offset must be 6 characters long".into());
        }
        let sign = match rest.as_bytes()[0] {
            b'+' => -1,
            b'-' => 1,
            _ => return Err("offset must begin with plus/minus".into()),
        };
        let r = &rest[1..];
        if r.as_bytes()[2] != b':' {
            return Err("missing colon in offset in correct place".into());
        }
        let mut zhm = vec![];
        for tok in r.splitn(2, ':') {
            let i = go_atoi(tok).map_err(|_| "invalid hour/min in offset".to_string())?;
            if i < 0 {
                return Err("non-positive hour/min in offset".into());
            }
            zhm.push(i);
        }
        if zhm[0] > 23 || zhm[1] > 59 {
            return Err("hour/min in offset out of range".into());
        }
        let mut hm = (h * 60 + m) + sign * (zhm[0] * 60 + zhm[1]);
        if hm < 0 {
            hm += 24 * 60;
        }
        h = hm / 60;
        m = hm % 60;
    }
    if sec >= 60 && (h != 23 || m != 59) {
        return Err("invalid leap second".into());
    }
    Ok(())
}

fn date_time(s: &str) -> Result<(), String> {
    if s.len() < 20 {
        return Err("less than 20 characters long".into());
    }
    let b = s.as_bytes();
    if b[10] != b't' && b[10] != b'T' {
        return Err("11th character must be t or T".into());
    }
    if !s.is_char_boundary(10) || !s.is_char_boundary(11) {
        return Err("invalid date element".into());
    }
    date(&s[..10]).map_err(|e| format!("invalid date element: {e}"))?;
    time_of_day(&s[11..]).map_err(|e| format!("invalid time element: {e}"))
}

fn uuid(s: &str) -> Result<(), String> {
    let groups: Vec<&str> = s.split('-').collect();
    let want = [8, 4, 4, 4, 12];
    if groups.len() != 5 {
        return Err("must have 5 elements".into());
    }
    for (i, g) in groups.iter().enumerate() {
        if g.len() != want[i] {
            return Err(format!(
                "element {} must be {} characters long",
                i + 1,
                want[i]
            ));
        }
        if let Some(c) = g.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!("non-hex character {}", go_rune_quote(c)));
        }
    }
    Ok(())
}

fn json_pointer(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    if !s.starts_with('/') {
        return Err("not starting with /".into());
    }
    for tok in s.split('/').skip(1) {
        let mut esc = false;
        for c in tok.chars() {
            if esc {
                esc = false;
                if c != '0' && c != '1' {
                    return Err("~ must be followed by 0 or 1".into());
                }
                continue;
            }
            if c == '~' {
                esc = true;
            }
        }
        if esc {
            return Err("~ must be followed by 0 or 1".into());
        }
    }
    Ok(())
}

fn uri(s: &str, absolute: bool) -> Result<(), String> {
    // Go's url.Parse, plus the validator's check of IPv6 hosts
    let u = gotemplate::gourl::parse(s)?;
    let host = u.hostname();
    if host.contains(':') {
        if !(u.host.contains('[') && u.host.contains(']')) {
            return Err("ipv6 address not enclosed in brackets".into());
        }
        ipv6(&host).map_err(|e| format!("invalid ipv6 address: {e}"))?;
    }
    if absolute && u.scheme.is_empty() {
        return Err("relative url".into());
    }
    Ok(())
}

/// Format assertions (draft-04/06/07, as Helm's validator does by default for those drafts).
/// `None`: a format it does not know (ignored).
fn check_format(name: &str, s: &str) -> Option<Result<(), String>> {
    Some(match name {
        "hostname" => hostname(s),
        "ipv4" => ipv4(s),
        "ipv6" => ipv6(s),
        "email" => email(s),
        "date" => date(s),
        "time" => time_of_day(s),
        "date-time" => date_time(s),
        "uuid" => uuid(s),
        "json-pointer" => json_pointer(s),
        "uri" | "iri" => uri(s, true),
        "uri-reference" | "iri-reference" => {
            if s.contains('\\') {
                Err("contains \\".into())
            } else {
                uri(s, false)
            }
        }
        "regex" => gotemplate::gofmt::go_regex(s).map(|_| ()),
        _ => return None,
    })
}

/// Validate values against one schema document. `Ok(None)`: valid; `Ok(Some(text))`: the
/// violations as Helm prints them (each line `- at '…': …`, ending with a newline);
/// `Err`: the schema itself is unusable.
pub fn validate(schema_src: &str, values: &Value) -> Result<Option<String>, String> {
    // runs on the caller's thread (the CLI renders on the main thread; a helper thread would
    // cost a malloc arena): recursion is bounded by the depth limits below
    validate_json(schema_src, &from_value(values))
}

fn validate_json(schema_src: &str, v: &J) -> Result<Option<String>, String> {
    let schema = parse_json(schema_src)?;
    check_refs(&schema, &schema)?;
    let val = Validator {
        root: &schema,
        draft: draft_of(&schema),
        regexes: RefCell::new(HashMap::new()),
        depth: RefCell::new(0),
    };
    let root = Scope {
        ptr: String::new(),
        via_ref: false,
        vid: 0,
        parent: None,
    };
    let (Some(e), _) = val.validate(&schema, v, &[], &root, false)? else {
        return Ok(None);
    };
    let causes = if matches!(e.msg, Msg::Group) {
        e.causes
    } else {
        vec![e]
    };
    let mut out = String::new();
    for c in &causes {
        c.display(&mut out, 1);
    }
    Ok(Some(format!("{}\n", out.trim_start_matches('\n'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_numbers() {
        assert_eq!(lfloat(1234567.5), "1.2345675×10⁰⁶");
        assert_eq!(lfloat(1e21), "1×10²¹");
        assert_eq!(lfloat(0.00001), "1×10⁻⁰⁵");
        assert_eq!(lfloat(-1000.0), "-1,000");
        assert_eq!(lfloat(1000.5), "1,000.5");
        assert_eq!(lfloat(0.001), "0.001");
        assert_eq!(lint(1500), "1,500");
    }

    #[test]
    fn decimals() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert!(d("0.3").multiple_of(&d("0.1")));
        assert!(!d("0.35").multiple_of(&d("0.1")));
        assert!(d("1e+21").is_integer());
        assert!(!d("2.5").is_integer());
        assert_eq!(d("1.50").cmp(&d("1.5")), std::cmp::Ordering::Equal);
        assert_eq!(d("-3").cmp(&d("1")), std::cmp::Ordering::Less);
    }
}

#[cfg(test)]
mod deep_tests {
    #[test]
    fn deep_values_and_schemas_end_in_errors() {
        // the CLI's main thread has 8 MiB of stack: check the limits hold within that
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(deep_body)
            .unwrap()
            .join()
            .unwrap();
    }

    fn deep_body() {
        use gotemplate::value::Value;
        // values 300 lists deep through a recursive schema: the validator's depth limit ends it
        let mut v = Value::list(vec![]);
        for _ in 0..300 {
            v = Value::list(vec![v]);
        }
        let mut m = std::collections::BTreeMap::new();
        m.insert("a".to_string(), v);
        let vals = Value::map(m);
        let schema = r##"{"properties":{"a":{"$ref":"#/$defs/t"}},"$defs":{"t":{"type":"array","items":{"$ref":"#/$defs/t"}}}}"##;
        assert_eq!(
            super::validate(schema, &vals),
            Err("values.schema.json: schema and values nested too deeply to validate (limit 400 levels)".into())
        );
        // 100 deep is fine
        let mut v = Value::list(vec![]);
        for _ in 0..100 {
            v = Value::list(vec![v]);
        }
        let mut m = std::collections::BTreeMap::new();
        m.insert("a".to_string(), v);
        assert_eq!(super::validate(schema, &Value::map(m)), Ok(None));
        let deep = format!("{}{}", "[".repeat(20000), "]".repeat(20000));
        assert_eq!(super::parse_json(&deep).unwrap_err(), "exceeded max depth");
    }
}
