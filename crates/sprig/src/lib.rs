//! Sprig v3's template functions for [`gotemplate`]: strings, lists, dicts, math (with
//! decimal arithmetic), semver, dates, crypto and key generation, plus Go's builtins.

pub mod crypto;
pub mod decimal;
pub mod functions;
pub mod rsakey;
pub mod semver;
pub mod sprigcrypto;
