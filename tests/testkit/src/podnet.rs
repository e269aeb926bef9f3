//! The plugin binary as tests run it, and reading what it printed.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

/// The built `kubectl-podnet`: cargo's `CARGO_BIN_EXE_kubectl-podnet` in the plugin's tests, else
/// beside the running test binary (kubesim's tests; it may not be built there).
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CARGO_BIN_EXE_kubectl-podnet") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut dir = exe
        .parent()
        .expect("the test binary's directory")
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(format!("kubectl-podnet{}", std::env::consts::EXE_SUFFIX))
}

/// `kubectl-podnet` with plain output (NO_COLOR) and no log filter from the caller's environment,
/// as a std command (to spawn and kill).
pub fn std_cmd() -> std::process::Command {
    let mut c = std::process::Command::new(binary());
    c.env("NO_COLOR", "1").env_remove("PODNET_LOG");
    c
}

/// [`std_cmd`] as an assert_cmd command.
pub fn cmd() -> assert_cmd::Command {
    assert_cmd::Command::from_std(std_cmd())
}

/// [`cmd`] with `--kubeconfig KC`.
pub fn on(kubeconfig: &Path) -> assert_cmd::Command {
    let mut c = cmd();
    c.arg("--kubeconfig").arg(kubeconfig);
    c
}

/// [`std_cmd`] isolated for registry tests: a given chart cache, no user registry credentials.
pub fn isolated_std(cache: &Path) -> std::process::Command {
    let mut c = std_cmd();
    c.env("PODNET_CACHE_DIR", cache)
        .env("DOCKER_CONFIG", cache.with_extension("no-docker"))
        .env("HELM_REGISTRY_CONFIG", cache.with_extension("no-helm.json"));
    c
}

/// [`isolated_std`] as an assert_cmd command, killed after 120 s.
pub fn isolated(cache: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::from_std(isolated_std(cache));
    c.timeout(Duration::from_secs(120));
    c
}

/// Asserts the exit code, showing stderr (and stdout) when it differs.
pub fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Stdout parsed as JSON; the failure shows both streams.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (exit code, stdout as JSON).
pub fn code_and_json(out: &Output) -> (i32, Value) {
    (out.status.code().unwrap_or(-1), json(out))
}

/// `kubectl podnet --kubeconfig KC cilium ARGS -o json`: asserts exit 0, returns the JSON.
pub fn cilium_json(kubeconfig: &Path, args: &[&str]) -> Value {
    let out = on(kubeconfig)
        .arg("cilium")
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    json(&out)
}

/// Stderr with miette's wrapping and gutters undone, so messages can be matched whole.
pub fn flat(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .lines()
        .map(|l| {
            let l = l.trim();
            l.strip_prefix("x ")
                .or_else(|| l.strip_prefix("| "))
                .unwrap_or(l)
                .trim()
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Stderr (flattened) mentions every part.
pub fn mentions(parts: &[&str]) -> impl Predicate<[u8]> + use<> {
    let parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    predicate::function(move |b: &[u8]| {
        let f = flat(b);
        let missing: Vec<&String> = parts.iter().filter(|p| !f.contains(p.as_str())).collect();
        if !missing.is_empty() {
            eprintln!("stderr lacks {missing:?}: {f}");
        }
        missing.is_empty()
    })
}

/// Cilium 1.17 values for hybrid nodes from `podnet cilium values` (pool 192.168.64.0/18, remote
/// node network 172.16.0.0/16, VPC 10.0.0.0/16), written to `dir/values.yaml`.
pub fn hybrid_values_file(dir: &Path) -> PathBuf {
    let out = cmd()
        .args([
            "cilium",
            "values",
            "--cilium-version",
            "1.17",
            "--pod-cidr",
            "192.168.64.0/18",
            "--remote-node-network",
            "172.16.0.0/16",
            "--vpc-cidr",
            "10.0.0.0/16",
        ])
        .output()
        .expect("run kubectl-podnet");
    expect_code(&out, 0);
    let p = dir.join("values.yaml");
    std::fs::write(&p, out.stdout).expect("write values.yaml");
    p
}
