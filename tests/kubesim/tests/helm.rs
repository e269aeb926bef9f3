//! kubesim driven by the real Helm v4 library (PyPI helm-python-sdk, module helm_python):
//! install the Cilium chart with hybrid-node values, list, history, upgrade, rollback, uninstall.

mod common;

use common::*;
use kubesim::Options;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const HELPER: &str = r#"
import json, sys
from helm_python import Config

kubeconfig, action, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with Config(kubeconfig_path=kubeconfig, namespace="kube-system") as cfg:
    if action == "install":
        r = cfg.install(args["chart"], "cilium", args["values"], timeout=60, wait="watcher")
    elif action == "upgrade":
        r = cfg.upgrade(args["chart"], "cilium", args["values"], timeout=60)
    elif action == "rollback":
        cfg.rollback("cilium", version=args["version"], timeout=60)
        r = cfg.status("cilium")
    elif action == "uninstall":
        r = cfg.uninstall("cilium", timeout=60)
    elif action == "list":
        r = cfg.list()
    elif action == "history":
        r = cfg.history("cilium")
    else:
        raise SystemExit("unknown action " + action)
    if isinstance(r, dict):
        r.pop("manifest", None)
        r.pop("notes", None)
    print(json.dumps(r))
"#;

fn chart() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/charts/cilium-1.17.18.tgz");
    if let Err(e) = std::fs::metadata(&p) {
        panic!("the Cilium chart is missing at {}: {e}", p.display());
    }
    p
}

fn hybrid_affinity() -> Value {
    json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "eks.amazonaws.com/compute-type", "operator": "In", "values": ["hybrid"]}]}]}}})
}

fn values(operator_replicas: i64) -> Value {
    json!({
        "affinity": hybrid_affinity(),
        "operator": {"affinity": hybrid_affinity(), "replicas": operator_replicas},
        "ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": ["192.168.64.0/20"]}},
    })
}

struct Helm {
    py: PathBuf,
    script: PathBuf,
    kubeconfig: PathBuf,
}

impl Helm {
    fn run(&self, action: &str, args: Value) -> Value {
        let o = Command::new(&self.py)
            .arg(&self.script)
            .arg(&self.kubeconfig)
            .arg(action)
            .arg(args.to_string())
            .output()
            .expect("python runs");
        assert!(
            o.status.success(),
            "helm {action} failed: {}\n{}",
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        );
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "helm {action} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&o.stdout)
            )
        })
    }
}

fn release_secrets(k: &Kubectl) -> Vec<(String, String)> {
    let s = k.json(&[
        "get",
        "secrets",
        "-n",
        "kube-system",
        "-l",
        "owner=helm,name=cilium",
    ]);
    let mut v: Vec<(String, String)> = s["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["metadata"]["name"].as_str().unwrap().to_string(),
                x["metadata"]["labels"]["status"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn helm_install_list_upgrade_rollback_uninstall_cilium() {
    let py = helm_python();
    let dir = tempfile::tempdir().unwrap();
    let script = write_temp(dir.path(), "helm_helper.py", HELPER);
    let nodes = write_temp(dir.path(), "nodes.yaml", &nodes_yaml(2, 2));
    // TLS with a generated CA and a bearer token: Helm reads both from the kubeconfig.
    let sim = start_with(Options {
        load: vec![nodes],
        tls: true,
        ..Options::default()
    });
    assert!(sim.url().starts_with("https://"));
    let k = Kubectl::new(&sim);
    let helm = Helm {
        py,
        script,
        kubeconfig: sim.kubeconfig().to_path_buf(),
    };
    let chart = chart();
    let chart_s = chart.to_string_lossy().to_string();

    // install
    let r = helm.run("install", json!({"chart": chart_s, "values": values(2)}));
    assert_eq!(r["status"], "deployed", "{r}");
    assert_eq!(r["revision"], 1);
    assert_eq!(r["chart_version"], "1.17.18");
    let ds = k.json(&["get", "ds", "cilium", "-n", "kube-system"]);
    assert_eq!(
        ds["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0],
        "hybrid"
    );
    assert_eq!(
        ds["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );
    let cfg = k.json(&["get", "cm", "cilium-config", "-n", "kube-system"]);
    assert_eq!(cfg["data"]["ipam"], "cluster-pool");
    assert_eq!(cfg["data"]["cluster-pool-ipv4-cidr"], "192.168.64.0/20");
    let out = k.ok(&[
        "rollout",
        "status",
        "ds/cilium",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let pods = k.json(&["get", "pods", "-n", "kube-system", "-l", "k8s-app=cilium"]);
    let mut on: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    on.sort();
    assert_eq!(
        on,
        vec!["mi-00000000000000000", "mi-00000000000000001"],
        "agent pods only on hybrid nodes"
    );
    k.ok(&[
        "rollout",
        "status",
        "deploy/cilium-operator",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    // with the agent running, the hybrid nodes become Ready and lose the agent-not-ready taint
    eventually("hybrid nodes Ready", Duration::from_secs(10), || {
        k.ok(&[
            "get",
            "nodes",
            "-l",
            "eks.amazonaws.com/compute-type=hybrid",
            "--no-headers",
        ])
        .lines()
        .all(|l| l.split_whitespace().nth(1) == Some("Ready"))
    });
    // the simulated operator registers the Cilium CRDs and allocates pod CIDRs from the pool
    eventually("CiliumNodes", Duration::from_secs(10), || {
        k.run(&["get", "ciliumnodes", "-o", "json"])
            .status
            .success()
            && k.json(&["get", "ciliumnodes"])["items"]
                .as_array()
                .is_some_and(|a| a.len() == 2)
    });
    let cns = k.json(&["get", "ciliumnodes"]);
    for cn in cns["items"].as_array().unwrap() {
        let cidr = cn["spec"]["ipam"]["podCIDRs"][0].as_str().unwrap();
        assert!(
            cidr.starts_with("192.168.6") && cidr.ends_with("/24"),
            "{cidr}"
        );
    }
    let n = k.json(&["get", "node", "mi-00000000000000000"]);
    assert!(n["spec"].get("taints").is_none(), "{}", n["spec"]);
    let op = k.json(&["get", "deploy", "cilium-operator", "-n", "kube-system"]);
    assert_eq!(op["spec"]["replicas"], 2);
    assert_eq!(
        release_secrets(&k),
        vec![(
            "sh.helm.release.v1.cilium.v1".to_string(),
            "deployed".to_string()
        )]
    );
    let sec = k.json(&[
        "get",
        "secret",
        "sh.helm.release.v1.cilium.v1",
        "-n",
        "kube-system",
    ]);
    assert_eq!(sec["type"], "helm.sh/release.v1");
    assert!(
        sec["data"]["release"]
            .as_str()
            .is_some_and(|r| r.len() > 1000)
    );

    // list and history
    let l = helm.run("list", json!({}));
    assert_eq!(l.as_array().map(|a| a.len()), Some(1), "{l}");
    assert_eq!(l[0]["name"], "cilium");
    assert_eq!(l[0]["status"], "deployed");

    // upgrade
    let r = helm.run("upgrade", json!({"chart": chart_s, "values": values(1)}));
    assert_eq!(r["revision"], 2, "{r}");
    assert_eq!(r["status"], "deployed");
    assert_eq!(
        k.json(&["get", "deploy", "cilium-operator", "-n", "kube-system"])["spec"]["replicas"],
        1
    );
    assert_eq!(
        release_secrets(&k),
        vec![
            (
                "sh.helm.release.v1.cilium.v1".to_string(),
                "superseded".to_string()
            ),
            (
                "sh.helm.release.v1.cilium.v2".to_string(),
                "deployed".to_string()
            ),
        ]
    );
    let h = helm.run("history", json!({}));
    assert_eq!(h.as_array().map(|a| a.len()), Some(2), "{h}");

    // rollback to revision 1
    let r = helm.run("rollback", json!({"version": 1}));
    assert_eq!(r["revision"], 3, "{r}");
    assert_eq!(r["status"], "deployed");
    assert_eq!(
        k.json(&["get", "deploy", "cilium-operator", "-n", "kube-system"])["spec"]["replicas"],
        2
    );
    let secrets = release_secrets(&k);
    assert_eq!(secrets.len(), 3, "{secrets:?}");
    assert_eq!(
        secrets[2],
        (
            "sh.helm.release.v1.cilium.v3".to_string(),
            "deployed".to_string()
        )
    );

    // uninstall
    helm.run("uninstall", json!({}));
    assert!(release_secrets(&k).is_empty());
    let err = k.fails(&["get", "ds", "cilium", "-n", "kube-system"]);
    assert!(err.contains("NotFound"), "{err}");
    let err = k.fails(&["get", "cm", "cilium-config", "-n", "kube-system"]);
    assert!(err.contains("NotFound"), "{err}");
    eventually(
        "agent pods garbage-collected",
        Duration::from_secs(10),
        || {
            k.json(&["get", "pods", "-n", "kube-system", "-l", "k8s-app=cilium"])["items"]
                .as_array()
                .is_some_and(|a| a.is_empty())
        },
    );
    let l = helm.run("list", json!({}));
    assert_eq!(l, json!([]));
    // CRDs (made by the operator, not the chart) stay, as in a real cluster
    k.ok(&["get", "crd", "ciliumnodes.cilium.io"]);
}

const TEST_HELPER: &str = r#"
import json, sys
from helm_python import Config
with Config(kubeconfig_path=sys.argv[1], namespace="default") as cfg:
    cfg.install(sys.argv[2], "mini", {}, timeout=60)
    r = cfg.test("mini", timeout=60)
    print(json.dumps(r["release"]))
"#;

#[test]
fn helm_test_hook_pods_run_to_completion() {
    let py = helm_python();
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("mini");
    std::fs::create_dir_all(chart.join("templates/tests")).unwrap();
    write_temp(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: mini\nversion: 0.1.0\n",
    );
    write_temp(
        &chart.join("templates"),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  a: \"1\"\n",
    );
    write_temp(
        &chart.join("templates/tests"),
        "test.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: test\nspec:\n  restartPolicy: Never\n  containers:\n  - name: t\n    image: busybox\n    command: [\"true\"]\n",
    );
    let script = write_temp(dir.path(), "test_helper.py", TEST_HELPER);
    let sim = start();
    let o = Command::new(py)
        .arg(&script)
        .arg(sim.kubeconfig())
        .arg(&chart)
        .output()
        .expect("python runs");
    assert!(
        o.status.success(),
        "helm test failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rel: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rel["status"], "deployed");
    let k = Kubectl::new(&sim);
    let t = k.ok(&["get", "pod", "mini-test"]);
    assert!(t.contains("Completed"), "{t}");
}

const CRD_HELPER: &str = r#"
import json, sys
from helm_python import Config
with Config(kubeconfig_path=sys.argv[1], namespace="default") as cfg:
    r = cfg.install(sys.argv[2], "eni", {}, timeout=60)
    print(r["status"])
    sys.stdout.flush()
    input()
    cfg.uninstall("eni")
    print("uninstalled")
"#;

#[test]
fn helm_chart_with_crds_installs_crds_first() {
    let py = helm_python();
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("eni");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::create_dir_all(chart.join("crds")).unwrap();
    write_temp(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: eni\nversion: 0.1.0\n",
    );
    write_temp(
        &chart.join("crds"),
        "eni.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: eniconfigs.crd.k8s.amazonaws.com\nspec:\n  group: crd.k8s.amazonaws.com\n  scope: Cluster\n  names: {kind: ENIConfig, listKind: ENIConfigList, plural: eniconfigs, singular: eniconfig}\n  versions:\n  - name: v1alpha1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
    );
    write_temp(
        &chart.join("templates"),
        "eni.yaml",
        "apiVersion: crd.k8s.amazonaws.com/v1alpha1\nkind: ENIConfig\nmetadata:\n  name: us-west-2a\nspec:\n  subnet: subnet-0abc\n",
    );
    let script = write_temp(dir.path(), "crd_helper.py", CRD_HELPER);
    let sim = start();
    let k = Kubectl::new(&sim);
    let mut child = Command::new(py)
        .arg(&script)
        .arg(sim.kubeconfig())
        .arg(&chart)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "deployed");
    let eni = k.json(&["get", "eniconfig", "us-west-2a"]);
    assert_eq!(eni["spec"]["subnet"], "subnet-0abc");
    assert_eq!(
        eni["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "eni"
    );
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the release's objects are gone; CRDs from crds/ stay (Helm never deletes them)
    let err = k.fails(&["get", "eniconfig", "us-west-2a"]);
    assert!(err.contains("NotFound"), "{err}");
    k.ok(&["get", "crd", "eniconfigs.crd.k8s.amazonaws.com"]);
}
