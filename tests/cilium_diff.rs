//! `kubectl podnet cilium diff` on an installed release: nothing right after install (no false
//! positives from what the API server defaults or its controllers write), then each kind of drift
//! reported exactly (field paths and values): `kubectl patch` of cilium-config, a deleted
//! ServiceAccount, a scaled operator, an extra object with the release's labels; Secret data
//! never printed; the wanted upgrade's diffs; the deployed values against EKS facts (moto).
//!
//! Backends: the REAL control plane (`tests/cluster.sh` via `RealCluster`: real kube-apiserver
//! defaulting, real controllers writing annotations and status) runs every check in one test;
//! kubesim repeats them (the fleet-and-drift issue asks for no false positives on both) and
//! carries the fleet run over three contexts.

mod lifecycle;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use lifecycle::{install, kubectl_json};
use serde_json::{Value, json};
use testkit::kubectl::Kubectl;
use testkit::podnet::hybrid_values_file as values_file;
use testkit::podnet::{expect_code, on as podnet};

/// `cilium diff ARGS -o json`: (exit code, report).
fn diff_json(kc: &Path, args: &[&str]) -> (i32, Value) {
    let out = podnet(kc)
        .args(["cilium", "diff"])
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "diff -o json ({code}) is not JSON: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// `cilium diff ARGS` as people read it: (exit code, stdout).
fn diff_text(kc: &Path, args: &[&str]) -> (i32, String) {
    let out = podnet(kc)
        .args(["cilium", "diff"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Installs the shared chart with the hybrid values; returns the values file's directory.
fn install_release(kc: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    expect_code(&install(kc, &values_file(dir.path()), &[]), 0);
    dir
}

/// Right after install: exit 0, no object reported, every manifest object checked.
fn assert_clean(kc: &Path) {
    let (code, v) = diff_json(kc, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["drift"], false, "{v:#}");
    assert_eq!(v["objects"], json!([]), "{v:#}");
    assert_eq!(v["revision"], 1);
    assert_eq!(v["chart"], "cilium-1.17.18");
    // Namespace, 2 ServiceAccounts, 2 Secrets, ConfigMap, 2 ClusterRoles + bindings, 3 Roles +
    // bindings, Service, DaemonSet, Deployment.
    assert_eq!(v["summary"]["checked"], 19, "{v:#}");
    let (code, text) = diff_text(kc, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Live vs release: 0 of 19 objects changed, 0 missing, 0 extra")
            && text.ends_with("No drift.\n"),
        "{text}"
    );
}

/// The four drifts of the issue, made with kubectl.
fn make_drift(kc: &Path) {
    let k = Kubectl::new(kc);
    k.ok(&[
        "patch",
        "configmap",
        "cilium-config",
        "-n",
        "kube-system",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"debug":"true","monitor-aggregation":null,"not-in-chart":"x"}}"#,
    ]);
    k.ok(&[
        "delete",
        "serviceaccount",
        "cilium-operator",
        "-n",
        "kube-system",
    ]);
    k.ok(&[
        "scale",
        "deployment",
        "cilium-operator",
        "-n",
        "kube-system",
        "--replicas=1",
    ]);
    k.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: left-behind\n  namespace: kube-system\n  labels:\n    app.kubernetes.io/managed-by: Helm\n  annotations:\n    meta.helm.sh/release-name: cilium\n    meta.helm.sh/release-namespace: kube-system\ndata:\n  stale: \"yes\"\n",
    );
    // Helm's labels for another release: not ours, not reported.
    k.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other-release\n  namespace: kube-system\n  labels:\n    app.kubernetes.io/managed-by: Helm\n  annotations:\n    meta.helm.sh/release-name: other\n    meta.helm.sh/release-namespace: kube-system\n",
    );
}

/// (object, state, fields as (path, live, release)) of a report.
fn objects(v: &Value) -> Vec<(String, String, Vec<(String, Value, Value)>)> {
    v["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("no objects: {v:#}"))
        .iter()
        .map(|o| {
            (
                o["object"].as_str().unwrap().to_string(),
                o["state"].as_str().unwrap().to_string(),
                o["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["path"].as_str().unwrap().to_string(),
                            f["live"].clone(),
                            f["release"].clone(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

/// Exactly the four drifts, in JSON and in the unified diff.
fn assert_drift_reported(kc: &Path) {
    let (code, v) = diff_json(kc, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["drift"], true);
    assert_eq!(v["schemaVersion"], 1);
    assert_eq!(
        objects(&v),
        vec![
            (
                s("ConfigMap/cilium-config"),
                s("changed"),
                vec![
                    (s("data.debug"), json!("true"), json!("false")),
                    (s("data.monitor-aggregation"), Value::Null, json!("medium")),
                ]
            ),
            (
                s("Deployment/cilium-operator"),
                s("changed"),
                vec![(s("spec.replicas"), json!(1), json!(2))]
            ),
            (s("ServiceAccount/cilium-operator"), s("missing"), vec![]),
            (s("ConfigMap/left-behind"), s("extra"), vec![]),
        ],
        "{v:#}"
    );
    let o = &v["objects"][0];
    assert_eq!(
        (&o["apiVersion"], &o["kind"], &o["namespace"], &o["name"]),
        (
            &json!("v1"),
            &json!("ConfigMap"),
            &json!("kube-system"),
            &json!("cilium-config")
        )
    );
    assert_eq!(
        v["summary"],
        json!({"checked": 19, "changed": 2, "missing": 1, "extra": 1}),
        "{v:#}"
    );

    let (code, text) = diff_text(kc, &[]);
    assert_eq!(code, 1, "{text}");
    for want in [
        "Live vs release: 2 of 19 objects changed, 1 missing, 1 extra",
        "--- ConfigMap/cilium-config (release, revision 1)\n+++ ConfigMap/cilium-config (live in kube-system)\n",
        "-  debug: \"false\"\n+  debug: \"true\"\n",
        "-  monitor-aggregation: medium\n",
        "-  replicas: 2\n+  replicas: 1\n",
        "+++ ServiceAccount/cilium-operator (missing in kube-system)\n",
        "+++ ConfigMap/left-behind (live in kube-system, with the release's labels)\n",
        "+  stale: \"yes\"\n",
        "Drift found.\n",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    // Only drifted lines change; kubectl's own annotation is not shown.
    assert!(!text.contains("not-in-chart"), "{text}");
    assert!(!text.contains("last-applied-configuration"), "{text}");
    assert!(!text.contains("other-release"), "{text}");
}

/// A Secret of the release changed live, and an extra Secret: data never printed.
fn assert_secrets_redacted(kc: &Path) {
    let k = Kubectl::new(kc);
    let b64 = base64::engine::general_purpose::STANDARD;
    let old = kubectl_json(
        kc,
        &["get", "secret", "hubble-server-certs", "-n", "kube-system"],
    )["data"]["tls.key"]
        .as_str()
        .expect("hubble-server-certs has tls.key")
        .to_string();
    let new = b64.encode("-----BEGIN PRIVATE KEY----- not the key");
    k.ok(&[
        "patch",
        "secret",
        "hubble-server-certs",
        "-n",
        "kube-system",
        "--type",
        "merge",
        "-p",
        &json!({"data": {"tls.key": new}}).to_string(),
    ]);
    k.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: left-behind-secret\n  namespace: kube-system\n  labels:\n    app.kubernetes.io/managed-by: Helm\n  annotations:\n    meta.helm.sh/release-name: cilium\n    meta.helm.sh/release-namespace: kube-system\nstringData:\n  password: hunter2-left-behind\n",
    );
    let (code, v) = diff_json(kc, &[]);
    assert_eq!(code, 1);
    let secret = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["object"] == "Secret/hubble-server-certs")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(
        secret["fields"],
        json!([{"path": "data[\"tls.key\"]", "live": "(redacted)", "release": "(redacted)"}]),
        "{v:#}"
    );
    assert!(
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["object"] == "Secret/left-behind-secret" && o["state"] == "extra"),
        "{v:#}"
    );
    let (_, text) = diff_text(kc, &[]);
    let json_text = v.to_string();
    for shown in [&text, &json_text] {
        for secret in [
            old.as_str(),
            new.as_str(),
            "not the key",
            "hunter2-left-behind",
            &b64.encode("hunter2-left-behind"),
        ] {
            assert!(!shown.contains(secret), "printed secret data {secret:?}");
        }
    }
    assert!(
        text.contains("+  tls.key: (redacted), differs from the release")
            && text.contains("password: (redacted)"),
        "{text}"
    );
}

/// `--set` and `--chart`: the upgrade's diffs, as `upgrade --diff` prints them.
fn assert_wanted(kc: &Path) {
    let (code, v) = diff_json(kc, &["--set", "operator.replicas=1"]);
    assert_eq!(code, 1, "{v:#}");
    let w = &v["wanted"];
    // Cilium's chart makes its Hubble CA and certificate anew on every render (helm method), so
    // an upgrade replaces both Secrets whatever the values.
    let certs = ["~ Secret/cilium-ca", "~ Secret/hubble-server-certs"];
    assert_eq!(
        w["changedObjects"],
        json!(["~ Deployment/cilium-operator", certs[0], certs[1]]),
        "{w:#}"
    );
    assert_eq!(
        (&w["fromChart"], &w["toChart"]),
        (&json!("cilium-1.17.18"), &json!("cilium-1.17.18"))
    );
    let vd = w["valuesDiff"].as_str().unwrap();
    assert!(vd.contains("+  replicas: 1"), "{vd}");
    let md = w["manifestDiff"].as_str().unwrap();
    assert!(md.contains("-  replicas: 2\n+  replicas: 1\n"), "{md}");
    assert_eq!(v["summary"]["wantedChanges"], 3);
    assert!(!md.contains("BEGIN"), "Secret data hidden: {md}");
    // The deployed values again: values unchanged, only the certificates would be made anew.
    let (code, v) = diff_json(
        kc,
        &[
            "--set",
            "ipam.operator.clusterPoolIPv4PodCIDRList={192.168.64.0/18}",
        ],
    );
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["wanted"]["valuesDiff"], "", "{v:#}");
    assert_eq!(v["wanted"]["changedObjects"], json!(certs));
    // upgrade --diff prints the same diffs (the certificates' digests aside, made anew per render).
    let out = podnet(kc)
        .args([
            "cilium",
            "upgrade",
            "--diff",
            "--set",
            "operator.replicas=1",
            "--chart",
        ])
        .arg(lifecycle::chart())
        .output()
        .unwrap();
    expect_code(&out, 0);
    let up = String::from_utf8_lossy(&out.stdout);
    assert!(
        up.starts_with("--- values (revision 1)\n+++ values (revision 2)\n"),
        "{up}"
    );
    assert!(
        up.contains(vd),
        "upgrade --diff and diff differ:\n{up}\n{vd}"
    );
    assert!(
        up.contains(
            "--- manifest (revision 1, cilium-1.17.18)\n+++ manifest (revision 2, cilium-1.17.18)\n"
        ) && up.contains("-  replicas: 2\n+  replicas: 1\n"),
        "{up}"
    );
}

/// A chart written the way the API server rewrites: quantities in other units (`0.1` CPU,
/// `1024Mi`), zero values it drops (`{}`, `""`, `false`, `0`), a Secret's `stringData`, and a
/// Deployment an HPA scales. Installed as release `norm` in `default`.
fn install_normalised_chart(kc: &Path, dir: &Path) {
    let deploy = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: norm
  annotations: {}
spec:
  replicas: 1
  selector:
    matchLabels: {app: norm}
  template:
    metadata:
      labels: {app: norm}
      annotations: {}
    spec:
      hostNetwork: false
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: registry.k8s.io/pause:3.10
        env:
        - name: EMPTY
          value: ""
        ports:
        - containerPort: 8080
          hostPort: 0
        resources:
          requests: {cpu: "0.1", memory: 1024Mi}
          limits: {cpu: 1000m, memory: 2Gi, ephemeral-storage: 1e9}
        securityContext: {}
      volumes: []
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: norm
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: norm}
  minReplicas: 1
  maxReplicas: 5
---
apiVersion: v1
kind: Secret
metadata:
  name: norm
stringData:
  password: s3cret-norm
---
apiVersion: v1
kind: Service
metadata:
  name: norm
spec:
  selector: {app: norm}
  ports:
  - port: 80
    targetPort: 8080
"#;
    let chart = testkit::charts::write_tgz(
        &dir.join("norm-0.1.0.tgz"),
        &[
            (
                "norm/Chart.yaml",
                "apiVersion: v2\nname: norm\nversion: 0.1.0\n",
            ),
            ("norm/templates/all.yaml", deploy),
        ],
    );
    let values = dir.join("norm-values.yaml");
    std::fs::write(&values, "{}\n").unwrap();
    let out = podnet(kc)
        .args([
            "cilium",
            "install",
            "--force",
            "--release",
            "norm",
            "-n",
            "default",
            "--chart",
        ])
        .arg(chart)
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    expect_code(&out, 0);
}

/// The normalised chart shows no drift, also after its HPA's target was scaled.
fn assert_normalised_chart_has_no_drift(kc: &Path) {
    let args = ["--release", "norm", "-n", "default"];
    let (code, v) = diff_json(kc, &args);
    assert_eq!((code, &v["objects"]), (0, &json!([])), "{v:#}");
    assert_eq!(v["summary"]["checked"], 4);
    Kubectl::new(kc).ok(&[
        "scale",
        "deployment",
        "norm",
        "-n",
        "default",
        "--replicas=3",
    ]);
    let (code, v) = diff_json(kc, &args);
    assert_eq!(
        (code, &v["objects"]),
        (0, &json!([])),
        "replicas are the HPA's: {v:#}"
    );
}

#[test]
fn real_cluster_clean_install_has_no_drift_then_each_drift_is_reported_exactly() {
    let real = testkit::cluster::RealCluster::up(2, 2);
    let kc = real.kubeconfig().to_path_buf();
    let _dir = install_release(&kc);
    // The real controllers write status, annotations and defaults in their own time: wait until
    // the agent DaemonSet has been seen by its controller, then check twice.
    testkit::eventually(
        "the DaemonSet controller to observe cilium",
        std::time::Duration::from_secs(60),
        || {
            kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"])["status"]["observedGeneration"]
                == 1
        },
    );
    assert_clean(&kc);
    assert_wanted(&kc);
    assert_facts_vs_values(&kc, &moto_with_eks_clusters());
    make_drift(&kc);
    assert_drift_reported(&kc);
    assert_secrets_redacted(&kc);
    let dir = tempfile::tempdir().unwrap();
    install_normalised_chart(&kc, dir.path());
    assert_normalised_chart_has_no_drift(&kc);
}

fn sim_installed() -> (kubesim::Kubesim, PathBuf, tempfile::TempDir) {
    let sim = testkit::cluster::eks_kubesim();
    let kc = sim.kubeconfig().to_path_buf();
    let dir = install_release(&kc);
    (sim, kc, dir)
}

#[test]
fn kubesim_clean_install_has_no_drift() {
    let (_sim, kc, _dir) = sim_installed();
    assert_clean(&kc);
}

#[test]
fn kubesim_quantities_zero_values_string_data_and_hpa_replicas_are_not_drift() {
    let sim = testkit::cluster::eks_kubesim();
    let dir = tempfile::tempdir().unwrap();
    install_normalised_chart(sim.kubeconfig(), dir.path());
    assert_normalised_chart_has_no_drift(sim.kubeconfig());
}

#[test]
fn kubesim_each_drift_is_reported_exactly_in_json_and_as_unified_diffs() {
    let (_sim, kc, _dir) = sim_installed();
    make_drift(&kc);
    assert_drift_reported(&kc);
}

#[test]
fn kubesim_secret_data_is_never_printed() {
    let (_sim, kc, _dir) = sim_installed();
    assert_secrets_redacted(&kc);
}

#[test]
fn kubesim_wanted_vs_release_is_the_upgrade_diff() {
    let (_sim, kc, _dir) = sim_installed();
    assert_wanted(&kc);
}

#[test]
fn errors_exit_2_naming_what_is_wrong() {
    let real = testkit::cluster::RealCluster::bare();
    let kc = real.kubeconfig().to_path_buf();
    let (code, text) = diff_text(&kc, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("release cilium not found in kube-system"),
        "{text}"
    );
    let (code, text) = diff_text(&kc, &["--version", "1.18.4"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("--version") && text.contains("needs --chart"),
        "{text}"
    );
    let (code, text) = diff_text(&kc, &["-o", "yaml"]);
    assert_eq!(code, 2, "{text}");
}

/// An EKS cluster in moto whose remote pod networks are `pod_networks` (remote node network
/// 172.16.0.0/16, VPC 10.0.0.0/16, as the installed values were made for).
async fn eks_cluster(moto: &testkit::moto::Moto, name: &str, pod_networks: &[&str]) {
    use aws_sdk_eks::types::{
        RemoteNetworkConfigRequest, RemoteNodeNetwork, RemotePodNetwork, VpcConfigRequest,
    };
    let conf = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-west-2a")
        .send()
        .await
        .unwrap();
    let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let mut pods = RemotePodNetwork::builder();
    for p in pod_networks {
        pods = pods.cidrs(*p);
    }
    aws_sdk_eks::Client::new(&conf)
        .create_cluster()
        .name(name)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids(subnet_id).build())
        .remote_network_config(
            RemoteNetworkConfigRequest::builder()
                .remote_node_networks(RemoteNodeNetwork::builder().cidrs("172.16.0.0/16").build())
                .remote_pod_networks(pods.build())
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// The EKS clusters of the facts checks, in moto: as at install time, and after a second remote
/// pod network was added in EKS.
fn moto_with_eks_clusters() -> testkit::moto::Moto {
    let moto = testkit::moto::Moto::start();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        eks_cluster(&moto, "as-installed", &["192.168.64.0/18"]).await;
        eks_cluster(&moto, "grown", &["192.168.64.0/18", "10.200.0.0/16"]).await;
    });
    moto
}

/// Facts vs values on a cluster without live drift: nothing against the cluster as installed;
/// against the grown one, exactly the remote pod network the pool does not use.
fn assert_facts_vs_values(kc: &Path, moto: &testkit::moto::Moto) {
    let run = |cluster: &str| {
        let out = podnet(kc)
            .envs(moto.env())
            .args(["cilium", "diff", "--cluster", cluster, "-o", "json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap_or(-1), v)
    };
    let (code, v) = run("as-installed");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["failingFacts"], 0, "{v:#}");
    assert_eq!(v["facts"]["findings"], json!([]), "{v:#}");

    let (code, v) = run("grown");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["objects"], json!([]), "live objects did not drift: {v:#}");
    let f = &v["facts"]["findings"];
    assert_eq!(f.as_array().map(Vec::len), Some(1), "{v:#}");
    assert_eq!(f[0]["id"], "remote-pod-network-not-in-pool");
    assert_eq!(f[0]["path"], "ipam.operator.clusterPoolIPv4PodCIDRList");
    assert!(
        f[0]["message"].as_str().unwrap().contains("10.200.0.0/16"),
        "{f:#}"
    );
    // With --fail-on error the warning is shown but is not drift.
    let out = podnet(kc)
        .envs(moto.env())
        .args(["cilium", "diff", "--cluster", "grown", "--fail-on", "error"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("remote-pod-network-not-in-pool") && text.contains("No drift."),
        "{text}"
    );
}

#[test]
fn kubesim_facts_vs_values_reads_eks_and_reports_a_remote_pod_network_the_pool_does_not_use() {
    let moto = moto_with_eks_clusters();
    let (_sim, kc, _dir) = sim_installed();
    assert_facts_vs_values(&kc, &moto);
}

/// The JSON a command printed; the test fails with its stderr when there is none.
fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: exit {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `cilium diff --contexts/--all-contexts`: three contexts named after their EKS clusters (one
/// clean, one whose release drifted and whose EKS cluster grew a remote pod network, one gone
/// from EKS and from the network), each cluster's facts read from its own EKS cluster with
/// `--region`, in one report; without `--region`, live vs release only.
#[test]
fn fleet_diff_reports_each_cluster_with_its_own_facts() {
    let moto = moto_with_eks_clusters();
    let (clean, clean_kc, _d1) = sim_installed();
    let (drifted, drifted_kc, _d2) = sim_installed();
    make_drift(&drifted_kc);
    let single = |kc: &Path, cluster: &str| {
        let out = podnet(kc)
            .envs(moto.env())
            .args(["cilium", "diff", "--cluster", cluster, "-o", "json"])
            .output()
            .unwrap();
        stdout_json(&out)
    };
    let clean_single = single(&clean_kc, "as-installed");
    let drifted_single = single(&drifted_kc, "grown");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        testkit::cluster::fleet_kubeconfig(&[
            ("as-installed", clean.url()),
            ("grown", drifted.url()),
            ("gone", &testkit::ports::dead_url()),
        ]),
    )
    .unwrap();
    let fleet = |args: &[&str]| {
        podnet(&kc)
            .envs(moto.env())
            .args(["cilium", "diff", "--region", "us-west-2"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = fleet(&["--all-contexts", "-o", "json"]);
    assert_eq!(out.status.code(), Some(2), "a cluster could not be checked");
    let v = stdout_json(&out);
    assert_eq!(v["command"], "cilium diff");
    let c = &v["clusters"];
    assert_eq!(c[0]["context"], "as-installed");
    assert_eq!(c[0]["report"], clean_single, "as a single run reports it");
    assert_eq!(c[1]["report"], drifted_single, "as a single run reports it");
    assert_eq!(c[1]["report"]["drift"], true);
    assert_eq!(c[1]["report"]["summary"]["failingFacts"], 1);
    // Its facts are read first: EKS has no cluster `gone`.
    assert_eq!(c[2]["errorKind"], "error", "{v:#}");
    assert!(
        c[2]["error"]
            .as_str()
            .unwrap()
            .contains("EKS cluster `gone` not found in region us-west-2"),
        "{v:#}"
    );
    assert_eq!(
        (
            &v["summary"]["ok"],
            &v["summary"]["withFindings"],
            &v["summary"]["notChecked"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{v:#}"
    );
    let out = fleet(&["--contexts", "as-installed,grown"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "drift: {text}");
    assert!(
        text.contains("== as-installed ==")
            && text.contains("== grown ==")
            && text.contains("ConfigMap/cilium-config")
            && text.contains("remote-pod-network-not-in-pool")
            && text.ends_with("Fleet: 2 cluster(s): 1 ok, 1 with findings, 0 not checked.\n"),
        "{text}"
    );
    let out = fleet(&["--contexts", "as-installed"]);
    assert_eq!(out.status.code(), Some(0));
    // Without --region: live vs release only, and `gone`'s API server is named unreachable.
    let out = podnet(&kc)
        .args(["cilium", "diff", "--all-contexts", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = stdout_json(&out);
    let c = &v["clusters"];
    assert_eq!(
        (&c[0]["report"]["drift"], &c[1]["report"]["drift"]),
        (&json!(false), &json!(true)),
        "{v:#}"
    );
    assert_eq!(c[1]["report"]["objects"], drifted_single["objects"]);
    assert!(c[1]["report"].get("facts").is_none(), "{v:#}");
    assert_eq!(c[2]["errorKind"], "unreachable", "{v:#}");
    let out = podnet(&kc)
        .args(["cilium", "diff", "--all-contexts", "--cluster", "grown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cluster"));
}
