//! Helpers the lifecycle suites share: `cilium_lifecycle.rs` (the real control plane) and
//! `cilium_lifecycle_faults.rs` (kubesim, for the faults only it can inject).
#![allow(dead_code)] // each suite uses its own part

use std::path::{Path, PathBuf};

use serde_json::Value;
use testkit::kubectl::Kubectl;
use testkit::podnet::{cilium_json as podnet_json, on as podnet};

pub fn chart() -> PathBuf {
    testkit::charts::cilium(testkit::charts::CILIUM)
}

/// `kubectl get … -o json`, or null when the object is not there.
pub fn kubectl_json(kubeconfig: &Path, args: &[&str]) -> Value {
    Kubectl::new(kubeconfig).json_or_null(args)
}

/// `cilium install --chart <shared chart> -f VALUES` plus `extra` flags.
pub fn install(kc: &Path, values: &Path, extra: &[&str]) -> std::process::Output {
    podnet(kc)
        .args(["cilium", "install"])
        .args(extra)
        .arg("--chart")
        .arg(chart())
        .arg("-f")
        .arg(values)
        .output()
        .unwrap()
}

/// `podnet cilium history -o json` as (revision, status, description).
pub fn history(kc: &Path) -> Vec<(i64, String, String)> {
    let h: Value = podnet_json(kc, &["history"]);
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
                r["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Runs `podnet --kubeconfig KC ARGS`, waits (at most 30 s) until `started` holds, then kills it
/// with SIGKILL: a command cut off mid-way, as a node reboot or an OOM kill would.
pub fn kill_when_started(
    kc: &Path,
    args: &[&std::ffi::OsStr],
    what: &str,
    started: impl Fn() -> bool,
) {
    let mut child = testkit::podnet::std_cmd()
        .arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !started() {
        if t0.elapsed().as_secs() >= 30 {
            let _ = child.kill();
            panic!("{what} never started");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Whether the pre-flight DaemonSet and its release records are gone.
pub fn preflight_gone(kc: &Path) -> bool {
    kubectl_json(
        kc,
        &[
            "get",
            "daemonset",
            "cilium-pre-flight-check",
            "-n",
            "kube-system",
        ],
    )
    .is_null()
        && kubectl_json(
            kc,
            &[
                "get",
                "secrets",
                "-n",
                "kube-system",
                "-l",
                "owner=helm,name=cilium-preflight",
            ],
        )["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
}

/// aws-node as it was: podnet must never change it (same object, same spec, same generation).
pub struct AwsNode(Value);

impl AwsNode {
    pub fn now(kc: &Path) -> AwsNode {
        let ds = kubectl_json(kc, &["get", "daemonset", "aws-node", "-n", "kube-system"]);
        assert_eq!(ds["metadata"]["name"], "aws-node", "aws-node is there");
        AwsNode(ds)
    }

    /// Fails unless aws-node has the same uid, generation and spec as when taken.
    pub fn assert_unchanged(&self, kc: &Path, after: &str) {
        let now = AwsNode::now(kc).0;
        for (what, a, b) in [
            ("uid", &self.0["metadata"]["uid"], &now["metadata"]["uid"]),
            (
                "generation",
                &self.0["metadata"]["generation"],
                &now["metadata"]["generation"],
            ),
            ("spec", &self.0["spec"], &now["spec"]),
        ] {
            assert_eq!(a, b, "aws-node's {what} changed after {after}");
        }
    }
}

/// The shared chart re-packaged under another version (templates unchanged).
pub fn chart_as(version: &str, dir: &Path) -> PathBuf {
    let data = std::fs::read(chart()).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&data[..]));
    let out = dir.join(format!("cilium-{version}.tgz"));
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&out).unwrap(),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
        if path.to_string_lossy() == "cilium/Chart.yaml" {
            let text = String::from_utf8(bytes).unwrap();
            bytes = text
                .lines()
                .map(|l| {
                    if l.starts_with("version:") {
                        format!("version: {version}")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, &path, &bytes[..]).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
    out
}

/// Revision `rev` of release `name` as stored (decoded from its Secret).
pub fn record(kc: &Path, name: &str, rev: i64) -> Value {
    let secret = format!("sh.helm.release.v1.{name}.v{rev}");
    let s = kubectl_json(kc, &["get", "secret", &secret, "-n", "kube-system"]);
    let data = s["data"]["release"].as_str().expect("release secret");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    podnet::release::Release::decode(&bytes, &secret).unwrap().0
}

/// A small chart with hooks: weights, the default and explicit delete policies, a Job.
pub fn hooked_chart(dir: &Path, job_image: &str) -> PathBuf {
    let files = [
        (
            "hooked/Chart.yaml",
            "apiVersion: v2\nname: hooked\nversion: 0.1.0\n".to_string(),
        ),
        (
            "hooked/templates/main.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooked-main\ndata:\n  a: \"1\"\n"
                .into(),
        ),
        (
            "hooked/crds/widgets.yaml",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names:\n    kind: Widget\n    plural: widgets\n    singular: widget\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n".into(),
        ),
        (
            "hooked/templates/widget.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 1\n".into(),
        ),
        (
            "hooked/templates/hooks.yaml",
            format!(
                r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: hook-b
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "5"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: hook-a
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-5"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: hook-gone
  annotations:
    "helm.sh/hook": pre-install
    "helm.sh/hook-delete-policy": hook-succeeded
---
apiVersion: batch/v1
kind: Job
metadata:
  name: hook-job
  annotations:
    "helm.sh/hook": post-install
    "helm.sh/hook-weight": "1"
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded,hook-failed
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: job
        image: {job_image}
"#
            ),
        ),
    ];
    testkit::charts::write_tgz(
        &dir.join(format!("hooked-{}.tgz", job_image.replace(['/', ':'], "-"))),
        &files,
    )
}

pub fn rv(kc: &Path, kind: &str, name: &str) -> u64 {
    kubectl_json(kc, &["get", kind, name, "-n", "kube-system"])["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{kind}/{name} missing"))
}
