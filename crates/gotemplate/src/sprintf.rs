//! Go's `fmt.Sprintf` over template values: verbs, flags, width and precision, argument
//! indexes (`%[2]d`), and the `%v`/`%#v`/`%T` forms of Go's types.

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
