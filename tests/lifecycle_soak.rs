//! Backend: kubesim (faults on demand). The lifecycle fault soak: randomized sequences of
//! install, upgrade (also `--preflight` and `--recover`), rollback and uninstall, most steps hit
//! by one fault: 429 with Retry-After, 500, 409 conflicts, connections dropped before the request
//! landed or after it landed, answers slower than `--request-timeout`, or podnet itself killed
//! with SIGKILL mid-apply.
//!
//! After every step, with the faults cleared:
//! 1. podnet exited 0, 1 or 2 (or was killed by the soak), without a panic, within 120 s;
//! 2. `podnet cilium history` and `helm history` (the real Helm CLI) list exactly the revisions
//!    and states that the release Secrets hold, and at most one revision is deployed;
//! 3. a pending last revision: `cilium status` says so with the `--recover` hint and a plain
//!    `upgrade` is refused naming `--recover`; a failed one: `cilium status` names it;
//! 4. after an install, upgrade or rollback that succeeded, `cilium diff` finds no drift;
//! 5. what the release does not own is unchanged: aws-node, kube-proxy, a ConfigMap of the soak
//!    and one of another Helm release.
//!
//! At the end of each sequence: `upgrade --recover` (pending) or `upgrade` (failed) reaches
//! deployed, then `uninstall` removes every object and record of the release and leaves no
//! pre-flight check; 5. holds again.
//!
//! `bash tests/soak.sh [RUNS] [SEED] [JOBS]` runs the soak (200 sequences by default) and prints
//! runs, steps, faults by kind, violations and wall time. CI runs [`soak_smoke`] (3 sequences)
//! so the harness itself cannot rot.

mod lifecycle;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kubesim::Kubesim;
use lifecycle::{chart, chart_as, kubectl_json, preflight_gone};
use serde_json::Value;
use testkit::kubectl::Kubectl;

/// splitmix64: small, seedable, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// An index into `weights`, each chosen in proportion to its weight.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

#[derive(Debug, Clone)]
enum Op {
    Install,
    /// `--set operator.replicas=N`, with the newer chart or not, skipping the pre-flight or not.
    Upgrade {
        replicas: u8,
        newer: bool,
        skip_preflight: bool,
    },
    Preflight,
    /// `upgrade --recover`, with the newer chart or not.
    Recover {
        newer: bool,
    },
    Rollback(Option<i64>),
    Uninstall,
}

/// The faults, as kubesim spells them (see tests/kubesim/src/faults.rs).
#[derive(Debug, Clone)]
enum Fault {
    Kubesim {
        kind: &'static str,
        spec: String,
    },
    /// podnet killed this long after it started (its writes slowed so that it is mid-apply).
    Kill(Duration),
}

impl Fault {
    fn kind(&self) -> &'static str {
        match self {
            Fault::Kubesim { kind, .. } => kind,
            Fault::Kill(_) => "sigkill",
        }
    }
}

/// Requests of a lifecycle command, as (method, path prefix) for kubesim's fault rules.
const TARGETS: &[(&str, &str)] = &[
    ("POST", "/api/v1/namespaces/kube-system/secrets"),
    ("PUT", "/api/v1/namespaces/kube-system/secrets"),
    ("GET", "/api/v1/namespaces/kube-system/secrets"),
    ("PATCH", "/apis/apps/v1/namespaces/kube-system/daemonsets"),
    ("PATCH", "/apis/apps/v1/namespaces/kube-system/deployments"),
    ("PATCH", "/api/v1/namespaces/kube-system/"),
    ("PATCH", "/apis/rbac.authorization.k8s.io/"),
    ("DELETE", "/"),
    ("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets"),
    ("*", "/"),
];

fn random_fault(rng: &mut Rng) -> Fault {
    let (method, path) = *rng.pick(TARGETS);
    let rate = if rng.chance(0.8) {
        format!("{}x", 1 + rng.below(3))
    } else {
        "0.3".to_string()
    };
    let seed = format!("seed:{}", 1 + rng.below(1000));
    let (kind, spec) = match rng.weighted(&[15, 15, 10, 10, 15, 10, 5, 20]) {
        0 => ("throttle", format!("throttle:{rate}:1:{method}:{path}")),
        1 => ("error-500", format!("error:500:{rate}:{method}:{path}")),
        2 => ("conflict-409", format!("conflict:{rate}:{path}")),
        3 => ("drop-before", format!("drop:{rate}:{method}:{path}")),
        4 => ("lost-after", format!("lost:{rate}:{method}:{path}")),
        5 => ("late-answer", format!("late:3s:{rate}:{method}:{path}")),
        6 => ("slow-past-timeout", format!("latency:3s:{method}:{path}")),
        _ => return Fault::Kill(Duration::from_millis(150 + rng.below(2500))),
    };
    Fault::Kubesim {
        kind,
        spec: format!("{spec}\n{seed}"),
    }
}

/// One podnet run as the soak saw it.
struct Run {
    code: Option<i32>,
    killed: bool,
    secs: f64,
    stdout: String,
    stderr: String,
}

/// Every podnet run of the soak: plain output, short per-request timeout (so a slow answer is
/// given up in seconds, not a minute).
fn podnet(kc: &Path, args: &[String], kill_after: Option<Duration>) -> Run {
    let mut child = testkit::podnet::std_cmd()
        .arg("--kubeconfig")
        .arg(kc)
        .args(["--request-timeout", "2s"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kubectl-podnet");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let t0 = Instant::now();
    let mut killed = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        let past_kill = kill_after.is_some_and(|k| t0.elapsed() >= k);
        if past_kill || t0.elapsed() > Duration::from_secs(120) {
            killed = past_kill;
            let _ = child.kill(); // SIGKILL
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        killed,
        secs: t0.elapsed().as_secs_f64(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// (revision, status) of every release record, read from the Secrets themselves.
fn truth(kc: &Path) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = Kubectl::new(kc)
        .release_secrets("cilium", "kube-system")
        .iter()
        .map(|s| {
            let name = s["metadata"]["name"].as_str().unwrap_or("").to_string();
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s["data"]["release"].as_str().unwrap_or(""))
                .unwrap_or_default();
            let r = podnet::release::Release::decode(&bytes, &name)
                .unwrap_or_else(|e| panic!("release record {name} unreadable: {e}"));
            (r.version(), r.status().to_string())
        })
        .collect();
    v.sort();
    v
}

fn revisions(list: &Value) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = list
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["revision"].as_i64().unwrap_or(-1),
                        r["status"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What the release does not own, as it must stay: (what, resourceVersion, uid).
fn bystanders(kc: &Path) -> Vec<(String, Value, Value)> {
    let list = kubectl_json(
        kc,
        &[
            "get",
            "daemonset/aws-node",
            "daemonset/kube-proxy",
            "configmap/soak-bystander",
            "configmap/other-release-config",
            "-n",
            "kube-system",
            "--ignore-not-found",
        ],
    );
    let mut v: Vec<(String, Value, Value)> = list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|o| {
                    (
                        format!(
                            "{}/{}",
                            o["kind"].as_str().unwrap_or(""),
                            o["metadata"]["name"].as_str().unwrap_or("")
                        ),
                        o["metadata"]["resourceVersion"].clone(),
                        o["metadata"]["uid"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The soak's own ConfigMap and one of another Helm release, beside the release.
fn add_bystanders(kc: &Path) {
    let k = Kubectl::new(kc);
    k.ok(&[
        "create",
        "configmap",
        "soak-bystander",
        "-n",
        "kube-system",
        "--from-literal=a=1",
    ]);
    k.ok_stdin(
        &["apply", "-f", "-"],
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other-release-config","namespace":"kube-system",
            "labels":{"app.kubernetes.io/managed-by":"Helm"},
            "annotations":{"meta.helm.sh/release-name":"other","meta.helm.sh/release-namespace":"kube-system"}},
            "data":{"b":"2"}}"#,
    );
}

/// Objects the last revision's manifest names, as `kubectl get` arguments (kind, name, namespace).
fn manifest_objects(kc: &Path, rev: i64) -> Vec<(String, String, String)> {
    let rec = lifecycle::record(kc, "cilium", rev);
    let text = rec["manifest"].as_str().unwrap_or("").to_string();
    text.split("\n---")
        .filter_map(|doc| {
            let v: Value = serde_saphyr::from_str(doc).ok()?;
            Some((
                v["kind"].as_str()?.to_string(),
                v["metadata"]["name"].as_str()?.to_string(),
                v["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("kube-system")
                    .to_string(),
            ))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    runs: u64,
    steps: u64,
    podnet_runs: u64,
    faults: BTreeMap<&'static str, u64>,
    outcomes: BTreeMap<String, u64>,
    violations: Vec<String>,
}

struct Sequence<'a> {
    seed: u64,
    kc: PathBuf,
    values: PathBuf,
    newer: PathBuf,
    sim: &'a Kubesim,
    before: Vec<(String, Value, Value)>,
    log: Vec<String>,
    violations: Vec<String>,
    podnet_runs: u64,
}

impl Sequence<'_> {
    fn run(&mut self, args: &[String], kill_after: Option<Duration>) -> Run {
        self.podnet_runs += 1;
        podnet(&self.kc, args, kill_after)
    }

    fn violation(&mut self, what: String) {
        self.violations.push(format!(
            "seed {}: {what}\n    steps: {}",
            self.seed,
            self.log.join(" → ")
        ));
    }

    fn args(&self, op: &Op) -> Vec<String> {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let chart_of = |newer: bool| {
            if newer {
                self.newer.display().to_string()
            } else {
                chart().display().to_string()
            }
        };
        match op {
            Op::Install => {
                let mut a = s(&["cilium", "install", "--timeout", "20s", "--chart"]);
                a.push(chart_of(false));
                a.push("-f".into());
                a.push(self.values.display().to_string());
                a
            }
            Op::Upgrade {
                replicas,
                newer,
                skip_preflight,
            } => {
                let mut a = s(&["cilium", "upgrade", "--timeout", "20s", "--chart"]);
                a.push(chart_of(*newer));
                a.push("--set".into());
                a.push(format!("operator.replicas={replicas}"));
                if *skip_preflight {
                    a.push("--skip-preflight".into());
                }
                a
            }
            Op::Preflight => {
                let mut a = s(&[
                    "cilium",
                    "upgrade",
                    "--preflight",
                    "--timeout",
                    "20s",
                    "--chart",
                ]);
                a.push(chart_of(true));
                a
            }
            Op::Recover { newer } => {
                let mut a = s(&[
                    "cilium",
                    "upgrade",
                    "--recover",
                    "--skip-preflight",
                    "--timeout",
                    "20s",
                    "--chart",
                ]);
                a.push(chart_of(*newer));
                a
            }
            Op::Rollback(rev) => {
                let mut a = s(&["cilium", "rollback", "--timeout", "20s"]);
                if let Some(r) = rev {
                    a.push(r.to_string());
                }
                a
            }
            Op::Uninstall => s(&["cilium", "uninstall", "--yes", "--timeout", "20s"]),
        }
    }

    /// The invariants that hold after any step (1 is checked by the caller). Returns the
    /// release records it read, for the caller's own checks.
    fn check(&mut self, after: &str) -> Vec<(i64, String)> {
        let truth = truth(&self.kc);
        let deployed = truth.iter().filter(|r| r.1 == "deployed").count();
        if deployed > 1 {
            self.violation(format!("{after}: {deployed} deployed revisions: {truth:?}"));
        }
        // podnet's history
        let h = self.run(
            &[
                "cilium".into(),
                "history".into(),
                "-o".into(),
                "json".into(),
            ],
            None,
        );
        if truth.is_empty() {
            if h.code != Some(2) || !h.stderr.contains("not found") {
                self.violation(format!(
                    "{after}: no release, but history exited {:?}: {}",
                    h.code, h.stderr
                ));
            }
        } else {
            let seen = serde_json::from_str::<Value>(&h.stdout)
                .map(|v| revisions(&v))
                .unwrap_or_default();
            if h.code != Some(0) || seen != truth {
                self.violation(format!(
                    "{after}: podnet history {seen:?} (exit {:?}) vs records {truth:?}: {}",
                    h.code, h.stderr
                ));
            }
        }
        // Helm's history
        if !truth.is_empty() {
            let out = std::process::Command::new(testkit::helm::cli_bin())
                .args(["history", "cilium", "-n", "kube-system", "-o", "json"])
                .arg("--kubeconfig")
                .arg(&self.kc)
                .output()
                .expect("run helm");
            let seen = serde_json::from_slice::<Value>(&out.stdout)
                .map(|v| revisions(&v))
                .unwrap_or_default();
            if !out.status.success() || seen != truth {
                self.violation(format!(
                    "{after}: helm history {seen:?} vs records {truth:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        // A release not deployed says so, and what to do.
        if let Some((rev, state)) = truth.last().cloned()
            && state != "deployed"
        {
            let st = self.run(
                &[
                    "--width".into(),
                    "300".into(),
                    "cilium".into(),
                    "status".into(),
                ],
                None,
            );
            let flat = testkit::podnet::flat(st.stdout.as_bytes());
            let wanted: &[&str] = if state.starts_with("pending") {
                &["--recover"]
            } else if state == "uninstalling" {
                &["uninstall"]
            } else {
                &["upgrade"]
            };
            if st.code != Some(1)
                || !flat.contains(&format!("revision {rev} is {state}"))
                || !wanted.iter().all(|w| flat.contains(w))
            {
                self.violation(format!(
                    "{after}: revision {rev} is {state}, but status (exit {:?}) says: {flat}",
                    st.code
                ));
            }
            if state.starts_with("pending") || state == "uninstalling" {
                let up = self.run(
                    &self.args(&Op::Upgrade {
                        replicas: 1,
                        newer: false,
                        skip_preflight: true,
                    }),
                    None,
                );
                let fix = if state == "uninstalling" {
                    "uninstall"
                } else {
                    "--recover"
                };
                if up.code != Some(2) || !testkit::podnet::flat(up.stderr.as_bytes()).contains(fix)
                {
                    self.violation(format!(
                        "{after}: {state} revision {rev}, but a plain upgrade exited {:?}: {}",
                        up.code, up.stderr
                    ));
                }
            }
        }
        let now = bystanders(&self.kc);
        if now != self.before {
            self.violation(format!(
                "{after}: objects the release does not own changed: {:?} → {now:?}",
                self.before
            ));
        }
        truth
    }

    /// The release's live objects equal its deployed revision.
    fn check_no_drift(&mut self, after: &str) {
        let d = self.run(&["cilium".into(), "diff".into()], None);
        if d.code != Some(0) {
            self.violation(format!(
                "{after}: succeeded, but diff exited {:?}: {}{}",
                d.code, d.stdout, d.stderr
            ));
        }
    }
}

fn sequence(seed: u64, steps_max: u64, tally: &Mutex<Tally>) {
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = testkit::cluster::eks_kubesim();
    let kc = sim.kubeconfig().to_path_buf();
    add_bystanders(&kc);
    let mut seq = Sequence {
        seed,
        values: testkit::podnet::hybrid_values_file(dir.path()),
        newer: chart_as("1.17.19", dir.path()),
        kc,
        sim: &sim,
        before: Vec::new(),
        log: Vec::new(),
        violations: Vec::new(),
        podnet_runs: 0,
    };
    seq.before = bystanders(&seq.kc);
    let mut faults: Vec<&'static str> = Vec::new();
    let mut outcomes: Vec<String> = Vec::new();
    let steps = 2 + rng.below(steps_max.saturating_sub(1).max(1));
    for _ in 0..steps {
        let t = truth(&seq.kc);
        let op = match (t.last().map(|r| r.1.as_str()), rng.below(100)) {
            (None, 0..=84) => Op::Install,
            (None, 85..=89) => Op::Uninstall,
            (None, 90..=94) => Op::Rollback(None),
            (None, _) => Op::Upgrade {
                replicas: 1,
                newer: false,
                skip_preflight: true,
            },
            (Some(s), 0..=39) if s.starts_with("pending") => Op::Recover {
                newer: rng.chance(0.2),
            },
            (Some(s), 40..=69) if s.starts_with("pending") => Op::Rollback(None),
            (Some(_), r) => match r % 100 {
                0..=34 => Op::Upgrade {
                    replicas: 1 + rng.below(2) as u8,
                    newer: rng.chance(0.2),
                    skip_preflight: rng.chance(0.7),
                },
                35..=44 => Op::Preflight,
                45..=64 => {
                    let revs: Vec<i64> = t.iter().map(|r| r.0).collect();
                    Op::Rollback(rng.chance(0.6).then(|| *rng.pick(&revs)))
                }
                65..=79 => Op::Uninstall,
                80..=84 => Op::Install,
                _ => Op::Recover {
                    newer: rng.chance(0.2),
                },
            },
        };
        let fault = rng.chance(0.75).then(|| random_fault(&mut rng));
        let label = format!(
            "{op:?}{}",
            fault
                .as_ref()
                .map(|f| match f {
                    Fault::Kubesim { spec, .. } => format!(" [{}]", spec.replace('\n', " ")),
                    Fault::Kill(d) => format!(" [SIGKILL after {} ms]", d.as_millis()),
                })
                .unwrap_or_default()
        );
        seq.log.push(label.clone());
        let mut kill_after = None;
        match &fault {
            Some(Fault::Kubesim { spec, .. }) => {
                let specs: Vec<&str> = spec.lines().collect();
                seq.sim.set_faults(&specs).expect("set faults");
            }
            Some(Fault::Kill(d)) => {
                // Writes slowed, so that the kill lands mid-apply.
                seq.sim
                    .set_faults(&[
                        "latency:120ms:PATCH",
                        "latency:120ms:POST",
                        "latency:120ms:PUT",
                        "latency:120ms:DELETE",
                    ])
                    .expect("set faults");
                kill_after = Some(*d);
            }
            None => {}
        }
        if let Some(f) = &fault {
            faults.push(f.kind());
        }
        let args = seq.args(&op);
        let r = seq.run(&args, kill_after);
        seq.sim.set_faults(&[]).expect("clear faults");
        let outcome = match (r.killed, r.code) {
            (true, _) => "killed".to_string(),
            (false, Some(c)) => format!("exit {c}"),
            (false, None) => "hung (killed at 120 s)".to_string(),
        };
        outcomes.push(outcome.clone());
        seq.log
            .last_mut()
            .expect("a step")
            .push_str(&format!(" = {outcome} ({:.1} s)", r.secs));
        if !r.killed && (!matches!(r.code, Some(0..=2)) || r.stderr.contains("panicked")) {
            seq.violation(format!(
                "{label}: {outcome} after {:.1} s: {}",
                r.secs, r.stderr
            ));
        }
        let records = seq.check(&label);
        let succeeded = !r.killed && r.code == Some(0);
        if succeeded
            && matches!(
                op,
                Op::Install | Op::Upgrade { .. } | Op::Recover { .. } | Op::Rollback(_)
            )
            && records.last().is_some_and(|l| l.1 == "deployed")
        {
            seq.check_no_drift(&label);
        }
    }

    // Recovery, then uninstall: nothing of the release is left, nothing else touched.
    let t = truth(&seq.kc);
    if let Some((_, state)) = t.last() {
        // A downgrade guard may refuse the base chart after the newer one: then the newer one.
        let ops: Option<[Op; 2]> = if state.starts_with("pending") {
            Some([Op::Recover { newer: false }, Op::Recover { newer: true }])
        } else if state == "failed" {
            let up = |newer| Op::Upgrade {
                replicas: 1,
                newer,
                skip_preflight: true,
            };
            Some([up(false), up(true)])
        } else {
            None
        };
        if let Some(ops) = ops {
            let mut said = Vec::new();
            let mut reached = false;
            for op in &ops {
                seq.log.push(format!("recovery {op:?}"));
                let r = seq.run(&seq.args(op), None);
                said.push(r.stderr);
                if r.code == Some(0) && truth(&seq.kc).last().is_some_and(|l| l.1 == "deployed") {
                    reached = true;
                    break;
                }
            }
            if !reached {
                seq.violation(format!(
                    "recovery from {state} did not reach deployed ({:?}): {}",
                    truth(&seq.kc).last(),
                    said.join("\n")
                ));
            }
        }
        let last_rev = truth(&seq.kc).last().map(|l| l.0).unwrap_or(0);
        let objects = manifest_objects(&seq.kc, last_rev);
        seq.log.push("uninstall".into());
        let r = seq.run(&seq.args(&Op::Uninstall), None);
        if r.code != Some(0) {
            seq.violation(format!("final uninstall exited {:?}: {}", r.code, r.stderr));
        }
        if !truth(&seq.kc).is_empty() {
            seq.violation("release records left after uninstall".into());
        }
        for (kind, name, ns) in objects {
            if !kubectl_json(&seq.kc, &["get", &kind, &name, "-n", &ns]).is_null() {
                seq.violation(format!("{kind}/{name} left after uninstall"));
            }
        }
    }
    if !preflight_gone(&seq.kc) {
        seq.violation("a pre-flight check was left behind".into());
    }
    let now = bystanders(&seq.kc);
    if now != seq.before {
        seq.violation(format!(
            "at the end: objects the release does not own changed: {:?} → {now:?}",
            seq.before
        ));
    }

    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
    t.runs += 1;
    t.steps += steps;
    t.podnet_runs += seq.podnet_runs;
    for f in faults {
        *t.faults.entry(f).or_default() += 1;
    }
    for o in outcomes {
        *t.outcomes.entry(o).or_default() += 1;
    }
    if std::env::var_os("SOAK_VERBOSE").is_some() || !seq.violations.is_empty() {
        eprintln!("seed {seed}: {}", seq.log.join(" → "));
    }
    // said at once, so that a soak stopped early still tells what it found
    for v in &seq.violations {
        eprintln!("VIOLATION {v}");
    }
    t.violations.append(&mut seq.violations);
}

/// Runs `runs` sequences (seeds `seed..seed+runs`) on `jobs` threads; prints the tally and fails
/// on any violation.
fn soak(runs: u64, seed: u64, jobs: u64, steps_max: u64) {
    let t0 = Instant::now();
    let tally = Mutex::new(Tally::default());
    let next = Mutex::new(seed);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let my = {
                        let mut n = next.lock().unwrap_or_else(|p| p.into_inner());
                        if *n >= seed + runs {
                            return;
                        }
                        *n += 1;
                        *n - 1
                    };
                    sequence(my, steps_max, &tally);
                }
            });
        }
    });
    let t = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    let injected: u64 = t.faults.values().sum();
    eprintln!(
        "soak: {} sequences (seeds {seed}..{}), {} steps, {} podnet runs, {injected} faults injected, {} violations, {:.0} s wall",
        t.runs,
        seed + runs,
        t.steps,
        t.podnet_runs,
        t.violations.len(),
        t.secs(t0)
    );
    eprintln!("faults: {:?}", t.faults);
    eprintln!("outcomes: {:?}", t.outcomes);
    assert!(t.violations.is_empty(), "{} violations", t.violations.len());
    assert_eq!(t.runs, runs, "every sequence ran to its end");
}

impl Tally {
    fn secs(&self, t0: Instant) -> f64 {
        t0.elapsed().as_secs_f64()
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A few sequences in CI: the harness and its invariants stay sound between soaks.
#[test]
fn soak_smoke() {
    soak(3, env_u64("SOAK_SEED", 1), 1, 4);
}

/// The soak itself: `bash tests/soak.sh` (SOAK_RUNS, SOAK_SEED, SOAK_JOBS, SOAK_STEPS).
#[test]
#[ignore = "long: run by tests/soak.sh"]
fn soak_lifecycle() {
    soak(
        env_u64("SOAK_RUNS", 200),
        env_u64("SOAK_SEED", 1000),
        env_u64("SOAK_JOBS", 2),
        env_u64("SOAK_STEPS", 6),
    );
}
