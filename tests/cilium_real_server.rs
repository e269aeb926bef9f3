//! Backend: the REAL control plane of `tests/cluster.sh` (kube-apiserver, controllers, scheduler,
//! etcd, kwok kubelets; `testkit::cluster::RealCluster`), and the real Helm v4 CLI as the reference.
//! Why not kubesim: each test here is about what only a real API server does — field ownership
//! and conflicts between managers (kubectl edit/patch/apply, client- and server-side), immutable
//! fields, finalizers and asynchronous deletion (the namespace controller), CRD establishment by
//! the apiextensions server. Each test brings its own cluster (about 10 s to start) and fails,
//! never skips, without the peers (`bash tests/setup.sh` builds them).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::cluster::RealCluster;
use testkit::helm::Helm;
use testkit::kubectl::Kubectl;
use testkit::podnet::{self as cli, expect_code, flat};

fn chart() -> PathBuf {
    testkit::charts::cilium(testkit::charts::CILIUM)
}

/// A real cluster (1 EC2 node, 1 hybrid node), a values file and the Helm CLI on it.
struct Env {
    cluster: RealCluster,
    dir: tempfile::TempDir,
    values: PathBuf,
}

impl Env {
    fn up() -> Env {
        // The reference must be the real Helm CLI, not the SDK fallback.
        assert!(
            testkit::helm::cli_bin().is_file(),
            "the Helm v4 CLI is missing at {}: run `bash tests/setup.sh`",
            testkit::helm::cli_bin().display()
        );
        let cluster = RealCluster::up(1, 1);
        let dir = tempfile::tempdir().unwrap();
        let values = testkit::podnet::hybrid_values_file(dir.path());
        Env {
            cluster,
            dir,
            values,
        }
    }

    fn kc(&self) -> &Path {
        self.cluster.kubeconfig()
    }

    fn kubectl(&self) -> Kubectl {
        self.cluster.kubectl()
    }

    /// `kubectl podnet cilium ARGS` (with --kubeconfig).
    fn podnet(&self, args: &[&str]) -> Output {
        cli::on(self.kc())
            .arg("cilium")
            .args(args)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    }

    /// `cilium install|upgrade --chart CHART -f VALUES EXTRA…`.
    fn podnet_chart(&self, action: &str, chart: &Path, extra: &[&str]) -> Output {
        let mut args = vec![action, "--chart", chart.to_str().unwrap(), "-f"];
        args.push(self.values.to_str().unwrap());
        args.extend(extra);
        self.podnet(&args)
    }

    /// `helm ACTION cilium CHART -f VALUES EXTRA…` (not asserted).
    fn helm_chart(&self, action: &str, chart: &Path, extra: &[&str]) -> Output {
        let helm = Helm::new(self.kc());
        let mut args = vec![action, "cilium", chart.to_str().unwrap(), "-f"];
        args.push(self.values.to_str().unwrap());
        args.extend(["--timeout", "60s"]);
        args.extend(extra);
        helm.cli_command(&args).output().unwrap()
    }

    fn helm(&self, args: &[&str]) -> Output {
        Helm::new(self.kc()).cli_command(args).output().unwrap()
    }

    fn cm_debug(&self) -> String {
        self.kubectl().ok(&[
            "-n",
            "kube-system",
            "get",
            "cm",
            "cilium-config",
            "-o",
            "jsonpath={.data.debug}",
        ])
    }

    /// Helm's uninstall returns before the namespace controller has emptied `cilium-secrets`;
    /// a new install into it fails until it is gone.
    fn wait_gone(&self, what: &[&str]) {
        let k = self.kubectl();
        testkit::eventually(
            &format!("{what:?} to be gone"),
            Duration::from_secs(60),
            || k.json_or_null(&[&["get"], what].concat()).is_null(),
        );
    }
}

fn ok(out: &Output) -> String {
    expect_code(out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn err_of(out: &Output) -> String {
    flat(&out.stderr)
}

/// The status of each revision of `cilium`, oldest first, from Helm's records (Helm reads them).
fn helm_statuses(env: &Env) -> Vec<String> {
    let out = env.helm(&["history", "cilium", "-o", "json"]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

const CONFLICT: &str = r#"conflict with "kubectl-patch" using v1: .data.debug"#;

/// `kubectl patch` changes a field of cilium-config; the next upgrade of the same chart and values:
/// Helm v4 (server-side apply, --force-conflicts off by default) fails naming the manager and the
/// field, records the revision failed and leaves the change; podnet does the same (it used to apply
/// with force and overwrite the change silently), and --force-conflicts overwrites it in both.
#[test]
fn upgrade_after_kubectl_patch_conflicts_as_helm_v4() {
    let env = Env::up();
    let k = env.kubectl();
    let patch = [
        "-n",
        "kube-system",
        "patch",
        "cm",
        "cilium-config",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"debug":"true"}}"#,
    ];

    // Helm v4, the reference.
    ok(&env.helm_chart("install", &chart(), &[]));
    k.ok(&patch);
    let helm_up = env.helm_chart("upgrade", &chart(), &[]);
    assert!(
        !helm_up.status.success(),
        "helm upgrade overwrote a patched field"
    );
    let helm_err = String::from_utf8_lossy(&helm_up.stderr).to_string();
    assert!(helm_err.contains(CONFLICT), "helm: {helm_err}");
    assert_eq!(env.cm_debug(), "true", "helm kept the patched value");
    assert_eq!(helm_statuses(&env), ["deployed", "failed"]);
    ok(&env.helm_chart("upgrade", &chart(), &["--force-conflicts"]));
    assert_eq!(env.cm_debug(), "false");
    ok(&env.helm(&["uninstall", "cilium", "--timeout", "60s"]));
    env.wait_gone(&["ns", "cilium-secrets"]);

    // podnet, the same steps.
    ok(&env.podnet_chart("install", &chart(), &[]));
    k.ok(&patch);
    let up = env.podnet_chart("upgrade", &chart(), &[]);
    expect_code(&up, 2);
    let e = err_of(&up);
    assert!(
        e.contains(CONFLICT),
        "podnet names the manager and field: {e}"
    );
    assert!(
        e.contains("--force-conflicts"),
        "podnet says how to overwrite: {e}"
    );
    assert_eq!(env.cm_debug(), "true", "podnet kept the patched value");
    assert_eq!(
        helm_statuses(&env),
        ["deployed", "failed"],
        "as Helm records it"
    );
    ok(&env.podnet_chart("upgrade", &chart(), &["--force-conflicts"]));
    assert_eq!(env.cm_debug(), "false");
    let cm = k.json(&[
        "-n",
        "kube-system",
        "get",
        "cm",
        "cilium-config",
        "--show-managed-fields",
    ]);
    let owners: Vec<&str> = cm["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["fieldsV1"]["f:data"]["f:debug"].is_object())
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(
        owners,
        ["helm"],
        "after --force-conflicts helm owns .data.debug alone"
    );
    assert_eq!(helm_statuses(&env), ["superseded", "failed", "deployed"]);
}

/// The chart's cilium-config as `helm template` renders it, one YAML document.
fn rendered_config_map(env: &Env) -> String {
    let out = env.helm(&[
        "template",
        "cilium",
        chart().to_str().unwrap(),
        "-f",
        env.values.to_str().unwrap(),
    ]);
    let all = ok(&out);
    all.split("\n---")
        .find(|d| d.contains("kind: ConfigMap") && d.contains("name: cilium-config\n"))
        .expect("the chart renders cilium-config")
        .to_string()
}

/// `kubectl apply` (client-side, last-applied annotation) made cilium-config before any release:
/// Helm and podnet both refuse to install over it (invalid ownership metadata) and record nothing;
/// with --take-ownership podnet adopts it (podnet used to adopt silently). Then `kubectl apply
/// --server-side` of a changed copy conflicts with podnet's `helm` manager, and after it forces
/// its change, podnet's upgrade conflicts with `kubectl`.
#[test]
fn client_side_apply_then_take_ownership_then_server_side_apply() {
    let env = Env::up();
    let k = env.kubectl();
    let doc = rendered_config_map(&env);
    k.ok_stdin(&["-n", "kube-system", "apply", "-f", "-"], &doc);

    let helm_in = env.helm_chart("install", &chart(), &[]);
    assert!(!helm_in.status.success());
    let helm_err = String::from_utf8_lossy(&helm_in.stderr).to_string();
    assert!(
        helm_err.contains("invalid ownership metadata"),
        "helm: {helm_err}"
    );

    let install = env.podnet_chart("install", &chart(), &[]);
    expect_code(&install, 2);
    let e = err_of(&install);
    for part in [
        "ConfigMap/cilium-config in namespace kube-system exists and cannot be imported into release cilium: invalid ownership metadata",
        r#"missing label "app.kubernetes.io/managed-by""#,
        "nothing was changed",
        "--take-ownership",
    ] {
        assert!(e.contains(part), "stderr lacks {part:?}: {e}");
    }
    assert!(
        k.release_secrets("cilium", "kube-system").is_empty(),
        "a refused install records nothing, as Helm"
    );
    assert!(
        k.json_or_null(&["-n", "kube-system", "get", "ds", "cilium"])
            .is_null()
    );

    ok(&env.podnet_chart("install", &chart(), &["--take-ownership"]));
    let cm = k.json(&[
        "-n",
        "kube-system",
        "get",
        "cm",
        "cilium-config",
        "--show-managed-fields",
    ]);
    assert_eq!(
        cm["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "cilium"
    );
    assert!(
        cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string(),
        "kubectl's annotation stays: the server keeps what the apply does not name"
    );
    let managers: Vec<&str> = cm["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert!(managers.contains(&"helm"), "{managers:?}");

    // kubectl's server-side apply (manager `kubectl`) of a changed copy takes .data.debug; the
    // next podnet upgrade meets it as a conflict.
    let changed = doc.replace("debug: \"false\"", "debug: \"true\"");
    assert_ne!(changed, doc);
    k.ok_stdin(
        &[
            "-n",
            "kube-system",
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            "-",
        ],
        &changed,
    );
    let up = env.podnet_chart("upgrade", &chart(), &[]);
    expect_code(&up, 2);
    assert!(
        err_of(&up).contains(r#"conflict with "kubectl": .data.debug"#),
        "{}",
        err_of(&up)
    );
    assert_eq!(env.cm_debug(), "true");
}

/// A copy of the shared chart whose operator Deployment has one more selector label, packed as
/// a .tgz in `dir`.
fn chart_with_new_operator_selector(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let st = std::process::Command::new("tar")
        .arg("xzf")
        .arg(chart())
        .arg("-C")
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    let f = src.join("cilium/templates/cilium-operator/deployment.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    // Selector and pod labels both gain `podnet-test: v2` (the pod template must match).
    let patched = text.replacen(
        "\n    matchLabels:\n      io.cilium/app: operator\n",
        "\n    matchLabels:\n      io.cilium/app: operator\n      podnet-test: v2\n",
        1,
    );
    let patched = patched.replacen(
        "\n      labels:\n        io.cilium/app: operator\n",
        "\n      labels:\n        io.cilium/app: operator\n        podnet-test: v2\n",
        1,
    );
    assert_ne!(patched, text, "the operator's labels were found");
    std::fs::write(&f, patched).unwrap();
    let out = dir.join("cilium-1.17.18-newselector.tgz");
    let st = std::process::Command::new("tar")
        .arg("czf")
        .arg(&out)
        .arg("-C")
        .arg(&src)
        .arg("cilium")
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// An upgrade to a chart that changes the operator Deployment's selector (immutable): Helm fails
/// with the server's "field is immutable"; podnet fails the same way, names the object, records
/// the revision failed and says how to get past it (delete with --cascade=orphan, run again),
/// which then works.
#[test]
fn immutable_selector_change_fails_clearly_as_helm() {
    let env = Env::up();
    let k = env.kubectl();
    let changed = chart_with_new_operator_selector(env.dir.path());

    ok(&env.helm_chart("install", &chart(), &[]));
    let helm_up = env.helm_chart("upgrade", &changed, &[]);
    assert!(!helm_up.status.success());
    let helm_err = String::from_utf8_lossy(&helm_up.stderr).to_string();
    assert!(helm_err.contains("field is immutable"), "helm: {helm_err}");
    ok(&env.helm(&["uninstall", "cilium", "--timeout", "60s"]));
    env.wait_gone(&["ns", "cilium-secrets"]);

    ok(&env.podnet_chart("install", &chart(), &[]));
    let up = env.podnet_chart("upgrade", &changed, &[]);
    expect_code(&up, 2);
    let e = err_of(&up);
    for part in [
        "apply Deployment/cilium-operator",
        "field is immutable",
        "spec.selector",
        "--cascade=orphan",
    ] {
        assert!(e.contains(part), "stderr lacks {part:?}: {e}");
    }
    assert_eq!(helm_statuses(&env), ["deployed", "failed"]);
    k.ok(&[
        "-n",
        "kube-system",
        "delete",
        "deployment",
        "cilium-operator",
        "--cascade=orphan",
    ]);
    ok(&env.podnet_chart("upgrade", &changed, &[]));
    let d = k.json(&["-n", "kube-system", "get", "deployment", "cilium-operator"]);
    assert_eq!(d["spec"]["selector"]["matchLabels"]["podnet-test"], "v2");
}

/// A finalizer nobody removes on an object of the release: uninstall deletes what it can, waits
/// no longer than --timeout, lists the held object with its finalizers, and forgets the release.
/// Without finalizers, uninstall waits until the deletions are done (the namespace controller
/// empties cilium-secrets asynchronously): an install right after it works.
#[test]
fn uninstall_with_a_finalizer_is_bounded_and_named() {
    let env = Env::up();
    let k = env.kubectl();

    // Uninstall, then install at once: podnet's uninstall waited for cilium-secrets to be gone.
    ok(&env.podnet_chart("install", &chart(), &[]));
    ok(&env.podnet(&["uninstall", "-y"]));
    assert!(k.json_or_null(&["get", "ns", "cilium-secrets"]).is_null());
    ok(&env.podnet_chart("install", &chart(), &[]));

    k.ok(&[
        "-n",
        "kube-system",
        "patch",
        "cm",
        "cilium-config",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":["podnet.test/hold"]}}"#,
    ]);
    let t0 = Instant::now();
    let out = env.podnet(&["uninstall", "-y", "--timeout", "3s"]);
    let took = t0.elapsed();
    let stdout = ok(&out);
    assert!(took < Duration::from_secs(20), "uninstall took {took:?}");
    assert!(
        took >= Duration::from_secs(3),
        "it waited for the finalizer: {took:?}"
    );
    assert!(
        stdout.contains(
            "kept: ConfigMap/cilium-config (terminating after 3s: finalizers [podnet.test/hold]"
        ),
        "{stdout}"
    );
    assert!(k.release_secrets("cilium", "kube-system").is_empty());
    let cm = k.json(&["-n", "kube-system", "get", "cm", "cilium-config"]);
    assert!(cm["metadata"]["deletionTimestamp"].is_string());
    k.ok(&[
        "-n",
        "kube-system",
        "patch",
        "cm",
        "cilium-config",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    env.wait_gone(&["-n", "kube-system", "cm", "cilium-config"]);
}

/// The shared chart with a `crds/` folder (one CRD in the cilium.io group) and a custom resource
/// of it among the templates, packed as a .tgz in `dir`.
fn chart_with_crd(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let st = std::process::Command::new("tar")
        .arg("xzf")
        .arg(chart())
        .arg("-C")
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    testkit::write_file(
        &src,
        "cilium/crds/podnettests.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: podnettests.cilium.io\nspec:\n  group: cilium.io\n  scope: Cluster\n  names:\n    kind: PodnetTest\n    listKind: PodnetTestList\n    plural: podnettests\n    singular: podnettest\n  versions:\n  - name: v2\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              blocks:\n                type: array\n                items:\n                  type: string\n",
    );
    testkit::write_file(
        &src,
        "cilium/templates/podnettest.yaml",
        "apiVersion: cilium.io/v2\nkind: PodnetTest\nmetadata:\n  name: pool\nspec:\n  blocks: [\"192.168.64.0/18\"]\n",
    );
    let out = dir.join("cilium-1.17.18-crd.tgz");
    let st = std::process::Command::new("tar")
        .arg("czf")
        .arg(&out)
        .arg("-C")
        .arg(&src)
        .arg("cilium")
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// The Cilium chart carries no CRDs (the operator registers `*.cilium.io` when it starts; kwok
/// runs no operator): after podnet's install there are none. A chart with `crds/` gets its CRD
/// created, validated by the real apiextensions server and Established, and its custom resource
/// of the same install applied.
#[test]
fn chart_crds_are_established_before_their_resources() {
    let env = Env::up();
    let k = env.kubectl();
    ok(&env.podnet_chart("install", &chart(), &[]));
    let crds = k.json(&["get", "crd"]);
    let cilium: Vec<&str> = crds["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["metadata"]["name"].as_str())
        .filter(|n| n.ends_with(".cilium.io"))
        .collect();
    assert!(cilium.is_empty(), "{cilium:?}");
    ok(&env.podnet(&["uninstall", "-y"]));

    let with_crd = chart_with_crd(env.dir.path());
    ok(&env.podnet_chart("install", &with_crd, &[]));
    let crd = k.json(&["get", "crd", "podnettests.cilium.io"]);
    let established = crd["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Established" && c["status"] == "True");
    assert!(established, "{}", crd["status"]);
    let cr = k.json(&["get", "podnettests.cilium.io", "pool"]);
    assert_eq!(cr["spec"]["blocks"][0], "192.168.64.0/18");
    assert_eq!(
        cr["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "cilium"
    );
}
