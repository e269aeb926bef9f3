//! Sprig v3's template functions and Go's builtins, as one library for the executor.

use crate::crypto::KeyPool;
use gotemplate::error::TemplateError;
use gotemplate::exec::{FunctionLibrary, ParamKind, Signature, State};
use gotemplate::strconv::go_quote;
use gotemplate::value::Value;
use std::sync::Arc;

mod builtins;
mod collections;
mod crypto;
mod dates;
mod helpers;
mod numbers;
mod strings;

use helpers::*;
pub use helpers::{MAX_SEQUENCE, go_sprint, is_empty, time_string, to_float64, to_int64};

use ParamKind::*;

/// The signature of a known function, or None if undefined.
pub fn signature(name: &str) -> Option<Signature> {
    Some(match name {
        // Go builtins
        "not" | "len" => (&[Any], None),
        "index" | "slice" => (&[Any], Some(Any)),
        "eq" => (&[Any], Some(Any)),
        "ne" | "lt" | "le" | "gt" | "ge" => (&[Any, Any], None),
        "print" | "println" | "html" | "js" | "urlquery" => (&[], Some(Any)),
        "printf" => (&[Str], Some(Any)),
        "and" | "or" => (&[Any], Some(Any)),
        "call" => (&[Any], Some(Any)),
        // strings
        "trim" | "upper" | "lower" | "title" | "untitle" | "nospace" | "initials" | "snakecase"
        | "camelcase" | "kebabcase" | "swapcase" | "shuffle" | "b64enc" | "b64dec" | "b32enc"
        | "b32dec" | "sha1sum" | "sha256sum" | "sha512sum" | "adler32sum" | "base" | "dir"
        | "clean" | "ext" | "isAbs" | "osBase" | "osDir" | "osClean" | "osExt" | "osIsAbs"
        | "regexQuoteMeta" | "atoi" | "urlParse" | "getHostByName" | "bcrypt" | "genPrivateKey"
        | "mustFromJson" => (&[Str], None),
        "htmlDateInZone" => (&[Any, Str], None),
        "trimall" => (&[Str, Str], None),
        "date_in_zone" => (&[Str, Any, Str], None),
        "date_modify" | "must_date_modify" => (&[Str, Time], None),
        "hello" => (&[], None),
        "biggest" => (&[Any], Some(Any)),
        "mustSlice" => (&[Any], Some(Any)),
        "trimAll" | "trimSuffix" | "trimPrefix" | "contains" | "hasPrefix" | "hasSuffix"
        | "split" | "splitList" | "regexMatch" | "mustRegexMatch" | "regexFind"
        | "mustRegexFind" | "regexSplit" | "mustRegexSplit" | "htpasswd" | "encryptAES"
        | "decryptAES" | "buildCustomCert" | "semverCompare" | "toDate" | "mustToDate" => {
            match name {
                "regexSplit" | "mustRegexSplit" => (&[Str, Str, Int], None),
                _ => (&[Str, Str], None),
            }
        }
        "replace"
        | "regexReplaceAll"
        | "mustRegexReplaceAll"
        | "regexReplaceAllLiteral"
        | "mustRegexReplaceAllLiteral" => (&[Str, Str, Str], None),
        "regexFindAll" | "mustRegexFindAll" => (&[Str, Str, Int], None),
        "derivePassword" => (&[Uint32, Str, Str, Str, Str], None),
        "repeat" => (&[Int, Str], None),
        "substr" => (&[Int, Int, Str], None),
        "trunc" | "abbrev" | "wrap" | "indent" | "nindent" => (&[Int, Str], None),
        "abbrevboth" => (&[Int, Int, Str], None),
        "wrapWith" => (&[Int, Str, Str], None),
        "splitn" => (&[Str, Int, Str], None),
        "plural" => (&[Str, Str, Int], None),
        "quote" | "squote" | "cat" | "list" | "tuple" | "dict" | "coalesce" | "all" | "any"
        | "concat" | "add" | "mul" | "addf" | "mulf" | "max" | "min" | "maxf" | "minf" | "seq"
        | "dig" | "uuidv4" | "now" | "randBytes" => match name {
            "add" | "mul" | "max" | "min" | "addf" | "mulf" | "maxf" | "minf" => {
                if name == "add" || name == "addf" {
                    (&[], Some(Any))
                } else {
                    (&[Any], Some(Any))
                }
            }
            "uuidv4" | "now" => (&[], None),
            "seq" => (&[], Some(Int)),
            "randBytes" => (&[Int], None),
            _ => (&[], Some(Any)),
        },
        "join" => (&[Str, Any], None),
        "toString" | "toStrings" | "int" | "int64" | "float64" | "toDecimal" | "add1" | "add1f"
        | "floor" | "ceil" | "empty" | "kindOf" | "typeOf" | "deepCopy" | "mustDeepCopy"
        | "first" | "mustFirst" | "rest" | "mustRest" | "last" | "mustLast" | "initial"
        | "mustInitial" | "reverse" | "mustReverse" | "uniq" | "mustUniq" | "compact"
        | "mustCompact" | "sortAlpha" | "keys" | "values" | "until" | "unixEpoch" | "htmlDate"
        | "ago" | "duration" | "durationRound" | "semver" | "urlJoin" => match name {
            "until" => (&[Int], None),
            "keys" => (&[], Some(Map)),
            "values" => (&[Map], None),
            "unixEpoch" => (&[Time], None),
            _ => (&[Any], None),
        },
        "round" => (&[Any, Int], Some(Float)),
        "sub" | "div" | "mod" => (&[Any, Any], None),
        "randInt" => (&[Int, Int], None),
        "subf" | "divf" => (&[Any], Some(Any)),
        "untilStep" => (&[Int, Int, Int], None),
        "default" => (&[Any], Some(Any)),
        "ternary" => (&[Any, Any, Bool], None),
        "kindIs" | "typeIs" | "typeIsLike" => (&[Str, Any], None),
        "deepEqual" => (&[Any, Any], None),
        "get" => (&[Map, Str], None),
        "set" => (&[Map, Str, Any], None),
        "unset" => (&[Map, Str], None),
        "hasKey" => (&[Map, Str], None),
        "pluck" => (&[Str], Some(Map)),
        "pick" | "omit" => (&[Map], Some(Str)),
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => (&[Map], Some(Map)),
        "append" | "push" | "mustAppend" | "mustPush" | "prepend" | "mustPrepend" => {
            (&[Any, Any], None)
        }
        "without" | "mustWithout" => (&[Any], Some(Any)),
        "has" | "mustHas" => (&[Any, Any], None),
        "chunk" | "mustChunk" => (&[Int, Any], None),
        "date" | "dateInZone" | "dateModify" | "mustDateModify" => match name {
            "dateInZone" => (&[Str, Any, Str], None),
            "dateModify" | "mustDateModify" => (&[Str, Time], None),
            _ => (&[Str, Any], None),
        },
        "genCA" => (&[Str, Int], None),
        "genCAWithKey" => (&[Str, Int, Str], None),
        "genSelfSignedCert" => (&[Str, List, List, Int], None),
        "genSelfSignedCertWithKey" => (&[Str, List, List, Int, Str], None),
        "genSignedCert" => (&[Str, List, List, Int, Any], None),
        "genSignedCertWithKey" => (&[Str, List, List, Int, Any, Str], None),
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => (&[Int], None),
        _ => return None,
    })
}

/// Is `name` a defined function (for the parser)?
pub fn has_function(name: &str) -> bool {
    signature(name).is_some()
}

#[derive(Default)]
pub struct SprigFunctions {
    /// RSA keys searched ahead of the render (`None`: made when asked for).
    pub keys: Option<Arc<KeyPool>>,
}

impl FunctionLibrary for SprigFunctions {
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
        call(self.keys.as_deref(), st, name, args, dot)
    }
    fn method(&self, _recv: &Value, _name: &str) -> Option<Signature> {
        None
    }
    fn call_method(
        &self,
        _recv: &Value,
        name: &str,
        _args: Vec<Value>,
    ) -> Result<Value, TemplateError> {
        ferr(format!("can't call method {}", name))
    }
}

/// Calls Sprig or Go builtin function `name`, module by module (the most used first).
pub fn call(
    keys: Option<&KeyPool>,
    st: &mut State,
    name: &str,
    a: Vec<Value>,
    _dot: &Value,
) -> Result<Value, TemplateError> {
    for module in [
        builtins::call,
        strings::call,
        collections::call,
        numbers::call,
        dates::call,
        crypto::call,
    ] {
        if let Some(v) = module(keys, st, name, &a)? {
            return Ok(v);
        }
    }
    ferr(format!("function {} is not implemented", go_quote(name)))
}
