//! Helm v4, the reference podnet is checked against:
//!
//! - [`Helm`]: release actions on a cluster (install, upgrade, rollback, uninstall, list,
//!   history, status, get values, test). It runs the `helm` CLI that `tests/setup.sh` builds
//!   from helm.sh/helm/v4 into `${PODNET_PEERS:-~/.cache/podnet-peers}/bin/helm`; until that CLI
//!   is there it runs the same actions through helm-python-sdk (Helm v4 as a library), and says so.
//! - [`Oracle`]: a long-lived helm-python-sdk process answering render requests (in-process
//!   render is what the engine tests compare against; the CLI would pay a process per case).
//! - [`sdk`]: chart packaging and registry push/pull through helm-python-sdk.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};

use serde_json::{Value, json};

/// A helper script of the kit (`tests/testkit/py/NAME`).
fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join(name)
}

/// Where `tests/setup.sh` installs the peers it builds.
pub fn peers_dir() -> PathBuf {
    std::env::var_os("PODNET_PEERS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::user_cache("podnet-peers"))
}

/// The Helm v4 CLI built by `tests/setup.sh`.
pub fn cli_bin() -> PathBuf {
    peers_dir().join("bin/helm")
}

// ---------------------------------------------------------------------------------------------
// Releases

/// How [`Helm`] reaches Helm v4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The `helm` CLI (field manager `helm`).
    Cli,
    /// helm-python-sdk (field manager `python`).
    Python,
}

impl Backend {
    pub fn field_manager(self) -> &'static str {
        match self {
            Backend::Cli => "helm",
            Backend::Python => "python",
        }
    }
}

/// The field manager of the Helm that [`Helm::new`] runs.
pub fn field_manager() -> &'static str {
    Helm::default_backend().field_manager()
}

/// A release as Helm reports it, the same from either backend.
#[derive(Clone, Debug)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub status: String,
    pub chart_version: String,
    pub description: String,
    /// What Helm printed.
    pub raw: Value,
}

impl Release {
    /// From the CLI's `-o json` (release, list row or history row) or helm-python-sdk's dict.
    pub fn from_json(v: &Value) -> Release {
        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
        let revision = match (&v["revision"], &v["version"]) {
            (Value::Number(n), _) | (Value::Null, Value::Number(n)) => n.as_i64().unwrap_or(0),
            (Value::String(t), _) => t.parse().unwrap_or(0),
            _ => 0,
        };
        let status = v["status"]
            .as_str()
            .or(v["info"]["status"].as_str())
            .unwrap_or("");
        let chart_version = match (&v["chart_version"], &v["chart"]) {
            (Value::String(c), _) => c.clone(),
            (_, Value::String(c)) => chart_version_of(c),
            (_, c) => s(&c["metadata"]["version"]),
        };
        Release {
            name: s(&v["name"]),
            namespace: s(&v["namespace"]),
            revision,
            status: status.to_string(),
            chart_version,
            description: v["description"]
                .as_str()
                .or(v["info"]["description"].as_str())
                .unwrap_or("")
                .to_string(),
            raw: v.clone(),
        }
    }
}

/// `cilium-1.17.18` → `1.17.18` (the version starts at the first `-` before a digit).
fn chart_version_of(chart: &str) -> String {
    chart
        .char_indices()
        .find(|&(i, c)| c == '-' && chart[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| chart[i + 1..].to_string())
        .unwrap_or_default()
}

/// Helm v4 acting on one release of a cluster.
pub struct Helm {
    backend: Backend,
    kubeconfig: PathBuf,
    pub release: String,
    pub namespace: String,
    /// HELM_*_HOME and values files: nothing of the user's Helm setup is read.
    home: tempfile::TempDir,
}

impl Helm {
    /// Release `cilium` in `kube-system`, through the Helm v4 CLI: a test fails (never falls back)
    /// when `tests/setup.sh` has not built it.
    pub fn new(kubeconfig: &Path) -> Helm {
        Helm::with_backend(Helm::default_backend(), kubeconfig)
    }

    /// The backend [`Helm::new`] picks: the CLI; helm-python-sdk only when a test asks for it.
    pub fn default_backend() -> Backend {
        Backend::Cli
    }

    pub fn with_backend(backend: Backend, kubeconfig: &Path) -> Helm {
        if backend == Backend::Cli {
            assert!(
                cli_bin().is_file(),
                "the Helm v4 CLI is missing at {}: run `bash tests/setup.sh`",
                cli_bin().display()
            );
        }
        Helm {
            backend,
            kubeconfig: kubeconfig.to_path_buf(),
            release: "cilium".into(),
            namespace: "kube-system".into(),
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The same Helm acting on another release.
    pub fn release(mut self, name: &str, namespace: &str) -> Helm {
        self.release = name.into();
        self.namespace = namespace.into();
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The field manager Helm applies objects with: podnet shares it to take objects over.
    pub fn field_manager(&self) -> &'static str {
        self.backend.field_manager()
    }

    pub fn install(&self, chart: &Path, values: &Value) -> Release {
        self.install_opts(chart, values, false)
    }

    /// Install and wait until the release's resources are ready (Helm's `watcher` strategy).
    pub fn install_wait(&self, chart: &Path, values: &Value) -> Release {
        self.install_opts(chart, values, true)
    }

    fn install_opts(&self, chart: &Path, values: &Value, wait: bool) -> Release {
        let py = json!({"wait": wait.then_some("watcher")});
        self.chart_action(
            "install",
            chart,
            values,
            wait.then_some("--wait=watcher"),
            py,
        )
    }

    /// `helm upgrade`; `reuse_values` merges `values` over the release's (`--reuse-values`).
    pub fn upgrade(&self, chart: &Path, values: &Value, reuse_values: bool) -> Release {
        let py = json!({"reuse_values": reuse_values});
        self.chart_action(
            "upgrade",
            chart,
            values,
            reuse_values.then_some("--reuse-values"),
            py,
        )
    }

    /// install or upgrade: `cli_flag` for the CLI, `py` (arguments) for helm-python-sdk.
    fn chart_action(
        &self,
        action: &str,
        chart: &Path,
        values: &Value,
        cli_flag: Option<&str>,
        mut py: Value,
    ) -> Release {
        Release::from_json(&match self.backend {
            Backend::Cli => {
                let mut args = self.chart_args(action, chart, values);
                args.extend(cli_flag.map(String::from));
                self.cli_json(&args)
            }
            Backend::Python => {
                py["chart"] = json!(chart);
                py["values"] = values.clone();
                self.py(action, py)
            }
        })
    }

    /// `helm rollback` to `revision`; the release's status after it.
    pub fn rollback(&self, revision: i64) -> Release {
        match self.backend {
            Backend::Cli => {
                self.cli_action("rollback", &[revision.to_string()]);
                self.status()
            }
            Backend::Python => {
                Release::from_json(&self.py("rollback", json!({"revision": revision})))
            }
        }
    }

    pub fn uninstall(&self) {
        match self.backend {
            Backend::Cli => {
                self.cli_action("uninstall", &[]);
            }
            Backend::Python => {
                self.py("uninstall", json!({}));
            }
        }
    }

    /// `helm test`; the release's status after it.
    pub fn test(&self) -> Release {
        match self.backend {
            Backend::Cli => {
                self.cli_action("test", &[]);
                self.status()
            }
            Backend::Python => Release::from_json(&self.py("test", json!({}))),
        }
    }

    /// The namespace's releases.
    pub fn list(&self) -> Vec<Release> {
        let v = match self.backend {
            Backend::Cli => self.cli_json(&["list".into()]),
            Backend::Python => self.py("list", json!({})),
        };
        Self::releases(&v)
    }

    pub fn history(&self) -> Vec<Release> {
        let v = match self.backend {
            Backend::Cli => self.cli_json(&["history".into(), self.release.clone()]),
            Backend::Python => self.py("history", json!({})),
        };
        Self::releases(&v)
    }

    pub fn status(&self) -> Release {
        Release::from_json(&match self.backend {
            Backend::Cli => self.cli_json(&["status".into(), self.release.clone()]),
            Backend::Python => self.py("status", json!({})),
        })
    }

    /// The user-supplied values of the release (`helm get values`).
    pub fn get_values(&self) -> Value {
        match self.backend {
            Backend::Cli => self.cli_json(&["get".into(), "values".into(), self.release.clone()]),
            Backend::Python => self.py("values", json!({})),
        }
    }

    fn releases(v: &Value) -> Vec<Release> {
        v.as_array()
            .unwrap_or_else(|| panic!("Helm printed no list: {v}"))
            .iter()
            .map(Release::from_json)
            .collect()
    }

    /// `ACTION RELEASE CHART -f VALUES --timeout 60s`.
    fn chart_args(&self, action: &str, chart: &Path, values: &Value) -> Vec<String> {
        let file = tempfile::Builder::new()
            .suffix(".json")
            .tempfile_in(self.home.path())
            .expect("values file")
            .into_temp_path()
            .keep()
            .expect("keep values file");
        std::fs::write(&file, values.to_string()).expect("write values");
        vec![
            action.into(),
            self.release.clone(),
            chart.display().to_string(),
            "-f".into(),
            file.display().to_string(),
            "--timeout".into(),
            "60s".into(),
        ]
    }

    /// `helm ACTION RELEASE EXTRA… --timeout 60s`.
    fn cli_action(&self, action: &str, extra: &[String]) -> Output {
        let mut args = vec![action.to_string(), self.release.clone()];
        args.extend_from_slice(extra);
        args.extend(["--timeout".into(), "60s".into()]);
        self.cli(&args)
    }

    /// The `helm` CLI with `args`, this release's kubeconfig, namespace and isolated homes, not
    /// run: for tests that expect Helm to fail and read what it printed (CLI backend only).
    pub fn cli_command(&self, args: &[&str]) -> Command {
        assert!(
            cli_bin().is_file(),
            "the Helm v4 CLI is missing at {}: run `bash tests/setup.sh`",
            cli_bin().display()
        );
        let h = self.home.path();
        let mut c = Command::new(cli_bin());
        c.args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--namespace", &self.namespace])
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_DATA_HOME", h.join("data"))
            .env_remove("HELM_DRIVER");
        c
    }

    fn cli(&self, args: &[String]) -> Output {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        succeeded(&format!("helm {args:?}"), self.cli_command(&argv))
    }

    fn cli_json(&self, args: &[String]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o".into(), "json".into()]);
        stdout_json(&format!("helm {args:?}"), &self.cli(&a))
    }

    fn py(&self, action: &str, mut args: Value) -> Value {
        args["name"] = self.release.clone().into();
        let mut c = Command::new(crate::venv::python());
        c.arg(script("helm_release.py"))
            .arg(&self.kubeconfig)
            .arg(&self.namespace)
            .arg(action)
            .arg(args.to_string());
        let what = format!("helm {action} (helm-python-sdk)");
        stdout_json(&what, &succeeded(&what, c))
    }
}

/// Runs `c`; fails the test with both streams unless it succeeds.
fn succeeded(what: &str, mut c: Command) -> Output {
    let o = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    o
}

fn stdout_json(what: &str, o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The render oracle

/// A long-lived helm-python-sdk process answering JSON-lines requests (`py/oracle.py`).
pub struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    /// Starts the oracle; fails the test when Helm v4 via helm-python-sdk is unavailable.
    pub fn start() -> Oracle {
        let mut child = Command::new(crate::venv::python())
            .arg(script("oracle.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("Helm oracle unavailable: cannot start the venv's python");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut o = Oracle {
            child,
            stdin,
            stdout,
        };
        let r = o.request(&json!({"op": "ping"}));
        assert_eq!(r["ok"], Value::Bool(true), "Helm oracle unavailable: {r}");
        o
    }

    pub fn request(&mut self, req: &Value) -> Value {
        writeln!(self.stdin, "{req}").expect("oracle write");
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("oracle read");
        assert!(
            !line.is_empty(),
            "Helm oracle exited (is helm-python-sdk installed? bash tests/setup.sh)"
        );
        serde_json::from_str(&line).expect("oracle json")
    }

    /// Render with Helm v4: Ok(path → text) or Err(Helm's error message).
    pub fn render(
        &mut self,
        chart: &Path,
        values_yaml: &[String],
        name: &str,
        ns: &str,
    ) -> Result<BTreeMap<String, String>, String> {
        let r = self.request(&json!({
            "op": "render", "chart": chart, "values_yaml": values_yaml, "name": name, "namespace": ns
        }));
        if r["ok"] == Value::Bool(true) {
            let m = r["manifests"].as_object().unwrap();
            Ok(m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect())
        } else {
            Err(r["error"].as_str().unwrap_or("").to_string())
        }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Masks random material: PEM bodies and long base64 runs.
pub fn mask(s: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"[A-Za-z0-9+/]{60,}={0,2}").unwrap())
        .replace_all(s, "<MASKED>")
        .into_owned()
}

// ---------------------------------------------------------------------------------------------
// Packaging and registries

/// Chart packaging and OCI registry actions of Helm v4 through helm-python-sdk
/// (`py/helm_registry.py`).
pub mod sdk {
    use std::path::Path;
    use std::process::Command;

    use serde_json::Value;

    /// Runs one request (`op`: package, push, pull); `env` adds e.g. `SSL_CERT_FILE`.
    pub fn run(req: Value, env: &[(&str, &Path)]) -> Value {
        let mut cmd = Command::new(crate::venv::python());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.arg(super::script("helm_registry.py"))
            .arg(req.to_string());
        let what = format!("helm op {req} (helm-python-sdk)");
        super::stdout_json(&what, &super::succeeded(&what, cmd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_read_the_same_from_cli_and_sdk_shapes() {
        let cli_list = json!({"name": "cilium", "namespace": "kube-system", "revision": "4",
            "status": "deployed", "chart": "cilium-1.17.19", "app_version": "1.17.19"});
        let cli_release = json!({"name": "cilium", "namespace": "kube-system", "version": 2,
            "info": {"status": "deployed", "description": "Upgrade complete"},
            "chart": {"metadata": {"name": "cilium", "version": "1.18.0-rc.1"}}});
        let sdk = json!({"name": "cilium", "namespace": "kube-system", "revision": 3,
            "status": "superseded", "chart_version": "1.17.18"});
        let r = Release::from_json(&cli_list);
        assert_eq!(
            (r.revision, r.status.as_str(), r.chart_version.as_str()),
            (4, "deployed", "1.17.19")
        );
        let r = Release::from_json(&cli_release);
        assert_eq!(
            (r.revision, r.status.as_str(), r.chart_version.as_str()),
            (2, "deployed", "1.18.0-rc.1")
        );
        assert_eq!(r.description, "Upgrade complete");
        let r = Release::from_json(&sdk);
        assert_eq!(
            (r.revision, r.status.as_str(), r.chart_version.as_str()),
            (3, "superseded", "1.17.18")
        );
        assert_eq!(chart_version_of("cilium-1.17.18"), "1.17.18");
    }
}
