//! Go text/template executor.

use super::error::TemplateError;
use super::parse::{Arg, Branch, Cmd, Node, Num, Pipe, Tree};
pub use super::signature::{ParamKind, Signature};
use super::strconv::go_quote;
use super::value::{Object, Value, sprint};
use std::collections::HashMap;
use std::rc::Rc;

/// The set of named templates.
pub type TemplateSet = HashMap<String, Rc<Tree>>;

/// The template functions and methods an executor calls: they live outside the executor (Go's
/// builtins, Sprig's and Helm's functions are libraries) and reach it through this trait.
pub trait FunctionLibrary {
    /// The parameters of a function, or `None` when no function has this name.
    fn signature(&self, name: &str) -> Option<Signature>;
    /// Calls a function with arguments already converted to its parameters' kinds.
    fn call(
        &self,
        st: &mut State,
        name: &str,
        args: Vec<Value>,
        dot: &Value,
    ) -> Result<Value, TemplateError>;
    /// The parameters of a method of `recv` (a map or an object), or `None` when it has none of
    /// this name (then a map's key or an object's field is looked up instead).
    fn method(&self, recv: &Value, name: &str) -> Option<Signature>;
    /// Calls a method of `recv` with converted arguments.
    fn call_method(
        &self,
        recv: &Value,
        name: &str,
        args: Vec<Value>,
    ) -> Result<Value, TemplateError>;
}

/// Shared execution context for one render.
pub struct Ctx {
    /// The functions and methods templates can call (beyond the executor's own).
    pub funcs: Box<dyn FunctionLibrary>,
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
    node_kind: NodeKind,
}

/// Which kind of node the error position refers to (its text is recovered lazily on error).
#[derive(Clone, Copy, PartialEq, Debug)]
enum NodeKind {
    Raw,
    Pipe,
    Cmd,
    Arg,
    Template,
}

fn find_in_nodes(nodes: &[Node], pos: usize, k: NodeKind) -> Option<String> {
    for n in nodes {
        let r = match n {
            Node::Action(p) => find_in_pipe(p, pos, k),
            Node::If(b) | Node::With(b) | Node::Range(b) => find_in_pipe(&b.pipe, pos, k)
                .or_else(|| find_in_nodes(&b.list, pos, k))
                .or_else(|| b.else_list.as_ref().and_then(|l| find_in_nodes(l, pos, k))),
            Node::Template { pos: p, name, pipe } => {
                if k == NodeKind::Template && *p == pos {
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

fn find_in_pipe(p: &Pipe, pos: usize, k: NodeKind) -> Option<String> {
    if k == NodeKind::Pipe && p.pos == pos {
        return Some(p.to_string());
    }
    for c in &p.cmds {
        if k == NodeKind::Cmd && c.pos == pos {
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

fn find_in_arg(a: &Arg, pos: usize, k: NodeKind) -> Option<String> {
    if k == NodeKind::Arg && a.pos() == pos {
        return Some(a.to_string());
    }
    match a {
        Arg::Pipe(_, p) => find_in_pipe(p, pos, k),
        Arg::Chain(_, inner, _) => find_in_arg(inner, pos, k),
        _ => None,
    }
}

pub type Res<T> = Result<T, TemplateError>;

const MAX_EXEC_DEPTH: usize = 100000;

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
            node_kind: NodeKind::Raw,
        }
    }

    fn at_k(&mut self, pos: usize, k: NodeKind) {
        self.node_pos = pos;
        self.node_kind = k;
    }

    fn context_string(&self) -> String {
        match self.node_kind {
            NodeKind::Raw => self.node_ctx.clone(),
            k => find_in_nodes(&self.tree.root, self.node_pos, k).unwrap_or_default(),
        }
    }

    /// Build an exec error at the current node.
    pub fn errorf(&self, msg: String, wrapped: Option<TemplateError>) -> TemplateError {
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
        TemplateError {
            msg: full.clone(),
            wrapped: Some(Box::new(TemplateError {
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
            return Err(TemplateError::new(format!(
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
                self.at_k(*pos, NodeKind::Template);
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
                Object::Strings(v, _) => {
                    for (i, s) in v.iter().enumerate() {
                        items.push((Value::Int(i as i64), Value::str(s)));
                    }
                }
                Object::Bytes(b, _) => {
                    for (i, x) in b.iter().enumerate() {
                        items.push((Value::Int(i as i64), Value::Byte(*x)));
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
            // An addressable KubeVersion is a fmt.Stringer through its pointer receiver.
            Value::Object(o) if let super::value::Object::KubeVersion { version, .. } = &**o => {
                out.push_str(version)
            }
            v => super::value::go_sprint_value(v, out),
        }
    }

    pub fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> Res<Value> {
        self.at_k(pipe.pos, NodeKind::Pipe);
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
                self.at_k(*pos, NodeKind::Arg);
                return self.eval_field_chain(dot, dot.clone(), first, ids, &cmd.args, fin);
            }
            Arg::Chain(pos, inner, ids) => {
                self.at_k(*pos, NodeKind::Arg);
                let recv = self.eval_arg_value(dot, inner)?;
                return self.eval_field_chain(dot, recv, first, ids, &cmd.args, fin);
            }
            Arg::Ident(pos, name) => {
                self.at_k(*pos, NodeKind::Arg);
                return self.eval_function(dot, name, *pos, cmd, &cmd.args, fin);
            }
            Arg::Pipe(_, p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(pos, name, ids) => {
                self.at_k(*pos, NodeKind::Arg);
                let v = self.var_value(name)?;
                if ids.is_empty() {
                    self.not_a_function(&cmd.args, &fin)?;
                    return Ok(v);
                }
                return self.eval_field_chain(dot, v, first, ids, &cmd.args, fin);
            }
            _ => {}
        }
        self.at_k(first.pos(), NodeKind::Arg);
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
        self.at_k(a.pos(), NodeKind::Arg);
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
            Value::Map(_) if let Some((params, variadic)) = self.ctx.funcs.method(&recv, name) => {
                let argv = self.eval_args(dot, name, params, variadic, args, fin)?;
                let r = self.ctx.funcs.call_method(&recv, name, argv);
                return match r {
                    Ok(v) => Ok((v, false)),
                    Err(e) => {
                        // Go names the method's node, as for any method returning an error
                        self.at_k(node.pos(), NodeKind::Arg);
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
        let recv = Value::Object(o.clone());
        if let Some((params, variadic)) = self.ctx.funcs.method(&recv, name) {
            let argv = self.eval_args(dot, name, params, variadic, args, fin)?;
            let r = self.ctx.funcs.call_method(&recv, name, argv);
            return match r {
                Ok(v) => Ok((v, false)),
                Err(e) => {
                    self.at_k(node.pos(), NodeKind::Arg);
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
        self.at_k(pos, NodeKind::Arg);
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
        let ctx = self.ctx;
        let sig = match ctx.funcs.signature(name) {
            Some(s) => s,
            None => return Err(self.errorf(format!("{:?} is not a defined function", name), None)),
        };
        let argv = self.eval_args(dot, name, sig.0, sig.1, args, fin)?;
        // as Go's evalCall: after a successful call the location stays on the last argument
        let (p0, k0) = (self.node_pos, self.node_kind);
        self.at_k(pos, NodeKind::Arg);
        let r = ctx.funcs.call(self, name, argv, dot);
        if r.is_ok() && args.len() > 1 {
            self.at_k(p0, k0);
        }
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at_k(_cmd.pos, NodeKind::Cmd);
                Err(self.errorf(format!("error calling {}: {}", name, e.msg), Some(e)))
            }
        }
    }

    fn eval_args(
        &mut self,
        dot: &Value,
        name: &str,
        params: &[ParamKind],
        variadic: Option<ParamKind>,
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
                variadic.unwrap_or(ParamKind::Any)
            };
            argv.push(self.validate_type(f, k, false)?);
        }
        Ok(argv)
    }

    fn eval_typed_arg(&mut self, dot: &Value, k: ParamKind, a: &Arg) -> Res<Value> {
        self.at_k(a.pos(), NodeKind::Arg);
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
                self.at_k(a.pos(), NodeKind::Arg);
                return self.validate_type(v, k, true);
            }
            Arg::Variable(_, _, ids) => {
                let v = self.eval_arg_value(dot, a)?;
                self.at_k(a.pos(), NodeKind::Arg);
                return self.validate_type(v, k, !ids.is_empty());
            }
            Arg::Ident(..) => {
                let v = self.eval_arg_value(dot, a)?;
                self.at_k(a.pos(), NodeKind::Arg);
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
            ParamKind::Any => self.eval_arg_value(dot, a),
            ParamKind::Str => match a {
                Arg::Str(_, _, s) => Ok(Value::Str(s.clone())),
                _ => Err(self.errorf(format!("expected string; found {}", a), None)),
            },
            ParamKind::Bool => match a {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                _ => Err(self.errorf(format!("expected bool; found {}", a), None)),
            },
            ParamKind::Int | ParamKind::Int64 => match a {
                Arg::Number(_, _, n) if n.is_int => Ok(if k == ParamKind::Int {
                    Value::Int(n.int)
                } else {
                    Value::Int64(n.int)
                }),
                _ => Err(self.errorf(format!("expected integer; found {}", a), None)),
            },
            ParamKind::Float => match a {
                Arg::Number(_, _, n) if n.is_float => Ok(Value::Float(n.float)),
                _ => Err(self.errorf(format!("expected float; found {}", a), None)),
            },
            ParamKind::Uint32 => match a {
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

    fn validate_type(&mut self, v: Value, k: ParamKind, from_map: bool) -> Res<Value> {
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
            ParamKind::Any => true,
            ParamKind::Str => matches!(v, Value::Str(_)),
            ParamKind::Bool => matches!(v, Value::Bool(_)),
            ParamKind::Int => matches!(v, Value::Int(_)),
            ParamKind::Int64 => matches!(v, Value::Int64(_)),
            ParamKind::Float => matches!(v, Value::Float(_)),
            ParamKind::Map => matches!(v, Value::Map(_)),
            ParamKind::List => matches!(v, Value::List(_)),
            ParamKind::StrList => matches!(v, Value::List(_)),
            ParamKind::Time => matches!(&v, Value::Object(o) if matches!(**o, Object::Time { .. })),
            ParamKind::Uint32 => false,
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
                return Err(TemplateError::new(format!(
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
