//! Go's `regexp` (RE2 syntax) on the Rust regex crate: the pattern translated where the two
//! syntaxes differ, and Go's error texts for patterns RE2 refuses.

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
