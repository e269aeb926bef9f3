//! `values.schema.json` validation as Helm v4 does it (JSON Schema draft-04 … 2020-12, the
//! behaviour and messages of the validator Helm uses).
//!
//! Helm compiles the chart's schema (no `$schema` means draft 2020-12), validates the coalesced
//! values and lists every violation, one `- at '<json pointer>': <message>` line each, nested
//! causes indented by two spaces. Numbers in messages are printed the way Go's
//! `golang.org/x/text/message` English printer prints them (`1,500`, `1.2345675×10⁰⁶`).
//! Object keys are visited in sorted order (Helm visits them in Go's random map order, so only
//! the order of sibling lines can differ).

mod decimal;
mod formats;
mod json;
mod messages;

use decimal::ExactDecimal;
use formats::check_format;
pub use json::{JsonValue, from_value, parse_json};
use messages::*;

use gotemplate::value::Value;
use std::cell::RefCell;
use std::collections::HashMap;
// ---------------------------------------------------------------- validator

struct Validator<'a> {
    root: &'a JsonValue,
    draft: u32,
    regexes: RefCell<HashMap<String, Option<regex::Regex>>>,
    depth: RefCell<usize>,
}

/// `min<kind>` / `max<kind>` (Items, Length, Properties) against a size `n`.
fn size_bounds(s: &JsonValue, kind: &str, n: i64, loc: &[String], errs: &mut Vec<Violation>) {
    for (key, out_of_bounds) in [
        (format!("min{kind}"), (|n, l| n < l) as fn(i64, i64) -> bool),
        (format!("max{kind}"), |n, l| n > l),
    ] {
        if let Some(limit) = usize_of(s.get(&key))
            && out_of_bounds(n, limit)
        {
            errs.push(err(
                loc,
                format!("{key}: got {}, want {}", lint(n), lint(limit)),
            ));
        }
    }
}

fn err(loc: &[String], m: String) -> Violation {
    Violation {
        loc: loc.to_vec(),
        msg: Message::Text(m),
        causes: vec![],
    }
}

fn equals(a: &JsonValue, b: &JsonValue) -> bool {
    match (a, b) {
        (JsonValue::Null, JsonValue::Null) => true,
        (JsonValue::Bool(x), JsonValue::Bool(y)) => x == y,
        (JsonValue::Str(x), JsonValue::Str(y)) => x == y,
        (JsonValue::Num(x), JsonValue::Num(y)) => {
            match (ExactDecimal::parse(x), ExactDecimal::parse(y)) {
                (Some(x), Some(y)) => x.cmp(&y) == std::cmp::Ordering::Equal,
                _ => false,
            }
        }
        (JsonValue::Arr(x), JsonValue::Arr(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equals(p, q))
        }
        (JsonValue::Obj(x), JsonValue::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && equals(v, v2)))
        }
        _ => false,
    }
}

fn num_of(j: &JsonValue) -> Option<ExactDecimal> {
    match j {
        JsonValue::Num(n) => ExactDecimal::parse(n),
        _ => None,
    }
}

fn usize_of(j: Option<&JsonValue>) -> Option<i64> {
    num_of(j?).map(|d| d.to_f64() as i64)
}

fn finish(loc: &[String], mut errs: Vec<Violation>) -> Option<Violation> {
    match errs.len() {
        0 => None,
        1 => errs.pop(),
        _ => Some(Violation {
            loc: loc.to_vec(),
            msg: Message::Group,
            causes: errs,
        }),
    }
}

fn child(loc: &[String], tok: String) -> Vec<String> {
    let mut l = loc.to_vec();
    l.push(tok);
    l
}

impl Validator<'_> {
    fn regex(&self, pat: &str) -> Option<regex::Regex> {
        self.regexes
            .borrow_mut()
            .entry(pat.to_string())
            .or_insert_with(|| gotemplate::regexp::go_regex(pat).ok())
            .clone()
    }

    fn resolve(&self, r: &str) -> Result<(&JsonValue, String), String> {
        resolve_in(self.root, r)
    }
}

/// Where a subschema sits in the document and how validation got there (to detect `$ref`
/// cycles and name them as Helm's validator does).
struct Scope<'p> {
    ptr: String,
    via_ref: bool,
    vid: u32,
    parent: Option<&'p Scope<'p>>,
}

impl Scope<'_> {
    fn kw_loc(&self) -> String {
        let mut loc = String::new();
        let mut sc = self;
        while let Some(p) = sc.parent {
            if sc.via_ref {
                loc = format!("/$ref{loc}");
            } else {
                loc = format!(
                    "{}{loc}",
                    encode_ptr(sc.ptr.get(p.ptr.len()..).unwrap_or(""))
                );
            }
            sc = p;
        }
        loc
    }
}

/// Properties / items not yet evaluated by any keyword (for `unevaluatedProperties` and
/// `unevaluatedItems`), tracked as Helm's validator tracks them.
#[derive(Default, Clone)]
struct Uneval {
    props: Option<std::collections::BTreeSet<String>>,
    items: Option<std::collections::BTreeSet<usize>>,
}

impl Uneval {
    fn from(draft: u32, v: &JsonValue, s: &JsonValue, caller_needs: bool) -> Uneval {
        let mut u = Uneval::default();
        if draft < 2019 {
            return u;
        }
        let is_obj = matches!(s, JsonValue::Obj(_));
        match v {
            JsonValue::Obj(m) => {
                let all = is_obj && s.get("additionalProperties").is_some();
                if !all && (caller_needs || s.get("unevaluatedProperties").is_some()) {
                    u.props = Some(m.iter().map(|(k, _)| k.clone()).collect());
                }
            }
            JsonValue::Arr(a) => {
                let (all, num) = if !is_obj {
                    (false, 0)
                } else if draft < 2020 {
                    match s.get("items") {
                        Some(JsonValue::Arr(t)) => (s.get("additionalItems").is_some(), t.len()),
                        Some(_) => (true, 0),
                        None => (s.get("additionalItems").is_some(), 0),
                    }
                } else {
                    let num = match s.get("prefixItems") {
                        Some(JsonValue::Arr(p)) => p.len(),
                        _ => 0,
                    };
                    (s.get("items").is_some(), num)
                };
                if !all && (caller_needs || s.get("unevaluatedItems").is_some()) && num < a.len() {
                    u.items = Some((num..a.len()).collect());
                }
            }
            _ => {}
        }
        u
    }
    fn is_empty(&self) -> bool {
        self.props.as_ref().is_none_or(|p| p.is_empty())
            && self.items.as_ref().is_none_or(|i| i.is_empty())
    }
    fn merge(&mut self, other: &Uneval) {
        if let Some(p) = &mut self.props {
            p.retain(|k| other.props.as_ref().is_some_and(|o| o.contains(k)));
        }
        if let Some(i) = &mut self.items {
            i.retain(|k| other.items.as_ref().is_some_and(|o| o.contains(k)));
        }
    }
}

fn const_message(c: &JsonValue) -> String {
    match c {
        JsonValue::Arr(_) | JsonValue::Obj(_) => "'const' failed".to_string(),
        c => format!("value must be {}", display(c)),
    }
}

/// Go's url.PathEscape of each token of a JSON pointer (how schema locations are printed).
fn encode_ptr(p: &str) -> String {
    p.split('/')
        .map(|tok| {
            let mut out = String::new();
            for b in tok.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~$&+:=@".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Resolve a `$ref` inside the schema document (Helm's validator resolves against
/// `file:///values.schema.json`; other documents would be read from `/`).
fn resolve_in<'a>(root: &'a JsonValue, r: &str) -> Result<(&'a JsonValue, String), String> {
    let Some(frag) = r.strip_prefix('#') else {
        if r.starts_with("http://") || r.starts_with("https://") {
            return Err(format!(
                "unsupported $ref {r:?}: schemas are not fetched over the network"
            ));
        }
        let path = r.split('#').next().unwrap_or("");
        let path = path.trim_start_matches("file://").trim_start_matches('/');
        return Err(format!(
            "failing loading \"file:///{path}\": open /{path}: no such file or directory"
        ));
    };
    let frag = percent_decode(frag);
    let mut cur = root;
    if frag.is_empty() {
        return Ok((cur, String::new()));
    }
    let not_found = || format!("json-pointer in \"file:///values.schema.json#{frag}\" not found");
    let Some(p) = frag.strip_prefix('/') else {
        return find_anchor(root, &frag, String::new())
            .ok_or_else(|| format!("anchor in \"file:///values.schema.json#{frag}\" not found"));
    };
    let mut ptr = String::new();
    for tok in p.split('/') {
        let tok = tok.replace("~1", "/").replace("~0", "~");
        ptr.push('/');
        ptr.push_str(&esc(&tok));
        cur = match cur {
            JsonValue::Obj(_) => cur.get(&tok),
            JsonValue::Arr(a) => tok.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
        .ok_or_else(not_found)?;
    }
    Ok((cur, ptr))
}

/// A subschema named by `$anchor` (2019-09+) or `$id: "#name"` (drafts 6/7).
fn find_anchor<'a>(
    node: &'a JsonValue,
    name: &str,
    ptr: String,
) -> Option<(&'a JsonValue, String)> {
    match node {
        JsonValue::Obj(m) => {
            let hit = m.iter().any(|(k, v)| {
                matches!(v, JsonValue::Str(x) if (k == "$anchor" && x == name)
                    || ((k == "$id" || k == "id") && x.strip_prefix('#') == Some(name)))
            });
            if hit {
                return Some((node, ptr));
            }
            m.iter()
                .find_map(|(k, v)| find_anchor(v, name, format!("{ptr}/{}", esc(k))))
        }
        JsonValue::Arr(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_anchor(v, name, format!("{ptr}/{i}"))),
        _ => None,
    }
}

/// Every `$ref` must resolve before validation starts (Helm compiles the whole schema first).
fn check_refs(root: &JsonValue, node: &JsonValue) -> Result<(), String> {
    match node {
        JsonValue::Obj(m) => {
            for (k, v) in m {
                if k == "$ref"
                    && let JsonValue::Str(r) = v
                {
                    resolve_in(root, r)?;
                }
                check_refs(root, v)?;
            }
        }
        JsonValue::Arr(a) => {
            for v in a {
                check_refs(root, v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

impl Validator<'_> {
    fn vself(
        &self,
        sc: &Scope,
        rel: &str,
        s: &JsonValue,
        v: &JsonValue,
        loc: &[String],
        ue: &mut Uneval,
    ) -> Result<Option<Violation>, String> {
        let child = Scope {
            ptr: format!("{}{}", sc.ptr, rel),
            via_ref: false,
            vid: sc.vid,
            parent: Some(sc),
        };
        let (e, cue) = self.validate(s, v, loc, &child, !ue.is_empty())?;
        if e.is_none() {
            ue.merge(&cue);
        }
        Ok(e)
    }

    fn vval(
        &self,
        sc: &Scope,
        rel: &str,
        s: &JsonValue,
        v: &JsonValue,
        loc: &[String],
    ) -> Result<Option<Violation>, String> {
        let child = Scope {
            ptr: format!("{}{}", sc.ptr, rel),
            via_ref: false,
            vid: sc.vid + 1,
            parent: Some(sc),
        };
        Ok(self.validate(s, v, loc, &child, false)?.0)
    }

    fn validate_ref(
        &self,
        sc: &Scope,
        target: &JsonValue,
        target_ptr: String,
        v: &JsonValue,
        loc: &[String],
        ue: &mut Uneval,
    ) -> Result<Option<Violation>, String> {
        let child = Scope {
            ptr: target_ptr,
            via_ref: true,
            vid: sc.vid,
            parent: Some(sc),
        };
        let (e, cue) = self.validate(target, v, loc, &child, !ue.is_empty())?;
        if e.is_none() {
            ue.merge(&cue);
        }
        Ok(e.map(|e| {
            let causes = if matches!(e.msg, Message::Group) {
                e.causes
            } else {
                vec![e]
            };
            Violation {
                loc: loc.to_vec(),
                msg: Message::Ref,
                causes,
            }
        }))
    }

    fn validate(
        &self,
        s: &JsonValue,
        v: &JsonValue,
        loc: &[String],
        sc: &Scope,
        caller_needs: bool,
    ) -> Result<(Option<Violation>, Uneval), String> {
        {
            let mut d = self.depth.borrow_mut();
            *d += 1;
            if *d > 400 {
                *d -= 1;
                return Err("values.schema.json: schema and values nested too deeply to validate (limit 400 levels)".into());
            }
        }
        let mut ue = Uneval::from(self.draft, v, s, caller_needs);
        let r = self.validate_inner(s, v, loc, sc, &mut ue);
        *self.depth.borrow_mut() -= 1;
        Ok((r?, ue))
    }

    fn validate_inner(
        &self,
        s: &JsonValue,
        v: &JsonValue,
        loc: &[String],
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<Option<Violation>, String> {
        match s {
            JsonValue::Bool(true) => return Ok(None),
            JsonValue::Bool(false) => return Ok(Some(err(loc, "false schema".into()))),
            JsonValue::Obj(_) => {}
            _ => return Ok(None),
        }
        // a schema re-entered for the same value without progress: a reference cycle
        let mut p = sc.parent;
        while let Some(ps) = p {
            if ps.vid != sc.vid {
                break;
            }
            if ps.ptr == sc.ptr {
                return Ok(Some(err(
                    loc,
                    format!(
                        "both {} and {} resolve to {} causing reference cycle",
                        sc.kw_loc(),
                        ps.kw_loc(),
                        gotemplate::strconv::go_quote(&format!(
                            "file:///values.schema.json#{}",
                            encode_ptr(&sc.ptr)
                        ))
                    ),
                )));
            }
            p = ps.parent;
        }
        let draft = self.draft;
        // before 2019-09 a `$ref` makes every other keyword of its object ignored
        // (Helm's validator still checks `const` first in drafts 6 and 7)
        if draft < 2019
            && let Some(JsonValue::Str(r)) = s.get("$ref")
        {
            if draft >= 6
                && let Some(c) = s.get("const")
                && !equals(v, c)
            {
                return Ok(Some(err(loc, const_message(c))));
            }
            let (target, tptr) = self.resolve(r)?;
            return self.validate_ref(sc, target, tptr, v, loc, ue);
        }
        // type
        if let Some(t) = s.get("type") {
            let names: Vec<&str> = match t {
                JsonValue::Str(x) => vec![x.as_str()],
                JsonValue::Arr(a) => a
                    .iter()
                    .filter_map(|x| match x {
                        JsonValue::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            };
            const ORDER: [&str; 7] = [
                "null", "boolean", "number", "integer", "string", "array", "object",
            ];
            let want: Vec<&str> = ORDER
                .iter()
                .copied()
                .filter(|o| names.contains(o))
                .collect();
            if !want.is_empty() {
                let got = v.type_name();
                let matched = want.contains(&got)
                    || (want.contains(&"integer")
                        && got == "number"
                        && num_of(v).is_some_and(|d| d.is_integer()));
                if !matched {
                    return Ok(Some(err(
                        loc,
                        format!("got {}, want {}", got, want.join(" or ")),
                    )));
                }
            }
        }
        // const
        if draft >= 6
            && let Some(c) = s.get("const")
            && !equals(v, c)
        {
            return Ok(Some(err(loc, const_message(c))));
        }
        // enum
        if let Some(JsonValue::Arr(items)) = s.get("enum")
            && !items.iter().any(|i| equals(v, i))
        {
            let prim = items
                .iter()
                .all(|i| !matches!(i, JsonValue::Arr(_) | JsonValue::Obj(_)));
            let m = if !prim {
                "'enum' failed".to_string()
            } else if items.len() == 1 {
                format!("value must be {}", display(&items[0]))
            } else {
                format!(
                    "value must be one of {}",
                    items.iter().map(display).collect::<Vec<_>>().join(", ")
                )
            };
            return Ok(Some(err(loc, m)));
        }
        // format (asserted by default for drafts before 2019-09)
        if draft < 2019
            && let Some(JsonValue::Str(f)) = s.get("format")
            && let JsonValue::Str(x) = v
            && let Some(Err(e)) = check_format(f, x)
        {
            return Ok(Some(err(
                loc,
                format!("{} is not valid {}: {}", quote(x), f, e),
            )));
        }
        let mut errs = Vec::new();
        // $ref
        if let Some(JsonValue::Str(r)) = s.get("$ref") {
            let (target, tptr) = self.resolve(r)?;
            let e = self.validate_ref(sc, target, tptr, v, loc, ue)?;
            if draft < 2019 {
                return Ok(e);
            }
            errs.extend(e);
        }
        match v {
            JsonValue::Obj(obj) => self.object(s, obj, loc, &mut errs, sc, ue)?,
            JsonValue::Arr(arr) => self.array(s, arr, loc, &mut errs, sc, ue)?,
            JsonValue::Str(st) => self.string(s, st, loc, &mut errs),
            JsonValue::Num(n) => {
                if let Some(d) = ExactDecimal::parse(n) {
                    self.number(s, &d, loc, &mut errs)
                }
            }
            _ => {}
        }
        self.conditional(s, v, loc, &mut errs, sc, ue)?;
        if draft >= 2019 {
            if let (JsonValue::Obj(obj), Some(us)) = (v, s.get("unevaluatedProperties")) {
                for k in ue.props.take().unwrap_or_default() {
                    if let Some((_, pv)) = obj.iter().find(|(x, _)| *x == k) {
                        errs.extend(self.vval(
                            sc,
                            "/unevaluatedProperties",
                            us,
                            pv,
                            &child(loc, k.clone()),
                        )?);
                    }
                }
            }
            if let (JsonValue::Arr(arr), Some(us)) = (v, s.get("unevaluatedItems")) {
                for i in ue.items.take().unwrap_or_default() {
                    errs.extend(self.vval(
                        sc,
                        "/unevaluatedItems",
                        us,
                        &arr[i],
                        &child(loc, i.to_string()),
                    )?);
                }
            }
        }
        Ok(finish(loc, errs))
    }

    fn object(
        &self,
        s: &JsonValue,
        obj: &[(String, JsonValue)],
        loc: &[String],
        errs: &mut Vec<Violation>,
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<(), String> {
        let draft = self.draft;
        size_bounds(s, "Properties", obj.len() as i64, loc, errs);
        let has = |k: &str| obj.iter().any(|(x, _)| x == k);
        let missing = |req: &JsonValue| -> Vec<String> {
            match req {
                JsonValue::Arr(a) => a
                    .iter()
                    .filter_map(|x| match x {
                        JsonValue::Str(s) if !has(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            }
        };
        if let Some(req) = s.get("required") {
            let m = missing(req);
            if m.len() == 1 {
                errs.push(err(loc, format!("missing property {}", quote(&m[0]))));
            } else if !m.is_empty() {
                errs.push(err(loc, format!("missing properties {}", join_quoted(&m))));
            }
        }
        // `dependencies` is honoured in every draft by Helm's validator
        if let Some(JsonValue::Obj(deps)) = s.get("dependencies") {
            for (p, dep) in deps {
                if !has(p) {
                    continue;
                }
                match dep {
                    JsonValue::Arr(_) => {
                        let m = missing(dep);
                        if !m.is_empty() {
                            errs.push(err(
                                loc,
                                format!(
                                    "properties {} required, if {} exists",
                                    join_quoted(&m),
                                    quote(p)
                                ),
                            ));
                        }
                    }
                    sch => errs.extend(self.vself(
                        sc,
                        &format!("/dependencies/{}", esc(p)),
                        sch,
                        &JsonValue::Obj(obj.to_vec()),
                        loc,
                        ue,
                    )?),
                }
            }
        }
        let props = s.get("properties");
        let pats: Vec<(&String, &JsonValue)> = match s.get("patternProperties") {
            Some(JsonValue::Obj(p)) => p.iter().map(|(k, v)| (k, v)).collect(),
            _ => vec![],
        };
        let additional = s.get("additionalProperties");
        let mut extra = Vec::new();
        for (k, pv) in obj {
            let mut evaluated = false;
            if let Some(sch) = props.and_then(|p| p.get(k)) {
                evaluated = true;
                errs.extend(self.vval(
                    sc,
                    &format!("/properties/{}", esc(k)),
                    sch,
                    pv,
                    &child(loc, k.clone()),
                )?);
            }
            for (re, sch) in &pats {
                let Some(rx) = self.regex(re) else {
                    return Err(format!(
                        "values.schema.json: invalid patternProperties regex {re:?}"
                    ));
                };
                if rx.is_match(k) {
                    evaluated = true;
                    errs.extend(self.vval(
                        sc,
                        &format!("/patternProperties/{}", esc(re)),
                        sch,
                        pv,
                        &child(loc, k.clone()),
                    )?);
                }
            }
            if !evaluated && let Some(a) = additional {
                evaluated = true;
                match a {
                    JsonValue::Bool(false) => extra.push(k.clone()),
                    JsonValue::Bool(true) => {}
                    sch => errs.extend(self.vval(
                        sc,
                        "/additionalProperties",
                        sch,
                        pv,
                        &child(loc, k.clone()),
                    )?),
                }
            }
            if evaluated && let Some(p) = &mut ue.props {
                p.remove(k);
            }
        }
        if !extra.is_empty() {
            errs.push(err(
                loc,
                format!("additional properties {} not allowed", join_quoted(&extra)),
            ));
        }
        if draft >= 6
            && let Some(pn) = s.get("propertyNames")
        {
            for (k, _) in obj {
                let root = Scope {
                    ptr: format!("{}/propertyNames", sc.ptr),
                    via_ref: false,
                    vid: 0,
                    parent: None,
                };
                if let (Some(e), _) =
                    self.validate(pn, &JsonValue::Str(k.clone()), &[], &root, false)?
                {
                    let causes = if matches!(e.msg, Message::Group) {
                        e.causes
                    } else {
                        vec![e]
                    };
                    errs.push(Violation {
                        loc: vec![],
                        msg: Message::Text(format!("invalid propertyName {}", quote(k))),
                        causes,
                    });
                }
            }
        }
        if draft >= 2019 {
            if let Some(JsonValue::Obj(ds)) = s.get("dependentSchemas") {
                for (p, sch) in ds {
                    if has(p) {
                        errs.extend(self.vself(
                            sc,
                            &format!("/dependentSchemas/{}", esc(p)),
                            sch,
                            &JsonValue::Obj(obj.to_vec()),
                            loc,
                            ue,
                        )?);
                    }
                }
            }
            if let Some(JsonValue::Obj(dr)) = s.get("dependentRequired") {
                for (p, req) in dr {
                    if has(p) {
                        let m = missing(req);
                        if !m.is_empty() {
                            errs.push(err(
                                loc,
                                format!(
                                    "properties {} required, if {} exists",
                                    join_quoted(&m),
                                    quote(p)
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn array(
        &self,
        s: &JsonValue,
        arr: &[JsonValue],
        loc: &[String],
        errs: &mut Vec<Violation>,
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<(), String> {
        let draft = self.draft;
        size_bounds(s, "Items", arr.len() as i64, loc, errs);
        if let Some(JsonValue::Bool(true)) = s.get("uniqueItems")
            && arr.len() > 1
        {
            'outer: for i in 1..arr.len() {
                for j in 0..i {
                    if equals(&arr[i], &arr[j]) {
                        errs.push(err(
                            loc,
                            format!(
                                "items at {} and {} are equal",
                                lint(j as i64),
                                lint(i as i64)
                            ),
                        ));
                        break 'outer;
                    }
                }
            }
        }
        if draft < 2020 {
            let mut evaluated = 0;
            match s.get("items") {
                Some(JsonValue::Arr(tuple)) => {
                    let n = tuple.len().min(arr.len());
                    for i in 0..n {
                        errs.extend(self.vval(
                            sc,
                            &format!("/items/{i}"),
                            &tuple[i],
                            &arr[i],
                            &child(loc, i.to_string()),
                        )?);
                    }
                    evaluated = n;
                }
                Some(sch @ (JsonValue::Obj(_) | JsonValue::Bool(_))) => {
                    for (i, it) in arr.iter().enumerate() {
                        errs.extend(self.vval(
                            sc,
                            "/items",
                            sch,
                            it,
                            &child(loc, i.to_string()),
                        )?);
                    }
                    evaluated = arr.len();
                }
                _ => {}
            }
            match s.get("additionalItems") {
                Some(JsonValue::Bool(false)) if evaluated != arr.len() => {
                    errs.push(err(
                        loc,
                        format!(
                            "last {} additionalItem(s) not allowed",
                            lint((arr.len() - evaluated) as i64)
                        ),
                    ));
                }
                Some(sch @ JsonValue::Obj(_)) => {
                    // the index is relative to the first additional item, as in Helm's validator
                    for (i, it) in arr[evaluated..].iter().enumerate() {
                        errs.extend(self.vval(
                            sc,
                            "/additionalItems",
                            sch,
                            it,
                            &child(loc, i.to_string()),
                        )?);
                    }
                }
                _ => {}
            }
        } else {
            let prefix: &[JsonValue] = match s.get("prefixItems") {
                Some(JsonValue::Arr(p)) => p,
                _ => &[],
            };
            let n = prefix.len().min(arr.len());
            for i in 0..n {
                errs.extend(self.vval(
                    sc,
                    &format!("/prefixItems/{i}"),
                    &prefix[i],
                    &arr[i],
                    &child(loc, i.to_string()),
                )?);
            }
            if let Some(sch) = s.get("items") {
                for (i, it) in arr[n..].iter().enumerate() {
                    errs.extend(self.vval(sc, "/items", sch, it, &child(loc, i.to_string()))?);
                }
            }
        }
        if draft >= 6
            && let Some(c) = s.get("contains")
        {
            let mut cerrs = Vec::new();
            let mut matched: Vec<usize> = Vec::new();
            for (i, it) in arr.iter().enumerate() {
                match self.vval(sc, "/contains", c, it, &child(loc, i.to_string()))? {
                    Some(e) => cerrs.push(e),
                    None => {
                        matched.push(i);
                        if draft >= 2020
                            && let Some(items) = &mut ue.items
                        {
                            items.remove(&i);
                        }
                    }
                }
            }
            let min_c = if draft >= 2019 {
                usize_of(s.get("minContains"))
            } else {
                None
            };
            let list = |m: &[usize]| {
                m.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if let Some(mc) = min_c {
                if (matched.len() as i64) < mc {
                    let m = if matched.is_empty() {
                        format!(
                            "min {} items required to match contains schema, but none matched",
                            lint(mc)
                        )
                    } else {
                        format!(
                            "min {} items required to match contains schema, but matched {} items at {}",
                            lint(mc),
                            lint(matched.len() as i64),
                            list(&matched)
                        )
                    };
                    errs.push(Violation {
                        loc: loc.to_vec(),
                        msg: Message::Text(m),
                        causes: cerrs,
                    });
                }
            } else if matched.is_empty() {
                errs.push(Violation {
                    loc: loc.to_vec(),
                    msg: Message::Text("no items match contains schema".into()),
                    causes: cerrs,
                });
            }
            if draft >= 2019
                && let Some(mx) = usize_of(s.get("maxContains"))
                && matched.len() as i64 > mx
            {
                errs.push(err(
                    loc,
                    format!(
                        "max {} items required to match contains schema, but matched {} items at {}",
                        lint(mx),
                        lint(matched.len() as i64),
                        list(&matched)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn string(&self, s: &JsonValue, st: &str, loc: &[String], errs: &mut Vec<Violation>) {
        size_bounds(s, "Length", st.chars().count() as i64, loc, errs);
        if let Some(JsonValue::Str(p)) = s.get("pattern")
            && let Some(rx) = self.regex(p)
            && !rx.is_match(st)
        {
            errs.push(err(
                loc,
                format!("{} does not match pattern {}", quote(st), quote(p)),
            ));
        }
    }

    fn number(&self, s: &JsonValue, d: &ExactDecimal, loc: &[String], errs: &mut Vec<Violation>) {
        use std::cmp::Ordering::*;
        let draft = self.draft;
        let mut minimum = s.get("minimum").and_then(num_of);
        let mut maximum = s.get("maximum").and_then(num_of);
        let mut xmin = None;
        let mut xmax = None;
        if draft == 4 {
            if let Some(JsonValue::Bool(true)) = s.get("exclusiveMinimum") {
                xmin = minimum.take();
            }
            if let Some(JsonValue::Bool(true)) = s.get("exclusiveMaximum") {
                xmax = maximum.take();
            }
        } else {
            xmin = s.get("exclusiveMinimum").and_then(num_of);
            xmax = s.get("exclusiveMaximum").and_then(num_of);
        }
        let mut check =
            |name: &str, lim: &Option<ExactDecimal>, bad: &dyn Fn(std::cmp::Ordering) -> bool| {
                if let Some(l) = lim
                    && bad(d.cmp(l))
                {
                    errs.push(err(
                        loc,
                        format!("{}: got {}, want {}", name, lnum(d), lnum(l)),
                    ));
                }
            };
        check("minimum", &minimum, &|o| o == Less);
        check("maximum", &maximum, &|o| o == Greater);
        check("exclusiveMinimum", &xmin, &|o| o != Greater);
        check("exclusiveMaximum", &xmax, &|o| o != Less);
        if let Some(m) = s.get("multipleOf").and_then(num_of)
            && !d.multiple_of(&m)
        {
            errs.push(err(
                loc,
                format!("multipleOf: got {}, want {}", lnum(d), lnum(&m)),
            ));
        }
    }

    fn conditional(
        &self,
        s: &JsonValue,
        v: &JsonValue,
        loc: &[String],
        errs: &mut Vec<Violation>,
        sc: &Scope,
        ue: &mut Uneval,
    ) -> Result<(), String> {
        if let Some(n) = s.get("not")
            && self.vself(sc, "/not", n, v, loc, ue)?.is_none()
        {
            errs.push(err(loc, "'not' failed".into()));
        }
        if let Some(JsonValue::Arr(all)) = s.get("allOf") {
            let mut es = Vec::new();
            for (i, sch) in all.iter().enumerate() {
                es.extend(self.vself(sc, &format!("/allOf/{i}"), sch, v, loc, ue)?);
            }
            if !es.is_empty() {
                errs.push(Violation {
                    loc: loc.to_vec(),
                    msg: Message::Text("'allOf' failed".into()),
                    causes: es,
                });
            }
        }
        if let Some(JsonValue::Arr(any)) = s.get("anyOf") {
            let mut es = Vec::new();
            let mut matched = false;
            for (i, sch) in any.iter().enumerate() {
                match self.vself(sc, &format!("/anyOf/{i}"), sch, v, loc, ue)? {
                    Some(e) => es.push(e),
                    None => {
                        matched = true;
                        // later subschemas still count for unevaluated* when it matters
                        if ue.is_empty() {
                            break;
                        }
                    }
                }
            }
            if !matched {
                errs.push(Violation {
                    loc: loc.to_vec(),
                    msg: Message::Text("'anyOf' failed".into()),
                    causes: es,
                });
            }
        }
        if let Some(JsonValue::Arr(one)) = s.get("oneOf") {
            let mut es = Vec::new();
            let mut matched: Option<usize> = None;
            for (i, sch) in one.iter().enumerate() {
                match self.vself(sc, &format!("/oneOf/{i}"), sch, v, loc, ue)? {
                    Some(e) => {
                        if matched.is_none() {
                            es.push(e)
                        }
                    }
                    None => match matched {
                        None => matched = Some(i),
                        Some(first) => {
                            errs.push(err(
                                loc,
                                format!(
                                    "'oneOf' failed, subschemas {}, {} matched",
                                    lint(first as i64),
                                    lint(i as i64)
                                ),
                            ));
                            break;
                        }
                    },
                }
            }
            if matched.is_none() {
                errs.push(Violation {
                    loc: loc.to_vec(),
                    msg: Message::Text("'oneOf' failed, none matched".into()),
                    causes: es,
                });
            }
        }
        if self.draft >= 7
            && let Some(cond) = s.get("if")
        {
            if self.vself(sc, "/if", cond, v, loc, ue)?.is_none() {
                if let Some(t) = s.get("then") {
                    errs.extend(self.vself(sc, "/then", t, v, loc, ue)?);
                }
            } else if let Some(e) = s.get("else") {
                errs.extend(self.vself(sc, "/else", e, v, loc, ue)?);
            }
        }
        Ok(())
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    gotemplate::value::utf8_lossy_vec(out)
}

fn draft_of(schema: &JsonValue) -> u32 {
    match schema.get("$schema") {
        Some(JsonValue::Str(u)) => {
            if u.contains("draft-04") {
                4
            } else if u.contains("draft-06") {
                6
            } else if u.contains("draft-07") {
                7
            } else if u.contains("2019-09") {
                2019
            } else {
                2020
            }
        }
        _ => 2020,
    }
}

/// Go's `%q` of a rune.
/// Validate values against one schema document. `Ok(None)`: valid; `Ok(Some(text))`: the
/// violations as Helm prints them (each line `- at '…': …`, ending with a newline);
/// `Err`: the schema itself is unusable.
pub fn validate(schema_src: &str, values: &Value) -> Result<Option<String>, String> {
    // runs on the caller's thread (the CLI renders on the main thread; a helper thread would
    // cost a malloc arena): recursion is bounded by the depth limits below
    validate_json(schema_src, &from_value(values))
}

fn validate_json(schema_src: &str, v: &JsonValue) -> Result<Option<String>, String> {
    let schema = parse_json(schema_src)?;
    check_refs(&schema, &schema)?;
    let val = Validator {
        root: &schema,
        draft: draft_of(&schema),
        regexes: RefCell::new(HashMap::new()),
        depth: RefCell::new(0),
    };
    let root = Scope {
        ptr: String::new(),
        via_ref: false,
        vid: 0,
        parent: None,
    };
    let (Some(e), _) = val.validate(&schema, v, &[], &root, false)? else {
        return Ok(None);
    };
    let causes = if matches!(e.msg, Message::Group) {
        e.causes
    } else {
        vec![e]
    };
    let mut out = String::new();
    for c in &causes {
        c.display(&mut out, 1);
    }
    Ok(Some(format!("{}\n", out.trim_start_matches('\n'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_numbers() {
        assert_eq!(lfloat(1234567.5), "1.2345675×10⁰⁶");
        assert_eq!(lfloat(1e21), "1×10²¹");
        assert_eq!(lfloat(0.00001), "1×10⁻⁰⁵");
        assert_eq!(lfloat(-1000.0), "-1,000");
        assert_eq!(lfloat(1000.5), "1,000.5");
        assert_eq!(lfloat(0.001), "0.001");
        assert_eq!(lint(1500), "1,500");
    }

    #[test]
    fn decimals() {
        let d = |s: &str| ExactDecimal::parse(s).unwrap();
        assert!(d("0.3").multiple_of(&d("0.1")));
        assert!(!d("0.35").multiple_of(&d("0.1")));
        assert!(d("1e+21").is_integer());
        assert!(!d("2.5").is_integer());
        assert_eq!(d("1.50").cmp(&d("1.5")), std::cmp::Ordering::Equal);
        assert_eq!(d("-3").cmp(&d("1")), std::cmp::Ordering::Less);
    }
}

#[cfg(test)]
mod deep_tests {
    #[test]
    fn deep_values_and_schemas_end_in_errors() {
        // the CLI's main thread has 8 MiB of stack: check the limits hold within that
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(deep_body)
            .unwrap()
            .join()
            .unwrap();
    }

    fn deep_body() {
        use gotemplate::value::Value;
        // values 300 lists deep through a recursive schema: the validator's depth limit ends it
        let mut v = Value::list(vec![]);
        for _ in 0..300 {
            v = Value::list(vec![v]);
        }
        let mut m = std::collections::BTreeMap::new();
        m.insert("a".to_string(), v);
        let vals = Value::map(m);
        let schema = r##"{"properties":{"a":{"$ref":"#/$defs/t"}},"$defs":{"t":{"type":"array","items":{"$ref":"#/$defs/t"}}}}"##;
        assert_eq!(
            super::validate(schema, &vals),
            Err("values.schema.json: schema and values nested too deeply to validate (limit 400 levels)".into())
        );
        // 100 deep is fine
        let mut v = Value::list(vec![]);
        for _ in 0..100 {
            v = Value::list(vec![v]);
        }
        let mut m = std::collections::BTreeMap::new();
        m.insert("a".to_string(), v);
        assert_eq!(super::validate(schema, &Value::map(m)), Ok(None));
        let deep = format!("{}{}", "[".repeat(20000), "]".repeat(20000));
        assert_eq!(super::parse_json(&deep).unwrap_err(), "exceeded max depth");
    }
}
