//! Backend: the REAL control plane (`tests/cluster.sh`: 2 EC2 + 2 hybrid kwok nodes, `aws-node`
//! and `kube-proxy` as on EKS). Side by side with cilium-cli, the tool our users would otherwise
//! pick: `kubectl podnet cilium install` and cilium-cli's `cilium install` (built by
//! `tests/peers/build.sh` from `github.com/cilium/cilium`), each on a fresh cluster, with the same
//! chart (the shared cilium-1.17.18, unpacked for cilium-cli's `--chart-directory`) and the same
//! hybrid values file. cilium-cli runs twice: with the kubeconfig as eksctl names it
//! (`<cluster>.<region>.eksctl.io`, which cilium-cli takes for EKS, as it takes a server
//! `*.eks.amazonaws.com` from `aws eks update-kubeconfig`), and with the plain test kubeconfig.
//!
//! Measured for each: what it does to `aws-node` (uid, generation, spec), which objects it
//! writes (every object created or changed whose managedFields name the tool's field managers:
//! the managers of its Helm release Secret, plus `--field-manager`), where the agent and
//! operator pods land, the time to a ready install (agents and operator ready as the real
//! controllers report), and what the real Helm CLI's `helm list` / `helm history` see. podnet's
//! facts are asserted; cilium-cli's are recorded (its install must succeed, so they are
//! measured, not made up). The table is printed: `cargo test --test cilium_cli_peer --
//! --nocapture`, and README's "cilium-cli side by side" holds the run it was copied from.

mod lifecycle;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use lifecycle::{chart, install as podnet_install};
use serde_json::Value;
use testkit::cluster::RealCluster;
use testkit::helm::{Backend, Helm, peers_dir};
use testkit::kubectl::Kubectl;
use testkit::podnet::hybrid_values_file;

const HYBRID_LABEL: &str = "eks.amazonaws.com/compute-type";
/// The field manager podnet applies with here (the Helm CLI's, as the lifecycle tests use).
const PODNET_FM: &str = "helm";
/// How long each install may take to be ready.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Podnet,
    /// cilium-cli with an eksctl-named kubeconfig: cilium-cli's EKS path.
    CiliumCliEks,
    /// cilium-cli with the test kubeconfig as written (no cloud detected).
    CiliumCliPlain,
}

impl Tool {
    fn label(self) -> &'static str {
        match self {
            Tool::Podnet => "`kubectl podnet cilium install`",
            Tool::CiliumCliEks => "`cilium install`, eksctl kubeconfig (EKS detected)",
            Tool::CiliumCliPlain => "`cilium install`, plain kubeconfig",
        }
    }
}

/// What one install did, as observed on its cluster.
struct Facts {
    tool: Tool,
    /// Exit code and the output's last lines.
    exit: Option<i32>,
    output: String,
    command: Duration,
    ready: Option<Duration>,
    aws_node_uid_same: bool,
    aws_node_generation: (i64, i64),
    /// Nodes aws-node is scheduled to (`status.desiredNumberScheduled`), before and after.
    aws_node_nodes: (i64, i64),
    /// `spec` paths of aws-node that changed, with the new value.
    aws_node_spec_changes: Vec<String>,
    managers: BTreeSet<String>,
    /// (kind, namespace/name) of every object the tool created.
    created: Vec<(String, String)>,
    /// (kind, namespace/name) of objects that existed before and that the tool changed.
    changed: Vec<(String, String)>,
    /// Created objects without Helm's ownership annotation (release Secrets aside).
    unowned: Vec<String>,
    /// (node, hybrid?) of each agent pod and each operator pod.
    agent_nodes: Vec<(String, bool)>,
    operator_nodes: Vec<(String, bool)>,
    /// `helm list` row (status, revision, chart) and `helm history` statuses.
    helm_list: Option<(String, i64, String)>,
    helm_history: Vec<String>,
    /// User-supplied value paths in the release (`helm get values`) beyond the values file.
    values_added: Vec<String>,
}

#[test]
fn podnet_and_cilium_cli_install_side_by_side_on_an_eks_hybrid_cluster() {
    let cilium = cilium_cli_bin();
    let work = tempfile::tempdir().unwrap();
    let values = hybrid_values_file(work.path());
    let chart_dir = unpack_chart(&chart(), work.path());

    let podnet = measure(Tool::Podnet, &values, &chart_dir, &cilium);
    assert_podnet_facts(&podnet);
    let eks = measure(Tool::CiliumCliEks, &values, &chart_dir, &cilium);
    let plain = measure(Tool::CiliumCliPlain, &values, &chart_dir, &cilium);
    for f in [&eks, &plain] {
        assert_eq!(
            f.exit,
            Some(0),
            "{} failed, nothing to compare:\n{}",
            f.tool.label(),
            f.output
        );
    }
    println!("{}", table(&[&podnet, &eks, &plain]));
}

/// What podnet must do on a hybrid cluster: leave aws-node alone, schedule agents and operator
/// on hybrid nodes only, write only objects of its release, and leave a release Helm reads.
fn assert_podnet_facts(f: &Facts) {
    assert_eq!(f.exit, Some(0), "podnet install failed:\n{}", f.output);
    assert!(f.ready.is_some(), "podnet's install never became ready");
    assert!(f.aws_node_uid_same, "podnet replaced aws-node");
    assert_eq!(
        f.aws_node_generation.0, f.aws_node_generation.1,
        "podnet bumped aws-node's generation"
    );
    assert!(
        f.aws_node_spec_changes.is_empty(),
        "podnet changed aws-node: {:?}",
        f.aws_node_spec_changes
    );
    assert_eq!(
        f.aws_node_nodes.0, f.aws_node_nodes.1,
        "aws-node lost or gained nodes"
    );
    // Its apply identity, and its own name (the User-Agent) on the release records: never the
    // `unknown` the API server writes for an anonymous client.
    assert_eq!(
        f.managers,
        BTreeSet::from([PODNET_FM.to_string(), "kubectl-podnet".to_string()]),
        "field managers of podnet's writes"
    );
    assert!(
        f.changed.is_empty(),
        "podnet changed objects it did not create: {:?}",
        f.changed
    );
    assert!(
        f.unowned.is_empty(),
        "objects podnet created without Helm's ownership annotation: {:?}",
        f.unowned
    );
    // One agent per hybrid node (the cluster has two), none on an EC2 node.
    assert_eq!(f.agent_nodes.len(), 2, "agents: {:?}", f.agent_nodes);
    assert!(f.agent_nodes.iter().all(|(_, h)| *h), "{:?}", f.agent_nodes);
    assert!(!f.operator_nodes.is_empty());
    assert!(
        f.operator_nodes.iter().all(|(_, h)| *h),
        "{:?}",
        f.operator_nodes
    );
    assert_eq!(
        f.helm_list,
        Some(("deployed".into(), 1, testkit::charts::CILIUM.into()))
    );
    assert_eq!(f.helm_history, ["deployed"]);
    assert!(
        f.created
            .iter()
            .any(|(k, n)| k == "DaemonSet" && n == "kube-system/cilium"),
        "managers {:?}, created {:?}",
        f.managers,
        f.created
    );
    assert!(
        f.created
            .iter()
            .any(|(k, n)| k == "Secret" && n == "kube-system/sh.helm.release.v1.cilium.v1"),
        "{:?}",
        f.created
    );
}

/// Installs with `tool` on a fresh cluster and observes the result.
fn measure(tool: Tool, values: &Path, chart_dir: &Path, cilium: &Path) -> Facts {
    let real = RealCluster::up(2, 2);
    let kc = match tool {
        Tool::CiliumCliEks => eksctl_kubeconfig(real.kubeconfig()),
        _ => real.kubeconfig().to_path_buf(),
    };
    let kubectl = Kubectl::new(&kc);
    let aws_before = aws_node(&kubectl);
    let before = objects(&kubectl);
    let home = tempfile::tempdir().unwrap();

    let t0 = Instant::now();
    let out = match tool {
        Tool::Podnet => podnet_install(
            &kc,
            values,
            &["--wait", "--timeout", "120s", "--field-manager", PODNET_FM],
        ),
        Tool::CiliumCliEks | Tool::CiliumCliPlain => {
            cilium_install(cilium, &kc, values, chart_dir, home.path())
        }
    };
    let command = t0.elapsed();
    let exit = out.status.code();
    let ready = (exit == Some(0))
        .then(|| ready_after(&kubectl, t0))
        .flatten();

    let aws_after = aws_node_settled(&kubectl);
    let after = objects(&kubectl);
    let release_secret = after.values().find(|o| {
        o.kind == "Secret"
            && o.name.starts_with("kube-system/sh.helm.release.v1.cilium.")
            && !before.contains_key(&o.uid)
    });
    let mut managers: BTreeSet<String> = release_secret
        .map(|s| s.managers.clone())
        .unwrap_or_default();
    if tool == Tool::Podnet {
        managers.insert(PODNET_FM.into());
    }
    let by_tool = |o: &&Obj| o.managers.iter().any(|m| managers.contains(m));
    let created: Vec<&Obj> = after
        .values()
        .filter(|o| !before.contains_key(&o.uid))
        .filter(by_tool)
        .collect();
    let changed = after
        .values()
        .filter(|o| {
            before
                .get(&o.uid)
                .is_some_and(|b| b.resource_version != o.resource_version)
        })
        .filter(by_tool)
        .map(|o| (o.kind.clone(), o.name.clone()))
        .collect();
    let unowned = created
        .iter()
        .filter(|o| !o.helm_owned && !o.name.contains("/sh.helm.release.v1."))
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();

    let hybrid: BTreeSet<String> =
        kubectl.json(&["get", "nodes", "-l", &format!("{HYBRID_LABEL}=hybrid")])["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
    let placed = |selector: &str| -> Vec<(String, bool)> {
        kubectl.json(&["get", "pods", "-n", "kube-system", "-l", selector])["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let node = p["spec"]["nodeName"].as_str().unwrap_or("(unscheduled)");
                (node.to_string(), hybrid.contains(node))
            })
            .collect()
    };

    let helm = Helm::with_backend(Backend::Cli, &kc);
    let helm_list = helm
        .list()
        .into_iter()
        .find(|r| r.name == "cilium")
        .map(|r| (r.status, r.revision, r.chart_version));
    let helm_history = if helm_list.is_some() {
        helm.history().into_iter().map(|r| r.status).collect()
    } else {
        Vec::new()
    };
    let values_added = if helm_list.is_some() {
        let given = leaves(&yaml_file(values));
        leaves(&helm.get_values())
            .into_iter()
            .filter(|(k, v)| given.get(k) != Some(v))
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    } else {
        Vec::new()
    };

    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Facts {
        tool,
        exit,
        output: text,
        command,
        ready,
        aws_node_uid_same: aws_before["metadata"]["uid"] == aws_after["metadata"]["uid"],
        aws_node_generation: (
            aws_before["metadata"]["generation"].as_i64().unwrap_or(0),
            aws_after["metadata"]["generation"].as_i64().unwrap_or(0),
        ),
        aws_node_nodes: (
            aws_before["status"]["desiredNumberScheduled"]
                .as_i64()
                .unwrap_or(0),
            aws_after["status"]["desiredNumberScheduled"]
                .as_i64()
                .unwrap_or(0),
        ),
        aws_node_spec_changes: {
            let (b, a) = (leaves(&aws_before["spec"]), leaves(&aws_after["spec"]));
            let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            keys.into_iter()
                .filter(|k| b.get(*k) != a.get(*k))
                .map(|k| match a.get(k) {
                    Some(v) => format!("{k}={v}"),
                    None => format!("{k} removed"),
                })
                .collect()
        },
        managers,
        created: created
            .iter()
            .map(|o| (o.kind.clone(), o.name.clone()))
            .collect(),
        changed,
        unowned,
        agent_nodes: placed("k8s-app=cilium"),
        operator_nodes: placed("io.cilium/app=operator"),
        helm_list,
        helm_history,
        values_added,
    }
}

/// `cilium install` with the shared chart and the hybrid values, waiting as podnet's `--wait`
/// does; its Helm and cache homes are throw-away.
fn cilium_install(
    cilium: &Path,
    kc: &Path,
    values: &Path,
    chart_dir: &Path,
    home: &Path,
) -> Output {
    Command::new(cilium)
        .arg("install")
        .arg("--kubeconfig")
        .arg(kc)
        .arg("--chart-directory")
        .arg(chart_dir)
        .arg("--helm-values")
        .arg(values)
        .args(["--wait", "--wait-duration", "120s"])
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("GOPS_CONFIG_DIR", home.join("gops"))
        .env_remove("KUBECONFIG")
        .output()
        .expect("run cilium")
}

/// The `cilium` binary `tests/peers/build.sh` builds; the test fails saying so when missing.
fn cilium_cli_bin() -> PathBuf {
    let p = peers_dir().join("bin/cilium");
    assert!(
        p.is_file(),
        "cilium-cli is missing at {}: run `bash tests/setup.sh` (or `bash tests/peers/build.sh cilium`)",
        p.display()
    );
    p
}

/// The chart unpacked (cilium-cli's `--chart-directory` takes a directory only).
fn unpack_chart(tgz: &Path, dir: &Path) -> PathBuf {
    let data = std::fs::read(tgz).unwrap();
    let out = dir.join("chart");
    tar::Archive::new(flate2::read::GzDecoder::new(&data[..]))
        .unpack(&out)
        .unwrap();
    out.join("cilium")
}

/// The test kubeconfig with its cluster and context named as `eksctl create cluster --name
/// my-cluster --region us-west-2` names them (the cluster objects' name and region).
fn eksctl_kubeconfig(kc: &Path) -> PathBuf {
    let text = std::fs::read_to_string(kc).unwrap();
    assert!(text.contains("podnet-test"), "{text}");
    let out = kc.with_file_name("kubeconfig-eksctl");
    std::fs::write(
        &out,
        text.replace("podnet-test", "my-cluster.us-west-2.eksctl.io"),
    )
    .unwrap();
    out
}

fn aws_node(kubectl: &Kubectl) -> Value {
    kubectl.json(&["get", "daemonset", "aws-node", "-n", "kube-system"])
}

/// aws-node once the DaemonSet controller has seen its latest spec (its status then counts the
/// nodes the spec selects).
fn aws_node_settled(kubectl: &Kubectl) -> Value {
    let t0 = Instant::now();
    loop {
        let ds = aws_node(kubectl);
        let seen = ds["status"]["observedGeneration"].as_i64().unwrap_or(0)
            >= ds["metadata"]["generation"].as_i64().unwrap_or(0);
        if seen || t0.elapsed() > Duration::from_secs(30) {
            return ds;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// From `t0`, the time at which the agents on every node they are scheduled to and the operator
/// replicas were all ready, or None after [`READY_TIMEOUT`].
fn ready_after(kubectl: &Kubectl, t0: Instant) -> Option<Duration> {
    loop {
        let ds = kubectl.json_or_null(&["get", "daemonset", "cilium", "-n", "kube-system"]);
        let op =
            kubectl.json_or_null(&["get", "deployment", "cilium-operator", "-n", "kube-system"]);
        let want = ds["status"]["desiredNumberScheduled"].as_i64().unwrap_or(0);
        let agents = want > 0
            && ds["status"]["numberReady"].as_i64() == Some(want)
            && ds["status"]["updatedNumberScheduled"].as_i64() == Some(want);
        let replicas = op["spec"]["replicas"].as_i64().unwrap_or(1);
        let operator = op["status"]["readyReplicas"].as_i64() == Some(replicas);
        if agents && operator {
            return Some(t0.elapsed());
        }
        if t0.elapsed() > READY_TIMEOUT {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One object of the cluster, as much as the comparison needs.
struct Obj {
    uid: String,
    kind: String,
    /// `namespace/name`, or `name` for cluster-scoped objects.
    name: String,
    resource_version: String,
    /// Field managers of its main resource (status writes left out).
    managers: BTreeSet<String>,
    helm_owned: bool,
}

/// Every listable object but Events, by uid.
fn objects(kubectl: &Kubectl) -> BTreeMap<String, Obj> {
    let kinds: Vec<String> = kubectl
        .ok(&["api-resources", "--verbs=list", "-o", "name"])
        .lines()
        .filter(|r| !r.is_empty() && *r != "events" && *r != "events.events.k8s.io")
        .map(str::to_string)
        .collect();
    let list = kubectl.json(&["get", &kinds.join(","), "-A", "--show-managed-fields"]);
    let mut out = BTreeMap::new();
    for o in list["items"].as_array().unwrap() {
        let m = &o["metadata"];
        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
        let name = match m["namespace"].as_str() {
            Some(ns) => format!("{ns}/{}", s(&m["name"])),
            None => s(&m["name"]),
        };
        let managers = m["managedFields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["subresource"].as_str().unwrap_or("").is_empty())
            .map(|f| s(&f["manager"]))
            .collect();
        out.insert(
            s(&m["uid"]),
            Obj {
                uid: s(&m["uid"]),
                kind: s(&o["kind"]),
                name,
                resource_version: s(&m["resourceVersion"]),
                managers,
                helm_owned: m["annotations"]["meta.helm.sh/release-name"] == "cilium",
            },
        );
    }
    out
}

fn yaml_file(p: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `a.b.c` → leaf value (JSON text) of a document; lists are leaves.
fn leaves(v: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            _ => {
                out.insert(prefix.to_string(), v.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", v, &mut out);
    out
}

/// The comparison as a Markdown table, one column per install.
fn table(facts: &[&Facts]) -> String {
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    let nodes = |v: &[(String, bool)]| {
        let hybrid = v.iter().filter(|(_, h)| *h).count();
        format!(
            "{}: {hybrid} on hybrid nodes, {} on EC2 nodes",
            v.len(),
            v.len() - hybrid
        )
    };
    let kinds = |v: &[(String, String)]| {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, _) in v {
            *count.entry(k).or_default() += 1;
        }
        let parts: Vec<String> = count.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!("{} ({})", v.len(), parts.join(", "))
    };
    let rows: Vec<(&str, Box<dyn Fn(&Facts) -> String>)> = vec![
        (
            "exit code",
            Box::new(|f| format!("{:?}", f.exit.unwrap_or(-1))),
        ),
        ("command time (`--wait`)", Box::new(|f| secs(f.command))),
        (
            "time to ready (agents + operator ready)",
            Box::new(|f| f.ready.map(secs).unwrap_or("not ready".into())),
        ),
        (
            "`aws-node` uid / generation",
            Box::new(|f| {
                format!(
                    "{} / {} → {}",
                    if f.aws_node_uid_same {
                        "same"
                    } else {
                        "replaced"
                    },
                    f.aws_node_generation.0,
                    f.aws_node_generation.1
                )
            }),
        ),
        (
            "`aws-node` pods (nodes scheduled)",
            Box::new(|f| format!("{} → {}", f.aws_node_nodes.0, f.aws_node_nodes.1)),
        ),
        (
            "`aws-node` spec",
            Box::new(|f| {
                if f.aws_node_spec_changes.is_empty() {
                    "unchanged".into()
                } else {
                    format!("changed: `{}`", f.aws_node_spec_changes.join("`, `"))
                }
            }),
        ),
        ("objects created", Box::new(|f| kinds(&f.created))),
        (
            "existing objects changed",
            Box::new(|f| {
                if f.changed.is_empty() {
                    "none".into()
                } else {
                    let v: Vec<String> =
                        f.changed.iter().map(|(k, n)| format!("{k} {n}")).collect();
                    v.join(", ")
                }
            }),
        ),
        (
            "field managers",
            Box::new(|f| {
                let v: Vec<&str> = f.managers.iter().map(String::as_str).collect();
                format!("`{}`", v.join("`, `"))
            }),
        ),
        (
            "agent pods (`k8s-app=cilium`)",
            Box::new(|f| nodes(&f.agent_nodes)),
        ),
        ("operator pods", Box::new(|f| nodes(&f.operator_nodes))),
        (
            "`helm list`",
            Box::new(|f| match &f.helm_list {
                Some((s, r, c)) => format!("cilium {s}, revision {r}, chart {c}"),
                None => "not listed".into(),
            }),
        ),
        (
            "`helm history`",
            Box::new(|f| {
                if f.helm_history.is_empty() {
                    "none".into()
                } else {
                    f.helm_history.join(", ")
                }
            }),
        ),
        (
            "values set beyond the values file",
            Box::new(|f| {
                if f.values_added.is_empty() {
                    "none".into()
                } else {
                    format!("`{}`", f.values_added.join("`, `"))
                }
            }),
        ),
    ];
    let mut t = String::from("| |");
    for f in facts {
        t += &format!(" {} |", f.tool.label());
    }
    t += "\n|---|";
    t += &"---|".repeat(facts.len());
    for (name, cell) in &rows {
        t += &format!("\n| {name} |");
        for f in facts {
            t += &format!(" {} |", cell(f));
        }
    }
    t += "\n\nCreated objects:\n";
    for f in facts {
        let mut v: Vec<String> = f.created.iter().map(|(k, n)| format!("{k} {n}")).collect();
        v.sort();
        t += &format!("- {}: {}\n", f.tool.label(), v.join(", "));
    }
    t
}
