//! How many RSA keys a render can ask for, given its values.
//!
//! Why: the key pool searches primes on idle cores before any template asks for a key, and
//! that only pays when the keys are wanted. Cilium's templates call `genCA`/`genSignedCert`
//! behind `if` guards on the values (`hubble.tls.auto.method=helm`); with the guards off, a
//! search would only steal the core the render runs beside. So guards made of pure
//! functions over the values are evaluated here, as the render will evaluate them, and only
//! calls in branches the render can take are counted. This is an estimate, never a promise:
//! an undercount means the keys are searched when asked for, an overcount wastes a search.

use gotemplate::exec::{Ctx, State, TemplateSet};
use gotemplate::parse::{Arg, Node, Pipe, Tree};
use gotemplate::value::Value;
use std::collections::HashMap;
use std::rc::Rc;

/// Functions that make a fresh RSA key.
const KEY_FUNCS: &[&str] = &["genCA", "genSignedCert", "genSelfSignedCert"];

/// Functions without side effects, safe to call ahead of the render to decide a guard.
const PURE_FUNCS: &[&str] = &[
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "index",
    "empty",
    "default",
    "hasKey",
    "has",
    "kindIs",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "toString",
    "int",
];

/// Key-making calls reachable from the chart's renderable templates (`files`: each tree with
/// the data it renders with), through literal `include`/`template` names.
pub fn reachable_key_calls(ctx: &Ctx, set: &Rc<TemplateSet>, files: &[(Rc<Tree>, Value)]) -> usize {
    let mut w = Walker {
        set,
        memo: HashMap::new(),
        st: None,
    };
    let mut n = 0;
    for (tree, vals) in files {
        w.st = Some(State::new(
            ctx,
            Rc::clone(set),
            Rc::clone(tree),
            vals.clone(),
        ));
        n += w.nodes(&tree.root, Some(vals));
    }
    n
}

struct Walker<'a> {
    set: &'a Rc<TemplateSet>,
    /// Calls per define, by name (0 while being walked: recursion adds nothing).
    memo: HashMap<String, usize>,
    /// Evaluates guards of the template being walked.
    st: Option<State<'a>>,
}

impl Walker<'_> {
    /// `dot`: the data these nodes render with, when known (a template's top level).
    fn nodes(&mut self, nodes: &[Node], dot: Option<&Value>) -> usize {
        let mut n = 0;
        for node in nodes {
            n += match node {
                Node::Text(_) | Node::Break(_) | Node::Continue(_) => 0,
                Node::Action(p) => self.pipe(p),
                Node::Template { name, pipe, .. } => {
                    pipe.as_ref().map_or(0, |p| self.pipe(p)) + self.define(name)
                }
                Node::If(b) => match self.decide(&b.pipe, dot) {
                    Some(v) if v.truthy() => self.nodes(&b.list, dot),
                    Some(_) => b.else_list.as_ref().map_or(0, |l| self.nodes(l, dot)),
                    None => {
                        self.pipe(&b.pipe)
                            + self.nodes(&b.list, dot)
                            + b.else_list.as_ref().map_or(0, |l| self.nodes(l, dot))
                    }
                },
                Node::With(b) => match self.decide(&b.pipe, dot) {
                    Some(v) if v.truthy() => self.nodes(&b.list, Some(&v)),
                    Some(_) => b.else_list.as_ref().map_or(0, |l| self.nodes(l, dot)),
                    None => {
                        self.pipe(&b.pipe)
                            + self.nodes(&b.list, None)
                            + b.else_list.as_ref().map_or(0, |l| self.nodes(l, dot))
                    }
                },
                Node::Range(b) => {
                    self.pipe(&b.pipe)
                        + self.nodes(&b.list, None)
                        + b.else_list.as_ref().map_or(0, |l| self.nodes(l, dot))
                }
            };
        }
        n
    }

    /// The guard's value, if it is pure and evaluates without error.
    fn decide(&mut self, pipe: &Pipe, dot: Option<&Value>) -> Option<Value> {
        let dot = dot?;
        if !pure_pipe(pipe) {
            return None;
        }
        self.st.as_mut()?.eval_pipeline(dot, pipe).ok()
    }

    fn pipe(&mut self, p: &Pipe) -> usize {
        let mut n = 0;
        for cmd in &p.cmds {
            if let [Arg::Ident(_, f), Arg::Str(_, _, name), ..] = cmd.args.as_slice()
                && (f == "include" || f == "template")
            {
                n += self.define(name);
            }
            n += cmd.args.iter().map(|a| self.arg(a)).sum::<usize>();
        }
        n
    }

    fn arg(&mut self, a: &Arg) -> usize {
        match a {
            Arg::Ident(_, f) => usize::from(KEY_FUNCS.contains(&f.as_str())),
            Arg::Pipe(_, p) => self.pipe(p),
            Arg::Chain(_, a, _) => self.arg(a),
            _ => 0,
        }
    }

    fn define(&mut self, name: &str) -> usize {
        if let Some(&n) = self.memo.get(name) {
            return n;
        }
        let Some(tree) = self.set.get(name).cloned() else {
            return 0;
        };
        self.memo.insert(name.to_string(), 0);
        // a define's data is whatever its caller passes: its guards stay undecided
        let n = self.nodes(&tree.root, None);
        self.memo.insert(name.to_string(), n);
        n
    }
}

fn pure_pipe(p: &Pipe) -> bool {
    p.decl.is_empty() && p.cmds.iter().all(|c| c.args.iter().all(pure_arg))
}

fn pure_arg(a: &Arg) -> bool {
    match a {
        Arg::Field(..)
        | Arg::Dot(_)
        | Arg::Nil(_)
        | Arg::Bool(..)
        | Arg::Number(..)
        | Arg::Str(..) => true,
        // `$` is the template's top-level data; other variables are set while rendering
        Arg::Variable(_, name, _) => name == "$",
        Arg::Chain(_, a, _) => pure_arg(a),
        Arg::Pipe(_, p) => pure_pipe(p),
        Arg::Ident(_, f) => PURE_FUNCS.contains(&f.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `files` (name, source) into one set and counts against `values`.
    fn count(files: &[(&str, &str)], values: &str) -> usize {
        let mut set = TemplateSet::new();
        let mut roots = Vec::new();
        for (name, src) in files {
            let (tree, defs) =
                gotemplate::parse::parse(name, src, &super::super::functions::has_function)
                    .unwrap();
            for d in defs {
                set.insert(d.name.clone(), Rc::new(d));
            }
            let tree = Rc::new(tree);
            set.insert(name.to_string(), Rc::clone(&tree));
            if !name.rsplit('/').next().unwrap().starts_with('_') {
                roots.push(tree);
            }
        }
        let vals = super::super::yaml::parse_values(values).unwrap();
        let mut top = std::collections::BTreeMap::new();
        top.insert("Values".to_string(), vals);
        let top = Value::map(top);
        let ctx = Ctx {
            funcs: Box::new(super::super::functions::HelmFunctions::new(None)),
            max_output: 1 << 20,
        };
        let files: Vec<_> = roots.into_iter().map(|t| (t, top.clone())).collect();
        reachable_key_calls(&ctx, &Rc::new(set), &files)
    }

    const HELPERS: (&str, &str) = (
        "c/templates/_helpers.tpl",
        r#"{{- define "ca" }}{{ if not .ca }}{{ $_ := set . "ca" (genCA "x" 1) }}{{ end }}{{ end -}}"#,
    );
    const SECRET: (&str, &str) = (
        "c/templates/secret.yaml",
        r#"{{- if and .Values.tls.enabled (eq .Values.tls.method "helm") }}
{{- $_ := include "ca" . }}{{ $c := genSignedCert "cn" nil nil 1 .ca }}
{{- else if .Values.self }}{{ genSelfSignedCert "cn" nil nil 1 }}{{ end }}"#,
    );

    #[test]
    fn guards_on_values_decide_which_calls_count() {
        let on = "tls: {enabled: true, method: helm}";
        assert_eq!(
            count(&[HELPERS, SECRET], on),
            2,
            "genCA through include + genSignedCert"
        );
        let cron = "tls: {enabled: true, method: cronJob}";
        assert_eq!(count(&[HELPERS, SECRET], cron), 0);
        assert_eq!(
            count(&[HELPERS, SECRET], "tls: {enabled: false}\nself: true"),
            1
        );
    }

    #[test]
    fn undecidable_guards_count_every_branch() {
        // a variable guard is only known while rendering; ranges have no fixed dot
        let var = (
            "c/templates/a.yaml",
            r#"{{ $x := .Values.a }}{{ if $x }}{{ genCA "a" 1 }}{{ else }}{{ genCA "b" 1 }}{{ end }}
{{ range .Values.l }}{{ if .on }}{{ genSignedCert "c" nil nil 1 nil }}{{ end }}{{ end }}"#,
        );
        assert_eq!(count(&[var], "a: false\nl: []"), 3);
        // recursion through defines terminates
        let rec = (
            "c/templates/r.yaml",
            r#"{{ define "r" }}{{ genCA "r" 1 }}{{ include "r" . }}{{ end }}{{ include "r" . }}"#,
        );
        assert_eq!(count(&[rec], "{}"), 1);
    }
}
