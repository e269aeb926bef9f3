//! podnet's test kit: every test reaches its peers and fixtures through here, so each piece of
//! harness exists once. Dev-only: a dev-dependency of the plugin's and kubesim's tests, never a
//! dependency of the plugin.
//!
//! - [`venv`]: the Python venv of the peers (`PODNET_VENV`, the one variable for it).
//! - [`charts`]: the test charts (`PODNET_TEST_CHARTS`, else `../shared/charts`, else pulled).
//! - [`ports`], [`http`]: free ports and a raw HTTP/1.1 client.
//! - [`moto`], [`registry`], [`helm`], [`kubectl`]: the real peers.
//! - [`podnet`]: the plugin binary as tests run it.
//! - [`cluster`]: clusters to test against (kubesim, the real control plane of `tests/cluster.sh`).
//! - [`engine`] (feature `engine`): our render engine beside Helm's, document by document.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub mod charts;
pub mod cluster;
#[cfg(feature = "engine")]
pub mod engine;
pub mod fixtures;
pub mod helm;
pub mod http;
pub mod kubectl;
pub mod moto;
pub mod podnet;
pub mod ports;
pub mod registry;
pub mod venv;

/// The repository's root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$HOME/.cache/<name>`: caches of the peers and charts live outside the clone.
pub fn user_cache(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
        .join(".cache")
        .join(name)
}

/// Writes `dir/rel` (making its parent directories); returns the path.
pub fn write_file(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("create the file's directory");
    }
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
    p
}

/// Polls until `f` returns true; fails the test naming `what` when `timeout` passes first.
pub fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// Files under a directory, recursively, as sorted relative paths.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Random-test parameters: `VAR=<seed>,<cases>` explores further; otherwise the fixed default.
pub fn fuzz_params(var: &str, default: (u64, usize)) -> (u64, usize) {
    std::env::var(var)
        .ok()
        .and_then(|v| {
            let (a, b) = v.split_once(',')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or(default)
}

/// `tests/fixtures/<rel>` of the repository.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// The text of `tests/fixtures/<rel>`.
pub fn fixture_text(rel: &str) -> String {
    let p = fixture(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}
