//! Go text/template executor.

use super::funcs::{self, K};
use super::parse::{Arg, Branch, Cmd, Node, Num, Pipe, Tree};
use super::value::{Object, Value, sprint};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A template error as a Go error chain (outermost first).
#[derive(Debug, Clone)]
pub struct TErr {
    pub msg: String,
    pub wrapped: Option<Box<TErr>>,
    /// Is this a text/template ExecError?
    pub exec: bool,
}

impl TErr {
    pub fn new(msg: impl Into<String>) -> TErr {
        TErr {
            msg: msg.into(),
            wrapped: None,
            exec: false,
        }
    }
    pub fn wrap(msg: impl Into<String>, inner: TErr) -> TErr {
        TErr {
            msg: msg.into(),
            wrapped: Some(Box::new(inner)),
            exec: false,
        }
    }
}

impl std::fmt::Display for TErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

/// The set of named templates.
pub type TemplateSet = HashMap<String, Rc<Tree>>;

/// Shared execution context for one render.
pub struct Ctx {
    pub included: RefCell<HashMap<String, usize>>,
    pub keys: Option<std::sync::Arc<super::crypto::KeyPool>>,
    /// Output size cap (bytes) per template execution.
    pub max_output: usize,
}

pub enum Flow {
    Normal,
    Break,
    Continue,
}

pub struct State<'a> {
    pub ctx: &'a Ctx,
    pub set: Rc<TemplateSet>,
    pub tree: Rc<Tree>,
    vars: Vec<(String, Value)>,
    depth: usize,
    /// Position of the node being evaluated (for error context).
    node_pos: usize,
    node_ctx: String,
    node_kind: NK,
}

/// Which kind of node the error position refers to (its text is recovered lazily on error).
#[derive(Clone, Copy, PartialEq, Debug)]
enum NK {
    Raw,
    Pipe,
    Cmd,
    Arg,
    Template,
}

fn find_in_nodes(nodes: &[Node], pos: usize, k: NK) -> Option<String> {
    for n in nodes {
        let r = match n {
            Node::Action(p) => find_in_pipe(p, pos, k),
            Node::If(b) | Node::With(b) | Node::Range(b) => find_in_pipe(&b.pipe, pos, k)
                .or_else(|| find_in_nodes(&b.list, pos, k))
                .or_else(|| b.else_list.as_ref().and_then(|l| find_in_nodes(l, pos, k))),
            Node::Template { pos: p, name, pipe } => {
                if k == NK::Template && *p == pos {
                    Some(match pipe {
                        Some(pp) => format!("{{{{template {} {}}}}}", go_quote(name), pp),
                        None => format!("{{{{template {}}}}}", go_quote(name)),
                    })
                } else {
                    pipe.as_ref().and_then(|pp| find_in_pipe(pp, pos, k))
                }
            }
            _ => None,
        };
        if r.is_some() {
            return r;
        }
    }
    None
}

fn find_in_pipe(p: &Pipe, pos: usize, k: NK) -> Option<String> {
    if k == NK::Pipe && p.pos == pos {
        return Some(p.to_string());
    }
    for c in &p.cmds {
        if k == NK::Cmd && c.pos == pos {
            return Some(c.to_string());
        }
        for a in &c.args {
            if let Some(r) = find_in_arg(a, pos, k) {
                return Some(r);
            }
        }
    }
    None
}

fn find_in_arg(a: &Arg, pos: usize, k: NK) -> Option<String> {
    if k == NK::Arg && a.pos() == pos {
        return Some(a.to_string());
    }
    match a {
        Arg::Pipe(_, p) => find_in_pipe(p, pos, k),
        Arg::Chain(_, inner, _) => find_in_arg(inner, pos, k),
        _ => None,
    }
}

pub type Res<T> = Result<T, TErr>;

const MAX_EXEC_DEPTH: usize = 100000;

thread_local! {
    static VALUES_MAPS: RefCell<Vec<std::rc::Weak<RefCell<std::collections::BTreeMap<String, Value>>>>> = const { RefCell::new(Vec::new()) };
}

/// Mark a map as Helm's `common.Values` type (it has methods AsMap, YAML, Table). Maps of
/// finished renders are dropped and a map is marked once, so `.Values.Table` in a loop or many
/// renders in one process do not grow the list.
pub fn mark_values_map(v: &Value) {
    if let Value::Map(m) = v {
        VALUES_MAPS.with(|s| {
            let mut s = s.borrow_mut();
            s.retain(|w| w.strong_count() > 0);
            if !s.iter().any(|w| w.as_ptr() == Rc::as_ptr(m)) {
                s.push(Rc::downgrade(m));
            }
        });
    }
}

pub(super) fn is_values_map(m: &super::value::MapRef) -> bool {
    VALUES_MAPS.with(|s| s.borrow().iter().any(|w| w.as_ptr() == Rc::as_ptr(m)))
}

/// Helm's Values.Table: follow dotted keys through maps; the first missing or non-map key
/// fails as `"key" is not a table`.
fn values_table(v: &Value, name: &str) -> Result<Value, String> {
    let mut cur = v.clone();
    for seg in name.split('.') {
        cur = match cur.get(seg) {
            Some(t @ Value::Map(_)) => t,
            _ => return Err(format!("{} is not a table", go_quote(seg))),
        };
    }
    mark_values_map(&cur);
    Ok(cur)
}

/// Helm's Values.PathValue: the value (not a table) at a dotted path.
fn values_path_value(v: &Value, path: &str) -> Result<Value, String> {
    if path.is_empty() {
        return Err("YAML path cannot be empty".into());
    }
    let (table, key) = match path.rsplit_once('.') {
        Some((t, k)) => (
            values_table(v, t).map_err(|_| format!("{} is not a value", go_quote(k)))?,
            k,
        ),
        None => (v.clone(), path),
    };
    match table.get(key) {
        Some(Value::Map(_)) | None => Err(format!("{} is not a value", go_quote(key))),
        Some(x) => Ok(x),
    }
}

/// Go's `%q` (strconv.Quote).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if !go_is_print(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn go_is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    if (0x80..0xa0).contains(&u) || u == 0xad {
        return false;
    }
    if c.is_whitespace() && c != '\u{3000}' {
        // unicode.IsPrint: only ASCII space counts as printable space
        return false;
    }
    !matches!(u, 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xd800..=0xdfff)
        && !(0xf0000..=0x10ffff).contains(&u)
        && u != 0xfffe
        && u != 0xffff
}

#[allow(dead_code)]
fn truncate_ctx(s: &str) -> String {
    if s.chars().count() > 20 {
        let t: String = s.chars().take(20).collect();
        format!("{}...", t)
    } else {
        s.to_string()
    }
}

impl<'a> State<'a> {
    pub fn new(ctx: &'a Ctx, set: Rc<TemplateSet>, tree: Rc<Tree>, dot: Value) -> State<'a> {
        State {
            ctx,
            set,
            tree,
            vars: vec![("$".to_string(), dot)],
            depth: 0,
            node_pos: 0,
            node_ctx: String::new(),
            node_kind: NK::Raw,
        }
    }

    fn at_k(&mut self, pos: usize, k: NK) {
        self.node_pos = pos;
        self.node_kind = k;
    }

    fn context_string(&self) -> String {
        match self.node_kind {
            NK::Raw => self.node_ctx.clone(),
            k => find_in_nodes(&self.tree.root, self.node_pos, k).unwrap_or_default(),
        }
    }

    /// Build an exec error at the current node.
    pub fn errorf(&self, msg: String, wrapped: Option<TErr>) -> TErr {
        let full = if self.node_ctx.is_empty() && self.node_pos == usize::MAX {
            format!("template: {}: {}", self.tree.name, msg)
        } else {
            format!(
                "template: {}: executing {} at <{}>: {}",
                self.tree.location(self.node_pos),
                go_quote(&self.tree.name),
                self.context_string(),
                msg
            )
        };
        TErr {
            msg: full.clone(),
            wrapped: Some(Box::new(TErr {
                msg: full,
                wrapped: wrapped.map(Box::new),
                exec: false,
            })),
            exec: true,
        }
    }

    fn var_value(&self, name: &str) -> Res<Value> {
        for (n, v) in self.vars.iter().rev() {
            if n == name {
                return Ok(v.clone());
            }
        }
        Err(self.errorf(format!("undefined variable: {}", name), None))
    }

    fn set_var(&mut self, name: &str, v: Value) -> Res<()> {
        for (n, x) in self.vars.iter_mut().rev() {
            if n == name {
                *x = v;
                return Ok(());
            }
        }
        Err(self.errorf(format!("undefined variable: {}", name), None))
    }

    /// Execute a whole tree, writing into `out`.
    pub fn execute(&mut self, dot: &Value, out: &mut String) -> Res<()> {
        let tree = self.tree.clone();
        match self.walk_list(dot, &tree.root, out)? {
            Flow::Normal => Ok(()),
            _ => Ok(()),
        }
    }

    fn check_size(&self, out: &str) -> Res<()> {
        if out.len() > self.ctx.max_output {
            return Err(TErr::new(format!(
                "rendered output exceeds the limit of {} bytes",
                self.ctx.max_output
            )));
        }
        Ok(())
    }

    fn walk_list(&mut self, dot: &Value, list: &[Node], out: &mut String) -> Res<Flow> {
        for n in list {
            match self.walk(dot, n, out)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &Node, out: &mut String) -> Res<Flow> {
        match node {
            Node::Text(t) => {
                out.push_str(t);
                self.check_size(out)?;
            }
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(&v, out);
                    self.check_size(out)?;
                }
            }
            Node::If(b) => return self.walk_if_with(dot, b, false, out),
            Node::With(b) => return self.walk_if_with(dot, b, true, out),
            Node::Range(b) => return self.walk_range(dot, b, out),
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
            Node::Template { pos, name, pipe } => {
                self.at_k(*pos, NK::Template);
                let tmpl = match self.set.get(name) {
                    Some(t) => t.clone(),
                    None => {
                        return Err(
                            self.errorf(format!("template {} not defined", go_quote(name)), None)
                        );
                    }
                };
                if self.depth >= MAX_EXEC_DEPTH {
                    return Err(self.errorf(
                        format!("exceeded maximum template depth ({})", MAX_EXEC_DEPTH),
                        None,
                    ));
                }
                let newdot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Nil,
                };
                let saved_vars =
                    std::mem::replace(&mut self.vars, vec![("$".into(), newdot.clone())]);
                let saved_tree = std::mem::replace(&mut self.tree, tmpl.clone());
                self.depth += 1;
                let r = self.walk_list(&newdot, &tmpl.root, out);
                self.depth -= 1;
                self.tree = saved_tree;
                self.vars = saved_vars;
                r?;
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, dot: &Value, b: &Branch, with: bool, out: &mut String) -> Res<Flow> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &b.pipe)?;
        let truth = v.truthy();
        let r = if truth {
            if with {
                self.walk_list(&v, &b.list, out)
            } else {
                self.walk_list(dot, &b.list, out)
            }
        } else if let Some(el) = &b.else_list {
            self.walk_list(dot, el, out)
        } else {
            Ok(Flow::Normal)
        };
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, b: &Branch, out: &mut String) -> Res<Flow> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let mut items: Vec<(Value, Value)> = Vec::new();
        match &val {
            Value::List(l) => {
                for (i, v) in l.iter().enumerate() {
                    items.push((Value::Int(i as i64), v.clone()));
                }
            }
            Value::Map(m) => {
                for (k, v) in m.borrow().iter() {
                    items.push((Value::str(k), v.clone()));
                }
            }
            Value::Object(o) => match &**o {
                Object::Files(f) => {
                    for (k, v) in f.iter() {
                        items.push((Value::str(k), Value::bytes(v)));
                    }
                }
                Object::ApiVersions(v) => {
                    for (i, s) in v.iter().enumerate() {
                        items.push((Value::Int(i as i64), Value::str(s)));
                    }
                }
                Object::Bytes(b, _) => {
                    for (i, x) in b.iter().enumerate() {
                        items.push((Value::Int(i as i64), Value::Int(*x as i64)));
                    }
                }
                Object::StrMap(m) => {
                    for (k, v) in m.iter().flatten() {
                        items.push((Value::str(k), Value::str(v)));
                    }
                }
                _ => {
                    return Err(
                        self.errorf(format!("range can't iterate over {}", sprint(&val)), None)
                    );
                }
            },
            Value::Int(n) | Value::Int64(n) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.errorf(
                        format!("can't use {} to iterate over more than one variable", n),
                        None,
                    ));
                }
                for i in 0..*n {
                    items.push((Value::Int(i), Value::Int(i)));
                }
            }
            Value::Nil => {}
            _ => {
                return Err(self.errorf(format!("range can't iterate over {}", sprint(&val)), None));
            }
        }
        if items.is_empty() {
            let r = match &b.else_list {
                Some(el) => self.walk_list(dot, el, out),
                None => Ok(Flow::Normal),
            };
            self.vars.truncate(mark);
            return r.map(|_| Flow::Normal);
        }
        let nvars = self.vars.len();
        for (idx, elem) in items {
            if !b.pipe.decl.is_empty() {
                if b.pipe.is_assign {
                    if b.pipe.decl.len() > 1 {
                        self.set_var(&b.pipe.decl[0].clone(), idx.clone())?;
                        self.set_var(&b.pipe.decl[1].clone(), elem.clone())?;
                    } else {
                        self.set_var(&b.pipe.decl[0].clone(), elem.clone())?;
                    }
                } else {
                    let n = self.vars.len();
                    self.vars[n - 1].1 = elem.clone();
                    if b.pipe.decl.len() > 1 {
                        self.vars[n - 2].1 = idx.clone();
                    }
                }
            }
            let inner_mark = self.vars.len();
            let r = self.walk_list(&elem, &b.list, out);
            self.vars.truncate(inner_mark.max(nvars));
            match r? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn print_value(&mut self, v: &Value, out: &mut String) {
        match v {
            Value::Nil => out.push_str("<no value>"),
            Value::Str(s) => out.push_str(s),
            v => super::value::go_sprint_value(v, out),
        }
    }

    pub fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> Res<Value> {
        self.at_k(pipe.pos, NK::Pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v);
        }
        let value = value.unwrap_or_default();
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(var, value.clone())?;
            } else {
                self.vars.push((var.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&mut self, args: &[Arg], fin: &Option<Value>) -> Res<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.errorf(
                format!("can't give argument to non-function {}", args[0]),
                None,
            ));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Cmd, fin: Option<Value>) -> Res<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field(pos, ids) => {
                self.at_k(*pos, NK::Arg);
                return self.eval_field_chain(dot, dot.clone(), first, ids, &cmd.args, fin);
            }
            Arg::Chain(pos, inner, ids) => {
                self.at_k(*pos, NK::Arg);
                let recv = self.eval_arg_value(dot, inner)?;
                return self.eval_field_chain(dot, recv, first, ids, &cmd.args, fin);
            }
            Arg::Ident(pos, name) => {
                self.at_k(*pos, NK::Arg);
                return self.eval_function(dot, name, *pos, cmd, &cmd.args, fin);
            }
            Arg::Pipe(_, p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(pos, name, ids) => {
                self.at_k(*pos, NK::Arg);
                let v = self.var_value(name)?;
                if ids.is_empty() {
                    self.not_a_function(&cmd.args, &fin)?;
                    return Ok(v);
                }
                return self.eval_field_chain(dot, v, first, ids, &cmd.args, fin);
            }
            _ => {}
        }
        self.at_k(first.pos(), NK::Arg);
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.errorf("nil is not a command".into(), None)),
            Arg::Number(_, text, n) => self.ideal_constant(text, n),
            Arg::Str(_, _, s) => Ok(Value::Str(s.clone())),
            _ => Err(self.errorf(format!("can't evaluate command {}", first), None)),
        }
    }

    fn ideal_constant(&mut self, text: &str, n: &Num) -> Res<Value> {
        let is_hex_int = text.len() > 2
            && text.starts_with('0')
            && (text.as_bytes()[1] | 0x20) == b'x'
            && !text.contains(['p', 'P']);
        if n.is_float && !is_hex_int && !n.is_char && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        Err(self.errorf(format!("{} overflows int", text), None))
    }

    /// Evaluate an argument with no type constraint (evalEmptyInterface-ish, for chains/receivers).
    fn eval_arg_value(&mut self, dot: &Value, a: &Arg) -> Res<Value> {
        self.at_k(a.pos(), NK::Arg);
        match a {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Value::Nil),
            Arg::Field(_, ids) => self.eval_field_chain(dot, dot.clone(), a, ids, &[], None),
            Arg::Variable(_, name, ids) => {
                let v = self.var_value(name)?;
                if ids.is_empty() {
                    Ok(v)
                } else {
                    self.eval_field_chain(dot, v, a, ids, &[], None)
                }
            }
            Arg::Pipe(_, p) => self.eval_pipeline(dot, p),
            Arg::Ident(pos, name) => {
                let cmd = Cmd {
                    pos: *pos,
                    args: vec![a.clone()],
                };
                self.eval_function(dot, name, *pos, &cmd, std::slice::from_ref(a), None)
            }
            Arg::Chain(_, inner, ids) => {
                let recv = self.eval_arg_value(dot, inner)?;
                self.eval_field_chain(dot, recv, a, ids, &[], None)
            }
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Number(_, text, n) => self.ideal_constant(text, n),
            Arg::Str(_, _, s) => Ok(Value::Str(s.clone())),
        }
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value,
        recv: Value,
        node: &Arg,
        ids: &[String],
        args: &[Arg],
        fin: Option<Value>,
    ) -> Res<Value> {
        let n = ids.len();
        let mut recv = recv;
        let mut nil_iface = false;
        for (i, id) in ids.iter().enumerate() {
            let last = i == n - 1;
            let (a, f) = if last {
                (args, fin.clone())
            } else {
                (&[][..], None)
            };
            let (v, iface) = self.eval_field(
                dot,
                id,
                node,
                a,
                f,
                recv,
                nil_iface,
                i == 0 && matches!(node, Arg::Field(..)),
            )?;
            recv = v;
            nil_iface = iface;
        }
        Ok(recv)
    }

    /// Returns the value and whether it is a "nil interface" map element.
    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        node: &Arg,
        args: &[Arg],
        fin: Option<Value>,
        recv: Value,
        recv_from_map: bool,
        _first: bool,
    ) -> Res<(Value, bool)> {
        let has_args = args.len() > 1 || fin.is_some();
        match &recv {
            Value::Nil => {
                if recv_from_map {
                    return Err(self.errorf(
                        format!("nil pointer evaluating interface {{}}.{}", name),
                        None,
                    ));
                }
                return Ok((Value::Nil, false));
            }
            Value::Map(m)
                if matches!(name, "AsMap" | "YAML" | "Table" | "PathValue") && is_values_map(m) =>
            {
                let m = m.clone();
                let params: &[K] = if matches!(name, "Table" | "PathValue") {
                    &[K::Str]
                } else {
                    &[]
                };
                let argv = self.eval_args(dot, name, params, None, args, fin)?;
                let r = match name {
                    "AsMap" => Ok(Value::Map(m)),
                    "YAML" => Ok(Value::string(
                        super::yamlout::marshal(&Value::Map(m)).unwrap_or_default(),
                    )),
                    "Table" => values_table(&Value::Map(m), argv[0].as_str().unwrap_or("")),
                    _ => values_path_value(&Value::Map(m), argv[0].as_str().unwrap_or("")),
                };
                return match r {
                    Ok(v) => Ok((v, false)),
                    Err(e) => {
                        // Go names the method's node, as for any method returning an error
                        self.at_k(node.pos(), NK::Arg);
                        let e = TErr::new(e);
                        Err(self.errorf(format!("error calling {}: {}", name, e.msg), Some(e)))
                    }
                };
            }
            Value::Map(m) => {
                if has_args {
                    return Err(
                        self.errorf(format!("{} is not a method but has arguments", name), None)
                    );
                }
                let v = m.borrow().get(name).cloned().unwrap_or(Value::Nil);
                return Ok((v, true));
            }
            Value::Object(o) => {
                let o = o.clone();
                return self.eval_object_field(dot, &o, name, node, args, fin);
            }
            _ => {}
        }
        let ty = if recv_from_map {
            "interface {}"
        } else {
            recv.type_name()
        };
        Err(self.errorf(
            format!("can't evaluate field {} in type {}", name, ty),
            None,
        ))
    }

    fn eval_object_field(
        &mut self,
        dot: &Value,
        o: &Rc<Object>,
        name: &str,
        node: &Arg,
        args: &[Arg],
        fin: Option<Value>,
    ) -> Res<(Value, bool)> {
        let has_args = args.len() > 1 || fin.is_some();
        let field = |v: Value| -> Res<(Value, bool)> { Ok((v, false)) };
        match (&**o, name) {
            (Object::Capabilities { kube, .. }, "KubeVersion") => return field(kube.clone()),
            (Object::Capabilities { apis, .. }, "APIVersions") => return field(apis.clone()),
            (Object::Capabilities { helm, .. }, "HelmVersion") => return field(helm.clone()),
            (Object::KubeVersion { version, .. }, "Version") => return field(Value::str(version)),
            (Object::KubeVersion { major, .. }, "Major") => return field(Value::str(major)),
            (Object::KubeVersion { minor, .. }, "Minor") => return field(Value::str(minor)),
            (Object::HelmVersion { version, .. }, "Version") => return field(Value::str(version)),
            (Object::HelmVersion { git_commit, .. }, "GitCommit") => {
                return field(Value::str(git_commit));
            }
            (Object::HelmVersion { git_tree_state, .. }, "GitTreeState") => {
                return field(Value::str(git_tree_state));
            }
            (Object::HelmVersion { go_version, .. }, "GoVersion") => {
                return field(Value::str(go_version));
            }
            (
                Object::HelmVersion {
                    kube_client_version,
                    ..
                },
                "KubeClientVersion",
            ) => {
                return field(Value::str(kube_client_version));
            }
            _ => {}
        }
        // methods
        let method: Option<(&'static str, &'static [K], Option<K>)> = match (&**o, name) {
            (Object::KubeVersion { .. }, "String") | (Object::KubeVersion { .. }, "GitVersion") => {
                Some(("kv", &[], None))
            }
            (Object::ApiVersions(_), "Has") => Some(("has", &[K::Str], None)),
            (Object::Files(_), "Get")
            | (Object::Files(_), "GetBytes")
            | (Object::Files(_), "Lines") => Some(("f1", &[K::Str], None)),
            (Object::Files(_), "Glob") => Some(("f1", &[K::Str], None)),
            (Object::Files(_), "AsConfig") | (Object::Files(_), "AsSecrets") => {
                Some(("f0", &[], None))
            }
            _ => None,
        };
        if let Some((_, params, variadic)) = method {
            let argv = self.eval_args(dot, name, params, variadic, args, fin)?;
            let r = funcs::call_method(o, name, argv);
            return match r {
                Ok(v) => Ok((v, false)),
                Err(e) => {
                    self.at_k(node.pos(), NK::Arg);
                    Err(self.errorf(format!("error calling {}: {}", name, e.msg), Some(e)))
                }
            };
        }
        if let Object::Files(f) = &**o {
            if has_args {
                return Err(
                    self.errorf(format!("{} is not a method but has arguments", name), None)
                );
            }
            // a missing file is Go's zero []byte: prints [] and has length 0
            let v = f
                .get(name)
                .map_or_else(Value::nil_bytes, |b| Value::bytes(b));
            return Ok((v, false));
        }
        if let Object::StrMap(m) = &**o {
            if has_args {
                return Err(
                    self.errorf(format!("{} is not a method but has arguments", name), None)
                );
            }
            // missingkey=zero gives the element type's zero value: "" rather than <no value>
            let v = m.as_ref().and_then(|m| m.get(name));
            return Ok((Value::str(v.map_or("", |s| s.as_str())), false));
        }
        Err(self.errorf(
            format!(
                "can't evaluate field {} in type {}",
                name,
                Value::Object(o.clone()).type_name()
            ),
            None,
        ))
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        _cmd: &Cmd,
        args: &[Arg],
        fin: Option<Value>,
    ) -> Res<Value> {
        self.at_k(pos, NK::Arg);
        let rest = &args[1..];
        // short-circuit and/or
        if name == "and" || name == "or" {
            if rest.is_empty() && fin.is_none() {
                return Err(self.errorf(
                    format!("wrong number of args for {}: want at least 1 got 0", name),
                    None,
                ));
            }
            let mut v = Value::Nil;
            for a in rest {
                v = self.eval_arg_value(dot, a)?;
                let t = v.truthy();
                if (name == "and" && !t) || (name == "or" && t) {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let sig = match funcs::signature(name) {
            Some(s) => s,
            None => return Err(self.errorf(format!("{:?} is not a defined function", name), None)),
        };
        let argv = self.eval_args(dot, name, sig.0, sig.1, args, fin)?;
        // as Go's evalCall: after a successful call the location stays on the last argument
        let (p0, k0) = (self.node_pos, self.node_kind);
        self.at_k(pos, NK::Arg);
        let r = funcs::call(self, name, argv, dot);
        if r.is_ok() && args.len() > 1 {
            self.at_k(p0, k0);
        }
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at_k(_cmd.pos, NK::Cmd);
                Err(self.errorf(format!("error calling {}: {}", name, e.msg), Some(e)))
            }
        }
    }

    fn eval_args(
        &mut self,
        dot: &Value,
        name: &str,
        params: &[K],
        variadic: Option<K>,
        args: &[Arg],
        fin: Option<Value>,
    ) -> Res<Vec<Value>> {
        let rest = &args[1.min(args.len())..];
        let num_in = rest.len() + usize::from(fin.is_some());
        let num_fixed = params.len();
        if variadic.is_some() {
            if num_in < num_fixed {
                return Err(self.errorf(
                    format!(
                        "wrong number of args for {}: want at least {} got {}",
                        name,
                        num_fixed,
                        rest.len()
                    ),
                    None,
                ));
            }
        } else if num_in != num_fixed {
            return Err(self.errorf(
                format!(
                    "wrong number of args for {}: want {} got {}",
                    name, num_fixed, num_in
                ),
                None,
            ));
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in rest.iter().enumerate() {
            let k = if i < num_fixed {
                params[i]
            } else {
                variadic.unwrap()
            };
            argv.push(self.eval_typed_arg(dot, k, a)?);
        }
        if let Some(f) = fin {
            let k = if argv.len() < num_fixed {
                params[argv.len()]
            } else {
                variadic.unwrap_or(K::Any)
            };
            argv.push(self.validate_type(f, k, false)?);
        }
        Ok(argv)
    }

    fn eval_typed_arg(&mut self, dot: &Value, k: K, a: &Arg) -> Res<Value> {
        self.at_k(a.pos(), NK::Arg);
        match a {
            Arg::Dot(_) => return self.validate_type(dot.clone(), k, false),
            Arg::Nil(_) => {
                if k.can_be_nil() {
                    return Ok(Value::Nil);
                }
                return Err(self.errorf(format!("cannot assign nil to {}", k.go_name()), None));
            }
            Arg::Field(..) | Arg::Chain(..) => {
                let v = self.eval_arg_value(dot, a)?;
                self.at_k(a.pos(), NK::Arg);
                return self.validate_type(v, k, true);
            }
            Arg::Variable(_, _, ids) => {
                let v = self.eval_arg_value(dot, a)?;
                self.at_k(a.pos(), NK::Arg);
                return self.validate_type(v, k, !ids.is_empty());
            }
            Arg::Ident(..) => {
                let v = self.eval_arg_value(dot, a)?;
                self.at_k(a.pos(), NK::Arg);
                return self.validate_type(v, k, false);
            }
            Arg::Pipe(..) => {
                // as Go: no s.at(arg) here, a type error names the last node evaluated inside
                let v = self.eval_arg_value(dot, a)?;
                return self.validate_type(v, k, false);
            }
            _ => {}
        }
        match k {
            K::Any => self.eval_arg_value(dot, a),
            K::Str => match a {
                Arg::Str(_, _, s) => Ok(Value::Str(s.clone())),
                _ => Err(self.errorf(format!("expected string; found {}", a), None)),
            },
            K::Bool => match a {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                _ => Err(self.errorf(format!("expected bool; found {}", a), None)),
            },
            K::Int | K::Int64 => match a {
                Arg::Number(_, _, n) if n.is_int => Ok(if k == K::Int {
                    Value::Int(n.int)
                } else {
                    Value::Int64(n.int)
                }),
                _ => Err(self.errorf(format!("expected integer; found {}", a), None)),
            },
            K::Float => match a {
                Arg::Number(_, _, n) if n.is_float => Ok(Value::Float(n.float)),
                _ => Err(self.errorf(format!("expected float; found {}", a), None)),
            },
            K::Uint32 => match a {
                // reflect's SetUint truncates to the parameter's width
                Arg::Number(_, _, n) if n.is_int && n.int >= 0 => {
                    Ok(Value::Int(n.int as u32 as i64))
                }
                _ => Err(self.errorf(format!("expected unsigned integer; found {}", a), None)),
            },
            _ => Err(self.errorf(
                format!("can't handle {} for arg of type {}", a, k.go_name()),
                None,
            )),
        }
    }

    fn validate_type(&mut self, v: Value, k: K, from_map: bool) -> Res<Value> {
        if matches!(v, Value::Nil) {
            if k.can_be_nil() {
                return Ok(Value::Nil);
            }
            if from_map {
                return Err(self.errorf(
                    format!(
                        "wrong type for value; expected {}; got interface {{}}",
                        k.go_name()
                    ),
                    None,
                ));
            }
            return Err(self.errorf(format!("invalid value; expected {}", k.go_name()), None));
        }
        let ok = match k {
            K::Any => true,
            K::Str => matches!(v, Value::Str(_)),
            K::Bool => matches!(v, Value::Bool(_)),
            K::Int => matches!(v, Value::Int(_)),
            K::Int64 => matches!(v, Value::Int64(_)),
            K::Float => matches!(v, Value::Float(_)),
            K::Map => matches!(v, Value::Map(_)),
            K::List => matches!(v, Value::List(_)),
            K::StrList => matches!(v, Value::List(_)),
            K::Time => matches!(&v, Value::Object(o) if matches!(**o, Object::Time { .. })),
            K::Uint32 => false,
        };
        if !ok {
            return Err(self.errorf(
                format!(
                    "wrong type for value; expected {}; got {}",
                    k.go_name(),
                    v.type_name()
                ),
                None,
            ));
        }
        Ok(v)
    }

    /// Run a named template with a new dot (for `include`).
    pub fn exec_named(&mut self, name: &str, dot: Value) -> Res<String> {
        let tmpl = match self.set.get(name) {
            Some(t) => t.clone(),
            None => {
                return Err(TErr::new(format!(
                    "template: no template {} associated with template \"gotpl\"",
                    go_quote(name)
                )));
            }
        };
        let mut st = State::new(self.ctx, self.set.clone(), tmpl, dot.clone());
        let mut out = String::new();
        st.execute(&dot, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked() -> usize {
        VALUES_MAPS.with(|s| s.borrow().len())
    }

    #[test]
    fn values_maps_are_marked_once_and_dropped_with_their_render() {
        let v = Value::empty_map();
        let before = marked();
        mark_values_map(&v);
        mark_values_map(&v);
        assert_eq!(marked(), before + 1);
        let Value::Map(m) = &v else { unreachable!() };
        assert!(is_values_map(m));
        drop(v);
        let other = Value::empty_map();
        mark_values_map(&other);
        // the dropped map's entry is gone; only the live one stays
        assert_eq!(marked(), before + 1);
    }
}
