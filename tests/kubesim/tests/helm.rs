//! kubesim driven by the real Helm v4 (testkit's `Helm`: the CLI, or helm-python-sdk until it is built):
//! install the Cilium chart with hybrid-node values, list, history, upgrade, rollback, uninstall.

use kubesim::Options;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use testkit::cluster::{kubesim, kubesim_with, nodes_yaml};
use testkit::helm::Helm;
use testkit::kubectl::Kubectl;
use testkit::{eventually, write_file};

fn chart() -> PathBuf {
    testkit::charts::cilium(testkit::charts::CILIUM)
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

fn release_secrets(k: &Kubectl) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = k
        .release_secrets("cilium", "kube-system")
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
    let dir = tempfile::tempdir().unwrap();
    let nodes = write_file(dir.path(), "nodes.yaml", &nodes_yaml(2, 2));
    // TLS with a generated CA and a bearer token: Helm reads both from the kubeconfig.
    let sim = kubesim_with(Options {
        load: vec![nodes],
        tls: true,
        ..Options::default()
    });
    assert!(sim.url().starts_with("https://"));
    let k = Kubectl::new(sim.kubeconfig());
    let helm = Helm::new(sim.kubeconfig());
    let chart = chart();

    // install
    let r = helm.install_wait(&chart, &values(2));
    assert_eq!(r.status, "deployed", "{r:?}");
    assert_eq!(r.revision, 1);
    assert_eq!(r.chart_version, "1.17.18");
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
    let l = helm.list();
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].name, "cilium");
    assert_eq!(l[0].status, "deployed");

    // upgrade
    let r = helm.upgrade(&chart, &values(1), false);
    assert_eq!(r.revision, 2, "{r:?}");
    assert_eq!(r.status, "deployed");
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
    let h = helm.history();
    assert_eq!(h.len(), 2, "{h:?}");

    // rollback to revision 1
    let r = helm.rollback(1);
    assert_eq!(r.revision, 3, "{r:?}");
    assert_eq!(r.status, "deployed");
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
    helm.uninstall();
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
    assert!(helm.list().is_empty());
    // CRDs (made by the operator, not the chart) stay, as in a real cluster
    k.ok(&["get", "crd", "ciliumnodes.cilium.io"]);
}

#[test]
fn helm_test_hook_pods_run_to_completion() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("mini");
    std::fs::create_dir_all(chart.join("templates/tests")).unwrap();
    write_file(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: mini\nversion: 0.1.0\n",
    );
    write_file(
        &chart.join("templates"),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  a: \"1\"\n",
    );
    write_file(
        &chart.join("templates/tests"),
        "test.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: test\nspec:\n  restartPolicy: Never\n  containers:\n  - name: t\n    image: busybox\n    command: [\"true\"]\n",
    );
    let sim = kubesim();
    let helm = Helm::new(sim.kubeconfig()).release("mini", "default");
    helm.install(&chart, &json!({}));
    let rel = helm.test();
    assert_eq!(rel.status, "deployed", "{rel:?}");
    let k = Kubectl::new(sim.kubeconfig());
    let t = k.ok(&["get", "pod", "mini-test"]);
    assert!(t.contains("Completed"), "{t}");
}

#[test]
fn helm_chart_with_crds_installs_crds_first() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("eni");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::create_dir_all(chart.join("crds")).unwrap();
    write_file(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: eni\nversion: 0.1.0\n",
    );
    write_file(
        &chart.join("crds"),
        "eni.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: eniconfigs.crd.k8s.amazonaws.com\nspec:\n  group: crd.k8s.amazonaws.com\n  scope: Cluster\n  names: {kind: ENIConfig, listKind: ENIConfigList, plural: eniconfigs, singular: eniconfig}\n  versions:\n  - name: v1alpha1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
    );
    write_file(
        &chart.join("templates"),
        "eni.yaml",
        "apiVersion: crd.k8s.amazonaws.com/v1alpha1\nkind: ENIConfig\nmetadata:\n  name: us-west-2a\nspec:\n  subnet: subnet-0abc\n",
    );
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let helm = Helm::new(sim.kubeconfig()).release("eni", "default");
    assert_eq!(helm.install(&chart, &json!({})).status, "deployed");
    let eni = k.json(&["get", "eniconfig", "us-west-2a"]);
    assert_eq!(eni["spec"]["subnet"], "subnet-0abc");
    assert_eq!(
        eni["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "eni"
    );
    helm.uninstall();
    // the release's objects are gone; CRDs from crds/ stay (Helm never deletes them)
    let err = k.fails(&["get", "eniconfig", "us-west-2a"]);
    assert!(err.contains("NotFound"), "{err}");
    k.ok(&["get", "crd", "eniconfigs.crd.k8s.amazonaws.com"]);
}
