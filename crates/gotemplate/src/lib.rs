//! Go's `text/template`, as Helm v4 runs it: lexer and parser ([`parse`]), executor ([`exec`])
//! and dynamic values ([`value`]), with the pieces of Go's standard library templates observe:
//! `fmt` ([`sprintf`]), `strconv` ([`strconv`]), `encoding/json` ([`json`]), `net/url` ([`gourl`]),
//! `regexp` ([`regexp`]), `path` ([`path`]) and `time` ([`gotime`], [`dates`], [`zoneinfo`]).
//!
//! The executor knows no function library: functions and methods reach it through
//! [`exec::FunctionLibrary`].
//!
//! ```
//! use gotemplate::error::TemplateError;
//! use gotemplate::exec::{Ctx, FunctionLibrary, ParamKind, Signature, State};
//! use gotemplate::value::Value;
//! use std::rc::Rc;
//!
//! /// One function, `upper`, and no methods.
//! struct Upper;
//! impl FunctionLibrary for Upper {
//!     fn signature(&self, name: &str) -> Option<Signature> {
//!         (name == "upper").then_some((&[ParamKind::Str], None))
//!     }
//!     fn call(&self, _: &mut State, _: &str, args: Vec<Value>, _: &Value) -> Result<Value, TemplateError> {
//!         Ok(Value::string(args[0].as_str().unwrap_or("").to_uppercase()))
//!     }
//!     fn method(&self, _: &Value, _: &str) -> Option<Signature> {
//!         None
//!     }
//!     fn call_method(&self, _: &Value, name: &str, _: Vec<Value>) -> Result<Value, TemplateError> {
//!         Err(TemplateError::new(format!("can't call method {name}")))
//!     }
//! }
//!
//! let lib = Upper;
//! let (tree, _defines) =
//!     gotemplate::parse::parse("t", "{{ range . }}{{ upper . }} {{ end }}", &|f| lib.signature(f).is_some())
//!         .unwrap();
//! let ctx = Ctx { funcs: Box::new(lib), max_output: 1 << 20 };
//! let dot = Value::list(vec![Value::str("a"), Value::str("b")]);
//! let mut st = State::new(&ctx, Rc::default(), Rc::new(tree), dot.clone());
//! let mut out = String::new();
//! st.execute(&dot, &mut out).unwrap();
//! assert_eq!(out, "A B ");
//! ```

pub mod dates;
pub mod error;
pub mod exec;
pub mod gostr;
pub mod gotime;
pub mod gourl;
pub mod json;
pub mod parse;
pub mod path;
pub mod regexp;
pub mod signature;
pub mod sprintf;
pub mod strconv;
pub mod value;
pub mod zoneinfo;
