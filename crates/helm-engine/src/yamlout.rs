//! Byte-exact emulation of Helm's `toYaml`: Go `encoding/json` then go-yaml v2's emitter.

use super::yaml::{Resolved, resolve_plain};
use gotemplate::value::{Object, Value, format_float_g, format_float_json};
use std::fmt::Write as _;

/// The node model after the JSON round trip (what go-yaml v2 re-reads from JSON).
#[derive(Debug, Clone)]
enum YamlNode {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<YamlNode>),
    Map(Vec<(String, YamlNode)>),
}

/// Error when a value can't be marshalled (e.g. NaN).
#[derive(Debug, Clone)]
pub struct MarshalError(pub String);

fn to_y(v: &Value) -> Result<YamlNode, MarshalError> {
    to_node(v, false)
}

/// `go_floats`: the value goes to go-yaml v3 as it is (`toYamlPretty`), so a float64 keeps
/// Go's `%g` form (`1e+06`) instead of the JSON round trip's integer.
fn to_node(v: &Value, go_floats: bool) -> Result<YamlNode, MarshalError> {
    let to_y = |v: &Value| to_node(v, go_floats);
    Ok(match v {
        Value::Nil => YamlNode::Null,
        Value::Bool(b) => YamlNode::Bool(*b),
        Value::Int(i) | Value::Int64(i) => YamlNode::Int(*i),
        Value::Byte(b) => YamlNode::Int(*b as i64),
        Value::Uint(u) => {
            if *u <= i64::MAX as u64 {
                YamlNode::Int(*u as i64)
            } else {
                YamlNode::Uint(*u)
            }
        }
        Value::Float(f) if go_floats => YamlNode::Float(*f),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(MarshalError(format!(
                    "json: unsupported value: {}",
                    format_float_g(*f)
                )));
            }
            let j = format_float_json(*f);
            number_from_json(&j)
        }
        // Helm's toYaml marshals to JSON first: a byte that is not UTF-8 becomes U+FFFD
        Value::Str(s) => YamlNode::Str(gotemplate::gostr::replacing_invalid(s).into_owned()),
        Value::List(l) => YamlNode::Seq(l.iter().map(to_y).collect::<Result<_, _>>()?),
        Value::Map(m) if gotemplate::value::is_nil_map(m) => YamlNode::Null,
        Value::Map(m) => {
            let m = m.borrow();
            let mut entries: Vec<(String, YamlNode)> = Vec::with_capacity(m.len());
            for (k, v) in m.iter() {
                entries.push((
                    gotemplate::gostr::replacing_invalid(k).into_owned(),
                    to_y(v)?,
                ));
            }
            entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
            YamlNode::Map(entries)
        }
        Value::Object(o) => match &**o {
            Object::Files(f) => {
                use base64::Engine;
                let mut entries: Vec<(String, YamlNode)> = f
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            YamlNode::Str(base64::engine::general_purpose::STANDARD.encode(v)),
                        )
                    })
                    .collect();
                entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
                YamlNode::Map(entries)
            }
            Object::StrMap(None) => YamlNode::Null,
            Object::StrMap(Some(m)) => to_y(&gotemplate::value::str_map_value(Some(m)))?,
            _ => {
                let j = gotemplate::json::to_json_string(v, false)
                    .map_err(|e| MarshalError(e.to_string()))?;
                let parsed = super::yaml::parse(&j).map_err(|e| MarshalError(e.0))?;
                to_y(&parsed)?
            }
        },
    })
}

fn number_from_json(j: &str) -> YamlNode {
    match resolve_plain(j) {
        Resolved::Int(i) => YamlNode::Int(i),
        Resolved::Uint(u) => YamlNode::Uint(u),
        Resolved::Float(f) => YamlNode::Float(f),
        _ => YamlNode::Str(j.to_string()),
    }
}

/// go-yaml v2 `keyList.Less` for string keys.
pub fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric() && is_go_digit(ar[i]);
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i as isize - 1;
            while j >= 0 && is_go_digit(ar[j as usize]) {
                if ar[j as usize] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_go_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(digit_val(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_go_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_val(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

fn is_go_digit(c: char) -> bool {
    // unicode.IsDigit: Nd category; approximate with char::is_numeric for ASCII + others
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}
fn digit_val(c: char) -> i64 {
    c.to_digit(10)
        .map(|d| d as i64)
        .unwrap_or(c as i64 - '0' as i64)
}

fn key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if key_less(a, b) {
        std::cmp::Ordering::Less
    } else if key_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

fn char_width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn is_printable(b: &[u8], i: usize) -> bool {
    let c = b[i];
    let n1 = b.get(i + 1).copied().unwrap_or(0);
    let n2 = b.get(i + 2).copied().unwrap_or(0);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && n1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && n1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(n1 == 0xBB && n2 == 0xBF) && !(n1 == 0xBF && (n2 == 0xBE || n2 == 0xBF)))
}

fn is_space(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b' ')
}
fn is_brk(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        Some(b'\r') | Some(b'\n') => true,
        Some(0xC2) => b.get(i + 1) == Some(&0x85),
        Some(0xE2) => {
            b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8) | Some(0xA9))
        }
        _ => false,
    }
}
fn is_blankz(b: &[u8], i: usize) -> bool {
    i >= b.len() || b[i] == b' ' || b[i] == b'\t' || is_brk(b, i) || b[i] == 0
}

fn analyze(value: &str) -> Analysis {
    let b = value.as_bytes();
    if b.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single: true,
            block: false,
        };
    }
    let mut block_ind = false;
    let mut flow_ind = false;
    let mut line_breaks = false;
    let mut special = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut prev_space = false;
    let mut prev_break = false;
    if (b.starts_with(b"---") || b.starts_with(b"...")) && b.len() >= 3 {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_ws = true;
    let mut followed_ws = is_blankz(b, char_width(b[0]));
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if i == 0 {
            match c {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                b'?' | b':' => {
                    flow_ind = true;
                    if followed_ws {
                        block_ind = true;
                    }
                }
                b'-' if followed_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_ind = true,
                b':' => {
                    flow_ind = true;
                    if followed_ws {
                        block_ind = true;
                    }
                }
                b'#' if preceded_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if !is_printable(b, i) {
            special = true;
        }
        let w = char_width(c);
        if is_space(b, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == b.len() {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_brk(b, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == b.len() {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_blankz(b, i);
        i += w;
        if i < b.len() {
            followed_ws = is_blankz(b, i + char_width(b[i]));
        }
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() && i - st < 2 {
            i += 1;
        }
        let n = i - st;
        if n == 0 {
            return false;
        }
        if n == 2 && b[st] > b'5' {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: i32,
    best_width: usize,
    /// go-yaml v2 (sigs.k8s.io/yaml, `toYaml`) writes a mapping's sequence at the key's
    /// indentation; go-yaml v3 (`toYamlPretty`) indents it.
    indentless_sequences: bool,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }
    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }
    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }
    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }
    fn increase_indent(&mut self, flow: bool, indentless: bool) -> i32 {
        let saved = self.indent;
        if self.indent < 0 {
            self.indent = if flow { 2 } else { 0 };
        } else if !indentless {
            self.indent += 2;
        }
        saved
    }

    fn node(&mut self, y: &YamlNode, mapping_ctx: bool) {
        match y {
            YamlNode::Map(entries) if entries.is_empty() => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            YamlNode::Seq(items) if items.is_empty() => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            YamlNode::Map(entries) => {
                let saved = self.increase_indent(false, false);
                for (k, v) in entries {
                    self.write_indent();
                    let multiline = k.contains('\n') || k.contains('\r');
                    if k.chars().count() > 128 || multiline {
                        // complex key
                        self.write_indicator("?", true, false, true);
                        self.string_scalar(k, false);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    } else {
                        self.string_scalar(k, true);
                        self.write_indicator(":", false, false, false);
                    }
                    self.node(v, true);
                }
                self.indent = saved;
            }
            YamlNode::Seq(items) => {
                let indentless = self.indentless_sequences && mapping_ctx && !self.indention;
                let saved = self.increase_indent(false, indentless);
                for it in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(it, false);
                }
                self.indent = saved;
            }
            YamlNode::Null => self.plain_scalar_simple("null"),
            YamlNode::Bool(b) => self.plain_scalar_simple(if *b { "true" } else { "false" }),
            YamlNode::Int(i) => {
                let s = i.to_string();
                self.plain_scalar_simple(&s)
            }
            YamlNode::Uint(u) => {
                let s = u.to_string();
                self.plain_scalar_simple(&s)
            }
            YamlNode::Float(f) => {
                let s = match format_float_g(*f).as_str() {
                    "+Inf" => ".inf".to_string(),
                    "-Inf" => "-.inf".to_string(),
                    "NaN" => ".nan".to_string(),
                    s => s.to_string(),
                };
                self.plain_scalar_simple(&s)
            }
            YamlNode::Str(s) => self.string_scalar(s, false),
        }
    }

    fn plain_scalar_simple(&mut self, s: &str) {
        let saved = self.increase_indent(true, false);
        self.write_plain(s, true);
        self.indent = saved;
    }

    fn string_scalar(&mut self, s: &str, simple_key: bool) {
        let a = analyze(s);
        let can_plain = matches!(resolve_plain_for_emit(s), Resolved::Str) && !is_base60_float(s);
        let mut style = if s.contains('\n') {
            Style::Literal
        } else if can_plain {
            Style::Plain
        } else {
            Style::Double
        };
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if !a.block_plain {
                style = Style::Single;
            }
            if s.is_empty() && simple_key {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || simple_key) {
            style = Style::Double;
        }
        let saved = self.increase_indent(true, false);
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let b = s.as_bytes();
        let mut spaces = false;
        let mut i = 0;
        while i < b.len() {
            let w = char_width(b[i]);
            if is_space(b, i) {
                if allow_breaks && !spaces && self.column > self.best_width && !is_space(b, i + 1) {
                    self.write_indent();
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else {
                self.out.push_str(&s[i..i + w]);
                self.column += 1;
                self.indention = false;
                spaces = false;
            }
            i += w;
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let b = s.as_bytes();
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < b.len() {
            let w = char_width(b[i]);
            if is_space(b, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < b.len() - 1
                    && !is_space(b, i + 1)
                {
                    self.write_indent();
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else if is_brk(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                if b[i] == b'\n' {
                    self.put_break();
                } else {
                    self.out.push_str(&s[i..i + w]);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if b[i] == b'\'' {
                    self.put('\'');
                }
                self.out.push_str(&s[i..i + w]);
                self.column += 1;
                self.indention = false;
                spaces = false;
                breaks = false;
            }
            i += w;
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let b = s.as_bytes();
        let mut spaces = false;
        let mut i = 0;
        while i < b.len() {
            let w = char_width(b[i]);
            let is_bom = b[i..].starts_with(&[0xEF, 0xBB, 0xBF]);
            if !is_printable(b, i) || is_bom || is_brk(b, i) || b[i] == b'"' || b[i] == b'\\' {
                let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
                let v = ch as u32;
                self.put('\\');
                match v {
                    0x00 => self.put('0'),
                    0x07 => self.put('a'),
                    0x08 => self.put('b'),
                    0x09 => self.put('t'),
                    0x0A => self.put('n'),
                    0x0B => self.put('v'),
                    0x0C => self.put('f'),
                    0x0D => self.put('r'),
                    0x1B => self.put('e'),
                    0x22 => self.put('"'),
                    0x5C => self.put('\\'),
                    0x85 => self.put('N'),
                    0xA0 => self.put('_'),
                    0x2028 => self.put('L'),
                    0x2029 => self.put('P'),
                    _ => {
                        let (c, n) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(c);
                        let hex = format!("{:0width$X}", v, width = n);
                        self.write_str(&hex);
                    }
                }
                spaces = false;
                i += ch.len_utf8().max(1);
                continue;
            } else if is_space(b, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i != 0
                    && i != b.len() - 1
                {
                    self.write_indent();
                    if is_space(b, i + 1) {
                        self.put('\\');
                    }
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else {
                self.out.push_str(&s[i..i + w]);
                self.column += 1;
                spaces = false;
            }
            i += w;
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let b = s.as_bytes();
        if is_space(b, 0) || is_brk(b, 0) {
            self.write_indicator("2", false, false, false);
        }
        let chomp = if b.is_empty() {
            Some("-")
        } else {
            let mut i = b.len() - 1;
            while i > 0 && b[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_brk(b, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                let mut j = i - 1;
                while j > 0 && b[j] & 0xC0 == 0x80 {
                    j -= 1;
                }
                if is_brk(b, j) { Some("+") } else { None }
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < b.len() {
            let w = char_width(b[i]);
            if is_brk(b, i) {
                if b[i] == b'\n' {
                    self.put_break();
                } else {
                    self.out.push_str(&s[i..i + w]);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                    breaks = false;
                }
                self.out.push_str(&s[i..i + w]);
                self.column += 1;
                self.indention = false;
            }
            i += w;
        }
    }
}

fn resolve_plain_for_emit(s: &str) -> Resolved {
    if s.is_empty() {
        return Resolved::Null;
    }
    match resolve_plain(s) {
        // go-yaml v2's encoder resolves "<<" as a plain string: it is written bare
        Resolved::Merge => Resolved::Str,
        r => r,
    }
}

/// go-yaml v2 `Marshal` of a value after a JSON round trip (sigs.k8s.io/yaml), with the final newline.
pub fn marshal(v: &Value) -> Result<String, MarshalError> {
    emit(to_y(v)?, 80, true)
}

/// Helm's `toYamlPretty`: go-yaml v3's encoder with an indent of 2, which indents sequences
/// under their key and folds no long line; one trailing newline trimmed.
pub fn to_yaml_pretty(v: &Value) -> Result<String, MarshalError> {
    let s = emit(to_node(v, true)?, usize::MAX, false)?;
    Ok(s.strip_suffix('\n').map(|s| s.to_string()).unwrap_or(s))
}

fn emit(
    y: YamlNode,
    best_width: usize,
    indentless_sequences: bool,
) -> Result<String, MarshalError> {
    let mut em = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: -1,
        best_width,
        indentless_sequences,
    };
    em.node(&y, false);
    // document end
    em.indent = -1;
    em.write_indent();
    Ok(em.out)
}

/// Helm's `toYaml`: marshal and trim one trailing newline.
pub fn to_yaml(v: &Value) -> Result<String, MarshalError> {
    let s = marshal(v)?;
    Ok(s.strip_suffix('\n').map(|s| s.to_string()).unwrap_or(s))
}

/// Debug helper: format a float as the JSON round trip then YAML would.
pub fn debug_number(f: f64) -> String {
    let mut s = String::new();
    let _ = write!(s, "{:?}", number_from_json(&format_float_json(f)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn ty(src: &str) -> String {
        to_yaml(&parse(src).unwrap()).unwrap()
    }

    #[test]
    fn basics() {
        assert_eq!(ty("b: 1\na: [x, {c: d}]\n"), "a:\n- x\n- c: d\nb: 1");
        assert_eq!(
            ty("a: 'true'\nb: ''\nc: '1.0'\nd: 'a: b'\n"),
            "a: \"true\"\nb: \"\"\nc: \"1.0\"\nd: 'a: b'"
        );
        assert_eq!(ty("a: \"x\\ny\"\n"), "a: |-\n  x\n  y");
        assert_eq!(ty("a: 1000000\nb: 1.5\n"), "a: 1000000\nb: 1.5");
        assert_eq!(ty("a: {}\nb: []\n"), "a: {}\nb: []");
        assert!(key_less("a9", "a10"));
        assert!(key_less("a", "b"));
    }
}
