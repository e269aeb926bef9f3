//! Backend: kubesim, our API-server simulator, for the lifecycle flows that need faults only it
//! can inject: an API server failing writes (500/422), a request held until the client is killed
//! mid-apply, image pulls that never succeed (agents never ready, hook Jobs that never finish).
//! Every other lifecycle flow runs against the real control plane in `cilium_lifecycle.rs`.

mod lifecycle;

use std::path::Path;
use std::process::Command as Proc;

use kubesim::Kubesim;
use lifecycle::*;
use serde_json::Value;
use testkit::podnet::hybrid_values_file as values_file;
use testkit::podnet::{self as cli, cilium_json as podnet_json, expect_code, on as podnet};

/// kubesim's `eks` scenario (2 EC2 + 2 hybrid nodes, aws-node, kube-proxy) with `faults`.
fn sim(faults: &[&str]) -> Kubesim {
    testkit::cluster::eks_kubesim_with_faults(faults)
}

/// kubesim with podnet's release of the shared chart installed (revision 1).
fn installed(dir: &Path) -> (Kubesim, std::path::PathBuf) {
    let sim = sim(&[]);
    let kc = sim.kubeconfig().to_path_buf();
    expect_code(&install(&kc, &values_file(dir), &[]), 0);
    (sim, kc)
}

#[test]
fn fault_status_names_hybrid_nodes_whose_agent_images_fail_to_pull() {
    let dir = tempfile::tempdir().unwrap();
    let values = values_file(dir.path());
    let sim = sim(&["image-pull:cilium/cilium"]);
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
fn fault_install_wait_says_what_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let values = values_file(dir.path());
    let sim = sim(&["image-pull:cilium/cilium"]);
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
fn fault_hook_job_that_never_completes_fails_the_release() {
    let sim = sim(&["image-pull:never-pulls"]);
    let kc = sim.kubeconfig().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("empty.yaml");
    std::fs::write(&values, "{}\n").unwrap();
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
}

#[test]
fn fault_preflight_passes_then_fails_on_image_pulls_and_always_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, kc) = installed(dir.path());
    let dir = dir.path();
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
            .arg(chart_as("1.17.19", dir))
            .output()
            .unwrap()
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
    assert!(preflight_gone(&kc), "preflight removed after success");

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
    assert!(preflight_gone(&kc), "preflight removed after failure");
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
        .arg(chart_as("1.17.19", dir))
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
    assert!(preflight_gone(&kc), "preflight removed after Ctrl-C");
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
            .arg(chart_as("1.17.19", dir))
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
    assert!(preflight_gone(&kc));
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
    assert!(preflight_gone(&kc));
}

#[test]
fn fault_mid_install_marks_failed_and_upgrade_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let values = values_file(dir.path());
    let sim = sim(&[]);
    let kc = sim.kubeconfig().to_path_buf();
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
fn fault_failed_upgrade_rolls_back_and_killed_upgrade_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, kc) = installed(dir.path());
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
    kill_when_started(
        &kc,
        &[
            "cilium".as_ref(),
            "upgrade".as_ref(),
            "--skip-preflight".as_ref(),
            "--chart".as_ref(),
            newer.as_os_str(),
        ],
        "the upgrade",
        || history(&kc).iter().any(|r| r.1 == "pending-upgrade"),
    );
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

/// Found by the lifecycle soak: a preflight killed (SIGKILL) before its own clean-up left the
/// pre-flight DaemonSet and its release behind for good. Now `cilium status` warns about it and
/// `cilium uninstall` removes it with Cilium.
#[test]
fn fault_killed_preflight_is_reported_and_removed_by_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, kc) = installed(dir.path());
    let newer = chart_as("1.17.19", dir.path());
    // Writes slowed so that the kill lands while the pre-flight check is being installed.
    sim.set_faults(&["latency:300ms:PATCH", "latency:300ms:POST"])
        .unwrap();
    kill_when_started(
        &kc,
        &[
            "cilium".as_ref(),
            "upgrade".as_ref(),
            "--preflight".as_ref(),
            "--chart".as_ref(),
            newer.as_os_str(),
        ],
        "the preflight",
        || !preflight_gone(&kc),
    );
    sim.set_faults(&[]).unwrap();
    assert!(
        !preflight_gone(&kc),
        "the killed preflight left its check behind"
    );
    let st = podnet_json(&kc, &["status"]);
    let ids: Vec<&str> = st["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"preflight-left-behind"), "{st}");
    let out = podnet(&kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("also removed release \"cilium-preflight\""),
        "{text}"
    );
    assert!(preflight_gone(&kc), "uninstall left the pre-flight check");
}

/// `cilium uninstall` SIGKILLed once it has marked the release `uninstalling`, with deletes
/// slowed so that the kill lands between the mark and the last delete.
fn killed_mid_uninstall(sim: &Kubesim, kc: &Path) {
    sim.set_faults(&["latency:400ms:DELETE"]).unwrap();
    kill_when_started(
        kc,
        &["cilium".as_ref(), "uninstall".as_ref(), "--yes".as_ref()],
        "the uninstall",
        || history(kc).iter().any(|r| r.1 == "uninstalling"),
    );
    sim.set_faults(&[]).unwrap();
}

/// Helm marks a release `uninstalling` before it deletes anything; podnet does too, so an
/// uninstall killed mid-way is seen by `cilium status` and by `helm history` (the real CLI), and
/// the next `cilium uninstall` finishes it.
#[test]
fn fault_killed_uninstall_is_reported_and_finished_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, kc) = installed(dir.path());
    killed_mid_uninstall(&sim, &kc);
    let h = history(&kc);
    assert_eq!(
        h.last().map(|r| r.1.as_str()),
        Some("uninstalling"),
        "{h:?}"
    );
    assert_eq!(
        h.last().unwrap().2,
        "Deletion in progress (or silently failed)"
    );
    let helm = testkit::helm::Helm::new(&kc).release("cilium", "kube-system");
    assert_eq!(helm.status().status, "uninstalling");
    let out = podnet(&kc).args(["cilium", "status"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("an uninstall was interrupted"), "{text}");
    // as Helm's upgrade, which finds no deployed revision, podnet's refuses and says what to do
    let out = podnet(&kc)
        .args(["cilium", "upgrade", "--skip-preflight", "--chart"])
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("in state uninstalling") && e.contains("uninstall` finishes it"),
        "{e}"
    );
    let out = podnet(&kc)
        .args(["cilium", "uninstall", "--yes"])
        .output()
        .unwrap();
    expect_code(&out, 0);
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
            .is_some_and(|i| i.is_empty()),
        "records left after the second uninstall"
    );
    assert!(
        kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"]).is_null(),
        "the agent DaemonSet is still there"
    );
}

/// Helm's rollback supersedes its current revision whatever its state; after an interrupted
/// uninstall, `cilium rollback` brings the release back and the `uninstalling` revision becomes
/// superseded, as with `helm rollback`.
#[test]
fn fault_killed_uninstall_then_rollback_restores_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, kc) = installed(dir.path());
    let out = podnet(&kc)
        .args([
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--set",
            "operator.replicas=1",
            "--chart",
        ])
        .arg(chart())
        .output()
        .unwrap();
    expect_code(&out, 0);
    killed_mid_uninstall(&sim, &kc);
    let out = podnet(&kc)
        .args(["cilium", "rollback", "1"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let h = history(&kc);
    assert_eq!(
        h.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [(1, "superseded"), (2, "superseded"), (3, "deployed")],
        "{h:?}"
    );
    assert!(
        !kubectl_json(&kc, &["get", "daemonset", "cilium", "-n", "kube-system"]).is_null(),
        "the agent DaemonSet is not back"
    );
}
