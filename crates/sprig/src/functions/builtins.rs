//! Go text/template's builtin functions, and Sprig's `semver` constructors.

use super::helpers::*;

/// The function `name` if it is one of this module's: `Ok(None)` when it is not.
pub(super) fn call(
    _keys: Option<&KeyPool>,
    _st: &mut State,
    name: &str,
    a: &[Value],
) -> Result<Option<Value>, TemplateError> {
    let args = Args(a);
    match name {
        // ---------- Go builtins
        "not" => Ok(Value::Bool(!a[0].truthy())),
        "len" => go_len(&a[0]),
        "index" => go_index(&a[0], &a[1..]),
        "eq" => Ok(Value::Bool(go_eq(&a[0], &a[1..])?)),
        "ne" => Ok(Value::Bool(!go_eq(&a[0], &a[1..])?)),
        "lt" => Ok(Value::Bool(go_lt(&a[0], &a[1])?)),
        "le" => Ok(Value::Bool(go_lt(&a[0], &a[1])? || go_eq(&a[0], &a[1..2])?)),
        "gt" => Ok(Value::Bool(
            !(go_lt(&a[0], &a[1])? || go_eq(&a[0], &a[1..2])?),
        )),
        "ge" => Ok(Value::Bool(!go_lt(&a[0], &a[1])?)),
        "print" => str_v(go_sprint(a)),
        "println" => str_v(go_sprintln(a)),
        "printf" => str_v(sprintf(args.s(0), &a[1..])),
        "html" => str_v(html_escape(&eval_args_string(a))),
        "js" => str_v(js_escape(&eval_args_string(a))),
        "urlquery" => str_v(url_query_escape(&eval_args_string(a))),
        "call" => ferr("call of non-function"),
        // ---------- semver
        "semverCompare" => match crate::semver::compare(args.s(0), args.s(1)) {
            Ok(b) => Ok(Value::Bool(b)),
            Err(e) => ferr(e),
        },
        "semver" => match crate::semver::parse_version_object(&strval(&a[0])) {
            Ok(v) => Ok(v),
            Err(e) => ferr(e),
        },
        _ => return Ok(None),
    }
    .map(Some)
}
