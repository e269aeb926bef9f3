//! Sprig v3's template functions for [`gotemplate`]: strings, lists, dicts, math (with
//! decimal arithmetic), semver, dates, crypto and key generation, plus Go's builtins.
//!
//! [`functions::SprigFunctions`] is a [`gotemplate::exec::FunctionLibrary`]:
//!
//! ```
//! use gotemplate::exec::{Ctx, FunctionLibrary, State};
//! use gotemplate::value::Value;
//! use sprig::functions::SprigFunctions;
//! use std::rc::Rc;
//!
//! let lib = SprigFunctions::default();
//! let src = r#"{{ list "b" "a" | sortAlpha | join "," | upper }} {{ semverCompare ">=1.2" "1.10.0" }}"#;
//! let (tree, _) = gotemplate::parse::parse("t", src, &|f| lib.signature(f).is_some()).unwrap();
//! let ctx = Ctx { funcs: Box::new(lib), max_output: 1 << 20 };
//! let mut st = State::new(&ctx, Rc::default(), Rc::new(tree), Value::Nil);
//! let mut out = String::new();
//! st.execute(&Value::Nil, &mut out).unwrap();
//! assert_eq!(out, "A,B true");
//! ```

pub mod crypto;
pub mod decimal;
pub mod functions;
pub mod rsakey;
pub mod semver;
pub mod sprigcrypto;
pub mod text;
