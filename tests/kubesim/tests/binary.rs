//! The `kubesim` binary: prints its URL, writes a kubeconfig, loads a folder, generates a
//! scenario, serves TLS, and real kubectl works against it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use testkit::kubectl::Kubectl;
use testkit::write_file;

#[test]
fn binary_prints_url_writes_kubeconfig_loads_folder_and_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let load = dir.path().join("objects");
    std::fs::create_dir(&load).unwrap();
    write_file(
        &load,
        "01-ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: loaded\n",
    );
    write_file(
        &load,
        "02-cms.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: loaded\ndata:\n  k: v\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: loaded\n",
    );
    write_file(&load, "ignored.txt", "not yaml");
    let kc = dir.path().join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args([
            "--tls",
            "--ready-after",
            "100ms",
            "--scenario",
            "eks:nodes=3,hybrid=1,pods=12",
        ])
        .arg("--kubeconfig-out")
        .arg(&kc)
        .arg("--load")
        .arg(&load)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubesim binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let k = Kubectl::new(&kc);
    let cms = k.ok(&["get", "cm", "-n", "loaded", "-o", "name"]);
    assert_eq!(
        cms.lines().collect::<Vec<_>>(),
        vec!["configmap/a", "configmap/b"]
    );
    let nodes = k.ok(&["get", "nodes", "--no-headers"]);
    assert_eq!(nodes.lines().count(), 4, "{nodes}");
    let ds = k.ok(&["get", "ds", "-n", "kube-system"]);
    assert!(ds.contains("aws-node") && ds.contains("kube-proxy"), "{ds}");
    let pods = k.ok(&["get", "pods", "-A", "--no-headers"]);
    assert!(pods.lines().count() >= 12 + 3 + 4, "{pods}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn binary_rejects_bad_flags() {
    let o = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["--scenario", "gke"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown scenario"));
    let o = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["--fault", "bogus:1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown fault"));
}
