//! Clusters to test against, and the fixtures that fill them:
//!
//! - kubesim, our API server simulator (fault injection, scale): [`kubesim`], [`eks_kubesim`],
//!   [`kubesim_with_objects`], and [`nodes_yaml`] for EC2 and hybrid nodes;
//! - [`RealCluster`]: the real control plane `tests/cluster.sh` runs (kube-apiserver,
//!   controllers, scheduler, etcd, fake kubelets), stopped on drop; [`RealCluster::bare`] and
//!   [`BareCluster`]: etcd and kube-apiserver only, holding objects exactly as a test wrote them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub use kubesim::{Kubesim, Options};
use serde_json::{Value, json};

use crate::kubectl::Kubectl;

/// kubesim with its defaults, pods Ready 200 ms after scheduling.
pub fn kubesim() -> Kubesim {
    kubesim_with(Options::default())
}

/// kubesim with `opts`; a default `ready_after` becomes 200 ms.
pub fn kubesim_with(mut opts: Options) -> Kubesim {
    if opts.ready_after == Options::default().ready_after {
        opts.ready_after = Duration::from_millis(200);
    }
    Kubesim::start_blocking(opts).expect("kubesim starts")
}

/// kubesim with the `eks` scenario: 2 EC2 nodes, 2 hybrid nodes, 4 pods, aws-node and
/// kube-proxy as on EKS; pods Ready 50 ms after scheduling.
pub fn eks_kubesim() -> Kubesim {
    eks_kubesim_with_faults(&[])
}

/// [`eks_kubesim`] with kubesim faults from the start (`image-pull:cilium/cilium`, …).
pub fn eks_kubesim_with_faults(faults: &[&str]) -> Kubesim {
    kubesim_with(Options {
        scenario: Some("eks:nodes=2,hybrid=2,pods=4".into()),
        ready_after: Duration::from_millis(50),
        faults: faults.iter().map(|f| f.to_string()).collect(),
        ..Default::default()
    })
}

/// kubesim holding exactly `objects` (no controllers: nothing changes them).
pub fn kubesim_with_objects(objects: &[Value]) -> Kubesim {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("objects.json");
    std::fs::write(
        &file,
        json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string(),
    )
    .expect("write objects");
    // kubesim reads the file while it starts.
    kubesim_with(Options {
        load: vec![file],
        controllers: false,
        ..Default::default()
    })
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

/// The real cluster of `tests/cluster.sh`: `up DIR [--nodes N] [--hybrid-nodes M]` writes
/// `DIR/kubeconfig` and returns when the nodes are Ready; `down DIR` stops everything (on drop,
/// also after a failed `up`). The test process is the cluster's owner (`--owner`): when it is
/// killed and never drops the cluster, the script's watchdog brings the cluster down.
///
/// At most [`max_clusters`] run at once in a test process (each is five processes, and two
/// saturate a 2-core machine while they start); further `up`s wait for a slot.
pub struct RealCluster {
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    _slot: Slot,
}

/// Real clusters a test process runs at once: `PODNET_CLUSTERS`, else 2.
pub fn max_clusters() -> usize {
    std::env::var("PODNET_CLUSTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2)
}

static RUNNING: std::sync::Mutex<usize> = std::sync::Mutex::new(0);
static FREED: std::sync::Condvar = std::sync::Condvar::new();

/// One of the [`max_clusters`] slots, given back on drop (after the cluster is down).
struct Slot;

impl Slot {
    fn take() -> Slot {
        let max = max_clusters();
        let mut n = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= max {
            n = FREED.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        FREED.notify_one();
    }
}

impl RealCluster {
    /// `nodes` EC2 nodes and `hybrid` hybrid nodes.
    pub fn up(nodes: usize, hybrid: usize) -> RealCluster {
        RealCluster::start(&[
            "--nodes",
            &nodes.to_string(),
            "--hybrid-nodes",
            &hybrid.to_string(),
        ])
    }

    /// `up DIR --bare`: etcd and kube-apiserver only (no controllers, scheduler, kwok, EKS objects
    /// or nodes), for tests that create every object and need it to stay as written. Namespaces
    /// get no `default` ServiceAccount (no controller manager): create one before pods.
    pub fn bare() -> RealCluster {
        RealCluster::start(&["--bare"])
    }

    fn start(args: &[&str]) -> RealCluster {
        let script = script();
        let slot = Slot::take();
        let dir = tempfile::Builder::new()
            .prefix("podnet-cluster-")
            .tempdir()
            .expect("temp dir");
        let c = RealCluster {
            kubeconfig: dir.path().join("kubeconfig"),
            dir,
            _slot: slot,
        };
        let out = Command::new("bash")
            .arg(&script)
            .arg("up")
            .arg(c.dir.path())
            .args(args)
            // Ours: a test process killed outright (no Drop) takes its clusters down with it.
            .args(["--owner", &std::process::id().to_string()])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} up failed: {}\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            c.kubeconfig.is_file(),
            "{} up wrote no {}",
            script.display(),
            c.kubeconfig.display()
        );
        c
    }

    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    pub fn kubectl(&self) -> Kubectl {
        Kubectl::new(&self.kubeconfig)
    }
}

impl Drop for RealCluster {
    fn drop(&mut self) {
        let out = Command::new("bash")
            .arg(script())
            .arg("down")
            .arg(self.dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => eprintln!(
                "testkit: tests/cluster.sh down {} failed: {}",
                self.dir.path().display(),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("testkit: cannot run tests/cluster.sh down: {e}"),
        }
    }
}

fn script() -> PathBuf {
    let p = crate::repo_root().join("tests/cluster.sh");
    assert!(
        p.is_file(),
        "{} is missing: the real-cluster tests need it",
        p.display()
    );
    p
}

/// A bare real cluster ([`RealCluster::bare`]) holding one scenario's objects at a time: the
/// audit's tests load a cluster's objects exactly as written, run the audit, load the next.
pub struct BareCluster {
    cluster: RealCluster,
    loaded: Vec<Value>,
}

fn object_list(items: Vec<Value>) -> String {
    json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()
}

impl BareCluster {
    /// A new bare cluster, empty.
    pub fn up() -> BareCluster {
        BareCluster {
            cluster: RealCluster::bare(),
            loaded: Vec::new(),
        }
    }

    pub fn kubeconfig(&self) -> &Path {
        self.cluster.kubeconfig()
    }

    pub fn kubectl(&self) -> Kubectl {
        self.cluster.kubectl()
    }

    /// Replaces the cluster's objects with `objects`. The previous scenario's objects are
    /// deleted, except namespaces: a bare cluster has no namespace controller, so a deleted
    /// namespace would stay Terminating for ever (its `kubernetes` finalizer is never removed)
    /// and an empty namespace changes nothing the audit reads. Pods go at once (no kubelet
    /// confirms a graceful deletion); deletions are bounded, so a finalizer fails the test
    /// instead of hanging it. Then namespaces and their `default` ServiceAccount (the admission
    /// of a pod needs it; no controller makes it), the objects, the CRDs established before
    /// their custom resources, and each pod's status through the status subresource.
    pub fn load(&mut self, objects: &[Value]) -> &mut Self {
        let k = self.kubectl();
        let keep_crds = objects
            .iter()
            .any(|o| o["kind"] == "CustomResourceDefinition");
        let (crds, others): (Vec<Value>, Vec<Value>) = std::mem::take(&mut self.loaded)
            .into_iter()
            .filter(|o| o["kind"] != "Namespace")
            .partition(|o| o["kind"] == "CustomResourceDefinition");
        let delete = [
            "delete",
            "--force",
            "--grace-period=0",
            "--ignore-not-found",
            "--wait=true",
            "--timeout=60s",
            "-f",
            "-",
        ];
        if !others.is_empty() {
            k.ok_stdin(&delete, &object_list(others));
        }
        if !crds.is_empty() && !keep_crds {
            k.ok_stdin(&delete, &object_list(crds));
        }
        let mut namespaces: Vec<&str> = objects
            .iter()
            .filter_map(|o| o["metadata"]["namespace"].as_str())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        let mut base = Vec::new();
        for ns in namespaces {
            base.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
            base.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}}));
        }
        if !base.is_empty() {
            k.ok_stdin(&["apply", "--server-side", "-f", "-"], &object_list(base));
        }
        let is_cr = |o: &Value| {
            o["apiVersion"]
                .as_str()
                .is_some_and(|a| a.starts_with("crd.k8s.amazonaws.com/"))
        };
        let (crs, first): (Vec<Value>, Vec<Value>) = objects.iter().cloned().partition(is_cr);
        if !first.is_empty() {
            k.ok_stdin(
                &["apply", "--server-side", "--force-conflicts", "-f", "-"],
                &object_list(first),
            );
        }
        for crd in objects
            .iter()
            .filter(|o| o["kind"] == "CustomResourceDefinition")
        {
            let name = format!("crd/{}", crd["metadata"]["name"].as_str().unwrap());
            k.ok(&[
                "wait",
                "--for=condition=Established",
                "--timeout=30s",
                &name,
            ]);
        }
        if !crs.is_empty() {
            k.ok_stdin(&["apply", "--server-side", "-f", "-"], &object_list(crs));
        }
        for pod in objects.iter().filter(|o| o["kind"] == "Pod") {
            let patch = json!({"status": pod["status"]}).to_string();
            k.ok(&[
                "patch",
                "pod",
                "-n",
                pod["metadata"]["namespace"].as_str().unwrap(),
                pod["metadata"]["name"].as_str().unwrap(),
                "--subresource=status",
                "--type=merge",
                "-p",
                &patch,
            ]);
        }
        self.loaded = objects.to_vec();
        self
    }
}

/// One kubeconfig with a context per `(context, server URL)`, for fleet runs: each context's
/// cluster is named by an EKS ARN (`arn:aws:eks:us-west-2:111122223333:cluster/CONTEXT`), as
/// `aws eks update-kubeconfig` names it; the user is kubesim's plain `admin`.
pub fn fleet_kubeconfig(entries: &[(&str, &str)]) -> String {
    let arn = |c: &str| format!("arn:aws:eks:us-west-2:111122223333:cluster/{c}");
    let mut clusters = String::new();
    let mut contexts = String::new();
    for (ctx, url) in entries {
        clusters.push_str(&format!(
            "- name: {}\n  cluster:\n    server: {url}\n",
            arn(ctx)
        ));
        contexts.push_str(&format!(
            "- name: {ctx}\n  context:\n    cluster: {}\n    user: admin\n",
            arn(ctx)
        ));
    }
    let current = entries.first().map(|e| e.0).unwrap_or("");
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}current-context: {current}\nusers:\n- name: admin\n  user:\n    username: admin\n"
    )
}
