//! Clusters to test against, and the fixtures that fill them:
//!
//! - kubesim, our API server simulator (fault injection, scale): [`kubesim`], [`eks_kubesim`],
//!   [`kubesim_with_objects`], and [`nodes_yaml`] for EC2 and hybrid nodes;
//! - [`RealCluster`]: the real control plane `tests/cluster.sh` runs (kube-apiserver,
//!   controllers, scheduler, etcd, fake kubelets), stopped on drop.

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
/// also after a failed `up`).
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
            .args([
                "--nodes",
                &nodes.to_string(),
                "--hybrid-nodes",
                &hybrid.to_string(),
            ])
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
