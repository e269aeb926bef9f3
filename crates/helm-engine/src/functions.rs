//! Helm's template functions (include, tpl, required, fail, toYaml/fromYaml and friends, toJson,
//! toToml, lookup), the methods of `.Files`, `.Capabilities` and `common.Values`, over Sprig's.

use gotemplate::error::TemplateError;
use gotemplate::exec::{FunctionLibrary, ParamKind, Signature, State, TemplateSet};
use gotemplate::json::{go_json_syntax_error, json_indent, json_kind, parse_json, to_json_string};
use gotemplate::parse;
use gotemplate::value::{Object, StringsType, Value};
use sprig::crypto::KeyPool;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use super::common_values::{is_values_map, values_path_value, values_table};

use ParamKind::*;

/// The signature of Helm's functions, then Sprig's and Go's; `None` if undefined.
pub fn signature(name: &str) -> Option<Signature> {
    Some(match name {
        // Helm
        "include" => (&[Str, Any], None),
        "tpl" => (&[Str, Any], None),
        "required" => (&[Str, Any], None),
        "fail" => (&[Str], None),
        "toYaml" | "mustToYaml" | "toYamlPretty" | "toJson" | "mustToJson" | "toRawJson"
        | "mustToRawJson" | "toPrettyJson" | "mustToPrettyJson" | "toToml" | "mustToToml" => {
            (&[Any], None)
        }
        "fromYaml" | "fromYamlArray" | "fromJson" | "fromJsonArray" | "fromToml" => (&[Str], None),
        "lookup" => (&[Str, Str, Str, Str], None),
        _ => return sprig::functions::signature(name),
    })
}

/// Is `name` a defined function (for the parser)?
pub fn has_function(name: &str) -> bool {
    signature(name).is_some()
}

use gotemplate::error::fail as ferr;

/// `tpl` calls nested in one another. Helm v4 has no limit: a value that `tpl`s itself runs until
/// Go's 1 GB goroutine stack overflows (`fatal error: stack overflow`, after 40 s and 7 GB on a
/// 2-core machine). Podnet stops at the depth Helm allows `include` (1000).
pub const MAX_TPL_DEPTH: usize = 1000;

/// Sprig's, Helm's and Go's template functions, with the state they keep for one render.
pub struct HelmFunctions {
    /// Depth of `include` per template name (Helm's recursion limit).
    included: RefCell<HashMap<String, usize>>,
    /// `tpl` calls open now, inside one another.
    tpl_depth: std::cell::Cell<usize>,
    /// RSA keys searched ahead of the render (`None`: made when asked for).
    keys: Option<Arc<KeyPool>>,
}

impl HelmFunctions {
    /// The functions of one render; `keys` hands out RSA keys searched ahead of time.
    pub fn new(keys: Option<Arc<KeyPool>>) -> HelmFunctions {
        HelmFunctions {
            included: RefCell::default(),
            tpl_depth: std::cell::Cell::new(0),
            keys,
        }
    }
}

impl FunctionLibrary for HelmFunctions {
    fn signature(&self, name: &str) -> Option<Signature> {
        signature(name)
    }
    fn call(
        &self,
        st: &mut State,
        name: &str,
        args: Vec<Value>,
        dot: &Value,
    ) -> Result<Value, TemplateError> {
        call(self, st, name, args, dot)
    }
    fn method(&self, recv: &Value, name: &str) -> Option<Signature> {
        match recv {
            Value::Map(m)
                if matches!(name, "AsMap" | "YAML" | "Table" | "PathValue") && is_values_map(m) =>
            {
                Some(if matches!(name, "Table" | "PathValue") {
                    (&[Str], None)
                } else {
                    (&[], None)
                })
            }
            Value::Object(o) => match (&**o, name) {
                (Object::KubeVersion { .. }, "String" | "GitVersion") => Some((&[], None)),
                (Object::Semver(_), _) => sprig::semver::method_signature(name),
                (Object::Strings(_, StringsType::VersionSet), "Has") => Some((&[Str], None)),
                (Object::Files(_), "Get" | "GetBytes" | "Lines" | "Glob") => Some((&[Str], None)),
                (Object::Files(_), "AsConfig" | "AsSecrets") => Some((&[], None)),
                _ => None,
            },
            _ => None,
        }
    }
    fn call_method(
        &self,
        recv: &Value,
        name: &str,
        args: Vec<Value>,
    ) -> Result<Value, TemplateError> {
        let arg = || args.first().and_then(|a| a.as_str()).unwrap_or("");
        match recv {
            Value::Map(_) => match name {
                "AsMap" => Ok(recv.clone()),
                "YAML" => Ok(Value::string(
                    super::yamlout::marshal(recv).unwrap_or_default(),
                )),
                "Table" => values_table(recv, arg()).map_err(TemplateError::new),
                _ => values_path_value(recv, arg()).map_err(TemplateError::new),
            },
            Value::Object(o) => match (&**o, name) {
                (Object::KubeVersion { version, .. }, _) => Ok(Value::str(version)),
                (Object::Semver(version), _) => {
                    sprig::semver::call_method(version, name, &args).map_err(TemplateError::new)
                }
                (Object::Strings(v, StringsType::VersionSet), "Has") => {
                    Ok(Value::Bool(v.iter().any(|x| x == arg())))
                }
                (Object::Files(f), _) => super::chart::files_method(f, name, &args),
                _ => ferr(format!("can't call method {}", name)),
            },
            _ => ferr(format!("can't call method {}", name)),
        }
    }
}

/// Call a function by name with already-converted arguments: Helm's own here, the rest Sprig's.
fn call(
    lib: &HelmFunctions,
    st: &mut State,
    name: &str,
    a: Vec<Value>,
    dot: &Value,
) -> Result<Value, TemplateError> {
    let s = |i: usize| -> &str { a.get(i).map(Value::str_or_empty).unwrap_or("") };
    let str_v = |x: String| -> Result<Value, TemplateError> { Ok(Value::string(x)) };
    match name {
        // ---------- Helm
        "include" => {
            let tname = s(0).to_string();
            {
                let mut inc = lib.included.borrow_mut();
                let c = inc.entry(tname.clone()).or_insert(0);
                if *c > 1000 {
                    return Err(TemplateError::wrap(
                        format!(
                            "rendering template has a nested reference name: {}: unable to execute template",
                            tname
                        ),
                        TemplateError::new("unable to execute template"),
                    ));
                }
                *c += 1;
            }
            let r = st.exec_named(&tname, a[1].clone());
            *lib.included.borrow_mut().get_mut(&tname).unwrap() -= 1;
            r.map(Value::string)
        }
        "tpl" => {
            let depth = lib.tpl_depth.get();
            if depth >= MAX_TPL_DEPTH {
                return Err(TemplateError::wrap(
                    format!(
                        "rendering template has nested tpl calls deeper than {MAX_TPL_DEPTH}: unable to execute template"
                    ),
                    TemplateError::new("unable to execute template"),
                ));
            }
            lib.tpl_depth.set(depth + 1);
            let r = tpl(st, s(0), &a[1]);
            lib.tpl_depth.set(depth);
            r
        }
        "required" => {
            let bad = match &a[1] {
                Value::Nil => true,
                Value::Str(x) => x.is_empty(),
                _ => false,
            };
            if bad {
                return ferr(format!("HELM_ERR_START{}HELM_ERR_END", s(0)));
            }
            Ok(a[1].clone())
        }
        "fail" => ferr(format!("HELM_ERR_START{}HELM_ERR_END", s(0))),
        "toYaml" => Ok(Value::string(
            super::yamlout::to_yaml(&a[0]).unwrap_or_default(),
        )),
        "mustToYaml" => super::yamlout::to_yaml(&a[0])
            .map(Value::string)
            .map_err(|e| TemplateError::new(e.0)),
        "toYamlPretty" => Ok(Value::string(
            super::yamlout::to_yaml_pretty(&a[0]).unwrap_or_default(),
        )),
        "toJson" => Ok(Value::string(
            to_json_string(&a[0], true).unwrap_or_default(),
        )),
        "mustToJson" => to_json_string(&a[0], true).map(Value::string),
        "toRawJson" => Ok(Value::string(
            to_json_string(&a[0], false).unwrap_or_default(),
        )),
        "mustToRawJson" => to_json_string(&a[0], false).map(Value::string),
        // json.MarshalIndent escapes HTML like toJson; the non-must form swallows errors
        "toPrettyJson" => str_v(
            to_json_string(&a[0], true)
                .map(|j| json_indent(&j))
                .unwrap_or_default(),
        ),
        "mustToPrettyJson" => str_v(json_indent(&to_json_string(&a[0], true)?)),
        "fromYaml" => Ok(match super::yaml::parse(s(0)) {
            Ok(v @ Value::Map(_)) => v,
            // sigs.k8s.io/yaml leaves the map as made for an empty or null document
            Ok(Value::Nil) => Value::empty_map(),
            Ok(v) => {
                let mut m = BTreeMap::new();
                m.insert("Error".into(), Value::string(format!("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}", json_kind(&v))));
                Value::map(m)
            }
            Err(e) => {
                let mut m = BTreeMap::new();
                m.insert("Error".into(), Value::string(e.0));
                Value::map(m)
            }
        }),
        "fromYamlArray" => Ok(match super::yaml::parse(s(0)) {
            Ok(v @ Value::List(_)) => v,
            Ok(Value::Nil) => Value::list(vec![]),
            Ok(v) => Value::list(vec![Value::string(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&v)
            ))]),
            Err(e) => Value::list(vec![Value::string(e.0)]),
        }),
        "fromJson" => {
            let r = match go_json_syntax_error(s(0)) {
                Some(e) => Err(e),
                None => parse_json(s(0)),
            };
            Ok(match r {
                Ok(v @ Value::Map(_)) => v,
                // JSON null unmarshalled into a Go map leaves a nil map
                Ok(Value::Nil) => gotemplate::value::nil_map(),
                r => {
                    let e = match r {
                        Err(e) => e,
                        Ok(v) => format!(
                            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                            json_kind(&v)
                        ),
                    };
                    let mut m = BTreeMap::new();
                    m.insert("Error".into(), Value::string(e));
                    Value::map(m)
                }
            })
        }
        "fromJsonArray" => {
            let r = match go_json_syntax_error(s(0)) {
                Some(e) => Err(e),
                None => parse_json(s(0)),
            };
            Ok(match r {
                Ok(v @ Value::List(_)) => v,
                Ok(Value::Nil) => Value::list(vec![]),
                r => {
                    let e = match r {
                        Err(e) => e,
                        Ok(v) => format!(
                            "json: cannot unmarshal {} into Go value of type []interface {{}}",
                            json_kind(&v)
                        ),
                    };
                    Value::list(vec![Value::string(e)])
                }
            })
        }
        "toToml" | "mustToToml" => str_v(crate::toml::to_toml(&a[0])),
        "fromToml" => Ok(Value::empty_map()),
        "lookup" => Ok(Value::empty_map()),
        _ => sprig::functions::call(lib.keys.as_deref(), st, name, a, dot),
    }
}

/// `tpl` implementation (clones the template set, parses the text as "gotpl").
pub fn tpl(st: &mut State, text: &str, vals: &Value) -> Result<Value, TemplateError> {
    let parsed = parse::parse("gotpl", text, &super::functions::has_function);
    let (tree, defs) = match parsed {
        Ok(x) => x,
        Err(e) => {
            return Err(TemplateError::wrap(
                format!(
                    "cannot parse template {}: {}",
                    gotemplate::strconv::go_quote(text),
                    e.0
                ),
                TemplateError::new(e.0),
            ));
        }
    };
    let mut set: TemplateSet = (*st.set).clone();
    for d in defs {
        let d = Rc::new(d);
        if set.contains_key(&d.name) && parse::tree_is_empty(&d) {
            continue;
        }
        set.insert(d.name.clone(), d);
    }
    let tree = Rc::new(tree);
    let set = Rc::new(set);
    let mut inner = State::new(st.ctx, set, tree, vals.clone());
    let mut out = String::new();
    match inner.execute(vals, &mut out) {
        Ok(()) => Ok(Value::string(strip_no_value(out))),
        Err(e) => Err(TemplateError::wrap(
            format!(
                "error during tpl function execution for {}: {}",
                gotemplate::strconv::go_quote(text),
                e.msg
            ),
            e,
        )),
    }
}

/// Helm removes every "`<no value>`" from rendered text; most texts have none, so look first.
pub fn strip_no_value(s: String) -> String {
    if memchr::memmem::find(s.as_bytes(), b"<no value>").is_some() {
        s.replace("<no value>", "")
    } else {
        s
    }
}
