//! The YAML reader proper: go-yaml v2's scanner and parser rules (block and flow styles, anchors
//! and aliases with its "billion laughs" budget, depth limits), into untyped nodes.

use super::error::{ParseResult, YamlError};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub(super) enum Node {
    Null,
    Scalar {
        text: String,
        plain: bool,
        tag: Option<String>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

pub(super) struct YamlParser<'a> {
    s: &'a [u8],
    i: usize,
    line_start: usize,
    line: usize,
    /// Anchored nodes and their sizes in nodes (what an alias to them expands to).
    anchors: HashMap<String, (Node, u64)>,
    /// Column of the block collection around the current flow collection (libyaml's indent).
    flow_indent: i32,
    /// Nested collections open now (go-yaml's flow level and indent stack, both capped at
    /// [`MAX_DEPTH`]).
    depth: usize,
    /// Nodes made so far, and how many of them came from alias expansion: go-yaml's budget
    /// against "billion laughs".
    decode_count: u64,
    alias_count: u64,
}

/// go-yaml v2's `max_flow_level` and `max_indents`: deeper documents are refused.
pub const MAX_DEPTH: usize = 10_000;

/// go-yaml v2's share of a document's nodes that may come from aliases: 99% up to 400,000
/// nodes, falling to 10% at 4,000,000.
pub(super) fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

pub(super) fn node_size(n: &Node) -> u64 {
    match n {
        Node::Null | Node::Scalar { .. } => 1,
        Node::Seq(items) => 1 + items.iter().map(node_size).sum::<u64>(),
        Node::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_size(k) + node_size(v))
                .sum::<u64>()
        }
    }
}

pub(super) fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}
pub(super) fn is_break(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}
pub(super) fn is_flow_ind(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> YamlParser<'a> {
    /// A parser at the start of `src` (after a byte order mark).
    pub(super) fn new(src: &'a str) -> Self {
        let mut p = YamlParser {
            s: src.as_bytes(),
            i: 0,
            line_start: 0,
            line: 0,
            anchors: HashMap::new(),
            flow_indent: -1,
            depth: 0,
            decode_count: 0,
            alias_count: 0,
        };
        if src.starts_with('\u{feff}') {
            p.i = 3;
            p.line_start = 3;
        }
        p
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }
    fn set_anchor(&mut self, name: String, node: &Node) {
        self.anchors.insert(name, (node.clone(), node_size(node)));
    }

    /// Counts `n` new nodes (from an alias when `alias`), failing as go-yaml does when aliases
    /// make up too much of the document: checked before the copy is made, so memory stays bounded.
    fn count_nodes(&mut self, n: u64, alias: bool) -> ParseResult<()> {
        self.decode_count += n;
        if alias {
            self.alias_count += n;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(YamlError(
                "yaml: document contains excessive aliasing".into(),
            ));
        }
        Ok(())
    }

    /// Runs `f` one collection deeper, refusing past [`MAX_DEPTH`] as go-yaml does.
    fn nested(&mut self, f: impl FnOnce(&mut Self) -> ParseResult<Node>) -> ParseResult<Node> {
        if self.depth >= MAX_DEPTH {
            return self.err(&format!("exceeded max depth of {MAX_DEPTH}"));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn col(&self) -> i32 {
        (self.i - self.line_start) as i32
    }
    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }
    /// A parser error whose problem mark is the token at the current position: go-yaml prints
    /// that token's 0-based line (nothing for the first line).
    fn err_at_token<T>(&self, msg: &str) -> ParseResult<T> {
        if self.line == 0 {
            return Err(YamlError(format!("yaml: {msg}")));
        }
        Err(YamlError(format!("yaml: line {}: {}", self.line, msg)))
    }

    /// go-yaml v2's error text. Its marks are 0-based and a 0 means "no line": a scanner error
    /// on the first line has no "line N: " (parser errors there are usually reported at the next
    /// token, past a line break, so they keep theirs).
    fn err<T>(&self, msg: &str) -> ParseResult<T> {
        const SCANNER_ERRORS: [&str; 10] = [
            "found a tab character where an indentation space is expected",
            "found unknown escape character",
            "mapping values are not allowed in this context",
            "block sequence entries are not allowed in this context",
            "could not find expected ':'",
            "found character that cannot start any token",
            "found unexpected end of stream",
            "did not find expected comment or line break",
            "did not find expected hexdecimal number",
            "found invalid Unicode character escape code",
        ];
        if self.line == 0 && SCANNER_ERRORS.contains(&msg) {
            return Err(YamlError(format!("yaml: {msg}")));
        }
        // At the end of the input go-yaml's mark sits on the line after the last line break,
        // and a parser error prints that 0-based number.
        if !SCANNER_ERRORS.contains(&msg)
            && self.i >= self.s.len()
            && self.i == self.line_start
            && self.line > 0
        {
            return Err(YamlError(format!("yaml: line {}: {}", self.line, msg)));
        }
        Err(YamlError(format!("yaml: line {}: {}", self.line + 1, msg)))
    }
    /// Is the char after position k a blank (space, tab, newline or EOF)?
    fn blank_at(&self, k: usize) -> bool {
        match self.at(k) {
            None => true,
            Some(c) => is_ws(c) || is_break(c),
        }
    }
    fn newline(&mut self) {
        // at '\n' or '\r'
        if self.peek() == Some(b'\r') {
            self.i += 1;
            if self.peek() == Some(b'\n') {
                self.i += 1;
            }
        } else {
            self.i += 1;
        }
        self.line_start = self.i;
        self.line += 1;
    }
    fn skip_inline_ws(&mut self) {
        while let Some(c) = self.peek() {
            if is_ws(c) {
                self.i += 1;
            } else {
                break;
            }
        }
    }
    /// Skip blanks, failing on a tab at a column before `limit` (libyaml's tab checks).
    fn skip_ws_tab_before(&mut self, limit: i32, msg: &str) -> ParseResult<()> {
        while let Some(c) = self.peek() {
            if c == b'\t' && self.col() < limit {
                return self.err(msg);
            }
            if !is_ws(c) {
                break;
            }
            self.i += 1;
        }
        Ok(())
    }

    /// Skip spaces, comments and line breaks; returns true if a line break was crossed.
    /// A tab in a line's indentation is an error in block context, as in libyaml.
    fn skip_to_content(&mut self) -> ParseResult<bool> {
        let mut crossed = false;
        loop {
            if self.i == self.line_start {
                self.skip_ws_tab_before(i32::MAX, "found character that cannot start any token")?;
            } else {
                self.skip_inline_ws();
            }
            match self.peek() {
                Some(b'#') => {
                    while let Some(c) = self.peek() {
                        if is_break(c) {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Some(c) if is_break(c) => {
                    self.newline();
                    crossed = true;
                }
                _ => return Ok(crossed),
            }
        }
    }
    fn at_doc_marker(&self) -> bool {
        self.col() == 0
            && (self.s[self.i..].starts_with(b"---") || self.s[self.i..].starts_with(b"..."))
            && self.blank_at(3)
    }

    pub(super) fn parse_stream_first(&mut self) -> ParseResult<Node> {
        // directives and leading document marker
        let mut directives = false;
        loop {
            self.skip_to_content()?;
            if self.col() == 0 && self.peek() == Some(b'%') {
                directives = true;
                while let Some(c) = self.peek() {
                    if is_break(c) {
                        break;
                    }
                    self.i += 1;
                }
                continue;
            }
            break;
        }
        if self.at_doc_marker() && self.s[self.i] == b'-' {
            self.i += 3;
        } else if directives {
            return self.err("did not find expected <document start>");
        }
        self.skip_to_content()?;
        if self.eof() || self.at_doc_marker() {
            return Ok(Node::Null);
        }
        let n = self.parse_node(-1, false)?;
        self.skip_to_content()?;
        if !self.eof() && !self.at_doc_marker() {
            return self.err("did not find expected <document start>");
        }
        Ok(n)
    }

    /// Parse a block node whose first token is at the current position.
    fn parse_node(&mut self, parent: i32, inline: bool) -> ParseResult<Node> {
        self.count_nodes(1, false)?;
        let mut anchor: Option<String> = None;
        let mut tag: Option<String> = None;
        loop {
            match self.peek() {
                Some(b'&') => {
                    self.i += 1;
                    let st = self.i;
                    while let Some(c) = self.peek() {
                        if is_ws(c) || is_break(c) || is_flow_ind(c) {
                            break;
                        }
                        self.i += 1;
                    }
                    anchor = Some(gotemplate::value::utf8_lossy(&self.s[st..self.i]));
                    self.skip_inline_ws();
                }
                Some(b'!') => {
                    let st = self.i;
                    while let Some(c) = self.peek() {
                        if is_ws(c) || is_break(c) {
                            break;
                        }
                        self.i += 1;
                    }
                    tag = Some(gotemplate::value::utf8_lossy(&self.s[st..self.i]));
                    self.skip_inline_ws();
                }
                _ => break,
            }
        }
        let col_before = self.col();
        let had_props = anchor.is_some() || tag.is_some();
        if had_props && (self.peek().is_none_or(is_break) || self.peek() == Some(b'#')) {
            // content on following lines
            self.skip_to_content()?;
            let node = if self.eof() || self.col() <= parent || self.at_doc_marker() {
                if self.col() == parent.max(0)
                    && parent >= 0
                    && self.peek() == Some(b'-')
                    && self.blank_at(1)
                {
                    self.parse_seq(parent, true)?
                } else {
                    Node::Null
                }
            } else {
                self.parse_node(parent, false)?
            };
            let node = apply_tag(node, tag);
            if let Some(a) = anchor {
                self.set_anchor(a, &node);
            }
            return Ok(node);
        }
        let _ = col_before;
        let node = self.parse_content(parent, inline, tag.clone())?;
        if let Some(a) = anchor {
            self.set_anchor(a, &node);
        }
        Ok(node)
    }

    fn parse_content(
        &mut self,
        parent: i32,
        inline: bool,
        tag: Option<String>,
    ) -> ParseResult<Node> {
        let col = self.col();
        let c = match self.peek() {
            None => return Ok(Node::Null),
            Some(c) => c,
        };
        if c == b'-' && self.blank_at(1) {
            if inline && parent >= 0 && col <= parent {
                return self.err("block sequence entries are not allowed in this context");
            }
            return Ok(apply_tag(self.parse_seq(col, false)?, tag));
        }
        if c == b'|' || c == b'>' {
            let text = self.parse_block_scalar(parent)?;
            return Ok(Node::Scalar {
                text,
                plain: false,
                tag,
            });
        }
        if c == b'?' && self.blank_at(1) {
            if inline {
                return self.err("mapping values are not allowed in this context");
            }
            let key = self.complex_key(col)?;
            return self.parse_map(col, key);
        }
        // a key or a scalar / flow node / alias
        let first = if c == b'[' || c == b'{' {
            self.flow_indent = parent;
            self.parse_flow()?
        } else if c == b'*' {
            self.parse_alias()?
        } else if c == b'"' || c == b'\'' {
            let text = self.parse_quoted(c)?;
            Node::Scalar {
                text,
                plain: false,
                tag: None,
            }
        } else {
            if matches!(c, b']' | b'}' | b',' | b'%' | b'@' | b'`') {
                return self.err("found character that cannot start any token");
            }
            let text = self.plain_line(false);
            Node::Scalar {
                text,
                plain: true,
                tag: None,
            }
        };
        let save = (self.i, self.line_start, self.line);
        self.skip_inline_ws();
        if self.peek() == Some(b':') && self.blank_at(1) {
            // block mapping at col
            if inline {
                return self.err("mapping values are not allowed in this context");
            }
            let key = apply_tag(first, tag.clone());
            return self.parse_map(col, key);
        }
        (self.i, self.line_start, self.line) = save;
        let node = match first {
            Node::Scalar {
                mut text,
                plain: true,
                ..
            } => {
                self.plain_continuation(parent, &mut text, false)?;
                Node::Scalar {
                    text,
                    plain: true,
                    tag: None,
                }
            }
            n => n,
        };
        Ok(apply_tag(node, tag))
    }

    /// `? key` (explicit key); leaves the position at the following `:` line.
    fn complex_key(&mut self, col: i32) -> ParseResult<Node> {
        self.i += 1;
        self.skip_inline_ws();
        let key = if self.peek().is_none_or(is_break) || self.peek() == Some(b'#') {
            self.skip_to_content()?;
            if self.col() > col {
                self.parse_node(col, false)?
            } else {
                Node::Null
            }
        } else {
            self.parse_node(col, false)?
        };
        self.skip_to_content()?;
        if !(self.col() == col && self.peek() == Some(b':') && self.blank_at(1)) {
            return self.err("could not find expected ':'");
        }
        Ok(key)
    }

    fn parse_alias(&mut self) -> ParseResult<Node> {
        self.i += 1;
        let st = self.i;
        while let Some(c) = self.peek() {
            if is_ws(c) || is_break(c) || is_flow_ind(c) {
                break;
            }
            // a ':' followed by blank ends an alias used as key
            if c == b':' && self.blank_at(1) {
                break;
            }
            self.i += 1;
        }
        let name = gotemplate::value::utf8_lossy(&self.s[st..self.i]);
        let size = match self.anchors.get(&name) {
            Some((_, size)) => *size,
            None => {
                return Err(YamlError(format!(
                    "yaml: unknown anchor '{name}' referenced"
                )));
            }
        };
        self.count_nodes(size, true)?;
        Ok(self.anchors[&name].0.clone())
    }

    fn parse_map(&mut self, col: i32, first_key: Node) -> ParseResult<Node> {
        self.nested(|p| p.parse_map_in(col, first_key))
    }

    fn parse_map_in(&mut self, col: i32, first_key: Node) -> ParseResult<Node> {
        let mut entries = Vec::new();
        let mut key = first_key;
        loop {
            // at ':'
            self.skip_inline_ws();
            if self.peek() != Some(b':') {
                return self.err("could not find expected ':'");
            }
            self.i += 1;
            self.skip_inline_ws();
            let value = if self.peek().is_none_or(is_break) || self.peek() == Some(b'#') {
                self.skip_to_content()?;
                if self.eof() || self.at_doc_marker() {
                    Node::Null
                } else if self.col() > col {
                    self.parse_node(col, false)?
                } else if self.col() == col && self.peek() == Some(b'-') && self.blank_at(1) {
                    self.parse_seq(col, true)?
                } else {
                    Node::Null
                }
            } else {
                self.parse_node(col, true)?
            };
            entries.push((key, value));
            self.skip_to_content()?;
            if self.eof() || self.at_doc_marker() || self.col() < col {
                break;
            }
            if self.col() > col {
                return self.err_at_token("did not find expected key");
            }
            // next key
            let c = self.peek().unwrap();
            key = if c == b'"' || c == b'\'' {
                let text = self.parse_quoted(c)?;
                Node::Scalar {
                    text,
                    plain: false,
                    tag: None,
                }
            } else if c == b'*' {
                self.parse_alias()?
            } else if c == b'[' || c == b'{' {
                self.flow_indent = col;
                self.parse_flow()?
            } else if c == b'-' && self.blank_at(1) {
                return self.err("did not find expected key");
            } else if c == b'&' || c == b'!' {
                // properties on a key
                let n = self.parse_node(col - 1, true)?;
                // parse_node would have consumed the map; unsupported
                let _ = n;
                return self.err("properties on mapping keys are not supported");
            } else if c == b'?' && self.blank_at(1) {
                self.complex_key(col)?
            } else {
                let text = self.plain_line(false);
                Node::Scalar {
                    text,
                    plain: true,
                    tag: None,
                }
            };
            self.skip_inline_ws();
            if !(self.peek() == Some(b':') && self.blank_at(1)) {
                return self.err("could not find expected ':'");
            }
        }
        Ok(Node::Map(entries))
    }

    /// A block sequence at column `col`; `indentless` when it is a mapping value at the key's
    /// column (it ends at the first line there without '-'; any other sequence may not).
    fn parse_seq(&mut self, col: i32, indentless: bool) -> ParseResult<Node> {
        self.nested(|p| p.parse_seq_in(col, indentless))
    }

    fn parse_seq_in(&mut self, col: i32, indentless: bool) -> ParseResult<Node> {
        let mut items = Vec::new();
        loop {
            // at '-'
            self.i += 1;
            // after '-' a simple key may start, and libyaml eats no tab there
            while self.peek() == Some(b' ') {
                self.i += 1;
            }
            if self.peek() == Some(b'\t') {
                return self.err("found character that cannot start any token");
            }
            let item = if self.peek().is_none_or(is_break) || self.peek() == Some(b'#') {
                self.skip_to_content()?;
                if self.eof() || self.at_doc_marker() || self.col() <= col {
                    Node::Null
                } else {
                    self.parse_node(col, false)?
                }
            } else {
                self.parse_node(col, false)?
            };
            items.push(item);
            self.skip_to_content()?;
            if self.eof() || self.at_doc_marker() || self.col() < col {
                break;
            }
            if self.col() == col && self.peek() == Some(b'-') && self.blank_at(1) {
                continue;
            }
            if self.col() == col && indentless {
                break;
            }
            // a parser error at this token: go-yaml prints its 0-based line
            return self.err_at_token("did not find expected '-' indicator");
        }
        Ok(Node::Seq(items))
    }

    /// Read a plain scalar's first line (block or flow context).
    fn plain_line(&mut self, flow: bool) -> String {
        let st = self.i;
        let mut end = self.i;
        while let Some(c) = self.peek() {
            if is_break(c) {
                break;
            }
            if c == b':' {
                let n = self.at(1);
                if n.is_none_or(|n| is_ws(n) || is_break(n) || (flow && is_flow_ind(n))) {
                    break;
                }
            }
            if c == b'#' && self.i > st && is_ws(self.s[self.i - 1]) {
                break;
            }
            if flow && is_flow_ind(c) {
                break;
            }
            self.i += 1;
            if !is_ws(c) {
                end = self.i;
            }
        }
        self.i = end;
        gotemplate::value::utf8_lossy(&self.s[st..end])
    }

    /// Continue a multi-line plain scalar on following lines indented more than `parent`.
    fn plain_continuation(
        &mut self,
        parent: i32,
        text: &mut String,
        flow: bool,
    ) -> ParseResult<()> {
        loop {
            let save = (self.i, self.line_start, self.line);
            self.skip_inline_ws();
            if !self.peek().is_some_and(is_break) {
                (self.i, self.line_start, self.line) = save;
                return Ok(());
            }
            // count line breaks and blank lines
            let mut breaks = 0;
            while self.peek().is_some_and(is_break) {
                self.newline();
                breaks += 1;
                // a tab left of the scalar's indentation (libyaml)
                self.skip_ws_tab_before(
                    parent + 1,
                    "found a tab character that violates indentation",
                )?;
            }
            let c = match self.peek() {
                Some(c) => c,
                None => {
                    (self.i, self.line_start, self.line) = save;
                    return Ok(());
                }
            };
            if (!flow && self.col() <= parent)
                || c == b'#'
                || self.at_doc_marker()
                || (flow && is_flow_ind(c))
                || (c == b':' && self.blank_at(1))
                || (!flow && c == b'-' && self.blank_at(1) && self.col() <= parent + 1)
            {
                (self.i, self.line_start, self.line) = save;
                return Ok(());
            }
            let line = self.plain_line(flow);
            if line.is_empty() {
                (self.i, self.line_start, self.line) = save;
                return Ok(());
            }
            if breaks == 1 {
                text.push(' ');
            } else {
                for _ in 1..breaks {
                    text.push('\n');
                }
            }
            text.push_str(&line);
            // a key cannot span lines: libyaml refuses the ':' that would make this one
            if !flow && self.peek() == Some(b':') && self.blank_at(1) {
                return self.err("mapping values are not allowed in this context");
            }
        }
    }

    #[expect(
        clippy::same_item_push,
        reason = "one line break per folded empty line, as the YAML spec words it"
    )]
    fn parse_quoted(&mut self, q: u8) -> ParseResult<String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = match self.peek() {
                None => return self.err("found unexpected end of stream"),
                Some(c) => c,
            };
            if q == b'\'' && c == b'\'' {
                if self.at(1) == Some(b'\'') {
                    out.push(b'\'');
                    self.i += 2;
                    continue;
                }
                self.i += 1;
                break;
            }
            if q == b'"' && c == b'"' {
                self.i += 1;
                break;
            }
            if q == b'"' && c == b'\\' {
                let e = match self.at(1) {
                    None => return self.err("found unexpected end of stream"),
                    Some(e) => e,
                };
                self.i += 2;
                let push_char = |ch: char, out: &mut Vec<u8>| {
                    let mut b = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                };
                match e {
                    b'0' => out.push(0),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b't' | b'\t' => out.push(b'\t'),
                    b'n' => out.push(b'\n'),
                    b'v' => out.push(11),
                    b'f' => out.push(12),
                    b'r' => out.push(b'\r'),
                    b'e' => out.push(27),
                    b' ' => out.push(b' '),
                    b'"' => out.push(b'"'),
                    b'/' => out.push(b'/'),
                    b'\\' => out.push(b'\\'),
                    b'N' => push_char('\u{85}', &mut out),
                    b'_' => push_char('\u{a0}', &mut out),
                    b'L' => push_char('\u{2028}', &mut out),
                    b'P' => push_char('\u{2029}', &mut out),
                    b'x' | b'u' | b'U' => {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        if self.i + n > self.s.len() {
                            return self.err("found unexpected end of stream");
                        }
                        let h = std::str::from_utf8(&self.s[self.i..self.i + n]).unwrap_or("");
                        let v = match u32::from_str_radix(h, 16) {
                            Ok(v) => v,
                            Err(_) => {
                                return self.err("did not find expected hexdecimal number");
                            }
                        };
                        self.i += n;
                        match char::from_u32(v) {
                            Some(ch) => push_char(ch, &mut out),
                            None => {
                                return self.err("found invalid Unicode character escape code");
                            }
                        }
                    }
                    b'\r' | b'\n' => {
                        // escaped line break: join
                        self.i -= 1;
                        self.newline();
                        self.skip_inline_ws();
                        continue;
                    }
                    _ => {
                        return self.err("found unknown escape character");
                    }
                }
                continue;
            }
            if is_break(c) {
                // fold: trim trailing whitespace
                while out.last().is_some_and(|&b| is_ws(b)) {
                    out.pop();
                }
                let mut breaks = 0;
                while self.peek().is_some_and(is_break) {
                    self.newline();
                    breaks += 1;
                    self.skip_inline_ws();
                }
                if breaks == 1 {
                    out.push(b' ');
                } else {
                    for _ in 1..breaks {
                        out.push(b'\n');
                    }
                }
                continue;
            }
            out.push(c);
            self.i += 1;
        }
        Ok(gotemplate::value::utf8_lossy_vec(out))
    }

    fn parse_block_scalar(&mut self, parent: i32) -> ParseResult<String> {
        let literal = self.peek() == Some(b'|');
        self.i += 1;
        let mut chomp = 0i8; // 0 clip, -1 strip, 1 keep
        let mut explicit: Option<i32> = None;
        for _ in 0..2 {
            match self.peek() {
                Some(b'-') => {
                    chomp = -1;
                    self.i += 1
                }
                Some(b'+') => {
                    chomp = 1;
                    self.i += 1
                }
                Some(c @ b'1'..=b'9') => {
                    explicit = Some((c - b'0') as i32);
                    self.i += 1
                }
                _ => {}
            }
        }
        self.skip_inline_ws();
        if self.peek() == Some(b'#') {
            while self.peek().is_some_and(|c| !is_break(c)) {
                self.i += 1;
            }
        }
        if let Some(c) = self.peek()
            && !is_break(c)
        {
            return self.err("did not find expected comment or line break");
        }
        if self.peek().is_some() {
            self.newline();
        }
        let base = parent.max(0);
        let mut indent: i32 = match explicit {
            Some(m) => base + m,
            None => -1,
        };
        if let Some(e) = explicit
            && parent < 0
        {
            indent = e;
        }
        let mut lines: Vec<String> = Vec::new();
        // the last content line ends the input without a line break: clip and keep have none
        // to keep (libyaml), as in `toYaml` output that Helm trimmed, read back by fromYaml
        let mut unterminated = false;
        loop {
            if self.eof() {
                break;
            }
            // measure indentation
            let ls = self.i;
            let mut k = 0;
            while self.at(k) == Some(b' ') {
                k += 1;
            }
            let after = self.at(k);
            if after == Some(b'\t') && (indent < 0 || (k as i32) < indent) {
                return self.err("found a tab character where an indentation space is expected");
            }
            let blank = after.is_none_or(is_break);
            if indent < 0 && !blank {
                let k = k as i32;
                if k <= parent {
                    break;
                }
                indent = k.max(if parent < 0 { 0 } else { parent + 1 });
            }
            if blank {
                let kk = k as i32;
                let text = if indent >= 0 && kk > indent {
                    String::from_utf8_lossy(&self.s[ls + indent as usize..ls + k]).into_owned()
                } else {
                    String::new()
                };
                lines.push(text);
                self.i = ls + k;
                if self.peek().is_some() {
                    self.newline();
                } else {
                    break;
                }
                continue;
            }
            if (k as i32) < indent {
                break;
            }
            if self.col() == 0 && k == 0 && self.at_doc_marker() {
                break;
            }
            let st = ls + indent as usize;
            self.i = st;
            while self.peek().is_some_and(|c| !is_break(c)) {
                self.i += 1;
            }
            lines.push(gotemplate::value::utf8_lossy(&self.s[st..self.i]));
            if self.peek().is_some() {
                self.newline();
            } else {
                unterminated = true;
            }
        }
        // Un-consume trailing blank lines' position issues: the parser continues after them anyway.
        let last = lines.iter().rposition(|l| !l.is_empty());
        let (body, trailing) = match last {
            Some(l) => (&lines[..=l], lines.len() - l - 1),
            None => (&lines[..0], lines.len()),
        };
        let mut out = String::new();
        if literal {
            out = body.join("\n");
        } else {
            let mut pending = 0usize;
            let mut prev_more = false;
            let mut started = false;
            for line in body {
                if line.is_empty() {
                    pending += 1;
                    continue;
                }
                let more = line.starts_with(' ') || line.starts_with('\t');
                if !started {
                    for _ in 0..pending {
                        out.push('\n');
                    }
                    started = true;
                } else if pending == 0 {
                    out.push(if !more && !prev_more { ' ' } else { '\n' });
                } else {
                    let n = if !more && !prev_more {
                        pending
                    } else {
                        pending + 1
                    };
                    for _ in 0..n {
                        out.push('\n');
                    }
                }
                out.push_str(line);
                prev_more = more;
                pending = 0;
            }
        }
        if !body.is_empty() && !unterminated {
            match chomp {
                -1 => {}
                0 => out.push('\n'),
                _ => {
                    out.push('\n');
                    for _ in 0..trailing {
                        out.push('\n');
                    }
                }
            }
        } else if body.is_empty() && chomp == 1 {
            for _ in 0..trailing {
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn skip_flow_ws(&mut self) {
        loop {
            self.skip_inline_ws();
            match self.peek() {
                Some(b'#') => {
                    while self.peek().is_some_and(|c| !is_break(c)) {
                        self.i += 1;
                    }
                }
                Some(c) if is_break(c) => self.newline(),
                _ => return,
            }
        }
    }

    fn parse_flow_node(&mut self) -> ParseResult<Node> {
        self.count_nodes(1, false)?;
        self.skip_flow_ws();
        let mut anchor = None;
        let mut tag = None;
        loop {
            match self.peek() {
                Some(b'&') => {
                    self.i += 1;
                    let st = self.i;
                    while self
                        .peek()
                        .is_some_and(|c| !(is_ws(c) || is_break(c) || is_flow_ind(c)))
                    {
                        self.i += 1;
                    }
                    anchor = Some(gotemplate::value::utf8_lossy(&self.s[st..self.i]));
                    self.skip_flow_ws();
                }
                Some(b'!') => {
                    let st = self.i;
                    while self
                        .peek()
                        .is_some_and(|c| !(is_ws(c) || is_break(c) || is_flow_ind(c)))
                    {
                        self.i += 1;
                    }
                    tag = Some(gotemplate::value::utf8_lossy(&self.s[st..self.i]));
                    self.skip_flow_ws();
                }
                _ => break,
            }
        }
        let node = match self.peek() {
            None => return self.err("did not find expected node content"),
            Some(b'[') | Some(b'{') => self.parse_flow()?,
            Some(b'*') => self.parse_alias()?,
            Some(q @ (b'"' | b'\'')) => Node::Scalar {
                text: self.parse_quoted(q)?,
                plain: false,
                tag: None,
            },
            Some(b',') | Some(b']') | Some(b'}') => Node::Null,
            Some(_) => {
                let mut text = self.plain_line(true);
                self.plain_continuation(self.flow_indent, &mut text, true)?;
                Node::Scalar {
                    text,
                    plain: true,
                    tag: None,
                }
            }
        };
        let node = apply_tag(node, tag);
        if let Some(a) = anchor {
            self.set_anchor(a, &node);
        }
        Ok(node)
    }

    fn parse_flow(&mut self) -> ParseResult<Node> {
        self.nested(|p| p.parse_flow_in())
    }

    fn parse_flow_in(&mut self) -> ParseResult<Node> {
        let open = self.peek().unwrap();
        self.i += 1;
        if open == b'[' {
            let mut items = Vec::new();
            loop {
                self.skip_flow_ws();
                match self.peek() {
                    // an entry is due (first, or after a ','): libyaml parses a node there
                    None => return self.err("did not find expected node content"),
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => {}
                }
                let n = self.parse_flow_node()?;
                self.skip_flow_ws();
                // single-pair mapping inside a sequence
                let n = if self.peek() == Some(b':') {
                    self.i += 1;
                    self.skip_flow_ws();
                    let v = if matches!(self.peek(), Some(b',') | Some(b']')) {
                        Node::Null
                    } else {
                        self.parse_flow_node()?
                    };
                    self.skip_flow_ws();
                    Node::Map(vec![(n, v)])
                } else {
                    n
                };
                items.push(n);
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                    }
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => return self.err("did not find expected ',' or ']'"),
                }
            }
            Ok(Node::Seq(items))
        } else {
            let mut entries = Vec::new();
            loop {
                self.skip_flow_ws();
                match self.peek() {
                    None => return self.err("did not find expected node content"),
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => {}
                }
                let k = self.parse_flow_node()?;
                self.skip_flow_ws();
                let v = if self.peek() == Some(b':') {
                    self.i += 1;
                    self.skip_flow_ws();
                    if matches!(self.peek(), Some(b',') | Some(b'}')) {
                        Node::Null
                    } else {
                        self.parse_flow_node()?
                    }
                } else {
                    Node::Null
                };
                entries.push((k, v));
                self.skip_flow_ws();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                    }
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return self.err("did not find expected ',' or '}'"),
                }
            }
            Ok(Node::Map(entries))
        }
    }
}

pub(super) fn apply_tag(node: Node, tag: Option<String>) -> Node {
    match (node, tag) {
        (n, None) => n,
        (Node::Scalar { text, plain, .. }, Some(t)) => Node::Scalar {
            text,
            plain,
            tag: Some(t),
        },
        (Node::Null, Some(t)) if t == "!!str" || t == "!" => Node::Scalar {
            text: String::new(),
            plain: false,
            tag: Some(t),
        },
        (n, Some(_)) => n,
    }
}
