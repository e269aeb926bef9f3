//! Go `fmt.Sprintf` and assorted Go standard-library behaviours (paths, time, regexp).

use std::fmt::Write as _;

use super::strconv::go_quote;
use super::value::{
    Object, Value, format_float_e, format_float_f, format_float_g, format_float_g_prec, sprint,
};

struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn pad(s: String, sp: &Spec, numeric: bool) -> String {
    let w = match sp.width {
        Some(w) => w,
        None => return s,
    };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let fill = w - n;
    if sp.minus {
        format!("{}{}", s, " ".repeat(fill))
    } else if sp.zero && !numeric {
        // Go pads a string (and anything not a number) with zeros too
        format!("{}{}", "0".repeat(fill), s)
    } else if sp.zero && numeric {
        // zero padding after sign
        let (sign, rest) = if s.starts_with(['-', '+', ' ']) {
            s.split_at(1)
        } else {
            ("", s.as_str())
        };
        format!("{}{}{}", sign, "0".repeat(fill), rest)
    } else {
        format!("{}{}", " ".repeat(fill), s)
    }
}

fn bad_verb(verb: char, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{}(<nil>)", verb),
        _ => format!("%!{}({}={})", verb, v.type_name(), sprint(v)),
    }
}

fn fmt_int(i: i128, verb: char, sp: &Spec) -> Option<String> {
    let neg = i < 0;
    let a = i.unsigned_abs();
    let mut digits = match verb {
        'd' | 'v' => a.to_string(),
        'x' => format!("{:x}", a),
        'X' => format!("{:X}", a),
        'o' => format!("{:o}", a),
        'O' => format!("0o{:o}", a),
        'b' => format!("{:b}", a),
        'c' => return Some(char::from_u32(i as u32).unwrap_or('\u{FFFD}').to_string()),
        'q' => {
            return Some(format!(
                "'{}'",
                char::from_u32(i as u32).unwrap_or('\u{FFFD}')
            ));
        }
        'U' => {
            let code = format!("U+{:04X}", a);
            // %#U adds the character when Go's strconv.IsPrint accepts it
            return Some(match char::from_u32(i as u32) {
                Some(c) if sp.sharp && super::strconv::go_is_print(c) => {
                    format!("{code} '{c}'")
                }
                _ => code,
            });
        }
        _ => return None,
    };
    if let Some(p) = sp.prec
        && digits.len() < p
    {
        digits = format!("{}{}", "0".repeat(p - digits.len()), digits);
    }
    if sp.sharp {
        match verb {
            'x' => digits = format!("0x{}", digits),
            'X' => digits = format!("0X{}", digits),
            'o' => digits = format!("0{}", digits),
            _ => {}
        }
    }
    let sign = if neg {
        "-"
    } else if sp.plus {
        "+"
    } else if sp.space {
        " "
    } else {
        ""
    };
    Some(format!("{}{}", sign, digits))
}

fn fmt_float(f: f64, verb: char, sp: &Spec) -> Option<String> {
    let mut s = match verb {
        'v' | 'g' => match sp.prec {
            None => format_float_g(f),
            Some(p) => format_float_g_prec(f, p),
        },
        'G' => match sp.prec {
            None => format_float_g(f).to_uppercase(),
            Some(p) => format_float_g_prec(f, p).to_uppercase(),
        },
        'f' | 'F' => format_float_f(f, Some(sp.prec.unwrap_or(6))),
        'e' => format_float_e(f, sp.prec.unwrap_or(6), false),
        'E' => format_float_e(f, sp.prec.unwrap_or(6), true),
        'x' | 'X' => format_float_hex(f, sp.prec, verb == 'X'),
        _ => return None,
    };
    if (sp.plus || sp.space) && !s.starts_with('-') && !s.starts_with('+') {
        s = format!("{}{}", if sp.plus { '+' } else { ' ' }, s);
    }
    Some(s)
}

/// Go's `%#v` (Go-syntax) form of a template value; `top` is an argument itself, not an
/// element inside a list or map (a nil element prints as `interface {}(nil)`).
fn go_syntax(v: &Value, top: bool, out: &mut String) {
    match v {
        Value::Nil if top => out.push_str("<nil>"),
        Value::Nil => out.push_str("interface {}(nil)"),
        Value::Str(s) => out.push_str(&super::strconv::go_quote(s)),
        Value::List(l) => {
            out.push_str("[]interface {}{");
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                go_syntax(x, false, out);
            }
            out.push('}');
        }
        Value::Map(m) if super::value::is_nil_map(m) => {
            out.push_str("map[string]interface {}(nil)")
        }
        Value::Map(m) => {
            out.push_str(v.type_name());
            out.push('{');
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&super::strconv::go_quote(k));
                out.push(':');
                go_syntax(x, false, out);
            }
            out.push('}');
        }
        Value::Object(o) => match &**o {
            Object::StrMap(None) => out.push_str("map[string]string(nil)"),
            Object::Bytes(_, true) => out.push_str("[]byte(nil)"),
            Object::Bytes(b, _) => {
                let items: Vec<String> = b.iter().map(|x| format!("{x:#x}")).collect();
                out.push_str(&format!("[]byte{{{}}}", items.join(", ")));
            }
            Object::Strings(items, _) => {
                out.push_str(v.type_name());
                out.push('{');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&super::strconv::go_quote(x));
                }
                out.push('}');
            }
            Object::StrMap(Some(m)) => {
                out.push_str("map[string]string{");
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&super::strconv::go_quote(k));
                    out.push(':');
                    out.push_str(&super::strconv::go_quote(x));
                }
                out.push('}');
            }
            _ => out.push_str(&sprint(v)),
        },
        _ => out.push_str(&sprint(v)),
    }
}

fn fmt_value(v: &Value, verb: char, sp: &Spec) -> String {
    match (verb, v) {
        ('T', _) => return pad(v.type_name().to_string(), sp, false),
        ('v', Value::Nil) | ('s', Value::Nil) if verb == 'v' => {
            return pad("<nil>".into(), sp, false);
        }
        _ => {}
    }
    match v {
        Value::Nil => {
            if verb == 'v' {
                pad("<nil>".into(), sp, false)
            } else {
                format!("%!{}(<nil>)", verb)
            }
        }
        Value::Bool(b) => match verb {
            'v' | 't' => pad(b.to_string(), sp, false),
            _ => bad_verb(verb, v),
        },
        Value::Int(i) | Value::Int64(i) => match fmt_int(*i as i128, verb, sp) {
            Some(s) => pad(s, sp, true),
            None => bad_verb(verb, v),
        },
        Value::Byte(b) => match fmt_int(*b as i128, verb, sp) {
            Some(s) => pad(s, sp, true),
            None => bad_verb(verb, v),
        },
        Value::Uint(u) => match fmt_int(*u as i128, verb, sp) {
            Some(s) => pad(s, sp, true),
            None => bad_verb(verb, v),
        },
        Value::Float(f) => match fmt_float(*f, verb, sp) {
            Some(s) => pad(s, sp, true),
            None => bad_verb(verb, v),
        },
        Value::Str(s) => match verb {
            'v' | 's' => {
                let t: String = match sp.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                pad(t, sp, false)
            }
            'q' if sp.sharp && can_backquote(s) && !crate::gostr::has_escapes(s) => {
                pad(format!("`{s}`"), sp, false)
            }
            'q' => pad(go_quote(s), sp, false),
            'x' | 'X' => {
                let mut o = String::new();
                for (i, b) in crate::gostr::to_bytes(s).iter().enumerate() {
                    if sp.space && i > 0 {
                        o.push(' ');
                    }
                    if verb == 'x' {
                        o.push_str(&format!("{:02x}", b));
                    } else {
                        o.push_str(&format!("{:02X}", b));
                    }
                }
                pad(o, sp, false)
            }
            _ => bad_verb(verb, v),
        },
        Value::List(l) => {
            if verb == 'v' || verb == 's' || verb == 'd' || verb == 'q' || verb == 'x' {
                let parts: Vec<String> = l
                    .iter()
                    .map(|x| fmt_value(x, verb, &Spec { width: None, ..*sp }))
                    .collect();
                pad(format!("[{}]", parts.join(" ")), sp, false)
            } else {
                bad_verb(verb, v)
            }
        }
        Value::Map(m) => {
            let parts: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, x)| {
                    format!(
                        "{}:{}",
                        fmt_value(&Value::str(k), verb, &Spec { width: None, ..*sp }),
                        fmt_value(x, verb, &Spec { width: None, ..*sp })
                    )
                })
                .collect();
            pad(format!("map[{}]", parts.join(" ")), sp, false)
        }
        // Go formats a map[string]string element by element, as any map
        Value::Object(o) if let Object::StrMap(m) = &**o => {
            fmt_value(&super::value::str_map_value(m.as_ref()), verb, sp)
        }
        // Go prints a []byte under %s/%q/%x as one string
        Value::Object(o) if let Object::Bytes(b, _) = &**o => match verb {
            's' => pad(crate::gostr::from_bytes(b), sp, false),
            'q' => pad(go_quote(&crate::gostr::from_bytes(b)), sp, false),
            'x' | 'X' => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                pad(
                    if verb == 'X' { hex.to_uppercase() } else { hex },
                    sp,
                    false,
                )
            }
            _ => fmt_value(
                &Value::list(b.iter().map(|x| Value::Byte(*x)).collect()),
                verb,
                sp,
            ),
        },
        // a []string formats element by element, as a list
        Value::Object(o) if let Object::Strings(items, _) = &**o => fmt_value(
            &Value::list(items.iter().map(|s| Value::str(s)).collect()),
            verb,
            sp,
        ),
        // the files' contents as text under %s
        Value::Object(o) if let (Object::Files(f), 's') = (&**o, verb) => {
            let parts: Vec<String> = f
                .iter()
                .map(|(k, b)| format!("{}:{}", k, crate::gostr::from_bytes(b)))
                .collect();
            pad(format!("map[{}]", parts.join(" ")), sp, false)
        }
        Value::Object(_) => match verb {
            'v' | 's' => pad(sprint(v), sp, false),
            'q' => pad(go_quote(&sprint(v)), sp, false),
            _ => bad_verb(verb, v),
        },
    }
}

impl Clone for Spec {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for Spec {}

/// Go `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    // an explicit index (`%[2]d`) turns off the EXTRA check, as in Go
    let mut reordered = false;
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut sp = Spec {
            minus: false,
            plus: false,
            sharp: false,
            space: false,
            zero: false,
            width: None,
            prec: None,
        };
        let mut good_arg = true;
        while i < chars.len() {
            match chars[i] {
                '-' => sp.minus = true,
                '+' => sp.plus = true,
                '#' => sp.sharp = true,
                ' ' => sp.space = true,
                '0' => sp.zero = !sp.minus,
                _ => break,
            }
            i += 1;
        }
        let mut after_index = arg_number(&chars, &mut i, &mut argi, args.len(), &mut good_arg);
        reordered |= after_index.is_some();
        let mut after_index_found = after_index == Some(true);
        // width
        if i < chars.len() && chars[i] == '*' {
            i += 1;
            match int_from_arg(args, &mut argi) {
                Some(w) => {
                    if w < 0 {
                        sp.minus = true;
                        sp.zero = false;
                    }
                    sp.width = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            after_index_found = false;
        } else {
            let st = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i > st {
                sp.width = chars[st..i].iter().collect::<String>().parse().ok();
                if after_index_found {
                    // "%[3]2d"
                    good_arg = false;
                }
            }
        }
        if i + 1 < chars.len() && chars[i] == '.' {
            i += 1;
            if after_index_found {
                // "%[3].2d"
                good_arg = false;
            }
            after_index = arg_number(&chars, &mut i, &mut argi, args.len(), &mut good_arg);
            reordered |= after_index.is_some();
            after_index_found = after_index == Some(true);
            if i < chars.len() && chars[i] == '*' {
                i += 1;
                match int_from_arg(args, &mut argi) {
                    Some(p) if p >= 0 => sp.prec = Some(p as usize),
                    Some(_) => sp.prec = None,
                    None => out.push_str("%!(BADPREC)"),
                }
                after_index_found = false;
            } else {
                let st = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                sp.prec = Some(chars[st..i].iter().collect::<String>().parse().unwrap_or(0));
            }
        }
        if !after_index_found {
            let found = arg_number(&chars, &mut i, &mut argi, args.len(), &mut good_arg);
            reordered |= found.is_some();
        }
        if i >= chars.len() {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = chars[i];
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good_arg {
            out.push_str(&format!("%!{}(BADINDEX)", verb));
            continue;
        }
        // %+v and %#v: the flags select a form (field names, Go syntax), not a sign or prefix
        let sharp_v = verb == 'v' && sp.sharp;
        if verb == 'v' {
            sp.plus = false;
            sp.sharp = false;
        }
        if argi >= args.len() {
            out.push_str(&format!("%!{}(MISSING)", verb));
            continue;
        }
        let v = &args[argi];
        argi += 1;
        let go_syntax_ok = match v {
            Value::Object(o) => matches!(
                **o,
                Object::StrMap(_) | Object::Bytes(..) | Object::Strings(..)
            ),
            _ => true,
        };
        if sharp_v && go_syntax_ok {
            let mut t = String::new();
            go_syntax(v, true, &mut t);
            out.push_str(&pad(t, &sp, false));
            continue;
        }
        out.push_str(&fmt_value(v, verb, &sp));
    }
    if !reordered && argi < args.len() {
        out.push_str("%!(EXTRA ");
        let parts: Vec<String> = args[argi..]
            .iter()
            .map(|v| match v {
                Value::Nil => "<nil>".to_string(),
                _ => format!("{}={}", v.type_name(), sprint(v)),
            })
            .collect();
        out.push_str(&parts.join(", "));
        out.push(')');
    }
    out
}

/// Compile a Go RE2 regular expression with the Rust regex crate.
pub fn go_regex(pat: &str) -> Result<regex::Regex, String> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> = Default::default();
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(pat).cloned()) {
        return Ok(r);
    }
    let r = match regex::Regex::new(&rust_class_syntax(pat)) {
        Ok(r) => {
            // Go rejects stacked repetition (`a**`), which Rust accepts
            if let Some(e) = go_regex_syntax_error(pat)
                && e.contains("invalid nested repetition operator")
            {
                return Err(e);
            }
            r
        }
        Err(e) => {
            return Err(go_regex_syntax_error(pat)
                .unwrap_or_else(|| format!("error parsing regexp: {}", e)));
        }
    };
    CACHE.with(|c| c.borrow_mut().insert(pat.to_string(), r.clone()));
    Ok(r)
}

/// Go's Perl classes and word boundaries are ASCII-only; the regex crate's are Unicode.
fn ascii_perl_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        's' => "[\\t\\n\\f\\r ]",
        'S' => "[^\\t\\n\\f\\r ]",
        _ => return None,
    })
}

/// Rewrite Go's bracket classes for the regex crate, which reads `[`, `&&`, `--` and `~~`
/// inside a class as nesting and set operations and rejects `-` after a class escape
/// (`[\w-\.]`); Go (Perl mode) takes them all as literal characters.
fn rust_class_syntax(pat: &str) -> std::borrow::Cow<'_, str> {
    if !pat.contains('[') && !pat.contains('\\') {
        return pat.into();
    }
    let c: Vec<char> = pat.chars().collect();
    let mut out = String::with_capacity(pat.len() + 8);
    let mut i = 0;
    // a class char as Go's parseClassChar reads it: an escape (copied) or one literal char
    let class_char = |i: &mut usize, out: &mut String| {
        if c[*i] == '\\' && *i + 1 < c.len() {
            out.push('\\');
            out.push(c[*i + 1]);
            *i += 2;
        } else {
            if matches!(c[*i], '-' | '[' | ']' | '&' | '~') {
                out.push('\\');
            }
            out.push(c[*i]);
            *i += 1;
        }
    };
    while i < c.len() {
        match c[i] {
            '\\' if i + 1 < c.len() => {
                match c[i + 1] {
                    x if let Some(class) = ascii_perl_class(x) => out.push_str(class),
                    'b' => out.push_str("(?-u:\\b)"),
                    'B' => out.push_str("(?-u:\\B)"),
                    x => {
                        out.push('\\');
                        out.push(x);
                    }
                }
                i += 2;
            }
            '[' => {
                out.push('[');
                i += 1;
                if c.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                let mut first = true;
                while i < c.len() && (c[i] != ']' || first) {
                    first = false;
                    // POSIX [:alpha:] and Perl/Unicode class escapes stay as they are
                    if c[i] == '[' && c.get(i + 1) == Some(&':') {
                        let rest: String = c[i..].iter().collect();
                        if let Some(end) = rest.find(":]") {
                            out.push_str(&rest[..end + 2]);
                            i += rest[..end + 2].chars().count();
                            continue;
                        }
                    }
                    if c[i] == '\\'
                        && let Some(class) = c.get(i + 1).and_then(|x| ascii_perl_class(*x))
                    {
                        // a nested class: the regex crate takes the union
                        out.push_str(class);
                        i += 2;
                        continue;
                    }
                    if c[i] == '\\' && matches!(c.get(i + 1), Some('p' | 'P')) {
                        let end = if c.get(i + 2) == Some(&'{') {
                            c[i..].iter().position(|x| *x == '}').map(|p| i + p + 1)
                        } else {
                            Some(i + 3)
                        };
                        let end = end.unwrap_or(c.len()).min(c.len());
                        out.extend(&c[i..end]);
                        i = end;
                        continue;
                    }
                    class_char(&mut i, &mut out);
                    if i + 1 < c.len() && c[i] == '-' && c[i + 1] != ']' {
                        out.push('-');
                        i += 1;
                        class_char(&mut i, &mut out);
                    }
                }
                if i < c.len() {
                    out.push(']');
                    i += 1;
                }
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    out.into()
}

/// The message Go's regexp/syntax gives for the first syntax error of `pat` (scanning left to
/// right as Go's parser does), for the errors charts actually make.
fn go_regex_syntax_error(pat: &str) -> Option<String> {
    let b: Vec<char> = pat.chars().collect();
    let err = |code: &str, expr: &str| Some(format!("error parsing regexp: {code}: `{expr}`"));
    let mut depth = 0usize;
    let mut i = 0;
    // whether the previous item can take a repetition operator, and whether it already is one
    let (mut operand, mut repeated) = (false, false);
    while i < b.len() {
        match b[i] {
            '\\' => {
                let Some(&c) = b.get(i + 1) else {
                    return err("trailing backslash at end of expression", "");
                };
                let known = c.is_ascii_digit()
                    || "aAbBdDfnrsStvwWzpPQExC.+*?()|[]{}^$\\-/".contains(c)
                    || !c.is_ascii_alphanumeric();
                if !known {
                    return err("invalid escape sequence", &format!("\\{c}"));
                }
                i += 2;
                (operand, repeated) = (true, false);
                continue;
            }
            '[' => {
                let start = i;
                i += 1;
                if b.get(i) == Some(&'^') {
                    i += 1;
                }
                if b.get(i) == Some(&']') {
                    i += 1;
                }
                loop {
                    match b.get(i) {
                        None => {
                            let expr: String = b[start..].iter().collect();
                            return err("missing closing ]", &expr);
                        }
                        Some('\\') if !matches!(b.get(i + 1), Some(c) if c.is_ascii_punctuation()) => {
                            i += 2
                        }
                        Some('[') if b.get(i + 1) == Some(&':') => {
                            match b[i + 2..].iter().position(|c| *c == ']') {
                                Some(p) => i += p + 3,
                                None => i += 1,
                            }
                        }
                        Some(']') => break,
                        Some(_) => {
                            // a literal (or escaped punctuation), maybe a range lo-hi
                            let lit = |j: usize| match b.get(j) {
                                Some('\\') => b.get(j + 1).map(|c| (*c, j + 2)),
                                c => c.map(|c| (*c, j + 1)),
                            };
                            let Some((lo, next)) = lit(i) else { break };
                            let lo_at = i;
                            i = next;
                            if b.get(i) == Some(&'-')
                                && b.get(i + 1).is_some_and(|c| *c != ']')
                                && let Some((hi, next)) = lit(i + 1)
                            {
                                if hi < lo {
                                    let expr: String = b[lo_at..next].iter().collect();
                                    return err("invalid character class range", &expr);
                                }
                                i = next;
                            }
                        }
                    }
                }
                i += 1;
                (operand, repeated) = (true, false);
                continue;
            }
            '(' => {
                depth += 1;
                (operand, repeated) = (false, false);
                if b.get(i + 1) == Some(&'?') {
                    // flags or a named/non-capturing group: skip its header
                    let end = if b.get(i + 2) == Some(&'P') || b.get(i + 2) == Some(&'<') {
                        b[i..].iter().position(|c| *c == '>')
                    } else {
                        b[i..].iter().position(|c| *c == ':' || *c == ')')
                    };
                    match end {
                        Some(p) if b[i + p] == ')' => {
                            depth -= 1;
                            i += p + 1;
                            continue;
                        }
                        Some(p) => {
                            i += p + 1;
                            continue;
                        }
                        None => {}
                    }
                }
            }
            ')' => {
                if depth == 0 {
                    return err("unexpected )", pat);
                }
                depth -= 1;
                (operand, repeated) = (true, false);
            }
            '|' => (operand, repeated) = (false, false),
            '*' | '+' | '?' => {
                let mut op = b[i].to_string();
                if b.get(i + 1) == Some(&'?') {
                    op.push('?');
                }
                if !operand {
                    return err("missing argument to repetition operator", &op);
                }
                if repeated {
                    let prev: String = b[i.saturating_sub(1)..=i].iter().collect();
                    return err("invalid nested repetition operator", &prev);
                }
                repeated = true;
                if op.len() == 2 {
                    i += 1;
                }
            }
            _ => (operand, repeated) = (true, false),
        }
        i += 1;
    }
    if depth > 0 {
        return err("missing closing )", pat);
    }
    None
}

/// Go `Regexp.ReplaceAllString` (with `$1` / `${name}` expansion).
pub fn go_replace_all(r: &regex::Regex, s: &str, repl: &str) -> String {
    r.replace_all(s, repl).into_owned()
}

pub fn snake_case(s: &str) -> String {
    // xstrings.ToSnakeCase approximation
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            if i > 0
                && (chars[i - 1].is_lowercase()
                    || (i + 1 < chars.len() && chars[i + 1].is_lowercase() && chars[i - 1] != '_'))
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' || c == ' ' || c == '.' {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn camel_case(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c == '_' || c == '-' || c == ' ' {
            up = true;
            continue;
        }
        if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// strconv.CanBackquote: `%#q` prints a raw string when it can.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7F}')))
}

/// strconv.FormatFloat(f, 'x', prec, 64): `-0x1.8p+00`, the mantissa in hex digits (all that
/// are needed, or rounded half to even to `prec`), the binary exponent in at least two digits.
fn format_float_hex(f: f64, prec: Option<usize>, upper: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let bits = f.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1u64 << 52;
    }
    exp -= 1023;
    if mant == 0 {
        exp = 0;
    }
    // the leading 1 at bit 60
    mant <<= 60 - 52;
    while mant != 0 && mant & (1u64 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec
        && p < 15
    {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1u64 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1u64 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(if upper { 'X' } else { 'x' });
    out.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            out.push('.');
            while mant != 0 {
                out.push(digits[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.push('.');
            for _ in 0..p {
                out.push(digits[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        _ => {}
    }
    out.push(if upper { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
    out
}

/// Go's argNumber: an explicit `[n]` at `i` moves the argument cursor to n-1. `None` when
/// there is no bracket; `Some(found)` otherwise, with a bad index clearing `good_arg`.
fn arg_number(
    chars: &[char],
    i: &mut usize,
    argi: &mut usize,
    n_args: usize,
    good_arg: &mut bool,
) -> Option<bool> {
    if *i >= chars.len() || chars[*i] != '[' {
        return None;
    }
    let rest = &chars[*i..];
    // at least "[n]"
    if rest.len() < 3 {
        *i += 1;
        *good_arg = false;
        return Some(false);
    }
    let Some(close) = rest.iter().position(|&c| c == ']') else {
        *i += 1;
        *good_arg = false;
        return Some(false);
    };
    *i += close + 1;
    let digits = &rest[1..close];
    let index = if !digits.is_empty() && digits.iter().all(|c| c.is_ascii_digit()) {
        digits.iter().collect::<String>().parse::<usize>().ok()
    } else {
        None
    };
    match index {
        None => {
            *good_arg = false;
            Some(false)
        }
        Some(n) if n >= 1 && n - 1 < n_args => {
            *argi = n - 1;
            Some(true)
        }
        Some(_) => {
            *good_arg = false;
            Some(true)
        }
    }
}

/// Go's intFromArg: the argument for a `*` width or precision, and the cursor moved past it.
fn int_from_arg(args: &[Value], argi: &mut usize) -> Option<i64> {
    let v = args.get(*argi)?;
    *argi += 1;
    match v {
        Value::Int(n) | Value::Int64(n) if n.unsigned_abs() <= 1_000_000 => Some(*n),
        Value::Uint(n) if *n <= 1_000_000 => Some(*n as i64),
        Value::Byte(n) => Some(*n as i64),
        _ => None,
    }
}

/// Sprig's `wrap` and `wrapWith`: goutils.WrapCustom, whose `wrapWith` also cuts long words.
pub fn wrap(s: &str, width: i64, nl: &str, wrap_long_words: bool) -> String {
    // goutils.WrapCustom works on bytes: it only looks for ' ', breaks nowhere else (a '\n'
    // in the text is an ordinary byte), and a long word is cut every `width` bytes when asked.
    if s.is_empty() {
        return String::new();
    }
    let nl = if nl.is_empty() { "\n" } else { nl }.as_bytes();
    let width = width.max(1) as usize;
    let text = &*crate::gostr::to_bytes(s);
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut offset = 0usize;
    while text.len() - offset > width {
        if text[offset] == b' ' {
            offset += 1;
            continue;
        }
        let window = &text[offset..width + offset + 1];
        if let Some(space) = window.iter().rposition(|&b| b == b' ') {
            out.extend_from_slice(&window[..space]);
            out.extend_from_slice(nl);
            offset += space + 1;
        } else if wrap_long_words {
            out.extend_from_slice(&text[offset..offset + width]);
            out.extend_from_slice(nl);
            offset += width;
        } else {
            let end = width + offset;
            match text[end..].iter().position(|&b| b == b' ') {
                None => {
                    out.extend_from_slice(&text[offset..]);
                    offset = text.len();
                }
                Some(i) => {
                    out.extend_from_slice(&text[offset..end + i]);
                    out.extend_from_slice(nl);
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend_from_slice(&text[offset..]);
    crate::gostr::from_vec(out)
}

pub fn base32_encode(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(A[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let t = s.trim_end_matches('=');
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in t.bytes() {
        let v = A.iter().position(|&x| x == c)? as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

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

pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let j = parts.join("/");
    if rooted {
        format!("/{}", j)
    } else if j.is_empty() {
        ".".into()
    } else {
        j
    }
}

pub fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

pub fn path_dir(p: &str) -> String {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    path_clean(&p[..i])
}

/// Go `time.ParseDuration` → nanoseconds.
pub fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num * mult;
        rest = &rest[u..];
    }
    Some(if neg { -(total as i128) } else { total as i128 })
}

/// Go `time.Duration.String()`.
pub fn format_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let a = ns.unsigned_abs();
    let mut s = String::new();
    if a < 1_000_000_000 {
        let (v, unit) = if a < 1000 {
            (a as f64, "ns")
        } else if a < 1_000_000 {
            (a as f64 / 1e3, "µs")
        } else {
            (a as f64 / 1e6, "ms")
        };
        s = format!("{}{}", format_float_g(v), unit);
    } else {
        let h = a / 3_600_000_000_000;
        let m = (a / 60_000_000_000) % 60;
        let sec = (a % 60_000_000_000) as f64 / 1e9;
        if h > 0 {
            s.push_str(&format!("{}h", h));
        }
        if h > 0 || m > 0 {
            s.push_str(&format!("{}m", m));
        }
        s.push_str(&format!("{}s", format_float_f(sec, None)));
    }
    if neg { format!("-{}", s) } else { s }
}

/// Go time formatting for a Time value (UTC) with a Go layout.
pub fn go_date(layout: &str, v: &Value) -> String {
    let (nanos, off) = instant(v);
    super::gotime::format(layout, nanos, off)
}

/// Sprig's `dateInZone`: the instant (a time, or unix seconds as int/int64; anything else is
/// now) shown in the tz database's `zone`, or in UTC where Go's LoadLocation fails.
pub fn go_date_in_zone(layout: &str, v: &Value, zone: &str) -> String {
    let nanos = match v {
        Value::Object(o) if let Object::Time { unix_nanos, .. } = &**o => *unix_nanos,
        Value::Int(i) | Value::Int64(i) => *i as i128 * 1_000_000_000,
        _ => instant(&Value::Nil).0,
    };
    let secs = nanos.div_euclid(1_000_000_000) as i64;
    let zone = super::zoneinfo::zone_at(zone, secs).unwrap_or(super::zoneinfo::ZoneAt {
        offset: 0,
        abbreviation: "UTC".into(),
    });
    super::gotime::format_zoned(layout, nanos, zone.offset, Some(&zone.abbreviation))
}

/// A date argument as (unix nanoseconds, offset); anything not a time or a number is now.
fn instant(v: &Value) -> (i128, i32) {
    match v {
        Value::Object(o) => match &**o {
            Object::Time { unix_nanos, offset } => (*unix_nanos, *offset),
            _ => (0, 0),
        },
        Value::Int(i) | Value::Int64(i) => (*i as i128 * 1_000_000_000, 0),
        Value::Float(f) => ((*f as i128) * 1_000_000_000, 0),
        _ => {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (d.as_nanos() as i128, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    #[expect(
        clippy::approx_constant,
        reason = "3.14159 is printf input, not an approximation of PI"
    )]
    fn printf_basics() {
        assert_eq!(
            sprintf(
                "%s-%d-%v",
                &[Value::str("a"), Value::Int(3), Value::Float(1e6)]
            ),
            "a-3-1e+06"
        );
        assert_eq!(sprintf("%d", &[Value::Float(1.5)]), "%!d(float64=1.5)");
        assert_eq!(
            sprintf("%05.2f|%-4s|", &[Value::Float(3.14159), Value::str("x")]),
            "03.14|x   |"
        );
        assert_eq!(
            sprintf("%q %v", &[Value::str("a\"b"), Value::Nil]),
            "\"a\\\"b\" <nil>"
        );
        assert_eq!(sprintf("%s", &[]), "%!s(MISSING)");
    }
}
