//! The Python venv `tests/setup.sh` makes for the peers (helm-python-sdk, moto, pyyaml).
//! One variable names it: `PODNET_VENV` (default `~/.cache/podnet-venv`).

use std::path::PathBuf;

/// The variable that names the venv.
pub const VAR: &str = "PODNET_VENV";

/// The venv's directory.
pub fn dir() -> PathBuf {
    std::env::var_os(VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::user_cache("podnet-venv"))
}

/// A program of the venv (`python`, `moto_server`); fails the test, saying how to get it, when
/// it is missing.
pub fn bin(name: &str) -> PathBuf {
    let p = dir().join("bin").join(name);
    assert!(
        p.is_file(),
        "{} is missing: run `bash tests/setup.sh` (it makes the venv), or set {VAR} to the venv",
        p.display()
    );
    p
}

/// The venv's Python.
pub fn python() -> PathBuf {
    bin("python")
}
