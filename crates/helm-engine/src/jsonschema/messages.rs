//! Violation messages: numbers as golang.org/x/text/message's English printer prints them,
//! and the nested `- at '<pointer>': <message>` lines Helm prints.

use super::decimal::ExactDecimal;
use super::json::JsonValue;

pub(super) fn group_int(s: &str) -> String {
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
pub(super) fn lint(i: i64) -> String {
    let g = group_int(&i.unsigned_abs().to_string());
    if i < 0 { format!("-{g}") } else { g }
}

pub(super) fn superscript(e: i64) -> String {
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
pub(super) fn lfloat(f: f64) -> String {
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

pub(super) fn lnum(d: &ExactDecimal) -> String {
    lfloat(d.to_f64())
}

/// The validator's `quote`: Go's `%q` with `"` unescaped and `'` escaped, in single quotes.
pub(super) fn quote(s: &str) -> String {
    let q = gotemplate::strconv::go_quote(s);
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

pub(super) fn join_quoted(a: &[String]) -> String {
    a.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
}

/// `fmt.Sprintf("%v")` of a primitive schema value (numbers as written).
pub(super) fn display(v: &JsonValue) -> String {
    match v {
        JsonValue::Str(s) => quote(s),
        JsonValue::Num(n) => n.clone(),
        JsonValue::Bool(b) => b.to_string(),
        JsonValue::Null => "<nil>".into(),
        _ => "value".into(),
    }
}

// ---------------------------------------------------------------- errors

#[derive(Debug, Clone)]
pub(super) enum Message {
    Group,
    Ref,
    Text(String),
}

#[derive(Debug, Clone)]
pub(super) struct Violation {
    pub(super) loc: Vec<String>,
    pub(super) msg: Message,
    pub(super) causes: Vec<Violation>,
}

pub(super) fn ptr(loc: &[String]) -> String {
    let mut s = String::new();
    for t in loc {
        s.push('/');
        s.push_str(&t.replace('~', "~0").replace('/', "~1"));
    }
    s
}

impl Violation {
    pub(super) fn display(&self, out: &mut String, indent: usize) {
        let mut indent = indent;
        let skip = matches!(self.msg, Message::Ref) && self.causes.len() == 1;
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
                Message::Group | Message::Ref => "validation failed",
                Message::Text(t) => t.as_str(),
            };
            out.push_str(&format!("at {}: {}", quote(&ptr(&self.loc)), m));
        }
        for c in &self.causes {
            c.display(out, indent);
        }
    }
}
