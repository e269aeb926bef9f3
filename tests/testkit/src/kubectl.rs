//! The real `kubectl`, run against one kubeconfig.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The kubectl to run: `$KUBECTL`, else the first on PATH; fails the test loudly when missing.
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|c| c.is_file())
        .unwrap_or_else(|| {
            panic!("kubectl not found on PATH (set KUBECTL=/path/to/kubectl); these tests need the real kubectl")
        })
}

pub struct Kubectl {
    pub kubeconfig: PathBuf,
    bin: PathBuf,
}

impl Kubectl {
    pub fn new(kubeconfig: &Path) -> Self {
        Kubectl {
            kubeconfig: kubeconfig.to_path_buf(),
            bin: bin(),
        }
    }

    /// The command with this kubeconfig and a throw-away HOME (no user config or cache).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", std::env::temp_dir())
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("kubectl runs")
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("kubectl output")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.run(args))
    }

    /// With stdin (`apply -f -`); asserts success; returns stdout.
    pub fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        succeeded(args, self.run_stdin(args, input))
    }

    /// Runs and asserts failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            !o.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// `ARGS -o json`, parsed; asserts success.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("kubectl prints JSON")
    }

    /// The Secrets that hold Helm's records of `release` in `namespace` (`owner=helm`).
    pub fn release_secrets(&self, release: &str, namespace: &str) -> Vec<serde_json::Value> {
        let selector = format!("owner=helm,name={release}");
        let list = self.json(&["get", "secrets", "-n", namespace, "-l", &selector]);
        list["items"].as_array().cloned().unwrap_or_default()
    }

    /// `ARGS -o json`, parsed, or null when kubectl fails (the object is not there).
    pub fn json_or_null(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        let o = self.run(&a);
        serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
    }
}

fn succeeded(args: &[&str], o: Output) -> String {
    assert!(
        o.status.success(),
        "kubectl {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}
