//! Test support: a long-lived Helm v4 oracle (helm-python-sdk) answering JSON-lines requests,
//! and document-by-document comparison with random key/cert material masked.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

pub struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
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

pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("PODNET_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    PathBuf::from(home).join(".cache/podnet-venv/bin/python")
}

impl Oracle {
    /// Start the oracle; panics (failing the test) when Helm v4 via helm-python-sdk is unavailable.
    pub fn start() -> Oracle {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/helm/oracle.py");
        let mut child = Command::new(python())
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("Helm oracle unavailable: cannot start the helm-python-sdk venv python (set PODNET_PYTHON)");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut o = Oracle {
            child,
            stdin,
            stdout,
        };
        let r = o.request(&serde_json::json!({"op": "ping"}));
        assert_eq!(
            r["ok"],
            serde_json::Value::Bool(true),
            "Helm oracle unavailable: {r}"
        );
        o
    }

    pub fn request(&mut self, req: &serde_json::Value) -> serde_json::Value {
        writeln!(self.stdin, "{}", req).expect("oracle write");
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("oracle read");
        assert!(
            !line.is_empty(),
            "Helm oracle exited (is helm-python-sdk installed?)"
        );
        serde_json::from_str(&line).expect("oracle json")
    }

    /// Render with Helm v4: Ok(files) or Err(helm's error message).
    pub fn render(
        &mut self,
        chart: &Path,
        values_yaml: &[String],
        name: &str,
        ns: &str,
    ) -> Result<BTreeMap<String, String>, String> {
        let r = self.request(&serde_json::json!({
            "op": "render", "chart": chart, "values_yaml": values_yaml, "name": name, "namespace": ns
        }));
        if r["ok"] == serde_json::Value::Bool(true) {
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

/// Mask random material: PEM bodies and long base64 runs.
pub fn mask(s: &str) -> String {
    let re = regex::Regex::new(r"[A-Za-z0-9+/]{60,}={0,2}").unwrap();
    re.replace_all(s, "<MASKED>").into_owned()
}

pub struct Comparison {
    pub identical: usize,
    pub total: usize,
    pub diffs: Vec<String>,
}

/// Compare two render maps document by document.
pub fn compare(ours: &BTreeMap<String, String>, theirs: &BTreeMap<String, String>) -> Comparison {
    let mut c = Comparison {
        identical: 0,
        total: 0,
        diffs: vec![],
    };
    let keys: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for k in keys {
        let a = ours.get(k).map(|s| s.as_str()).unwrap_or("<missing>");
        let b = theirs.get(k).map(|s| s.as_str()).unwrap_or("<missing>");
        let da: Vec<String> = podnet::helm::render::split_manifests(a)
            .iter()
            .map(|d| mask(d))
            .collect();
        let db: Vec<String> = podnet::helm::render::split_manifests(b)
            .iter()
            .map(|d| mask(d))
            .collect();
        let n = da.len().max(db.len()).max(1);
        for i in 0..n {
            c.total += 1;
            let x = da.get(i).map(|s| s.as_str()).unwrap_or("");
            let y = db.get(i).map(|s| s.as_str()).unwrap_or("");
            // whole-file whitespace also matters: compare raw masked files when single doc
            if x == y && (n > 1 || mask(a) == mask(b)) {
                c.identical += 1;
            } else {
                c.diffs.push(format!(
                    "--- {} doc {}\n{}",
                    k,
                    i,
                    first_diff(&mask(a), &mask(b))
                ));
            }
        }
    }
    c
}

fn first_diff(a: &str, b: &str) -> String {
    let la: Vec<&str> = a.split('\n').collect();
    let lb: Vec<&str> = b.split('\n').collect();
    for i in 0..la.len().max(lb.len()) {
        let x = la.get(i).copied();
        let y = lb.get(i).copied();
        if x != y {
            let from = i.saturating_sub(2);
            let mut s = String::new();
            for j in from..(i + 3) {
                s.push_str(&format!(
                    "  ours  {:4}: {:?}\n",
                    j + 1,
                    la.get(j).copied().unwrap_or("<eof>")
                ));
            }
            for j in from..(i + 3) {
                s.push_str(&format!(
                    "  helm  {:4}: {:?}\n",
                    j + 1,
                    lb.get(j).copied().unwrap_or("<eof>")
                ));
            }
            return s;
        }
    }
    "  (identical lines; trailing difference)\n".into()
}

/// Render with our engine from YAML value files.
pub fn ours(
    chart: &Path,
    values_yaml: &[String],
    name: &str,
    ns: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut v = podnet::helm::Values::new();
    for (i, y) in values_yaml.iter().enumerate() {
        v.add_yaml_file(&format!("values-{i}.yaml"), y)
            .map_err(|e| e.0)?;
    }
    let opts = podnet::helm::RenderOptions {
        release_name: name.into(),
        namespace: ns.into(),
        ..Default::default()
    };
    podnet::helm::render_files(chart, &v, &opts).map_err(|e| e.0)
}
