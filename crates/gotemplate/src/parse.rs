//! Go text/template lexer and parser.

use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Field,
    Variable,
    Identifier,
    Str,
    RawStr,
    Char,
    Number,
    Bool,
    Nil,
    Dot,
    LParen,
    RParen,
    Pipe,
    Assign,
    Declare,
    Comma,
    /// Any other printable ASCII character (Go's itemChar): valid nowhere, so the parser
    /// reports it as unexpected in its context.
    Punct,
    Keyword,
    Eof,
    /// Where the lexer stopped with an error (Go's itemError): Go lexes as the parser reads,
    /// so a parse error before this point wins over the lexer's.
    Error,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    t: Token,
    pos: usize,
    end: usize,
    line: usize,
}

/// A parse error (already in Go's `template: name:line: msg` shape).
#[derive(Debug, Clone)]
pub struct ParseError(pub String);

struct Lexer<'a> {
    name: &'a str,
    s: &'a str,
    pos: usize,
    line: usize,
    toks: Vec<Tok>,
    paren: i32,
    /// The lexer's error, reported when the parser reaches [`Token::Error`].
    error: Option<ParseError>,
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "nil", "template", "with",
];

fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r' || c == b'\n'
}
fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn err(&self, line: usize, msg: String) -> ParseError {
        ParseError(format!("template: {}:{}: {}", self.name, line, msg))
    }
    fn emit(&mut self, t: Token, start: usize, end: usize, line: usize) {
        self.toks.push(Tok {
            t,
            pos: start,
            end,
            line,
        });
    }

    fn run(&mut self) -> Result<(), ParseError> {
        let b = self.s.as_bytes();
        loop {
            // text
            let start = self.pos;
            let rel = self.s[self.pos..].find("{{");
            match rel {
                None => {
                    if self.pos < self.s.len() {
                        let line = self.line;
                        self.line += self.s[start..].matches('\n').count();
                        self.emit(Token::Text, start, self.s.len(), line);
                    }
                    self.toks.push(Tok {
                        t: Token::Eof,
                        pos: self.s.len(),
                        end: self.s.len(),
                        line: self.line,
                    });
                    return Ok(());
                }
                Some(r) => {
                    let ld = self.pos + r;
                    let mut text_end = ld;
                    let trim_left =
                        b.get(ld + 2) == Some(&b'-') && b.get(ld + 3).is_some_and(|&c| is_space(c));
                    if trim_left {
                        while text_end > start && is_space(b[text_end - 1]) {
                            text_end -= 1;
                        }
                    }
                    if text_end > start {
                        let line = self.line;
                        self.emit(Token::Text, start, text_end, line);
                    }
                    self.line += self.s[start..ld].matches('\n').count();
                    self.pos = ld + 2;
                    if trim_left {
                        self.pos += 2;
                    }
                    // comment?
                    let after_ws = self.pos;
                    if self.s[after_ws..].starts_with("/*") {
                        let body_start = after_ws;
                        let end = match self.s[body_start + 2..].find("*/") {
                            None => return Err(self.err(self.line, "unclosed comment".into())),
                            Some(e) => body_start + 2 + e + 2,
                        };
                        self.line += self.s[body_start..end].matches('\n').count();
                        self.pos = end;
                        // right delim with optional trim
                        let (ok, trim_right) = self.at_right_delim();
                        if !ok {
                            return Err(
                                self.err(self.line, "comment ends before closing delimiter".into())
                            );
                        }
                        self.pos += if trim_right { 4 } else { 2 };
                        if trim_right {
                            self.skip_ws_trim();
                        }
                        continue;
                    }
                    self.toks.push(Tok {
                        t: Token::LeftDelim,
                        pos: ld,
                        end: ld + 2,
                        line: self.line,
                    });
                    self.paren = 0;
                    self.lex_inside()?;
                }
            }
        }
    }

    fn skip_ws_trim(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && is_space(b[self.pos]) {
            if b[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
    }

    /// Are we at a right delimiter (`}}` or ` -}}`)?
    fn at_right_delim(&self) -> (bool, bool) {
        let b = self.s.as_bytes();
        let p = self.pos;
        if b.get(p).is_some_and(|&c| is_space(c))
            && b.get(p + 1) == Some(&b'-')
            && self.s[p + 2..].starts_with("}}")
        {
            return (true, true);
        }
        (self.s[p..].starts_with("}}"), false)
    }

    fn lex_inside(&mut self) -> Result<(), ParseError> {
        let b = self.s.as_bytes();
        loop {
            let (rd, trim) = self.at_right_delim();
            if rd {
                if self.paren > 0 {
                    return Err(self.err(self.line, "unclosed left paren".into()));
                }
                if trim {
                    self.toks.push(Tok {
                        t: Token::Space,
                        pos: self.pos,
                        end: self.pos + 1,
                        line: self.line,
                    });
                    self.pos += 2;
                }
                let p = self.pos;
                self.toks.push(Tok {
                    t: Token::RightDelim,
                    pos: p,
                    end: p + 2,
                    line: self.line,
                });
                self.pos += 2;
                if trim {
                    self.skip_ws_trim();
                }
                return Ok(());
            }
            let start = self.pos;
            let line = self.line;
            let c = match b.get(self.pos) {
                None => return Err(self.err(self.line, "unclosed action".into())),
                Some(&c) => c,
            };
            match c {
                c if is_space(c) => {
                    while self.pos < b.len() && is_space(b[self.pos]) {
                        // stop before " -}}"
                        if b.get(self.pos + 1) == Some(&b'-')
                            && self.s[self.pos + 2..].starts_with("}}")
                        {
                            break;
                        }
                        if b[self.pos] == b'\n' {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                    if self.pos == start {
                        // single space before -}}: handled by at_right_delim
                        self.pos += 1;
                        if b[start] == b'\n' {
                            self.line += 1;
                        }
                    }
                    self.emit(Token::Space, start, self.pos, line);
                }
                b'=' => {
                    self.pos += 1;
                    self.emit(Token::Assign, start, self.pos, line);
                }
                b':' => {
                    if b.get(self.pos + 1) != Some(&b'=') {
                        return Err(self.err(line, "expected :=".into()));
                    }
                    self.pos += 2;
                    self.emit(Token::Declare, start, self.pos, line);
                }
                b'|' => {
                    self.pos += 1;
                    self.emit(Token::Pipe, start, self.pos, line);
                }
                b'"' => {
                    self.pos += 1;
                    loop {
                        match b.get(self.pos) {
                            None | Some(b'\n') => {
                                return Err(self.err(line, "unterminated quoted string".into()));
                            }
                            Some(b'\\') => self.pos += 2,
                            Some(b'"') => {
                                self.pos += 1;
                                break;
                            }
                            _ => self.pos += 1,
                        }
                    }
                    self.emit(Token::Str, start, self.pos, line);
                }
                b'`' => {
                    self.pos += 1;
                    match self.s[self.pos..].find('`') {
                        None => return Err(self.err(line, "unterminated raw quoted string".into())),
                        Some(e) => {
                            self.line += self.s[self.pos..self.pos + e].matches('\n').count();
                            self.pos += e + 1;
                        }
                    }
                    self.emit(Token::RawStr, start, self.pos, line);
                }
                b'\'' => {
                    self.pos += 1;
                    loop {
                        match b.get(self.pos) {
                            None | Some(b'\n') => {
                                return Err(
                                    self.err(line, "unterminated character constant".into())
                                );
                            }
                            Some(b'\\') => self.pos += 2,
                            Some(b'\'') => {
                                self.pos += 1;
                                break;
                            }
                            _ => self.pos += 1,
                        }
                    }
                    self.emit(Token::Char, start, self.pos, line);
                }
                b'$' => {
                    self.pos += 1;
                    self.scan_ident();
                    self.emit(Token::Variable, start, self.pos, line);
                }
                b'.' => {
                    if b.get(self.pos + 1).is_some_and(|c| c.is_ascii_digit()) {
                        self.scan_number()?;
                        self.emit(Token::Number, start, self.pos, line);
                    } else {
                        self.pos += 1;
                        let s2 = self.pos;
                        self.scan_ident();
                        if self.pos == s2 {
                            self.emit(Token::Dot, start, self.pos, line);
                        } else {
                            self.emit(Token::Field, start, self.pos, line);
                        }
                    }
                }
                b'+' | b'-' | b'0'..=b'9' => {
                    self.scan_number()?;
                    self.emit(Token::Number, start, self.pos, line);
                }
                b'(' => {
                    self.pos += 1;
                    self.paren += 1;
                    self.emit(Token::LParen, start, self.pos, line);
                }
                b')' => {
                    self.pos += 1;
                    self.paren -= 1;
                    if self.paren < 0 {
                        return Err(self.err(line, "unexpected right paren".into()));
                    }
                    self.emit(Token::RParen, start, self.pos, line);
                }
                b',' => {
                    self.pos += 1;
                    self.emit(Token::Comma, start, self.pos, line);
                }
                _ => {
                    let ch = self.s[self.pos..].chars().next().unwrap();
                    if is_alnum(ch) {
                        self.scan_ident();
                        let w = &self.s[start..self.pos];
                        // identifiers must be followed by a valid terminator
                        let t = if KEYWORDS.contains(&w) {
                            if w == "nil" {
                                Token::Nil
                            } else {
                                Token::Keyword
                            }
                        } else if w == "true" || w == "false" {
                            Token::Bool
                        } else {
                            Token::Identifier
                        };
                        self.emit(t, start, self.pos, line);
                    } else if ch.is_ascii_graphic() {
                        self.pos += 1;
                        self.emit(Token::Punct, start, self.pos, line);
                    } else {
                        let shown =
                            crate::sprintf::sprintf("%#U", &[crate::value::Value::Int(ch as i64)]);
                        return Err(
                            self.err(line, format!("unrecognized character in action: {shown}"))
                        );
                    }
                }
            }
        }
    }

    fn scan_ident(&mut self) {
        while let Some(ch) = self.s[self.pos..].chars().next() {
            if is_alnum(ch) {
                self.pos += ch.len_utf8();
            } else {
                break;
            }
        }
    }

    fn scan_number(&mut self) -> Result<(), ParseError> {
        let b = self.s.as_bytes();
        let start = self.pos;
        if matches!(b.get(self.pos), Some(b'+') | Some(b'-')) {
            self.pos += 1;
        }
        while self.pos < b.len()
            && (b[self.pos].is_ascii_alphanumeric()
                || b[self.pos] == b'.'
                || b[self.pos] == b'_'
                || ((b[self.pos] == b'+' || b[self.pos] == b'-')
                    && matches!(b[self.pos - 1], b'e' | b'E' | b'p' | b'P')))
        {
            self.pos += 1;
        }
        if self.pos == start + 1 && !b[start].is_ascii_digit() {
            return Err(self.err(
                self.line,
                format!("bad number syntax: {:?}", &self.s[start..self.pos]),
            ));
        }
        Ok(())
    }
}

/// Template AST.
#[derive(Debug, Clone)]
pub enum Node {
    Text(Rc<str>),
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break(usize),
    Continue(usize),
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub struct Cmd {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `.A.B` (pos, idents)
    Field(usize, Vec<String>),
    /// `$x.A` (pos, name, idents)
    Variable(usize, String, Vec<String>),
    /// `(pipe).A` or other chains
    Chain(usize, Box<Arg>, Vec<String>),
    Ident(usize, String),
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, String, Num),
    Str(usize, String, Rc<str>),
    Pipe(usize, Box<Pipe>),
}

/// A parsed number constant.
#[derive(Debug, Clone, Copy)]
pub struct Num {
    pub is_int: bool,
    pub int: i64,
    pub is_float: bool,
    pub float: f64,
    /// character constant (rune)
    pub is_char: bool,
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field(p, _) | Arg::Variable(p, _, _) | Arg::Chain(p, _, _) | Arg::Ident(p, _) => {
                *p
            }
            Arg::Dot(p)
            | Arg::Nil(p)
            | Arg::Bool(p, _)
            | Arg::Number(p, _, _)
            | Arg::Str(p, _, _) => *p,
            Arg::Pipe(p, _) => *p,
        }
    }
}

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Field(_, ids) => {
                for i in ids {
                    write!(f, ".{}", i)?;
                }
                Ok(())
            }
            Arg::Variable(_, n, ids) => {
                write!(f, "{}", n)?;
                for i in ids {
                    write!(f, ".{}", i)?;
                }
                Ok(())
            }
            Arg::Chain(_, n, ids) => {
                write!(f, "{}", n)?;
                for i in ids {
                    write!(f, ".{}", i)?;
                }
                Ok(())
            }
            Arg::Ident(_, n) => write!(f, "{}", n),
            Arg::Dot(_) => write!(f, "."),
            Arg::Nil(_) => write!(f, "nil"),
            Arg::Bool(_, b) => write!(f, "{}", b),
            Arg::Number(_, t, _) => write!(f, "{}", t),
            Arg::Str(_, t, _) => write!(f, "{}", t),
            Arg::Pipe(_, p) => write!(f, "({})", p),
        }
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            write!(f, "{}", a)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.decl.is_empty() {
            write!(f, "{}", self.decl.join(", "))?;
            write!(f, "{}", if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                write!(f, " | ")?;
            }
            write!(f, "{}", c)?;
        }
        Ok(())
    }
}

/// A parsed template (one file or one define).
#[derive(Debug)]
pub struct Tree {
    pub name: String,
    /// The name of the file it was parsed from (for error locations).
    pub parse_name: Rc<str>,
    /// The full source text (for line/column of positions).
    pub text: Rc<str>,
    pub root: Vec<Node>,
}

impl Tree {
    /// Go's `ErrorContext` location: `name:line:col`.
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let text = &self.text[..pos];
        let byte_num = match text.rfind('\n') {
            None => pos,
            Some(i) => pos - (i + 1),
        };
        let line = 1 + text.matches('\n').count();
        format!("{}:{}:{}", self.parse_name, line, byte_num)
    }
}

struct Parser<'a> {
    lx: &'a Lexer<'a>,
    i: usize,
    name: Rc<str>,
    text: Rc<str>,
    vars: Vec<String>,
    range_depth: usize,
    defs: Vec<Tree>,
    has_func: &'a dyn Fn(&str) -> bool,
}

fn is_empty_tree(nodes: &[Node]) -> bool {
    nodes.iter().all(|n| match n {
        Node::Text(t) => t
            .trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r')
            .is_empty(),
        _ => false,
    })
}

impl<'a> Parser<'a> {
    fn tv(&self, t: &Tok) -> &'a str {
        &self.lx.s[t.pos..t.end]
    }
    fn peek(&self) -> &Tok {
        &self.lx.toks[self.i.min(self.lx.toks.len() - 1)]
    }
    fn next(&mut self) -> Tok {
        let t = self.lx.toks[self.i.min(self.lx.toks.len() - 1)];
        self.i += 1;
        t
    }
    fn backup(&mut self) {
        self.i -= 1;
    }
    fn next_non_space(&mut self) -> Tok {
        loop {
            let t = self.next();
            if t.t != Token::Space {
                return t;
            }
        }
    }
    fn peek_non_space(&mut self) -> Tok {
        let t = self.next_non_space();
        self.backup();
        t
    }
    fn err<X>(&self, line: usize, msg: String) -> Result<X, ParseError> {
        Err(ParseError(format!(
            "template: {}:{}: {}",
            self.name, line, msg
        )))
    }
    fn unexpected<X>(&self, t: &Tok, ctx: &str) -> Result<X, ParseError> {
        if let (Token::Error, Some(e)) = (t.t, &self.lx.error) {
            return Err(e.clone());
        }
        let desc = match t.t {
            Token::Eof => "EOF".to_string(),
            Token::RightDelim => "\"}}\"".to_string(),
            Token::Keyword | Token::Identifier | Token::Bool | Token::Nil => {
                format!("<{}>", self.tv(t))
            }
            Token::Space => "space".into(),
            _ => format!("{:?}", self.tv(t)),
        };
        self.err(t.line, format!("unexpected {} in {}", desc, ctx))
    }

    fn parse_top(&mut self) -> Result<Vec<Node>, ParseError> {
        let mut list = Vec::new();
        while self.peek().t != Token::Eof {
            if self.peek().t == Token::LeftDelim {
                let save = self.i;
                self.next();
                let t = self.next_non_space();
                if t.t == Token::Keyword && self.tv(&t) == "define" {
                    self.parse_definition()?;
                    continue;
                }
                self.i = save;
            }
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::End(t) => return self.err(t.line, "unexpected {{end}}".into()),
                Item::Else(t, _) => return self.err(t.line, "unexpected {{else}}".into()),
                Item::Nothing => {}
            }
        }
        Ok(list)
    }

    fn parse_definition(&mut self) -> Result<(), ParseError> {
        let ctx = "define clause";
        let name_tok = self.next_non_space();
        let name = match name_tok.t {
            Token::Str | Token::RawStr => unquote(self.tv(&name_tok)).map_err(|e| {
                ParseError(format!("template: {}:{}: {}", self.name, name_tok.line, e))
            })?,
            _ => return self.unexpected(&name_tok, ctx),
        };
        let t = self.next_non_space();
        if t.t != Token::RightDelim {
            return self.unexpected(&t, ctx);
        }
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        match end {
            Item::End(_) => {}
            Item::Else(t, _) => return self.unexpected(&t, ctx),
            _ => {}
        }
        self.defs.push(Tree {
            name,
            parse_name: self.name.clone(),
            text: self.text.clone(),
            root: list,
        });
        Ok(())
    }

    fn item_list(&mut self) -> Result<(Vec<Node>, Item), ParseError> {
        let mut list = Vec::new();
        while self.peek_non_space().t != Token::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::Nothing => {}
                e @ (Item::End(_) | Item::Else(..)) => return Ok((list, e)),
            }
        }
        let t = *self.peek();
        self.err(t.line, "unexpected EOF".into())
    }

    fn text_or_action(&mut self) -> Result<Item, ParseError> {
        let t = self.next_non_space();
        match t.t {
            Token::Text => Ok(Item::Node(Node::Text(Rc::from(self.tv(&t))))),
            Token::LeftDelim => self.action(),
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> Result<Item, ParseError> {
        let t = self.next_non_space();
        if t.t == Token::Keyword {
            match self.tv(&t) {
                "block" => return self.block_control(),
                "break" | "continue" => {
                    if self.range_depth == 0 {
                        return self.err(
                            t.line,
                            format!("{{{{{}}}}} outside {{{{range}}}}", self.tv(&t)),
                        );
                    }
                    let r = self.next_non_space();
                    if r.t != Token::RightDelim {
                        return self.unexpected(&r, &format!("{{{{{}}}}}", self.tv(&t)));
                    }
                    return Ok(Item::Node(if self.tv(&t) == "break" {
                        Node::Break(t.pos)
                    } else {
                        Node::Continue(t.pos)
                    }));
                }
                "else" => {
                    let p = self.peek_non_space();
                    if p.t == Token::Keyword && (self.tv(&p) == "if" || self.tv(&p) == "with") {
                        return Ok(Item::Else(t, Some(self.tv(&p).to_string())));
                    }
                    let r = self.next_non_space();
                    if r.t != Token::RightDelim {
                        return self.unexpected(&r, "else");
                    }
                    return Ok(Item::Else(t, None));
                }
                "end" => {
                    let r = self.next_non_space();
                    if r.t != Token::RightDelim {
                        return self.unexpected(&r, "end");
                    }
                    return Ok(Item::End(t));
                }
                "if" => return Ok(Item::Node(Node::If(self.control("if", t.pos)?))),
                "range" => return Ok(Item::Node(Node::Range(self.control("range", t.pos)?))),
                "with" => return Ok(Item::Node(Node::With(self.control("with", t.pos)?))),
                "template" => return self.template_control(),
                _ => {}
            }
        }
        self.backup();
        let p = self.pipeline("command", Token::RightDelim)?;
        Ok(Item::Node(Node::Action(p)))
    }

    fn control(&mut self, ctx: &str, pos: usize) -> Result<Branch, ParseError> {
        let mark = self.vars.len();
        let pipe = self.pipeline(ctx, Token::RightDelim)?;
        if ctx == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if ctx == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        match next {
            Item::End(_) => {}
            Item::Else(et, chained) => {
                if let Some(kw) = chained.as_deref()
                    && ((ctx == "if" && kw == "if") || (ctx == "with" && kw == "with"))
                {
                    // else if / else with: consume keyword, parse nested control; shares the {{end}}
                    self.next_non_space();
                    let inner = self.control(ctx, et.pos)?;
                    let node = if ctx == "if" {
                        Node::If(inner)
                    } else {
                        Node::With(inner)
                    };
                    else_list = Some(vec![node]);
                } else if chained.is_some() {
                    // e.g. "else if" inside with: Go treats the keyword as stray input
                    let r = self.next_non_space();
                    return self.unexpected(&r, "input");
                } else {
                    let (el, end) = self.item_list()?;
                    match end {
                        Item::End(_) => {}
                        Item::Else(t, _) => {
                            return self.err(t.line, "expected end; found {{else}}".into());
                        }
                        _ => {}
                    }
                    else_list = Some(el);
                }
            }
            _ => {}
        }
        self.vars.truncate(mark);
        Ok(Branch {
            pos,
            pipe,
            list,
            else_list,
        })
    }

    /// The name and pipeline after `template` or `block`: the pipeline is optional for
    /// `template` and required for `block` (Go: "missing value for block clause").
    fn template_head(
        &mut self,
        ctx: &str,
        pipe_required: bool,
    ) -> Result<(Tok, String, Option<Pipe>), ParseError> {
        let tok = self.next_non_space();
        let name = match tok.t {
            Token::Str | Token::RawStr => unquote(self.tv(&tok))
                .map_err(|e| ParseError(format!("template: {}:{}: {}", self.name, tok.line, e)))?,
            _ => return self.unexpected(&tok, ctx),
        };
        let pipe = if pipe_required || self.next_non_space().t != Token::RightDelim {
            if !pipe_required {
                self.backup();
            }
            Some(self.pipeline(ctx, Token::RightDelim)?)
        } else {
            None
        };
        Ok((tok, name, pipe))
    }

    fn template_control(&mut self) -> Result<Item, ParseError> {
        let (tok, name, pipe) = self.template_head("template clause", false)?;
        Ok(Item::Node(Node::Template {
            pos: tok.pos,
            name,
            pipe,
        }))
    }

    fn block_control(&mut self) -> Result<Item, ParseError> {
        let ctx = "block clause";
        let (tok, name, pipe) = self.template_head(ctx, true)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if let Item::Else(t, _) = end {
            return self.unexpected(&t, ctx);
        }
        self.defs.push(Tree {
            name: name.clone(),
            parse_name: self.name.clone(),
            text: self.text.clone(),
            root: list,
        });
        Ok(Item::Node(Node::Template {
            pos: tok.pos,
            name,
            pipe,
        }))
    }

    fn pipeline(&mut self, ctx: &str, end: Token) -> Result<Pipe, ParseError> {
        let mut pipe = Pipe {
            pos: self.peek_non_space().pos,
            is_assign: false,
            decl: vec![],
            cmds: vec![],
        };
        // declarations
        'decls: loop {
            let v = self.peek_non_space();
            if v.t != Token::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let token_after = *self.peek();
            let nxt = self.peek_non_space();
            match nxt.t {
                Token::Assign | Token::Declare => {
                    pipe.is_assign = nxt.t == Token::Assign;
                    self.next_non_space();
                    pipe.decl.push(self.tv(&v).to_string());
                    self.vars.push(self.tv(&v).to_string());
                    break 'decls;
                }
                Token::Comma => {
                    self.next_non_space();
                    pipe.decl.push(self.tv(&v).to_string());
                    self.vars.push(self.tv(&v).to_string());
                    if ctx == "range" && pipe.decl.len() < 2 {
                        let p = self.peek_non_space();
                        if matches!(p.t, Token::Variable | Token::RightDelim | Token::RParen) {
                            continue 'decls;
                        }
                        return self.err(p.line, "range can only initialize variables".into());
                    }
                    return self.err(v.line, format!("too many declarations in {}", ctx));
                }
                _ => {
                    let _ = token_after;
                    self.i = save;
                    break 'decls;
                }
            }
        }
        loop {
            let t = self.next_non_space();
            if t.t == end {
                if pipe.cmds.is_empty() {
                    return self.err(t.line, format!("missing value for {}", ctx));
                }
                for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                    match &c.args[0] {
                        Arg::Bool(..)
                        | Arg::Dot(..)
                        | Arg::Nil(..)
                        | Arg::Number(..)
                        | Arg::Str(..) => {
                            let _ = i;
                            return self.err(
                                t.line,
                                format!("non executable command in pipeline stage {}", i + 1),
                            );
                        }
                        _ => {}
                    }
                }
                return Ok(pipe);
            }
            match t.t {
                Token::Bool
                | Token::Char
                | Token::Dot
                | Token::Field
                | Token::Identifier
                | Token::Number
                | Token::Nil
                | Token::RawStr
                | Token::Str
                | Token::Variable
                | Token::LParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, ctx),
            }
        }
    }

    fn command(&mut self) -> Result<Cmd, ParseError> {
        let mut cmd = Cmd {
            pos: self.peek_non_space().pos,
            args: vec![],
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.t {
                Token::Space => continue,
                Token::RightDelim | Token::RParen => self.backup(),
                Token::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            let t = *self.peek();
            return self.err(t.line, "empty command".into());
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> Result<Option<Arg>, ParseError> {
        let node = match self.term()? {
            None => return Ok(None),
            Some(n) => n,
        };
        if self.peek().t == Token::Field {
            let pos = self.peek().pos;
            let mut ids = Vec::new();
            while self.peek().t == Token::Field {
                let t = self.next();
                ids.push(self.tv(&t)[1..].to_string());
            }
            return Ok(Some(match node {
                Arg::Field(_, mut a) => {
                    a.extend(ids);
                    Arg::Field(pos, a)
                }
                Arg::Variable(_, n, mut a) => {
                    a.extend(ids);
                    Arg::Variable(pos, n, a)
                }
                Arg::Bool(..) | Arg::Str(..) | Arg::Number(..) | Arg::Nil(..) | Arg::Dot(..) => {
                    let l = self.peek().line;
                    return self.err(l, format!("unexpected . after term {:?}", node.to_string()));
                }
                n => Arg::Chain(pos, Box::new(n), ids),
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> Result<Option<Arg>, ParseError> {
        let t = self.next_non_space();
        Ok(Some(match t.t {
            Token::Identifier => {
                if !(self.has_func)(self.tv(&t)) {
                    return self.err(t.line, format!("function {:?} not defined", self.tv(&t)));
                }
                Arg::Ident(t.pos, self.tv(&t).to_string())
            }
            Token::Dot => Arg::Dot(t.pos),
            Token::Nil => Arg::Nil(t.pos),
            Token::Variable => {
                // split "$x" (fields come as separate tokens)
                if !self.vars.iter().any(|v| *v == self.tv(&t)) {
                    return self.err(t.line, format!("undefined variable {:?}", self.tv(&t)));
                }
                Arg::Variable(t.pos, self.tv(&t).to_string(), vec![])
            }
            Token::Field => Arg::Field(t.pos, vec![self.tv(&t)[1..].to_string()]),
            Token::Bool => Arg::Bool(t.pos, self.tv(&t) == "true"),
            Token::Char | Token::Number => {
                let n = parse_number(self.tv(&t), t.t == Token::Char).map_err(|e| {
                    ParseError(format!("template: {}:{}: {}", self.name, t.line, e))
                })?;
                Arg::Number(t.pos, self.tv(&t).to_string(), n)
            }
            Token::LParen => {
                let p = self.pipeline("parenthesized pipeline", Token::RParen)?;
                Arg::Pipe(t.pos, Box::new(p))
            }
            Token::Str | Token::RawStr => {
                let s = unquote(self.tv(&t)).map_err(|e| {
                    ParseError(format!("template: {}:{}: {}", self.name, t.line, e))
                })?;
                Arg::Str(t.pos, self.tv(&t).to_string(), Rc::from(s.as_str()))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Item {
    Node(Node),
    End(Tok),
    Else(Tok, Option<String>),
    #[allow(dead_code)]
    Nothing,
}

/// Go `strconv.Unquote` for "..." and `...` and '...'.
pub fn unquote(s: &str) -> Result<String, String> {
    if s.starts_with('`') {
        return Ok(s[1..s.len() - 1].replace('\r', ""));
    }
    let inner = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut it = inner.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = it.next().ok_or("invalid syntax")?;
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let h: String = (0..n).filter_map(|_| it.next()).collect();
                let v = u32::from_str_radix(&h, 16).map_err(|_| "invalid syntax")?;
                if e == 'x' {
                    // a byte; push as char if ASCII, else as latin byte (approximation)
                    out.push(char::from_u32(v).ok_or("invalid syntax")?);
                } else {
                    out.push(char::from_u32(v).ok_or("invalid syntax")?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap();
                for _ in 0..2 {
                    let d = it
                        .next()
                        .and_then(|c| c.to_digit(8))
                        .ok_or("invalid syntax")?;
                    v = v * 8 + d;
                }
                out.push(char::from_u32(v).ok_or("invalid syntax")?);
            }
            _ => return Err("invalid syntax".into()),
        }
    }
    Ok(out)
}

/// Go hex float literal (`0x1p60`, `0x1.8p-2`).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let body = s.strip_prefix("0x")?;
    let (mant, exp) = body.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in ip.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in fp.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let r = v * 2f64.powi(exp);
    Some(if neg { -r } else { r })
}

fn parse_number(text: &str, is_char: bool) -> Result<Num, String> {
    let mut n = Num {
        is_int: false,
        int: 0,
        is_float: false,
        float: 0.0,
        is_char,
    };
    if is_char {
        let s = unquote(&format!("\"{}\"", &text[1..text.len() - 1]))
            .map_err(|_| format!("malformed character constant: {}", text))?;
        let c = s
            .chars()
            .next()
            .ok_or_else(|| format!("malformed character constant: {}", text))?;
        n.is_int = true;
        n.int = c as i64;
        n.is_float = true;
        n.float = c as i64 as f64;
        return Ok(n);
    }
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = super::strconv::go_parse_int(&clean) {
        n.is_int = true;
        n.int = i;
        n.is_float = true;
        n.float = i as f64;
        return Ok(n);
    }
    if super::strconv::go_parse_uint(&clean).is_some() {
        return Err(format!("integer overflow: {}", text));
    }
    let lower = clean.to_ascii_lowercase();
    if lower.contains("0x") {
        return match parse_hex_float(&lower) {
            Some(f) => {
                n.is_float = true;
                n.float = f;
                if f == f.trunc() && f.abs() < 9.2e18 {
                    n.is_int = true;
                    n.int = f as i64;
                }
                Ok(n)
            }
            None => Err(format!("illegal number syntax: {:?}", text)),
        };
    }
    match clean.parse::<f64>() {
        Ok(f) if !lower.contains("inf") && !lower.contains("nan") => {
            n.is_float = true;
            n.float = f;
            if f == f.trunc() && f.abs() < 9.2e18 && !text.contains(['.', 'e', 'E']) {
                n.is_int = true;
                n.int = f as i64;
            } else if f == f.trunc() && f.abs() < 9.2e18 {
                // Go: float constant with integral value is also an int
                n.is_int = true;
                n.int = f as i64;
            }
            Ok(n)
        }
        _ => Err(format!("bad number syntax: {:?}", text)),
    }
}

/// Parse a template file. Returns the main tree plus the defines it contains.
pub fn parse(
    name: &str,
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<(Tree, Vec<Tree>), ParseError> {
    let mut lx = Lexer {
        name,
        s: text,
        pos: 0,
        line: 1,
        toks: Vec::new(),
        paren: 0,
        error: None,
    };
    if let Err(e) = lx.run() {
        let (pos, line) = (lx.pos.min(text.len()), lx.line);
        lx.toks.push(Tok {
            t: Token::Error,
            pos,
            end: pos,
            line,
        });
        lx.error = Some(e);
    }
    let name_rc: Rc<str> = Rc::from(name);
    let text_rc: Rc<str> = Rc::from(text);
    let mut p = Parser {
        lx: &lx,
        i: 0,
        name: name_rc.clone(),
        text: text_rc.clone(),
        vars: vec!["$".into()],
        range_depth: 0,
        defs: vec![],
        has_func,
    };
    let root = p.parse_top()?;
    if let Some(e) = &lx.error {
        return Err(e.clone());
    }
    let defs = std::mem::take(&mut p.defs);
    Ok((
        Tree {
            name: name.to_string(),
            parse_name: name_rc,
            text: text_rc,
            root,
        },
        defs,
    ))
}

/// Whether a tree is empty (only whitespace text): Go won't let it replace an existing template.
pub fn tree_is_empty(t: &Tree) -> bool {
    is_empty_tree(&t.root)
}
