//! Shared helpers for the kubesim integration tests: real kubectl, real Helm (helm_python).
#![allow(dead_code)]

use kubesim::{Kubesim, Options};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The real kubectl on PATH; fails the test loudly when it is missing.
pub fn kubectl_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let c = dir.join("kubectl");
        if c.is_file() {
            return c;
        }
    }
    panic!(
        "kubectl not found on PATH (set KUBECTL=/path/to/kubectl); these tests need the real kubectl"
    );
}

/// The venv Python that has helm_python (helm-python-sdk); fails loudly when missing.
pub fn helm_python() -> PathBuf {
    let p = match std::env::var_os("PODNET_VENV") {
        Some(v) => PathBuf::from(v).join("bin/python"),
        None => PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache/podnet-venv/bin/python"),
    };
    assert!(
        p.is_file(),
        "Python venv with helm-python-sdk not found at {} (set PODNET_VENV); the Helm tests need it",
        p.display()
    );
    let ok = Command::new(&p)
        .args(["-c", "import helm_python"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{} cannot import helm_python: pip install helm-python-sdk",
        p.display()
    );
    p
}

pub fn start() -> Kubesim {
    start_with(Options::default())
}

pub fn start_with(mut opts: Options) -> Kubesim {
    if opts.ready_after == Options::default().ready_after {
        opts.ready_after = Duration::from_millis(200);
    }
    Kubesim::start_blocking(opts).expect("kubesim starts")
}

pub struct Kubectl {
    pub kubeconfig: PathBuf,
    bin: PathBuf,
}

impl Kubectl {
    pub fn new(sim: &Kubesim) -> Self {
        Self::with_kubeconfig(sim.kubeconfig())
    }

    pub fn with_kubeconfig(kubeconfig: &Path) -> Self {
        Kubectl {
            kubeconfig: kubeconfig.to_path_buf(),
            bin: kubectl_bin(),
        }
    }

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
        let o = self.run(args);
        assert!(
            o.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// `kubectl apply -f -` (or any args) with stdin; asserts success.
    pub fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        let o = self.run_stdin(args, input);
        assert!(
            o.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
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

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("kubectl prints JSON")
    }
}

/// Polls until `f` returns true or the timeout passes.
pub fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < timeout {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

pub fn write_temp(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write temp file");
    p
}

/// Nodes: `ec2` Ready EC2 nodes and `hybrid` hybrid nodes (label eks.amazonaws.com/compute-type=hybrid,
/// taint node.cilium.io/agent-not-ready, NotReady until a CNI agent runs on them).
pub fn nodes_yaml(ec2: usize, hybrid: usize) -> String {
    let mut out = String::new();
    for i in 0..ec2 {
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: ip-10-0-{i}-10.ec2.internal\n  labels:\n    kubernetes.io/os: linux\n    kubernetes.io/hostname: ip-10-0-{i}-10.ec2.internal\n    topology.kubernetes.io/zone: us-west-2a\nspec:\n  podCIDR: 10.1.{i}.0/24\nstatus:\n  addresses:\n  - type: InternalIP\n    address: 10.0.{i}.10\n  conditions:\n  - type: Ready\n    status: \"True\"\n    reason: KubeletReady\n  nodeInfo:\n    kubeletVersion: v1.33.1-eks\n"
        ));
    }
    for i in 0..hybrid {
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: mi-0000000000000000{i}\n  labels:\n    kubernetes.io/os: linux\n    eks.amazonaws.com/compute-type: hybrid\nspec:\n  podCIDR: 192.168.64.{}/28\n  taints:\n  - key: node.cilium.io/agent-not-ready\n    value: \"true\"\n    effect: NoSchedule\nstatus:\n  addresses:\n  - type: InternalIP\n    address: 172.16.0.{}\n  conditions:\n  - type: Ready\n    status: \"False\"\n    reason: KubeletNotReady\n    message: \"container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized\"\n  nodeInfo:\n    kubeletVersion: v1.33.1-eks\n",
            i * 16,
            10 + i
        ));
    }
    out
}

/// (status, lower-cased headers, body)
pub type HttpResponse = (u16, Vec<(String, String)>, Vec<u8>);

/// A minimal HTTP/1.1 client for raw API checks.
pub fn http(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    use std::io::Read;
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut buf = vec![];
    s.read_to_end(&mut buf)?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let hdrs: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(a, b)| (a.trim().to_lowercase(), b.trim().to_string()))
        })
        .collect();
    let mut rest = buf[split + 4..].to_vec();
    if hdrs
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        let mut out = vec![];
        let mut i = 0;
        while let Some(nl) = rest[i..].windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[i..i + nl]).trim(), 16)
                .unwrap_or(0);
            i += nl + 2;
            if size == 0 || i + size > rest.len() {
                break;
            }
            out.extend_from_slice(&rest[i..i + size]);
            i += size + 2;
        }
        rest = out;
    }
    Ok((status, hdrs, rest))
}

pub fn json_lines(body: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(body)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}
