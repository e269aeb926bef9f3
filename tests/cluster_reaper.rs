//! `tests/cluster.sh`'s owners: a real cluster belongs to a process (the test process that
//! started it), and does not outlive it even when that process is killed outright (SIGKILL: no
//! `Drop`, no clean-up): its watchdog brings it down, and `reap` (which every `up` runs first)
//! stops what a killed watchdog left.
//!
//! Backend: the REAL control plane (`up --bare`: etcd + kube-apiserver).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One test at a time: every `up` reaps clusters whose owner has gone, so another test's `up`
/// would race this file's watchdog and reap checks (a reap and a watchdog bringing one cluster
/// down together can leave its etcd data behind: noted, not yet fixed).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn script() -> PathBuf {
    testkit::repo_root().join("tests/cluster.sh")
}

fn cluster_sh(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(script())
        .args(args)
        .output()
        .expect("run tests/cluster.sh")
}

/// The processes whose command line names `dir` (the cluster's components and watchdog).
fn serving(dir: &Path) -> Vec<String> {
    let needle = format!("{}/", dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
        // A zombie has an empty command line: it is gone, only not yet reaped by its parent.
        if cmd.contains(&needle) {
            found.push(format!("{}: {cmd}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// Waits up to `secs` for no process to serve `dir`; the ones left otherwise.
fn gone_within(dir: &Path, secs: u64) -> Result<(), Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = serving(dir);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(left);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn ready(dir: &Path) -> bool {
    testkit::kubectl::Kubectl::new(&dir.join("kubeconfig"))
        .run(&["get", "--raw", "/readyz", "--request-timeout=5s"])
        .status
        .success()
}

/// Brings the cluster down and kills the owner if a test failed half-way.
struct Guard {
    dir: PathBuf,
    owner: Option<Child>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(o) = &mut self.owner {
            let _ = o.kill();
            let _ = o.wait();
        }
        let _ = cluster_sh(&["down", &self.dir.display().to_string()]);
    }
}

#[test]
fn a_cluster_goes_down_when_its_owner_is_killed() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cluster");
    // The owner starts the cluster as a test process does (`up` records its caller), then runs on.
    let mut owner = Command::new("bash")
        .arg("-c")
        .arg(r#"bash "$0" up "$1" --bare 2>"$1.log" && echo up && exec sleep 600"#)
        .arg(script())
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = owner.stdout.take().unwrap();
    let pid = owner.id();
    let mut guard = Guard {
        dir: dir.clone(),
        owner: Some(owner),
    };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let log = std::fs::read_to_string(tmp.path().join("cluster.log")).unwrap_or_default();
    assert_eq!(line.trim(), "up", "{log}");
    assert!(log.contains(&format!("owned by process {pid}")), "{log}");
    assert!(ready(&dir));
    assert!(
        serving(&dir).iter().any(|p| p.contains("kube-apiserver")),
        "{:?}",
        serving(&dir)
    );

    let mut owner = guard.owner.take().unwrap();
    owner.kill().unwrap(); // SIGKILL
    owner.wait().unwrap();
    let down = gone_within(&dir, 30);
    let watchdog = std::fs::read_to_string(dir.join("logs/watchdog.log")).unwrap_or_default();
    assert_eq!(
        down,
        Ok(()),
        "still running 30 s after the owner died; {watchdog}"
    );
    assert!(
        watchdog.contains("has gone") && watchdog.contains("cluster down"),
        "{watchdog}"
    );
    assert!(
        !dir.join("etcd").exists(),
        "etcd's data is left behind: {:?}; {watchdog}",
        testkit::files_under(&dir.join("etcd"))
    );
}

#[test]
fn reap_stops_a_cluster_whose_owner_and_watchdog_were_killed() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cluster");
    let d = dir.display().to_string();
    let owner = Command::new("sleep").arg("600").spawn().unwrap();
    let pid = owner.id().to_string();
    let mut guard = Guard {
        dir: dir.clone(),
        owner: Some(owner),
    };
    let out = cluster_sh(&["up", &d, "--bare", "--owner", &pid]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ready(&dir));

    // The owner runs: reap leaves the cluster alone.
    let out = cluster_sh(&["reap"]);
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(&d),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ready(&dir), "reap stopped a cluster whose owner runs");

    // Both the watchdog and the owner killed outright: nothing brings the cluster down by itself…
    let watchdog = std::fs::read_to_string(dir.join("run/watchdog.pid")).unwrap();
    let status = Command::new("kill")
        .args(["-KILL", watchdog.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut owner = guard.owner.take().unwrap();
    owner.kill().unwrap();
    owner.wait().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(ready(&dir), "the cluster went down without its watchdog");

    // …until reap (as every `up` runs it first).
    let out = cluster_sh(&["reap"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("reaping the cluster in {d}")) && err.contains(&pid),
        "{err}"
    );
    assert_eq!(gone_within(&dir, 5), Ok(()));
    assert!(!dir.join("etcd").exists(), "etcd's data is left behind");
}

#[test]
fn owner_must_be_a_running_process() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cluster");
    let out = cluster_sh(&[
        "up",
        &dir.display().to_string(),
        "--bare",
        "--owner",
        "999999999",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--owner 999999999: no such process"), "{err}");
    assert!(serving(&dir).is_empty());
    let out = cluster_sh(&["up", &dir.display().to_string(), "--owner", "me"]);
    assert_eq!(out.status.code(), Some(2));
}
