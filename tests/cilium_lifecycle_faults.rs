//! Releases that Helm understands: podnet installs on kubesim (EC2 + hybrid nodes), Helm v4
//! lists, reads and upgrades the release, podnet reads the history and uninstalls; and the
//! reverse, Helm installs and podnet reads it. aws-node is never touched.

use std::path::{Path, PathBuf};
use std::process::Command as Proc;

use kubesim::Kubesim;
use serde_json::Value;
use testkit::helm::{Helm, field_manager};
use testkit::kubectl::Kubectl;
use testkit::podnet::{self as cli, cilium_json as podnet_json, expect_code, on as podnet};

fn chart() -> PathBuf {
    testkit::charts::cilium(testkit::charts::CILIUM)
}

/// `kubectl get … -o json`, or null when the object is not there.
fn kubectl_json(kubeconfig: &Path, args: &[&str]) -> Value {
    Kubectl::new(kubeconfig).json_or_null(args)
}

fn values_file(dir: &Path) -> PathBuf {
    let out = cli::cmd()
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
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let p = dir.join("values.yaml");
    std::fs::write(&p, out.stdout).unwrap();
    p
}

/// A simulated cluster (EC2 + hybrid nodes) and a values file for the shared chart.
struct Cluster {
    sim: Kubesim,
    kc: PathBuf,
    /// Holds the values file.
    dir: tempfile::TempDir,
    values: PathBuf,
}

fn cluster() -> Cluster {
    let sim = sim();
    let kc = sim.kubeconfig().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let values = values_file(dir.path());
    Cluster {
        sim,
        kc,
        dir,
        values,
    }
}

/// `cilium install --chart <shared chart> -f VALUES` plus `extra` flags.
fn install(kc: &Path, values: &Path, extra: &[&str]) -> std::process::Output {
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

/// [`cluster`] with podnet's release of the shared chart installed (revision 1).
fn installed() -> Cluster {
    let c = cluster();
    expect_code(&install(&c.kc, &c.values, &[]), 0);
    c
}

fn sim() -> Kubesim {
    testkit::cluster::eks_kubesim()
}

#[test]
fn podnet_installs_helm_upgrades_podnet_uninstalls() {
    let Cluster {
        sim: _sim,
        kc,
        dir: _dir,
        values,
    } = cluster();
    let aws_node_before = kubectl_json(&kc, &["get", "daemonset", "aws-node", "-n", "kube-system"]);
    assert_eq!(aws_node_before["metadata"]["name"], "aws-node");

    // Share Helm's field manager ("helm" for the CLI, "python" for helm-python-sdk).
    let out = install(&kc, &values, &["--field-manager", field_manager()]);
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("STATUS: deployed"));
    let ds = kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"]);
    assert_eq!(
        ds["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "cilium"
    );
    assert_eq!(
        ds["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );

    let helm = Helm::new(&kc);
    let rel = helm
        .list()
        .into_iter()
        .find(|r| r.name == "cilium")
        .expect("helm lists podnet's release");
    assert_eq!(rel.status, "deployed");
    assert_eq!(rel.revision, 1);
    let hv = helm.get_values();
    assert_eq!(
        hv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0], "192.168.64.0/18",
        "{hv}"
    );

    // A second install is refused while the release exists.
    let out = install(&kc, &values, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // Helm upgrades podnet's release; podnet reads Helm's revision.
    let up = helm.upgrade(
        &chart(),
        &serde_json::json!({"operator": {"replicas": 1}}),
        true,
    );
    assert_eq!(up.revision, 2);
    let out = podnet(&kc)
        .args(["cilium", "history", "-o", "json"])
        .output()
        .unwrap();
    let h: Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "deployed"], "{h}");
    let out = podnet(&kc)
        .args(["cilium", "get-values", "-o", "json"])
        .output()
        .unwrap();
    let gv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(gv["operator"]["replicas"], 1);
    assert_eq!(
        gv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0],
        "192.168.64.0/18"
    );

    // Helm rolls back to podnet's revision.
    let rb = helm.rollback(1);
    assert_eq!(rb.revision, 3);

    // podnet uninstalls: the release's objects and records go; aws-node stays.
    let out = podnet(&kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"]).is_null());
    let aws_node_after = kubectl_json(&kc, &["get", "daemonset", "aws-node", "-n", "kube-system"]);
    assert_eq!(
        aws_node_after["metadata"]["uid"],
        aws_node_before["metadata"]["uid"]
    );
    assert_eq!(
        aws_node_after["metadata"]["resourceVersion"],
        aws_node_before["metadata"]["resourceVersion"],
        "aws-node untouched"
    );
    assert!(
        Kubectl::new(&kc)
            .release_secrets("cilium", "kube-system")
            .is_empty()
    );
    assert!(helm.list().iter().all(|r| r.name != "cilium"));
}

#[test]
fn helm_installs_podnet_reads() {
    let sim = sim();
    let kc = sim.kubeconfig().to_path_buf();
    let helm = Helm::new(&kc);
    helm.install(
        &chart(),
        &serde_json::json!({"ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": ["192.168.64.0/18"]}}}),
    );
    let out = podnet(&kc).args(["cilium", "history"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("deployed")
            && text.contains("cilium-1.17.18")
            && text.contains("Install complete"),
        "{text}"
    );
    let out = podnet(&kc).args(["cilium", "get-values"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("192.168.64.0/18"));
    // An object the release does not own is never deleted.
    let o = Kubectl::new(&kc).run(&[
        "annotate",
        "serviceaccount",
        "cilium",
        "-n",
        "kube-system",
        "--overwrite",
        "meta.helm.sh/release-name=someone-else",
    ]);
    assert!(o.status.success());
    let out = podnet(&kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("kept: ServiceAccount/cilium (not owned by release cilium)")
    );
    assert_eq!(
        kubectl_json(
            &kc,
            &["get", "serviceaccount", "cilium", "-n", "kube-system"]
        )["metadata"]["name"],
        "cilium"
    );
}

/// The shared chart re-packaged under another version (templates unchanged).
fn chart_as(version: &str, dir: &Path) -> PathBuf {
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

#[test]
fn upgrade_guards_upgrade_and_rollback() {
    let Cluster {
        sim: _sim,
        kc,
        dir,
        values,
    } = cluster();
    let out = install(&kc, &values, &["--field-manager", field_manager()]);
    expect_code(&out, 0);

    let extra = dir.path().join("extra.yaml");
    std::fs::write(&extra, "operator:\n  replicas: 1\n").unwrap();
    let upgrade = |chart: &Path, values: &Path| {
        podnet(&kc)
            .args([
                "cilium",
                "upgrade",
                "--skip-preflight",
                "--field-manager",
                field_manager(),
                "-o",
                "json",
                "--chart",
            ])
            .arg(chart)
            .arg("-f")
            .arg(values)
            .output()
            .unwrap()
    };
    // Same minor, new patch: deployed values reused, new ones merged over them.
    let out = upgrade(&chart_as("1.17.19", dir.path()), &extra);
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
    let gv: Value = podnet_json(&kc, &["get-values"]);
    assert_eq!(gv["operator"]["replicas"], 1);
    assert_eq!(
        gv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0],
        "192.168.64.0/18"
    );
    assert!(
        gv.get("upgradeCompatibility").is_none(),
        "same minor: no upgradeCompatibility"
    );

    // Guards: each refused with a clear message, and nothing recorded.
    let pool = dir.path().join("pool.yaml");
    std::fs::write(
        &pool,
        "ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: [10.99.0.0/16]\n",
    )
    .unwrap();
    for (chart, values, expect) in [
        (
            chart_as("1.17.20", dir.path()),
            pool.clone(),
            "changes ipam.operator.clusterPoolIPv4PodCIDRList",
        ),
        (
            chart_as("1.19.0", dir.path()),
            extra.clone(),
            "skips a minor version",
        ),
        (chart_as("1.17.0", dir.path()), extra.clone(), "downgrade"),
    ] {
        let out = upgrade(&chart, &values);
        assert_eq!(out.status.code(), Some(2), "{expect}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(expect), "{expect}: {e}");
    }
    let h: Value = podnet_json(&kc, &["history"]);
    assert_eq!(
        h.as_array().unwrap().len(),
        2,
        "refused upgrades record nothing: {h}"
    );

    // Next minor: upgradeCompatibility set to the minor first installed.
    let out = upgrade(&chart_as("1.18.0", dir.path()), &extra);
    expect_code(&out, 0);
    let gv: Value = podnet_json(&kc, &["get-values"]);
    assert_eq!(gv["upgradeCompatibility"], "1.17");
    let cm = kubectl_json(
        &kc,
        &["get", "configmap", "cilium-config", "-n", "kube-system"],
    );
    assert!(cm["data"].is_object());

    // Rollback to revision 2 as revision 4; Helm sees it.
    let out = podnet(&kc)
        .args([
            "cilium",
            "rollback",
            "2",
            "--field-manager",
            field_manager(),
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
    let h: Value = podnet_json(&kc, &["history"]);
    let statuses: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["superseded", "superseded", "superseded", "deployed"],
        "{h}"
    );
    let helm = Helm::new(&kc);
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
    let out = podnet(&kc).args(["cilium", "history"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.starts_with('5')
            && last.contains("deployed")
            && last.contains("cilium-1.18.0")
            && last.contains("Rollback to 3"),
        "{text}"
    );
}

#[test]
fn status_reports_readiness_and_pool() {
    // Healthy: every hybrid node gets a ready agent.
    let Cluster {
        sim: _sim,
        kc,
        dir: _dir,
        values,
    } = cluster();
    let out = podnet(&kc).args(["cilium", "status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "no release yet");
    assert!(String::from_utf8_lossy(&out.stdout).contains("release-not-found"));
    let out = install(&kc, &values, &[]);
    assert_eq!(out.status.code(), Some(0));
    let mut last = Value::Null;
    for _ in 0..50 {
        let out = podnet(&kc)
            .args(["cilium", "status", "-o", "json"])
            .output()
            .unwrap();
        last = serde_json::from_slice(&out.stdout).unwrap();
        if out.status.code() == Some(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(last["findings"], serde_json::json!([]), "{last}");
    assert_eq!(last["hybridNodes"], 2);
    assert_eq!(last["agent"]["ready"], 2);
    assert_eq!(last["pool"]["mask"], 25);
    assert_eq!(last["pool"]["blocks"], "128");
    assert_eq!(last["pool"]["blocksInUse"], 2);

    // Image pulls failing: agents never ready, and status says which nodes.
    let sim = testkit::cluster::eks_kubesim_with_faults(&["image-pull:cilium/cilium"]);
    let kc = sim.kubeconfig().to_path_buf();
    let out = install(&kc, &values, &[]);
    assert_eq!(out.status.code(), Some(0));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let out = podnet(&kc)
        .args(["cilium", "status", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"agent-not-ready") && ids.contains(&"hybrid-node-without-agent"),
        "{v}"
    );
    assert_eq!(v["hybridNodesWithoutAgent"].as_array().unwrap().len(), 2);
}

#[test]
fn preflight_passes_then_fails_on_image_pulls_and_always_cleans_up() {
    let Cluster { sim, kc, dir, .. } = installed();
    let preflight = || {
        podnet(&kc)
            .args([
                "cilium",
                "upgrade",
                "--preflight",
                "--timeout",
                "3s",
                "-o",
                "json",
                "--chart",
            ])
            .arg(chart_as("1.17.19", dir.path()))
            .output()
            .unwrap()
    };
    let gone = |kc: &Path| {
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
    };
    let out = preflight();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
    assert!(gone(&kc), "preflight removed after success");

    sim.set_faults(&["image-pull:cilium/cilium"]).unwrap();
    let out = preflight();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["passed"], false);
    let problems = r["problems"].to_string();
    assert!(
        problems.contains("ImagePullBackOff") || problems.contains("ErrImagePull"),
        "{r}"
    );
    assert_eq!(r["cleanedUp"], true);
    assert!(gone(&kc), "preflight removed after failure");
    // Ctrl-C while waiting: the pre-flight objects are removed before the command ends.
    let mut child = cli::std_cmd()
        .arg("--kubeconfig")
        .arg(&kc)
        .args([
            "cilium",
            "upgrade",
            "--preflight",
            "--timeout",
            "60s",
            "--chart",
        ])
        .arg(chart_as("1.17.19", dir.path()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while kubectl_json(
        &kc,
        &[
            "get",
            "daemonset",
            "cilium-pre-flight-check",
            "-n",
            "kube-system",
        ],
    )
    .is_null()
    {
        assert!(t0.elapsed().as_secs() < 30, "preflight never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let o = Proc::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(o.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(gone(&kc), "preflight removed after Ctrl-C");
    // The release itself is untouched by the preflight.
    let h: Value = podnet_json(&kc, &["history"]);
    assert_eq!(h.as_array().unwrap().len(), 1);

    // A plain upgrade runs the preflight first: refused while it fails …
    let upgrade = || {
        podnet(&kc)
            .args([
                "cilium",
                "upgrade",
                "--timeout",
                "3s",
                "-o",
                "json",
                "--chart",
            ])
            .arg(chart_as("1.17.19", dir.path()))
            .output()
            .unwrap()
    };
    let out = upgrade();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("\"passed\": false") && e.contains("was not upgraded"),
        "{e}"
    );
    assert!(gone(&kc));
    // … and goes on once it passes.
    sim.set_faults(&[]).unwrap();
    let out = upgrade();
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"passed\": true"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["revision"].as_i64(), v["status"].as_str()),
        (Some(2), Some("deployed"))
    );
    assert!(gone(&kc));
}

#[test]
fn fault_mid_install_marks_failed_and_upgrade_recovers() {
    let Cluster {
        sim,
        kc,
        dir: _dir,
        values,
    } = cluster();
    let aws_node = kubectl_json(&kc, &["get", "daemonset", "aws-node", "-n", "kube-system"]);
    // Every write of a DaemonSet fails: the install stops part-way.
    sim.set_faults(&["error:500:1:PATCH:/apis/apps/v1/namespaces/kube-system/daemonsets"])
        .unwrap();
    let out = install(&kc, &values, &[]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("DaemonSet/cilium") && e.contains("500"), "{e}");
    let h: Value = podnet_json(&kc, &["history"]);
    assert_eq!(h[0]["status"], "failed", "{h}");
    // A second install is refused; an upgrade recovers once the API server is healthy.
    sim.set_faults(&[]).unwrap();
    let out = install(&kc, &values, &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = podnet(&kc)
        .args(["cilium", "upgrade", "-o", "json", "--chart"])
        .arg(chart())
        .output()
        .unwrap();
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["revision"].as_i64(), v["status"].as_str()),
        (Some(2), Some("deployed"))
    );
    assert_eq!(
        kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"])["metadata"]["name"],
        "cilium"
    );
    let after = kubectl_json(&kc, &["get", "daemonset", "aws-node", "-n", "kube-system"]);
    assert_eq!(
        after["metadata"]["resourceVersion"], aws_node["metadata"]["resourceVersion"],
        "aws-node untouched"
    );
}

#[test]
fn install_wait_succeeds_or_says_what_is_not_ready() {
    let Cluster {
        sim: _sim,
        kc,
        dir: _dir,
        values,
    } = cluster();
    let out = install(&kc, &values, &["--wait", "--timeout", "30s"]);
    expect_code(&out, 0);
    let ds = kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"]);
    assert_eq!(ds["status"]["numberReady"], 2, "{}", ds["status"]);

    let sim = testkit::cluster::eks_kubesim_with_faults(&["image-pull:cilium/cilium"]);
    let kc = sim.kubeconfig().to_path_buf();
    let out = install(&kc, &values, &["--wait", "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("timed out")
            && e.contains("hybrid node")
            && (e.contains("ImagePullBackOff") || e.contains("ErrImagePull")),
        "{e}"
    );
}

#[test]
fn install_refuses_a_cluster_with_another_cni_unless_forced() {
    let Cluster {
        sim: _sim,
        kc,
        dir,
        values,
    } = cluster();
    let calico = dir.path().join("calico.yaml");
    std::fs::write(&calico, "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: calico-node\n  namespace: kube-system\nspec:\n  selector:\n    matchLabels: {k8s-app: calico-node}\n  template:\n    metadata:\n      labels: {k8s-app: calico-node}\n    spec:\n      containers:\n      - name: calico-node\n        image: calico/node:v3.29.0\n").unwrap();
    let o = Kubectl::new(&kc).run(&["apply", "-f", calico.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = install(&kc, &values, &[]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("foreign-cni-present") && e.contains("calico-node"),
        "{e}"
    );
    assert!(
        kubectl_json(
            &kc,
            &[
                "get",
                "secrets",
                "-n",
                "kube-system",
                "-l",
                "owner=helm,name=cilium"
            ]
        )["items"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "nothing recorded"
    );
    let out = install(&kc, &values, &["--force"]);
    expect_code(&out, 0);
}

/// Revision `rev` of release `name` as stored (decoded from its Secret).
fn record(kc: &Path, name: &str, rev: i64) -> Value {
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
fn hooked_chart(dir: &Path, job_image: &str) -> PathBuf {
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
    let out = dir.join(format!("hooked-{}.tgz", job_image.replace(['/', ':'], "-")));
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&out).unwrap(),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, text.as_bytes()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
    out
}

fn rv(kc: &Path, kind: &str, name: &str) -> u64 {
    kubectl_json(kc, &["get", kind, name, "-n", "kube-system"])["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{kind}/{name} missing"))
}

#[test]
fn hooks_run_by_weight_with_delete_policies_and_helm_reads_them() {
    let sim = sim();
    let kc = sim.kubeconfig().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("empty.yaml");
    std::fs::write(&values, "{}\n").unwrap();
    // Not a Cilium chart: --force past the Cilium rules.
    let out = podnet(&kc)
        .args([
            "cilium",
            "install",
            "--force",
            "--release",
            "hooked",
            "--chart",
        ])
        .arg(hooked_chart(dir.path(), "busybox:1.36"))
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    expect_code(&out, 0);
    // Weight order: hook-a (-5) before hook-b (5); both kept (default before-hook-creation).
    assert!(rv(&kc, "configmap", "hook-a") < rv(&kc, "configmap", "hook-b"));
    // pre-install hooks ran before the release's objects.
    assert!(rv(&kc, "configmap", "hook-b") < rv(&kc, "configmap", "hooked-main"));
    // hook-succeeded: deleted after success.
    assert!(kubectl_json(&kc, &["get", "configmap", "hook-gone", "-n", "kube-system"]).is_null());
    assert!(kubectl_json(&kc, &["get", "job", "hook-job", "-n", "kube-system"]).is_null());
    let rec = record(&kc, "hooked", 1);
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
            serde_json::json!(["pre-install", "pre-upgrade"]),
            serde_json::json!(["before-hook-creation"])
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
        kubectl_json(&kc, &["get", "widget", "w1", "-n", "kube-system"])["spec"]["size"],
        1
    );

    // A post-install Job that never completes: the release fails, hook-failed deletes the Job.
    sim.set_faults(&["image-pull:never-pulls"]).unwrap();
    let out = podnet(&kc)
        .args([
            "cilium",
            "install",
            "--force",
            "--release",
            "stuck",
            "--timeout",
            "3s",
            "-n",
            "default",
            "--chart",
        ])
        .arg(hooked_chart(dir.path(), "never-pulls:1"))
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("post-install hook Job/hook-job failed") && e.contains("timed out"),
        "{e}"
    );
    let h: Value = serde_json::from_slice(
        &podnet(&kc)
            .args([
                "cilium",
                "history",
                "--release",
                "stuck",
                "-n",
                "default",
                "-o",
                "json",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(h[0]["status"], "failed", "{h}");
    assert!(
        kubectl_json(&kc, &["get", "job", "hook-job", "-n", "default"]).is_null(),
        "hook-failed policy"
    );
    // Uninstall removes the release's objects but keeps the CRD (as Helm does).
    let out = podnet(&kc)
        .args(["cilium", "uninstall", "--yes", "--release", "hooked"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(kubectl_json(&kc, &["get", "widget", "w1", "-n", "kube-system"]).is_null());
    assert_eq!(
        kubectl_json(&kc, &["get", "crd", "widgets.example.com"])["metadata"]["name"],
        "widgets.example.com"
    );
}

#[test]
fn cilium_cronjob_tls_hook_runs_and_helm_upgrades_over_it() {
    let Cluster {
        sim: _sim,
        kc,
        dir,
        values,
    } = cluster();
    let out = podnet(&kc)
        .args([
            "cilium",
            "install",
            "--field-manager",
            field_manager(),
            "--set",
            "hubble.tls.auto.method=cronJob",
            "--chart",
        ])
        .arg(chart())
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let job = kubectl_json(
        &kc,
        &["get", "job", "hubble-generate-certs", "-n", "kube-system"],
    );
    assert!(
        job["status"]["conditions"].to_string().contains("Complete"),
        "{job}"
    );
    let ours = record(&kc, "cilium", 1);
    assert_eq!(ours["config"]["hubble"]["tls"]["auto"]["method"], "cronJob");
    let hook = &ours["hooks"][0];
    assert_eq!(
        hook["events"],
        serde_json::json!(["post-install", "post-upgrade"])
    );
    assert_eq!(hook["last_run"]["phase"], "Succeeded");
    // Helm upgrades the release (running the post-upgrade hook over podnet's Job) …
    let helm = Helm::new(&kc);
    let up = helm.upgrade(
        &chart_as("1.17.19", dir.path()),
        &serde_json::json!({"operator": {"replicas": 1}}),
        true,
    );
    assert_eq!(up.revision, 2);
    // … and records the hook as podnet did: same fields.
    let theirs = record(&kc, "cilium", 2);
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
    let out = podnet(&kc)
        .args([
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--field-manager",
            field_manager(),
            "-o",
            "json",
            "--chart",
        ])
        .arg(chart_as("1.17.20", dir.path()))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let third = record(&kc, "cilium", 3);
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
}

#[test]
fn upgrade_diff_dry_run_rollback_on_failure_and_recover() {
    let Cluster { sim, kc, dir, .. } = installed();
    let history = |kc: &Path| -> Vec<(i64, String, String)> {
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
    };
    let newer = chart_as("1.17.19", dir.path());
    let upgrade = |extra: &[&str]| {
        podnet(&kc)
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
    let out = upgrade(&["--diff"]);
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
    let out = upgrade(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("# Source: cilium/templates/cilium-agent/daemonset.yaml")
    );
    assert_eq!(history(&kc).len(), 1);

    // A failed apply with --rollback-on-failure: failed revision, then a rollback to 1.
    sim.set_faults(&["error:422:1x:PATCH:/apis/apps/v1/namespaces/kube-system/daemonsets"])
        .unwrap();
    let out = upgrade(&["--skip-preflight", "--rollback-on-failure"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("rolled back to revision 1"), "{e}");
    let h = history(&kc);
    assert_eq!(
        h.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [(1, "superseded"), (2, "failed"), (3, "deployed")],
        "{h:?}"
    );
    assert_eq!(h[2].2, "Rollback to 1");

    // Killed mid-upgrade: pending-upgrade stays; plain upgrade refuses, --recover goes on.
    sim.set_faults(&["latency:60s:PATCH:/apis/apps/v1/namespaces/kube-system/daemonsets"])
        .unwrap();
    let mut child = cli::std_cmd()
        .arg("--kubeconfig")
        .arg(&kc)
        .args(["cilium", "upgrade", "--skip-preflight", "--chart"])
        .arg(&newer)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !history(&kc).iter().any(|r| r.1 == "pending-upgrade") {
        assert!(t0.elapsed().as_secs() < 30, "no pending revision");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sim.set_faults(&[]).unwrap();
    let out = upgrade(&["--skip-preflight"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("pending-upgrade") && e.contains("--recover"),
        "{e}"
    );
    let out = upgrade(&["--skip-preflight", "--recover", "-o", "json"]);
    expect_code(&out, 0);
    let h = history(&kc);
    assert_eq!(
        h.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [
            (1, "superseded"),
            (2, "failed"),
            (3, "superseded"),
            (4, "failed"),
            (5, "deployed")
        ],
        "{h:?}"
    );
    assert!(h[3].2.contains("interrupted"), "{h:?}");
}

#[test]
fn install_generates_values_from_flags_and_uninstall_needs_yes() {
    let sim = sim();
    let kc = sim.kubeconfig().to_path_buf();
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
    // --dry-run renders offline: the generated values with --set on top.
    let out = cli::cmd()
        .args([
            "--kubeconfig",
            "/nonexistent",
            "cilium",
            "install",
            "--dry-run",
            "--chart",
        ])
        .arg(chart())
        .args(plan)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("cluster-pool-ipv4-cidr: \"192.168.64.0/18\""),
        "generated pool"
    );
    assert!(
        text.contains("eks.amazonaws.com/compute-type"),
        "hybrid affinity"
    );
    // Invalid generated values are refused before the cluster is touched.
    let out = podnet(&kc)
        .args(["cilium", "install", "--chart"])
        .arg(chart())
        .args(["--pod-cidr", "10.0.0.0/16", "--vpc-cidr", "10.0.0.0/16"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pod-cidr-overlaps-vpc"));
    let out = podnet(&kc)
        .args(["cilium", "install", "--chart"])
        .arg(chart())
        .args(plan)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let gv: Value = podnet_json(&kc, &["get-values"]);
    assert_eq!(gv["operator"]["replicas"], 1);
    assert_eq!(
        gv["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0],
        "192.168.64.0/18"
    );
    // Without a terminal, uninstall wants --yes and changes nothing.
    let out = podnet(&kc).args(["cilium", "uninstall"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(
        kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"])["metadata"]["name"],
        "cilium"
    );
}
