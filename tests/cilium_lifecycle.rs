//! Backend: the REAL control plane (`tests/cluster.sh`: kube-apiserver, controller-manager and
//! scheduler v1.36.3, etcd, kwok kubelets; 2 EC2 + 2 hybrid nodes, aws-node and kube-proxy as on
//! EKS) and the Helm v4 CLI as the other client. Every lifecycle flow runs here, so the server's
//! validation, server-side apply, and the status its controllers write are the real ones. Only
//! the flows that need injected faults (kill mid-apply, 5xx, image pulls that fail) stay on
//! kubesim, in `cilium_lifecycle_faults.rs`. aws-node is checked unchanged after every flow.
//! The peers come from `bash tests/setup.sh`; without them these tests fail, saying so.

mod lifecycle;

use std::path::{Path, PathBuf};

use lifecycle::*;
use serde_json::{Value, json};
use testkit::cluster::RealCluster;
use testkit::helm::{Backend, Helm};
use testkit::kubectl::Kubectl;
use testkit::podnet::hybrid_values_file as values_file;
use testkit::podnet::{cilium_json as podnet_json, expect_code, on as podnet};

/// Helm's CLI applies with field manager `helm`; podnet shares it to take objects over.
const FM: &str = "helm";

/// A real cluster (2 EC2 + 2 hybrid nodes) and a values file for the shared chart.
struct Cluster {
    /// Stops the cluster on drop.
    _real: RealCluster,
    kc: PathBuf,
    dir: tempfile::TempDir,
    values: PathBuf,
    aws_node: AwsNode,
}

fn cluster() -> Cluster {
    let real = RealCluster::up(2, 2);
    let kc = real.kubeconfig().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let values = values_file(dir.path());
    let aws_node = AwsNode::now(&kc);
    Cluster {
        _real: real,
        kc,
        dir,
        values,
        aws_node,
    }
}

/// The Helm v4 CLI (never helm-python-sdk here): fails asking for `bash tests/setup.sh` when
/// it is not built.
fn helm(kc: &Path) -> Helm {
    Helm::with_backend(Backend::Cli, kc)
}

fn out_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `podnet cilium status -o json` until it passes (the real controllers write status in their
/// own time), or the last report after 60 s.
fn status_until_healthy(kc: &Path) -> (Option<i32>, Value) {
    let t0 = std::time::Instant::now();
    loop {
        let out = podnet(kc)
            .args(["cilium", "status", "-o", "json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("status -o json: {e}: {}", out_text(&out)));
        if out.status.code() == Some(0) || t0.elapsed().as_secs() > 60 {
            return (out.status.code(), v);
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[test]
fn podnet_installs_waits_helm_upgrades_reusing_values_podnet_reads_and_uninstalls() {
    let c = cluster();
    let kc = &c.kc;
    let out = install(
        kc,
        &c.values,
        &["--wait", "--timeout", "90s", "--field-manager", FM],
    );
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("STATUS: deployed"));
    // --wait returned once the real DaemonSet controller reported every agent ready.
    let ds = kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"]);
    assert_eq!(ds["status"]["numberReady"], 2, "{}", ds["status"]);
    assert_eq!(
        ds["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "cilium"
    );
    assert_eq!(
        ds["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );
    c.aws_node.assert_unchanged(kc, "install");

    let helm = helm(kc);
    let rel = helm
        .list()
        .into_iter()
        .find(|r| r.name == "cilium")
        .expect("helm lists podnet's release");
    assert_eq!((rel.status.as_str(), rel.revision), ("deployed", 1));
    let hv = helm.get_values();
    assert_eq!(
        hv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0], "192.168.64.0/18",
        "{hv}"
    );

    // A second install is refused while the release exists.
    let out = install(kc, &c.values, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // `helm upgrade --reuse-values` over podnet's release; podnet reads Helm's revision.
    let up = helm.upgrade(&chart(), &json!({"operator": {"replicas": 1}}), true);
    assert_eq!(up.revision, 2);
    let (code, st) = status_until_healthy(kc);
    assert_eq!(code, Some(0), "{st}");
    assert_eq!(
        (
            st["release"]["revision"].as_i64(),
            st["release"]["status"].as_str(),
            st["operator"]["replicas"].as_i64(),
            st["agent"]["ready"].as_i64(),
        ),
        (Some(2), Some("deployed"), Some(1), Some(2)),
        "{st}"
    );
    let h = history(kc);
    assert_eq!(
        h.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        ["superseded", "deployed"],
        "{h:?}"
    );
    let gv: Value = podnet_json(kc, &["get-values"]);
    assert_eq!(gv["operator"]["replicas"], 1);
    assert_eq!(
        gv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0], "192.168.64.0/18",
        "--reuse-values kept podnet's values"
    );
    c.aws_node.assert_unchanged(kc, "helm upgrade");

    // podnet uninstalls: the release's objects and records go; aws-node stays.
    let out = podnet(kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"]).is_null());
    assert!(
        Kubectl::new(kc)
            .release_secrets("cilium", "kube-system")
            .is_empty()
    );
    assert!(helm.list().iter().all(|r| r.name != "cilium"));
    c.aws_node.assert_unchanged(kc, "uninstall");
}

#[test]
fn helm_installs_podnet_upgrades_helm_rolls_back_podnet_shows_it() {
    let c = cluster();
    let kc = &c.kc;
    let helm = helm(kc);
    helm.install(
        &chart(),
        &json!({"ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": ["192.168.64.0/18"]}}}),
    );
    let out = podnet(kc).args(["cilium", "history"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("deployed")
            && text.contains("cilium-1.17.18")
            && text.contains("Install complete"),
        "{text}"
    );
    let out = podnet(kc).args(["cilium", "get-values"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("192.168.64.0/18"));

    // podnet upgrades Helm's release (taking its objects over as field manager `helm`).
    let out = podnet(kc)
        .args([
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--field-manager",
            FM,
            "--set",
            "operator.replicas=1",
            "-o",
            "json",
            "--chart",
        ])
        .arg(chart_as("1.17.19", c.dir.path()))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["revision"].as_i64(), v["status"].as_str()),
        (Some(2), Some("deployed")),
        "{v}"
    );
    let dep = kubectl_json(
        kc,
        &["get", "deployment", "cilium-operator", "-n", "kube-system"],
    );
    assert_eq!(dep["spec"]["replicas"], 1);
    c.aws_node.assert_unchanged(kc, "podnet upgrade");

    // `helm rollback` to Helm's revision; `podnet cilium history` shows it.
    let rb = helm.rollback(1);
    assert_eq!(rb.revision, 3);
    let out = podnet(kc).args(["cilium", "history"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.starts_with('3')
            && last.contains("deployed")
            && last.contains("cilium-1.17.18")
            && last.contains("Rollback to 1"),
        "{text}"
    );
    let dep = kubectl_json(
        kc,
        &["get", "deployment", "cilium-operator", "-n", "kube-system"],
    );
    assert_eq!(dep["spec"]["replicas"], 2, "Helm's rollback applied");

    // An object the release does not own is never deleted.
    let o = Kubectl::new(kc).run(&[
        "annotate",
        "serviceaccount",
        "cilium",
        "-n",
        "kube-system",
        "--overwrite",
        "meta.helm.sh/release-name=someone-else",
    ]);
    assert!(o.status.success());
    let out = podnet(kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("kept: ServiceAccount/cilium (not owned by release cilium)")
    );
    assert_eq!(
        kubectl_json(
            kc,
            &["get", "serviceaccount", "cilium", "-n", "kube-system"]
        )["metadata"]["name"],
        "cilium"
    );
    c.aws_node.assert_unchanged(kc, "uninstall");
}

/// `cilium upgrade --skip-preflight --field-manager helm -o json --chart CHART -f VALUES`.
fn upgrade(kc: &Path, chart: &Path, values: &Path) -> std::process::Output {
    podnet(kc)
        .args([
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--field-manager",
            FM,
            "-o",
            "json",
            "--chart",
        ])
        .arg(chart)
        .arg("-f")
        .arg(values)
        .output()
        .unwrap()
}

#[test]
fn upgrade_guards_upgrade_across_a_minor_and_rollback() {
    let c = cluster();
    let (kc, dir) = (&c.kc, c.dir.path());
    expect_code(&install(kc, &c.values, &["--field-manager", FM]), 0);

    let extra = dir.join("extra.yaml");
    std::fs::write(&extra, "operator:\n  replicas: 1\n").unwrap();
    // Same minor, new patch: deployed values reused, new ones merged over them.
    let out = upgrade(kc, &chart_as("1.17.19", dir), &extra);
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["revision"].as_i64(),
            v["status"].as_str(),
            v["description"].as_str()
        ),
        (Some(2), Some("deployed"), Some("Upgrade complete"))
    );
    let gv: Value = podnet_json(kc, &["get-values"]);
    assert_eq!(gv["operator"]["replicas"], 1);
    assert_eq!(
        gv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0],
        "192.168.64.0/18"
    );
    assert!(gv.get("upgradeCompatibility").is_none(), "same minor");
    c.aws_node.assert_unchanged(kc, "patch upgrade");

    // Guards: each refused with a clear message, and nothing recorded or applied.
    let pool = dir.join("pool.yaml");
    std::fs::write(
        &pool,
        "ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: [10.99.0.0/16]\n",
    )
    .unwrap();
    let mask = dir.join("mask.yaml");
    std::fs::write(
        &mask,
        "ipam:\n  operator:\n    clusterPoolIPv4MaskSize: 26\n",
    )
    .unwrap();
    let cm_before = kubectl_json(
        kc,
        &["get", "configmap", "cilium-config", "-n", "kube-system"],
    );
    for (chart, values, expect) in [
        (
            chart_as("1.17.20", dir),
            pool.clone(),
            "changes ipam.operator.clusterPoolIPv4PodCIDRList",
        ),
        (
            chart_as("1.17.20", dir),
            mask.clone(),
            "ipam.operator.clusterPoolIPv4MaskSize",
        ),
        (
            chart_as("1.19.0", dir),
            extra.clone(),
            "skips a minor version",
        ),
        (chart_as("1.17.0", dir), extra.clone(), "downgrade"),
    ] {
        let out = upgrade(kc, &chart, &values);
        assert_eq!(out.status.code(), Some(2), "{expect}: {}", out_text(&out));
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(expect), "{expect}: {e}");
    }
    assert_eq!(history(kc).len(), 2, "refused upgrades record nothing");
    let cm_after = kubectl_json(
        kc,
        &["get", "configmap", "cilium-config", "-n", "kube-system"],
    );
    assert_eq!(
        cm_before["metadata"]["resourceVersion"], cm_after["metadata"]["resourceVersion"],
        "refused upgrades apply nothing"
    );

    // Next minor: upgradeCompatibility set to the minor first installed.
    let out = upgrade(kc, &chart_as("1.18.0", dir), &extra);
    expect_code(&out, 0);
    let gv: Value = podnet_json(kc, &["get-values"]);
    assert_eq!(gv["upgradeCompatibility"], "1.17");
    let cm = kubectl_json(
        kc,
        &["get", "configmap", "cilium-config", "-n", "kube-system"],
    );
    assert!(cm["data"].is_object());
    c.aws_node.assert_unchanged(kc, "minor upgrade");

    // Rollback to revision 2 as revision 4; Helm sees it.
    let out = podnet(kc)
        .args([
            "cilium",
            "rollback",
            "2",
            "--field-manager",
            FM,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["revision"].as_i64(), v["description"].as_str()),
        (Some(4), Some("Rollback to 2"))
    );
    let h = history(kc);
    assert_eq!(
        h.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        ["superseded", "superseded", "superseded", "deployed"],
        "{h:?}"
    );
    let helm = helm(kc);
    let rel = helm
        .list()
        .into_iter()
        .find(|r| r.name == "cilium")
        .unwrap();
    assert_eq!(
        (
            rel.revision,
            rel.status.as_str(),
            rel.chart_version.as_str()
        ),
        (4, "deployed", "1.17.19"),
        "{rel:?}"
    );
    // Helm rolls back to podnet's 1.18.0 revision; podnet's history shows it.
    let rb = helm.rollback(3);
    assert_eq!(rb.revision, 5);
    let out = podnet(kc).args(["cilium", "history"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.starts_with('5')
            && last.contains("deployed")
            && last.contains("cilium-1.18.0")
            && last.contains("Rollback to 3"),
        "{text}"
    );
    c.aws_node.assert_unchanged(kc, "rollbacks");
}

#[test]
fn status_reports_readiness_and_pool_from_the_real_controllers() {
    let c = cluster();
    let kc = &c.kc;
    let out = podnet(kc).args(["cilium", "status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "no release yet");
    assert!(String::from_utf8_lossy(&out.stdout).contains("release-not-found"));
    expect_code(&install(kc, &c.values, &[]), 0);
    let (code, st) = status_until_healthy(kc);
    assert_eq!(code, Some(0), "{st}");
    assert_eq!(st["findings"], json!([]), "{st}");
    assert_eq!(st["hybridNodes"], 2);
    assert_eq!(st["hybridNodesWithoutAgent"], json!([]));
    assert_eq!(st["agent"]["ready"], 2);
    assert_eq!(st["operator"]["available"], 2);
    assert_eq!(st["pool"]["mask"], 25);
    assert_eq!(st["pool"]["blocks"], "128");
    // No Cilium operator runs here, so no CiliumNode CRD: no block has been handed out.
    assert_eq!(st["pool"]["blocksInUse"], 0, "{st}");
    let out = podnet(kc).args(["cilium", "status"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 of 128 node blocks in use"), "{text}");
    c.aws_node.assert_unchanged(kc, "status");
}

#[test]
fn preflight_passes_cleans_up_and_a_plain_upgrade_runs_it_first() {
    let c = cluster();
    let (kc, dir) = (&c.kc, c.dir.path());
    expect_code(&install(kc, &c.values, &[]), 0);
    let out = podnet(kc)
        .args([
            "cilium",
            "upgrade",
            "--preflight",
            "--timeout",
            "90s",
            "-o",
            "json",
            "--chart",
        ])
        .arg(chart_as("1.17.19", dir))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            r["passed"].as_bool(),
            r["agentNodes"].as_u64(),
            r["readyNodes"].as_u64()
        ),
        (Some(true), Some(2), Some(2)),
        "{r}"
    );
    assert!(preflight_gone(kc), "preflight removed after success");
    assert_eq!(history(kc).len(), 1, "the preflight records no revision");

    let out = podnet(kc)
        .args([
            "cilium",
            "upgrade",
            "--timeout",
            "90s",
            "-o",
            "json",
            "--chart",
        ])
        .arg(chart_as("1.17.19", dir))
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"passed\": true"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["revision"].as_i64(), v["status"].as_str()),
        (Some(2), Some("deployed"))
    );
    assert!(preflight_gone(kc));
    c.aws_node.assert_unchanged(kc, "preflight and upgrade");
}

#[test]
fn install_refuses_a_cluster_with_another_cni_unless_forced() {
    let c = cluster();
    let kc = &c.kc;
    let calico = c.dir.path().join("calico.yaml");
    std::fs::write(&calico, "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: calico-node\n  namespace: kube-system\nspec:\n  selector:\n    matchLabels: {k8s-app: calico-node}\n  template:\n    metadata:\n      labels: {k8s-app: calico-node}\n    spec:\n      containers:\n      - name: calico-node\n        image: calico/node:v3.29.0\n").unwrap();
    let o = Kubectl::new(kc).run(&["apply", "-f", calico.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = install(kc, &c.values, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("foreign-cni-present") && e.contains("calico-node"),
        "{e}"
    );
    assert!(
        Kubectl::new(kc)
            .release_secrets("cilium", "kube-system")
            .is_empty(),
        "nothing recorded"
    );
    assert!(kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"]).is_null());
    expect_code(&install(kc, &c.values, &["--force"]), 0);
    c.aws_node.assert_unchanged(kc, "forced install");
}

#[test]
fn hooks_run_by_weight_with_delete_policies_and_helm_reads_them() {
    let real = RealCluster::up(2, 2);
    let kc = real.kubeconfig();
    let aws_node = AwsNode::now(kc);
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("empty.yaml");
    std::fs::write(&values, "{}\n").unwrap();
    // Not a Cilium chart: --force past the Cilium rules. The post-install Job completes when
    // kwok ends its pod and the real Job controller marks it Complete.
    let out = podnet(kc)
        .args([
            "cilium",
            "install",
            "--force",
            "--release",
            "hooked",
            "--timeout",
            "90s",
            "--chart",
        ])
        .arg(hooked_chart(dir.path(), "busybox:1.36"))
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    expect_code(&out, 0);
    // Weight order: hook-a (-5) before hook-b (5); both kept (default before-hook-creation).
    assert!(rv(kc, "configmap", "hook-a") < rv(kc, "configmap", "hook-b"));
    // pre-install hooks ran before the release's objects.
    assert!(rv(kc, "configmap", "hook-b") < rv(kc, "configmap", "hooked-main"));
    // hook-succeeded: deleted after success.
    assert!(kubectl_json(kc, &["get", "configmap", "hook-gone", "-n", "kube-system"]).is_null());
    assert!(kubectl_json(kc, &["get", "job", "hook-job", "-n", "kube-system"]).is_null());
    let rec = record(kc, "hooked", 1);
    assert_eq!(rec["info"]["status"], "deployed");
    let hooks = rec["hooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 4, "{}", rec["hooks"]);
    for h in hooks {
        assert_eq!(h["last_run"]["phase"], "Succeeded", "{h}");
        assert!(!h["manifest"].as_str().unwrap().contains("---"), "{h}");
    }
    let b = hooks.iter().find(|h| h["name"] == "hook-b").unwrap();
    assert_eq!(
        (
            b["weight"].as_i64(),
            b["events"].clone(),
            b["delete_policies"].clone()
        ),
        (
            Some(5),
            json!(["pre-install", "pre-upgrade"]),
            json!(["before-hook-creation"])
        )
    );
    assert!(
        !rec["manifest"].as_str().unwrap().contains("hook-a"),
        "hooks stay out of the manifest"
    );
    // crds/ first (the template's Widget needed it), kept out of the release manifest.
    assert!(
        !rec["manifest"]
            .as_str()
            .unwrap()
            .contains("CustomResourceDefinition")
    );
    assert_eq!(
        kubectl_json(kc, &["get", "widget", "w1", "-n", "kube-system"])["spec"]["size"],
        1
    );
    // Helm reads podnet's hooks: `helm upgrade` runs the pre-upgrade ones over them.
    let helm = helm(kc).release("hooked", "kube-system");
    let up = helm.upgrade(&hooked_chart(dir.path(), "busybox:1.36"), &json!({}), true);
    assert_eq!((up.revision, up.status.as_str()), (2, "deployed"));
    let theirs = record(kc, "hooked", 2);
    let ran: Vec<&str> = theirs["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["last_run"]["phase"] == "Succeeded")
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert!(
        ran.contains(&"hook-a") && ran.contains(&"hook-b"),
        "{ran:?}"
    );

    // Uninstall removes the release's objects but keeps the CRD (as Helm does).
    let out = podnet(kc)
        .args(["cilium", "uninstall", "--yes", "--release", "hooked"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(kubectl_json(kc, &["get", "widget", "w1", "-n", "kube-system"]).is_null());
    assert_eq!(
        kubectl_json(kc, &["get", "crd", "widgets.example.com"])["metadata"]["name"],
        "widgets.example.com"
    );
    aws_node.assert_unchanged(kc, "hooked chart");
}

/// A chart whose templates hold a CRD (`gadgets.example.com`): uninstall keeps it unless
/// `--purge-crds`.
fn chart_with_crd(dir: &Path) -> PathBuf {
    let files = [
        (
            "gadgets/Chart.yaml",
            "apiVersion: v2\nname: gadgets\nversion: 0.1.0\n",
        ),
        (
            "gadgets/templates/crd.yaml",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names:\n    kind: Gadget\n    plural: gadgets\n    singular: gadget\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n",
        ),
        (
            "gadgets/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gadgets\ndata:\n  a: \"1\"\n",
        ),
    ];
    testkit::charts::write_tgz(&dir.join("gadgets-0.1.0.tgz"), &files)
}

#[test]
fn uninstall_keeps_crds_unless_purge_crds() {
    let real = RealCluster::up(1, 1);
    let kc = real.kubeconfig();
    let aws_node = AwsNode::now(kc);
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("empty.yaml");
    std::fs::write(&values, "{}\n").unwrap();
    let chart = chart_with_crd(dir.path());
    let gadgets_crd = || kubectl_json(kc, &["get", "crd", "gadgets.example.com"]);
    for (release, purge) in [("first", false), ("second", true)] {
        let out = podnet(kc)
            .args([
                "cilium",
                "install",
                "--force",
                "--release",
                release,
                "--chart",
            ])
            .arg(&chart)
            .arg("-f")
            .arg(&values)
            .output()
            .unwrap();
        expect_code(&out, 0);
        assert_eq!(gadgets_crd()["status"]["acceptedNames"]["kind"], "Gadget");
        let mut un = podnet(kc);
        un.args(["cilium", "uninstall", "--yes", "--release", release]);
        if purge {
            un.arg("--purge-crds");
        }
        let out = un.output().unwrap();
        expect_code(&out, 0);
        assert!(kubectl_json(kc, &["get", "configmap", "gadgets", "-n", "kube-system"]).is_null());
        if purge {
            // The real apiserver finalizes the CRD (customresourcecleanup) before it goes.
            testkit::eventually(
                "the CRD to be deleted",
                std::time::Duration::from_secs(30),
                || gadgets_crd().is_null(),
            );
        } else {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("--purge-crds"), "{text}");
            assert_eq!(gadgets_crd()["metadata"]["name"], "gadgets.example.com");
            // The kept CRD belongs to no release now: the next install takes it over.
            let o = Kubectl::new(kc).run(&["delete", "crd", "gadgets.example.com"]);
            assert!(o.status.success());
            testkit::eventually(
                "the CRD to be deleted",
                std::time::Duration::from_secs(30),
                || gadgets_crd().is_null(),
            );
        }
    }
    aws_node.assert_unchanged(kc, "uninstalls");
}

#[test]
fn cilium_cronjob_tls_hook_runs_and_helm_upgrades_over_it() {
    let c = cluster();
    let (kc, dir) = (&c.kc, c.dir.path());
    let out = podnet(kc)
        .args([
            "cilium",
            "install",
            "--field-manager",
            FM,
            "--timeout",
            "90s",
            "--set",
            "hubble.tls.auto.method=cronJob",
            "--chart",
        ])
        .arg(chart())
        .arg("-f")
        .arg(&c.values)
        .output()
        .unwrap();
    expect_code(&out, 0);
    // The real Job controller marked the hook's Job Complete (kwok ended its pod).
    let job = kubectl_json(
        kc,
        &["get", "job", "hubble-generate-certs", "-n", "kube-system"],
    );
    assert!(
        job["status"]["conditions"].to_string().contains("Complete"),
        "{job}"
    );
    let cron = kubectl_json(
        kc,
        &[
            "get",
            "cronjob",
            "hubble-generate-certs",
            "-n",
            "kube-system",
        ],
    );
    assert!(cron["spec"]["schedule"].is_string(), "{cron}");
    let ours = record(kc, "cilium", 1);
    assert_eq!(ours["config"]["hubble"]["tls"]["auto"]["method"], "cronJob");
    let hook = &ours["hooks"][0];
    assert_eq!(hook["events"], json!(["post-install", "post-upgrade"]));
    assert_eq!(hook["last_run"]["phase"], "Succeeded");
    // Helm upgrades the release (running the post-upgrade hook over podnet's Job) …
    let helm = helm(kc);
    let up = helm.upgrade(
        &chart_as("1.17.19", dir),
        &json!({"operator": {"replicas": 1}}),
        true,
    );
    assert_eq!(up.revision, 2);
    // … and records the hook as podnet did: same fields.
    let theirs = record(kc, "cilium", 2);
    let keys = |h: &Value| {
        let mut k: Vec<String> = h.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&ours["hooks"][0]),
        keys(&theirs["hooks"][0]),
        "{} vs {}",
        ours["hooks"][0],
        theirs["hooks"][0]
    );
    assert_eq!(
        keys(&ours["hooks"][0]["last_run"]),
        keys(&theirs["hooks"][0]["last_run"])
    );
    assert_eq!(
        ours["hooks"][0]["delete_policies"],
        theirs["hooks"][0]["delete_policies"]
    );
    assert_eq!(theirs["hooks"][0]["last_run"]["phase"], "Succeeded");
    assert_eq!(theirs["chart"]["metadata"]["version"], "1.17.19");
    // podnet upgrades Helm's revision in turn (the hook runs again as post-upgrade).
    let out = podnet(kc)
        .args([
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--field-manager",
            FM,
            "--timeout",
            "90s",
            "-o",
            "json",
            "--chart",
        ])
        .arg(chart_as("1.17.20", dir))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let third = record(kc, "cilium", 3);
    assert_eq!(third["info"]["status"], "deployed");
    assert_eq!(
        third["config"]["operator"]["replicas"], 1,
        "Helm's values reused"
    );
    assert_eq!(third["hooks"][0]["last_run"]["phase"], "Succeeded");
    assert_ne!(
        third["hooks"][0]["last_run"]["started_at"],
        ours["hooks"][0]["last_run"]["started_at"]
    );
    c.aws_node.assert_unchanged(kc, "cronJob hook upgrades");
}

#[test]
fn upgrade_diff_dry_run_rollback_on_failure_and_recover_without_injected_faults() {
    let c = cluster();
    let (kc, dir) = (&c.kc, c.dir.path());
    expect_code(&install(kc, &c.values, &[]), 0);
    let newer = chart_as("1.17.19", dir);
    let ds_before = kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"]);
    let run = |extra: &[&str]| {
        podnet(kc)
            .args([
                "cilium",
                "upgrade",
                "--set",
                "operator.replicas=1",
                "--chart",
            ])
            .arg(&newer)
            .args(extra)
            .output()
            .unwrap()
    };
    // --diff: both diffs, nothing changed.
    let out = run(&["--diff"]);
    expect_code(&out, 0);
    let d = String::from_utf8_lossy(&out.stdout);
    assert!(
        d.contains("+++ values (revision 2)") && d.contains("+  replicas: 1"),
        "{d}"
    );
    assert!(
        d.contains("+++ manifest (revision 2, cilium-1.17.19)") && d.contains("-  replicas: 2"),
        "{d}"
    );
    // --dry-run: the documents, nothing changed.
    let out = run(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("# Source: cilium/templates/cilium-agent/daemonset.yaml")
    );
    assert_eq!(history(kc).len(), 1);
    let ds_after = kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"]);
    assert_eq!(
        ds_before["metadata"]["generation"],
        ds_after["metadata"]["generation"]
    );
    assert_eq!(
        kubectl_json(
            kc,
            &["get", "deployment", "cilium-operator", "-n", "kube-system"]
        )["spec"]["replicas"],
        2
    );
    // Then the upgrade itself, with --rollback-on-failure: it succeeds, no rollback.
    let out = run(&["--skip-preflight", "--rollback-on-failure", "-o", "json"]);
    expect_code(&out, 0);
    let h = history(kc);
    assert_eq!(
        h.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [(1, "superseded"), (2, "deployed")],
        "{h:?}"
    );

    // The real apiserver refuses a value (replicas < 0) that rendering let through: the
    // failed revision is recorded and --rollback-on-failure returns to revision 2.
    let out = run(&[
        "--skip-preflight",
        "--rollback-on-failure",
        "--set",
        "operator.replicas=-1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("rolled back to revision 2") && e.contains("spec.replicas: Invalid value: -1"),
        "{e}"
    );
    let h = history(kc);
    assert_eq!(
        h.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [
            (1, "superseded"),
            (2, "superseded"),
            (3, "failed"),
            (4, "deployed")
        ],
        "{h:?}"
    );
    assert_eq!(h[3].2, "Rollback to 2");
    let operator = || {
        kubectl_json(
            kc,
            &["get", "deployment", "cilium-operator", "-n", "kube-system"],
        )
    };
    assert_eq!(operator()["spec"]["replicas"], 1);

    // Killed while --wait waits for an operator that can never schedule: the revision stays
    // pending-upgrade; a plain upgrade refuses, --recover goes on from the deployed revision.
    let mut child = testkit::podnet::std_cmd()
        .arg("--kubeconfig")
        .arg(kc)
        .args([
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--wait",
            "--timeout",
            "120s",
            "--set",
            "operator.nodeSelector.no-such-label=x",
            "--chart",
        ])
        .arg(&newer)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    testkit::eventually(
        "an operator pod Pending on the real scheduler",
        std::time::Duration::from_secs(60),
        || {
            let pods = kubectl_json(
                kc,
                &[
                    "get",
                    "pods",
                    "-n",
                    "kube-system",
                    "-l",
                    "io.cilium/app=operator",
                    "--field-selector",
                    "status.phase=Pending",
                ],
            );
            pods["items"].as_array().is_some_and(|a| !a.is_empty())
        },
    );
    assert_eq!(history(kc).last().unwrap().1, "pending-upgrade");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = run(&["--skip-preflight"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("pending-upgrade") && e.contains("--recover"),
        "{e}"
    );
    let out = run(&[
        "--skip-preflight",
        "--recover",
        "--wait",
        "--timeout",
        "120s",
    ]);
    expect_code(&out, 0);
    let h = history(kc);
    assert_eq!(
        h.iter()
            .map(|r| (r.0, r.1.as_str()))
            .skip(4)
            .collect::<Vec<_>>(),
        [(5, "failed"), (6, "deployed")],
        "{h:?}"
    );
    assert!(h[4].2.contains("interrupted"), "{h:?}");
    assert!(
        operator()["spec"]["template"]["spec"]["nodeSelector"]
            .get("no-such-label")
            .is_none(),
        "--recover starts from the deployed values"
    );
    c.aws_node
        .assert_unchanged(kc, "diff, dry-run, upgrades, rollback, recover");
}

#[test]
fn install_generates_values_from_flags_and_uninstall_needs_yes() {
    let real = RealCluster::up(2, 2);
    let kc = real.kubeconfig();
    let aws_node = AwsNode::now(kc);
    let plan = [
        "--pod-cidr",
        "192.168.64.0/18",
        "--remote-node-network",
        "172.16.0.0/16",
        "--remote-pod-network",
        "192.168.64.0/18",
        "--vpc-cidr",
        "10.0.0.0/16",
        "--set",
        "operator.replicas=1",
    ];
    // Invalid generated values are refused before the cluster is touched.
    let out = podnet(kc)
        .args(["cilium", "install", "--chart"])
        .arg(chart())
        .args(["--pod-cidr", "10.0.0.0/16", "--vpc-cidr", "10.0.0.0/16"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pod-cidr-overlaps-vpc"));
    assert!(
        Kubectl::new(kc)
            .release_secrets("cilium", "kube-system")
            .is_empty()
    );
    let out = podnet(kc)
        .args(["cilium", "install", "--wait", "--timeout", "90s", "--chart"])
        .arg(chart())
        .args(plan)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let gv: Value = podnet_json(kc, &["get-values"]);
    assert_eq!(gv["operator"]["replicas"], 1);
    assert_eq!(
        gv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0],
        "192.168.64.0/18"
    );
    let cm = kubectl_json(
        kc,
        &["get", "configmap", "cilium-config", "-n", "kube-system"],
    );
    assert_eq!(cm["data"]["cluster-pool-ipv4-cidr"], "192.168.64.0/18");
    // The agent's affinity keeps it to hybrid nodes: the real scheduler placed it there only.
    let pods = kubectl_json(
        kc,
        &["get", "pods", "-n", "kube-system", "-l", "k8s-app=cilium"],
    );
    let nodes: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(nodes.len(), 2, "{pods}");
    for n in &nodes {
        let node = kubectl_json(kc, &["get", "node", n]);
        assert_eq!(
            node["metadata"]["labels"]["eks.amazonaws.com/compute-type"], "hybrid",
            "agent on {n}"
        );
    }
    // Without a terminal, uninstall wants --yes and changes nothing.
    let out = podnet(kc).args(["cilium", "uninstall"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(
        kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"])["metadata"]["name"],
        "cilium"
    );
    let out = podnet(kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(kubectl_json(kc, &["get", "daemonset", "cilium", "-n", "kube-system"]).is_null());
    aws_node.assert_unchanged(kc, "install from flags and uninstall");
}
