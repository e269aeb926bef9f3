//! Fleet runs (`audit --contexts/--all-contexts`): twelve kubesim clusters in one kubeconfig — one
//! clean, nine with one audit problem each, one whose API server is gone and one that answers 403
//! to everything — audited in one run. Every cluster's findings, the summary and the exit code are
//! checked in every output format, and each cluster's report is the one a single run prints.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};
use testkit::cluster::{Kubesim, fleet_kubeconfig, kubesim_with_objects};
use testkit::fixtures::{aws_node, eniconfig, node, pod, tutorial_objects, tutorial_subnets};
use testkit::podnet as cli;

/// A cluster of the fleet: its context name and the checks that fail on it.
struct Scenario {
    context: &'static str,
    objects: Option<Vec<Value>>,
    fails: &'static [&'static str],
}

fn with(f: impl FnOnce(&mut Vec<Value>)) -> Option<Vec<Value>> {
    let mut o = tutorial_objects();
    f(&mut o);
    Some(o)
}

fn replace(kind: &str, name: &str, new: Option<Value>) -> Option<Vec<Value>> {
    with(|o| {
        let i = o
            .iter()
            .position(|x| x["kind"] == kind && x["metadata"]["name"] == name)
            .unwrap();
        match new {
            Some(v) => o[i] = v,
            None => {
                o.remove(i);
            }
        }
    })
}

fn scenarios() -> Vec<Scenario> {
    let image = |tag: &str| {
        with(|o| {
            let i = o.iter().position(|x| x["kind"] == "DaemonSet").unwrap();
            o[i]["spec"]["template"]["spec"]["containers"][0]["image"] =
                json!(format!("x/amazon-k8s-cni:{tag}"));
        })
    };
    let s = |context, objects, fails| Scenario {
        context,
        objects,
        fails,
    };
    vec![
        s("clean", Some(tutorial_objects()), &[]),
        s(
            "networking-off",
            replace(
                "DaemonSet",
                "aws-node",
                Some(aws_node(&[("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "false")])),
            ),
            &["custom-networking-disabled"],
        ),
        s(
            "old-cni",
            image("v1.6.3-eksbuild.1"),
            &["cni-version-too-old"],
        ),
        s(
            "no-eniconfig-b",
            replace("ENIConfig", "us-west-2b", None),
            &["eniconfig-missing-for-node"],
        ),
        s(
            "subnet-gone",
            replace(
                "ENIConfig",
                "us-west-2b",
                Some(eniconfig("us-west-2b", "subnet-gone", &["sg-1"])),
            ),
            &["eniconfig-subnet-not-found"],
        ),
        s(
            "no-security-groups",
            replace(
                "ENIConfig",
                "us-west-2b",
                Some(eniconfig("us-west-2b", "subnet-pod-b", &[])),
            ),
            &["eniconfig-no-security-groups"],
        ),
        s(
            "stray-pod",
            with(|o| o.push(pod("apps", "stray", "ip-192-168-0-10", "100.65.3.3"))),
            &["pod-ip-outside-eniconfig-subnet"],
        ),
        s(
            "old-node",
            with(|o| o.push(pod("apps", "old", "ip-192-168-0-10", "192.168.0.77"))),
            &["node-needs-replacement"],
        ),
        s(
            "max-pods",
            replace(
                "Node",
                "ip-192-168-0-10",
                Some(node(
                    "ip-192-168-0-10",
                    "us-west-2a",
                    "192.168.0.10",
                    "m5.large",
                    "linux",
                    21,
                )),
            ),
            &["max-pods-exceeds-capacity"],
        ),
        s(
            "unused-eniconfig",
            with(|o| o.push(eniconfig("us-west-2c", "subnet-pod-a", &["sg-1"]))),
            &["eniconfig-unused"],
        ),
        s("gone", None, &[]),
        s("forbidden", Some(tutorial_objects()), &[]),
    ]
}

/// The twelve clusters, their kubeconfig and the subnets file.
struct Fleet {
    _sims: Vec<Kubesim>,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    subnets: PathBuf,
    scenarios: Vec<Scenario>,
}

fn fleet() -> Fleet {
    let scenarios = scenarios();
    let mut sims = Vec::new();
    let mut entries = Vec::new();
    for s in &scenarios {
        let url = match &s.objects {
            Some(objects) => {
                let sim = kubesim_with_objects(objects);
                if s.context == "forbidden" {
                    sim.set_faults(&["error:403:1"]).unwrap();
                }
                let url = sim.url().to_string();
                sims.push(sim);
                url
            }
            None => testkit::ports::dead_url(),
        };
        entries.push((s.context, url));
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("fleet.kubeconfig");
    let refs: Vec<(&str, &str)> = entries.iter().map(|(c, u)| (*c, u.as_str())).collect();
    std::fs::write(&kubeconfig, fleet_kubeconfig(&refs)).unwrap();
    let subnets = dir.path().join("subnets.json");
    std::fs::write(&subnets, json!({"Subnets": tutorial_subnets()}).to_string()).unwrap();
    Fleet {
        _sims: sims,
        _dir: dir,
        kubeconfig,
        subnets,
        scenarios,
    }
}

impl Fleet {
    fn audit(&self, args: &[&str]) -> std::process::Output {
        cli::on(&self.kubeconfig)
            .arg("audit")
            .arg("--subnets")
            .arg(&self.subnets)
            .args(args)
            .output()
            .unwrap()
    }

    fn checked(&self) -> impl Iterator<Item = &Scenario> {
        self.scenarios
            .iter()
            .filter(|s| !matches!(s.context, "gone" | "forbidden"))
    }
}

fn failed_checks(report: &Value) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[test]
fn twelve_clusters_in_every_format() {
    let f = fleet();
    let all = "--all-contexts";

    // JSON: one document, a cluster per context in kubeconfig order.
    let out = f.audit(&[all, "-o", "json"]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 of 12 cluster(s) could not be checked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schemaVersion"], 1);
    assert_eq!(v["command"], "audit");
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 12);
    for (c, s) in clusters.iter().zip(&f.scenarios) {
        assert_eq!(c["context"], s.context);
        assert_eq!(
            c["cluster"],
            format!("arn:aws:eks:us-west-2:111122223333:cluster/{}", s.context)
        );
        match s.context {
            "gone" => {
                assert_eq!(c["errorKind"], "unreachable", "{c}");
                assert!(c["report"].is_null());
                assert!(c["error"].as_str().unwrap().contains("127.0.0.1"), "{c}");
            }
            "forbidden" => {
                assert_eq!(c["errorKind"], "forbidden", "{c}");
                assert!(c["report"].is_null());
                assert!(c["error"].as_str().unwrap().contains("403"), "{c}");
            }
            _ => {
                assert!(c["error"].is_null(), "{c}");
                assert_eq!(c["report"]["schemaVersion"], 1);
                assert_eq!(failed_checks(&c["report"]), set(s.fails), "{}", s.context);
                assert_eq!(c["report"]["cluster"]["awsFacts"], "file");
            }
        }
    }
    assert_eq!(
        v["summary"],
        json!({"clusters": 12, "ok": 1, "withFindings": 9, "notChecked": 2,
            "notCheckedBy": {"unreachable": 1, "timeout": 0, "forbidden": 1, "error": 0}})
    );

    // Each cluster's report is exactly what a single run prints for its context.
    for s in f.checked() {
        let one = f.audit(&["--context", s.context, "-o", "json"]);
        let single: Value = serde_json::from_slice(&one.stdout).unwrap();
        let c = clusters.iter().find(|c| c["context"] == s.context).unwrap();
        assert_eq!(c["report"], single, "{}", s.context);
        let errors = single["summary"]["errors"].as_u64().unwrap();
        assert_eq!(code(&one), i32::from(errors > 0), "{}", s.context);
    }

    // Text: a section per cluster with its failed checks, then the fleet summary.
    let out = f.audit(&[all, "--width", "200"]);
    assert_eq!(code(&out), 2);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut sections: Vec<(&str, &str)> = Vec::new();
    let mut rest = text.as_str();
    for s in &f.scenarios {
        let head = format!("== {} ==\n", s.context);
        let at = rest
            .find(&head)
            .unwrap_or_else(|| panic!("{head} in {text}"));
        if let Some(last) = sections.last_mut() {
            last.1 = &rest[..at];
        }
        rest = &rest[at + head.len()..];
        sections.push((s.context, rest));
    }
    let (summary_at, _) = rest.match_indices("\nFleet: ").last().unwrap();
    sections.last_mut().unwrap().1 = &rest[..summary_at];
    for ((ctx, body), s) in sections.iter().zip(&f.scenarios) {
        match *ctx {
            "gone" => assert!(body.starts_with("NOT CHECKED (unreachable): "), "{body}"),
            "forbidden" => {
                assert!(body.starts_with("NOT CHECKED (forbidden): "), "{body}");
                assert!(body.contains("403"), "{body}");
            }
            _ => {
                assert!(body.starts_with("Audit: 21 checks: "), "{ctx}: {body}");
                assert!(
                    body.contains(&format!(" passed, {} failed (", s.fails.len())),
                    "{ctx}: {body}"
                );
                // The failed checks are listed before the skipped ones.
                let failed = body.split("\nSKIPPED (").next().unwrap();
                for id in podnet::audit::checks::CHECKS.iter().map(|c| c.0) {
                    assert_eq!(
                        failed.contains(&format!(" {id} ")),
                        s.fails.contains(&id),
                        "{ctx}: {id} in {body}"
                    );
                }
            }
        }
    }
    assert!(
        text.ends_with(
            "\nFleet: 12 cluster(s): 1 ok, 9 with findings, 2 not checked (1 unreachable, 1 forbidden).\n"
        ),
        "{text}"
    );

    // SARIF: one run per cluster, tagged with its context.
    let out = f.audit(&[all, "-o", "sarif"]);
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 12);
    for (r, s) in runs.iter().zip(&f.scenarios) {
        assert_eq!(r["properties"]["context"], s.context);
        assert_eq!(
            r["automationDetails"]["id"],
            format!("podnet/audit/{}/", s.context)
        );
        let rules: BTreeSet<String> = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["ruleId"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rules, set(s.fails), "{}", s.context);
        let failed_run = r["invocations"][0]["executionSuccessful"] == false;
        assert_eq!(failed_run, matches!(s.context, "gone" | "forbidden"), "{r}");
    }
    assert_eq!(
        runs[11]["invocations"][0]["toolExecutionNotifications"][0]["descriptor"]["id"],
        "cluster-forbidden"
    );

    // JUnit: one testsuite per cluster, named after its context.
    let out = f.audit(&[all, "-o", "junit"]);
    assert_eq!(code(&out), 2);
    let x = String::from_utf8(out.stdout).unwrap();
    let skipped = |ctx: &str| {
        clusters.iter().find(|c| c["context"] == ctx).unwrap()["report"]["summary"]["skipped"]
            .as_u64()
            .unwrap_or(0)
    };
    let all_skipped: u64 = f.scenarios.iter().map(|s| skipped(s.context)).sum();
    assert!(all_skipped > 0);
    assert!(
        x.contains(&format!("<testsuites name=\"kubectl-podnet audit\" tests=\"212\" failures=\"9\" errors=\"2\" skipped=\"{all_skipped}\">")),
        "{x}"
    );
    for s in &f.scenarios {
        let head = match s.context {
            "gone" | "forbidden" => format!(
                "<testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">",
                s.context
            ),
            _ => format!(
                "<testsuite name=\"{}\" tests=\"21\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
                s.context,
                s.fails.len(),
                skipped(s.context)
            ),
        };
        assert!(x.contains(&head), "{head} in {x}");
    }
    assert!(x.contains("<error type=\"unreachable\" message=\""), "{x}");
    assert_eq!(x.matches("<testsuite ").count(), 12);
}

#[test]
fn exit_codes_follow_the_worst_cluster() {
    let f = fleet();
    let reachable: Vec<&str> = f.checked().map(|s| s.context).collect();
    let list = reachable.join(",");
    // Every cluster answered: findings at --fail-on error → 1.
    let out = f.audit(&["--contexts", &list, "-o", "json"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["notChecked"], 0);
    assert_eq!(v["clusters"].as_array().unwrap().len(), 10);
    // The same with --fail-on none → 0; the clean cluster alone → 0.
    let out = f.audit(&["--contexts", &list, "--fail-on", "none"]);
    assert_eq!(code(&out), 0);
    let out = f.audit(&["--contexts", "clean"]);
    assert_eq!(code(&out), 0);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .ends_with("Fleet: 1 cluster(s): 1 ok, 0 with findings, 0 not checked.\n")
    );
    // An unreachable cluster wins over findings: 2, and the others are still audited.
    let out = f.audit(&[
        "--contexts",
        "old-node,gone",
        "-o",
        "json",
        "--parallel",
        "1",
    ]);
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        failed_checks(&v["clusters"][0]["report"]),
        set(&["node-needs-replacement"])
    );
    // Usage errors name the flag.
    for (args, needle) in [
        (vec!["--contexts", "clean,nope"], "no context `nope`"),
        (vec!["--contexts", "clean,clean"], "named twice"),
        (
            vec!["--contexts", "clean", "--context", "clean"],
            "--context",
        ),
        (vec!["--all-contexts", "--cluster", "x"], "--cluster"),
        (vec!["--all-contexts", "--region", "us-west-2"], "--subnets"),
        (vec!["--region", "us-west-2"], "applies to --cluster"),
    ] {
        let out = f.audit(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(needle), "{args:?}: {e}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A cluster slower than --cluster-timeout is reported as timed out while the others finish; the
/// kubeconfig named by KUBECONFIG works as --kubeconfig does.
#[test]
fn a_slow_cluster_times_out_alone() {
    let fast = kubesim_with_objects(&tutorial_objects());
    let slow = kubesim_with_objects(&tutorial_objects());
    slow.set_faults(&["latency:5s"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        fleet_kubeconfig(&[("fast", fast.url()), ("slow", slow.url())]),
    )
    .unwrap();
    let out = cli::cmd()
        .env("KUBECONFIG", &kc)
        .args([
            "audit",
            "--all-contexts",
            "--cluster-timeout",
            "1s",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["clusters"][0]["error"].is_null(), "{v}");
    assert_eq!(v["clusters"][1]["errorKind"], "timeout");
    assert_eq!(
        v["clusters"][1]["error"],
        "not done within --cluster-timeout 1s"
    );
    assert_eq!(v["summary"]["notCheckedBy"]["timeout"], 1);
}

/// `--region` in a fleet run: each context's EKS cluster is read on a real moto server under the
/// name `--cluster-name-from` gives (the context's name, or the name in its cluster's ARN); a
/// context whose EKS cluster does not exist is reported as not checked, the others are checked.
/// `cilium validate --all-contexts` reads EKS only, so its API servers may well be down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eks_facts_per_context_from_moto() {
    use aws_sdk_eks::types::{
        RemoteNetworkConfigRequest, RemoteNodeNetwork, RemotePodNetwork, VpcConfigRequest,
    };
    let m = testkit::moto::Moto::start();
    let conf = m.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let mut vpcs = Vec::new();
    let eks = aws_sdk_eks::Client::new(&conf);
    // Two EKS clusters in their own VPCs: `blue` in 10.0.0.0/16, `green` in 10.1.0.0/16, both
    // with remote pod network 192.168.64.0/18, green's remote node network overlapping its pods.
    for (name, cidr, subnet, nodes) in [
        ("blue", "10.0.0.0/16", "10.0.1.0/24", "172.16.0.0/16"),
        ("green", "10.1.0.0/16", "10.1.1.0/24", "192.168.64.0/23"),
    ] {
        let vpc = ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
        let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(subnet)
            .availability_zone("us-west-2a")
            .send()
            .await
            .unwrap();
        eks.create_cluster()
            .name(name)
            .role_arn("arn:aws:iam::123456789012:role/eks")
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .subnet_ids(s.subnet().unwrap().subnet_id().unwrap())
                    .build(),
            )
            .remote_network_config(
                RemoteNetworkConfigRequest::builder()
                    .remote_node_networks(RemoteNodeNetwork::builder().cidrs(nodes).build())
                    .remote_pod_networks(
                        RemotePodNetwork::builder().cidrs("192.168.64.0/18").build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        vpcs.push(vpc_id);
    }
    let sims = [
        kubesim_with_objects(&tutorial_objects()),
        kubesim_with_objects(&tutorial_objects()),
    ];
    let dir = tempfile::tempdir().unwrap();
    // Contexts named by team; their ARNs name the EKS clusters; `gamma`'s cluster is not in EKS.
    let dead = testkit::ports::dead_url();
    let kc = fleet_kubeconfig(&[
        ("team-a", sims[0].url()),
        ("team-b", sims[1].url()),
        ("gamma", &dead),
    ])
    .replace("cluster/team-a", "cluster/blue")
    .replace("cluster/team-b", "cluster/green");
    let kc_path = dir.path().join("kubeconfig");
    std::fs::write(&kc_path, &kc).unwrap();
    let run = |args: &[&str]| cli::on(&kc_path).envs(m.env()).args(args).output().unwrap();

    let out = run(&[
        "audit",
        "--contexts",
        "team-a,team-b",
        "--region",
        "us-west-2",
        "--cluster-name-from",
        "eks-arn",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["notChecked"], 0, "{v}");
    for (c, vpc) in v["clusters"].as_array().unwrap().iter().zip(&vpcs) {
        assert_eq!(c["report"]["cluster"]["awsFacts"], "cluster", "{c}");
        assert_eq!(c["report"]["cluster"]["vpcId"], json!(vpc), "{c}");
    }
    // By context name, no EKS cluster `team-a` exists: not checked, with the reason.
    let out = run(&[
        "audit",
        "--contexts",
        "team-a",
        "--region",
        "us-west-2",
        "-o",
        "json",
    ]);
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["clusters"][0]["errorKind"], "error");
    assert!(
        v["clusters"][0]["error"]
            .as_str()
            .unwrap()
            .contains("EKS cluster `team-a` not found"),
        "{v}"
    );

    // validate over every context: blue is valid, green's pods overlap its node network, gamma's
    // cluster is not in EKS. Each checked cluster's report is the one `--cluster NAME` prints.
    let values = testkit::podnet::hybrid_values_file(dir.path());
    let values = values.to_str().unwrap();
    let out = run(&[
        "cilium",
        "validate",
        "-f",
        values,
        "--all-contexts",
        "--cluster-name-from",
        "eks-arn",
        "-o",
        "json",
    ]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["command"], "cilium validate");
    let clusters = v["clusters"].as_array().unwrap();
    for (c, name) in clusters.iter().zip(["blue", "green"]) {
        let one = run(&[
            "cilium",
            "validate",
            "-f",
            values,
            "--cluster",
            name,
            "-o",
            "json",
        ]);
        let single: Value = serde_json::from_slice(&one.stdout).unwrap();
        assert_eq!(c["report"], single, "{name}");
    }
    assert_eq!(clusters[0]["report"]["valid"], true, "{}", clusters[0]);
    assert_eq!(clusters[1]["report"]["valid"], false, "{}", clusters[1]);
    assert_eq!(clusters[2]["errorKind"], "error");
    assert!(
        clusters[2]["error"].as_str().unwrap().contains("gamma"),
        "{}",
        clusters[2]
    );
    assert_eq!(
        v["summary"],
        json!({"clusters": 3, "ok": 1, "withFindings": 1, "notChecked": 1,
            "notCheckedBy": {"unreachable": 0, "timeout": 0, "forbidden": 0, "error": 1}})
    );
    // Without the unreachable one: green's invalid values → 1.
    let out = run(&[
        "cilium",
        "validate",
        "-f",
        values,
        "--contexts",
        "team-a,team-b",
        "--cluster-name-from",
        "eks-arn",
    ]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .ends_with("Fleet: 2 cluster(s): 1 ok, 1 with findings, 0 not checked.\n")
    );
}

/// `cilium status` and `cilium history` over contexts: clusters without the release, and one
/// that cannot be reached.
#[test]
fn status_and_history_over_contexts() {
    let sim = testkit::cluster::eks_kubesim();
    let dir = tempfile::tempdir().unwrap();
    let dead = testkit::ports::dead_url();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        fleet_kubeconfig(&[("eks", sim.url()), ("gone", &dead)]),
    )
    .unwrap();
    let single = cli::on(&kc)
        .args(["cilium", "status", "-o", "json"])
        .output()
        .unwrap();
    let single_json: Value = serde_json::from_slice(&single.stdout).unwrap();
    let out = cli::on(&kc)
        .args(["cilium", "status", "--all-contexts", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["command"], "cilium status");
    assert_eq!(v["clusters"][0]["report"], single_json);
    assert_eq!(v["clusters"][1]["errorKind"], "unreachable");
    let out = cli::on(&kc)
        .args(["cilium", "status", "--contexts", "eks", "-o", "junit"])
        .output()
        .unwrap();
    assert_eq!(code(&out), code(&single));
    let x = String::from_utf8_lossy(&out.stdout);
    assert!(x.contains("<testsuite name=\"eks\""), "{x}");
    let n = single_json["findings"].as_array().unwrap().len();
    assert!(x.contains(&format!("failures=\"{n}\"")), "{x}");

    // history: no release on either cluster → both not checked, with the reason.
    let out = cli::on(&kc)
        .args(["cilium", "history", "--all-contexts"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("== eks ==\nNOT CHECKED (error): release cilium not found in kube-system"),
        "{t}"
    );
    assert!(t.contains("== gone ==\nNOT CHECKED (unreachable): "), "{t}");
    let out = cli::on(&kc)
        .args(["cilium", "history", "--all-contexts", "-o", "sarif"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
}
