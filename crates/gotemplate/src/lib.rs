//! Go's `text/template`, as Helm v4 runs it: lexer and parser ([`parse`]), executor ([`exec`])
//! and dynamic values ([`value`]), with the pieces of Go's standard library templates observe:
//! `fmt` ([`gofmt`]), `strconv` ([`strconv`]), `encoding/json` ([`json`]), `net/url` ([`gourl`])
//! and `time` ([`gotime`]).
//!
//! The executor knows no function library: functions and methods reach it through
//! [`exec::FunctionLibrary`].

pub mod error;
pub mod exec;
pub mod gofmt;
pub mod gotime;
pub mod gourl;
pub mod json;
pub mod parse;
pub mod signature;
pub mod strconv;
pub mod value;
